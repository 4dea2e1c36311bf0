package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ftplib-go/ftp/ftptest"
)

// These tests build the command once and run it as a user would, against
// ftptest servers on loopback, checking stdout, stderr, the exit code and
// what the server saw.

var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ftplib-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "ftplib")
	if runtime.GOOS == "windows" {
		binPath += ".exe"
	}
	out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what one run of the command produced.
type result struct {
	stdout, stderr string
	code           int
}

// runner runs the built command in a scratch working directory with a
// clean environment: HOME is empty and NETRC points nowhere, unless the
// test sets them.
type runner struct {
	t     *testing.T
	dir   string // working directory
	env   map[string]string
	stdin []byte
}

func newRunner(t *testing.T) *runner {
	t.Helper()
	home := t.TempDir()
	return &runner{
		t:   t,
		dir: t.TempDir(),
		env: map[string]string{
			"HOME":  home,
			"NETRC": filepath.Join(home, "no-netrc"),
		},
	}
}

func (r *runner) run(args ...string) result {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Dir = r.dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range r.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if r.stdin != nil {
		cmd.Stdin = bytes.NewReader(r.stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	default:
		r.t.Fatalf("running %v: %v", args, err)
	}
	if ctx.Err() != nil {
		r.t.Fatalf("%v: hung (killed after 60 s); stderr:\n%s", args, res.stderr)
	}
	return res
}

// want checks the exit code and that stderr holds each of msgs.
func (res result) want(t *testing.T, code int, msgs ...string) {
	t.Helper()
	if res.code != code {
		t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", res.code, code, res.stdout, res.stderr)
	}
	for _, m := range msgs {
		if !strings.Contains(res.stderr, m) {
			t.Errorf("stderr does not say %q:\n%s", m, res.stderr)
		}
	}
}

// newServer starts a plain server with the user "user"/"pass" and a small
// tree.
func newServer(t *testing.T) *ftptest.Server {
	t.Helper()
	srv := ftptest.NewServer()
	t.Cleanup(srv.Close)
	mustWrite(t, srv, "hello.txt", []byte("hello, world\n"))
	mustWrite(t, srv, "pub/data.bin", randomBytes(t, 200_000))
	mustWrite(t, srv, "pub/sub/deep.txt", []byte("deep\n"))
	if err := srv.MkdirAll("empty"); err != nil {
		t.Fatal(err)
	}
	return srv
}

func mustWrite(t *testing.T, srv *ftptest.Server, name string, data []byte) {
	t.Helper()
	if err := srv.WriteFile(name, data); err != nil {
		t.Fatal(err)
	}
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// ftpURL returns an ftp:// URL for path on srv with the default user.
func ftpURL(srv *ftptest.Server, path string) string {
	return "ftp://user:pass@" + srv.Addr + "/" + path
}

// dirNames returns the names in dir, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hasCommand(srv *ftptest.Server, prefix string) bool {
	return slices.ContainsFunc(srv.Commands(), func(c string) bool { return strings.HasPrefix(c, prefix) })
}

func TestUsage(t *testing.T) {
	r := newRunner(t)
	tests := []struct {
		args []string
		msg  string
	}{
		{nil, "Usage:"},
		{[]string{"get"}, "get: missing arguments"},
		{[]string{"get", "ftp://h/a", "b", "c"}, "too many arguments: c"},
		{[]string{"get", "-x", "ftp://h/a"}, "flag provided but not defined: -x"},
		{[]string{"get", "--timeout", "soon", "ftp://h/a"}, "invalid value \"soon\""},
		{[]string{"get", "http://h/a"}, `scheme "http" is not ftp or ftps`},
		{[]string{"get", "h/a"}, "want ftp://host/path"},
		{[]string{"get", "ftp://h:99999/a"}, "out of range"},
		{[]string{"get", "ftp://h/a%0D%0ADELE%20b"}, "control character"},
		{[]string{"get", "ftp://h/a?b"}, "query"},
		{[]string{"get", "ftp://h/dir/"}, "names a directory"},
		{[]string{"get", "-c", "ftp://h/a", "-"}, "-c needs a LOCAL file"},
		{[]string{"put", "x"}, "missing arguments"},
		{[]string{"put", "-", "ftp://h/dir/"}, "needs a file name"},
		{[]string{"rm", "ftp://h/"}, "names no file"},
		{[]string{"mkdir", "ftp://h"}, "names no directory"},
		{[]string{"ls", "ftp://u:secret@h/?x"}, "u:xxxxx@h"},
		{[]string{"help", "nosuch"}, `unknown command "nosuch"`},
		{[]string{"-d"}, "missing HOST"},
		{[]string{"-q", "host"}, "flag provided but not defined: -q"},
		{[]string{"host/path"}, "want HOST, HOST:PORT"},
		// Passwords are hidden whatever url.Parse makes of them.
		{[]string{"get", "ftp://u:secret/x@h/a"}, "u:xxxxx@h/a"},
		{[]string{"get", "ftp://u:secret?x@h/a"}, "u:xxxxx@h/a"},
		{[]string{"get", "ftp://u:secret#x@h/a"}, "u:xxxxx@h/a"},
		{[]string{"get", "ftp://u:secret%zz@h/a"}, "u:xxxxx@h/a"},
		{[]string{"ls", "ftp://u:4711/secret@h/"}, "ambiguous '@'"},
		{[]string{"get", "ftp://h/a", "b", "ftp://u:secret@h/c"}, "too many arguments: ftp://u:xxxxx@h/c"},
		{[]string{"u:secret@h"}, "u:xxxxx@h"},
		{[]string{"u:secret/x@h"}, "u:xxxxx@h"},
		// A mistyped command is not a host name.
		{[]string{"frobnicate", "ftp://h/"}, `unknown command "frobnicate"`},
		{[]string{"-v", "gte", "ftp://h/a"}, `unknown command "gte" (did you mean get?)`},
	}
	for _, tt := range tests {
		res := r.run(tt.args...)
		res.want(t, 2, tt.msg)
		if strings.Contains(res.stderr, "secret") || strings.Contains(res.stderr, "4711") {
			t.Errorf("%v: stderr shows the password:\n%s", tt.args, res.stderr)
		}
	}
}

func TestHelp(t *testing.T) {
	r := newRunner(t)
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		res := r.run(args...)
		res.want(t, 0)
		if !strings.Contains(res.stdout, "mirror [-R] [--parallel N] [--retries N] [--delete] [--dry-run] [--verify] URL LOCALDIR") || !strings.Contains(res.stdout, "-l[DIR]") {
			t.Errorf("%v: usage lacks the commands:\n%s", args, res.stdout)
		}
	}
	for _, args := range [][]string{{"help", "get"}, {"get", "-h"}, {"get", "--help"}} {
		res := r.run(args...)
		res.want(t, 0)
		if !strings.Contains(res.stdout, "usage: ftplib get [-c] URL [LOCAL]") || !strings.Contains(res.stdout, "temporary file") {
			t.Errorf("%v: help for get:\n%s", args, res.stdout)
		}
	}
}

func TestLs(t *testing.T) {
	srv := newServer(t)
	r := newRunner(t)
	res := r.run("ls", ftpURL(srv, ""))
	res.want(t, 0)
	got := strings.Fields(res.stdout)
	slices.Sort(got)
	if want := []string{"empty", "hello.txt", "pub"}; !slices.Equal(got, want) {
		t.Errorf("ls / = %q, want %q", got, want)
	}
	res = r.run("ls", ftpURL(srv, "pub/"))
	res.want(t, 0)
	got = strings.Fields(res.stdout)
	slices.Sort(got)
	if want := []string{"data.bin", "sub"}; !slices.Equal(got, want) {
		t.Errorf("ls pub = %q, want %q", got, want)
	}

	// -l: the server's LIST lines, flag after the URL.
	res = r.run("ls", ftpURL(srv, "pub"), "-l")
	res.want(t, 0)
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	if len(lines) != 2 || !strings.Contains(res.stdout, "200000") || !strings.HasPrefix(lines[0], "-") && !strings.HasPrefix(lines[0], "d") {
		t.Errorf("ls -l pub:\n%s", res.stdout)
	}
	if !hasCommand(srv, "LIST pub") {
		t.Errorf("no LIST pub in %q", srv.Commands())
	}

	// A file: MLSD refuses it (501), NLST lists it.
	res = r.run("ls", ftpURL(srv, "pub/data.bin"))
	res.want(t, 0)
	if strings.TrimSpace(res.stdout) != "pub/data.bin" && strings.TrimSpace(res.stdout) != "data.bin" {
		t.Errorf("ls of a file: %q", res.stdout)
	}

	res = r.run("ls", ftpURL(srv, "nosuch/"))
	res.want(t, 1, "ls ftp://user@"+srv.Addr+"/nosuch/: ftp: MLSD nosuch: 550")
	if strings.Contains(res.stderr, "pass@") {
		t.Errorf("stderr shows the password: %s", res.stderr)
	}
}

func TestLsFallsBackToNlst(t *testing.T) {
	srv := newServer(t)
	srv.AddFault(ftptest.Fault{Command: "MLSD", Reply: "500 Unknown command."})
	r := newRunner(t)
	res := r.run("ls", ftpURL(srv, "pub"))
	res.want(t, 0)
	// The server answers NLST pub with "pub/data.bin", as vsftpd does; ls
	// prints the bare names.
	got := strings.Fields(res.stdout)
	slices.Sort(got)
	if want := []string{"data.bin", "sub"}; !slices.Equal(got, want) || !hasCommand(srv, "NLST pub") {
		t.Errorf("stdout %q, want %q; commands %q", res.stdout, want, srv.Commands())
	}
	res = r.run("ls", ftpURL(srv, "pub/sub/"))
	res.want(t, 0)
	if res.stdout != "deep.txt\n" {
		t.Errorf("ls pub/sub/: %q", res.stdout)
	}
}

// hostileRoot returns a server directory holding files whose names carry
// terminal escapes and a CR, and a good file.
func hostileRoot(t *testing.T) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("control characters in file names need a Unix file system")
	}
	root := t.TempDir()
	for _, name := range []string{"good.txt", "evil\x1b]0;pwned\x07\x1b[2J.txt", "cr\rname.txt", "sub"} {
		p := filepath.Join(root, name)
		if name == "sub" {
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
			p = filepath.Join(p, "in\x1bside.txt")
		}
		if err := os.WriteFile(p, []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestLsEscapesNames(t *testing.T) {
	srv := ftptest.NewUnstartedServer()
	srv.Root = hostileRoot(t)
	srv.Start()
	t.Cleanup(srv.Close)
	r := newRunner(t)
	for _, args := range [][]string{
		{"ls", ftpURL(srv, "")},
		{"ls", "-l", ftpURL(srv, "")},
		{srv.Addr, "-l"}, // the Python interface
	} {
		res := r.run(args...)
		res.want(t, 0)
		if strings.ContainsAny(res.stdout, "\x1b\x07\r") {
			t.Errorf("%v prints control characters: %q", args, res.stdout)
		}
		for _, want := range []string{"good.txt", `evil\x1b]0;pwned\a\x1b[2J.txt`, `cr\rname.txt`} {
			if !strings.Contains(res.stdout, want) {
				t.Errorf("%v: output lacks %s:\n%s", args, want, res.stdout)
			}
		}
	}
	srv.AddFault(ftptest.Fault{Command: "MLSD", Reply: "500 Unknown command."})
	res := r.run("ls", ftpURL(srv, "sub"))
	res.want(t, 0)
	if res.stdout != `"in\x1bside.txt"`+"\n" {
		t.Errorf("ls sub via NLST: %q", res.stdout)
	}
}

func TestGet(t *testing.T) {
	srv := newServer(t)
	want, _ := srv.ReadFile("pub/data.bin")
	r := newRunner(t)

	// Default local name: the remote base name, in the working directory.
	res := r.run("get", ftpURL(srv, "pub/data.bin"))
	res.want(t, 0)
	if res.stdout != "" || res.stderr != "" {
		t.Errorf("a quiet get printed:\nstdout: %q\nstderr: %q", res.stdout, res.stderr)
	}
	if !bytes.Equal(readFile(t, filepath.Join(r.dir, "data.bin")), want) {
		t.Error("data.bin differs")
	}
	if names := dirNames(t, r.dir); !slices.Equal(names, []string{"data.bin"}) {
		t.Errorf("working directory holds %q", names)
	}

	// An explicit local name, and a local directory.
	res = r.run("get", ftpURL(srv, "hello.txt"), "greeting")
	res.want(t, 0)
	if got := readFile(t, filepath.Join(r.dir, "greeting")); string(got) != "hello, world\n" {
		t.Errorf("greeting = %q", got)
	}
	os.Mkdir(filepath.Join(r.dir, "into"), 0o755)
	r.run("get", ftpURL(srv, "hello.txt"), "into").want(t, 0)
	if got := readFile(t, filepath.Join(r.dir, "into", "hello.txt")); string(got) != "hello, world\n" {
		t.Errorf("into/hello.txt = %q", got)
	}

	// "-" is stdout.
	res = r.run("get", ftpURL(srv, "pub/data.bin"), "-")
	res.want(t, 0)
	if res.stdout != string(want) {
		t.Errorf("stdout holds %d bytes, want %d", len(res.stdout), len(want))
	}
	// Not a terminal: no progress bar.
	if strings.Contains(res.stderr, "\r") {
		t.Errorf("progress drawn on a pipe: %q", res.stderr)
	}
}

func TestGetMissingFile(t *testing.T) {
	srv := newServer(t)
	r := newRunner(t)
	res := r.run("get", ftpURL(srv, "nosuch.txt"))
	res.want(t, 1, "get ftp://user@"+srv.Addr+"/nosuch.txt: ftp: RETR nosuch.txt: 550 ")
	if names := dirNames(t, r.dir); len(names) != 0 {
		t.Errorf("a failed get left %q", names)
	}
	// An existing local file is not touched by a failed get.
	os.WriteFile(filepath.Join(r.dir, "nosuch.txt"), []byte("keep"), 0o644)
	r.run("get", ftpURL(srv, "nosuch.txt")).want(t, 1, "550")
	if got := readFile(t, filepath.Join(r.dir, "nosuch.txt")); string(got) != "keep" {
		t.Errorf("local file became %q", got)
	}
	if names := dirNames(t, r.dir); len(names) != 1 {
		t.Errorf("a failed get left %q", names)
	}
}

func TestGetCutTransfer(t *testing.T) {
	srv := newServer(t)
	want, _ := srv.ReadFile("pub/data.bin")
	r := newRunner(t)

	// Without -c: the cut download leaves nothing.
	srv.AddFault(ftptest.Fault{Command: "RETR", Nth: 1, Cut: true, CutAfter: 50_000})
	res := r.run("get", ftpURL(srv, "pub/data.bin"))
	res.want(t, 1, "426")
	if names := dirNames(t, r.dir); len(names) != 0 {
		t.Errorf("a failed get left %q", names)
	}

	// With -c: the partial file stays, and -c again completes it with
	// REST.
	srv.ClearFaults()
	srv.AddFault(ftptest.Fault{Command: "RETR", Nth: 1, Cut: true, CutAfter: 50_000})
	res = r.run("get", "-c", ftpURL(srv, "pub/data.bin"))
	res.want(t, 1, "426")
	part := readFile(t, filepath.Join(r.dir, "data.bin"))
	if len(part) == 0 || len(part) >= len(want) || !bytes.Equal(part, want[:len(part)]) {
		t.Fatalf("partial file: %d bytes, a prefix: %v", len(part), bytes.Equal(part, want[:min(len(part), len(want))]))
	}
	res = r.run("get", "-c", "-v", ftpURL(srv, "pub/data.bin"))
	res.want(t, 0, fmt.Sprintf("REST %d", len(part)))
	if !bytes.Equal(readFile(t, filepath.Join(r.dir, "data.bin")), want) {
		t.Error("resumed file differs")
	}
	if !hasCommand(srv, fmt.Sprintf("REST %d", len(part))) {
		t.Errorf("no REST in %q", srv.Commands())
	}

	// -c on a complete file transfers nothing.
	before := len(srv.Transfers())
	r.run("get", "-c", ftpURL(srv, "pub/data.bin")).want(t, 0)
	if after := len(srv.Transfers()); after != before {
		t.Errorf("-c on a complete file opened %d data connections", after-before)
	}

	// -c on a larger local file refuses.
	os.WriteFile(filepath.Join(r.dir, "hello.txt"), bytes.Repeat([]byte("x"), 100), 0o644)
	r.run("get", "-c", ftpURL(srv, "hello.txt")).want(t, 1, "larger than the remote file")
}

func TestGetLyingServer(t *testing.T) {
	// The data connection is cut but the server claims success: the size
	// check catches it and nothing is left.
	srv := newServer(t)
	srv.AddFault(ftptest.Fault{Command: "RETR", Cut: true, CutAfter: 1000, Final: "226 Transfer complete."})
	r := newRunner(t)
	r.run("get", ftpURL(srv, "pub/data.bin")).want(t, 1, "1000 of 200000 bytes")
	if names := dirNames(t, r.dir); len(names) != 0 {
		t.Errorf("a failed get left %q", names)
	}
}

func TestWrongPassword(t *testing.T) {
	srv := newServer(t)
	r := newRunner(t)
	res := r.run("get", "ftp://user:wrongpw@"+srv.Addr+"/hello.txt")
	res.want(t, 1, "login as user (from URL): ftp: PASS ****: 530")
	if strings.Contains(res.stderr, "wrongpw") {
		t.Errorf("stderr shows the password: %s", res.stderr)
	}
	if names := dirNames(t, r.dir); len(names) != 0 {
		t.Errorf("a failed get left %q", names)
	}
}

func TestConnectionRefused(t *testing.T) {
	srv := ftptest.NewServer()
	addr := srv.Addr
	srv.Close()
	res := newRunner(t).run("ls", "ftp://"+addr+"/")
	res.want(t, 1, "connect to "+addr)
}

func TestTimeout(t *testing.T) {
	srv := newServer(t)
	srv.AddFault(ftptest.Fault{Command: "RETR", Stall: true})
	r := newRunner(t)
	res := r.run("get", "--timeout", "1s", ftpURL(srv, "hello.txt"))
	res.want(t, 1, "timeout")
	if names := dirNames(t, r.dir); len(names) != 0 {
		t.Errorf("a failed get left %q", names)
	}
}

func TestVerboseMasksPassword(t *testing.T) {
	srv := newServer(t)
	// Connection flags may also come before the command.
	for _, args := range [][]string{{"ls", "-v", ftpURL(srv, "")}, {"-v", "ls", ftpURL(srv, "")}} {
		res := newRunner(t).run(args...)
		res.want(t, 0, "USER user", "PASS ****", "login from URL")
		if strings.Contains(res.stderr, "pass'") || strings.Contains(res.stderr, "PASS pass") {
			t.Errorf("-v shows the password:\n%s", res.stderr)
		}
	}
}

func TestPut(t *testing.T) {
	srv := newServer(t)
	r := newRunner(t)
	data := randomBytes(t, 100_000)
	local := filepath.Join(r.dir, "up.bin")
	os.WriteFile(local, data, 0o644)

	r.run("put", "up.bin", ftpURL(srv, "pub/up.bin")).want(t, 0)
	if got, err := srv.ReadFile("pub/up.bin"); err != nil || !bytes.Equal(got, data) {
		t.Errorf("uploaded file: %d bytes, %v", len(got), err)
	}
	// A URL ending in / gets the local name.
	r.run("put", local, ftpURL(srv, "empty/")).want(t, 0)
	if got, _ := srv.ReadFile("empty/up.bin"); !bytes.Equal(got, data) {
		t.Error("empty/up.bin differs")
	}
	// stdin.
	r.stdin = []byte("from stdin\n")
	r.run("put", "-", ftpURL(srv, "in.txt")).want(t, 0)
	if got, _ := srv.ReadFile("in.txt"); string(got) != "from stdin\n" {
		t.Errorf("in.txt = %q", got)
	}
	r.stdin = nil
	// Errors: a missing local file, a server refusal.
	r.run("put", "nosuch", ftpURL(srv, "x")).want(t, 1, "nosuch")
	r.run("put", local, ftpURL(srv, "nodir/x")).want(t, 1, "put ftp://user@"+srv.Addr+"/nodir/x: ftp: STOR nodir/x: 553")
}

func TestRmMkdir(t *testing.T) {
	srv := newServer(t)
	r := newRunner(t)
	r.run("mkdir", ftpURL(srv, "new")).want(t, 0)
	if fi, err := srv.Stat("new"); err != nil || !fi.IsDir() {
		t.Errorf("new: %v, %v", fi, err)
	}
	r.run("mkdir", ftpURL(srv, "new")).want(t, 1, "mkdir ftp://user@"+srv.Addr+"/new: ftp: MKD new: 550")
	r.run("rm", ftpURL(srv, "hello.txt")).want(t, 0)
	if _, err := srv.Stat("hello.txt"); err == nil {
		t.Error("hello.txt still there")
	}
	r.run("rm", ftpURL(srv, "hello.txt")).want(t, 1, "rm ftp://user@"+srv.Addr+"/hello.txt: ftp: DELE hello.txt: 550")
	r.run("rm", ftpURL(srv, "new/")).want(t, 0)
	if _, err := srv.Stat("new"); err == nil {
		t.Error("new/ still there")
	}
	if !hasCommand(srv, "RMD new") || !hasCommand(srv, "DELE hello.txt") || !hasCommand(srv, "MKD new") {
		t.Errorf("commands: %q", srv.Commands())
	}
}

func TestMirror(t *testing.T) {
	srv := newServer(t)
	r := newRunner(t)
	r.run("mirror", ftpURL(srv, ""), "copy").want(t, 0)
	for _, name := range []string{"hello.txt", "pub/data.bin", "pub/sub/deep.txt"} {
		want, _ := srv.ReadFile(name)
		got := readFile(t, filepath.Join(r.dir, "copy", filepath.FromSlash(name)))
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs", name)
		}
	}
	if fi, err := os.Stat(filepath.Join(r.dir, "copy", "empty")); err != nil || !fi.IsDir() {
		t.Errorf("empty dir: %v", err)
	}
	// A subtree, and with LIST when MLSD is missing.
	srv.AddFault(ftptest.Fault{Command: "MLSD", Reply: "502 Not implemented."})
	res := r.run("mirror", "-v", ftpURL(srv, "pub/"), "pubcopy")
	res.want(t, 0, "mirrored 2 files")
	if got := readFile(t, filepath.Join(r.dir, "pubcopy", "sub", "deep.txt")); string(got) != "deep\n" {
		t.Errorf("deep.txt = %q", got)
	}
	if !hasCommand(srv, "LIST /pub/sub") {
		t.Errorf("no LIST fallback: %q", srv.Commands())
	}
	r.run("mirror", ftpURL(srv, "nosuch/"), "x").want(t, 1, "550")
}

func TestNetrcLogin(t *testing.T) {
	srv := newServer(t)
	srv.Anonymous = false
	r := newRunner(t)
	host := strings.Split(srv.Addr, ":")[0]
	rc := filepath.Join(r.env["HOME"], ".netrc")
	os.WriteFile(rc, []byte("machine "+host+" login user password pass\n"), 0o600)
	delete(r.env, "NETRC") // ~/.netrc
	res := r.run("ls", "-v", "ftp://"+srv.Addr+"/")
	res.want(t, 0, "login from netrc")
	if !strings.Contains(res.stdout, "hello.txt") {
		t.Errorf("ls: %q", res.stdout)
	}
	// $NETRC wins; a broken file is an error, not a silent anonymous login.
	bad := filepath.Join(r.dir, "bad-netrc")
	os.WriteFile(bad, []byte("machine h bogus x\n"), 0o600)
	r.env["NETRC"] = bad
	r.run("ls", "ftp://"+srv.Addr+"/").want(t, 1, "bad-netrc:1: unexpected token \"bogus\"")
}

func TestNetrcTooPermissive(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	srv := newServer(t)
	srv.Anonymous = false
	r := newRunner(t)
	host, port, _ := strings.Cut(srv.Addr, ":")
	rc := filepath.Join(r.env["HOME"], ".netrc")
	os.WriteFile(rc, []byte("machine "+host+" login user password pass\n"), 0o644)
	os.Chmod(rc, 0o644)
	delete(r.env, "NETRC") // ~/.netrc
	// Refused, in both interfaces, before connecting, and the password
	// is not shown.
	for _, args := range [][]string{{"ls", "ftp://" + srv.Addr + "/"}, {host + ":" + port, "-l"}} {
		res := r.run(args...)
		res.want(t, 1, rc+": access too permissive (mode 0644)", "chmod 600")
		if strings.Contains(res.stderr, "pass\n") || res.stdout != "" {
			t.Errorf("%v:\nstdout %q\nstderr %q", args, res.stdout, res.stderr)
		}
	}
	if len(srv.Commands()) != 0 {
		t.Errorf("connected with a refused netrc: %q", srv.Commands())
	}
	// A password in the URL does not read netrc at all.
	r.run("ls", ftpURL(srv, "")).want(t, 0)
	// The same file named by $NETRC or -r is the user's explicit choice.
	r.env["NETRC"] = rc
	r.run("ls", "ftp://"+srv.Addr+"/").want(t, 0)
	delete(r.env, "NETRC")
	r.run("-r"+rc, host+":"+port, "-l").want(t, 0)
	// chmod 600 fixes it.
	os.Chmod(rc, 0o600)
	r.run("ls", "ftp://"+srv.Addr+"/").want(t, 0)
}

func TestEnvLogin(t *testing.T) {
	srv := newServer(t)
	r := newRunner(t)
	r.env["FTP_USER"] = "user"
	r.env["FTP_PASSWORD"] = "pass"
	res := r.run("get", "-v", "ftp://"+srv.Addr+"/hello.txt", "-")
	res.want(t, 0, "login from FTP_USER and FTP_PASSWORD")
	if res.stdout != "hello, world\n" {
		t.Errorf("stdout %q", res.stdout)
	}
	r.env["FTP_PASSWORD"] = "nope"
	res = r.run("get", "ftp://"+srv.Addr+"/hello.txt")
	res.want(t, 1, "530")
	if strings.Contains(res.stderr, "nope") {
		t.Errorf("stderr shows the password: %s", res.stderr)
	}
}

func TestAnonymousLogin(t *testing.T) {
	srv := newServer(t)
	res := newRunner(t).run("get", "ftp://"+srv.Addr+"/hello.txt", "-")
	res.want(t, 0)
	if res.stdout != "hello, world\n" || !hasCommand(srv, "USER anonymous") {
		t.Errorf("stdout %q, commands %q", res.stdout, srv.Commands())
	}
}

func TestActive(t *testing.T) {
	srv := newServer(t)
	newRunner(t).run("get", "--active", ftpURL(srv, "hello.txt"), "-").want(t, 0)
	tr := srv.Transfers()
	if len(tr) != 1 || !tr[0].Active {
		t.Errorf("transfers %+v, want one active", tr)
	}
}

// A server that needs PRET: found from its refusal and FEAT, or sent from
// the first transfer with --pret.
func TestPRET(t *testing.T) {
	srv := ftptest.NewUnstartedServer()
	srv.Personality.RequirePRET = true
	srv.Start()
	t.Cleanup(srv.Close)
	mustWrite(t, srv, "hello.txt", []byte("hello, world\n"))
	for _, args := range [][]string{{"get"}, {"get", "--pret"}} {
		res := newRunner(t).run(append(args, ftpURL(srv, "hello.txt"), "-")...)
		res.want(t, 0)
		if res.stdout != "hello, world\n" {
			t.Errorf("%q: stdout %q", args, res.stdout)
		}
	}
	if n := countPRET(srv.Commands()); n != 2 {
		t.Errorf("PRET sent %d times, want 2: %q", n, srv.Commands())
	}
	if !hasCommand(srv, "PRET RETR /hello.txt") && !hasCommand(srv, "PRET RETR hello.txt") {
		t.Errorf("commands %q", srv.Commands())
	}
}

func countPRET(cmds []string) int {
	n := 0
	for _, c := range cmds {
		if strings.HasPrefix(c, "PRET ") {
			n++
		}
	}
	return n
}

func TestPython(t *testing.T) {
	srv := newServer(t)
	r := newRunner(t)
	host, port, _ := strings.Cut(srv.Addr, ":")
	// Anonymous: no netrc.
	res := r.run(srv.Addr, "-l", "-dpub", "data.bin")
	res.want(t, 0)
	want, _ := srv.ReadFile("pub/data.bin")
	if !strings.Contains(res.stdout, "hello.txt") || !strings.HasSuffix(res.stdout, string(want)) {
		t.Errorf("stdout: %d bytes, listing present %v", len(res.stdout), strings.Contains(res.stdout, "hello.txt"))
	}
	if !hasCommand(srv, "USER anonymous") || !hasCommand(srv, "CWD pub") {
		t.Errorf("commands %q", srv.Commands())
	}

	// -r FILE with an entry for the host, -d debug, -p toggles to active.
	rc := filepath.Join(r.dir, "rc")
	os.WriteFile(rc, []byte("machine "+host+" login user password pass\n"), 0o600)
	res = r.run("-v", "-d", "-r"+rc, host+":"+port, "-p", "-lpub")
	res.want(t, 0, "PASS ****")
	if strings.Contains(res.stderr, "PASS pass") || !strings.Contains(res.stdout, "data.bin") {
		t.Errorf("stdout %q\nstderr %q", res.stdout, res.stderr)
	}
	tr := srv.Transfers()
	if last := tr[len(tr)-1]; !last.Active {
		t.Errorf("-p did not switch to active: %+v", last)
	}

	// No entry for the host: a note, then anonymous.
	os.WriteFile(rc, []byte("machine elsewhere login x password y\n"), 0o600)
	r.run("-r"+rc, srv.Addr, "-l").want(t, 0, "no account for "+host)
	// An unreadable -r file: a note, then anonymous.
	r.run("-r"+filepath.Join(r.dir, "nofile"), srv.Addr, "-l").want(t, 0, "cannot read")
	// A server error: exit 1 with the reply.
	r.run(srv.Addr, "nosuch").want(t, 1, "nosuch: 550")
	// A URL as HOST, with flags before it.
	res = r.run("--timeout", "10s", ftpURL(srv, ""), "hello.txt")
	res.want(t, 0)
	if res.stdout != "hello, world\n" {
		t.Errorf("stdout %q", res.stdout)
	}
}

// newTLSServer starts a server that requires TLS and TLS session reuse
// on data connections, implicit or explicit.
func newTLSServer(t *testing.T, implicit bool) *ftptest.Server {
	t.Helper()
	srv := ftptest.NewUnstartedServer()
	srv.RequireSessionReuse = true
	if implicit {
		srv.StartImplicitTLS()
	} else {
		srv.RequireTLS = true
		srv.StartTLS()
	}
	t.Cleanup(srv.Close)
	mustWrite(t, srv, "secret.txt", []byte("top secret\n"))
	return srv
}

func TestFTPS(t *testing.T) {
	for _, implicit := range []bool{true, false} {
		t.Run(fmt.Sprintf("implicit=%v", implicit), func(t *testing.T) {
			srv := newTLSServer(t, implicit)
			r := newRunner(t)
			u := "ftps://user:pass@" + srv.Addr + "/secret.txt"
			flags := []string{"--insecure"}
			if !implicit {
				flags = append(flags, "--explicit-tls")
			}
			res := r.run(append(append([]string{"get"}, flags...), u, "-")...)
			res.want(t, 0)
			if res.stdout != "top secret\n" {
				t.Errorf("stdout %q", res.stdout)
			}
			tr := srv.Transfers()
			if len(tr) != 1 || !tr[0].TLS || !tr[0].DidResume {
				t.Errorf("transfers %+v, want one TLS transfer with a resumed session", tr)
			}
			r.run(append(append([]string{"put"}, flags...), "-", "ftps://user:pass@"+srv.Addr+"/up.txt")...).want(t, 0)
			// The Python interface takes a URL as HOST, flags before it.
			res = r.run(append(flags, "ftps://user:pass@"+srv.Addr, "secret.txt")...)
			res.want(t, 0)
			if res.stdout != "top secret\n" {
				t.Errorf("python interface over FTPS: stdout %q", res.stdout)
			}

			// Without --insecure the self-signed certificate is refused...
			args := []string{"ls", u}
			if !implicit {
				args = append(args, "--explicit-tls")
			}
			r.run(args...).want(t, 1, "certificate")
			// ... unless it is trusted: with --cacert, in either
			// interface, ...
			caFile := filepath.Join(r.dir, "ca.pem")
			os.WriteFile(caFile, srv.CertificatePEM(), 0o644)
			r.run(append(args, "--cacert", caFile)...).want(t, 0)
			res = r.run(append(slices.Clone(flags[1:]), "--cacert="+caFile, "ftps://user:pass@"+srv.Addr, "secret.txt")...)
			res.want(t, 0)
			if res.stdout != "top secret\n" {
				t.Errorf("python interface with --cacert: stdout %q", res.stdout)
			}
			// ... which replaces the system's roots, not adds to them
			// (another server's certificate is not trusted) ...
			otherPEM := filepath.Join(r.dir, "other.pem")
			os.WriteFile(otherPEM, selfSignedPEM(t), 0o644)
			r.run(append(args, "--cacert", otherPEM)...).want(t, 1, "certificate")
			// ... and a file without certificates is a usage error.
			r.run(append(args, "--cacert", filepath.Join(r.dir, "nosuch.pem"))...).want(t, 2, "--cacert")
			os.WriteFile(filepath.Join(r.dir, "junk.pem"), []byte("junk"), 0o644)
			r.run(append(args, "--cacert", filepath.Join(r.dir, "junk.pem"))...).want(t, 2, "holds no PEM certificate")
			// Or with $SSL_CERT_FILE.
			r.env["SSL_CERT_FILE"] = caFile
			r.run(args...).want(t, 0)
		})
	}
}

func TestPlainToTLSOnlyServer(t *testing.T) {
	srv := newTLSServer(t, false)
	newRunner(t).run("ls", "ftp://user:pass@"+srv.Addr+"/").want(t, 1, "530")
}

func TestDemo(t *testing.T) {
	res := newRunner(t).run("demo")
	res.want(t, 0)
	for _, want := range []string{"ls", "get", "put", "REST", "FTPS", "resumed"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, res.stdout)
		}
	}
	if strings.Contains(res.stdout, "demo-secret") || strings.Contains(res.stderr, "demo-secret") {
		t.Error("demo shows its password")
	}
}

func TestInterruptRemovesPartialFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT to a child process on Windows")
	}
	srv := newServer(t)
	srv.AddFault(ftptest.Fault{Command: "RETR", StallData: true, CutAfter: 10_000})
	r := newRunner(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, "get", ftpURL(srv, "pub/data.bin"))
	cmd.Dir = r.dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "NETRC=" + r.env["NETRC"]}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the download is under way (the temporary file exists
	// and the server has the RETR), then interrupt it.
	for !hasCommand(srv, "RETR") || len(dirNames(t, r.dir)) == 0 {
		if ctx.Err() != nil {
			t.Fatal("the download never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, stderr: %s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr: %s", stderr.String())
	}
	if names := dirNames(t, r.dir); len(names) != 0 {
		t.Errorf("an interrupted get left %q", names)
	}
}

func TestProgressOnTerminal(t *testing.T) {
	srv := newServer(t)
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	c := &cli{
		stdin:  strings.NewReader("x"),
		stdout: &stdout,
		stderr: &stderr,
		getenv: func(k string) string {
			if k == "NETRC" {
				return filepath.Join(dir, "none")
			}
			return ""
		},
		tty:  true, // as if stderr were a terminal
		prog: "ftplib",
	}
	ctx := context.Background()
	if code := c.main(ctx, []string{"get", ftpURL(srv, "pub/data.bin"), filepath.Join(dir, "data.bin")}); code != 0 {
		t.Fatalf("get exited %d: %s", code, stderr.String())
	}
	s := stderr.String()
	if !strings.HasPrefix(s, "\rdata.bin") || !strings.Contains(s, "100%") || !strings.Contains(s, "195 KiB/195 KiB") || !strings.HasSuffix(s, "\n") {
		t.Errorf("progress: %q", s)
	}
	stderr.Reset()
	if code := c.main(ctx, []string{"put", filepath.Join(dir, "data.bin"), ftpURL(srv, "copy.bin")}); code != 0 {
		t.Fatalf("put exited %d: %s", code, stderr.String())
	}
	if s := stderr.String(); !strings.HasPrefix(s, "\rcopy.bin") || !strings.Contains(s, "100%") {
		t.Errorf("put progress: %q", s)
	}
	// A failed transfer clears the bar before the error message.
	stderr.Reset()
	srv.AddFault(ftptest.Fault{Command: "RETR", Cut: true, CutAfter: 1000})
	if code := c.main(ctx, []string{"get", ftpURL(srv, "pub/data.bin"), filepath.Join(dir, "x.bin")}); code != 1 {
		t.Fatalf("cut get exited %d", code)
	}
	if s := stderr.String(); strings.Contains(s, "100%") || !strings.Contains(s, "ftplib: get ") {
		t.Errorf("failed get: %q", s)
	}
}

func TestMirrorUnsafeNamesAndRefusedFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip(`a file name with "\" needs a Unix file system`)
	}
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, `..\escape`), []byte("evil"), 0o644)
	os.WriteFile(filepath.Join(root, "a.txt"), []byte("a"), 0o644)
	os.WriteFile(filepath.Join(root, "b.txt"), []byte("b"), 0o644)
	srv := ftptest.NewUnstartedServer()
	srv.Root = root
	srv.Start()
	t.Cleanup(srv.Close)
	srv.AddFault(ftptest.Fault{Command: "RETR", Nth: 1, Reply: "550 Permission denied."})

	r := newRunner(t)
	res := r.run("mirror", ftpURL(srv, ""), "out")
	res.want(t, 1, `skipping "..\\escape": not a safe local file name`, "a.txt: 550 Permission denied.", "1 files failed: a.txt")
	if got := readFile(t, filepath.Join(r.dir, "out", "b.txt")); string(got) != "b" {
		t.Errorf("b.txt = %q", got)
	}
	if names := dirNames(t, filepath.Join(r.dir, "out")); !slices.Equal(names, []string{"b.txt"}) {
		t.Errorf("out holds %q", names)
	}
	if names := dirNames(t, r.dir); !slices.Equal(names, []string{"out"}) {
		t.Errorf("working directory holds %q", names)
	}
}

func TestIPv6(t *testing.T) {
	srv := ftptest.NewUnstartedServer()
	srv.IPv6 = true
	func() {
		defer func() {
			if recover() != nil {
				t.Skip("no IPv6 loopback")
			}
		}()
		srv.Start()
	}()
	t.Cleanup(srv.Close)
	mustWrite(t, srv, "six.txt", []byte("six\n"))
	res := newRunner(t).run("get", ftpURL(srv, "six.txt"), "-")
	res.want(t, 0)
	if res.stdout != "six\n" || !strings.HasPrefix(srv.Addr, "[::1]:") {
		t.Errorf("addr %s, stdout %q", srv.Addr, res.stdout)
	}
}

func TestMistypedCommand(t *testing.T) {
	// Today's behaviour would be a DNS lookup of "frobnicate": instead,
	// the message, the whole usage and exit 2, without connecting.
	srv := newServer(t)
	res := newRunner(t).run("frobnicate", ftpURL(srv, ""))
	res.want(t, 2, `unknown command "frobnicate"`, "Usage:", "mirror [-R] [--parallel N] [--retries N] [--delete] [--dry-run] [--verify] URL LOCALDIR")
	if len(srv.Commands()) != 0 {
		t.Errorf("connected: %q", srv.Commands())
	}
}

// selfSignedPEM returns a new self-signed CA certificate for 127.0.0.1,
// in PEM: one the ftptest servers' certificate does not chain to.
func selfSignedPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "other"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestMirrorSkipsHostileNames(t *testing.T) {
	// Names no ftptest tree can hold: path elements, "..", absolute
	// paths, a CR, a terminal escape. Each is reported and skipped, the
	// good files arrive, nothing is written outside the target, and the
	// exit status is 1.
	fact := func(kind, name string) string {
		if kind == "dir" || kind == "cdir" {
			return "type=" + kind + ";perm=el; " + name + "\r\n"
		}
		return "type=file;size=4; " + name + "\r\n"
	}
	listing := fact("cdir", ".") + fact("file", "../../escape1") + fact("file", "/tmp/ftplib-test-abs") +
		fact("file", "sub/inner") + fact("file", "cr\rname") + fact("file", "esc\x1b]0;pwned\x07") +
		fact("file", "ok.txt") + fact("dir", "..") + fact("dir", "d") + fact("file", `back\slash`)
	srv := newRawServer(t, map[string]string{
		"":  listing,
		"d": fact("file", "deep.txt") + fact("file", "d/../../up"),
	}, map[string]string{
		"ok.txt":     "good",
		"d/deep.txt": "deep",
		// Served if asked for, which must not happen.
		"../../escape1": "evil", "/tmp/ftplib-test-abs": "evil", "sub/inner": "evil",
		"cr\rname": "evil", "esc\x1b]0;pwned\x07": "evil", "d/d/../../up": "evil",
	})
	r := newRunner(t)
	res := r.run("mirror", "-v", "ftp://u:p@"+srv.Addr+"/", "out/tree")
	res.want(t, 1,
		`skipping "../../escape1": not a safe local file name (holds a path separator)`,
		`skipping "/tmp/ftplib-test-abs": not a safe local file name (an absolute path)`,
		`skipping "sub/inner": not a safe local file name (holds a path separator)`,
		`skipping "cr\rname": not a safe local file name (holds a control character)`,
		`skipping "esc\x1b]0;pwned\a": not a safe local file name (holds a control character)`,
		`skipping "back\\slash": not a safe local file name (holds a path separator)`,
		`skipping "d/d/../../up"`,
		"get ok.txt", "get d/deep.txt",
		"7 entries skipped",
	)
	if strings.ContainsAny(res.stderr+res.stdout, "\x1b\x07\r") {
		t.Errorf("output holds control characters: %q", res.stderr)
	}
	for _, c := range srv.commands() {
		if strings.HasPrefix(c, "RETR") && c != "RETR ok.txt" && c != "RETR d/deep.txt" {
			t.Errorf("fetched a refused entry: %q", c)
		}
	}
	if got := readFile(t, filepath.Join(r.dir, "out", "tree", "ok.txt")); string(got) != "good" {
		t.Errorf("ok.txt = %q", got)
	}
	if got := readFile(t, filepath.Join(r.dir, "out", "tree", "d", "deep.txt")); string(got) != "deep" {
		t.Errorf("d/deep.txt = %q", got)
	}
	if names := dirNames(t, filepath.Join(r.dir, "out", "tree")); !slices.Equal(names, []string{"d", "ok.txt"}) {
		t.Errorf("out/tree holds %q", names)
	}
	if names := dirNames(t, r.dir); !slices.Equal(names, []string{"out"}) {
		t.Errorf("working directory holds %q", names)
	}
	if names := dirNames(t, filepath.Join(r.dir, "out")); !slices.Equal(names, []string{"tree"}) {
		t.Errorf("out holds %q", names)
	}
	if _, err := os.Lstat("/tmp/ftplib-test-abs"); err == nil {
		t.Error("/tmp/ftplib-test-abs was written")
	}
}

func TestMirrorHostileNamesOnDisk(t *testing.T) {
	// The same against ftptest serving a real tree: the control
	// characters are refused, the rest of the tree is mirrored.
	srv := ftptest.NewUnstartedServer()
	srv.Root = hostileRoot(t)
	srv.Start()
	t.Cleanup(srv.Close)
	r := newRunner(t)
	res := r.run("mirror", "-v", ftpURL(srv, ""), "out")
	res.want(t, 1, `skipping "cr\rname.txt"`, `skipping "sub/in\x1bside.txt"`, "get good.txt", "3 entries skipped")
	if strings.ContainsAny(res.stderr, "\x1b\x07\r") {
		t.Errorf("stderr holds control characters: %q", res.stderr)
	}
	if names := dirNames(t, filepath.Join(r.dir, "out")); !slices.Equal(names, []string{"good.txt", "sub"}) {
		t.Errorf("out holds %q", names)
	}
	if names := dirNames(t, filepath.Join(r.dir, "out", "sub")); len(names) != 0 {
		t.Errorf("out/sub holds %q", names)
	}
}

func TestSymlinksInLocalTreeNotFollowed(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	srv := newServer(t)
	r := newRunner(t)
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "hello.txt"), []byte("mine"), 0o644)
	os.WriteFile(filepath.Join(outside, "data.bin"), []byte("mine"), 0o644)

	// mirror: links planted at a directory's and a file's place.
	out := filepath.Join(r.dir, "out")
	os.MkdirAll(out, 0o755)
	if err := os.Symlink(outside, filepath.Join(out, "pub")); err != nil {
		t.Fatal(err)
	}
	os.Symlink(filepath.Join(outside, "hello.txt"), filepath.Join(out, "hello.txt"))
	res := r.run("mirror", ftpURL(srv, ""), "out")
	res.want(t, 1,
		`skipping "pub": the local path is a symbolic link; not following it`,
		`skipping "hello.txt": the local path is a symbolic link; not following it`,
		"2 entries skipped")
	if names := dirNames(t, outside); !slices.Equal(names, []string{"data.bin", "hello.txt"}) {
		t.Errorf("mirror wrote outside its target: %q", names)
	}
	if got := readFile(t, filepath.Join(outside, "hello.txt")); string(got) != "mine" {
		t.Errorf("mirror wrote through a link: %q", got)
	}
	if fi, err := os.Stat(filepath.Join(out, "empty")); err != nil || !fi.IsDir() {
		t.Errorf("the rest was not mirrored: %v", err)
	}

	// get -c: a link at the local name is refused, not appended to.
	os.Symlink(filepath.Join(outside, "data.bin"), filepath.Join(r.dir, "data.bin"))
	res = r.run("get", "-c", ftpURL(srv, "pub/data.bin"))
	res.want(t, 1, "data.bin is a symbolic link; not following it")
	if got := readFile(t, filepath.Join(outside, "data.bin")); string(got) != "mine" {
		t.Errorf("get -c wrote through a link: %d bytes", len(got))
	}
	res = r.run("get", "-c", ftpURL(srv, "pub/data.bin"), "data.bin")
	res.want(t, 1, "symbolic link")
}
