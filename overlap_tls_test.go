package ftp

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ftplib-go/ftp/ftptest"
)

// The TLS overlaps for vsftpd (overlap_tls.go), on ftptest greeting as
// vsftpd does.

const vsftpdWelcome = "(vsFTPd 3.0.3)"

// newOverlapServer starts an explicit FTPS ftptest server requiring
// session reuse, greeting with welcome (empty: ftptest's own).
func newOverlapServer(t *testing.T, welcome string) *ftptest.Server {
	t.Helper()
	checkLeaks(t)
	srv := ftptest.NewUnstartedServer()
	srv.Welcome = welcome
	srv.RequireSessionReuse = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// dialOverlap logs in to srv with FTPS and PROT P.
func dialOverlap(t *testing.T, srv *ftptest.Server, d *Dialer, version uint16) *Conn {
	t.Helper()
	ctx := testCtx(t)
	d.TLSConfig = srv.TLSConfig()
	d.TLSConfig.MaxVersion = version
	d.Timeout = 10 * time.Second
	f, err := d.DialFTPS(ctx, srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if _, err := f.Login(ctx, "user", "pass", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ProtP(ctx); err != nil {
		t.Fatal(err)
	}
	return f.Conn
}

// closeNotifySent reports whether the client's close_notify went out on
// the protected data connection of d (a Write then fails).
func closeNotifySent(t *testing.T, d *DataConn) bool {
	t.Helper()
	tc, ok := d.conn.(*tls.Conn)
	if !ok {
		t.Fatalf("data connection %T, want *tls.Conn", d.conn)
	}
	_, err := tc.Write(nil)
	return err != nil
}

func TestTLSOverlapsGate(t *testing.T) {
	for _, tt := range []struct {
		welcome string
		want    bool
	}{
		{"220 (vsFTPd 3.0.3)", true},
		{"220 (vsFTPd 2.3.4)", true},
		{"220 ProFTPD Server", false},
		{"220 pyftpdlib ready.", false},
		{"220 ftp.example.com (vsFTPd 3.0.3)", false}, // a banner of one's own
		{"220-(vsFTPd 3.0.3)\n220 more", false},
	} {
		c := &Conn{welcome: tt.welcome}
		if got := c.tlsOverlaps(); got != tt.want {
			t.Errorf("%q: %v, want %v", tt.welcome, got, tt.want)
		}
		if c.earlyHandshake() {
			t.Errorf("%q: early handshake without PROT P", tt.welcome)
		}
	}
}

// A download from vsftpd sends its close_notify right after the
// handshake under TLS 1.3 only; other servers get it at the end.
func TestTLSOverlapsEarlyCloseNotify(t *testing.T) {
	for _, tt := range []struct {
		welcome string
		version uint16
		early   bool
	}{
		{vsftpdWelcome, tls.VersionTLS13, true},
		{vsftpdWelcome, tls.VersionTLS12, false},
		{"", tls.VersionTLS13, false},
	} {
		t.Run(fmt.Sprintf("%q-%x", tt.welcome, tt.version), func(t *testing.T) {
			srv := newOverlapServer(t, tt.welcome)
			data := bytes.Repeat([]byte("early close_notify\n"), 20000)
			srv.WriteFile("f.bin", data)
			c := dialOverlap(t, srv, &Dialer{}, tt.version)
			ctx := testCtx(t)
			d, err := c.Retr(ctx, "RETR f.bin")
			if err != nil {
				t.Fatal(err)
			}
			if got := closeNotifySent(t, d); got != tt.early {
				t.Errorf("close_notify sent before the data: %v, want %v", got, tt.early)
			}
			got, err := io.ReadAll(d)
			if cerr := d.Close(); err == nil {
				err = cerr
			}
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("download: %d bytes, %v", len(got), err)
			}
			// An upload keeps its direction open.
			if _, err := c.StorBinary(ctx, "STOR up.bin", bytes.NewReader(data)); err != nil {
				t.Fatal(err)
			}
			if b, _ := srv.ReadFile("up.bin"); !bytes.Equal(b, data) {
				t.Fatalf("upload: server has %d bytes", len(b))
			}
			for _, r := range srv.Transfers() {
				if !r.TLS || !r.DidResume || r.Aborted {
					t.Errorf("%q: TLS %v resumed %v aborted %v", r.Command, r.TLS, r.DidResume, r.Aborted)
				}
			}
		})
	}
}

// watchConn is a data socket that records whether it was written to
// before the Conn read the 150 reply.
type watchConn struct {
	net.Conn
	saw150 *atomic.Bool
	early  *atomic.Bool
}

func (w *watchConn) Write(p []byte) (int, error) {
	if !w.saw150.Load() {
		w.early.Store(true)
	}
	return w.Conn.Write(p)
}

// debug150 is the debug output: it notes when the Conn has read a 150.
type debug150 struct{ saw150 *atomic.Bool }

func (d debug150) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("*resp* '150")) {
		d.saw150.Store(true)
	}
	return len(p), nil
}

// The data connection's ClientHello goes out before the 150 arrives
// (here held back by the server) with vsftpd only.
func TestTLSOverlapsEarlyHandshake(t *testing.T) {
	for _, tt := range []struct {
		welcome string
		early   bool
	}{
		{vsftpdWelcome, true},
		{"", false},
	} {
		t.Run(fmt.Sprintf("%q", tt.welcome), func(t *testing.T) {
			srv := newOverlapServer(t, tt.welcome)
			srv.WriteFile("f.bin", []byte("hello"))
			var saw150, early atomic.Bool
			var dials atomic.Int32
			var nd net.Dialer
			d := &Dialer{Debug: 1, DebugOutput: debug150{&saw150}, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				nc, err := nd.DialContext(ctx, network, addr)
				if err != nil || dials.Add(1) == 1 {
					return nc, err // the control connection
				}
				return &watchConn{Conn: nc, saw150: &saw150, early: &early}, nil
			}}
			c := dialOverlap(t, srv, d, tls.VersionTLS13)
			srv.AddFault(ftptest.Fault{Command: "RETR", Delay: 300 * time.Millisecond})
			ctx := testCtx(t)
			var b bytes.Buffer
			if _, err := c.RetrBinary(ctx, "RETR f.bin", &b); err != nil || b.String() != "hello" {
				t.Fatalf("RetrBinary: %q, %v", b.String(), err)
			}
			if !saw150.Load() {
				t.Fatal("no 150 in the debug output")
			}
			if got := early.Load(); got != tt.early {
				t.Errorf("data connection wrote before the 150: %v, want %v", got, tt.early)
			}
		})
	}
}

// The overlaps leave the connection in step through refusals, aborts,
// listings, uploads, resumed downloads and a batch, TLS 1.2 and 1.3.
func TestTLSOverlapsInStep(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(fmt.Sprintf("%x", v), func(t *testing.T) {
			srv := newOverlapServer(t, vsftpdWelcome)
			big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
			srv.WriteFile("big.bin", big)
			for i := 0; i < 4; i++ {
				srv.WriteFile(fmt.Sprintf("f%d", i), []byte(fmt.Sprintf("file %d", i)))
			}
			c := dialOverlap(t, srv, &Dialer{}, v)
			ctx := testCtx(t)
			for i := 0; i < 2; i++ {
				if _, err := c.RetrBinary(ctx, "RETR missing", io.Discard); !errors.Is(err, ErrPerm) {
					t.Fatalf("missing file: %v", err)
				}
			}
			// A writer that fails: ABOR.
			werr := errors.New("writer failed")
			_, err := c.RetrBinary(ctx, "RETR big.bin", &batchFailWriter{w: io.Discard, after: 100000, err: werr})
			if !errors.Is(err, werr) {
				t.Fatalf("failing writer: %v", err)
			}
			var b bytes.Buffer
			if _, err := c.RetrBinary(ctx, "RETR big.bin", &b, Rest(1000)); err != nil || !bytes.Equal(b.Bytes(), big[1000:]) {
				t.Fatalf("REST 1000: %d bytes, %v", b.Len(), err)
			}
			names, err := c.Nlst(ctx)
			if err != nil || len(names) != 5 {
				t.Fatalf("Nlst: %q, %v", names, err)
			}
			var list []string
			if _, err := c.RetrLines(ctx, "LIST", func(l string) error { list = append(list, l); return nil }); err != nil || len(list) != 5 {
				t.Fatalf("LIST: %q, %v", list, err)
			}
			if _, err := c.StorBinary(ctx, "STOR empty.bin", strings.NewReader("")); err != nil {
				t.Fatal(err)
			}
			cmds := []string{"RETR f0", "RETR f1", "RETR missing", "RETR f3"}
			bufs := make([]bytes.Buffer, len(cmds))
			dst := func(i int) (io.Writer, error) { return &bufs[i], nil }
			if n, err := c.RetrMany(ctx, cmds, dst); n != 2 || !errors.Is(err, ErrPerm) {
				t.Fatalf("RetrMany: %d, %v", n, err)
			}
			if n, err := c.RetrMany(ctx, cmds[3:], func(int) (io.Writer, error) { return &bufs[3], nil }); n != 1 || err != nil {
				t.Fatalf("RetrMany of the rest: %d, %v", n, err)
			}
			for _, i := range []int{0, 1, 3} {
				if bufs[i].String() != fmt.Sprintf("file %d", i) {
					t.Errorf("file %d: %q", i, bufs[i].String())
				}
			}
			if _, err := c.Noop(ctx); err != nil {
				t.Fatal(err)
			}
			if st, ok := c.DataTLSConnectionState(); !ok || !st.DidResume || st.Version != v {
				t.Errorf("last data connection: ok %v resumed %v version %x", ok, st.DidResume, st.Version)
			}
			for _, r := range srv.Transfers() {
				if !r.TLS || !r.DidResume {
					t.Errorf("%q: TLS %v resumed %v", r.Command, r.TLS, r.DidResume)
				}
			}
		})
	}
}

// A data connection whose early handshake fails after the 150 (the
// server drops it) is an error of that transfer; the control connection
// and its TLS session stay usable.
func TestTLSOverlapsHandshakeFails(t *testing.T) {
	srv := newOverlapServer(t, vsftpdWelcome)
	srv.WriteFile("a", []byte("hello"))
	var dials atomic.Int32
	var nd net.Dialer
	d := &Dialer{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := nd.DialContext(ctx, network, addr)
		if err == nil && dials.Add(1) == 2 {
			return failHello{nc}, nil
		}
		return nc, err
	}}
	c := dialOverlap(t, srv, d, tls.VersionTLS13)
	ctx := testCtx(t)
	_, err := c.RetrBinary(ctx, "RETR a", io.Discard)
	if !errors.Is(err, errHello) {
		t.Fatalf("first download: %v, want the injected failure", err)
	}
	for i := 0; i < 2; i++ {
		var b bytes.Buffer
		if _, err := c.RetrBinary(ctx, "RETR a", &b); err != nil || b.String() != "hello" {
			t.Fatalf("download %d after: %q, %v", i, b.String(), err)
		}
		if st, ok := c.DataTLSConnectionState(); !ok || !st.DidResume {
			t.Fatalf("download %d after: resumed %v", i, st.DidResume)
		}
	}
}

var errHello = errors.New("injected handshake failure")

// failHello is a data socket whose reads fail: its TLS handshake fails
// after the ClientHello.
type failHello struct{ net.Conn }

func (failHello) Read([]byte) (int, error) { return 0, errHello }
