package ftp_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/ftptest"
)

// tlsHang guards every FTPS test call against a hang.
const tlsHang = 10 * time.Second

func tlsCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), tlsHang)
	t.Cleanup(cancel)
	return ctx
}

// newTLSServer starts an explicit (or implicit) FTPS ftptest server that
// requires data connections to resume the control connection's session.
func newTLSServer(t *testing.T, implicit bool) *ftptest.Server {
	ftp.CheckLeaks(t)
	t.Helper()
	srv := ftptest.NewUnstartedServer()
	srv.RequireSessionReuse = true
	if implicit {
		srv.StartImplicitTLS()
	} else {
		srv.StartTLS()
	}
	t.Cleanup(srv.Close)
	return srv
}

// dialFTPS connects to srv, logs in with FTPS.Login and turns PROT P on.
func dialFTPS(t *testing.T, srv *ftptest.Server, d *ftp.Dialer) *ftp.FTPS {
	t.Helper()
	ctx := tlsCtx(t)
	f, err := d.DialFTPS(ctx, srv.Addr)
	if err != nil {
		t.Fatalf("DialFTPS: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	if _, err := f.Login(ctx, "user", "pass", ""); err != nil {
		t.Fatalf("Login: %v", err)
	}
	if _, err := f.ProtP(ctx); err != nil {
		t.Fatalf("ProtP: %v", err)
	}
	return f
}

// checkTransfers checks that every data connection srv recorded from
// index from on was protected with version, resumed the session, was not
// aborted and, for an upload, ended with a close_notify.
func checkTransfers(t *testing.T, srv *ftptest.Server, from int, version uint16, active bool) []ftptest.Transfer {
	t.Helper()
	recs := srv.Transfers()[from:]
	if len(recs) == 0 {
		t.Fatalf("no data connection recorded")
	}
	for _, r := range recs {
		if !r.TLS || !r.DidResume || r.Aborted || r.Active != active || (version != 0 && r.TLSVersion != version) {
			t.Errorf("%q: TLS %v (version %x) resumed %v aborted %v active %v; want TLS %x, resumed, complete, active %v",
				r.Command, r.TLS, r.TLSVersion, r.DidResume, r.Aborted, r.Active, version, active)
		}
		upload := strings.HasPrefix(r.Command, "STOR") || strings.HasPrefix(r.Command, "APPE")
		if upload && !r.CloseNotify {
			t.Errorf("%q: upload ended without close_notify", r.Command)
		}
	}
	return recs
}

// TestFTPSTransfers runs downloads, uploads (an empty one too) and
// listings over protected data connections, passive and active, TLS 1.2
// and 1.3, several in one session, against a server that requires session
// reuse; every data connection must be TLS and resume the session.
func TestFTPSTransfers(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for _, active := range []bool{false, true} {
			for _, timeout := range []time.Duration{0, tlsHang} {
				name := fmt.Sprintf("tls%x/active=%v/timeout=%v", v, active, timeout > 0)
				t.Run(name, func(t *testing.T) {
					srv := newTLSServer(t, false)
					cfg := srv.TLSConfig()
					cfg.MinVersion, cfg.MaxVersion = v, v
					f := dialFTPS(t, srv, &ftp.Dialer{TLSConfig: cfg, Active: active, Timeout: timeout})
					ctx := tlsCtx(t)
					if st, ok := f.TLSConnectionState(); !ok || st.Version != v {
						t.Fatalf("control TLS state ok=%v version %x, want %x", ok, st.Version, v)
					}
					data := bytes.Repeat([]byte("0123456789abcdef\n"), 20000)
					for i := 0; i < 3; i++ {
						name := fmt.Sprintf("f%d.bin", i)
						if _, err := f.StorBinary(ctx, "STOR "+name, bytes.NewReader(data[i:])); err != nil {
							t.Fatalf("StorBinary %s: %v", name, err)
						}
						if got, err := srv.ReadFile(name); err != nil || !bytes.Equal(got, data[i:]) {
							t.Fatalf("stored %s: %d bytes, err %v; want %d bytes", name, len(got), err, len(data[i:]))
						}
						var buf bytes.Buffer
						if _, err := f.RetrBinary(ctx, "RETR "+name, &buf); err != nil {
							t.Fatalf("RetrBinary %s: %v", name, err)
						}
						if !bytes.Equal(buf.Bytes(), data[i:]) {
							t.Fatalf("RetrBinary %s: %d bytes differ from the %d stored", name, buf.Len(), len(data[i:]))
						}
						st, ok := f.DataTLSConnectionState()
						if !ok || !st.DidResume || st.Version != v {
							t.Fatalf("data TLS state ok=%v resumed %v version %x", ok, st.DidResume, st.Version)
						}
					}
					// Zero-byte files both ways.
					if _, err := f.StorBinary(ctx, "STOR empty", bytes.NewReader(nil)); err != nil {
						t.Fatalf("empty StorBinary: %v", err)
					}
					if got, err := srv.ReadFile("empty"); err != nil || len(got) != 0 {
						t.Fatalf("stored empty file: %q, %v", got, err)
					}
					var buf bytes.Buffer
					if _, err := f.RetrBinary(ctx, "RETR empty", &buf); err != nil || buf.Len() != 0 {
						t.Fatalf("empty RetrBinary: %d bytes, %v", buf.Len(), err)
					}
					names, err := f.Nlst(ctx)
					if err != nil {
						t.Fatalf("Nlst: %v", err)
					}
					if want := []string{"empty", "f0.bin", "f1.bin", "f2.bin"}; !reflect.DeepEqual(names, want) {
						t.Fatalf("Nlst = %q, want %q", names, want)
					}
					var lines []string
					if err := f.Dir(ctx, func(l string) error { lines = append(lines, l); return nil }); err != nil {
						t.Fatalf("Dir: %v", err)
					}
					if len(lines) != 4 || !strings.HasSuffix(lines[3], " f2.bin") {
						t.Fatalf("Dir lines %q", lines)
					}
					recs := checkTransfers(t, srv, 0, v, active)
					if len(recs) != 10 {
						t.Errorf("%d data connections recorded, want 10", len(recs))
					}
					if _, err := f.Quit(ctx); err != nil {
						t.Fatalf("Quit: %v", err)
					}
				})
			}
		}
	}
}

// TestFTPSPromoted checks that every transfer method reached through an
// FTPS (promoted) or through its embedded *Conn protects its data once
// PROT P is in force.
func TestFTPSPromoted(t *testing.T) {
	srv := newTLSServer(t, false)
	if err := srv.WriteFile("a.txt", []byte("line 1\nline 2\n")); err != nil {
		t.Fatal(err)
	}
	f := dialFTPS(t, srv, &ftp.Dialer{TLSConfig: srv.TLSConfig()})
	ctx := tlsCtx(t)
	var conn *ftp.Conn = f.Conn // the state lives in Conn
	steps := []struct {
		name string
		run  func() error
	}{
		{"RetrBinary", func() error { _, err := f.RetrBinary(ctx, "RETR a.txt", io.Discard); return err }},
		{"Conn.RetrBinary", func() error { _, err := conn.RetrBinary(ctx, "RETR a.txt", io.Discard); return err }},
		{"StorBinary", func() error { _, err := f.StorBinary(ctx, "STOR b.txt", strings.NewReader("b")); return err }},
		{"Conn.StorLines", func() error { _, err := conn.StorLines(ctx, "STOR c.txt", strings.NewReader("c\n")); return err }},
		{"RetrLines", func() error { _, err := f.RetrLines(ctx, "RETR a.txt", func(string) error { return nil }); return err }},
		{"Nlst", func() error { _, err := f.Nlst(ctx); return err }},
		{"Dir", func() error { return conn.Dir(ctx, func(string) error { return nil }) }},
		{"Retr", func() error {
			d, err := f.Retr(ctx, "RETR a.txt")
			if err != nil {
				return err
			}
			if _, ok := d.TLSConnectionState(); !ok {
				return errors.New("DataConn.TLSConnectionState: not TLS")
			}
			if b, err := io.ReadAll(d); err != nil || string(b) != "line 1\nline 2\n" {
				return fmt.Errorf("read %q, %v", b, err)
			}
			return d.Close()
		}},
		{"Stor", func() error {
			d, err := conn.Stor(ctx, "STOR d.txt")
			if err != nil {
				return err
			}
			if _, err := io.WriteString(d, "ddd"); err != nil {
				return err
			}
			return d.Close()
		}},
		{"NTransferCmd", func() error {
			dc, _, err := f.NTransferCmd(ctx, "RETR a.txt")
			if err != nil {
				return err
			}
			tc, ok := dc.(interface{ ConnectionState() tls.ConnectionState })
			if !ok {
				return fmt.Errorf("NTransferCmd returned a %T", dc)
			}
			if !tc.ConnectionState().HandshakeComplete {
				return fmt.Errorf("NTransferCmd: data handshake not complete")
			}
			if b, err := io.ReadAll(dc); err != nil || len(b) != 14 {
				return fmt.Errorf("read %q, %v", b, err)
			}
			dc.Close()
			_, err = f.VoidResp(ctx)
			return err
		}},
	}
	for _, s := range steps {
		before := len(srv.Transfers())
		if err := s.run(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if n := len(srv.Transfers()); n != before+1 {
			t.Fatalf("%s: %d data connections recorded, want 1", s.name, n-before)
		}
		checkTransfers(t, srv, before, 0, false)
	}
	for name, want := range map[string]string{"b.txt": "b", "c.txt": "c\n", "d.txt": "ddd"} {
		if got, err := srv.ReadFile(name); err != nil || string(got) != want {
			t.Errorf("%s stored as %q (%v), want %q", name, got, err, want)
		}
	}
}

// TestFTPSProtCAfterProtP checks that ProtC returns data connections to
// clear text, and ProtP protects them again.
func TestFTPSProtCAfterProtP(t *testing.T) {
	srv := newTLSServer(t, false)
	srv.WriteFile("a", []byte("data"))
	f := dialFTPS(t, srv, &ftp.Dialer{TLSConfig: srv.TLSConfig()})
	ctx := tlsCtx(t)
	get := func() {
		t.Helper()
		var buf bytes.Buffer
		if _, err := f.RetrBinary(ctx, "RETR a", &buf); err != nil || buf.String() != "data" {
			t.Fatalf("RetrBinary: %q, %v", buf.String(), err)
		}
	}
	get()
	if resp, err := f.ProtC(ctx); err != nil || !strings.HasPrefix(resp, "200") {
		t.Fatalf("ProtC: %q, %v", resp, err)
	}
	get()
	if resp, err := f.ProtP(ctx); err != nil || !strings.HasPrefix(resp, "200") {
		t.Fatalf("ProtP: %q, %v", resp, err)
	}
	get()
	recs := srv.Transfers()
	if len(recs) != 3 {
		t.Fatalf("%d transfers, want 3", len(recs))
	}
	if !recs[0].TLS || recs[1].TLS || !recs[2].TLS || !recs[2].DidResume {
		t.Fatalf("TLS of the transfers: %v %v %v (resumed %v), want true false true (true)",
			recs[0].TLS, recs[1].TLS, recs[2].TLS, recs[2].DidResume)
	}
	cmds := strings.Join(srv.Commands(), "|")
	if !strings.Contains(cmds, "PBSZ 0|PROT P|") || !strings.Contains(cmds, "|PROT C|") {
		t.Fatalf("commands %s", cmds)
	}
}

// TestFTPSCCC checks that after CCC the control connection is in clear
// text and usable, Login does not AUTH again, and data stays protected
// (resuming the session).
func TestFTPSCCC(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(fmt.Sprintf("tls%x", v), func(t *testing.T) {
			srv := newTLSServer(t, false)
			srv.WriteFile("a", []byte("data"))
			cfg := srv.TLSConfig()
			cfg.MaxVersion = v
			ctx := tlsCtx(t)
			f, err := (&ftp.Dialer{TLSConfig: cfg}).DialFTPS(ctx, srv.Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.Auth(ctx); err != nil {
				t.Fatalf("Auth: %v", err)
			}
			if _, err := f.ProtP(ctx); err != nil {
				t.Fatalf("ProtP: %v", err)
			}
			resp, err := f.CCC(ctx)
			if err != nil || !strings.HasPrefix(resp, "200") {
				t.Fatalf("CCC: %q, %v", resp, err)
			}
			if _, ok := f.TLSConnectionState(); ok {
				t.Fatalf("TLSConnectionState ok after CCC")
			}
			if resp, err := f.Noop(ctx); err != nil || !strings.HasPrefix(resp, "200") {
				t.Fatalf("Noop after CCC: %q, %v", resp, err)
			}
			if _, err := f.Login(ctx, "user", "pass", ""); err != nil {
				t.Fatalf("Login after CCC: %v", err)
			}
			var buf bytes.Buffer
			if _, err := f.RetrBinary(ctx, "RETR a", &buf); err != nil || buf.String() != "data" {
				t.Fatalf("RetrBinary after CCC: %q, %v", buf.String(), err)
			}
			checkTransfers(t, srv, 0, v, false)
			if _, err := f.CCC(ctx); !errors.Is(err, ftp.ErrNotTLS) {
				t.Fatalf("second CCC: %v, want ErrNotTLS", err)
			}
			want := []string{"AUTH TLS", "PBSZ 0", "PROT P", "CCC", "NOOP", "USER user", "PASS pass", "TYPE I", "PASV", "RETR a"}
			if cmds := srv.Commands(); !reflect.DeepEqual(cmds, want) {
				t.Fatalf("commands %q, want %q", cmds, want)
			}
			if _, err := f.Noop(ctx); err != nil {
				t.Fatalf("Noop: %v", err)
			}
		})
	}
}

// TestFTPSStateErrors checks ErrNotTLS and ErrAlreadyTLS, with nothing
// sent to the server.
func TestFTPSStateErrors(t *testing.T) {
	srv := newTLSServer(t, false)
	ctx := tlsCtx(t)
	f, err := (&ftp.Dialer{TLSConfig: srv.TLSConfig()}).DialFTPS(ctx, srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.CCC(ctx); !errors.Is(err, ftp.ErrNotTLS) {
		t.Fatalf("CCC before AUTH: %v, want ErrNotTLS", err)
	}
	if _, err := f.ProtP(ctx); !errors.Is(err, ftp.ErrNotTLS) {
		t.Fatalf("ProtP before AUTH: %v, want ErrNotTLS", err)
	}
	if cmds := srv.Commands(); len(cmds) != 0 {
		t.Fatalf("commands sent: %q", cmds)
	}
	if _, ok := f.TLSConnectionState(); ok {
		t.Fatalf("TLSConnectionState ok before AUTH")
	}
	resp, err := f.Auth(ctx)
	if err != nil || !strings.HasPrefix(resp, "234") {
		t.Fatalf("Auth: %q, %v", resp, err)
	}
	if _, err := f.Auth(ctx); !errors.Is(err, ftp.ErrAlreadyTLS) {
		t.Fatalf("second Auth: %v, want ErrAlreadyTLS", err)
	}
	if cmds := srv.Commands(); !reflect.DeepEqual(cmds, []string{"AUTH TLS"}) {
		t.Fatalf("commands sent: %q", cmds)
	}
	// Login after Auth does not AUTH again.
	if _, err := f.Login(ctx, "user", "pass", ""); err != nil {
		t.Fatalf("Login: %v", err)
	}
	if cmds := srv.Commands(); !reflect.DeepEqual(cmds, []string{"AUTH TLS", "USER user", "PASS pass"}) {
		t.Fatalf("commands sent: %q", cmds)
	}
}

// TestFTPSLoginAuthFirst checks that FTPS.Login secures the control
// connection before USER, and LoginPlain does not.
func TestFTPSLoginAuthFirst(t *testing.T) {
	srv := newTLSServer(t, false)
	ctx := tlsCtx(t)
	d := &ftp.Dialer{TLSConfig: srv.TLSConfig()}
	f, err := d.DialFTPS(ctx, srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Login(ctx, "user", "pass", ""); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.TLSConnectionState(); !ok {
		t.Fatal("control connection not TLS after FTPS.Login")
	}
	g, err := d.DialFTPS(ctx, srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if _, err := g.LoginPlain(ctx, "user", "pass", ""); err != nil {
		t.Fatal(err)
	}
	if _, ok := g.TLSConnectionState(); ok {
		t.Fatal("control connection TLS after LoginPlain")
	}
	want := []string{"AUTH TLS", "USER user", "PASS pass", "USER user", "PASS pass"}
	if cmds := srv.Commands(); !reflect.DeepEqual(cmds, want) {
		t.Fatalf("commands %q, want %q", cmds, want)
	}
}

// TestFTPSImplicit checks implicit FTPS: TLS before the welcome, no AUTH,
// protected data connections that resume the session.
func TestFTPSImplicit(t *testing.T) {
	for _, active := range []bool{false, true} {
		t.Run(fmt.Sprintf("active=%v", active), func(t *testing.T) {
			srv := newTLSServer(t, true)
			srv.WriteFile("a", []byte("implicit"))
			ctx := tlsCtx(t)
			f, err := (&ftp.Dialer{TLSConfig: srv.TLSConfig(), ImplicitTLS: true, Active: active}).DialFTPS(ctx, srv.Addr)
			if err != nil {
				t.Fatalf("DialFTPS: %v", err)
			}
			defer f.Close()
			if !strings.HasPrefix(f.Welcome(), "220") {
				t.Fatalf("welcome %q", f.Welcome())
			}
			if _, ok := f.TLSConnectionState(); !ok {
				t.Fatal("control connection not TLS")
			}
			if _, err := f.Auth(ctx); !errors.Is(err, ftp.ErrAlreadyTLS) {
				t.Fatalf("Auth: %v, want ErrAlreadyTLS", err)
			}
			if _, err := f.Login(ctx, "user", "pass", ""); err != nil {
				t.Fatalf("Login: %v", err)
			}
			if _, err := f.ProtP(ctx); err != nil {
				t.Fatalf("ProtP: %v", err)
			}
			var buf bytes.Buffer
			for i := 0; i < 2; i++ {
				buf.Reset()
				if _, err := f.RetrBinary(ctx, "RETR a", &buf); err != nil || buf.String() != "implicit" {
					t.Fatalf("RetrBinary: %q, %v", buf.String(), err)
				}
				if _, err := f.StorBinary(ctx, "STOR b", strings.NewReader("up")); err != nil {
					t.Fatalf("StorBinary: %v", err)
				}
			}
			if _, err := f.Nlst(ctx); err != nil {
				t.Fatalf("Nlst: %v", err)
			}
			checkTransfers(t, srv, 0, 0, active)
			for _, c := range srv.Commands() {
				if strings.HasPrefix(c, "AUTH") {
					t.Fatalf("AUTH sent on an implicit connection: %q", srv.Commands())
				}
			}
		})
	}
}

// TestFTPSVerification checks that certificates are verified by default,
// against the dialled host (name or IP literal), and that failures come
// back as TLS/x509 errors.
func TestFTPSVerification(t *testing.T) {
	srv := newTLSServer(t, false)
	implicit := newTLSServer(t, true)
	_, port, _ := net.SplitHostPort(srv.Addr)
	_, iport, _ := net.SplitHostPort(implicit.Addr)

	auth := func(cfg *tls.Config, addr string) error {
		ctx := tlsCtx(t)
		f, err := (&ftp.Dialer{TLSConfig: cfg}).DialFTPS(ctx, addr)
		if err != nil {
			t.Fatalf("DialFTPS: %v", err)
		}
		defer f.Close()
		_, err = f.Auth(ctx)
		if err != nil {
			// A failed handshake leaves the connection unusable.
			if _, nerr := f.Noop(ctx); !errors.Is(nerr, ftp.ErrClosed) {
				t.Errorf("Noop after a failed Auth: %v, want ErrClosed", nerr)
			}
		}
		return err
	}
	var unknown x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var verr *tls.CertificateVerificationError

	t.Run("default config verifies", func(t *testing.T) {
		err := auth(nil, srv.Addr)
		if !errors.As(err, &verr) || !errors.As(err, &unknown) {
			t.Fatalf("Auth with a nil TLSConfig: %v, want an unknown-authority error", err)
		}
	})
	t.Run("untrusted", func(t *testing.T) {
		err := auth(&tls.Config{RootCAs: x509.NewCertPool()}, srv.Addr)
		if !errors.As(err, &unknown) {
			t.Fatalf("Auth: %v, want an unknown-authority error", err)
		}
	})
	t.Run("ServerName mismatch", func(t *testing.T) {
		cfg := srv.TLSConfig()
		cfg.ServerName = "ftp.example.com"
		err := auth(cfg, srv.Addr)
		if !errors.As(err, &hostErr) {
			t.Fatalf("Auth: %v, want a hostname error", err)
		}
	})
	t.Run("IP literal", func(t *testing.T) {
		if err := auth(srv.TLSConfig(), "127.0.0.1:"+port); err != nil {
			t.Fatalf("Auth: %v", err)
		}
	})
	t.Run("host name", func(t *testing.T) {
		if err := auth(srv.TLSConfig(), "localhost:"+port); err != nil {
			t.Fatalf("Auth: %v", err)
		}
	})
	t.Run("implicit untrusted", func(t *testing.T) {
		ctx := tlsCtx(t)
		_, err := (&ftp.Dialer{ImplicitTLS: true}).DialFTPS(ctx, "127.0.0.1:"+iport)
		if !errors.As(err, &unknown) {
			t.Fatalf("DialFTPS: %v, want an unknown-authority error", err)
		}
	})
	t.Run("implicit host name", func(t *testing.T) {
		ctx := tlsCtx(t)
		f, err := (&ftp.Dialer{ImplicitTLS: true, TLSConfig: implicit.TLSConfig()}).DialFTPS(ctx, "localhost:"+iport)
		if err != nil {
			t.Fatalf("DialFTPS: %v", err)
		}
		f.Close()
	})
}

// TestFTPSIPv6 checks an IPv6 literal as ServerName, with resumed data
// connections.
func TestFTPSIPv6(t *testing.T) {
	if ln, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skip("no IPv6 loopback")
	} else {
		ln.Close()
	}
	srv := ftptest.NewUnstartedServer()
	srv.IPv6 = true
	srv.RequireSessionReuse = true
	srv.StartTLS()
	defer srv.Close()
	f := dialFTPS(t, srv, &ftp.Dialer{TLSConfig: srv.TLSConfig()})
	if _, err := f.Nlst(tlsCtx(t)); err != nil {
		t.Fatalf("Nlst: %v", err)
	}
	checkTransfers(t, srv, 0, 0, false)
}

// TestFTPSConfigNotModified checks that the caller's tls.Config is left as
// it was, and that a session cache it holds is not used: each connection
// has its own.
func TestFTPSConfigNotModified(t *testing.T) {
	srv := newTLSServer(t, false)
	cfg := srv.TLSConfig()
	shared := tls.NewLRUClientSessionCache(4)
	cfg.ClientSessionCache = shared
	cfg.MinVersion = tls.VersionTLS12
	before := *cfg.Clone()
	f := dialFTPS(t, srv, &ftp.Dialer{TLSConfig: cfg})
	if _, err := f.Nlst(tlsCtx(t)); err != nil {
		t.Fatalf("Nlst: %v", err)
	}
	checkTransfers(t, srv, 0, 0, false)
	if cfg.ServerName != before.ServerName || cfg.RootCAs != before.RootCAs ||
		cfg.ClientSessionCache != before.ClientSessionCache || cfg.MinVersion != before.MinVersion ||
		cfg.MaxVersion != before.MaxVersion || cfg.InsecureSkipVerify != before.InsecureSkipVerify {
		t.Fatalf("caller's config changed: %+v", cfg)
	}
	for _, key := range []string{"127.0.0.1", srv.Addr, ""} {
		if _, ok := shared.Get(key); ok {
			t.Fatalf("the caller's session cache holds a session for %q", key)
		}
	}
}

// TestFTPSParallelSessions runs two connections at once against a server
// that refuses a data connection resuming another control connection's
// session; both get the same config, with a shared session cache in it.
func TestFTPSParallelSessions(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(fmt.Sprintf("tls%x", v), func(t *testing.T) {
			srv := newTLSServer(t, false)
			cfg := srv.TLSConfig()
			cfg.MaxVersion = v
			cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
			d := &ftp.Dialer{TLSConfig: cfg}
			conns := []*ftp.FTPS{dialFTPS(t, srv, d), dialFTPS(t, srv, d)}
			ctx := tlsCtx(t)
			var wg sync.WaitGroup
			errs := make(chan error, 2*10)
			for i, f := range conns {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j := 0; j < 10; j++ {
						name := fmt.Sprintf("c%d-%d", i, j)
						body := strings.Repeat(name, 1000)
						if _, err := f.StorBinary(ctx, "STOR "+name, strings.NewReader(body)); err != nil {
							errs <- fmt.Errorf("%s: StorBinary: %w", name, err)
							return
						}
						var buf bytes.Buffer
						if _, err := f.RetrBinary(ctx, "RETR "+name, &buf); err != nil || buf.String() != body {
							errs <- fmt.Errorf("%s: RetrBinary: %d bytes, %v", name, buf.Len(), err)
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if recs := checkTransfers(t, srv, 0, v, false); len(recs) != 40 {
				t.Errorf("%d data connections, want 40", len(recs))
			}
		})
	}
}

// TestFTPSAbortAndCancel checks that a protected download closed early is
// aborted (ABOR goes over the TLS control connection) and leaves the
// connection usable, that a data connection cut without close_notify is
// an error, and that cancelling ctx interrupts a stalled protected read.
func TestFTPSAbortAndCancel(t *testing.T) {
	srv := newTLSServer(t, false)
	big := bytes.Repeat([]byte("x"), 1<<20)
	srv.WriteFile("big", big)
	f := dialFTPS(t, srv, &ftp.Dialer{TLSConfig: srv.TLSConfig()})
	ctx := tlsCtx(t)

	srv.AddFault(ftptest.Fault{Command: "RETR", Nth: 1, StallData: true, CutAfter: 1000})
	d, err := f.Retr(ctx, "RETR big")
	if err != nil {
		t.Fatalf("Retr: %v", err)
	}
	if _, err := io.ReadFull(d, make([]byte, 1000)); err != nil {
		t.Fatalf("reading the first bytes: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("Close before the end: %v", err)
	}
	if reply := d.Reply(); !strings.HasPrefix(reply, "426") {
		t.Fatalf("reply after abort %q, want 426", reply)
	}
	if _, err := f.Noop(ctx); err != nil {
		t.Fatalf("Noop after abort: %v", err)
	}
	if cmds := strings.Join(srv.Commands(), "|"); !strings.Contains(cmds, "RETR big|ABOR|NOOP") {
		t.Fatalf("commands %s", cmds)
	}

	srv.AddFault(ftptest.Fault{Command: "RETR", Nth: 1, Cut: true, CutAfter: 5000})
	if _, err := f.RetrBinary(ctx, "RETR big", io.Discard); err == nil {
		t.Fatalf("RetrBinary of a cut data connection succeeded")
	}
	if _, err := f.Noop(ctx); err != nil {
		t.Fatalf("Noop after a cut transfer: %v", err)
	}

	srv.AddFault(ftptest.Fault{Command: "RETR", Nth: 1, StallData: true, CutAfter: 1000})
	cctx, cancel := context.WithCancel(ctx)
	d, err = f.Retr(cctx, "RETR big")
	if err != nil {
		t.Fatalf("Retr: %v", err)
	}
	if _, err := io.ReadFull(d, make([]byte, 1000)); err != nil {
		t.Fatalf("reading the first bytes: %v", err)
	}
	cancel()
	if _, err := d.Read(make([]byte, 10)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Read after cancel: %v, want context.Canceled", err)
	}
	d.Close()
}

// TestFTPSConnLoginRefusesClearText checks that the embedded Conn.Login of
// a connection dialled for FTPS refuses to send the password before Auth,
// and sends nothing, while LoginPlain, Login after Auth and implicit TLS
// log in.
func TestFTPSConnLoginRefusesClearText(t *testing.T) {
	srv := newTLSServer(t, false)
	ctx := tlsCtx(t)
	for _, tc := range []struct {
		name string
		dial func(d *ftp.Dialer) (*ftp.Conn, error)
	}{
		{"DialFTPS", func(d *ftp.Dialer) (*ftp.Conn, error) {
			f, err := d.DialFTPS(ctx, srv.Addr)
			if err != nil {
				return nil, err
			}
			return f.Conn, nil
		}},
		{"Dial with TLSConfig", func(d *ftp.Dialer) (*ftp.Conn, error) { return d.Dial(ctx, srv.Addr) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.dial(&ftp.Dialer{TLSConfig: srv.TLSConfig()})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			before := len(srv.Commands())
			_, err = c.Login(ctx, "user", "pass", "")
			if !errors.Is(err, ftp.ErrNotTLS) {
				t.Fatalf("Login before Auth: %v, want ErrNotTLS", err)
			}
			if strings.Contains(err.Error(), "pass\"") {
				t.Errorf("error shows the password: %v", err)
			}
			if cmds := srv.Commands()[before:]; len(cmds) != 0 {
				t.Fatalf("commands sent: %q", cmds)
			}
			// The connection is still usable: Auth, then Conn.Login.
			f := &ftp.FTPS{Conn: c}
			if _, err := f.Auth(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
				t.Fatalf("Login after Auth: %v", err)
			}
			want := []string{"AUTH TLS", "USER user", "PASS pass"}
			if cmds := srv.Commands()[before:]; !reflect.DeepEqual(cmds, want) {
				t.Fatalf("commands %q, want %q", cmds, want)
			}
		})
	}
	t.Run("plain Dial", func(t *testing.T) {
		c, err := ftp.Dial(ctx, srv.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
			t.Fatalf("Login on a plain connection: %v", err)
		}
	})
	t.Run("implicit TLS", func(t *testing.T) {
		isrv := newTLSServer(t, true)
		c, err := (&ftp.Dialer{TLSConfig: isrv.TLSConfig(), ImplicitTLS: true}).Dial(ctx, isrv.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
			t.Fatalf("Login on implicit TLS: %v", err)
		}
	})
}
