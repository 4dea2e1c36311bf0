package ftp

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
)

// Round trips (DESIGN.md decision 16). A passive download costs, one after
// the other: PASV and its reply, the data connection's TCP handshake (and
// TLS handshake under PROT P), the transfer command and its 1xx, the data,
// and the final reply. Two overlaps remove round trips without changing
// what any server sees in an order it could refuse:
//
//   - The data connection is dialled while the transfer command is sent and
//     its reply read (openOverlapped). The server accepts the connection
//     whenever it is ready. A connect that fails is only an error once the
//     reply to the command says the transfer started: a server that
//     refuses the command (550) closes its passive port, which makes the
//     connect fail too. Under PROT P the TLS handshake still waits for the
//     1xx reply, as before: started at once, it made pyftpdlib reset the
//     data connection now and then (on loopback, after REST, and for APPE
//     and LIST) and never send the final reply.
//   - Where the next transfer is known (RetrMany), its PASV or EPSV is sent
//     as soon as the current download has reached the end of its data,
//     before the final reply of the current one is read (DataConn.next).
//     Never earlier: pure-ftpd answers a command read during a download
//     with 500, proftpd over TLS with 450, and pyftpdlib closes the
//     running data connection. The reply is read by the next makePasv, or,
//     when something else comes first (an error ended the batch, the
//     caller sends another command), by settle before that command is
//     sent, so that replies always stay matched to their commands.

// settle reads and drops the reply to a PASV or EPSV sent ahead that no
// transfer used. Only an I/O error (the Conn is then broken) is returned;
// the last reply code stays the one of the caller's previous command.
func (c *Conn) settle() error {
	if c.pasvDue == "" {
		return nil
	}
	cmd := c.pasvDue
	c.pasvDue = ""
	last, lastCmd := c.lastResp, c.cmd
	err := c.readPRETAhead() // PRET sent ahead with it (features.go)
	if err == nil || isReplyErr(err) {
		c.cmd = cmd
		_, err = c.getResp()
	}
	c.lastResp, c.cmd = last, lastCmd
	if err != nil && !isReplyErr(err) {
		return err
	}
	return nil
}

// firstPasv is the command makePasv sends first.
func (c *Conn) firstPasv() string {
	if c.pasvCmd != "" {
		return c.pasvCmd
	}
	if c.epsv || c.isIPv6() {
		return "EPSV"
	}
	return "PASV"
}

// canOverlap reports whether the data connection may be dialled while the
// transfer command is sent: always after PASV; after EPSV once an EPSV
// port has been reached on this Conn, since until then a port that cannot
// be reached must leave the chance to fall back to PASV before the
// transfer command goes out.
func (c *Conn) canOverlap() bool {
	return c.lastPasv != "EPSV" || c.epsvOK
}

// dataDial is a data connection being connected in the background.
type dataDial struct {
	cancel context.CancelFunc
	done   chan struct{}
	raw    net.Conn
	tc     *tls.Conn // with handshake: the protected connection over raw
	err    error
	hsErr  bool // err is the handshake's
}

// dialAsync starts connecting to host:port. The socket is registered
// with setData as soon as it is connected, so that Close and
// cancellation reach it. With handshake, the TLS handshake of the data
// connection follows at once (overlap_tls.go); when it fails, the socket
// is closed and unregistered.
func (c *Conn) dialAsync(ctx context.Context, host string, port int, handshake bool) *dataDial {
	ctx, cancel := context.WithCancel(ctx)
	dd := &dataDial{cancel: cancel, done: make(chan struct{})}
	if handshake {
		c.tlsSetup()
	}
	go func() {
		defer close(dd.done)
		dd.raw, dd.err = c.dialData(ctx, host, port)
		if dd.err != nil {
			return
		}
		c.setData(dd.raw)
		if !handshake {
			return
		}
		dd.tc, dd.err = c.handshakeData(ctx, dd.raw)
		if dd.err != nil {
			c.setData(nil)
			dd.raw.Close()
			dd.raw, dd.hsErr = nil, true
		}
	}()
	return dd
}

// wait waits for the background dial.
func (dd *dataDial) wait() (net.Conn, error) {
	<-dd.done
	dd.cancel()
	return dd.raw, dd.err
}

// openOverlapped sends [REST] and cmd while the data connection to
// host:port is connected, and returns the socket (registered with
// setData) and the preliminary reply. When the command is refused, the
// background dial is stopped, its socket closed and the refusal returned;
// when it was accepted but the connect failed, the final reply the server
// owes is read (drainFinal) and the connect's error returned. Where the
// server takes an early handshake (overlap_tls.go), the TLS handshake is
// made in the background too, and conn is the protected connection;
// otherwise conn is nil and the caller wraps raw after the reply.
func (c *Conn) openOverlapped(ctx context.Context, host string, port int, cmd string, o *transferOpts) (conn, raw net.Conn, resp string, err error) {
	dd := c.dialAsync(ctx, host, port, c.earlyHandshake())
	resp, err = c.transferCmd(cmd, o)
	if err != nil {
		dd.cancel()
		if nc, werr := dd.wait(); werr == nil {
			nc.Close()
			c.setData(nil)
		}
		return nil, nil, "", err
	}
	raw, err = dd.wait()
	if err != nil {
		if dd.hsErr {
			return nil, nil, "", c.drainFinal(c.dataHandshakeErr(err))
		}
		return nil, nil, "", c.drainFinal(c.dataConnErr(cmd, err))
	}
	if c.lastPasv == "EPSV" {
		c.epsvOK = true
	}
	if dd.tc != nil {
		c.noteDataTLS(dd.tc)
		return dd.tc, raw, resp, nil
	}
	return nil, raw, resp, nil
}

// RetrMany downloads, one after the other and in binary mode, the files
// of cmds (each a command such as "RETR name") over this connection,
// writing file i to the writer dst(i) returns. It is RetrBinary in a loop,
// with one round trip less per file: in passive mode the PASV (or EPSV) of
// the next transfer is sent as soon as the current download has reached
// the end of its data, while the server's final reply is on its way.
//
// It stops at the first error (from dst, a refused command, the data
// connection, or the writer) and returns how many files were downloaded
// completely before it, and that error. The control connection stays in
// step: a failed transfer is aborted as RetrBinary does, and a reply to a
// PASV sent ahead is read before the next command goes out. opts apply to
// every transfer (a Rest offset would apply to each file).
func (c *Conn) RetrMany(ctx context.Context, cmds []string, dst func(i int) (io.Writer, error), opts ...TransferOption) (int, error) {
	if dst == nil {
		return 0, errors.New("ftp: RetrMany: nil dst")
	}
	o := collect(opts)
	for i, cmd := range cmds {
		w, err := dst(i)
		if err != nil {
			return i, err
		}
		d, err := c.open(ctx, "I", true, cmd, &o, false)
		if err != nil {
			return i, err
		}
		if c.passive && i+1 < len(cmds) && c.checkCmd(cmds[i+1]) == nil {
			d.next, d.nextCmd = c.firstPasv(), cmds[i+1]
		}
		var cerr error
		if o.blockSize > 0 || o.onBlock != nil {
			cerr = copyBlocks(w, d, d.buffer(o.blockOrDefault()), o.onBlock)
		} else {
			_, cerr = io.Copy(w, d)
		}
		if _, err := d.end(cerr); err != nil {
			return i, err
		}
	}
	return len(cmds), nil
}
