package ftp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tests of the client against hostile or failing peers on the scripted
// fake server: keepalive, cancellation in every kind of wait, the EPSV
// fallback, concurrency. The fault matrix against ftptest is in
// fault_test.go. Every test checks for leaks.

// slowData writes chunks on dc with a pause before each, then closes it.
func slowData(t testing.TB, dc net.Conn, pause time.Duration, chunks ...string) {
	if dc == nil {
		return
	}
	defer dc.Close()
	for _, ch := range chunks {
		time.Sleep(pause)
		if _, err := io.WriteString(dc, ch); err != nil {
			t.Errorf("fake: data write: %v", err)
			return
		}
	}
}

// answerNoopsUntil answers every NOOP with "200 noop" until cmd arrives,
// which it answers with reply; it returns the number of NOOPs.
func answerNoopsUntil(s *session, cmd, reply string) int {
	n := 0
	for {
		l := s.readLine()
		switch l {
		case "NOOP\r\n":
			n++
			s.send("200 noop")
		case cmd + "\r\n":
			s.send(reply)
			return n
		default:
			s.t.Errorf("fake: got %q while waiting for %q", l, cmd)
			return n
		}
	}
}

func TestKeepAliveRepliesAfterFinal(t *testing.T) {
	checkLeaks(t)
	noops := make(chan int, 1)
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		s.expect("RETR big")
		dc := s.accept(ln)
		s.send("150 go")
		// Like many servers, this one does not read the control
		// connection during the transfer: the NOOPs are answered after
		// the 226.
		slowData(t, dc, 60*time.Millisecond, "one", "two", "three", "four")
		s.send("226 done")
		noops <- answerNoopsUntil(s, "SYST", "215 in step")
	})
	c := dialFake(t, f, &Dialer{NoopInterval: 20 * time.Millisecond})
	var buf bytes.Buffer
	resp, err := c.RetrBinary(ctxT(t), "RETR big", &buf)
	if err != nil || resp != "226 done" || buf.String() != "onetwothreefour" {
		t.Fatalf("RetrBinary = %q, %v, data %q", resp, err, buf.String())
	}
	if resp, err := c.SendCmd(ctxT(t), "SYST"); err != nil || resp != "215 in step" {
		t.Fatalf("SYST = %q, %v: replies out of step", resp, err)
	}
	if n := <-noops; n == 0 {
		t.Errorf("no NOOP was sent during a 240 ms transfer with a 20 ms interval")
	}
}

func TestKeepAliveRepliesInterleaved(t *testing.T) {
	checkLeaks(t)
	noops := make(chan int, 1)
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		s.expect("STOR up")
		dc := s.accept(ln)
		s.send("150 go")
		// Answer the NOOPs while the upload runs, as ftptest and some
		// servers do, then the 226, then any NOOP sent at the very end.
		done := make(chan string, 1)
		go func() { done <- recvData(t, dc) }()
		n := 0
		for {
			_ = s.conn.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
			l := s.readLine()
			if l == "NOOP\r\n" {
				n++
				s.send("200 noop")
				continue
			}
			if l != "" {
				t.Errorf("fake: got %q", l)
			}
			select {
			case data := <-done:
				if data != "abcdef" {
					t.Errorf("fake: received %q", data)
				}
				_ = s.conn.SetReadDeadline(time.Now().Add(guard))
				s.send("226 stored")
				noops <- n + answerNoopsUntil(s, "SYST", "215 in step")
				return
			default:
			}
		}
	})
	c := dialFake(t, f, &Dialer{NoopInterval: 15 * time.Millisecond})
	pr, pw := io.Pipe()
	go func() {
		for _, ch := range []string{"ab", "cd", "ef"} {
			time.Sleep(60 * time.Millisecond)
			pw.Write([]byte(ch))
		}
		pw.Close()
	}()
	resp, err := c.StorBinary(ctxT(t), "STOR up", pr)
	if err != nil || resp != "226 stored" {
		t.Fatalf("StorBinary = %q, %v", resp, err)
	}
	if resp, err := c.SendCmd(ctxT(t), "SYST"); err != nil || resp != "215 in step" {
		t.Fatalf("SYST = %q, %v: replies out of step", resp, err)
	}
	if n := <-noops; n == 0 {
		t.Errorf("no NOOP was sent")
	}
}

func TestKeepAliveFailedTransfer(t *testing.T) {
	checkLeaks(t)
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		s.expect("RETR f")
		dc := s.accept(ln)
		s.send("150 go")
		slowData(t, dc, 50*time.Millisecond, "x", "y", "z")
		// The NOOP replies come first here, then the transfer's 426.
		time.Sleep(20 * time.Millisecond)
		n := 0
		for {
			_ = s.conn.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			if s.readLine() != "NOOP\r\n" {
				break
			}
			n++
		}
		_ = s.conn.SetReadDeadline(time.Now().Add(guard))
		for i := 0; i < n; i++ {
			s.send("200 noop")
		}
		s.send("426 connection lost")
		answerNoopsUntil(s, "SYST", "215 in step")
	})
	c := dialFake(t, f, &Dialer{NoopInterval: 10 * time.Millisecond})
	var buf bytes.Buffer
	_, err := c.RetrBinary(ctxT(t), "RETR f", &buf)
	var e *Error
	if !errors.Is(err, ErrTemp) || !errors.As(err, &e) || e.Code != 426 {
		t.Fatalf("RetrBinary: %v, want the 426 (data %q)", err, buf.String())
	}
	if resp, err := c.SendCmd(ctxT(t), "SYST"); err != nil || resp != "215 in step" {
		t.Fatalf("SYST = %q, %v: replies out of step", resp, err)
	}
}

func TestKeepAliveOffSendsNothing(t *testing.T) {
	checkLeaks(t)
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		s.expect("RETR f")
		dc := s.accept(ln)
		s.send("150 go")
		slowData(t, dc, 30*time.Millisecond, "a", "b")
		s.send("226 done")
		s.reply("SYST", "215 in step")
	})
	c := dialFake(t, f, nil)
	if _, err := c.RetrBinary(ctxT(t), "RETR f", io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendCmd(ctxT(t), "SYST"); err != nil {
		t.Fatal(err)
	}
	f.wait()
	if strings.Contains(f.received(), "NOOP") {
		t.Errorf("NOOP sent with a zero NoopInterval:\n%s", f.received())
	}
}

func TestEPSVDialFallsBackToPASV(t *testing.T) {
	checkLeaks(t)
	f := newFakeNet(t, "tcp6", func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		// EPSV advertises a port nobody listens on.
		dead, err := net.Listen("tcp", "[::1]:0")
		if err != nil {
			t.Errorf("listen: %v", err)
			return
		}
		port := dead.Addr().(*net.TCPAddr).Port
		dead.Close()
		s.reply("EPSV", fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", port))
		ln := s.pasvAt("127.0.0.1", "::1")
		s.expect("RETR a")
		dc := s.accept(ln)
		s.send("150 go")
		sendData(t, dc, "via pasv")
		s.send("226 ok")
		// PASV is remembered.
		ln = s.pasvAt("127.0.0.1", "::1")
		s.expect("RETR b")
		dc = s.accept(ln)
		s.send("150 go")
		sendData(t, dc, "again")
		s.send("226 ok")
	})
	c := dialFake(t, f, nil)
	for name, want := range map[string]string{"a": "via pasv"} {
		var buf bytes.Buffer
		if _, err := c.RetrBinary(ctxT(t), "RETR "+name, &buf); err != nil || buf.String() != want {
			t.Fatalf("RETR %s: %v, %q", name, err, buf.String())
		}
	}
	var buf bytes.Buffer
	if _, err := c.RetrBinary(ctxT(t), "RETR b", &buf); err != nil || buf.String() != "again" {
		t.Fatalf("RETR b: %v, %q", err, buf.String())
	}
}

func TestEPSVDialFailsBothWays(t *testing.T) {
	checkLeaks(t)
	f := newFakeNet(t, "tcp6", func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		dead, err := net.Listen("tcp", "[::1]:0")
		if err != nil {
			t.Errorf("listen: %v", err)
			return
		}
		port := dead.Addr().(*net.TCPAddr).Port
		dead.Close()
		s.reply("EPSV", fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", port))
		s.reply("PASV", "502 PASV not on IPv6")
		s.reply("SYST", "215 in step")
	})
	c := dialFake(t, f, nil)
	_, err := c.RetrBinary(ctxT(t), "RETR a", io.Discard)
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "dial" {
		t.Fatalf("RetrBinary: %v, want the EPSV dial error", err)
	}
	if resp, err := c.SendCmd(ctxT(t), "SYST"); err != nil || resp != "215 in step" {
		t.Fatalf("SYST = %q, %v", resp, err)
	}
}

// cancelAfter returns a ctx that is cancelled once the client has sent
// marker on f's control connection (plus a short pause), and a channel
// closed when it is.
func cancelAfter(t *testing.T, f *fakeServer, marker string) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() {
		end := time.Now().Add(guard)
		for !strings.Contains(f.received(), marker) && time.Now().Before(end) {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(30 * time.Millisecond)
		cancel()
	}()
	return ctx
}

// returnsWithin runs f and fails the test if it does not return within
// the hang guard.
func returnsWithin(t *testing.T, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(guard):
		t.Fatal("call did not return after cancellation")
		return nil
	}
}

func TestCancelDuringDial(t *testing.T) {
	checkLeaks(t)
	// A listener that never accepts: the TCP handshake completes (the
	// backlog), but no welcome ever comes.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	err = returnsWithin(t, func() error {
		c, err := Dial(ctx, ln.Addr().String())
		if err == nil {
			c.Close()
		}
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Dial: %v, want context.Canceled", err)
	}
	// Dialing through a hook that blocks until ctx ends.
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	d := &Dialer{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	err = returnsWithin(t, func() error { _, err := d.Dial(ctx, "192.0.2.1:21"); return err })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Dial via hook: %v, want context.Canceled", err)
	}
}

func TestCancelDuringLogin(t *testing.T) {
	checkLeaks(t)
	release := make(chan struct{})
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("USER u", "331 password")
		s.expect("PASS p")
		<-release
	})
	defer close(release)
	c := dialFake(t, f, nil)
	ctx := cancelAfter(t, f, "PASS")
	err := returnsWithin(t, func() error { _, err := c.Login(ctx, "u", "p", ""); return err })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Login: %v, want context.Canceled", err)
	}
	// The reply to PASS is still due: the Conn cannot be in step.
	if _, err := c.Noop(ctxT(t)); !errors.Is(err, ErrClosed) || !errors.Is(err, context.Canceled) {
		t.Fatalf("next call: %v, want ErrClosed wrapping the cancellation", err)
	}
}

func TestCancelDuringPreliminaryReply(t *testing.T) {
	checkLeaks(t)
	release := make(chan struct{})
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		s.expect("RETR f")
		dc := s.accept(ln)
		<-release // the 150 never comes
		if dc != nil {
			dc.Close()
		}
	})
	defer close(release)
	c := dialFake(t, f, nil)
	ctx := cancelAfter(t, f, "RETR f")
	var buf bytes.Buffer
	err := returnsWithin(t, func() error { _, err := c.RetrBinary(ctx, "RETR f", &buf); return err })
	if !errors.Is(err, context.Canceled) || buf.Len() != 0 {
		t.Fatalf("RetrBinary: %v (%d bytes), want context.Canceled", err, buf.Len())
	}
	if _, err := c.Noop(ctxT(t)); !errors.Is(err, ErrClosed) {
		t.Fatalf("next call: %v, want ErrClosed", err)
	}
}

func TestCancelDuringFinalReply(t *testing.T) {
	checkLeaks(t)
	release := make(chan struct{})
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		s.expect("STOR f")
		dc := s.accept(ln)
		s.send("150 go")
		recvData(t, dc)
		<-release // the 226 never comes
	})
	defer close(release)
	c := dialFake(t, f, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(100*time.Millisecond, cancel)
	err := returnsWithin(t, func() error {
		_, err := c.StorBinary(ctx, "STOR f", strings.NewReader("data"))
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("StorBinary: %v, want context.Canceled", err)
	}
	if _, err := c.Noop(ctxT(t)); !errors.Is(err, ErrClosed) {
		t.Fatalf("next call: %v, want ErrClosed", err)
	}
}

// TestCancelMidTransfer cancels uploads and downloads while data flows,
// in both modes: the call returns the cancellation, ABOR is sent and its
// replies read, and the Conn is in step for the next call.
func TestCancelMidTransfer(t *testing.T) {
	for _, upload := range []bool{false, true} {
		for _, active := range []bool{false, true} {
			name := fmt.Sprintf("upload=%v/active=%v", upload, active)
			t.Run(name, func(t *testing.T) {
				checkLeaks(t)
				testCancelMidTransfer(t, upload, active)
			})
		}
	}
}

func testCancelMidTransfer(t *testing.T, upload, active bool) {
	cmd := "RETR f"
	if upload {
		cmd = "STOR f"
	}
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		var dc net.Conn
		if active {
			l := s.readLine()
			addr, err := parsePORT(l)
			if err != nil {
				t.Errorf("fake: %v", err)
				return
			}
			s.send("200 PORT ok")
			s.expect(cmd)
			s.send("150 go")
			dc, err = net.DialTimeout("tcp", addr, guard)
			if err != nil {
				t.Errorf("fake: dial: %v", err)
				return
			}
		} else {
			ln := s.pasv()
			s.expect(cmd)
			dc = s.accept(ln)
			s.send("150 go")
		}
		if dc == nil {
			return
		}
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Move some data, then hold the connection open.
			if upload {
				io.Copy(io.Discard, dc)
			} else {
				dc.Write(bytes.Repeat([]byte("x"), 1000))
				io.Copy(io.Discard, dc)
			}
		}()
		s.expect("ABOR")
		dc.Close()
		wg.Wait()
		s.send("426 Transfer aborted", "226 ABOR successful")
		s.reply("SYST", "215 in step")
	})
	c := dialFake(t, f, &Dialer{Active: active})
	ctx := cancelAfter(t, f, cmd)
	var n int
	err := returnsWithin(t, func() error {
		var err error
		if upload {
			r := &slowReader{n: &n}
			_, err = c.StorBinary(ctx, cmd, r)
		} else {
			w := writerFunc(func(p []byte) (int, error) { n += len(p); return len(p), nil })
			_, err = c.RetrBinary(ctx, cmd, w)
		}
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("%s: %v, want context.Canceled", cmd, err)
	}
	if resp, err := c.SendCmd(ctxT(t), "SYST"); err != nil || resp != "215 in step" {
		t.Fatalf("SYST after the cancelled transfer = %q, %v: want the Conn in step", resp, err)
	}
}

// slowReader yields a small block every few milliseconds, forever.
type slowReader struct{ n *int }

func (r *slowReader) Read(p []byte) (int, error) {
	time.Sleep(5 * time.Millisecond)
	if len(p) > 100 {
		p = p[:100]
	}
	for i := range p {
		p[i] = 'u'
	}
	*r.n += len(p)
	return len(p), nil
}

func TestCancelStreamingCloseReportsIt(t *testing.T) {
	checkLeaks(t)
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		s.expect("STOR f")
		dc := s.accept(ln)
		s.send("150 go")
		s.expect("ABOR")
		recvData(t, dc)
		s.send("426 aborted", "226 ok")
		s.reply("SYST", "215 in step")
	})
	c := dialFake(t, f, nil)
	ctx, cancel := context.WithCancel(context.Background())
	dc, err := c.Stor(ctx, "STOR f")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dc.Write([]byte("part")); err != nil {
		t.Fatal(err)
	}
	cancel()
	// An upload cut by its ctx must never look complete.
	if err := dc.Close(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close after cancel: %v, want context.Canceled", err)
	}
	if err := dc.Close(); !errors.Is(err, context.Canceled) {
		t.Fatalf("second Close: %v", err)
	}
	if resp, err := c.SendCmd(ctxT(t), "SYST"); err != nil || resp != "215 in step" {
		t.Fatalf("SYST = %q, %v", resp, err)
	}
}

func TestConcurrentCallsGetErrBusy(t *testing.T) {
	checkLeaks(t)
	release := make(chan struct{})
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.expect("STAT")
		<-release
		s.send("211 status")
		s.reply("SYST", "215 in step")
	})
	c := dialFake(t, f, nil)
	done := make(chan error, 1)
	go func() { _, err := c.SendCmd(ctxT(t), "STAT"); done <- err }()
	waitReceived(t, f, "STAT")
	for _, call := range []func() error{
		func() error { _, err := c.Noop(ctxT(t)); return err },
		func() error { _, err := c.RetrBinary(ctxT(t), "RETR x", io.Discard); return err },
		func() error { _, err := c.Size(ctxT(t), "x"); return err },
		func() error { _, err := c.Retr(ctxT(t), "RETR x"); return err },
	} {
		if err := call(); !errors.Is(err, ErrBusy) {
			t.Errorf("concurrent call: %v, want ErrBusy", err)
		}
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("STAT: %v", err)
	}
	if resp, err := c.SendCmd(ctxT(t), "SYST"); err != nil || resp != "215 in step" {
		t.Fatalf("SYST = %q, %v", resp, err)
	}
	f.wait()
	if strings.Contains(f.received(), "RETR") || strings.Contains(f.received(), "SIZE") {
		t.Errorf("a refused call reached the wire:\n%s", f.received())
	}
}

func TestPasswordNeverInDebugOutput(t *testing.T) {
	checkLeaks(t)
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("USER u", "331 password")
		s.reply("PASS s3cr3t", "230 ok")
	})
	var out bytes.Buffer
	c := dialFake(t, f, &Dialer{Debug: 3, DebugOutput: &out})
	if _, err := c.Login(ctxT(t), "u", "s3cr3t", ""); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "s3cr3t") || !strings.Contains(out.String(), "PASS ******") {
		t.Errorf("debug output:\n%s", out.String())
	}
}

// sendSplit writes each line (with CRLF) one byte per TCP segment.
func sendSplit(s *session, lines ...string) {
	for _, l := range lines {
		for _, b := range []byte(l + "\r\n") {
			if _, err := s.conn.Write([]byte{b}); err != nil {
				s.t.Errorf("fake: send: %v", err)
				return
			}
			time.Sleep(200 * time.Microsecond)
		}
	}
}

func TestRepliesSplitAcrossSegments(t *testing.T) {
	f := newFake(t, func(s *session) {
		sendSplit(s, "220-multi", "220 line welcome")
		s.expect("TYPE I")
		sendSplit(s, "200 binary")
		s.expect("PASV")
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Errorf("listen: %v", err)
			return
		}
		p := ln.Addr().(*net.TCPAddr).Port
		sendSplit(s, fmt.Sprintf("227 Entering Passive Mode (127,0,0,1,%d,%d).", p>>8, p&0xff))
		s.expect("RETR f")
		dc := s.accept(ln)
		sendSplit(s, "150-Opening", "150 data (5 bytes)")
		sendData(t, dc, "hello")
		sendSplit(s, "226-Transfer", " 226 not the end", "226 complete")
		s.expect("SYST")
		sendSplit(s, "215 in step")
	})
	c := dialFake(t, f, nil)
	if c.Welcome() != "220-multi\n220 line welcome" {
		t.Errorf("welcome %q", c.Welcome())
	}
	var buf bytes.Buffer
	resp, err := c.RetrBinary(ctxT(t), "RETR f", &buf)
	if err != nil || resp != "226-Transfer\n 226 not the end\n226 complete" || buf.String() != "hello" {
		t.Fatalf("RetrBinary = %q, %v, %q", resp, err, buf.String())
	}
	if resp, err := c.SendCmd(ctxT(t), "SYST"); err != nil || resp != "215 in step" {
		t.Fatalf("SYST = %q, %v", resp, err)
	}
}
