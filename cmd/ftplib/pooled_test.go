package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ftplib-go/ftp/ftptest"
)

// Tests of --retries and --parallel: transfers through one ftp.Client.

func TestGetRetriesResumes(t *testing.T) {
	srv := newServer(t)
	want, _ := srv.ReadFile("pub/data.bin")
	r := newRunner(t)

	// Cut twice: without --retries the get fails (TestGetCutTransfer);
	// with --retries 2 it resumes, and every byte is sent once.
	srv.AddFault(ftptest.Fault{Command: "RETR", Nth: 1, Cut: true, CutAfter: 50_000})
	srv.AddFault(ftptest.Fault{Command: "RETR", Nth: 2, Cut: true, CutAfter: 30_000})
	res := r.run("get", "--retries", "2", ftpURL(srv, "pub/data.bin"))
	res.want(t, 0)
	if !bytes.Equal(readFile(t, filepath.Join(r.dir, "data.bin")), want) {
		t.Error("data.bin differs")
	}
	if n := srv.BytesSent("pub/data.bin"); n != int64(len(want)) {
		t.Errorf("the server sent %d bytes for a %d-byte file: not resumed", n, len(want))
	}
	if names := dirNames(t, r.dir); !slices.Equal(names, []string{"data.bin"}) {
		t.Errorf("working directory holds %q", names)
	}

	// More cuts than retries: the get fails and leaves nothing.
	srv.ClearFaults()
	srv.AddFault(ftptest.Fault{Command: "RETR", Cut: true, CutAfter: 1000})
	res = r.run("get", "--retries", "1", ftpURL(srv, "pub/data.bin"), "again.bin")
	res.want(t, 1, "426")
	if names := dirNames(t, r.dir); !slices.Equal(names, []string{"data.bin"}) {
		t.Errorf("a failed get left %q", names)
	}

	// A 5xx is not retried.
	srv.ClearFaults()
	before := len(srv.Commands())
	r.run("get", "--retries", "3", ftpURL(srv, "nosuch.txt")).want(t, 1, "get ftp://user@"+srv.Addr+"/nosuch.txt: ", "550 ")
	retr := 0
	for _, c := range srv.Commands()[before:] {
		if c == "RETR /nosuch.txt" || c == "RETR nosuch.txt" {
			retr++
		}
	}
	if retr != 1 {
		t.Errorf("a 550 was sent %d times: %q", retr, srv.Commands()[before:])
	}

	// stdout, cut once: the bytes on stdout are the file, once.
	srv.AddFault(ftptest.Fault{Command: "RETR", Nth: 1, Cut: true, CutAfter: 70_000})
	res = r.run("get", "--retries", "1", ftpURL(srv, "pub/data.bin"), "-")
	res.want(t, 0)
	if res.stdout != string(want) {
		t.Errorf("stdout holds %d bytes, want the file's %d", len(res.stdout), len(want))
	}
}

func TestGetContinueRetries(t *testing.T) {
	srv := newServer(t)
	want, _ := srv.ReadFile("pub/data.bin")
	r := newRunner(t)
	local := filepath.Join(r.dir, "data.bin")
	os.WriteFile(local, want[:20_000], 0o644)
	// -c resumes at 20000; that transfer is cut after 40000 more bytes
	// and resumed again at 60000.
	srv.AddFault(ftptest.Fault{Command: "RETR", Nth: 1, Cut: true, CutAfter: 40_000})
	res := r.run("get", "-c", "--retries", "2", ftpURL(srv, "pub/data.bin"))
	res.want(t, 0)
	if !bytes.Equal(readFile(t, local), want) {
		t.Error("resumed file differs")
	}
	for _, rest := range []string{"REST 20000", "REST 60000"} {
		if !hasCommand(srv, rest) {
			t.Errorf("no %s in %q", rest, srv.Commands())
		}
	}
	if n := srv.BytesSent("pub/data.bin"); n != int64(len(want)-20_000) {
		t.Errorf("the server sent %d bytes, want %d", n, len(want)-20_000)
	}
}

func TestPutRetriesResumes(t *testing.T) {
	srv := newServer(t)
	r := newRunner(t)
	data := randomBytes(t, 3<<20)
	local := filepath.Join(r.dir, "up.bin")
	os.WriteFile(local, data, 0o644)

	srv.AddFault(ftptest.Fault{Command: "STOR", Nth: 1, Cut: true, CutAfter: 1 << 20})
	r.run("put", "--retries", "2", local, ftpURL(srv, "up.bin")).want(t, 0)
	if got, _ := srv.ReadFile("up.bin"); !bytes.Equal(got, data) {
		t.Fatalf("the server holds %d bytes, want the %d uploaded", len(got), len(data))
	}
	if n := srv.BytesReceived("up.bin"); n != int64(len(data)) {
		t.Errorf("the server received %d bytes for a %d-byte upload: not resumed", n, len(data))
	}

	// Without --retries the cut upload fails, as before.
	srv.ClearFaults()
	srv.AddFault(ftptest.Fault{Command: "STOR", Nth: 1, Cut: true, CutAfter: 1 << 20})
	r.run("put", local, ftpURL(srv, "up2.bin")).want(t, 1, "426")
}

func TestMirrorParallel(t *testing.T) {
	srv := newServer(t)
	files := map[string][]byte{}
	for i := 0; i < 40; i++ {
		name := fmt.Sprintf("many/d%d/f%02d.bin", i%3, i)
		files[name] = randomBytes(t, 1000+i*500)
		mustWrite(t, srv, name, files[name])
	}
	r := newRunner(t)
	srv.ResetConnStats()
	res := r.run("mirror", "--parallel", "4", "-v", ftpURL(srv, "many/"), "copy")
	res.want(t, 0, "mirrored 40 files", "up to 4 connections")
	for name, want := range files {
		rel, _ := filepath.Rel("many", filepath.FromSlash(name))
		if got := readFile(t, filepath.Join(r.dir, "copy", rel)); !bytes.Equal(got, want) {
			t.Errorf("%s differs", name)
		}
	}
	if m := srv.MaxConcurrentConns(); m > 4 {
		t.Errorf("the server saw %d connections at once, want at most 4", m)
	}
	if m := srv.TotalConns(); m > 4 {
		t.Errorf("%d connections opened, want at most 4 (pooled)", m)
	}

	// With cuts and retries; a refused file is reported, the others
	// arrive.
	srv.AddFault(ftptest.Fault{Command: "RETR", Nth: 3, Cut: true, CutAfter: 500})
	srv.AddFault(ftptest.Fault{Command: "RETR", Nth: 7, CloseControl: true})
	srv.AddFault(ftptest.Fault{Command: "RETR", Nth: 11, Reply: "550 Permission denied."})
	res = r.run("mirror", "--parallel", "3", "--retries", "2", ftpURL(srv, "many/"), "copy2")
	res.want(t, 1, "1 files failed", "550 Permission denied.")
	got := 0
	for name, want := range files {
		rel, _ := filepath.Rel("many", filepath.FromSlash(name))
		if b, err := os.ReadFile(filepath.Join(r.dir, "copy2", rel)); err == nil {
			if !bytes.Equal(b, want) {
				t.Errorf("%s differs", name)
			}
			got++
		}
	}
	if got != len(files)-1 {
		t.Errorf("%d files mirrored, want %d", got, len(files)-1)
	}

	// The whole tree as with the sequential mirror.
	r.run("mirror", "--parallel", "2", ftpURL(srv, ""), "all").want(t, 0)
	for _, name := range []string{"hello.txt", "pub/data.bin", "pub/sub/deep.txt"} {
		want, _ := srv.ReadFile(name)
		if got := readFile(t, filepath.Join(r.dir, "all", filepath.FromSlash(name))); !bytes.Equal(got, want) {
			t.Errorf("%s differs", name)
		}
	}
}

func TestPooledUsage(t *testing.T) {
	r := newRunner(t)
	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"get", "--retries", "-1", "ftp://h/a"}, "--retries -1: want 0 or more"},
		{[]string{"put", "--retries", "x", "a", "ftp://h/a"}, "invalid value"},
		{[]string{"mirror", "--parallel", "0", "ftp://h/", "d"}, "--parallel 0: want 1 to 16"},
		{[]string{"mirror", "--parallel", "99", "ftp://h/", "d"}, "want 1 to 16"},
		{[]string{"get", "--parallel", "2", "ftp://h/a"}, "flag provided but not defined: -parallel"},
	} {
		r.run(tt.args...).want(t, 2, tt.msg)
	}
}
