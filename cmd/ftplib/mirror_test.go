package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestMirrorIncrementalAndReverse: a second download transfers nothing,
// times are kept, --dry-run changes nothing, --delete removes what the
// server lost, and -R uploads a tree, incrementally too.
func TestMirrorIncrementalAndReverse(t *testing.T) {
	srv := newServer(t)
	when := time.Date(2021, 2, 3, 4, 5, 6, 0, time.UTC)
	srv.SetModTime("hello.txt", when)
	r := newRunner(t)
	r.run("mirror", "--parallel", "3", "-v", ftpURL(srv, ""), "copy").want(t, 0, "mirrored 3 files", "get pub/sub/deep.txt", "3 connections")
	if fi, err := os.Stat(filepath.Join(r.dir, "copy", "hello.txt")); err != nil || !fi.ModTime().Equal(when) {
		t.Errorf("hello.txt: %v, %v; want modified %v", fi, err, when)
	}
	r.run("mirror", "-v", ftpURL(srv, ""), "copy").want(t, 0, "mirrored 0 files", "3 up to date")

	os.WriteFile(filepath.Join(r.dir, "copy", "stale.txt"), []byte("old"), 0o644)
	res := r.run("mirror", "--delete", "--dry-run", ftpURL(srv, ""), "copy")
	res.want(t, 0, "would delete 1")
	if res.stdout != "delete stale.txt\n" {
		t.Errorf("dry run printed %q", res.stdout)
	}
	if _, err := os.Stat(filepath.Join(r.dir, "copy", "stale.txt")); err != nil {
		t.Errorf("dry run deleted stale.txt: %v", err)
	}
	r.run("mirror", "--delete", "--verify", ftpURL(srv, ""), "copy").want(t, 0)
	if _, err := os.Stat(filepath.Join(r.dir, "copy", "stale.txt")); err == nil {
		t.Error("--delete kept stale.txt")
	}

	// -R: the local copy goes up under another name, then nothing more.
	r.run("mirror", "-R", "-v", ftpURL(srv, "back/"), "copy").want(t, 0, "put hello.txt", "mirrored 3 files")
	for _, name := range []string{"hello.txt", "pub/data.bin", "pub/sub/deep.txt"} {
		want, _ := srv.ReadFile(name)
		got, err := srv.ReadFile("back/" + name)
		if err != nil || string(got) != string(want) {
			t.Errorf("back/%s: %d bytes, %v", name, len(got), err)
		}
	}
	if fi, err := srv.Stat("back/hello.txt"); err != nil || !fi.ModTime().Equal(when) {
		t.Errorf("back/hello.txt: %v; want modified %v", err, when)
	}
	if fi, err := srv.Stat("back/empty"); err != nil || !fi.IsDir() {
		t.Errorf("back/empty: %v", err)
	}
	r.run("mirror", "-R", "-v", ftpURL(srv, "back/"), "copy").want(t, 0, "mirrored 0 files", "3 up to date")

	r.run("mirror", "--parallel", "0", ftpURL(srv, ""), "copy").want(t, 2, "--parallel 0")
	if names := dirNames(t, r.dir); !slices.Equal(names, []string{"copy"}) {
		t.Errorf("working directory holds %q", names)
	}
	for _, c := range srv.Commands() {
		if strings.HasPrefix(c, "PASS ") && c != "PASS pass" {
			t.Errorf("unexpected %q", c)
		}
	}
}
