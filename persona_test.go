package ftp

import (
	"bytes"
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ftplib-go/ftp/ftptest"
)

// personaServer starts an ftptest server with personality p and the
// files of tree (slash paths to contents), each modified at when.
func personaServer(t *testing.T, p ftptest.Personality, tree map[string]string, when time.Time) *ftptest.Server {
	t.Helper()
	srv := ftptest.NewUnstartedServer()
	srv.Personality = p
	srv.Start()
	t.Cleanup(srv.Close)
	for name, data := range tree {
		if err := srv.WriteFile(name, []byte(data)); err != nil {
			t.Fatal(err)
		}
		if err := srv.SetModTime(name, when); err != nil {
			t.Fatal(err)
		}
	}
	return srv
}

func personaConn(t *testing.T, ctx context.Context, srv *ftptest.Server, d *Dialer) *Conn {
	t.Helper()
	if d == nil {
		d = &Dialer{}
	}
	if d.Timeout == 0 {
		d.Timeout = 10 * time.Second
	}
	c, err := d.Dial(ctx, srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
		t.Fatal(err)
	}
	return c
}

var personaTree = map[string]string{
	"a.txt":         "alpha\n",
	"dir/b.bin":     strings.Repeat("0123456789", 3000),
	"dir/sub/c.txt": "charlie\n",
	"dir/sub/d.txt": "",
}

func TestIISConn(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t)
	when := time.Date(2025, 11, 3, 21, 7, 0, 0, time.UTC)
	srv := personaServer(t, ftptest.Personality{IIS: true}, personaTree, when)
	c := personaConn(t, ctx, srv, nil)
	if w := c.Welcome(); w != "220 Microsoft FTP Service" {
		t.Errorf("Welcome = %q", w)
	}
	if r, err := c.SendCmd(ctx, "SYST"); err != nil || r != "215 Windows_NT" {
		t.Errorf("SYST = %q, %v", r, err)
	}

	// Transfers start with IIS's 125, which announces no size.
	var buf bytes.Buffer
	if r, err := c.RetrBinary(ctx, "RETR dir/b.bin", &buf); err != nil || buf.String() != personaTree["dir/b.bin"] {
		t.Fatalf("RetrBinary = %q, %v", r, err)
	}
	if _, err := c.StorBinary(ctx, "STOR up.bin", strings.NewReader("up")); err != nil {
		t.Fatalf("StorBinary: %v", err)
	}
	if got, _ := srv.ReadFile("up.bin"); string(got) != "up" {
		t.Errorf("stored %q", got)
	}
	srv.SetModTime("up.bin", when)

	// List parses the DOS-style lines.
	var got []Entry
	for e, err := range c.List(ctx, "dir") {
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		got = append(got, e)
	}
	if len(got) != 2 || got[0].Name != "b.bin" || got[0].Type != TypeFile || got[0].Size != 30000 ||
		!got[0].ModTime.Equal(when) || got[1].Name != "sub" || got[1].Type != TypeDir {
		t.Errorf("List dir = %+v", got)
	}

	// ReadDir: FEAT lists no MLST, so LIST is used and MLSD never sent.
	entries, err := c.ReadDir(ctx, "dir/sub")
	if err != nil || len(entries) != 2 || entries[0].Name != "c.txt" || entries[0].Size != 8 || entries[1].Name != "d.txt" {
		t.Fatalf("ReadDir = %+v, %v", entries, err)
	}
	// Stat goes through a LIST of the parent.
	e, err := c.stat(ctx, "dir/b.bin")
	if err != nil || e.Size != 30000 || !e.ModTime.Equal(when) {
		t.Errorf("Stat = %+v, %v", e, err)
	}
	var walked []string
	err = c.Walk(ctx, "/", func(p string, e Entry, err error) error {
		if err != nil {
			return err
		}
		walked = append(walked, p)
		return nil
	})
	want := []string{"/", "/a.txt", "/dir", "/dir/b.bin", "/dir/sub", "/dir/sub/c.txt", "/dir/sub/d.txt", "/up.bin"}
	if err != nil || !slices.Equal(walked, want) {
		t.Errorf("Walk = %q, %v; want %q", walked, err, want)
	}
	if n := countCmds(srv, "MLSD") + countCmds(srv, "MLST"); n != 0 {
		t.Errorf("%d MLSD/MLST sent to a server whose FEAT lists neither", n)
	}
	if n := countCmds(srv, "FEAT"); n != 1 {
		t.Errorf("FEAT sent %d times, want 1", n)
	}
}

// An IIS server whose FEAT does list MLST but that refuses MLSD: ReadDir
// falls back to LIST.
func TestIISMLSDRefused(t *testing.T) {
	ctx := testCtx(t)
	srv := personaServer(t, ftptest.Personality{IIS: true}, personaTree, time.Date(2024, 1, 2, 3, 4, 0, 0, time.UTC))
	srv.AddFault(ftptest.Fault{Command: "FEAT", Reply: "211-Features:\r\n MLST type*;size*;\r\n UTF8\r\n211 End"})
	c := personaConn(t, ctx, srv, nil)
	entries, err := c.ReadDir(ctx, "dir")
	if err != nil || len(entries) != 2 || entries[0].Name != "b.bin" || entries[1].Type != TypeDir {
		t.Fatalf("ReadDir = %+v, %v", entries, err)
	}
}

func TestIISClient(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t)
	when := time.Date(2026, 2, 12, 15, 4, 0, 0, time.UTC)
	srv := personaServer(t, ftptest.Personality{IIS: true}, personaTree, when)
	cl := &Client{Addr: srv.Addr, User: "user", Password: "pass", Dialer: &Dialer{Timeout: 10 * time.Second}}
	defer cl.Close()
	entries, err := cl.ReadDir(ctx, "dir")
	if err != nil || len(entries) != 2 || entries[0].Size != 30000 || !entries[0].ModTime.Equal(when) {
		t.Fatalf("Client.ReadDir = %+v, %v", entries, err)
	}
	fi, err := cl.Stat(ctx, "dir/sub")
	if err != nil || fi.Type != TypeDir {
		t.Fatalf("Client.Stat = %+v, %v", fi, err)
	}
	n := 0
	err = cl.Walk(ctx, "", func(p string, e Entry, err error) error {
		if err == nil && e.Type == TypeFile {
			n++
		}
		return err
	})
	if err != nil || n != 4 {
		t.Fatalf("Client.Walk: %d files, %v", n, err)
	}
	var buf bytes.Buffer
	if _, err := cl.Download(ctx, "dir/b.bin", &buf); err != nil || buf.String() != personaTree["dir/b.bin"] {
		t.Fatalf("Download: %v", err)
	}
}

// blackHole is a DialContext that drops connections to hosts in the
// 10.0.0.0/8 network as a route to a private network would: with refuse
// it fails at once (an ICMP unreachable), else it waits for ctx.
func blackHole(refuse bool) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if strings.HasPrefix(addr, "10.") {
			if refuse {
				return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.EHOSTUNREACH}
			}
			<-ctx.Done()
			return nil, &net.OpError{Op: "dial", Net: network, Err: ctx.Err()}
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
}

func TestNATPersonality(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t)
	srv := personaServer(t, ftptest.Personality{NATAddress: "10.0.0.7"}, personaTree, time.Now())
	for _, epsv := range []bool{false, true} {
		// The default: the 227 address is ignored for the peer's.
		c := personaConn(t, ctx, srv, &Dialer{EPSV: epsv, DialContext: blackHole(false)})
		mark := len(srv.Commands())
		for range 2 {
			var buf bytes.Buffer
			if _, err := c.RetrBinary(ctx, "RETR dir/b.bin", &buf); err != nil || buf.String() != personaTree["dir/b.bin"] {
				t.Fatalf("EPSV %v: RetrBinary: %v", epsv, err)
			}
		}
		cmds := srv.Commands()[mark:]
		// With Dialer.EPSV, EPSV is refused once and PASV kept.
		if want := 1; epsv && countIn(cmds, "EPSV") != want {
			t.Errorf("EPSV %v: commands %q: want one EPSV", epsv, cmds)
		}
		if countIn(cmds, "PASV") != 2 {
			t.Errorf("EPSV %v: commands %q: want two PASV", epsv, cmds)
		}
		c.Quit(ctx)
	}

	// Trusting the 227 address fails with an error saying why, whether
	// the private network answers "unreachable" or drops the packets.
	for _, refuse := range []bool{true, false} {
		d := &Dialer{TrustPASVAddress: true, DialContext: blackHole(refuse)}
		if !refuse {
			d.Timeout = time.Second
		}
		c := personaConn(t, ctx, srv, d)
		var buf bytes.Buffer
		_, err := c.RetrBinary(ctx, "RETR a.txt", &buf)
		if err == nil {
			t.Fatalf("refuse %v: RetrBinary through the announced address worked", refuse)
		}
		msg := err.Error()
		t.Log(msg)
		if !strings.Contains(msg, "10.0.0.7") || !strings.Contains(msg, "TrustPASVAddress") || !strings.Contains(msg, "RETR a.txt") {
			t.Errorf("refuse %v: error %q does not say what failed and why", refuse, msg)
		}
		if refuse && !errors.Is(err, syscall.EHOSTUNREACH) {
			t.Errorf("error %v does not wrap the dial's", err)
		}
		// The connection is still usable.
		if _, err := c.Noop(ctx); err != nil {
			t.Errorf("refuse %v: NOOP after the failed transfer: %v", refuse, err)
		}
		c.Close()
	}
}

// countIn counts the command lines of cmds with the given verb.
func countIn(cmds []string, verb string) int {
	n := 0
	for _, c := range cmds {
		v, _, _ := strings.Cut(c, " ")
		if strings.EqualFold(v, verb) {
			n++
		}
	}
	return n
}
