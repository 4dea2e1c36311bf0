package ftp_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"testing"

	"github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/ftptest"
)

// failAfterHello is a data socket whose reads fail: the client's TLS
// handshake sends its ClientHello (offering the session to resume) and
// then fails, as when a data connection is reset or aborted mid-handshake.
type failAfterHello struct{ net.Conn }

var errInjected = errors.New("injected data connection failure")

func (c failAfterHello) Read([]byte) (int, error) { return 0, errInjected }

// TestFTPSSessionSurvivesFailedDataHandshake checks that a data
// connection whose resuming handshake fails does not cost the control
// connection its TLS session: crypto/tls then drops the session from the
// cache (Put with nil), and without the session the next data connection
// would make a full handshake, which a server requiring session reuse
// answers with 522 and the end of the control connection.
func TestFTPSSessionSurvivesFailedDataHandshake(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(fmt.Sprintf("tls%x", v), func(t *testing.T) {
			srv := newTLSServer(t, false)
			if err := srv.WriteFile("a", []byte("hello")); err != nil {
				t.Fatal(err)
			}
			var dials, failed atomic.Int32
			var nd net.Dialer
			d := &ftp.Dialer{
				DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
					nc, err := nd.DialContext(ctx, network, addr)
					// Dial 1 is the control connection; dial 3 the second
					// data connection.
					if err == nil && dials.Add(1) == 3 {
						failed.Add(1)
						return failAfterHello{nc}, nil
					}
					return nc, err
				},
			}
			d.TLSConfig = srv.TLSConfig()
			d.TLSConfig.MinVersion, d.TLSConfig.MaxVersion = v, v
			f := dialFTPS(t, srv, d)
			ctx := tlsCtx(t)
			for i := 0; i < 3; i++ {
				var buf bytes.Buffer
				_, err := f.RetrBinary(ctx, "RETR a", &buf)
				if i == 1 {
					if !errors.Is(err, errInjected) {
						t.Fatalf("RetrBinary %d: %v, want the injected failure", i, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("RetrBinary %d: %v", i, err)
				}
				if buf.String() != "hello" {
					t.Fatalf("RetrBinary %d: %q", i, buf.String())
				}
				st, ok := f.DataTLSConnectionState()
				if !ok || !st.DidResume {
					t.Fatalf("RetrBinary %d: data connection resumed %v (ok %v), want resumed", i, st.DidResume, ok)
				}
			}
			if failed.Load() != 1 {
				t.Fatalf("%d data connections failed, want 1", failed.Load())
			}
		})
	}
}

// TestRetrManyFtptest runs RetrMany against ftptest, plain and FTPS with
// session reuse required, with a missing file in the middle: the files
// before it arrive, the error is the 550, and the connection stays in
// step for the rest of the files and a listing.
func TestRetrManyFtptest(t *testing.T) {
	for _, mode := range []string{"plain", "tls12", "tls13", "active"} {
		t.Run(mode, func(t *testing.T) {
			var srv *ftptest.Server
			var c *ftp.Conn
			switch mode {
			case "plain", "active":
				ftp.CheckLeaks(t)
				srv = ftptest.NewServer()
				t.Cleanup(srv.Close)
				d := &ftp.Dialer{Active: mode == "active"}
				var err error
				if c, err = d.Dial(tlsCtx(t), srv.Addr); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { c.Close() })
				if _, err := c.Login(tlsCtx(t), "user", "pass", ""); err != nil {
					t.Fatal(err)
				}
			default:
				srv = newTLSServer(t, false)
				cfg := srv.TLSConfig()
				cfg.MaxVersion = tls.VersionTLS12
				if mode == "tls13" {
					cfg.MaxVersion = tls.VersionTLS13
				}
				c = dialFTPS(t, srv, &ftp.Dialer{TLSConfig: cfg}).Conn
			}
			ctx := tlsCtx(t)
			names := []string{"f0", "f1", "missing", "f3", "f4"}
			for _, n := range names {
				if n != "missing" {
					if err := srv.WriteFile(n, []byte("data "+n)); err != nil {
						t.Fatal(err)
					}
				}
			}
			cmds := func(names []string) []string {
				var out []string
				for _, n := range names {
					out = append(out, "RETR "+n)
				}
				return out
			}
			got := map[string]string{}
			run := func(names []string) (int, error) {
				bufs := make([]bytes.Buffer, len(names))
				n, err := c.RetrMany(ctx, cmds(names), func(i int) (io.Writer, error) { return &bufs[i], nil })
				for i := 0; i < n; i++ {
					got[names[i]] = bufs[i].String()
				}
				return n, err
			}
			n, err := run(names)
			if n != 2 || !errors.Is(err, ftp.ErrPerm) {
				t.Fatalf("RetrMany: %d, %v; want 2 and the 550", n, err)
			}
			if n, err := run(names[3:]); n != 2 || err != nil {
				t.Fatalf("RetrMany of the rest: %d, %v", n, err)
			}
			for _, n := range []string{"f0", "f1", "f3", "f4"} {
				if got[n] != "data "+n {
					t.Errorf("%s: %q", n, got[n])
				}
			}
			list, err := c.Nlst(ctx)
			if err != nil || len(list) != 4 {
				t.Fatalf("Nlst after: %v, %v", list, err)
			}
			if mode != "plain" && mode != "active" {
				checkTransfers(t, srv, 0, 0, false)
			}
		})
	}
}

// TestFTPSRefusedRetrKeepsSession: under PROT P the data connection is
// connected while RETR is sent; when RETR is refused the server closes
// the data port, which must cost neither the control connection nor its
// TLS session.
func TestFTPSRefusedRetrKeepsSession(t *testing.T) {
	srv := newTLSServer(t, false)
	if err := srv.WriteFile("a", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	f := dialFTPS(t, srv, &ftp.Dialer{TLSConfig: srv.TLSConfig()})
	ctx := tlsCtx(t)
	for i := 0; i < 3; i++ {
		if _, err := f.RetrBinary(ctx, "RETR missing", io.Discard); !errors.Is(err, ftp.ErrPerm) {
			t.Fatalf("RetrBinary missing: %v, want the 550", err)
		}
		var buf bytes.Buffer
		if _, err := f.RetrBinary(ctx, "RETR a", &buf); err != nil || buf.String() != "hello" {
			t.Fatalf("RetrBinary a: %q, %v", buf.String(), err)
		}
		if st, ok := f.DataTLSConnectionState(); !ok || !st.DidResume {
			t.Fatalf("data connection resumed %v (ok %v)", st.DidResume, ok)
		}
	}
}
