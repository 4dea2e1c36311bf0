package interop

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/mirror"
)

// mirrorTree is the tree mirrored both ways on every server: nested
// directories, a name with spaces, UTF-8, an empty file and one of 200 kB.
var mirrorTree = map[string]string{
	"top.txt":                  "top\n",
	"empty":                    "",
	"with space.txt":           "space\n",
	"ünï.txt":                  "utf-8\n",
	"a/one.txt":                "one\n",
	"a/two.bin":                strings.Repeat("\x00\x01\x02\xff", 50000),
	"a/b/three.txt":            "three\n",
	"a/b/c/four.txt":           "four\n",
	"d/five.txt":               "five\n",
	"d/six.txt":                "six six\n",
	"d/e/seven.txt":            "seven\n",
	"d/e/f/g/eight-deep.txt":   "eight\n",
	"many/0.txt":               "0",
	"many/1.txt":               "11",
	"many/2.txt":               "222",
	"many/sub dir/3 three.txt": "3333",
}

// mirrorTime gives each file of mirrorTree its own modification time, in
// the past, to the second.
func mirrorTime(p string) time.Time {
	return time.Date(2022, 3, 4, 5, 6, 7, 0, time.UTC).Add(time.Duration(len(p)*7919+len(mirrorTree[p])) * time.Second)
}

// sameTree compares the tree under dir with mirrorTree: contents always,
// modification times when times is true.
func sameTree(t *testing.T, what, dir string, tree map[string]string, times bool) {
	t.Helper()
	got := map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		got[rel] = true
		want, ok := tree[rel]
		if !ok {
			t.Errorf("%s: unexpected file %q", what, rel)
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if string(b) != want {
			t.Errorf("%s: %s differs: %d bytes, want %d", what, rel, len(b), len(want))
		}
		fi, err := de.Info()
		if err != nil {
			return err
		}
		if times && !fi.ModTime().Equal(mirrorTime(rel)) {
			t.Errorf("%s: %s modified %v, want %v", what, rel, fi.ModTime().UTC(), mirrorTime(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	for p := range tree {
		if !got[p] {
			t.Errorf("%s: missing %q", what, p)
		}
	}
}

func mirrorKeys(tree map[string]string) []string {
	var k []string
	for p := range tree {
		k = append(k, p)
	}
	slices.Sort(k)
	return k
}

// TestInteropMirror uploads a tree with mirror.Upload and downloads it
// again with mirror.Download on every server configuration, four
// connections at once: the server's copy (read on disk) and the local copy
// are identical to the source, modification times included (every server
// here sets them: proftpd, pure-ftpd and pyftpdlib with MFMT, vsftpd, which
// has no MFMT, with "MDTM time path"), and a second run of each direction
// transfers nothing. None of these servers offers a checksum command in
// FEAT (HASH, XSHA256, XSHA1, XMD5, XCRC), so Verify compares sizes.
func TestInteropMirror(t *testing.T) {
	needInterop(t)
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
			defer cancel()
			mode := ftp.NoTLS
			switch s.tls {
			case explicitTLS:
				mode = ftp.ExplicitTLS
			case implicitTLS:
				mode = ftp.ImplicitTLS
			}
			d := s.dialer(t, nil)
			d.ImplicitTLS = false // the Client sets it from TLS
			c := &ftp.Client{Addr: s.addr, User: user, Password: pass, TLS: mode, Dialer: d, MaxConns: 4}
			defer c.Close()

			root := s.scratch("mirror")
			t.Cleanup(func() { os.RemoveAll(s.local(root)) })
			src := t.TempDir()
			tree := mirrorTree
			if s.listSplitsArg {
				// LIST "many/sub dir" lists "many/sub" and "dir"
				// (asserted in the matrix's "UTF-8 and space names"
				// row): the directory whose name has a space is left
				// out here.
				tree = maps.Clone(mirrorTree)
				delete(tree, "many/sub dir/3 three.txt")
			}
			for p, data := range tree {
				lp := filepath.Join(src, filepath.FromSlash(p))
				if err := os.MkdirAll(filepath.Dir(lp), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(lp, []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Chtimes(lp, mirrorTime(p), mirrorTime(p)); err != nil {
					t.Fatal(err)
				}
			}

			remote := root + "/tree"
			res, err := mirror.Upload(ctx, c, src, remote, mirror.Options{Verify: true})
			if s.noSetTime {
				// Every file is stored, and each is reported as a
				// "chtimes" failure carrying the server's refusal.
				wantNoSetTime(t, "upload", res, err)
			} else if err != nil {
				t.Fatalf("upload: %v", err)
			}
			if !slices.Equal(res.Transferred, mirrorKeys(tree)) {
				t.Errorf("upload transferred %q", res.Transferred)
			}
			sameTree(t, "server copy", s.local(remote), tree, !s.noSetTime)
			res, err = mirror.Upload(ctx, c, src, remote, mirror.Options{})
			if s.noSetTime {
				// The server's times are those of the upload: all
				// files differ from the source and go again.
				wantNoSetTime(t, "second upload", res, err)
				if len(res.Transferred) != len(tree) {
					t.Errorf("second upload: transferred %q, want all again", res.Transferred)
				}
			} else if err != nil || len(res.Transferred) != 0 || len(res.Skipped) != len(tree) {
				t.Errorf("second upload: %v: transferred %q, %d up to date", err, res.Transferred, len(res.Skipped))
			}

			dst := t.TempDir()
			res, err = mirror.Download(ctx, c, remote, dst, mirror.Options{Verify: true})
			if err != nil {
				t.Fatalf("download: %v", err)
			}
			if !slices.Equal(res.Transferred, mirrorKeys(tree)) {
				t.Errorf("download transferred %q", res.Transferred)
			}
			sameTree(t, "local copy", dst, tree, !s.noSetTime)
			res, err = mirror.Download(ctx, c, remote, dst, mirror.Options{})
			if err != nil || len(res.Transferred) != 0 || len(res.Skipped) != len(tree) {
				t.Errorf("second download: %v: transferred %q, %d up to date", err, res.Transferred, len(res.Skipped))
			}

			// A change on the server comes down alone; Delete removes what
			// the server no longer has.
			if err := os.Remove(filepath.Join(s.local(remote), "d", "six.txt")); err != nil {
				t.Fatal(err)
			}
			res, err = mirror.Download(ctx, c, remote, dst, mirror.Options{Delete: true})
			if err != nil || len(res.Transferred) != 0 || fmt.Sprint(res.Deleted) != "[d/six.txt]" {
				t.Errorf("download --delete: %v: transferred %q, deleted %q", err, res.Transferred, res.Deleted)
			}
		})
	}
}

// wantNoSetTime checks a mirror.Upload to a server that cannot set file
// times: ErrIncomplete, and one "chtimes" failure per file, each an
// *ftp.Error of class ErrPerm.
func wantNoSetTime(t *testing.T, what string, res *mirror.Result, err error) {
	t.Helper()
	if !errors.Is(err, mirror.ErrIncomplete) {
		t.Fatalf("%s: %v, want ErrIncomplete (no way to set times)", what, err)
	}
	for _, f := range res.Failed {
		if f.Op != "chtimes" || !errors.Is(f.Err, ftp.ErrPerm) {
			t.Errorf("%s: %s: %s: %v, want a chtimes failure of class ErrPerm", what, f.Path, f.Op, f.Err)
		}
	}
	if len(res.Failed) != len(res.Transferred) {
		t.Errorf("%s: %d chtimes failures for %d files", what, len(res.Failed), len(res.Transferred))
	}
}
