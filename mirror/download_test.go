package mirror_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/ftptest"
	"github.com/ftplib-go/ftp/mirror"
)

var t0 = time.Date(2023, 4, 5, 6, 7, 8, 0, time.UTC)

// tree is a test tree: slash paths to contents.
var tree = map[string]string{
	"a.txt":                "alpha\n",
	"empty":                "",
	"with space.txt":       "spaces\n",
	"-dash":                "dash\n",
	"ünï.txt":              "utf-8\n",
	"sub/b.bin":            strings.Repeat("0123456789", 5000),
	"sub/deeper/c.txt":     "charlie\n",
	"sub/deeper/d.txt":     "delta\n",
	"other/e.txt":          "echo\n",
	"other/f/g/h/i/j.txt":  "deep\n",
	"big/large.bin":        strings.Repeat("x", 300000),
	"big/also-large.bin":   strings.Repeat("y", 200001),
	"many/1.txt":           "1",
	"many/2.txt":           "22",
	"many/3.txt":           "333",
	"many/4.txt":           "4444",
	"many/5.txt":           "55555",
	"many/nested/6.txt":    "666666",
	"many/nested/7.txt":    "7777777",
	"many/nested/8.txt":    "88888888",
	"many/nested/9/10.txt": "10",
}

// mtimeOf gives each test file its own modification time.
func mtimeOf(p string) time.Time {
	return t0.Add(time.Duration(len(p)*3600+len(tree[p])) * time.Second)
}

func serve(t *testing.T, files map[string]string) *ftptest.Server {
	t.Helper()
	srv := ftptest.NewServer()
	t.Cleanup(srv.Close)
	for p, data := range files {
		if err := srv.WriteFile(p, []byte(data)); err != nil {
			t.Fatal(err)
		}
		if err := srv.SetModTime(p, mtimeOf(p)); err != nil {
			t.Fatal(err)
		}
	}
	return srv
}

func client(t *testing.T, srv *ftptest.Server) *ftp.Client {
	t.Helper()
	c := &ftp.Client{Addr: srv.Addr, User: "user", Password: "pass", MaxConns: 4,
		Dialer: &ftp.Dialer{Timeout: 10 * time.Second}}
	t.Cleanup(func() { c.Close() })
	return c
}

// checkLocal asserts that dir holds exactly files, with their mtimes.
func checkLocal(t *testing.T, dir string, files map[string]string, mtimes bool) {
	t.Helper()
	got := map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		got[rel] = true
		want, ok := files[rel]
		if !ok {
			t.Errorf("unexpected local file %q", rel)
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if string(b) != want {
			t.Errorf("%s: %d bytes, want %d", rel, len(b), len(want))
		}
		if mtimes {
			fi, _ := de.Info()
			if !fi.ModTime().Equal(mtimeOf(rel)) {
				t.Errorf("%s: mtime %v, want %v", rel, fi.ModTime().UTC(), mtimeOf(rel))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for p := range files {
		if !got[p] {
			t.Errorf("missing local file %q", p)
		}
	}
}

func keys(m map[string]string) []string {
	var k []string
	for p := range m {
		k = append(k, p)
	}
	slices.Sort(k)
	return k
}

func TestDownloadRoundTrip(t *testing.T) {
	srv := serve(t, tree)
	c := client(t, srv)
	dir := t.TempDir()
	ctx := context.Background()
	var mu sync.Mutex
	var last mirror.Progress
	done := 0
	res, err := mirror.Download(ctx, c, "/", dir, mirror.Options{Progress: func(p mirror.Progress) {
		mu.Lock()
		defer mu.Unlock()
		if p.Bytes < last.Bytes || p.Files < last.Files {
			t.Errorf("progress went back: %+v after %+v", p, last)
		}
		if p.Done {
			done++
		}
		last = p
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Transferred, keys(tree)) {
		t.Errorf("transferred %q, want %q", res.Transferred, keys(tree))
	}
	var total int64
	for _, d := range tree {
		total += int64(len(d))
	}
	if res.Bytes != total || last.Bytes != total || last.Files != len(tree) || done != len(tree) {
		t.Errorf("bytes %d, progress %+v (%d done), want %d bytes, %d files", res.Bytes, last, done, total, len(tree))
	}
	checkLocal(t, dir, tree, true)
	if n := srv.MaxConcurrentConns(); n > 4 {
		t.Errorf("%d connections at once, MaxConns is 4", n)
	}

	// Second run: nothing to do, no file downloaded again.
	before := len(srv.Transfers())
	res, err = mirror.Download(ctx, c, "/", dir, mirror.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Transferred) != 0 || len(res.Skipped) != len(tree) {
		t.Errorf("second run: transferred %q, skipped %d", res.Transferred, len(res.Skipped))
	}
	for _, tr := range srv.Transfers()[before:] {
		if strings.HasPrefix(tr.Command, "RETR") {
			t.Errorf("second run downloaded: %s", tr.Command)
		}
	}

	// A changed file (size, then only mtime) is fetched again, alone.
	srv.WriteFile("sub/deeper/c.txt", []byte("changed, longer\n"))
	srv.SetModTime("sub/deeper/c.txt", mtimeOf("sub/deeper/c.txt"))
	srv.SetModTime("a.txt", t0)
	res, err = mirror.Download(ctx, c, "/", dir, mirror.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a.txt", "sub/deeper/c.txt"}; !slices.Equal(res.Transferred, want) {
		t.Errorf("third run transferred %q, want %q", res.Transferred, want)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "a.txt")); !fi.ModTime().Equal(t0) {
		t.Errorf("a.txt mtime %v, want %v", fi.ModTime(), t0)
	}
}

// TestDownloadLIST mirrors from a server without MLSD: times come from MDTM.
func TestDownloadLIST(t *testing.T) {
	srv := serve(t, tree)
	srv.AddFault(ftptest.Fault{Command: "FEAT", Reply: "211-Features:\r\n MDTM\r\n SIZE\r\n REST STREAM\r\n211 End"})
	srv.AddFault(ftptest.Fault{Command: "MLSD", Reply: "500 Unknown command."})
	c := client(t, srv)
	dir := t.TempDir()
	if _, err := mirror.Download(context.Background(), c, "", dir, mirror.Options{}); err != nil {
		t.Fatal(err)
	}
	checkLocal(t, dir, tree, true)
	res, err := mirror.Download(context.Background(), c, "", dir, mirror.Options{})
	if err != nil || len(res.Transferred) != 0 {
		t.Fatalf("second run: %q, %v", res.Transferred, err)
	}
	for _, cmd := range srv.Commands() {
		if strings.HasPrefix(cmd, "MLSD") {
			t.Fatalf("sent %s", cmd)
		}
	}
}

func TestDownloadSubdirDeleteDryRunFilters(t *testing.T) {
	srv := serve(t, tree)
	c := client(t, srv)
	ctx := context.Background()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "stale.txt"), []byte("old"), 0o666)
	os.MkdirAll(filepath.Join(dir, "gone/x"), 0o777)
	os.WriteFile(filepath.Join(dir, "keep.log"), []byte("excluded, kept"), 0o666)

	opts := mirror.Options{Delete: true, DryRun: true, Exclude: []string{"*.log", "big"}, Include: []string{"*.txt"}}
	res, err := mirror.Download(ctx, c, "/", dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, p := range keys(tree) {
		if strings.HasSuffix(p, ".txt") {
			want = append(want, p)
		}
	}
	if !slices.Equal(res.Transferred, want) {
		t.Errorf("dry run would transfer %q, want %q", res.Transferred, want)
	}
	if w := []string{"gone", "stale.txt"}; !slices.Equal(res.Deleted, w) {
		t.Errorf("dry run would delete %q, want %q", res.Deleted, w)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 3 {
		t.Errorf("dry run changed the directory: %d entries", len(ents))
	}

	opts.DryRun = false
	if _, err := mirror.Download(ctx, c, "/", dir, opts); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"keep.log": "excluded, kept"}
	for _, p := range want {
		files[p] = tree[p]
	}
	checkLocal(t, dir, files, false)
	if _, err := os.Stat(filepath.Join(dir, "big")); err == nil {
		t.Error("excluded directory big was created")
	}

	// A subdirectory, named relative to the Client's directory.
	sub := t.TempDir()
	if _, err := mirror.Download(ctx, c, "sub/deeper", sub, mirror.Options{}); err != nil {
		t.Fatal(err)
	}
	checkLocal(t, sub, map[string]string{"c.txt": tree["sub/deeper/c.txt"], "d.txt": tree["sub/deeper/d.txt"]}, false)

	if _, err := mirror.Download(ctx, c, "/", dir, mirror.Options{Include: []string{"["}}); !errors.Is(err, path.ErrBadPattern) {
		t.Errorf("bad pattern: %v", err)
	}
	if _, err := mirror.Download(ctx, c, "/nope", t.TempDir(), mirror.Options{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing root: %v", err)
	}
}

// TestDownloadFaults cuts transfers and refuses some with 4xx; the next
// run finishes the tree, resuming the cut files where they broke.
func TestDownloadFaults(t *testing.T) {
	srv := serve(t, tree)
	c := client(t, srv)
	c.MaxRetries = -1
	srv.AddFault(ftptest.Fault{Command: "RETR", Nth: 2, Cut: true, CutAfter: 100})
	srv.AddFault(ftptest.Fault{Command: "RETR", Nth: 4, Reply: "450 File busy."})
	srv.AddFault(ftptest.Fault{Command: "RETR", Nth: 6, Cut: true, CutAfter: 0, CloseAfterData: true})
	srv.AddFault(ftptest.Fault{Command: "MLSD", Nth: 3, Reply: "421 Timeout.", CloseAfterReply: true})
	dir := t.TempDir()
	ctx := context.Background()
	res, err := mirror.Download(ctx, c, "/", dir, mirror.Options{})
	// Files a batch left broken are tried again on their own in the same
	// run, so not every fault is a failure of the run.
	if !errors.Is(err, mirror.ErrIncomplete) || len(res.Failed) < 1 {
		t.Fatalf("first run: %v, %d failed", err, len(res.Failed))
	}
	// No partial file under a real name.
	for p := range tree {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err == nil && string(b) != tree[p] {
			t.Errorf("%s: partial file under its real name", p)
		}
	}
	srv.ClearFaults()
	res2, err := mirror.Download(ctx, c, "/", dir, mirror.Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkLocal(t, dir, tree, true)
	if len(res.Transferred)+len(res2.Transferred) != len(tree) {
		t.Errorf("transferred %d then %d, want %d in all", len(res.Transferred), len(res2.Transferred), len(tree))
	}
	// Every byte was sent once: the cut files resumed.
	for p, data := range tree {
		if n := srv.BytesSent(p); n != int64(len(data)) {
			t.Errorf("%s: %d bytes sent for %d", p, n, len(data))
		}
	}
}

func TestDownloadHostileNames(t *testing.T) {
	root := t.TempDir()
	names := []string{"ok.txt", `back\slash`, "ctl\x01name", "cr\rname", "c1\u009bname", "..."}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(root, n), []byte("x"), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	os.Mkdir(filepath.Join(root, "sub"), 0o777)
	os.WriteFile(filepath.Join(root, "sub", "inside.txt"), []byte("in"), 0o666)
	srv := ftptest.NewUnstartedServer()
	srv.Root = root
	srv.Start()
	t.Cleanup(srv.Close)
	c := client(t, srv)

	// The local tree has a link named like the remote directory, to a
	// directory outside: it must not be written through.
	outside := t.TempDir()
	dir := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "sub")); err != nil {
		t.Skip(err)
	}
	res, err := mirror.Download(context.Background(), c, "/", dir, mirror.Options{})
	if !errors.Is(err, mirror.ErrIncomplete) {
		t.Fatalf("err = %v", err)
	}
	if w := []string{"...", "ok.txt"}; !slices.Equal(res.Transferred, w) {
		t.Errorf("transferred %q, want %q", res.Transferred, w)
	}
	var unsafe, link int
	for _, fe := range res.Failed {
		switch {
		case errors.Is(fe, ftp.ErrUnsafeName):
			unsafe++
		case errors.Is(fe, mirror.ErrLocalSymlink):
			link++
		default:
			t.Errorf("unexpected failure %v", fe)
		}
	}
	if unsafe != 4 || link != 1 {
		t.Errorf("%d unsafe names, %d links reported; want 4, 1: %v", unsafe, link, res.Failed)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("wrote through the link: %v", ents)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 3 {
		t.Errorf("local dir: %v", ents)
	}
}

func TestDownloadVerify(t *testing.T) {
	data := "checked content\n"
	srv := serve(t, map[string]string{"v.txt": data})
	srv.AddFault(ftptest.Fault{Command: "FEAT", Reply: "211-Features:\r\n MLST type*;size*;modify*;\r\n XSHA256\r\n XMD5\r\n211 End"})
	sum := sha256.Sum256([]byte(data))
	srv.AddFault(ftptest.Fault{Command: "XSHA256", Nth: 1, Reply: fmt.Sprintf("250 %x", sum)})
	srv.AddFault(ftptest.Fault{Command: "XSHA256", Nth: 2, Reply: fmt.Sprintf("250 %x", sha256.Sum256(nil))})
	c := client(t, srv)
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := mirror.Download(ctx, c, "", dir, mirror.Options{Verify: true}); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "v.txt"))
	res, err := mirror.Download(ctx, c, "", dir, mirror.Options{Verify: true})
	if !errors.Is(err, mirror.ErrVerify) || len(res.Transferred) != 0 {
		t.Fatalf("bad checksum: %v, transferred %q", err, res.Transferred)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("a file that failed verification was left: %v", ents)
	}
	n := 0
	for _, cmd := range srv.Commands() {
		if strings.HasPrefix(cmd, "XSHA256 /v.txt") {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d XSHA256 commands, want 2", n)
	}
}

func TestDownloadCancel(t *testing.T) {
	srv := serve(t, tree)
	c := client(t, srv)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	res, err := mirror.Download(ctx, c, "/", t.TempDir(), mirror.Options{Parallel: 1, Progress: func(p mirror.Progress) {
		if p.Done {
			if n++; n == 2 {
				cancel()
			}
		}
	}})
	if !errors.Is(err, context.Canceled) || len(res.Transferred) >= len(tree) {
		t.Fatalf("err %v, %d transferred", err, len(res.Transferred))
	}
	_ = bytes.MinRead
}

// TestDownloadOneConnection mirrors with a single connection and Verify:
// the batches must not wait for a second connection.
func TestDownloadOneConnection(t *testing.T) {
	srv := serve(t, tree)
	c := client(t, srv)
	c.MaxConns = 1
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := mirror.Download(ctx, c, "/", dir, mirror.Options{Parallel: 4, Verify: true})
	if err != nil || len(res.Transferred) != len(tree) {
		t.Fatalf("%v: %d transferred", err, len(res.Transferred))
	}
	checkLocal(t, dir, tree, true)
	if n := srv.MaxConcurrentConns(); n != 1 {
		t.Errorf("%d connections at once", n)
	}
}
