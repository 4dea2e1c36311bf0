//go:build go1.25

package ftp_test

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"sync"
	"testing"

	"github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/ftptest"
)

// helloLog records the supported curves of every ClientHello an ftptest
// server sees on its data connections (those not to its control port).
type helloLog struct {
	mu     sync.Mutex
	ctrl   string
	curves [][]tls.CurveID
}

func (h *helloLog) config(cfg *tls.Config) *tls.Config {
	cfg.GetConfigForClient = func(chi *tls.ClientHelloInfo) (*tls.Config, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		if chi.Conn.LocalAddr().String() != h.ctrl {
			h.curves = append(h.curves, append([]tls.CurveID(nil), chi.SupportedCurves...))
		}
		return nil, nil
	}
	return cfg
}

// TestFTPSDataCurve checks that the data connections offer the key
// exchange the control connection negotiated, and it alone, so that a
// server accepting only P-256 (as vsftpd and pure-ftpd) needs no
// HelloRetryRequest on each data connection: Go sends its key share for
// the first curve of the ClientHello's list.
func TestFTPSDataCurve(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for _, serverCurves := range [][]tls.CurveID{{tls.CurveP256}, {tls.CurveP384}, nil} {
			t.Run(fmt.Sprintf("tls%x/%v", v, serverCurves), func(t *testing.T) {
				ftp.CheckLeaks(t)
				var log helloLog
				srv := ftptest.NewUnstartedServer()
				srv.RequireSessionReuse = true
				srv.TLS = log.config(&tls.Config{CurvePreferences: serverCurves})
				srv.StartTLS()
				t.Cleanup(srv.Close)
				log.ctrl = srv.Addr
				cfg := srv.TLSConfig()
				cfg.MinVersion, cfg.MaxVersion = v, v
				f := dialFTPS(t, srv, &ftp.Dialer{TLSConfig: cfg})
				st, _ := f.TLSConnectionState()
				if serverCurves != nil && st.CurveID != serverCurves[0] {
					t.Fatalf("control connection negotiated %v, want %v", st.CurveID, serverCurves[0])
				}
				ctx := tlsCtx(t)
				if err := srv.WriteFile("a", []byte("x")); err != nil {
					t.Fatal(err)
				}
				for i := 0; i < 2; i++ {
					if _, err := f.RetrBinary(ctx, "RETR a", new(bytes.Buffer)); err != nil {
						t.Fatalf("RetrBinary: %v", err)
					}
					if _, err := f.Nlst(ctx); err != nil {
						t.Fatalf("Nlst: %v", err)
					}
				}
				log.mu.Lock()
				defer log.mu.Unlock()
				if len(log.curves) != 4 {
					t.Fatalf("%d data ClientHellos seen, want 4", len(log.curves))
				}
				for i, c := range log.curves {
					if len(c) == 0 || c[0] != st.CurveID {
						t.Errorf("data ClientHello %d offers %v first, want the control connection's %v", i, c, st.CurveID)
					}
				}
				checkTransfers(t, srv, 0, v, false)
			})
		}
	}
}
