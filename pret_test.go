package ftp

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ftplib-go/ftp/ftptest"
)

// pretCmds returns the commands of cmds that open or prepare data
// connections, and FEAT.
func pretCmds(cmds []string) []string {
	var out []string
	for _, c := range cmds {
		v, _, _ := strings.Cut(c, " ")
		switch strings.ToUpper(v) {
		case "PRET", "PASV", "EPSV", "FEAT", "RETR", "STOR", "LIST", "MLSD", "NLST":
			out = append(out, c)
		}
	}
	return out
}

func TestPRETLearnedFromRefusal(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t)
	srv := personaServer(t, ftptest.Personality{RequirePRET: true}, personaTree, time.Now())
	for _, epsv := range []bool{false, true} {
		pasv := "PASV"
		if epsv {
			pasv = "EPSV"
		}
		c := personaConn(t, ctx, srv, &Dialer{EPSV: epsv})
		mark := len(srv.Commands())
		for range 2 {
			var buf bytes.Buffer
			if _, err := c.RetrBinary(ctx, "RETR a.txt", &buf); err != nil || buf.String() != personaTree["a.txt"] {
				t.Fatalf("%s: RetrBinary = %q, %v", pasv, buf.String(), err)
			}
		}
		// The first PASV is refused, FEAT shows PRET; from then on PRET
		// goes first.
		want := []string{pasv, "FEAT", "PRET RETR a.txt", pasv, "RETR a.txt", "PRET RETR a.txt", pasv, "RETR a.txt"}
		if got := pretCmds(srv.Commands()[mark:]); !slices.Equal(got, want) {
			t.Errorf("%s: commands %q, want %q", pasv, got, want)
		}
		// Uploads and listings announce themselves too.
		if _, err := c.StorBinary(ctx, "STOR up.txt", strings.NewReader("up")); err != nil {
			t.Fatalf("%s: StorBinary: %v", pasv, err)
		}
		entries, err := c.ReadDir(ctx, "dir")
		if err != nil || len(entries) != 2 {
			t.Fatalf("%s: ReadDir = %+v, %v", pasv, entries, err)
		}
		names, err := c.Nlst(ctx, "dir")
		if err != nil || len(names) != 2 {
			t.Fatalf("%s: Nlst = %q, %v", pasv, names, err)
		}
		for _, want := range []string{"PRET STOR up.txt", "PRET MLSD dir", "PRET NLST dir"} {
			if !slices.Contains(srv.Commands()[mark:], want) {
				t.Errorf("%s: %q not sent", pasv, want)
			}
		}
		if n := countIn(srv.Commands()[mark:], "FEAT"); n != 1 {
			t.Errorf("%s: FEAT sent %d times", pasv, n)
		}
		c.Quit(ctx)
	}
}

// Once FEAT is known (here from ReadDir), PRET goes first at once; a
// server without PRET costs no FEAT and no PRET.
func TestPRETFromKnownFeatures(t *testing.T) {
	ctx := testCtx(t)
	srv := personaServer(t, ftptest.Personality{RequirePRET: true, IIS: true}, personaTree, time.Now())
	c := personaConn(t, ctx, srv, nil)
	if _, err := c.ReadDir(ctx, ""); err != nil {
		t.Fatal(err)
	}
	want := []string{"FEAT", "PRET LIST", "PASV", "LIST"}
	if got := pretCmds(srv.Commands()); !slices.Equal(got, want) {
		t.Errorf("commands %q, want %q", got, want)
	}

	plain := personaServer(t, ftptest.Personality{}, personaTree, time.Now())
	c = personaConn(t, ctx, plain, nil)
	var buf bytes.Buffer
	if _, err := c.RetrBinary(ctx, "RETR a.txt", &buf); err != nil {
		t.Fatal(err)
	}
	want = []string{"PASV", "RETR a.txt"}
	if got := pretCmds(plain.Commands()); !slices.Equal(got, want) {
		t.Errorf("without PRET: commands %q, want %q", got, want)
	}
}

// Dialer.PRET sends PRET from the first transfer, for servers that want it
// without listing it in FEAT.
func TestPRETDialer(t *testing.T) {
	ctx := testCtx(t)
	srv := personaServer(t, ftptest.Personality{RequirePRET: true}, personaTree, time.Now())
	srv.AddFault(ftptest.Fault{Command: "FEAT", Reply: "211-Features:\r\n SIZE\r\n211 End"})
	c := personaConn(t, ctx, srv, &Dialer{PRET: true})
	var buf bytes.Buffer
	if _, err := c.RetrBinary(ctx, "RETR a.txt", &buf); err != nil {
		t.Fatal(err)
	}
	want := []string{"PRET RETR a.txt", "PASV", "RETR a.txt"}
	if got := pretCmds(srv.Commands()); !slices.Equal(got, want) {
		t.Errorf("commands %q, want %q", got, want)
	}

	// Without it, a PRET server whose FEAT does not list PRET is refused
	// with the server's reply.
	c = personaConn(t, ctx, srv, nil)
	_, err := c.RetrBinary(ctx, "RETR a.txt", &buf)
	if !errors.Is(err, ErrPerm) || !strings.Contains(err.Error(), "PRET") {
		t.Errorf("RetrBinary without PRET: %v", err)
	}
}

// A PRET refused (a file the server cannot serve) is the transfer's error.
func TestPRETRefused(t *testing.T) {
	ctx := testCtx(t)
	srv := personaServer(t, ftptest.Personality{RequirePRET: true}, personaTree, time.Now())
	srv.AddFault(ftptest.Fault{Command: "PRET", Nth: 1, Reply: "550 missing.txt: no slave holds it"})
	c := personaConn(t, ctx, srv, &Dialer{PRET: true})
	var buf bytes.Buffer
	_, err := c.RetrBinary(ctx, "RETR missing.txt", &buf)
	var e *Error
	if !errors.As(err, &e) || e.Code != 550 {
		t.Fatalf("RetrBinary = %v, want the 550", err)
	}
	if n := countIn(srv.Commands(), "PASV") + countIn(srv.Commands(), "EPSV"); n != 0 {
		t.Errorf("%d PASV/EPSV sent after PRET was refused", n)
	}
	if _, err := c.RetrBinary(ctx, "RETR a.txt", &buf); err != nil {
		t.Fatal(err)
	}
}

// RetrMany sends the next file's PRET and PASV ahead, together.
func TestPRETRetrMany(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t)
	files := map[string]string{}
	var cmds []string
	for i := range 6 {
		name := string(rune('a'+i)) + ".bin"
		files[name] = strings.Repeat(name, 1000*i)
		cmds = append(cmds, "RETR "+name)
	}
	srv := personaServer(t, ftptest.Personality{RequirePRET: true}, files, time.Now())
	c := personaConn(t, ctx, srv, &Dialer{PRET: true})
	bufs := make([]bytes.Buffer, len(cmds))
	n, err := c.RetrMany(ctx, cmds, func(i int) (io.Writer, error) { return &bufs[i], nil })
	if err != nil || n != len(cmds) {
		t.Fatalf("RetrMany = %d, %v", n, err)
	}
	for i, cmd := range cmds {
		if name := strings.TrimPrefix(cmd, "RETR "); bufs[i].String() != files[name] {
			t.Errorf("%s: %d bytes, want %d", name, bufs[i].Len(), len(files[name]))
		}
	}
	var want []string
	for _, cmd := range cmds {
		want = append(want, "PRET "+cmd, "PASV", cmd)
	}
	if got := pretCmds(srv.Commands()); !slices.Equal(got, want) {
		t.Errorf("commands %q, want %q", got, want)
	}

	// A batch that stops after the next PRET and PASV went out leaves
	// their replies to be read before the next command.
	stop := errors.New("stop")
	n, err = c.RetrMany(ctx, cmds[:3], func(i int) (io.Writer, error) {
		if i == 1 {
			return nil, stop
		}
		return io.Discard, nil
	})
	if n != 1 || !errors.Is(err, stop) {
		t.Fatalf("RetrMany = %d, %v", n, err)
	}
	if r, err := c.SendCmd(ctx, "NOOP"); err != nil || !strings.HasPrefix(r, "200") {
		t.Fatalf("NOOP after the batch = %q, %v", r, err)
	}
	var buf bytes.Buffer
	if _, err := c.RetrBinary(ctx, "RETR c.bin", &buf); err != nil || buf.String() != files["c.bin"] {
		t.Fatalf("RetrBinary after the batch: %v", err)
	}
}

// The Client and its batch downloads on a server that needs PRET, lists
// IIS-style and sits behind NAT.
func TestPRETClient(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t)
	when := time.Date(2025, 6, 7, 8, 9, 0, 0, time.UTC)
	srv := personaServer(t, ftptest.Personality{RequirePRET: true, IIS: true, NATAddress: "192.168.77.1"}, personaTree, when)
	cl := &Client{Addr: srv.Addr, User: "user", Password: "pass", Dialer: &Dialer{Timeout: 10 * time.Second}}
	defer cl.Close()
	var paths []string
	err := cl.Walk(ctx, "", func(p string, e Entry, err error) error {
		if err == nil && e.Type == TypeFile {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil || len(paths) != 4 {
		t.Fatalf("Walk: %q, %v", paths, err)
	}
	bufs := make([]bytes.Buffer, len(paths))
	res, err := cl.DownloadMany(ctx, paths, func(i int, _ string) (io.Writer, error) { return &bufs[i], nil })
	if err != nil {
		t.Fatalf("DownloadMany: %v (%+v)", err, res)
	}
	for i, p := range paths {
		if bufs[i].String() != personaTree[strings.TrimPrefix(p, "/")] {
			t.Errorf("%s: %q", p, bufs[i].String())
		}
	}
	if _, err := cl.Upload(ctx, "dir/new.txt", strings.NewReader("new")); err != nil {
		t.Fatal(err)
	}
	if got, _ := srv.ReadFile("dir/new.txt"); string(got) != "new" {
		t.Errorf("uploaded %q", got)
	}
}
