package ftp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestRetrDialsWhileSendingRETR checks that a passive download sends RETR
// without waiting for the data connection: the data connect is held until
// the server has read RETR, which would deadlock a client that connects
// first.
func TestRetrDialsWhileSendingRETR(t *testing.T) {
	retrSeen := make(chan struct{})
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		if !s.expect("RETR f") {
			return
		}
		close(retrSeen)
		dc := s.accept(ln)
		s.send("150 Opening BINARY mode data connection for f (5 bytes)")
		sendData(t, dc, "hello")
		s.send("226 done")
		s.reply("NOOP", "200 in step")
	})
	var dials atomic.Int32
	var nd net.Dialer
	d := &Dialer{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) > 1 { // a data connection
			select {
			case <-retrSeen:
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(guard / 2):
				return nil, errors.New("test: RETR not sent before the data connection")
			}
		}
		return nd.DialContext(ctx, network, addr)
	}}
	c := dialFake(t, f, d)
	var buf bytes.Buffer
	if _, err := c.RetrBinary(ctxT(t), "RETR f", &buf); err != nil {
		t.Fatalf("RetrBinary: %v", err)
	}
	if buf.String() != "hello" {
		t.Fatalf("got %q", buf.String())
	}
	if _, err := c.Noop(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	f.wait()
}

// TestRetrRefusedWhileDialling: the server refuses RETR and closes its
// passive port, so the connect made meanwhile fails (or succeeds and is
// dropped): the refusal is the error, and the Conn stays in step.
func TestRetrRefusedWhileDialling(t *testing.T) {
	for _, accept := range []bool{false, true} {
		t.Run(fmt.Sprintf("accepted=%v", accept), func(t *testing.T) {
			f := newFake(t, func(s *session) {
				s.send("220 hi")
				s.reply("TYPE I", "200 binary")
				ln := s.pasv()
				if !s.expect("RETR nope") {
					return
				}
				if accept {
					if dc := s.accept(ln); dc != nil {
						dc.Close()
					}
				} else {
					ln.Close()
				}
				s.send("550 Failed to open file.")
				s.reply("NOOP", "200 in step")
			})
			c := dialFake(t, f, nil)
			_, err := c.RetrBinary(ctxT(t), "RETR nope", io.Discard)
			if !errors.Is(err, ErrPerm) {
				t.Fatalf("RetrBinary: %v, want the 550 (ErrPerm)", err)
			}
			if _, err := c.Noop(ctxT(t)); err != nil {
				t.Fatal(err)
			}
			f.wait()
		})
	}
}

// TestRetrDataConnectFailsAfter150: RETR is accepted (150) but the data
// connection cannot be made: the final reply the server then owes is read,
// and the connect's error returned.
func TestRetrDataConnectFailsAfter150(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		if !s.expect("RETR f") {
			return
		}
		s.send("150 Opening")
		s.send("425 Failed to establish connection.")
		if ln != nil {
			ln.Close()
		}
		s.reply("NOOP", "200 in step")
	})
	var dials atomic.Int32
	var nd net.Dialer
	errRefused := errors.New("test: data connect refused")
	d := &Dialer{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) > 1 {
			return nil, errRefused
		}
		return nd.DialContext(ctx, network, addr)
	}}
	c := dialFake(t, f, d)
	_, err := c.RetrBinary(ctxT(t), "RETR f", io.Discard)
	if !errors.Is(err, errRefused) {
		t.Fatalf("RetrBinary: %v, want the connect's error", err)
	}
	if _, err := c.Noop(ctxT(t)); err != nil {
		t.Fatalf("Noop after the failed transfer: %v", err)
	}
	f.wait()
}

// pipelinedRetr serves one download of data on a fake session whose PASV
// was already answered (ln), checking that the client sends nothing on
// the control connection before the end of the data, and that it sends
// the next PASV before the final reply (when next is true). final is the
// final reply.
func pipelinedRetr(s *session, ln net.Listener, name, data, final string, next bool) net.Listener {
	if !s.expect("RETR " + name) {
		return nil
	}
	dc := s.accept(ln)
	s.send(fmt.Sprintf("150 Opening BINARY mode data connection for %s (%d bytes)", name, len(data)))
	if dc == nil {
		return nil
	}
	io.WriteString(dc, data)
	// Nothing may come on the control connection before the data ends.
	_ = s.conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := s.br.Peek(1); err == nil {
		s.t.Errorf("fake: the client sent %q before the end of the data", s.readLine())
	}
	_ = s.conn.SetReadDeadline(time.Now().Add(guard))
	dc.Close()
	if !next {
		s.send(final)
		return nil
	}
	// The next PASV comes before the final reply is sent.
	l, err := net.Listen("tcp", net.JoinHostPort(s.host, "0"))
	if err != nil {
		s.t.Errorf("fake: listen: %v", err)
		return nil
	}
	if !s.expect("PASV") {
		l.Close()
		return nil
	}
	p := l.Addr().(*net.TCPAddr).Port
	s.send(final, fmt.Sprintf("227 Entering Passive Mode (%s,%d,%d).", strings.ReplaceAll(s.host, ".", ","), p>>8, p&0xff))
	return l
}

// TestRetrManyPipelinesPASV checks the order of RetrMany: each next PASV
// is sent once the current download reached the end of its data and before
// its 226 is read (a client waiting for the 226 first would deadlock the
// script), and the replies are matched in order.
func TestRetrManyPipelinesPASV(t *testing.T) {
	files := []string{"alpha", "beta", "gamma"}
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		for i, name := range files {
			ln = pipelinedRetr(s, ln, name, "data of "+name, "226 done "+name, i+1 < len(files))
		}
		s.reply("NOOP", "200 in step")
	})
	c := dialFake(t, f, nil)
	var bufs [3]bytes.Buffer
	var cmds []string
	for _, name := range files {
		cmds = append(cmds, "RETR "+name)
	}
	n, err := c.RetrMany(ctxT(t), cmds, func(i int) (io.Writer, error) { return &bufs[i], nil })
	if err != nil || n != 3 {
		t.Fatalf("RetrMany: %d, %v", n, err)
	}
	for i, name := range files {
		if got := bufs[i].String(); got != "data of "+name {
			t.Errorf("file %d: %q", i, got)
		}
	}
	if resp, err := c.Noop(ctxT(t)); err != nil || resp != "200 in step" {
		t.Fatalf("Noop: %q, %v", resp, err)
	}
	f.wait()
}

// TestRetrManyFinalErrorWithPASVDue: the first transfer's final reply is
// an error while the next PASV is already sent: RetrMany returns the
// error, and the reply to that PASV is read before the next command, so
// replies stay matched.
func TestRetrManyFinalErrorWithPASVDue(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		ln = pipelinedRetr(s, ln, "a", "aaa", "451 local error", true)
		if ln != nil {
			ln.Close()
		}
		s.reply("NOOP", "200 in step")
		s.reply("PWD", `257 "/" is the current directory`)
	})
	c := dialFake(t, f, nil)
	n, err := c.RetrMany(ctxT(t), []string{"RETR a", "RETR b"}, func(int) (io.Writer, error) { return io.Discard, nil })
	if n != 0 || !errors.Is(err, ErrTemp) {
		t.Fatalf("RetrMany: %d, %v; want 0 and the 451", n, err)
	}
	if resp, err := c.Noop(ctxT(t)); err != nil || resp != "200 in step" {
		t.Fatalf("Noop: %q, %v", resp, err)
	}
	if dir, err := c.Pwd(ctxT(t)); err != nil || dir != "/" {
		t.Fatalf("Pwd: %q, %v", dir, err)
	}
	f.wait()
}

// TestRetrManyPASVDueThenGetResp: a PASV reply due when the caller reads
// a reply itself is not handed out as the caller's.
func TestRetrManyPASVDueThenGetResp(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		ln = pipelinedRetr(s, ln, "a", "aaa", "226 ok", true)
		if ln != nil {
			ln.Close()
		}
		s.send("421 going away")
	})
	c := dialFake(t, f, nil)
	calls := 0
	n, err := c.RetrMany(ctxT(t), []string{"RETR a", "RETR b"}, func(int) (io.Writer, error) {
		if calls++; calls > 1 {
			return nil, errors.New("no room")
		}
		return io.Discard, nil
	})
	if n != 1 || err == nil || err.Error() != "no room" {
		t.Fatalf("RetrMany: %d, %v", n, err)
	}
	_, err = c.GetResp(ctxT(t))
	if !errors.Is(err, ErrTemp) || !strings.Contains(err.Error(), "421") {
		t.Fatalf("GetResp: %v, want the 421 (not the 227 of the PASV sent ahead)", err)
	}
	f.wait()
}

// TestRetrManyErrorNamesTransfer: the final reply read after the next
// PASV went out is still the transfer's, and its error names RETR.
func TestRetrManyErrorNamesTransfer(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		ln = pipelinedRetr(s, ln, "a", "aaa", "451 local error", true)
		if ln != nil {
			ln.Close()
		}
		s.reply("NOOP", "200 in step")
	})
	c := dialFake(t, f, nil)
	_, err := c.RetrMany(ctxT(t), []string{"RETR a", "RETR b"}, func(int) (io.Writer, error) { return io.Discard, nil })
	var e *Error
	if !errors.As(err, &e) || e.Cmd != "RETR a" {
		t.Fatalf("RetrMany: %v, want the 451 of RETR a", err)
	}
	if _, err := c.Noop(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	f.wait()
}
