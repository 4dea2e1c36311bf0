package ftp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ftplib-go/ftp/ftptest"
)

// Tests of the kernel-copy paths (splice, sendfile) of DataConn.WriteTo and
// ReadFrom when a Dialer.Timeout is set: the copy runs in slices, each under
// a fresh deadline.

func zeroCopyConn(t *testing.T, srv *ftptest.Server, timeout time.Duration) *Conn {
	t.Helper()
	c, err := (&Dialer{Timeout: timeout}).Dial(ctxT(t), srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Login(ctxT(t), "user", "pass", ""); err != nil {
		t.Fatal(err)
	}
	return c
}

// A file several slices long, and not a multiple of the slice, crosses
// intact in both directions between *os.File and the data socket.
func TestZeroCopyWithTimeoutRoundTrip(t *testing.T) {
	checkLeaks(t)
	srv := ftptest.NewServer()
	t.Cleanup(srv.Close)
	c := zeroCopyConn(t, srv, 10*time.Second)

	payload := make([]byte, 3*zeroCopySlice+12345)
	rand.New(rand.NewSource(1)).Read(payload)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	if err := os.WriteFile(in, payload, 0o600); err != nil {
		t.Fatal(err)
	}

	src, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := c.StorBinary(ctxT(t), "STOR big", src); err != nil {
		t.Fatalf("StorBinary: %v", err)
	}
	stored, err := srv.ReadFile("big")
	if err != nil || !bytes.Equal(stored, payload) {
		t.Fatalf("server holds %d bytes (err %v), want the %d sent", len(stored), err, len(payload))
	}

	dst, err := os.Create(filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if _, err := c.RetrBinary(ctxT(t), "RETR big", dst); err != nil {
		t.Fatalf("RetrBinary: %v", err)
	}
	got, err := os.ReadFile(dst.Name())
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("downloaded %d bytes (err %v), want %d identical", len(got), err, len(payload))
	}
	if _, err := c.Noop(ctxT(t)); err != nil {
		t.Fatalf("Conn not in step: %v", err)
	}
}

// A data connection that goes silent in the middle of a kernel copy fails
// with a timeout after Dialer.Timeout, and the short file is not a success.
func TestZeroCopyWithTimeoutStall(t *testing.T) {
	checkLeaks(t)
	srv := ftptest.NewServer()
	t.Cleanup(srv.Close)
	payload := bytes.Repeat([]byte("0123456789abcdef"), zeroCopySlice/8)
	if err := srv.WriteFile("big", payload); err != nil {
		t.Fatal(err)
	}
	srv.AddFault(ftptest.Fault{Command: "RETR", StallData: true, CutAfter: zeroCopySlice + 100})
	c := zeroCopyConn(t, srv, 300*time.Millisecond)

	dst, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = c.RetrBinary(ctx, "RETR big", dst)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("RetrBinary on a stalled data connection: %v, want a timeout", err)
	}
	if ctx.Err() != nil {
		t.Fatalf("the hang guard fired, not Dialer.Timeout")
	}
	if n, _ := dst.Seek(0, io.SeekEnd); n != zeroCopySlice+100 {
		t.Fatalf("wrote %d bytes before the stall, want %d", n, zeroCopySlice+100)
	}
}
