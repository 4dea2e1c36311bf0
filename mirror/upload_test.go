package mirror_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/ftptest"
	"github.com/ftplib-go/ftp/mirror"
)

// writeLocal writes files into dir with their test mtimes.
func writeLocal(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, data := range files {
		lp := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(lp), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(lp, []byte(data), 0o666); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(lp, mtimeOf(p), mtimeOf(p)); err != nil {
			t.Fatal(err)
		}
	}
}

// checkRemote asserts that the server's dir holds exactly files, with
// their mtimes.
func checkRemote(t *testing.T, srv *ftptest.Server, c *ftp.Client, dir string, files map[string]string) {
	t.Helper()
	got := map[string]bool{}
	err := c.Walk(context.Background(), dir, func(p string, e ftp.Entry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel := strings.TrimPrefix(p, dir+"/")
		got[rel] = true
		want, ok := files[rel]
		if !ok {
			t.Errorf("unexpected remote file %q", rel)
			return nil
		}
		b, err := srv.ReadFile(p)
		if err != nil {
			return err
		}
		if string(b) != want {
			t.Errorf("%s: %d bytes, want %d", rel, len(b), len(want))
		}
		if !e.ModTime.Equal(mtimeOf(rel)) {
			t.Errorf("%s: mtime %v, want %v", rel, e.ModTime, mtimeOf(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for p := range files {
		if !got[p] {
			t.Errorf("missing remote file %q", p)
		}
	}
}

func TestUploadRoundTrip(t *testing.T) {
	srv := serve(t, nil)
	c := client(t, srv)
	src := t.TempDir()
	writeLocal(t, src, tree)
	ctx := context.Background()
	res, err := mirror.Upload(ctx, c, src, "/up/here", mirror.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Transferred, keys(tree)) {
		t.Errorf("transferred %q", res.Transferred)
	}
	checkRemote(t, srv, c, "/up/here", tree)

	before := len(srv.Transfers())
	res, err = mirror.Upload(ctx, c, src, "/up/here", mirror.Options{})
	if err != nil || len(res.Transferred) != 0 || len(res.Skipped) != len(tree) {
		t.Fatalf("second run: %q transferred, %d skipped, %v", res.Transferred, len(res.Skipped), err)
	}
	for _, tr := range srv.Transfers()[before:] {
		if !strings.HasPrefix(tr.Command, "MLSD") {
			t.Errorf("second run: %s", tr.Command)
		}
	}
	if n := len(srv.Transfers()) - before; n != 12 { // one MLSD per directory
		t.Errorf("second run: %d data connections, want 12 listings", n)
	}

	// And back down: the trees are identical, times included.
	dst := t.TempDir()
	if _, err := mirror.Download(ctx, c, "/up/here", dst, mirror.Options{}); err != nil {
		t.Fatal(err)
	}
	checkLocal(t, dst, tree, true)

	// Delete, dry run first.
	os.Remove(filepath.Join(src, "a.txt"))
	os.RemoveAll(filepath.Join(src, "many"))
	res, err = mirror.Upload(ctx, c, src, "/up/here", mirror.Options{Delete: true, DryRun: true})
	if err != nil || !slices.Equal(res.Deleted, []string{"a.txt", "many"}) {
		t.Fatalf("dry run: deleted %q, %v", res.Deleted, err)
	}
	if _, err := srv.Stat("up/here/a.txt"); err != nil {
		t.Errorf("dry run deleted a.txt: %v", err)
	}
	if _, err := mirror.Upload(ctx, c, src, "/up/here", mirror.Options{Delete: true}); err != nil {
		t.Fatal(err)
	}
	left := map[string]string{}
	for p, d := range tree {
		if p != "a.txt" && !strings.HasPrefix(p, "many/") {
			left[p] = d
		}
	}
	checkRemote(t, srv, c, "/up/here", left)
}

// TestUploadFaults cuts uploads and refuses some; the next run completes
// the tree, sending only the bytes that were missing.
func TestUploadFaults(t *testing.T) {
	srv := serve(t, nil)
	c := client(t, srv)
	c.MaxRetries = -1
	src := t.TempDir()
	writeLocal(t, src, tree)
	srv.AddFault(ftptest.Fault{Command: "STOR", Nth: 2, Cut: true, CutAfter: 1000})
	srv.AddFault(ftptest.Fault{Command: "STOR", Nth: 3, Reply: "452 Disk full."})
	srv.AddFault(ftptest.Fault{Command: "RNTO", Nth: 2, Reply: "450 Busy."})
	srv.AddFault(ftptest.Fault{Command: "STOR", Nth: 5, CloseAfterData: true, Cut: true, CutAfter: 50000})
	ctx := context.Background()
	res, err := mirror.Upload(ctx, c, src, "dst", mirror.Options{})
	if !errors.Is(err, mirror.ErrIncomplete) || len(res.Failed) < 3 {
		t.Fatalf("first run: %v, %d failed", err, len(res.Failed))
	}
	for p := range tree {
		if b, err := srv.ReadFile("dst/" + p); err == nil && string(b) != tree[p] {
			t.Errorf("%s: partial file under its real name", p)
		}
	}
	srv.ClearFaults()
	res2, err := mirror.Upload(ctx, c, src, "dst", mirror.Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkRemote(t, srv, c, "/dst", tree)
	if len(res.Transferred)+len(res2.Transferred) != len(tree) {
		t.Errorf("transferred %d then %d of %d", len(res.Transferred), len(res2.Transferred), len(tree))
	}
	var sent, total int64
	for _, tr := range srv.Transfers() {
		if strings.HasPrefix(tr.Command, "STOR") || strings.HasPrefix(tr.Command, "APPE") {
			sent += tr.Bytes
		}
	}
	for _, d := range tree {
		total += int64(len(d))
	}
	if sent != total {
		t.Errorf("%d bytes sent for a tree of %d: not resumed", sent, total)
	}
}

func TestUploadHostileLocal(t *testing.T) {
	srv := serve(t, nil)
	c := client(t, srv)
	src := t.TempDir()
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o666)
	for _, n := range []string{"ok.txt", `back\slash`, "ctl\x1bname", "new\nline"} {
		if err := os.WriteFile(filepath.Join(src, n), []byte("x"), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(src, "link")); err != nil {
		t.Skip(err)
	}
	res, err := mirror.Upload(context.Background(), c, src, "/", mirror.Options{})
	if !errors.Is(err, mirror.ErrIncomplete) || len(res.Failed) != 3 {
		t.Fatalf("%v: %v", err, res.Failed)
	}
	for _, fe := range res.Failed {
		if !errors.Is(fe, ftp.ErrUnsafeName) {
			t.Errorf("failure %v", fe)
		}
	}
	if !slices.Equal(res.Transferred, []string{"ok.txt"}) || !slices.Equal(res.Ignored, []string{"link"}) {
		t.Errorf("transferred %q, ignored %q", res.Transferred, res.Ignored)
	}
	ents, _ := c.ReadDir(context.Background(), "/")
	if len(ents) != 1 {
		t.Errorf("server holds %v", ents)
	}
}
