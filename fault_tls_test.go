package ftp

import (
	"crypto/tls"
	"errors"
	"testing"

	"github.com/ftplib-go/ftp/ftptest"
)

// The TLS half of the fault matrix in fault_test.go: connections are
// FTPS with the control and data connections protected.

func init() {
	dialFTPSHook = func(t *testing.T, srv *ftptest.Server, d *Dialer) *Conn {
		t.Helper()
		d.TLSConfig = srv.TLSConfig()
		f, err := d.DialFTPS(ctxT(t), srv.Addr)
		if err != nil {
			t.Fatalf("DialFTPS: %v", err)
		}
		t.Cleanup(func() { f.Close() })
		if _, err := f.Login(ctxT(t), "user", "pass", ""); err != nil {
			t.Fatalf("Login: %v", err)
		}
		if _, err := f.ProtP(ctxT(t)); err != nil {
			t.Fatalf("ProtP: %v", err)
		}
		return f.Conn
	}
}

// TestFaultTLSVerifiedByDefault: without a TLSConfig trusting it, the
// test server's certificate is refused and no password is sent.
func TestFaultTLSVerifiedByDefault(t *testing.T) {
	checkLeaks(t)
	srv := ftptest.NewUnstartedServer()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	f, err := (&Dialer{}).DialFTPS(ctxT(t), srv.Addr)
	if err != nil {
		t.Fatalf("DialFTPS: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	_, err = f.Login(ctxT(t), "user", "pass", "")
	var verr *tls.CertificateVerificationError
	if !errors.As(err, &verr) {
		t.Fatalf("Login: %v, want a certificate verification error", err)
	}
	for _, cmd := range srv.Commands() {
		if cmd == "PASS pass" || cmd == "USER user" {
			t.Fatalf("credentials sent over an unverified connection: %q", srv.Commands())
		}
	}
}
