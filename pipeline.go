package ftp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Pipelining (DESIGN.md decision 16): simple commands whose replies do
// not depend on a data connection can be written several at a time and
// their replies read in order afterwards, so that n commands cost about
// one round trip instead of n. RFC 959 servers read the control
// connection as a stream of lines, so a command that arrives while the
// previous one is being answered simply waits in the socket buffer. This
// is checked against vsftpd, proftpd, pure-ftpd and pyftpdlib, plain and
// over TLS, with no transfer running (interop/pipeline_test.go), within
// the bounds below; while a transfer runs some of them answer or drop
// commands early, so SendCmds refuses to start then.

// ErrNotPipelined is returned by SendCmds for a command that cannot be
// pipelined: one that opens or prepares a data connection, changes the
// login or the protection of the connection, or ends the session.
var ErrNotPipelined = errors.New("ftp: command cannot be pipelined")

// pipeWindow is the most commands SendCmds has sent and not seen the reply
// of, pipeBytes the most bytes of them, and pipeWrite the most bytes it
// writes at once. More is sent each time half of what is in flight has
// been answered. The bounds come from the servers tested: proftpd's line
// reader misses a CR LF split between two reads (the LF starting a read
// is taken as data, which joins two commands into one) and it reads at
// most about 4 KB at a time; pure-ftpd over TLS stalls on a command split
// between two TLS records. With less than 4 KB unanswered, and each write
// whole lines small enough to travel in one TCP segment (or one TLS
// record), a server's read never ends inside a line. With 32 KB in
// flight both failed (interop/pipeline_test.go).
const (
	pipeWindow = 256
	pipeBytes  = 3 << 10
	pipeWrite  = 512
)

// notPipelined lists the verbs SendCmds refuses.
var notPipelined = map[string]bool{
	"PASV": true, "EPSV": true, "LPSV": true, "PORT": true, "EPRT": true, "LPRT": true,
	"RETR": true, "STOR": true, "STOU": true, "APPE": true, "LIST": true, "NLST": true,
	"MLSD": true, "ABOR": true, "REST": true, "AUTH": true, "CCC": true, "PBSZ": true,
	"PROT": true, "USER": true, "PASS": true, "ACCT": true, "REIN": true, "QUIT": true,
}

// SendCmds sends the commands cmds without waiting for each reply before
// the next command (pipelining), and reads their replies in order, so
// that many short commands (MDTM, SIZE, MFMT, DELE, ...) cost about one
// round trip. For each reply it calls fn with the index of its command
// and what SendCmd would have returned: the reply, or an error (an *Error
// for a 4xx or 5xx reply). fn runs on the calling goroutine, between
// reads; it must not use the Conn. When a command holds a name that is
// not ASCII, FEAT (and OPTS UTF8 ON) may be sent first, alone, as before
// any command (see Dialer.NoOptsUTF8).
//
// Nothing is sent when a command holds CR or LF (ErrIllegalNewline), cannot
// be encoded, or is one that must not be pipelined (ErrNotPipelined:
// transfer and data-connection commands, REST, login, TLS and session
// commands), nor while a transfer is open (ErrBusy). The error returned is
// then that refusal; otherwise it is nil, or the failure of the control
// connection that left some replies unread (their commands get no call,
// and the Conn is broken, as for any I/O error on it). A 1xx reply is
// such a failure too (an *Error of class ErrReply): whether a final
// reply follows it, so which command each later reply answers, cannot be
// known.
func (c *Conn) SendCmds(ctx context.Context, cmds []string, fn func(i int, resp string, err error)) error {
	lines := make([][]byte, len(cmds))
	for i, cmd := range cmds {
		if err := checkLine(cmd); err != nil {
			return err
		}
		verb, _, _ := strings.Cut(strings.TrimLeft(cmd, " "), " ")
		if notPipelined[strings.ToUpper(verb)] {
			return fmt.Errorf("%w: %s", ErrNotPipelined, maskCmd(cmd))
		}
		b, err := appendEncoded(nil, c.enc, cmd)
		if err != nil {
			return err
		}
		lines[i] = append(b, '\r', '\n')
	}
	_, err := c.call(ctx, func() (string, error) {
		c.mu.Lock()
		open := c.cur != nil
		c.mu.Unlock()
		if open || c.pending {
			return "", fmt.Errorf("%w: a transfer is open", ErrBusy)
		}
		if err := c.settle(); err != nil {
			return "", err
		}
		// FEAT and OPTS UTF8 ON before the first name that is not
		// ASCII, as for a command sent alone (utf8.go).
		for _, cmd := range cmds {
			if err := c.probeUTF8(cmd); err != nil {
				return "", err
			}
		}
		sent, flight := 0, 0 // commands sent, bytes of those not answered
		for i := range cmds {
			if sent < len(cmds) && sent-i <= pipeWindow/2 && flight <= pipeBytes/2 {
				for sent < len(cmds) && sent < i+pipeWindow && flight+len(lines[sent]) <= pipeBytes || sent == i {
					from := sent
					if err := c.putLines(cmds, lines, &sent, i+pipeWindow, min(pipeWrite, pipeBytes-flight)); err != nil {
						return "", err
					}
					for _, l := range lines[from:sent] {
						flight += len(l)
					}
				}
			}
			flight -= len(lines[i])
			c.cmd = cmds[i]
			resp, err := c.getResp()
			if err != nil && !isReplyErr(err) {
				return "", err
			}
			if err == nil && resp[0] == '1' {
				// A final reply may or may not follow: which command the
				// next reply answers cannot be known.
				return "", c.outOfStep(cmds[i], resp)
			}
			if err == nil || isReplyErr(err) {
				c.noteType(cmds[i], resp)
			}
			if fn != nil {
				fn(i, resp, cmdError(err, cmds[i]))
			}
		}
		return "", nil
	})
	return err
}

// putLines writes the encoded commands lines[*sent:upto] (at most room
// bytes of them, at least one) in one write, and advances *sent.
func (c *Conn) putLines(cmds []string, lines [][]byte, sent *int, upto, room int) error {
	buf := c.wbuf[:0]
	first := *sent
	for *sent < len(lines) && *sent < upto && (*sent == first || len(buf)+len(lines[*sent]) <= room) {
		buf = append(buf, lines[*sent]...)
		if c.debug > 0 {
			c.debugLine("*cmd*", cmds[*sent], true)
		}
		*sent++
	}
	c.wbuf = buf
	c.cmd = cmds[first]
	c.armCtrl()
	if _, err := c.ctrl.Write(buf); err != nil {
		if !c.interrupted() {
			err = opError(cmds[first], "sending command", err)
		}
		return c.fail(err)
	}
	if c.observed() {
		for i := first; i < *sent; i++ {
			c.noteCmd(cmds[i], false)
		}
	}
	return nil
}

// ModTimes returns the modification times of the files names (MDTM, as
// ModTime), with the commands pipelined (see SendCmds): times[i] is the
// time of names[i] when errs[i] is nil. When the commands could not be
// sent, or the control connection failed before every reply was read, err
// is that error and it is also the errs entry of every file left without
// an answer.
func (c *Conn) ModTimes(ctx context.Context, names []string) (times []time.Time, errs []error, err error) {
	times = make([]time.Time, len(names))
	errs = make([]error, len(names))
	answered, err := c.modTimes(ctx, names, times, errs, false)
	if err != nil {
		for i := answered; i < len(names); i++ {
			errs[i] = err
		}
	}
	return times, errs, err
}

// modTimes is ModTimes into times and errs; it returns how many files
// were answered (the first ones) and the error that stopped it. With
// typeI, TYPE I goes first in the pipeline (its reply only sets the
// Conn's type).
func (c *Conn) modTimes(ctx context.Context, names []string, times []time.Time, errs []error, typeI bool) (int, error) {
	var cmds []string
	if typeI {
		cmds = append(cmds, "TYPE I")
	}
	skip := len(cmds)
	for _, n := range names {
		cmds = append(cmds, "MDTM "+n)
	}
	answered := 0
	err := c.SendCmds(ctx, cmds, func(i int, resp string, err error) {
		if i < skip {
			return
		}
		i -= skip
		answered = i + 1
		switch {
		case err != nil:
			errs[i] = err
		case !strings.HasPrefix(resp, "213"):
			errs[i] = cmdError(newError(ErrReply, resp), cmds[i+skip])
		default:
			t, ok := parseMDTM(strings.TrimSpace(resp[3:]))
			if !ok {
				errs[i] = cmdError(newError(ErrProto, resp), cmds[i+skip])
			} else {
				times[i] = t
			}
		}
	})
	return answered, err
}
