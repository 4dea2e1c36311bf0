package interop

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/ftplib-go/ftp"
)

// opHost sends HOST (RFC 7151, Dialer.Host) and logs in: proftpd accepts
// the name of its configured server (127.0.0.1) with 220 and refuses an
// unknown one with 504, which Dial reports; the others do not implement
// HOST (pyftpdlib 500; vsftpd and pure-ftpd 530, as to any command before
// USER), and the login goes on.
func opHost(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	var dbg bytes.Buffer
	d := s.dialer(t, func(d *ftp.Dialer) {
		d.Host = host
		d.Debug = 1
		d.DebugOutput = &dbg
	})
	c, err := s.dialLogin(ctx, d)
	if err != nil {
		t.Fatalf("dial and login with Host %q: %v", host, err)
	}
	defer c.Close()
	if _, err := c.Pwd(ctx); err != nil {
		t.Fatalf("PWD: %v", err)
	}
	reply := hostReply(dbg.String())
	accepted := strings.HasPrefix(reply, "220")
	if wantHost := strings.HasPrefix(s.name, "proftpd"); accepted != wantHost {
		t.Fatalf("HOST reply %q; accepted %v, want %v", reply, accepted, wantHost)
	}
	if !accepted {
		r.Note("HOST not implemented (%s): ignored, login went on", reply)
		return
	}
	// A name the server does not serve is refused, and Dial says so.
	_, err = s.dialLogin(ctx, s.dialer(t, func(d *ftp.Dialer) { d.Host = "nosuch.invalid" }))
	var e *ftp.Error
	if !errors.As(err, &e) || e.Code != 504 || e.Cmd != "HOST nosuch.invalid" {
		t.Fatalf("unknown host: %v, want a 504 reply to HOST", err)
	}
	r.Note("HOST %s accepted (%s); an unknown name refused: %v", host, reply, err)
}

// hostReply returns the reply to HOST in debug output: the *resp* line
// after the *cmd* 'HOST ...' line.
func hostReply(dbg string) string {
	lines := strings.Split(dbg, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "*cmd* 'HOST ") && i+1 < len(lines) {
			return strings.Trim(strings.TrimPrefix(lines[i+1], "*resp* "), "'\"")
		}
	}
	return ""
}
