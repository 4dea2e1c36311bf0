package ftp_test

// FTPS against the real servers of interop/servers.sh, run only with
// FTP_INTEROP=1 (FTP_INTEROP_STRESS=n changes the number of uploads).

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ftplib-go/ftp"
)

func interopEnv(t *testing.T, key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func interopTLSConfig(t *testing.T, maxVersion uint16) *tls.Config {
	t.Helper()
	caFile := interopEnv(t, "FTP_INTEROP_CA", "/var/lib/ftp-interop/tls/ca.pem")
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatalf("reading the interop CA: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("no certificate in %s", caFile)
	}
	return &tls.Config{RootCAs: pool, MinVersion: maxVersion, MaxVersion: maxVersion}
}

type interopServer struct {
	name, addr string
	implicit   bool
	resumes    bool // the server requires data connections to resume
}

var interopTLSServers = []interopServer{
	{"vsftpd-explicit", "127.0.0.1:2122", false, true},
	{"vsftpd-implicit", "127.0.0.1:2123", true, true},
	{"proftpd", "127.0.0.1:2131", false, true},
	{"pure-ftpd", "127.0.0.1:2141", false, false},
}

func interopDial(t *testing.T, ctx context.Context, s interopServer, cfg *tls.Config, active bool) *ftp.FTPS {
	t.Helper()
	d := &ftp.Dialer{Timeout: 20 * time.Second, TLSConfig: cfg, ImplicitTLS: s.implicit, Active: active}
	f, err := d.DialFTPS(ctx, s.addr)
	if err != nil {
		t.Fatalf("DialFTPS %s: %v", s.addr, err)
	}
	t.Cleanup(func() { f.Close() })
	user := interopEnv(t, "FTP_INTEROP_USER", "ftptest")
	pass := interopEnv(t, "FTP_INTEROP_PASS", "ftptest-interop")
	if _, err := f.Login(ctx, user, pass, ""); err != nil {
		t.Fatalf("Login: %v", err)
	}
	if _, err := f.ProtP(ctx); err != nil {
		t.Fatalf("ProtP: %v", err)
	}
	return f
}

// TestInteropTLSStress uploads many files of 300001 random bytes over TLS
// 1.3 in one session to each server, reads each back and compares it, and
// compares the file stored on disk too when the server's tree is readable.
func TestInteropTLSStress(t *testing.T) {
	if os.Getenv("FTP_INTEROP") != "1" {
		t.Skip("FTP_INTEROP=1 runs the tests against the real servers")
	}
	n := 100
	if v, err := strconv.Atoi(os.Getenv("FTP_INTEROP_STRESS")); err == nil && v > 0 {
		n = v
	}
	homes := interopEnv(t, "FTP_INTEROP_HOMES", "/srv/ftptest")
	for _, s := range interopTLSServers {
		if s.name == "pure-ftpd" {
			continue
		}
		t.Run(s.name, func(t *testing.T) {
			ctx := context.Background()
			f := interopDial(t, ctx, s, interopTLSConfig(t, tls.VersionTLS13), false)
			if st, ok := f.TLSConnectionState(); !ok || st.Version != tls.VersionTLS13 {
				t.Fatalf("control connection TLS state %v %x, want TLS 1.3", ok, st.Version)
			}
			prefix := fmt.Sprintf("tlsstress-%d-", os.Getpid())
			data := make([]byte, 300001)
			failures, checked := 0, 0
			_, err := os.Stat(filepath.Join(homes, s.name))
			onDisk := err == nil
			for i := 0; i < n; i++ {
				rand.Read(data)
				want := sha256.Sum256(data)
				name := prefix + strconv.Itoa(i) + ".bin"
				if _, err := f.StorBinary(ctx, "STOR "+name, bytes.NewReader(data)); err != nil {
					t.Errorf("upload %d: %v", i, err)
					failures++
					if failures > 3 {
						t.FailNow()
					}
					continue
				}
				if st, ok := f.DataTLSConnectionState(); !ok || !st.DidResume {
					t.Errorf("upload %d: data connection did not resume the session (ok=%v)", i, ok)
				}
				h := sha256.New()
				if _, err := f.RetrBinary(ctx, "RETR "+name, h); err != nil {
					t.Errorf("download %d: %v", i, err)
					continue
				}
				if got := h.Sum(nil); !bytes.Equal(got, want[:]) {
					t.Errorf("file %d read back differs", i)
				}
				if onDisk {
					disk, err := os.ReadFile(filepath.Join(homes, s.name, name))
					if err != nil {
						t.Errorf("file %d on disk: %v", i, err)
					} else if got := sha256.Sum256(disk); got != want {
						t.Errorf("file %d on disk differs (%d bytes)", i, len(disk))
					} else {
						checked++
					}
				}
				if _, err := f.Delete(ctx, name); err != nil {
					t.Errorf("delete %d: %v", i, err)
				}
			}
			if _, err := f.Quit(ctx); err != nil {
				t.Errorf("Quit: %v", err)
			}
			t.Logf("%s: %d uploads of %d bytes over TLS 1.3, %d failures, %d files checked on disk", s.name, n, len(data), failures, checked)
		})
	}
}

// TestInteropTLSModes runs a listing, an upload (one empty), a download in
// passive and active mode, with TLS 1.2 and 1.3, on every TLS server.
func TestInteropTLSModes(t *testing.T) {
	if os.Getenv("FTP_INTEROP") != "1" {
		t.Skip("FTP_INTEROP=1 runs the tests against the real servers")
	}
	for _, s := range interopTLSServers {
		for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			for _, active := range []bool{false, true} {
				name := fmt.Sprintf("%s/tls%x/active=%v", s.name, v, active)
				t.Run(name, func(t *testing.T) {
					ctx := context.Background()
					f := interopDial(t, ctx, s, interopTLSConfig(t, v), active)
					names, err := f.Nlst(ctx)
					if err != nil {
						t.Fatalf("Nlst: %v", err)
					}
					if len(names) == 0 {
						t.Fatalf("Nlst: no names")
					}
					st, ok := f.DataTLSConnectionState()
					// pure-ftpd resumes with TLS 1.2 only, and never requires it.
					if !ok || st.Version != v || (s.resumes && !st.DidResume) {
						t.Errorf("data TLS: ok=%v version %x resumed %v, want %x, resumed", ok, st.Version, st.DidResume, v)
					}
					file := fmt.Sprintf("tlsmodes-%d-%x-%v.bin", os.Getpid(), v, active)
					for _, size := range []int{0, 70001} {
						data := make([]byte, size)
						rand.Read(data)
						if _, err := f.StorBinary(ctx, "STOR "+file, bytes.NewReader(data)); err != nil {
							t.Fatalf("StorBinary %d bytes: %v", size, err)
						}
						var got bytes.Buffer
						if _, err := f.RetrBinary(ctx, "RETR "+file, &got); err != nil {
							t.Fatalf("RetrBinary: %v", err)
						}
						if !bytes.Equal(got.Bytes(), data) {
							t.Fatalf("read back %d bytes, want the %d uploaded", got.Len(), size)
						}
					}
					if _, err := f.Delete(ctx, file); err != nil {
						t.Errorf("Delete: %v", err)
					}
					if _, err := f.Quit(ctx); err != nil {
						t.Errorf("Quit: %v", err)
					}
				})
			}
		}
	}
}

// TestInteropCCC clears the control connection with CCC where the server
// allows it, then lists a directory over a protected data connection.
func TestInteropCCC(t *testing.T) {
	if os.Getenv("FTP_INTEROP") != "1" {
		t.Skip("FTP_INTEROP=1 runs the tests against the real servers")
	}
	for _, s := range interopTLSServers {
		t.Run(s.name, func(t *testing.T) {
			ctx := context.Background()
			f := interopDial(t, ctx, s, interopTLSConfig(t, 0), false)
			resp, err := f.CCC(ctx)
			if err != nil {
				var e *ftp.Error
				if errors.As(err, &e) {
					t.Skipf("CCC refused: %v", err)
				}
				t.Fatalf("CCC: %v", err)
			}
			t.Logf("CCC: %s", resp)
			if _, err := f.Noop(ctx); err != nil {
				t.Fatalf("Noop after CCC: %v", err)
			}
			if _, err := f.Nlst(ctx); err != nil {
				t.Fatalf("Nlst after CCC: %v", err)
			}
			if _, err := f.Quit(ctx); err != nil {
				t.Fatalf("Quit: %v", err)
			}
		})
	}
}
