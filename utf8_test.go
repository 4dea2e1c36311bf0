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

// featCmds returns the FEAT and OPTS commands of cmds, and the command
// that follows each.
func featCmds(cmds []string) []string {
	var out []string
	for i, c := range cmds {
		if c == "FEAT" || strings.HasPrefix(c, "OPTS ") {
			out = append(out, c)
			if i+1 < len(cmds) && cmds[i+1] != "FEAT" && !strings.HasPrefix(cmds[i+1], "OPTS ") {
				out = append(out, cmds[i+1])
			}
		}
	}
	return out
}

func TestOptsUTF8AfterFeat(t *testing.T) {
	ctx := testCtx(t)
	noUTF8 := "211-Features:\r\n MLST type*;size*;\r\n SIZE\r\n211 End"
	for _, tc := range []struct {
		name string
		d    Dialer
		feat string // FEAT reply, "" for ftptest's (which lists UTF8)
		want []string
	}{
		{"default", Dialer{}, "", []string{"FEAT", "OPTS UTF8 ON", "TYPE A"}},
		{"NoOptsUTF8", Dialer{NoOptsUTF8: true}, "", []string{"FEAT", "TYPE A"}},
		{"Latin1", Dialer{Encoding: Latin1}, "", []string{"FEAT", "TYPE A"}},
		{"no UTF8 in FEAT", Dialer{}, noUTF8, []string{"FEAT", "TYPE A"}},
	} {
		srv := personaServer(t, ftptest.Personality{}, personaTree, time.Now())
		if tc.feat != "" {
			srv.AddFault(ftptest.Fault{Command: "FEAT", Reply: tc.feat})
		}
		c := personaConn(t, ctx, srv, &tc.d)
		for range 2 {
			if _, err := c.ReadDir(ctx, "dir"); err != nil {
				t.Fatalf("%s: ReadDir: %v", tc.name, err)
			}
		}
		if _, err := c.Feat(ctx); err != nil {
			t.Fatalf("%s: Feat: %v", tc.name, err)
		}
		// The explicit Feat sends FEAT again, never OPTS again.
		want := append(tc.want, "FEAT")
		if got := featCmds(srv.Commands()); !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", tc.name, got, want)
		}
	}
}

// An ASCII-only session that lists nothing costs neither FEAT nor OPTS.
func TestOptsUTF8NoRoundTrip(t *testing.T) {
	ctx := testCtx(t)
	srv := personaServer(t, ftptest.Personality{}, personaTree, time.Now())
	c := personaConn(t, ctx, srv, nil)
	var buf bytes.Buffer
	if _, err := c.RetrBinary(ctx, "RETR a.txt", &buf); err != nil {
		t.Fatal(err)
	}
	if _, err := c.StorBinary(ctx, "STOR b.txt", strings.NewReader("b")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Size(ctx, "b.txt"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Rename(ctx, "b.txt", "c.txt"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Nlst(ctx); err != nil {
		t.Fatal(err)
	}
	if got := featCmds(srv.Commands()); len(got) != 0 {
		t.Errorf("sent %q", got)
	}
}

// A server that reads names as ISO 8859-1 until OPTS UTF8 ON gets it
// before the first name that is not ASCII, whatever the command.
func TestOptsUTF8BeforeNonASCII(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t)
	tree := map[string]string{"a.txt": "a", "ü.txt": "umlaut", "dir/é/ß.txt": "sharp s"}
	for _, tc := range []struct {
		name string
		op   func(c *Conn, srv *ftptest.Server) error
		next string // the command FEAT and OPTS come before
	}{
		{"RetrBinary", func(c *Conn, srv *ftptest.Server) error {
			var buf bytes.Buffer
			_, err := c.RetrBinary(ctx, "RETR ü.txt", &buf)
			if err == nil && buf.String() != "umlaut" {
				err = errors.New("got " + buf.String())
			}
			return err
		}, "PASV"},
		{"RetrBinary after REST", func(c *Conn, srv *ftptest.Server) error {
			_, err := c.RetrBinary(ctx, "RETR ü.txt", io.Discard, Rest(2))
			return err
		}, "PASV"},
		{"Size", func(c *Conn, srv *ftptest.Server) error {
			n, err := c.Size(ctx, "ü.txt")
			if err == nil && n != 6 {
				err = errors.New("wrong size")
			}
			return err
		}, "SIZE ü.txt"},
		{"Rename target", func(c *Conn, srv *ftptest.Server) error {
			if _, err := c.Rename(ctx, "a.txt", "ä.txt"); err != nil {
				return err
			}
			_, err := srv.Stat("ä.txt")
			return err
		}, "RNFR a.txt"},
		{"List", func(c *Conn, srv *ftptest.Server) error {
			for _, err := range c.List(ctx, "dir/é") {
				if err != nil {
					return err
				}
			}
			return nil
		}, "PASV"},
		{"RetrMany", func(c *Conn, srv *ftptest.Server) error {
			_, err := c.RetrMany(ctx, []string{"RETR a.txt", "RETR dir/é/ß.txt"}, func(int) (io.Writer, error) { return io.Discard, nil })
			return err
		}, "PASV"},
	} {
		for _, noOpts := range []bool{false, true} {
			srv := personaServer(t, ftptest.Personality{LegacyCharset: true, RequirePRET: tc.name == "RetrMany"}, tree, time.Now())
			c := personaConn(t, ctx, srv, &Dialer{NoOptsUTF8: noOpts, PRET: tc.name == "RetrMany"})
			err := tc.op(c, srv)
			if noOpts {
				if err == nil {
					t.Errorf("%s: worked without OPTS UTF8 ON: the test proves nothing", tc.name)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
				continue
			}
			want := []string{"FEAT", "OPTS UTF8 ON", tc.next}
			if tc.name == "RetrMany" {
				want[2] = "PRET RETR dir/é/ß.txt"
			}
			if got := featCmds(srv.Commands()); !slices.Equal(got, want) {
				t.Errorf("%s: %q, want %q", tc.name, got, want)
			}
		}
	}
}

// A user name that is not ASCII: FEAT and OPTS go before USER.
func TestOptsUTF8Login(t *testing.T) {
	ctx := testCtx(t)
	srv := ftptest.NewUnstartedServer()
	srv.Personality.LegacyCharset = true
	srv.Users = map[string]string{"jürgen": "pässword"}
	srv.Start()
	defer srv.Close()
	c, err := (&Dialer{Timeout: 10 * time.Second}).Dial(ctx, srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, "jürgen", "pässword", ""); err != nil {
		t.Fatal(err)
	}
	want := []string{"FEAT", "OPTS UTF8 ON", "USER jürgen"}
	if got := featCmds(srv.Commands()); !slices.Equal(got, want) {
		t.Errorf("%q, want %q", got, want)
	}
}

func TestOptsUTF8Client(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t)
	srv := personaServer(t, ftptest.Personality{LegacyCharset: true, IIS: true}, map[string]string{"naïve/ça.txt": "ça"}, time.Now())
	cl := &Client{Addr: srv.Addr, User: "user", Password: "pass", Dialer: &Dialer{Timeout: 10 * time.Second}}
	defer cl.Close()
	var buf bytes.Buffer
	if _, err := cl.Download(ctx, "naïve/ça.txt", &buf); err != nil || buf.String() != "ça" {
		t.Fatalf("Download = %q, %v", buf.String(), err)
	}
	if _, err := cl.Upload(ctx, "naïve/où.txt", strings.NewReader("où")); err != nil {
		t.Fatal(err)
	}
	entries, err := cl.ReadDir(ctx, "naïve")
	if err != nil || len(entries) != 2 || entries[0].Name != "où.txt" || entries[1].Name != "ça.txt" {
		t.Fatalf("ReadDir = %+v, %v", entries, err)
	}
}
