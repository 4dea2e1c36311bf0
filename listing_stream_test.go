package ftp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/ftptest"
)

// Black-box tests of the streaming listings, Walk and Conn.FS against the
// in-process ftptest server.

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	t.Cleanup(cancel)
	return ctx
}

// noMLST makes srv's FEAT reply list no MLST (the server still answers
// MLST and MLSD, so a client that used them would be caught by the
// command log).
func noMLST(srv *ftptest.Server) {
	srv.AddFault(ftptest.Fault{Command: "FEAT", Reply: "211-Features:\r\n EPSV\r\n SIZE\r\n UTF8\r\n211 End"})
}

func newListServer(t testing.TB) *ftptest.Server {
	ftp.CheckLeaks(t)
	srv := ftptest.NewServer()
	t.Cleanup(srv.Close)
	return srv
}

func listLogin(t testing.TB, srv *ftptest.Server) *ftp.Conn {
	t.Helper()
	ctx := testCtx(t)
	c, err := ftp.Dial(ctx, srv.Addr)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
		t.Fatalf("Login: %v", err)
	}
	return c
}

// tree is the test tree: names with spaces, ';', '=', UTF-8, an empty
// directory and nesting.
var tree = map[string]string{
	"a.txt":                    "alpha\n",
	"b file.txt":               "bravo with space",
	"semi;colon=eq.txt":        "semicolon",
	"ünïcødé/ß.txt":            "utf-8 names",
	"dir/one.txt":              "one",
	"dir/two.bin":              strings.Repeat("\x00\x01\xff", 1000),
	"dir/sub/deep/three.txt":   "three",
	"dir/sub/deep/four.txt":    "four",
	"dir/sub/x y z/five;6.txt": "five",
	"other/seven.txt":          "seven",
	"other/eight.txt":          strings.Repeat("eight\n", 5000),
}

var emptyDirs = []string{"empty", "dir/sub/emptier"}

func fillServer(t testing.TB, srv *ftptest.Server) {
	t.Helper()
	for name, data := range tree {
		if err := srv.WriteFile(name, []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range emptyDirs {
		if err := srv.MkdirAll(d); err != nil {
			t.Fatal(err)
		}
	}
}

func fillDisk(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	for name, data := range tree {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range emptyDirs {
		if err := os.MkdirAll(filepath.Join(root, filepath.FromSlash(d)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// expectedFiles returns every file and directory of the tree, for
// fstest.TestFS.
func expectedFiles() []string {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		for p != "." && !seen[p] {
			seen[p] = true
			out = append(out, p)
			i := strings.LastIndexByte(p, '/')
			if i < 0 {
				break
			}
			p = p[:i]
		}
	}
	for name := range tree {
		add(name)
	}
	for _, d := range emptyDirs {
		add(d)
	}
	return out
}

func countCmd(cmds []string, prefix string) int {
	n := 0
	for _, c := range cmds {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

func TestMlsdFTPTest(t *testing.T) {
	srv := newListServer(t)
	fillServer(t, srv)
	c := listLogin(t, srv)
	ctx := testCtx(t)

	names := map[string]ftp.Entry{}
	for e, err := range c.Mlsd(ctx, "/") {
		if err != nil {
			t.Fatalf("Mlsd: %v", err)
		}
		names[e.Name] = e
	}
	for _, n := range []string{"a.txt", "b file.txt", "semi;colon=eq.txt", "ünïcødé", "dir", "empty", "other"} {
		if _, ok := names[n]; !ok {
			t.Errorf("Mlsd: %q missing from %v", n, names)
		}
	}
	if len(names) != 7 {
		t.Errorf("Mlsd: %d entries, want 7", len(names))
	}
	if e := names["b file.txt"]; e.Type != ftp.TypeFile || e.Size != int64(len(tree["b file.txt"])) || e.ModTime.IsZero() || e.Facts["perm"] == "" {
		t.Errorf("Mlsd b file.txt = %+v", e)
	}
	if e := names["dir"]; e.Type != ftp.TypeDir || !e.IsDir() {
		t.Errorf("Mlsd dir = %+v", e)
	}
	if n := countCmd(srv.Commands(), "OPTS MLST"); n != 0 {
		t.Errorf("OPTS MLST sent %d times without facts", n)
	}

	// With facts: OPTS MLST once, right before TYPE A/EPSV/MLSD, and only
	// those facts come back.
	var got []ftp.Entry
	for e, err := range c.Mlsd(ctx, "dir", "type", "size") {
		if err != nil {
			t.Fatalf("Mlsd facts: %v", err)
		}
		got = append(got, e)
	}
	if len(got) != 3 {
		t.Fatalf("Mlsd dir = %+v", got)
	}
	for _, e := range got {
		if _, ok := e.Facts["modify"]; ok || e.Facts["type"] == "" {
			t.Errorf("Mlsd with facts type;size: %q has facts %v", e.Name, e.Facts)
		}
	}
	cmds := srv.Commands()
	i := slices.Index(cmds, "OPTS MLST type;size;")
	if i < 0 || countCmd(cmds, "OPTS MLST") != 1 {
		t.Fatalf("OPTS MLST not sent exactly once: %q", cmds)
	}
	if j := slices.Index(cmds, "MLSD dir"); j < i {
		t.Errorf("MLSD dir not after OPTS MLST: %q", cmds)
	}
	if n := countCmd(cmds, "MLSD"); n != 2 {
		t.Errorf("MLSD sent %d times, want 2: %q", n, cmds)
	}
}

func TestMlstFTPTest(t *testing.T) {
	srv := newListServer(t)
	fillServer(t, srv)
	c := listLogin(t, srv)
	ctx := testCtx(t)
	e, err := c.Mlst(ctx, "dir/sub/x y z/five;6.txt")
	if err != nil {
		t.Fatal(err)
	}
	if e.Name != "/dir/sub/x y z/five;6.txt" || e.Type != ftp.TypeFile || e.Size != 4 {
		t.Errorf("Mlst = %+v", e)
	}
	if _, err := c.Mlst(ctx, "nope"); !errors.Is(err, ftp.ErrPerm) {
		t.Errorf("Mlst nope = %v, want ErrPerm", err)
	}
}

func TestListFTPTest(t *testing.T) {
	srv := newListServer(t)
	fillServer(t, srv)
	c := listLogin(t, srv)
	ctx := testCtx(t)
	var names []string
	for e, err := range c.List(ctx, "dir/sub") {
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if e.Name == "deep" && !e.IsDir() {
			t.Errorf("deep is not a dir: %+v", e)
		}
		names = append(names, e.Name)
	}
	if strings.Join(names, "|") != "deep|emptier|x y z" {
		t.Errorf("List = %q", names)
	}
	for e, err := range c.List(ctx, "") {
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if e.Name == "semi;colon=eq.txt" && e.Size != 9 {
			t.Errorf("List semi = %+v", e)
		}
	}
}

func TestReadDirFTPTest(t *testing.T) {
	for _, mlst := range []bool{true, false} {
		t.Run(fmt.Sprintf("mlst=%v", mlst), func(t *testing.T) {
			srv := newListServer(t)
			if !mlst {
				noMLST(srv)
			}
			fillServer(t, srv)
			c := listLogin(t, srv)
			ctx := testCtx(t)
			for i := 0; i < 2; i++ {
				entries, err := c.ReadDir(ctx, "dir")
				if err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, e := range entries {
					names = append(names, e.Name)
				}
				if strings.Join(names, "|") != "one.txt|sub|two.bin" {
					t.Errorf("ReadDir = %q", names)
				}
			}
			if _, err := c.ReadDir(ctx, "missing"); !errors.Is(err, ftp.ErrPerm) {
				t.Errorf("ReadDir missing = %v", err)
			}
			cmds := srv.Commands()
			if n := countCmd(cmds, "FEAT"); n != 1 {
				t.Errorf("FEAT sent %d times, want 1 (cached)", n)
			}
			if mlst && (countCmd(cmds, "MLSD") != 3 || countCmd(cmds, "LIST") != 0) {
				t.Errorf("with MLST: %q", cmds)
			}
			if !mlst && (countCmd(cmds, "MLSD") != 0 || countCmd(cmds, "LIST") != 3) {
				t.Errorf("without MLST: %q", cmds)
			}
		})
	}
}

func TestMlsdBreakEarly(t *testing.T) {
	srv := newListServer(t)
	for i := range 5000 {
		if err := srv.WriteFile(fmt.Sprintf("big/f%05d", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	// The data connections stall after 1000 bytes until ABOR: without the
	// abort, the loop would hang.
	srv.AddFault(ftptest.Fault{Command: "MLSD", StallData: true, CutAfter: 1000})
	srv.AddFault(ftptest.Fault{Command: "LIST", StallData: true, CutAfter: 1000})
	c := listLogin(t, srv)
	ctx := testCtx(t)
	for _, seq := range []func(func(ftp.Entry, error) bool){c.Mlsd(ctx, "big"), c.List(ctx, "big")} {
		n := 0
		for _, err := range seq {
			if err != nil {
				t.Fatal(err)
			}
			if n++; n == 3 {
				break
			}
		}
		if dir, err := c.Pwd(ctx); err != nil || dir != "/" {
			t.Fatalf("Pwd after break = %q, %v", dir, err)
		}
	}
	tr := srv.Transfers()
	if len(tr) != 2 || !tr[0].Aborted || !tr[1].Aborted {
		t.Errorf("transfers = %+v, want two aborted", tr)
	}
	if n := countCmd(srv.Commands(), "ABOR"); n != 2 {
		t.Errorf("ABOR sent %d times, want 2", n)
	}
	srv.ClearFaults()
	// A whole listing still works afterwards.
	n := 0
	for _, err := range c.Mlsd(ctx, "big") {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 5000 {
		t.Errorf("Mlsd after break: %d entries", n)
	}
	// A panic in the loop body aborts too.
	func() {
		defer func() { recover() }()
		for range c.Mlsd(ctx, "big") {
			panic("boom")
		}
	}()
	if _, err := c.Noop(ctx); err != nil {
		t.Fatalf("Noop after panic: %v", err)
	}
}

func TestMlsdBusy(t *testing.T) {
	srv := newListServer(t)
	fillServer(t, srv)
	c := listLogin(t, srv)
	ctx := testCtx(t)
	for _, err := range c.Mlsd(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		// The Conn is held by the listing.
		if _, err := c.Noop(ctx); !errors.Is(err, ftp.ErrBusy) {
			t.Errorf("Noop in the loop = %v, want ErrBusy", err)
		}
		var inner error
		for _, err := range c.Mlsd(ctx, "dir") {
			inner = err
		}
		if !errors.Is(inner, ftp.ErrBusy) {
			t.Errorf("nested Mlsd = %v, want ErrBusy", inner)
		}
		break
	}
}

func TestWalkFTPTest(t *testing.T) {
	srv := newListServer(t)
	fillServer(t, srv)
	c := listLogin(t, srv)
	ctx := testCtx(t)
	walk := func(root string, fn func(string, ftp.Entry) error) []string {
		var seen []string
		err := c.Walk(ctx, root, func(p string, e ftp.Entry, err error) error {
			if err != nil {
				t.Errorf("walk %s: %v", p, err)
				return err
			}
			seen = append(seen, p)
			if fn != nil {
				return fn(p, e)
			}
			return nil
		})
		if err != nil {
			t.Errorf("Walk: %v", err)
		}
		return seen
	}
	all := walk("/dir", nil)
	want := []string{"/dir", "/dir/one.txt", "/dir/sub", "/dir/sub/deep", "/dir/sub/deep/four.txt",
		"/dir/sub/deep/three.txt", "/dir/sub/emptier", "/dir/sub/x y z", "/dir/sub/x y z/five;6.txt", "/dir/two.bin"}
	if !slices.Equal(all, want) {
		t.Errorf("Walk =\n%q\nwant\n%q", all, want)
	}
	skip := walk("/dir", func(p string, e ftp.Entry) error {
		if p == "/dir/sub" {
			return fs.SkipDir
		}
		if p == "/dir/one.txt" && (e.Size != 3 || e.Type != ftp.TypeFile) {
			t.Errorf("entry %s = %+v", p, e)
		}
		return nil
	})
	if !slices.Equal(skip, []string{"/dir", "/dir/one.txt", "/dir/sub", "/dir/two.bin"}) {
		t.Errorf("Walk SkipDir = %q", skip)
	}
	// SkipDir on a file skips the rest of its directory.
	skipFile := walk("dir/sub/deep", func(p string, e ftp.Entry) error {
		if e.Name == "four.txt" {
			return fs.SkipDir
		}
		return nil
	})
	if !slices.Equal(skipFile, []string{"dir/sub/deep", "dir/sub/deep/four.txt"}) {
		t.Errorf("Walk SkipDir on file = %q", skipFile)
	}
	stop := walk("/", func(p string, e ftp.Entry) error {
		if p == "/dir/sub/deep" {
			return fs.SkipAll
		}
		return nil
	})
	if stop[len(stop)-1] != "/dir/sub/deep" || slices.Contains(stop, "/other") {
		t.Errorf("Walk SkipAll = %q", stop)
	}
	// fn may use the Conn: the directory was read before.
	var total int64
	walk("other", func(p string, e ftp.Entry) error {
		if e.Type == ftp.TypeFile {
			var b strings.Builder
			if _, err := c.RetrBinary(ctx, "RETR "+p, &b); err != nil {
				return err
			}
			total += int64(b.Len())
		}
		return nil
	})
	if total != int64(len(tree["other/seven.txt"])+len(tree["other/eight.txt"])) {
		t.Errorf("bytes downloaded from inside Walk = %d", total)
	}
	// A missing root is reported to fn once.
	calls := 0
	err := c.Walk(ctx, "/missing", func(p string, e ftp.Entry, err error) error {
		calls++
		if p != "/missing" || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("missing root: %q, %v", p, err)
		}
		return err
	})
	if calls != 1 || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Walk missing = %v after %d calls", err, calls)
	}
	// The error fn returns is Walk's.
	mine := errors.New("mine")
	if err := c.Walk(ctx, "/", func(string, ftp.Entry, error) error { return mine }); err != mine {
		t.Errorf("Walk = %v, want fn's error", err)
	}
}

func walkPaths(t *testing.T, fsys fs.FS) []string {
	var paths []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		paths = append(paths, fmt.Sprintf("%s dir=%v", p, d.IsDir()))
		return nil
	})
	if err != nil {
		t.Fatalf("WalkDir: %v", err)
	}
	return paths
}

func TestFSWalkDirMatchesDisk(t *testing.T) {
	disk := fillDisk(t)
	want := walkPaths(t, os.DirFS(disk))
	for _, tc := range []struct {
		name  string
		setup func(*ftptest.Server)
	}{
		{"memory", func(s *ftptest.Server) { fillServer(t, s) }},
		{"memory-nomlst", func(s *ftptest.Server) { noMLST(s); fillServer(t, s) }},
		{"root", func(s *ftptest.Server) { s.Root = disk }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := ftptest.NewUnstartedServer()
			tc.setup(srv)
			srv.Start()
			t.Cleanup(srv.Close)
			c := listLogin(t, srv)
			got := walkPaths(t, c.FS(testCtx(t)))
			if !slices.Equal(got, want) {
				t.Errorf("WalkDir over FTP =\n%s\nover disk =\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func TestFSTestFS(t *testing.T) {
	for _, mlst := range []bool{true, false} {
		t.Run(fmt.Sprintf("mlst=%v", mlst), func(t *testing.T) {
			srv := newListServer(t)
			if !mlst {
				noMLST(srv)
			}
			fillServer(t, srv)
			c := listLogin(t, srv)
			if err := fstest.TestFS(c.FS(testCtx(t)), expectedFiles()...); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestFSRootedAtPwd(t *testing.T) {
	srv := newListServer(t)
	fillServer(t, srv)
	c := listLogin(t, srv)
	ctx := testCtx(t)
	if _, err := c.Cwd(ctx, "dir"); err != nil {
		t.Fatal(err)
	}
	fsys := c.FS(ctx)
	// A later Cwd does not move the FS.
	if _, err := c.Cwd(ctx, "/other"); err != nil {
		t.Fatal(err)
	}
	b, err := fs.ReadFile(fsys, "sub/deep/three.txt")
	if err != nil || string(b) != "three" {
		t.Errorf("ReadFile = %q, %v", b, err)
	}
	matches, err := fs.Glob(fsys, "sub/*/*.txt")
	if err != nil || !slices.Equal(matches, []string{"sub/deep/four.txt", "sub/deep/three.txt", "sub/x y z/five;6.txt"}) {
		t.Errorf("Glob = %q, %v", matches, err)
	}
	if _, err := fs.Stat(fsys, "nope.txt"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat nope = %v, want ErrNotExist", err)
	}
	var pe *fs.PathError
	if _, err := fsys.Open("/abs"); !errors.As(err, &pe) || !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("Open /abs = %v", err)
	}
	if _, err := fs.ReadDir(fsys, "one.txt"); err == nil {
		t.Errorf("ReadDir of a file succeeded")
	}
}

func TestFSReadDirOfFileWithoutMLST(t *testing.T) {
	srv := newListServer(t)
	noMLST(srv)
	fillServer(t, srv)
	if err := srv.WriteFile("same/same", []byte("x")); err != nil {
		t.Fatal(err)
	}
	c := listLogin(t, srv)
	fsys := c.FS(testCtx(t))
	if _, err := fs.ReadDir(fsys, "a.txt"); err == nil {
		t.Errorf("ReadDir of a file succeeded")
	}
	// A directory holding one file of its own name is a directory.
	list, err := fs.ReadDir(fsys, "same")
	if err != nil || len(list) != 1 || list[0].Name() != "same" || list[0].IsDir() {
		t.Errorf("ReadDir same = %v, %v", list, err)
	}
}

func TestFSInterleavedFiles(t *testing.T) {
	srv := newListServer(t)
	fillServer(t, srv)
	c := listLogin(t, srv)
	ctx := testCtx(t)
	fsys := c.FS(ctx)
	big, err := fsys.Open("other/eight.txt")
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 10)
	if _, err := io.ReadFull(big, head); err != nil {
		t.Fatal(err)
	}
	// The download holds the Conn.
	if _, err := c.Noop(ctx); !errors.Is(err, ftp.ErrBusy) {
		t.Errorf("Noop during a file read = %v, want ErrBusy", err)
	}
	// Other FS operations take it back: the rest is buffered.
	small, err := fsys.Open("a.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(small)
	if err != nil || string(b) != tree["a.txt"] {
		t.Errorf("a.txt = %q, %v", b, err)
	}
	if err := small.Close(); err != nil {
		t.Error(err)
	}
	rest, err := io.ReadAll(big)
	if err != nil || string(head)+string(rest) != tree["other/eight.txt"] {
		t.Errorf("eight.txt after interleaving: %d bytes, %v", len(head)+len(rest), err)
	}
	if err := big.Close(); err != nil {
		t.Error(err)
	}
	if err := big.Close(); err == nil {
		t.Error("second Close returned nil")
	}

	// Closing a file early aborts its download and frees the Conn.
	f, err := fsys.Open("other/eight.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Read(head); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("early Close = %v", err)
	}
	if _, err := c.Noop(ctx); err != nil {
		t.Errorf("Noop after early Close: %v", err)
	}

	// Seek restarts the download with REST.
	f, err = fsys.Open("other/eight.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := f.(io.ReadSeeker)
	if _, err := s.Seek(-6, io.SeekEnd); err != nil {
		t.Fatal(err)
	}
	tail, err := io.ReadAll(s)
	if err != nil || string(tail) != "eight\n" {
		t.Errorf("tail = %q, %v", tail, err)
	}
	want := fmt.Sprintf("REST %d", len(tree["other/eight.txt"])-6)
	if !slices.Contains(srv.Commands(), want) {
		t.Errorf("no %q in %q", want, srv.Commands())
	}
}

func TestFSConcurrentUse(t *testing.T) {
	srv := newListServer(t)
	fillServer(t, srv)
	c := listLogin(t, srv)
	fsys := c.FS(testCtx(t))
	errs := make(chan error, 8)
	for i := range 8 {
		go func() {
			name := []string{"a.txt", "other/eight.txt", "dir/two.bin", "dir/sub/deep/four.txt"}[i%4]
			f, err := fsys.Open(name)
			if err != nil {
				errs <- err
				return
			}
			defer f.Close()
			var b strings.Builder
			buf := make([]byte, 100)
			for {
				n, err := f.Read(buf)
				b.Write(buf[:n])
				if err == io.EOF {
					break
				}
				if err != nil {
					errs <- err
					return
				}
			}
			if b.String() != tree[name] {
				errs <- fmt.Errorf("%s: got %d bytes, want %d", name, b.Len(), len(tree[name]))
				return
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestFSHTTP(t *testing.T) {
	srv := newListServer(t)
	fillServer(t, srv)
	c := listLogin(t, srv)
	hs := httptest.NewServer(http.FileServer(http.FS(c.FS(testCtx(t)))))
	defer hs.Close()
	get := func(path, rng string) (int, string) {
		req, _ := http.NewRequest("GET", hs.URL+path, nil)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		resp, err := hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/dir/sub/deep/three.txt", ""); code != 200 || body != "three" {
		t.Errorf("GET three.txt = %d %q", code, body)
	}
	if code, body := get("/dir/two.bin", "bytes=3-8"); code != 206 || body != tree["dir/two.bin"][3:9] {
		t.Errorf("GET range = %d %q", code, body)
	}
	if code, _ := get("/nope.txt", ""); code != 404 {
		t.Errorf("GET missing = %d, want 404", code)
	}
	if code, body := get("/dir/", ""); code != 200 || !strings.Contains(body, "one.txt") || !strings.Contains(body, "sub/") {
		t.Errorf("GET dir = %d %q", code, body)
	}
}

func TestEntryFileInfo(t *testing.T) {
	srv := newListServer(t)
	fillServer(t, srv)
	c := listLogin(t, srv)
	info, err := fs.Stat(c.FS(testCtx(t)), "dir/two.bin")
	if err != nil {
		t.Fatal(err)
	}
	e, ok := info.Sys().(ftp.Entry)
	if !ok || info.Name() != "two.bin" || info.Size() != 3000 || info.IsDir() || !info.Mode().IsRegular() || !info.ModTime().Equal(e.ModTime) {
		t.Errorf("Stat = %v (Sys %T)", info, info.Sys())
	}
	d := ftp.Entry{Name: "d", Type: ftp.TypeDir, Size: -1}.DirEntry()
	if !d.IsDir() || d.Type() != fs.ModeDir {
		t.Errorf("dir DirEntry = %v", d)
	}
	if fi, _ := d.Info(); fi.Size() != 0 {
		t.Errorf("unknown size = %d, want 0", fi.Size())
	}
	l := ftp.Entry{Name: "l", Type: ftp.TypeLink, Mode: fs.ModeSymlink | 0o777}.FileInfo()
	if l.Mode() != fs.ModeSymlink|0o777 {
		t.Errorf("link mode = %v", l.Mode())
	}
	o := ftp.Entry{Name: "o", Type: ftp.TypeOther}.FileInfo()
	if o.Mode()&fs.ModeIrregular == 0 {
		t.Errorf("other mode = %v", o.Mode())
	}
}

// bigServer serves one directory "big" of n empty files.
func bigServer(tb testing.TB, n int) *ftptest.Server {
	srv := newListServer(tb)
	for i := range n {
		if err := srv.WriteFile(fmt.Sprintf("big/file-%07d.dat", i), nil); err != nil {
			tb.Fatal(err)
		}
	}
	return srv
}

func heapAfterGC() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestListing100kMemory lists 100,000 entries and checks that the live
// heap does not grow with the entries read. A first listing checks the
// count and measures the listing's size; during a second one, whose data
// connection the server holds open (stalled) a few lines before the end so
// that its own buffers stay constant, the live heap is measured after a GC
// at entry 1,000 and at entry 99,000, and the loop then breaks (ABOR).
// Holding the entries would take tens of megabytes; the bound is 1 MiB
// (about 10 bytes per entry).
func TestListing100kMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	const n = 100_000
	srv := bigServer(t, n)
	c := listLogin(t, srv)
	// A hang guard only: a loaded machine may take a while.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, tc := range []struct {
		verb string
		seq  func(func(ftp.Entry, error) bool)
	}{{"MLSD", c.Mlsd(ctx, "big")}, {"LIST", c.List(ctx, "big")}} {
		count := 0
		var last ftp.Entry
		for e, err := range tc.seq {
			if err != nil {
				t.Fatalf("%s: %v", tc.verb, err)
			}
			count++
			last = e
		}
		if count != n || last.Name != fmt.Sprintf("file-%07d.dat", n-1) {
			t.Fatalf("%s: %d entries, last %q", tc.verb, count, last.Name)
		}
		tr := srv.Transfers()
		size := tr[len(tr)-1].Bytes
		srv.AddFault(ftptest.Fault{Command: tc.verb, StallData: true, CutAfter: size - 500})
		count = 0
		var early, late uint64
		for _, err := range tc.seq {
			if err != nil {
				t.Fatalf("%s: %v", tc.verb, err)
			}
			count++
			if count == 1_000 {
				early = heapAfterGC()
			}
			if count == n-1_000 {
				late = heapAfterGC()
				break
			}
		}
		srv.ClearFaults()
		if _, err := c.Noop(ctx); err != nil {
			t.Fatalf("after break: %v", err)
		}
		growth := int64(late) - int64(early)
		t.Logf("%s: %d bytes of listing; live heap after 1k entries %d B, after 99k %d B (growth %d B, %.2f B/entry)",
			tc.verb, size, early, late, growth, float64(growth)/(n-2_000))
		if growth > 1<<20 {
			t.Errorf("%s: live heap grew by %d bytes over %d entries: the listing is being held", tc.verb, growth, n-2_000)
		}
	}
}

func benchListing(b *testing.B, n int, list func(*ftp.Conn, context.Context) func(func(ftp.Entry, error) bool)) {
	srv := bigServer(b, n)
	c := listLogin(b, srv)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		count := 0
		for _, err := range list(c, ctx) {
			if err != nil {
				b.Fatal(err)
			}
			count++
		}
		if count != n {
			b.Fatalf("%d entries, want %d", count, n)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(n), "entries/op")
}

// BenchmarkMlsd100k and BenchmarkList100k list a directory of 100,000
// entries (bytes/op include the in-process server's, which renders the
// listing in memory); the 10k variants show bytes/op growing linearly
// with the entry count, constant per entry.
func BenchmarkMlsd100k(b *testing.B) {
	benchListing(b, 100_000, func(c *ftp.Conn, ctx context.Context) func(func(ftp.Entry, error) bool) {
		return c.Mlsd(ctx, "big")
	})
}

func BenchmarkMlsd10k(b *testing.B) {
	benchListing(b, 10_000, func(c *ftp.Conn, ctx context.Context) func(func(ftp.Entry, error) bool) {
		return c.Mlsd(ctx, "big")
	})
}

func BenchmarkList100k(b *testing.B) {
	benchListing(b, 100_000, func(c *ftp.Conn, ctx context.Context) func(func(ftp.Entry, error) bool) {
		return c.List(ctx, "big")
	})
}

func BenchmarkList10k(b *testing.B) {
	benchListing(b, 10_000, func(c *ftp.Conn, ctx context.Context) func(func(ftp.Entry, error) bool) {
		return c.List(ctx, "big")
	})
}
