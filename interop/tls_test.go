package interop

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/ftplib-go/ftp"
)

// tlsOps are the rows that concern FTPS only (n/a on plain configurations).
var tlsOps = []op{
	{"TLS: control + PROT P data, session resumption", opTLSState},
	{"TLS: clear-text login", opClearLogin},
	{"TLS: close_notify on PROT P data (downloads, listings)", opCloseNotify},
}

func opTLSState(t *testing.T, s *server, r *rec) {
	if s.tls == plainFTP {
		r.NA(t, "plain FTP")
	}
	ctx := within(t)
	c := s.connect(t, ctx, nil)
	st, ok := c.TLSConnectionState()
	if !ok || !st.HandshakeComplete || st.Version != tls.VersionTLS13 {
		t.Errorf("control connection TLS: ok %v, version %#x; want TLS 1.3", ok, st.Version)
	}
	retr(t, ctx, c, "tree/f001.txt")
	ds, ok := c.DataTLSConnectionState()
	if !ok {
		t.Fatal("the data connection was not protected")
	}
	if ds.Version != tls.VersionTLS13 {
		t.Errorf("data connection TLS version %#x, want TLS 1.3", ds.Version)
	}
	if ds.DidResume != s.dataResume {
		t.Errorf("data connection resumed the session: %v, want %v (§2.1, §2.6)", ds.DidResume, s.dataResume)
	}
	switch {
	case s.reuse:
		r.Note("the server requires the data connection to resume the control session: resumed")
	case !s.dataResume:
		r.Note("the server never resumes data sessions (§2.6): a full handshake, accepted")
	}
}

func opClearLogin(t *testing.T, s *server, r *rec) {
	switch s.tls {
	case plainFTP:
		r.NA(t, "plain FTP")
	case implicitTLS:
		r.NA(t, "implicit TLS: no clear-text phase")
	}
	ctx := within(t)
	d := s.dialer(t, nil)
	f, err := d.DialFTPS(ctx, s.addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer f.Close()
	// The embedded Conn.Login refuses to send the password in clear text
	// on an FTPS connection, and sends nothing: the connection goes on.
	if _, err := f.Conn.Login(ctx, user, pass, ""); !errors.Is(err, ftp.ErrNotTLS) {
		t.Fatalf("Conn.Login before AUTH: %v, want ErrNotTLS", err)
	}
	// LoginPlain is the explicit opt-in, on the same connection.
	_, err = f.LoginPlain(ctx, user, pass, "")
	if s.tlsRequired {
		wantReplyErr(t, "clear-text login", err, ftp.ErrPerm, 530)
		r.Note("refused as expected: %v", err)
		return
	}
	if err != nil {
		t.Fatalf("clear-text login: %v", err)
	}
	r.Note("TLS is optional: clear-text login accepted")
}

// stressCount is the number of uploads per server of the TLS 1.3 stress
// (FTP_INTEROP_STRESS overrides 100).
func stressCount(t *testing.T) int {
	if v := os.Getenv("FTP_INTEROP_STRESS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("FTP_INTEROP_STRESS=%q", v)
		}
		return n
	}
	return 100
}

const stressSize = 300001

// TestInteropTLS13UploadStress uploads 100 files of 300001 bytes over TLS 1.3 to
// each server that requires session reuse (vsftpd explicit and implicit,
// proftpd), and checks every one byte for byte on the server's disk and by
// reading it back: vsftpd truncates such uploads unless the client ends
// the data connection with a close_notify exchange (servers.md §2.3).
func TestInteropTLS13UploadStress(t *testing.T) {
	needInterop(t)
	n := stressCount(t)
	row := fmt.Sprintf("TLS 1.3 upload stress (%d x %d B)", n, stressSize)
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			run(t, s, row, func(t *testing.T, r *rec) {
				if !s.stress {
					r.NA(t, "not a session-reuse TLS server")
				}
				stress(t, s, r, n)
			})
		})
	}
}

func stress(t *testing.T, s *server, r *rec, n int) {
	ctx := within(t)
	c := s.connect(t, ctx, func(d *ftp.Dialer) {
		d.TLSConfig.MinVersion = tls.VersionTLS13
		d.TLSConfig.MaxVersion = tls.VersionTLS13
	})
	dir := s.mkScratch(t, ctx, c, "stress")
	files := make([][]byte, n)
	var resumed int
	for i := range files {
		files[i] = randomBytes(t, stressSize)
		p := join(dir, fmt.Sprintf("up-%03d.bin", i))
		stor(t, ctx, c, "STOR "+p, files[i])
		if ds, ok := c.DataTLSConnectionState(); !ok || ds.Version != tls.VersionTLS13 {
			t.Fatalf("upload %d: data TLS %v version %#x, want TLS 1.3", i, ok, ds.Version)
		} else if ds.DidResume {
			resumed++
		}
	}
	for i, want := range files {
		p := join(dir, fmt.Sprintf("up-%03d.bin", i))
		onDisk(t, s, p, want)
		sameBytes(t, "RETR "+p, retr(t, ctx, c, p), want)
	}
	if resumed != n {
		t.Errorf("%d of %d uploads resumed the TLS session", resumed, n)
	}
	r.Note("%d uploads, all byte-identical on the server and read back, all resumed over TLS 1.3", n)
}
