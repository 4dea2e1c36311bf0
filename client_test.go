package ftp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ftplib-go/ftp/ftptest"
)

// newTestClient starts an ftptest server and returns a Client logged in
// as its user, both closed at the end of the test.
func newTestClient(t *testing.T, mod func(*Client)) (*Client, *ftptest.Server) {
	t.Helper()
	srv := ftptest.NewServer()
	t.Cleanup(srv.Close)
	c := &Client{Addr: srv.Addr, User: "user", Password: "pass", Dialer: &Dialer{Timeout: 10 * time.Second}}
	if mod != nil {
		mod(c)
	}
	t.Cleanup(func() { c.Close() })
	return c, srv
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// countCmds counts the commands the server received with the given verb.
func countCmds(srv *ftptest.Server, verb string) int {
	n := 0
	for _, c := range srv.Commands() {
		v, _, _ := strings.Cut(c, " ")
		if strings.EqualFold(v, verb) {
			n++
		}
	}
	return n
}

func TestClientRoundTrip(t *testing.T) {
	checkLeaks(t)
	c, srv := newTestClient(t, nil)
	ctx := testCtx(t)
	data := bytes.Repeat([]byte("0123456789\n"), 10000)

	if err := c.Mkdir(ctx, "dir"); err != nil {
		t.Fatal(err)
	}
	n, err := c.Upload(ctx, "dir/a.bin", bytes.NewReader(data))
	if err != nil || n != int64(len(data)) {
		t.Fatalf("Upload = %d, %v", n, err)
	}
	if got, _ := srv.ReadFile("dir/a.bin"); !bytes.Equal(got, data) {
		t.Fatalf("server has %d bytes, want %d", len(got), len(data))
	}
	var buf bytes.Buffer
	n, err = c.Download(ctx, "dir/a.bin", &buf)
	if err != nil || n != int64(len(data)) || !bytes.Equal(buf.Bytes(), data) {
		t.Fatalf("Download = %d, %v; same bytes %v", n, err, bytes.Equal(buf.Bytes(), data))
	}
	entries, err := c.ReadDir(ctx, "dir")
	if err != nil || len(entries) != 1 || entries[0].Name != "a.bin" || entries[0].Size != int64(len(data)) {
		t.Fatalf("ReadDir = %+v, %v", entries, err)
	}
	// After a listing (TYPE A), Size must still be the binary size.
	size, err := c.Size(ctx, "dir/a.bin")
	if err != nil || size != int64(len(data)) {
		t.Fatalf("Size = %d, %v, want %d", size, err, len(data))
	}
	e, err := c.Stat(ctx, "dir/a.bin")
	if err != nil || e.Name != "a.bin" || e.IsDir() || e.Size != int64(len(data)) {
		t.Fatalf("Stat = %+v, %v", e, err)
	}
	if err := c.Rename(ctx, "dir/a.bin", "dir/b.bin"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Stat("dir/b.bin"); err != nil {
		t.Fatalf("after Rename: %v", err)
	}
	if err := c.Remove(ctx, "dir/b.bin"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Stat("dir/b.bin"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("after Remove: %v", err)
	}
	// Remove falls back to RMD for a directory.
	if err := c.Remove(ctx, "dir"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Stat("dir"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("after Remove of dir: %v", err)
	}
	// One connection did all of it, and TYPE I came before SIZE.
	if got := countCmds(srv, "USER"); got != 1 {
		t.Errorf("%d logins, want 1", got)
	}
	cmds := srv.Commands()
	i := slices.IndexFunc(cmds, func(s string) bool { return strings.HasPrefix(s, "SIZE ") })
	if i < 1 || cmds[i-1] != "TYPE I" {
		t.Errorf("SIZE not right after TYPE I: %q", cmds)
	}
}

func TestClientModTime(t *testing.T) {
	c, srv := newTestClient(t, nil)
	ctx := testCtx(t)
	srv.WriteFile("f.txt", []byte("x"))
	when := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
	if err := c.SetModTime(ctx, "f.txt", when); err != nil {
		t.Fatal(err)
	}
	got, err := c.ModTime(ctx, "f.txt")
	if err != nil || !got.Equal(when) {
		t.Fatalf("ModTime = %v, %v, want %v", got, err, when)
	}
	_, err = c.ModTime(ctx, "nope.txt")
	if !errors.Is(err, fs.ErrNotExist) || !errors.Is(err, ErrPerm) {
		t.Fatalf("ModTime of a missing file: %v", err)
	}
}

func TestClientOddNames(t *testing.T) {
	c, srv := newTestClient(t, nil)
	ctx := testCtx(t)
	for _, name := range []string{"with space.txt", " lead", "-dash", "--help", "naïve ünïcode €.txt", "日本語"} {
		t.Run(name, func(t *testing.T) {
			data := []byte("content of " + name)
			if _, err := c.Upload(ctx, name, bytes.NewReader(data)); err != nil {
				t.Fatal(err)
			}
			if got, err := srv.ReadFile(name); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("server file %q: %q, %v", name, got, err)
			}
			var b bytes.Buffer
			if _, err := c.Download(ctx, name, &b); err != nil || b.String() != string(data) {
				t.Fatalf("Download: %q, %v", b.String(), err)
			}
			e, err := c.Stat(ctx, name)
			if err != nil || e.Name != name {
				t.Fatalf("Stat: %+v, %v", e, err)
			}
			if err := c.Mkdir(ctx, name+".d"); err != nil {
				t.Fatal(err)
			}
			ents, err := c.ReadDir(ctx, name+".d")
			if err != nil || len(ents) != 0 {
				t.Fatalf("ReadDir of empty %q: %v, %v", name+".d", ents, err)
			}
			if err := c.Remove(ctx, name); err != nil {
				t.Fatal(err)
			}
			if err := c.Remove(ctx, name+".d"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestClientIllegalNewline(t *testing.T) {
	checkLeaks(t)
	c, srv := newTestClient(t, nil)
	ctx := testCtx(t)
	bad := "a\r\nDELE b"
	checks := map[string]error{}
	_, checks["Download"] = c.Download(ctx, bad, io.Discard)
	_, checks["Upload"] = c.Upload(ctx, bad, strings.NewReader("x"))
	_, checks["Append"] = c.Append(ctx, bad, strings.NewReader("x"))
	_, checks["Open"] = c.Open(ctx, bad)
	_, checks["Create"] = c.Create(ctx, bad)
	_, checks["ReadDir"] = c.ReadDir(ctx, bad)
	_, checks["Stat"] = c.Stat(ctx, bad)
	_, checks["Size"] = c.Size(ctx, bad)
	_, checks["ModTime"] = c.ModTime(ctx, bad)
	checks["SetModTime"] = c.SetModTime(ctx, bad, time.Now())
	checks["Mkdir"] = c.Mkdir(ctx, bad)
	checks["MkdirAll"] = c.MkdirAll(ctx, bad)
	checks["Remove"] = c.Remove(ctx, bad)
	checks["RemoveAll"] = c.RemoveAll(ctx, bad)
	checks["Rename from"] = c.Rename(ctx, bad, "x")
	checks["Rename to"] = c.Rename(ctx, "x", bad)
	checks["Walk"] = c.Walk(ctx, bad, func(string, Entry, error) error { return nil })
	for name, err := range checks {
		var pe *fs.PathError
		if !errors.Is(err, ErrIllegalNewline) || !errors.As(err, &pe) {
			t.Errorf("%s: %v, want a *fs.PathError wrapping ErrIllegalNewline", name, err)
		}
	}
	if cmds := srv.Commands(); len(cmds) != 0 {
		t.Errorf("the server got %q", cmds)
	}
}

func TestClientErrors(t *testing.T) {
	c, srv := newTestClient(t, nil)
	ctx := testCtx(t)
	_, err := c.Download(ctx, "missing.bin", io.Discard)
	var pe *fs.PathError
	var fe *Error
	if !errors.As(err, &pe) || pe.Op != "download" || pe.Path != "missing.bin" {
		t.Fatalf("Download of a missing file: %#v", err)
	}
	if !errors.Is(err, fs.ErrNotExist) || !errors.Is(err, ErrPerm) || !errors.As(err, &fe) || fe.Code != 550 {
		t.Fatalf("Download of a missing file: %v is not ErrNotExist/ErrPerm/550", err)
	}
	for name, err := range map[string]error{
		"Stat":    func() error { _, err := c.Stat(ctx, "missing"); return err }(),
		"Size":    func() error { _, err := c.Size(ctx, "missing"); return err }(),
		"Remove":  c.Remove(ctx, "missing"),
		"Rename":  c.Rename(ctx, "missing", "other"),
		"ReadDir": func() error { _, err := c.ReadDir(ctx, "missing"); return err }(),
		"Open":    func() error { _, err := c.Open(ctx, "missing"); return err }(),
	} {
		if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) {
			t.Errorf("%s of a missing path: %v", name, err)
		}
	}
	// A 550 that does not mean "missing" is not fs.ErrNotExist.
	srv.WriteFile("exists.txt", []byte("x"))
	srv.AddFault(ftptest.Fault{Command: "RETR", Reply: "550 Permission denied."})
	retrs := countCmds(srv, "RETR")
	_, err = c.Download(ctx, "exists.txt", io.Discard)
	if !errors.Is(err, ErrPerm) || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Download refused: %v", err)
	}
	// 5xx is never retried.
	if n := countCmds(srv, "RETR") - retrs; n != 1 {
		t.Errorf("RETR sent %d times, want 1", n)
	}
	// A file is not a directory.
	if _, err := c.ReadDir(ctx, "exists.txt"); err == nil {
		t.Errorf("ReadDir of a file: no error")
	}
	// Mkdir of an existing directory fails; MkdirAll does not.
	srv.MkdirAll("d1/d2")
	if err := c.Mkdir(ctx, "d1"); !errors.Is(err, ErrPerm) {
		t.Errorf("Mkdir of an existing dir: %v", err)
	}
	if err := c.MkdirAll(ctx, "d1/d2"); err != nil {
		t.Errorf("MkdirAll of an existing dir: %v", err)
	}
	// A directory that is not empty: the error is RMD's.
	srv.WriteFile("full/x", []byte("x"))
	if err := c.Remove(ctx, "full"); !errors.Is(err, ErrPerm) || !strings.Contains(err.Error(), "RMD") && !strings.Contains(err.Error(), "irectory not empty") {
		t.Errorf("Remove of a full directory: %v", err)
	}
	if err := c.MkdirAll(ctx, "exists.txt/sub"); err == nil {
		t.Errorf("MkdirAll below a file: no error")
	}
}

func TestClientMkdirAllRemoveAll(t *testing.T) {
	c, srv := newTestClient(t, nil)
	ctx := testCtx(t)
	if err := c.MkdirAll(ctx, "a/b/c/d"); err != nil {
		t.Fatal(err)
	}
	if fi, err := srv.Stat("a/b/c/d"); err != nil || !fi.IsDir() {
		t.Fatalf("a/b/c/d: %v", err)
	}
	srv.WriteFile("a/f1", []byte("1"))
	srv.WriteFile("a/b/f2", []byte("2"))
	srv.WriteFile("a/b/c/d/f3", []byte("3"))
	var walked []string
	err := c.Walk(ctx, "a", func(p string, e Entry, err error) error {
		if err != nil {
			return err
		}
		walked = append(walked, p)
		return nil
	})
	want := []string{"a", "a/b", "a/b/c", "a/b/c/d", "a/b/c/d/f3", "a/b/f2", "a/f1"}
	if err != nil || !slices.Equal(walked, want) {
		t.Fatalf("Walk: %q, %v; want %q", walked, err, want)
	}
	if err := c.RemoveAll(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Stat("a"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("after RemoveAll: %v", err)
	}
	if err := c.RemoveAll(ctx, "a"); err != nil {
		t.Fatalf("RemoveAll of a missing path: %v", err)
	}
}

func TestClientWalkUsesClient(t *testing.T) {
	// fn may use the Client even with one connection.
	c, srv := newTestClient(t, func(c *Client) { c.MaxConns = 1 })
	ctx := testCtx(t)
	srv.WriteFile("w/x.txt", []byte("xx"))
	srv.WriteFile("w/y.txt", []byte("yyy"))
	total := int64(0)
	err := c.Walk(ctx, "w", func(p string, e Entry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		n, err := c.Download(ctx, p, io.Discard)
		total += n
		return err
	})
	if err != nil || total != 5 {
		t.Fatalf("Walk: total %d, %v", total, err)
	}
}

func TestClientOpenCreate(t *testing.T) {
	checkLeaks(t)
	c, srv := newTestClient(t, func(c *Client) { c.MaxConns = 1 })
	ctx := testCtx(t)
	w, err := c.Create(ctx, "s.txt")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		fmt.Fprintf(w, "line %d\n", i)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	want, _ := srv.ReadFile("s.txt")
	if len(want) == 0 || !strings.HasPrefix(string(want), "line 0\n") {
		t.Fatalf("server has %q", want)
	}
	r, err := c.Open(ctx, "s.txt")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("Open: %d bytes, %v", len(got), err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	// The connection went back: with MaxConns 1 this would block
	// otherwise.
	r, err = c.Open(ctx, "s.txt")
	if err != nil {
		t.Fatal(err)
	}
	one := make([]byte, 4)
	if _, err := io.ReadFull(r, one); err != nil || string(one) != "line" {
		t.Fatalf("read %q, %v", one, err)
	}
	// Close before the end aborts; the connection stays usable.
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Stat(ctx, "s.txt"); err != nil {
		t.Fatal(err)
	}
	if got := countCmds(srv, "USER"); got != 1 {
		t.Errorf("%d logins, want 1", got)
	}
}

func TestClientAppend(t *testing.T) {
	c, srv := newTestClient(t, nil)
	ctx := testCtx(t)
	srv.WriteFile("log.txt", []byte("one\n"))
	if _, err := c.Append(ctx, "log.txt", strings.NewReader("two\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Append(ctx, "new.txt", strings.NewReader("first\n")); err != nil {
		t.Fatal(err)
	}
	if got, _ := srv.ReadFile("log.txt"); string(got) != "one\ntwo\n" {
		t.Errorf("log.txt = %q", got)
	}
	if got, _ := srv.ReadFile("new.txt"); string(got) != "first\n" {
		t.Errorf("new.txt = %q", got)
	}
}

func TestClientPoolLimit(t *testing.T) {
	checkLeaks(t)
	c, srv := newTestClient(t, func(c *Client) { c.MaxConns = 3 })
	ctx := testCtx(t)
	data := bytes.Repeat([]byte("x"), 64<<10)
	srv.WriteFile("big", data)
	var wg sync.WaitGroup
	var failures atomic.Int32
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				var b bytes.Buffer
				if _, err := c.Download(ctx, "big", &b); err != nil || !bytes.Equal(b.Bytes(), data) {
					failures.Add(1)
				}
				if _, err := c.Stat(ctx, "big"); err != nil {
					failures.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if n := failures.Load(); n != 0 {
		t.Fatalf("%d failed operations", n)
	}
	open, peak := c.pool.stats()
	if peak > 3 || peak < 2 {
		t.Errorf("peak %d connections, want 2..3", peak)
	}
	if got := countCmds(srv, "USER"); got != peak {
		t.Errorf("%d logins for a peak of %d connections", got, peak)
	}
	if got := srv.MaxConcurrentConns(); got != peak {
		t.Errorf("server saw %d connections at once, the pool counted %d", got, peak)
	}
	if open != peak {
		t.Errorf("%d open after the burst, want %d idle", open, peak)
	}
}

func TestClientWaitsUnderCtx(t *testing.T) {
	c, srv := newTestClient(t, func(c *Client) { c.MaxConns = 1 })
	ctx := testCtx(t)
	srv.WriteFile("f", []byte("abc"))
	r, err := c.Open(ctx, "f") // holds the only connection
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err = c.Stat(short, "f")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stat while the pool is busy: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.Stat(ctx, "f")
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	r.Close()
	if err := <-done; err != nil {
		t.Fatalf("Stat after the connection was freed: %v", err)
	}
	if got := countCmds(srv, "USER"); got != 1 {
		t.Errorf("%d logins, want 1", got)
	}
}

func TestClientIdle(t *testing.T) {
	checkLeaks(t)
	c, srv := newTestClient(t, func(c *Client) { c.IdleTimeout = 150 * time.Millisecond })
	ctx := testCtx(t)
	if _, err := c.Stat(ctx, "/"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if open, _ := c.pool.stats(); open == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("idle connection not closed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := countCmds(srv, "QUIT"); got != 1 {
		t.Errorf("%d QUIT, want 1", got)
	}
	// The next call dials again.
	if _, err := c.Stat(ctx, "/"); err != nil {
		t.Fatal(err)
	}
	if got := countCmds(srv, "USER"); got != 2 {
		t.Errorf("%d logins, want 2", got)
	}
}

func TestClientNoopCheck(t *testing.T) {
	old := noopAfter
	noopAfter = 0
	t.Cleanup(func() { noopAfter = old })
	c, srv := newTestClient(t, nil)
	ctx := testCtx(t)
	for i := 0; i < 2; i++ {
		if _, err := c.Size(ctx, "/nope"); !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
	}
	if got := countCmds(srv, "NOOP"); got != 1 {
		t.Errorf("%d NOOP, want 1 (the reuse of an idle connection)", got)
	}
	// A connection that fails the check is replaced.
	srv.AddFault(ftptest.Fault{Command: "NOOP", CloseControl: true})
	if _, err := c.Stat(ctx, "/"); err != nil {
		t.Fatal(err)
	}
	if got := countCmds(srv, "USER"); got != 2 {
		t.Errorf("%d logins, want 2", got)
	}
}

func TestClientClose(t *testing.T) {
	checkLeaks(t)
	c, srv := newTestClient(t, nil)
	ctx := testCtx(t)
	if _, err := c.Stat(ctx, "/"); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if countCmds(srv, "QUIT") != 1 {
		t.Errorf("no QUIT on Close")
	}
	if _, err := c.Stat(ctx, "/"); !errors.Is(err, ErrClosed) {
		t.Errorf("Stat after Close: %v", err)
	}
	if err := c.Do(ctx, func(*Conn) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Do after Close: %v", err)
	}
}

func TestClientDo(t *testing.T) {
	c, srv := newTestClient(t, nil)
	ctx := testCtx(t)
	var welcome string
	err := c.Do(ctx, func(cn *Conn) error {
		welcome = cn.Welcome()
		_, err := cn.Cwd(ctx, "/")
		return err
	})
	if err != nil || !strings.HasPrefix(welcome, "220") {
		t.Fatalf("Do: %q, %v", welcome, err)
	}
	// fn's error comes back as it is; the connection stays pooled.
	sentinel := errors.New("mine")
	if err := c.Do(ctx, func(*Conn) error { return sentinel }); err != sentinel {
		t.Fatalf("Do = %v", err)
	}
	// A connection switched to active mode is not given back.
	c.Do(ctx, func(cn *Conn) error { cn.SetPasv(false); return nil })
	c.Do(ctx, func(cn *Conn) error {
		if !cn.passive {
			t.Error("got back a connection in active mode")
		}
		return nil
	})
	if got := countCmds(srv, "USER"); got != 2 {
		t.Errorf("%d logins, want 2", got)
	}
}

func TestClientDir(t *testing.T) {
	c, srv := newTestClient(t, func(c *Client) { c.Dir = "home/u" })
	srv.MkdirAll("home/u")
	ctx := testCtx(t)
	if _, err := c.Upload(ctx, "f.txt", strings.NewReader("hi")); err != nil {
		t.Fatal(err)
	}
	if got, err := srv.ReadFile("home/u/f.txt"); err != nil || string(got) != "hi" {
		t.Fatalf("home/u/f.txt: %q, %v", got, err)
	}
	// A Conn lent by Do may change directory: paths still resolve.
	c.Do(ctx, func(cn *Conn) error { _, err := cn.Cwd(ctx, "/"); return err })
	if n, err := c.Size(ctx, "f.txt"); err != nil || n != 2 {
		t.Fatalf("Size after a Cwd: %d, %v", n, err)
	}
	if _, err := c.Stat(ctx, "/home"); err != nil {
		t.Fatalf("absolute path: %v", err)
	}
}

func TestClientFS(t *testing.T) {
	c, srv := newTestClient(t, nil)
	ctx := testCtx(t)
	srv.WriteFile("fs/a.txt", []byte("alpha"))
	srv.WriteFile("fs/sub/b.txt", []byte("bravo"))
	srv.WriteFile("fs/sub/c.txt", []byte(""))
	fsys, err := fs.Sub(c.FS(ctx), "fs")
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(fsys, "a.txt", "sub/b.txt", "sub/c.txt"); err != nil {
		t.Fatal(err)
	}
	b, err := fs.ReadFile(fsys, "sub/b.txt")
	if err != nil || string(b) != "bravo" {
		t.Fatalf("ReadFile: %q, %v", b, err)
	}
	_, err = fs.Stat(fsys, "nope")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat of a missing name: %v", err)
	}
	if _, err := c.FS(ctx).Open("../x"); !errors.Is(err, fs.ErrInvalid) {
		t.Fatalf("Open of an invalid name: %v", err)
	}
	f, err := c.FS(ctx).Open("fs/a.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.(io.Seeker).Seek(2, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(f)
	if err != nil || string(rest) != "pha" {
		t.Fatalf("read after Seek: %q, %v", rest, err)
	}
}

func TestNewClient(t *testing.T) {
	for _, tt := range []struct {
		url  string
		want *Client
	}{
		{"ftp://host", &Client{Addr: "host:21"}},
		{"ftp://u:pw0rd@host:2121/", &Client{Addr: "host:2121", User: "u", Password: "pw0rd"}},
		{"ftps://u@host", &Client{Addr: "host:990", User: "u", TLS: ImplicitTLS}},
		{"ftpes://u%40x:p%3Aw%2F%20d@[::1]/pub/a%20b", &Client{Addr: "[::1]:21", User: "u@x", Password: "p:w/ d", TLS: ExplicitTLS, Dir: "pub/a b"}},
		{"FTP://h/%2Fsrv/x", &Client{Addr: "h:21", Dir: "/srv/x"}},
	} {
		c, err := NewClient(tt.url)
		if err != nil {
			t.Errorf("%s: %v", tt.url, err)
			continue
		}
		if c.Addr != tt.want.Addr || c.User != tt.want.User || c.Password != tt.want.Password || c.TLS != tt.want.TLS || c.Dir != tt.want.Dir {
			t.Errorf("%s: got %+v", tt.url, c)
		}
		if strings.Contains(c.String(), "p:w") || (c.Password != "" && strings.Contains(c.String(), c.Password)) {
			t.Errorf("%s: String shows the password: %s", tt.url, c.String())
		}
	}
	for _, bad := range []string{
		"http://u:secret@host/",
		"ftp://u:secret@/",
		"ftp://u:secret@host:99999999999/",
		"ftp://u:secret@ho st/",
		"ftp://u:sec%zzret@host/",
		"ftp://u:secret%0D%0A@host/",
		"ftp:u:secret@host",
		"ftp://u:secret@host/%0ADELE",
	} {
		_, err := NewClient(bad)
		if err == nil {
			t.Errorf("%s: no error", bad)
			continue
		}
		if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "sec%zzret") {
			t.Errorf("%s: error shows the password: %v", bad, err)
		}
	}
	c, _ := NewClient("ftpes://alice:hunter2@example.com/%2Fdata/in")
	if s := c.String(); s != "ftpes://alice@example.com:21/%2Fdata/in" {
		t.Errorf("String = %s", s)
	}
}

func TestClientExplicitTLS(t *testing.T) {
	checkLeaks(t)
	srv := ftptest.NewUnstartedServer()
	srv.RequireTLS = true
	srv.RequireSessionReuse = true
	srv.StartTLS()
	defer srv.Close()
	c, err := NewClient("ftpes://user:pass@" + srv.Addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	c.Dialer = &Dialer{TLSConfig: srv.TLSConfig(), Timeout: 10 * time.Second}
	defer c.Close()
	ctx := testCtx(t)
	if _, err := c.Upload(ctx, "t.bin", strings.NewReader("secret data")); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := c.Download(ctx, "t.bin", &b); err != nil || b.String() != "secret data" {
		t.Fatalf("Download: %q, %v", b.String(), err)
	}
	if _, err := c.ReadDir(ctx, ""); err != nil {
		t.Fatal(err)
	}
	cmds := srv.Commands()
	want := []string{"AUTH TLS", "USER user", "PASS pass", "PBSZ 0", "PROT P"}
	if len(cmds) < len(want) || !slices.Equal(cmds[:len(want)], want) {
		t.Fatalf("commands %q, want them to start with %q", cmds, want)
	}
	for _, tr := range srv.Transfers() {
		if !tr.TLS || !tr.DidResume {
			t.Errorf("transfer %+v not protected or not resumed", tr)
		}
	}
}

func TestClientImplicitTLS(t *testing.T) {
	srv := ftptest.NewUnstartedServer()
	srv.StartImplicitTLS()
	defer srv.Close()
	c := &Client{Addr: srv.Addr, User: "user", Password: "pass", TLS: ImplicitTLS,
		Dialer: &Dialer{TLSConfig: srv.TLSConfig(), Timeout: 10 * time.Second}}
	defer c.Close()
	ctx := testCtx(t)
	if _, err := c.Upload(ctx, "i.bin", strings.NewReader("implicit")); err != nil {
		t.Fatal(err)
	}
	if got, _ := srv.ReadFile("i.bin"); string(got) != "implicit" {
		t.Fatalf("server has %q", got)
	}
	if slices.Contains(srv.Commands(), "AUTH TLS") {
		t.Error("AUTH TLS sent on implicit TLS")
	}
	trs := srv.Transfers()
	if len(trs) != 1 || !trs[0].TLS {
		t.Errorf("transfers %+v", trs)
	}
	if !strings.HasPrefix(c.String(), "ftps://user@") {
		t.Errorf("String = %s", c.String())
	}
}

func TestClientLoginErrorHasNoPassword(t *testing.T) {
	c, srv := newTestClient(t, func(c *Client) { c.Password = "wrong-secret" })
	ctx := testCtx(t)
	_, err := c.Stat(ctx, "/")
	if !errors.Is(err, ErrPerm) || strings.Contains(err.Error(), "wrong-secret") {
		t.Fatalf("login failure: %v", err)
	}
	if got := countCmds(srv, "USER"); got != 1 {
		t.Errorf("a 530 was retried: %d logins", got)
	}
	if strings.Contains(c.String(), "wrong-secret") {
		t.Errorf("String = %s", c.String())
	}
}

func TestClientTLSPoolSessions(t *testing.T) {
	checkLeaks(t)
	srv := ftptest.NewUnstartedServer()
	srv.RequireTLS = true
	srv.RequireSessionReuse = true
	srv.StartTLS()
	defer srv.Close()
	c := &Client{Addr: srv.Addr, User: "user", Password: "pass", TLS: ExplicitTLS, MaxConns: 3,
		Dialer: &Dialer{TLSConfig: srv.TLSConfig(), Timeout: 10 * time.Second}}
	defer c.Close()
	ctx := testCtx(t)
	data := bytes.Repeat([]byte("tls"), 50000)
	srv.WriteFile("t.bin", data)
	var wg sync.WaitGroup
	var bad atomic.Int32
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 3; i++ {
				var b bytes.Buffer
				if _, err := c.Download(ctx, "t.bin", &b); err != nil || !bytes.Equal(b.Bytes(), data) {
					t.Errorf("Download: %v", err)
					bad.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if bad.Load() != 0 {
		return
	}
	trs := srv.Transfers()
	if len(trs) != 18 {
		t.Errorf("%d transfers, want 18", len(trs))
	}
	for _, tr := range trs {
		if !tr.TLS || !tr.DidResume {
			t.Errorf("transfer %+v: not protected, or did not resume its control connection's session", tr)
		}
	}
	if got := srv.MaxConcurrentConns(); got > 3 {
		t.Errorf("%d connections at once, MaxConns 3", got)
	}
}

func TestClientCancelMidTransfer(t *testing.T) {
	checkLeaks(t)
	c, srv := newTestClient(t, nil)
	srv.WriteFile("big", bytes.Repeat([]byte("z"), 4<<20))
	srv.AddFault(ftptest.Fault{Command: "RETR", Nth: 1, StallData: true, CutAfter: 100000})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &cancelingWriter{n: 50000, cancel: cancel}
	_, err := c.Download(ctx, "big", w)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Download: %v", err)
	}
	if got := countCmds(srv, "RETR"); got != 1 {
		t.Errorf("a cancelled download was retried: %d RETR", got)
	}
	// The Client goes on with a fresh or cleaned-up connection.
	if _, err := c.Size(testCtx(t), "big"); err != nil {
		t.Fatal(err)
	}
}

// cancelingWriter cancels a context once it has accepted n bytes.
type cancelingWriter struct {
	n      int
	cancel func()
}

func (w *cancelingWriter) Write(p []byte) (int, error) {
	w.n -= len(p)
	if w.n <= 0 {
		w.cancel()
	}
	return len(p), nil
}

func TestClientCloseWhileInUse(t *testing.T) {
	checkLeaks(t)
	c, srv := newTestClient(t, nil)
	ctx := testCtx(t)
	srv.WriteFile("f", bytes.Repeat([]byte("y"), 1<<20))
	r, err := c.Open(ctx, "f")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Stat(ctx, "f"); err != nil { // a second, idle connection
		t.Fatal(err)
	}
	c.Close()
	if open, _ := c.pool.stats(); open != 1 {
		t.Errorf("%d open after Close, want 1 (the one in use)", open)
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		t.Fatalf("reading on after Close: %v", err)
	}
	r.Close()
	if open, _ := c.pool.stats(); open != 0 {
		t.Errorf("%d open after the last stream closed", open)
	}
	deadline := time.Now().Add(5 * time.Second)
	for srv.OpenConns() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := srv.OpenConns(); n != 0 {
		t.Errorf("server still has %d connections", n)
	}
}

// FuzzNewClient checks that NewClient never panics, never shows the
// password in an error or in String, and that String gives back a URL
// that NewClient reads as the same Client (less the password).
func FuzzNewClient(f *testing.F) {
	for _, s := range []string{
		"ftp://host", "ftp://u:p@host:21/dir", "ftps://u@[::1]:990/%2Fabs/x",
		"ftpes://a%40b:c%3Ad@h/p%20q/", "ftp://u:secret@/", "http://x",
		"ftp://u:pa@ss@host/", "ftp://h/a%0Db", "ftp://h:0/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := NewClient(raw)
		if err != nil {
			if c != nil {
				t.Fatal("a Client with an error")
			}
			return
		}
		if len(c.Password) >= 4 && strings.Contains(c.String(), c.Password) && !strings.Contains(c.User+c.Addr+c.Dir, c.Password) && !strings.Contains("ftpes://", c.Password) {
			t.Fatalf("String %q shows the password %q", c.String(), c.Password)
		}
		if strings.ContainsAny(c.User+c.Password+c.Dir, "\r\n") {
			t.Fatalf("CR/LF accepted: %+v", c)
		}
		back, err := NewClient(c.String())
		if err != nil {
			t.Fatalf("NewClient(%q) (from %q): %v", c.String(), raw, err)
		}
		if back.Addr != c.Addr || back.User != c.User || back.TLS != c.TLS || back.Dir != c.Dir {
			t.Fatalf("round trip of %q through %q: %+v, want %+v", raw, c.String(), back, c)
		}
	})
}
