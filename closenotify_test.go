package ftp_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/ftptest"
)

// A protected data connection that ends with a TCP close but no TLS
// close_notify may have been cut short: without a size announced by the
// 150 reply, the download is an error wrapping io.ErrUnexpectedEOF.

const noSize = "150 Opening BINARY mode data connection."

func newNoCloseNotifyServer(t *testing.T, f ftptest.Fault) (*ftptest.Server, *ftp.FTPS, []byte) {
	return newNoCloseNotifyServerMode(t, f, false)
}

func newNoCloseNotifyServerMode(t *testing.T, f ftptest.Fault, active bool) (*ftptest.Server, *ftp.FTPS, []byte) {
	t.Helper()
	srv := newTLSServer(t, false)
	data := bytes.Repeat([]byte("0123456789abcdef\n"), 4096)
	if err := srv.WriteFile("f.bin", data); err != nil {
		t.Fatal(err)
	}
	if err := srv.WriteFile("dir/a.txt", []byte("a")); err != nil {
		t.Fatal(err)
	}
	f.NoCloseNotify = true
	srv.AddFault(f)
	return srv, dialFTPS(t, srv, &ftp.Dialer{TLSConfig: srv.TLSConfig(), Active: active}), data
}

// stillInStep checks that the Conn is usable after the failed transfer:
// a clean download of the same file works.
func stillInStep(t *testing.T, srv *ftptest.Server, f *ftp.FTPS, want []byte) {
	t.Helper()
	srv.ClearFaults()
	var buf bytes.Buffer
	if _, err := f.RetrBinary(tlsCtx(t), "RETR f.bin", &buf); err != nil {
		t.Fatalf("RETR after the failure: %v", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("RETR after the failure: %d bytes, want %d", buf.Len(), len(want))
	}
}

func TestNoCloseNotifyRetrBinary(t *testing.T) {
	for _, active := range []bool{false, true} {
		t.Run(map[bool]string{false: "passive", true: "active"}[active], func(t *testing.T) {
			srv, f, data := newNoCloseNotifyServerMode(t, ftptest.Fault{Command: "RETR", Prelim: noSize}, active)
			var buf bytes.Buffer
			_, err := f.RetrBinary(tlsCtx(t), "RETR f.bin", &buf)
			if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "close_notify") {
				t.Fatalf("RetrBinary without close_notify: %v, want io.ErrUnexpectedEOF", err)
			}
			stillInStep(t, srv, f, data)
		})
	}
}

func TestNoCloseNotifyRetrBlocks(t *testing.T) {
	srv, f, data := newNoCloseNotifyServer(t, ftptest.Fault{Command: "RETR", Prelim: noSize})
	_, err := f.RetrBinary(tlsCtx(t), "RETR f.bin", io.Discard, ftp.BlockSize(1000))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("RetrBinary (BlockSize) without close_notify: %v, want io.ErrUnexpectedEOF", err)
	}
	stillInStep(t, srv, f, data)
}

// With the size announced and every byte received, the missing
// close_notify does not matter.
func TestNoCloseNotifySizeAnnounced(t *testing.T) {
	_, f, data := newNoCloseNotifyServer(t, ftptest.Fault{Command: "RETR"})
	var buf bytes.Buffer
	if _, err := f.RetrBinary(tlsCtx(t), "RETR f.bin", &buf); err != nil {
		t.Fatalf("RetrBinary, size announced: %v", err)
	}
	if !bytes.Equal(buf.Bytes(), data) {
		t.Fatalf("got %d bytes, want %d", buf.Len(), len(data))
	}
	// RetrLines counts the bytes on the wire, not the lines' contents.
	n := 0
	if _, err := f.RetrLines(tlsCtx(t), "RETR f.bin", func(string) error { n++; return nil }); err != nil {
		t.Fatalf("RetrLines, size announced: %v", err)
	}
	if n != 4096 {
		t.Fatalf("RetrLines: %d lines, want 4096", n)
	}
}

// A size announced but not reached is an error too (REST: not checked
// otherwise).
func TestNoCloseNotifyShortOfSize(t *testing.T) {
	srv, f, data := newNoCloseNotifyServer(t, ftptest.Fault{Command: "RETR",
		Prelim: "150 Opening BINARY mode data connection for f.bin (999999 bytes)."})
	_, err := f.RetrBinary(tlsCtx(t), "RETR f.bin", io.Discard, ftp.Rest(10))
	if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "of 999999 bytes") {
		t.Fatalf("RetrBinary short of the announced size: %v, want io.ErrUnexpectedEOF", err)
	}
	stillInStep(t, srv, f, data)
}

func TestNoCloseNotifyRetrRead(t *testing.T) {
	srv, f, data := newNoCloseNotifyServer(t, ftptest.Fault{Command: "RETR", Prelim: noSize})
	d, err := f.Retr(tlsCtx(t), "RETR f.bin")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(d)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("reading the data: %v, want io.ErrUnexpectedEOF", err)
	}
	if len(got) != len(data) {
		t.Errorf("read %d bytes, want %d (all were sent)", len(got), len(data))
	}
	if err := d.Close(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("Close: %v, want io.ErrUnexpectedEOF", err)
	}
	if !strings.HasPrefix(d.Reply(), "226") {
		t.Errorf("Reply %q, want the 226 read", d.Reply())
	}
	stillInStep(t, srv, f, data)
}

// When the server also reports a failure, both errors are returned.
func TestNoCloseNotifyAndFailure(t *testing.T) {
	srv, f, data := newNoCloseNotifyServer(t, ftptest.Fault{Command: "RETR", Prelim: noSize,
		Final: "451 Local error in processing."})
	_, err := f.RetrBinary(tlsCtx(t), "RETR f.bin", io.Discard)
	var fe *ftp.Error
	if !errors.Is(err, io.ErrUnexpectedEOF) || !errors.Is(err, ftp.ErrTemp) || !errors.As(err, &fe) || fe.Code != 451 {
		t.Fatalf("RetrBinary: %v, want io.ErrUnexpectedEOF and the 451", err)
	}
	stillInStep(t, srv, f, data)
}

func TestNoCloseNotifyListings(t *testing.T) {
	for _, verb := range []string{"LIST", "NLST", "MLSD"} {
		t.Run(verb, func(t *testing.T) {
			srv, f, data := newNoCloseNotifyServer(t, ftptest.Fault{Command: verb})
			ctx := tlsCtx(t)
			var err error
			switch verb {
			case "LIST":
				err = f.Dir(ctx, func(string) error { return nil }, "dir")
			case "NLST":
				_, err = f.Nlst(ctx, "dir")
			case "MLSD":
				for _, e := range f.Mlsd(ctx, "dir") {
					if e != nil {
						err = e
						break
					}
				}
			}
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("%s without close_notify: %v, want io.ErrUnexpectedEOF", verb, err)
			}
			stillInStep(t, srv, f, data)
		})
	}
}
