//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package ftp

import (
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
)

// clearOOBInline turns SO_OOBINLINE off, as proftpd has it: a byte sent as
// TCP urgent data is then not part of the stream read with read(2).
func clearOOBInline(t testing.TB, nc net.Conn) {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		t.Errorf("fake: control connection is %T", nc)
		return
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		t.Error(err)
		return
	}
	rc.Control(func(fd uintptr) {
		if err := syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_OOBINLINE, 0); err != nil {
			t.Error(err)
		}
	})
}

// An aborted download must leave a whole "ABOR\r\n" in the control stream of
// a server that does not read urgent data inline (proftpd): with ABOR sent
// as urgent data the LF was lost and the client waited for a reply forever.
func TestAborInBandWithoutOOBInline(t *testing.T) {
	f := newFake(t, func(s *session) {
		clearOOBInline(t, s.conn)
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		s.expect("RETR big")
		dc := s.accept(ln)
		s.send("150 go (16777216 bytes)")
		go io.Copy(dc, strings.NewReader(strings.Repeat("z", 1<<24)))
		if !s.expect("ABOR") {
			return
		}
		dc.Close()
		s.send("426 Transfer aborted. Data connection closed", "226 Abort successful")
		s.reply("NOOP", "200 in step")
	})
	c := dialFake(t, f, nil)
	ctx := ctxT(t)
	d, err := c.Retr(ctx, "RETR big")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(d, make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("early Close: %v", err)
	}
	if _, err := c.Noop(ctx); err != nil {
		t.Fatal(err)
	}
	f.wait()
}

// proftpd over TLS can answer ABOR before the aborted transfer: "226 Abort
// successful" then "426 Transfer aborted". Both orders keep the Conn in
// step, and the transfer's reply is the one reported.
func TestAborRepliesInEitherOrder(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		s.expect("RETR big")
		dc := s.accept(ln)
		s.send("150 go (16777216 bytes)")
		go io.Copy(dc, strings.NewReader(strings.Repeat("z", 1<<24)))
		if !s.expect("ABOR") {
			return
		}
		dc.Close()
		s.send("226 Abort successful", "426 Transfer aborted. Data connection closed")
		s.reply("NOOP", "200 sync") // the client's NOOP after a 2xx to ABOR
		s.reply("NOOP", "200 in step")
	})
	c := dialFake(t, f, nil)
	ctx := ctxT(t)
	d, err := c.Retr(ctx, "RETR big")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(d, make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("early Close: %v", err)
	}
	if got := d.Reply(); got != "426 Transfer aborted. Data connection closed" {
		t.Errorf("Reply = %q, want the transfer's 426", got)
	}
	if resp, err := c.Noop(ctx); err != nil || resp != "200 in step" {
		t.Fatalf("NOOP: %q, %v", resp, err)
	}
	f.wait()
}

// pure-ftpd over TLS may answer ABOR with one reply only ("226 Since you see
// this ABOR must've succeeded"), never sending the transfer's own: the
// client must not wait for a second reply. Its NOOP after the 2xx tells.
func TestAborSingleReply(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		s.expect("RETR big")
		dc := s.accept(ln)
		s.send("150 go (16777216 bytes)")
		go io.Copy(dc, strings.NewReader(strings.Repeat("z", 1<<24)))
		if !s.expect("ABOR") {
			return
		}
		dc.Close()
		s.send("226 Since you see this ABOR must've succeeded")
		s.reply("NOOP", "200 sync")
		s.reply("NOOP", "200 in step")
	})
	c := dialFake(t, f, nil)
	ctx := ctxT(t)
	d, err := c.Retr(ctx, "RETR big")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(d, make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("early Close: %v", err)
	}
	if got := d.Reply(); got != "226 Since you see this ABOR must've succeeded" {
		t.Errorf("Reply = %q", got)
	}
	if resp, err := c.Noop(ctx); err != nil || resp != "200 in step" {
		t.Fatalf("NOOP: %q, %v", resp, err)
	}
	f.wait()
}
