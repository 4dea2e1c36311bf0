package ftp_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"testing"

	"github.com/ftplib-go/ftp"
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
