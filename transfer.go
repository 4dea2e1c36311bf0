package ftp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A TransferOption changes how a transfer is made. The zero set of options
// transfers from the start of the file, in blocks chosen by the copy.
type TransferOption func(*transferOpts)

type transferOpts struct {
	rest      string
	hasRest   bool
	blockSize int
	onBlock   func([]byte)
}

func collect(opts []TransferOption) transferOpts {
	var o transferOpts
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	return o
}

// Rest makes the transfer start at byte offset: "REST offset" is sent
// before the transfer command, even for 0 (ftplib's rest argument).
func Rest(offset int64) TransferOption {
	return func(o *transferOpts) {
		o.rest = strconv.FormatInt(offset, 10)
		o.hasRest = true
	}
}

// RestMarker sends "REST marker" before the transfer command, for servers
// whose restart markers are not byte offsets.
func RestMarker(marker string) TransferOption {
	return func(o *transferOpts) {
		o.rest = marker
		o.hasRest = true
	}
}

// BlockSize makes RetrBinary and StorBinary move data in blocks of at most
// n bytes, each handed to the writer (or read from the reader) on its own,
// like ftplib's blocksize. n <= 0 means 8192. Without it (and without
// OnBlock) the copy may use the kernel's zero-copy paths.
func BlockSize(n int) TransferOption {
	return func(o *transferOpts) {
		if n <= 0 {
			n = 8192
		}
		o.blockSize = n
	}
}

// OnBlock makes RetrBinary and StorBinary call fn with each block after it
// has been transferred, and StorLines with each line sent (ftplib's
// storbinary and storlines callback). The slice is only valid during the
// call.
func OnBlock(fn func(block []byte)) TransferOption {
	return func(o *transferOpts) { o.onBlock = fn }
}

const defaultBufSize = 32 << 10

var (
	bufPool = sync.Pool{New: func() any {
		b := make([]byte, defaultBufSize)
		return &b
	}}
	lineReaderPool = sync.Pool{New: func() any {
		return &lineReader{br: bufio.NewReaderSize(nil, 64<<10)}
	}}

	errDataClosed = fmt.Errorf("ftp: data connection closed: %w", net.ErrClosed)
	errAborted    = fmt.Errorf("ftp: transfer aborted: %w", net.ErrClosed)
)

// checkCmd checks a command that will be sent later in a sequence, so that
// nothing at all is sent when it would be refused.
func (c *Conn) checkCmd(line string) error {
	if err := checkLine(line); err != nil {
		return err
	}
	if c.enc == Latin1 {
		if _, err := appendEncoded(nil, c.enc, line); err != nil {
			return err
		}
	}
	return nil
}

// setType makes typ the representation type, sending TYPE only when it is
// not known to be in force. With void the reply must be 2xx (ftplib
// voidcmd), else any positive reply is accepted (ftplib sendcmd).
func (c *Conn) setType(typ string, void bool) error {
	if c.curType == typ {
		return nil
	}
	var err error
	if void {
		_, err = c.voidCmd("TYPE " + typ)
	} else {
		_, err = c.sendCmd("TYPE " + typ)
	}
	return err
}

// openData is the one path that opens a data connection (ftplib
// ntransfercmd). Passive: PASV/EPSV, connect, [REST], cmd. Active:
// PORT/EPRT, [REST], cmd, accept. The reply to cmd must be 1xx, possibly
// after a 2xx. The socket is then passed to wrapData (FTPS). It returns
// the connection to use, the socket, and the size from a 150 reply (-1
// when unknown). The socket is registered with setData; on success the
// transfer's final reply is due (c.pending).
func (c *Conn) openData(ctx context.Context, cmd string, o *transferOpts) (conn, raw net.Conn, size int64, err error) {
	if err := c.checkCmd(cmd); err != nil {
		return nil, nil, -1, err
	}
	if o.hasRest {
		if err := c.checkCmd("REST " + o.rest); err != nil {
			return nil, nil, -1, err
		}
	}
	if err := c.probeTransfer(cmd); err != nil { // utf8.go
		return nil, nil, -1, err
	}
	t0 := time.Now()
	var resp string
	if c.passive {
		c.pretFor(cmd)
		host, port, err := c.makePasv()
		if err != nil {
			return nil, nil, -1, c.dataConnErr(cmd, err)
		}
		if c.canOverlap() && !c.pasvElsewhere(host) {
			// The data connection is opened while cmd is sent
			// (overlap.go).
			conn, raw, resp, err = c.openOverlapped(ctx, host, port, cmd, o)
			if err != nil {
				return nil, nil, -1, err
			}
		} else {
			raw, err = c.pasvDialAt(ctx, host, port)
			if err != nil {
				return nil, nil, -1, c.dataConnErr(cmd, err)
			}
			c.setData(raw)
			resp, err = c.transferCmd(cmd, o)
			if err != nil {
				c.setData(nil)
				raw.Close()
				return nil, nil, -1, err
			}
		}
	} else {
		ln, err := c.makePort(ctx)
		if err != nil {
			return nil, nil, -1, err
		}
		resp, err = c.transferCmd(cmd, o)
		if err != nil {
			c.setListener(nil)
			ln.Close()
			return nil, nil, -1, err
		}
		raw, err = c.acceptData(ln)
		c.setListener(nil)
		ln.Close()
		if err != nil {
			return nil, nil, -1, c.drainFinal(c.dataConnErr(cmd, err))
		}
		c.setData(raw)
	}
	size = parseSize(resp)
	if conn == nil {
		conn, err = c.wrapData(ctx, raw)
		if err != nil {
			c.setData(nil)
			raw.Close()
			return nil, nil, -1, c.drainFinal(err)
		}
	}
	c.pending = true
	c.noteDataOpen(cmd, conn, raw, t0)
	return conn, raw, size, nil
}

// parseSize returns the size a 150 reply announces, or -1.
func parseSize(resp string) int64 {
	if strings.HasPrefix(resp, "150") {
		if n, err := Parse150(resp); err == nil {
			return n
		}
	}
	return -1
}

// dataConnErr names the transfer cmd in a failure to open its data
// connection (a dial or accept that timed out, say), unless err is a reply
// error, which names its own command, or the call was interrupted.
func (c *Conn) dataConnErr(cmd string, err error) error {
	var e *Error
	if errors.As(err, &e) || c.interrupted() {
		return err
	}
	return opError(cmd, "data connection", err)
}

// transferCmd sends [REST] and the transfer command and reads the
// preliminary reply.
func (c *Conn) transferCmd(cmd string, o *transferOpts) (string, error) {
	if o.hasRest {
		if _, err := c.sendCmd("REST " + o.rest); err != nil {
			return "", err
		}
	}
	resp, err := c.sendCmd(cmd)
	if err != nil {
		return "", err
	}
	if resp[0] == '2' {
		// Some servers send a 2xx before the 1xx.
		if resp, err = c.getResp(); err != nil {
			return "", err
		}
	}
	if resp[0] != '1' {
		return "", newError(ErrReply, resp)
	}
	return resp, nil
}

// drainFinal handles a failure after the server's 1xx reply: the server
// owes a final reply, which is read so that replies stay in step. When it
// cannot be read the Conn is broken. It returns cause.
func (c *Conn) drainFinal(cause error) error {
	c.mu.Lock()
	intr := c.intr
	c.mu.Unlock()
	cause = c.wrapIO(cause)
	if intr != nil {
		return c.fail(cause)
	}
	c.pending = false
	if _, err := c.getResp(); err != nil && !isReplyErr(err) {
		return fmt.Errorf("%w (then: %w)", cause, err)
	}
	return cause
}

// TransferCmd opens a data connection for cmd and returns it (ftplib
// transfercmd); see NTransferCmd.
func (c *Conn) TransferCmd(ctx context.Context, cmd string, opts ...TransferOption) (net.Conn, error) {
	conn, _, err := c.NTransferCmd(ctx, cmd, opts...)
	return conn, err
}

// NTransferCmd opens a data connection in the current mode (passive or
// active), sends cmd (after "REST n" when Rest or RestMarker is given) and
// returns the data connection and the size announced by a 150 reply, -1
// when unknown (ftplib ntransfercmd). The reply to cmd must be 125 or 150,
// possibly after a 2xx. No TYPE is sent. The caller reads or writes the
// connection, closes it, and then reads the final reply with VoidResp.
// With Dialer.Timeout set, each Read and Write of the returned connection
// times out after it (as ftplib's data socket does) until the caller sets
// a deadline of its own; an FTPS data connection still offers the
// *tls.Conn methods, such as ConnectionState, through embedding.
func (c *Conn) NTransferCmd(ctx context.Context, cmd string, opts ...TransferOption) (net.Conn, int64, error) {
	o := collect(opts)
	var conn, raw net.Conn
	var size int64 = -1
	_, err := c.call(ctx, func() (string, error) {
		var err error
		conn, raw, size, err = c.openData(ctx, cmd, &o)
		return "", err
	})
	if err != nil {
		return nil, -1, err
	}
	// The socket is the caller's now.
	c.setData(nil)
	_ = raw.SetDeadline(time.Time{})
	return withTimeout(conn, c.timeout), size, nil
}

// RetrBinary downloads in binary mode (ftplib retrbinary): TYPE I (unless
// in force), [REST], cmd (such as "RETR name"), then the data is written to
// w, and the final reply, which must be 2xx, is returned. When w fails or
// the data connection breaks, the transfer is aborted so the Conn stays in
// step, and that error is returned; when the data connection broke and the
// server's reply read then is negative (such as 426), the two are joined
// (errors.Join).
func (c *Conn) RetrBinary(ctx context.Context, cmd string, w io.Writer, opts ...TransferOption) (string, error) {
	o := collect(opts)
	d, err := c.open(ctx, "I", true, cmd, &o, false)
	if err != nil {
		return "", err
	}
	var cerr error
	if o.blockSize > 0 || o.onBlock != nil {
		cerr = copyBlocks(w, d, d.buffer(o.blockOrDefault()), o.onBlock)
	} else {
		_, cerr = io.Copy(w, d)
	}
	return d.end(cerr)
}

// blockOrDefault is the BlockSize option, or ftplib's default of 8192.
func (o *transferOpts) blockOrDefault() int {
	if o.blockSize > 0 {
		return o.blockSize
	}
	return 8192
}

// copyBlocks copies src to dst one read of at most len(buf) bytes at a
// time, as ftplib's retrbinary and storbinary do, calling onBlock (if not
// nil) with each block once it is written. It returns nil at src's io.EOF.
func copyBlocks(dst io.Writer, src io.Reader, buf []byte, onBlock func([]byte)) error {
	for {
		n, rerr := src.Read(buf)
		if n > 0 {
			m, werr := dst.Write(buf[:n])
			if werr == nil && m < n {
				werr = io.ErrShortWrite
			}
			if werr != nil {
				return werr
			}
			if onBlock != nil {
				onBlock(buf[:n])
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// StorBinary uploads r in binary mode (ftplib storbinary): TYPE I (unless
// in force), [REST], cmd (such as "STOR name"), the data until r returns
// io.EOF, and the final reply, which must be 2xx, is returned. When r or
// the data connection fails, the transfer is aborted (ABOR) rather than
// ended, so the server does not keep a silently truncated file as
// complete, and that error is returned; when the data connection failed
// and the server's reply read then is negative (such as a 451 or 426),
// the two are joined (errors.Join), so errors.Is finds both.
func (c *Conn) StorBinary(ctx context.Context, cmd string, r io.Reader, opts ...TransferOption) (string, error) {
	o := collect(opts)
	d, err := c.open(ctx, "I", true, cmd, &o, true)
	if err != nil {
		return "", err
	}
	var cerr error
	if o.blockSize > 0 || o.onBlock != nil {
		cerr = copyBlocks(d, r, d.buffer(o.blockOrDefault()), o.onBlock)
	} else {
		_, cerr = d.ReadFrom(r)
	}
	return d.end(cerr)
}

// retrLinesConn starts a line-mode download (TYPE A via sendcmd, as
// ftplib's retrlines does, then cmd): the path RetrLines, Nlst, Dir and
// the listing code use. Read its lines with readLine; close it with Close
// (before io.EOF, Close aborts the transfer).
func (c *Conn) retrLinesConn(ctx context.Context, cmd string) (*DataConn, error) {
	var o transferOpts
	d, err := c.open(ctx, "A", false, cmd, &o, false)
	if err != nil {
		return nil, err
	}
	lr := lineReaderPool.Get().(*lineReader)
	lr.br.Reset((*wireReader)(d))
	lr.max = c.maxLine
	d.lr = lr
	return d, nil
}

// RetrLines downloads cmd (such as "RETR name", "LIST" or "NLST") in ASCII
// mode and calls fn with each line, without its CRLF or LF (ftplib
// retrlines). fn nil means PrintLine. TYPE A is sent unless in force; the
// final reply, which must be 2xx, is returned. A line longer than
// MaxLine-1 bytes is ErrLineTooLong. When fn returns an error the transfer
// is aborted and that error returned.
func (c *Conn) RetrLines(ctx context.Context, cmd string, fn func(line string) error) (string, error) {
	if fn == nil {
		fn = PrintLine
	}
	d, err := c.retrLinesConn(ctx, cmd)
	if err != nil {
		return "", err
	}
	for {
		line, err := d.readLine()
		if err == io.EOF {
			break
		}
		if err == nil {
			err = fn(line)
		}
		if err != nil {
			return d.end(err)
		}
	}
	return d.end(nil)
}

// StorLines uploads r in ASCII mode (ftplib storlines): TYPE A (unless in
// force), cmd, then each line of r with its line ending made CRLF (a line
// ending in CRLF is kept, a final LF or CR is replaced, a last line without
// one gets CRLF), and the final reply, which must be 2xx, is returned. A
// line longer than MaxLine bytes, terminator included, is ErrLineTooLong
// and aborts the transfer.
func (c *Conn) StorLines(ctx context.Context, cmd string, r io.Reader, opts ...TransferOption) (string, error) {
	o := collect(opts)
	o.hasRest = false
	d, err := c.open(ctx, "A", true, cmd, &o, true)
	if err != nil {
		return "", err
	}
	lr := lineReaderPool.Get().(*lineReader)
	lr.br.Reset(r)
	lr.max = c.maxLine
	defer func() {
		lr.br.Reset(nil)
		lineReaderPool.Put(lr)
	}()
	out := d.buffer(0)[:0]
	var cerr error
	for {
		line, rerr := lr.readRawLine()
		if len(line) > 0 {
			start := len(out)
			out = appendCRLFLine(out, line)
			if o.onBlock != nil {
				o.onBlock(out[start:])
			}
			if len(out) >= defaultBufSize/2 {
				if _, cerr = d.Write(out); cerr != nil {
					break
				}
				out = out[:0]
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			cerr = rerr
			break
		}
	}
	if cerr == nil && len(out) > 0 {
		_, cerr = d.Write(out)
	}
	return d.end(cerr)
}

// appendCRLFLine appends line with its ending normalised to CRLF, as
// ftplib's storlines does.
func appendCRLFLine(out, line []byte) []byte {
	n := len(line)
	if n >= 2 && line[n-2] == '\r' && line[n-1] == '\n' {
		return append(out, line...)
	}
	if line[n-1] == '\r' || line[n-1] == '\n' {
		line = line[:n-1]
	}
	out = append(out, line...)
	return append(out, '\r', '\n')
}

// readRawLine returns the next line of a StorLines source with its
// terminator: ftplib's binary readline(maxline+1), where more than max
// bytes, terminator included, is ErrLineTooLong. At the end a last line
// without LF comes with io.EOF.
func (lr *lineReader) readRawLine() ([]byte, error) {
	lr.acc = lr.acc[:0]
	for {
		frag, err := lr.br.ReadSlice('\n')
		if len(lr.acc)+len(frag) > lr.max {
			return nil, errTooLong(lr.max)
		}
		switch err {
		case nil:
			if len(lr.acc) == 0 {
				return frag, nil
			}
			lr.acc = append(lr.acc, frag...)
			return lr.acc, nil
		case bufio.ErrBufferFull:
			lr.acc = append(lr.acc, frag...)
		default:
			lr.acc = append(lr.acc, frag...)
			if len(lr.acc) == 0 {
				return nil, err
			}
			return lr.acc, err
		}
	}
}

// Nlst returns the names listed by NLST (ftplib nlst). Each argument is
// appended after a space, empty ones included, as in ftplib.
func (c *Conn) Nlst(ctx context.Context, args ...string) ([]string, error) {
	cmd := "NLST"
	for _, a := range args {
		cmd += " " + a
	}
	var names []string
	_, err := c.RetrLines(ctx, cmd, func(line string) error {
		names = append(names, line)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return names, nil
}

// Dir calls fn with each line of a LIST listing (ftplib dir); fn nil means
// PrintLine. Non-empty arguments are appended after a space.
func (c *Conn) Dir(ctx context.Context, fn func(line string) error, args ...string) error {
	cmd := "LIST"
	for _, a := range args {
		if a != "" {
			cmd += " " + a
		}
	}
	_, err := c.RetrLines(ctx, cmd, fn)
	return err
}
