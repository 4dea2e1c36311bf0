package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ftplib-go/ftp"
)

// The Client's operations on every server configuration: the same rows
// in the matrix, prefixed "Client:".

// client returns a Client for s (explicit or implicit FTPS as s needs),
// closed at the end of the test. mod may change it.
func (s *server) client(t *testing.T, mod func(*ftp.Client)) *ftp.Client {
	t.Helper()
	c := &ftp.Client{Addr: s.addr, User: user, Password: pass, Dialer: s.dialer(t, nil)}
	switch s.tls {
	case explicitTLS:
		c.TLS = ftp.ExplicitTLS
	case implicitTLS:
		c.TLS = ftp.ImplicitTLS
	}
	if mod != nil {
		mod(c)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// clientScratch makes the operation's scratch directory with the Client
// and removes it from the server's disk at the end.
func (s *server) clientScratch(t *testing.T, ctx context.Context, c *ftp.Client, op string) string {
	t.Helper()
	dir := s.scratch("client-" + op)
	if err := c.Mkdir(ctx, dir); err != nil {
		t.Fatalf("Mkdir %s: %v", dir, err)
	}
	t.Cleanup(func() { os.RemoveAll(s.local(dir)) })
	return dir
}

var clientOps = []op{
	{"Client: Upload/Download/Size/Stat/ReadDir", clientRoundTrip},
	{"Client: names with spaces, dash, UTF-8", clientNames},
	{"Client: Rename/Remove, missing -> fs.ErrNotExist", clientRenameRemove},
	{"Client: MkdirAll/Walk/RemoveAll", clientTree},
	{"Client: Append, Open, Create", clientStreams},
	{"Client: SetModTime/ModTime", clientModTime},
	{"Client: 8 goroutines, MaxConns 4", clientConcurrent},
	{"Client: data cut -> resumed download/upload", clientResume},
	{"Client: DownloadMany (one connection, PASV ahead, 550 and ABOR mid-batch)", clientDownloadMany},
}

func TestInteropClient(t *testing.T) {
	needInterop(t)
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			for _, o := range clientOps {
				run(t, s, o.name, func(t *testing.T, r *rec) { o.fn(t, s, r) })
			}
		})
	}
}

func clientRoundTrip(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.client(t, nil)
	dir := s.clientScratch(t, ctx, c, "rt")
	data := randomBytes(t, 1<<20)
	name := join(dir, "r.bin")
	if n, err := c.Upload(ctx, name, bytes.NewReader(data)); err != nil || n != int64(len(data)) {
		t.Fatalf("Upload = %d, %v", n, err)
	}
	onDisk(t, s, name, data)
	var b bytes.Buffer
	if n, err := c.Download(ctx, name, &b); err != nil || n != int64(len(data)) {
		t.Fatalf("Download = %d, %v", n, err)
	}
	sameBytes(t, "Download", b.Bytes(), data)
	ents, err := c.ReadDir(ctx, dir)
	if err != nil || len(ents) != 1 || ents[0].Name != "r.bin" || ents[0].Size != int64(len(data)) {
		t.Fatalf("ReadDir = %+v, %v", ents, err)
	}
	// Right after a listing (TYPE A on the connection): SIZE works
	// everywhere because TYPE I is sent first.
	if n, err := c.Size(ctx, name); err != nil || n != int64(len(data)) {
		t.Fatalf("Size after ReadDir = %d, %v", n, err)
	}
	e, err := c.Stat(ctx, name)
	if err != nil || e.Name != "r.bin" || e.IsDir() || e.Size != int64(len(data)) {
		t.Fatalf("Stat = %+v, %v", e, err)
	}
	d, err := c.Stat(ctx, dir)
	if err != nil || !d.IsDir() {
		t.Fatalf("Stat of the directory = %+v, %v", d, err)
	}
	if s.tls != plainFTP {
		r.Note("one-step FTPS (%v)", c.TLS)
	}
}

func clientNames(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.client(t, nil)
	dir := s.clientScratch(t, ctx, c, "names")
	for _, base := range []string{"with space.txt", "-dash.txt", "ünïcødé €.txt"} {
		name := join(dir, base)
		data := []byte("content of " + base)
		if _, err := c.Upload(ctx, name, bytes.NewReader(data)); err != nil {
			t.Fatalf("Upload %q: %v", base, err)
		}
		onDisk(t, s, name, data)
		var b bytes.Buffer
		if _, err := c.Download(ctx, name, &b); err != nil {
			t.Fatalf("Download %q: %v", base, err)
		}
		sameBytes(t, base, b.Bytes(), data)
		if e, err := c.Stat(ctx, name); err != nil || e.Name != base {
			t.Fatalf("Stat %q = %+v, %v", base, e, err)
		}
	}
	ents, err := c.ReadDir(ctx, dir)
	if err != nil || len(ents) != 3 {
		t.Fatalf("ReadDir = %+v, %v", ents, err)
	}
}

func clientRenameRemove(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.client(t, nil)
	dir := s.clientScratch(t, ctx, c, "rn")
	a, b := join(dir, "a.txt"), join(dir, "b.txt")
	if _, err := c.Upload(ctx, a, bytes.NewReader([]byte("abc"))); err != nil {
		t.Fatal(err)
	}
	if err := c.Rename(ctx, a, b); err != nil {
		t.Fatalf("Rename: %v", err)
	}
	onDisk(t, s, b, []byte("abc"))
	if _, err := os.Stat(s.local(a)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s still on disk", a)
	}
	if err := c.Remove(ctx, b); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if _, err := os.Stat(s.local(b)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s still on disk", b)
	}
	missing := join(dir, "missing.txt")
	checks := map[string]error{
		"Stat":     func() error { _, err := c.Stat(ctx, missing); return err }(),
		"Download": func() error { _, err := c.Download(ctx, missing, io.Discard); return err }(),
		"Size":     func() error { _, err := c.Size(ctx, missing); return err }(),
		"Remove":   c.Remove(ctx, missing),
		"Rename":   c.Rename(ctx, missing, b),
		"ReadDir":  func() error { _, err := c.ReadDir(ctx, join(dir, "nodir")); return err }(),
	}
	for name, err := range checks {
		var pe *fs.PathError
		if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) {
			t.Errorf("%s of a missing path: %v, want a PathError matching fs.ErrNotExist", name, err)
		}
	}
	// Remove of an empty directory (RMD after DELE is refused).
	sub := join(dir, "sub")
	if err := c.Mkdir(ctx, sub); err != nil {
		t.Fatal(err)
	}
	if err := c.Remove(ctx, sub); err != nil {
		t.Fatalf("Remove of an empty directory: %v", err)
	}
}

func clientTree(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.client(t, nil)
	dir := s.clientScratch(t, ctx, c, "tree")
	deep := join(dir, "a/b/c")
	if err := c.MkdirAll(ctx, deep); err != nil {
		t.Fatalf("MkdirAll: %v", err)
	}
	if err := c.MkdirAll(ctx, deep); err != nil {
		t.Fatalf("MkdirAll again: %v", err)
	}
	for _, f := range []string{"a/1", "a/b/2", "a/b/c/3"} {
		if _, err := c.Upload(ctx, join(dir, f), bytes.NewReader([]byte(f))); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	err := c.Walk(ctx, join(dir, "a"), func(p string, e ftp.Entry, err error) error {
		if err != nil {
			return err
		}
		got = append(got, p[len(dir)+1:])
		return nil
	})
	want := []string{"a", "a/1", "a/b", "a/b/2", "a/b/c", "a/b/c/3"}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("Walk = %q, %v; want %q", got, err, want)
	}
	if err := c.RemoveAll(ctx, join(dir, "a")); err != nil {
		t.Fatalf("RemoveAll: %v", err)
	}
	if _, err := os.Stat(s.local(join(dir, "a"))); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a still on disk: %v", err)
	}
}

func clientStreams(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.client(t, nil)
	dir := s.clientScratch(t, ctx, c, "streams")
	name := join(dir, "s.bin")
	w, err := c.Create(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	data := randomBytes(t, 300<<10)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Create Close: %v", err)
	}
	more := []byte("tail")
	want := append(slices.Clone(data), more...)
	if _, err := c.Append(ctx, name, bytes.NewReader(more)); s.noAppe {
		wantReplyErr(t, "Append", err, ftp.ErrPerm, s.unknown())
		r.Note("Append refused (no APPE): %v", err)
		want = data
	} else if err != nil {
		t.Fatalf("Append: %v", err)
	}
	onDisk(t, s, name, want)
	rc, err := c.Open(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("Open read: %v", err)
	}
	if err := rc.Close(); err != nil {
		t.Fatalf("Open Close: %v", err)
	}
	sameBytes(t, "Open", got, want)
	// Closing early aborts; the Client goes on.
	rc, err = c.Open(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(rc, make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if n, err := c.Size(ctx, name); err != nil || n != int64(len(want)) {
		t.Fatalf("Size after an aborted Open = %d, %v", n, err)
	}
}

func clientModTime(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.client(t, nil)
	dir := s.clientScratch(t, ctx, c, "mtime")
	name := join(dir, "m.txt")
	if _, err := c.Upload(ctx, name, bytes.NewReader([]byte("m"))); err != nil {
		t.Fatal(err)
	}
	when := time.Date(2020, 5, 6, 7, 8, 9, 0, time.UTC)
	if s.noSetTime {
		// No MFMT, and "MDTM time path" is taken for MDTM of a file
		// named "time path": refused, and the file keeps its time.
		err := c.SetModTime(ctx, name, when)
		if !errors.Is(err, ftp.ErrPerm) {
			t.Fatalf("SetModTime: %v, want a refusal of class ErrPerm", err)
		}
		if got, err := c.ModTime(ctx, name); err != nil || got.Equal(when) {
			t.Errorf("ModTime after the refusal = %v, %v", got, err)
		}
		r.Note("no way to set times: %v", err)
		return
	}
	if err := c.SetModTime(ctx, name, when); err != nil {
		if errors.Is(err, ftp.ErrPerm) {
			r.NA(t, fmt.Sprintf("setting times refused: %v", err))
		}
		t.Fatalf("SetModTime: %v", err)
	}
	got, err := c.ModTime(ctx, name)
	if err != nil || !got.Equal(when) {
		t.Fatalf("ModTime = %v, %v; want %v", got, err, when)
	}
	fi, err := os.Stat(s.local(name))
	if err != nil || !fi.ModTime().Equal(when) {
		t.Errorf("on disk: %v, %v", fi.ModTime(), err)
	}
}

func clientConcurrent(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.client(t, func(c *ftp.Client) { c.MaxConns = 4 })
	dir := s.clientScratch(t, ctx, c, "conc")
	data := randomBytes(t, 64<<10)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 4; i++ {
				name := join(dir, fmt.Sprintf("g%d-%d.bin", g, i))
				if _, err := c.Upload(ctx, name, bytes.NewReader(data)); err != nil {
					errs <- err
					return
				}
				var b bytes.Buffer
				if _, err := c.Download(ctx, name, &b); err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(b.Bytes(), data) {
					errs <- fmt.Errorf("%s: bytes differ", name)
				}
				if _, err := c.Stat(ctx, name); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	ents, err := c.ReadDir(ctx, dir)
	if err != nil || len(ents) != 32 {
		t.Fatalf("ReadDir: %d entries, %v", len(ents), err)
	}
}

// cutConn closes its connection once more than limit bytes were read or
// written on it: a data connection cut mid-transfer (control connections
// never carry that much).
type cutConn struct {
	net.Conn
	limit int64
	n     atomic.Int64
	fired *atomic.Bool
}

func (c *cutConn) count(n int) {
	if c.n.Add(int64(n)) > c.limit && c.fired.CompareAndSwap(false, true) {
		c.Conn.Close()
	}
}

func (c *cutConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.count(n)
	return n, err
}

func (c *cutConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.count(n)
	return n, err
}

func clientResume(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	setup := s.client(t, nil)
	dir := s.clientScratch(t, ctx, setup, "resume")
	data := randomBytes(t, 1<<20)
	name := join(dir, "big.bin")
	if _, err := setup.Upload(ctx, name, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	// Each Client below cuts its first data connection after 300 KB.
	cutting := func(fired *atomic.Bool) func(*ftp.Client) {
		return func(c *ftp.Client) {
			c.Dialer.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				var d net.Dialer
				nc, err := d.DialContext(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				return &cutConn{Conn: nc, limit: 300 << 10, fired: fired}, nil
			}
		}
	}
	var fired atomic.Bool
	c := s.client(t, cutting(&fired))
	var b bytes.Buffer
	if s.noRest {
		// The resumed download needs REST: the refusal is returned,
		// with what was received before the cut.
		n, err := c.Download(ctx, name, &b)
		wantReplyErr(t, "Download with a cut", err, ftp.ErrPerm, s.unknown())
		if !fired.Load() || n != int64(b.Len()) || !bytes.Equal(b.Bytes(), data[:n]) {
			t.Errorf("Download with a cut: %d bytes (fired %v), want the start of the file", n, fired.Load())
		}
		r.Note("no REST: a cut download is not resumed: %v", err)
		return
	}
	if n, err := c.Download(ctx, name, &b); err != nil || n != int64(len(data)) {
		t.Fatalf("Download with a cut = %d, %v", n, err)
	}
	if !fired.Load() {
		t.Fatal("the data connection was not cut")
	}
	sameBytes(t, "resumed download", b.Bytes(), data)

	var fired2 atomic.Bool
	c2 := s.client(t, cutting(&fired2))
	up := join(dir, "up.bin")
	if n, err := c2.Upload(ctx, up, bytes.NewReader(data)); err != nil || n != int64(len(data)) {
		t.Fatalf("Upload with a cut = %d, %v", n, err)
	}
	if !fired2.Load() {
		t.Fatal("the upload's data connection was not cut")
	}
	onDisk(t, s, up, data)
}
