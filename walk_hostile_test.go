package ftp

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"slices"
	"strings"
	"testing"
)

// listingServer is a fake server that answers listings from functions, for
// trees a real server would not hold: names with path elements, infinite
// depth, cycles. mlsd returns the MLSD lines of a path (LIST lines when
// withMLST is false); MLST of a path answers "type=dir;unique=<path>;".
type listingServer struct {
	withMLST bool
	mlsd     func(path string) []string
}

func (ls listingServer) start(t *testing.T) *fakeServer {
	return newFake(t, func(s *session) {
		s.send("220 hi")
		var ln net.Listener
		defer func() {
			if ln != nil {
				ln.Close()
			}
		}()
		for {
			line := strings.TrimRight(s.readLine(), "\r\n")
			if line == "" {
				return
			}
			verb, arg, _ := strings.Cut(line, " ")
			switch verb {
			case "FEAT":
				if ls.withMLST {
					s.send("211-Features:", " MLST type*;unique*;", "211 End")
				} else {
					s.send("211-Features:", " SIZE", "211 End")
				}
			case "USER": // for a Client
				s.send("331 password")
			case "PASS":
				s.send("230 in")
			case "PWD":
				s.send(`257 "/" is the current directory`)
			case "TYPE":
				s.send("200 ok")
			case "PASV":
				var err error
				if ln, err = net.Listen("tcp", net.JoinHostPort(s.host, "0")); err != nil {
					s.t.Errorf("fake: listen: %v", err)
					return
				}
				p := ln.Addr().(*net.TCPAddr).Port
				s.send(fmt.Sprintf("227 Entering Passive Mode (%s,%d,%d).", strings.ReplaceAll(s.host, ".", ","), p>>8, p&0xff))
			case "MLSD", "LIST":
				dc := s.accept(ln)
				ln = nil
				s.send("150 here")
				var b strings.Builder
				for _, l := range ls.mlsd(arg) {
					b.WriteString(l + "\r\n")
				}
				sendData(s.t, dc, b.String())
				s.send("226 done")
			case "MLST":
				if !ls.withMLST {
					s.send("500 Unknown command.")
					continue
				}
				s.send("250-Listing", " type=dir;unique="+arg+"; "+arg, "250 End")
			case "QUIT":
				s.send("221 bye")
				return
			default:
				s.send("500 Unknown command.")
			}
		}
	})
}

// hostileNames are names a listing may hold that are not one path element.
var hostileNames = []string{"../../../tmp/x", "/tmp/abs", "sub/inner", "..", ".", `a\b`, "nul\x00x", `..\..\win`}

// hostileMLSD lists /d with good entries, the directory and its parent,
// and an entry for each hostile name; /d/good holds one file.
func hostileMLSD(p string) []string {
	switch p {
	case "/d":
		lines := []string{"type=cdir;unique=/d; .", "type=pdir;unique=/; ..", "type=file;size=1; ok", "type=dir;unique=/d/good; good"}
		for i, n := range hostileNames {
			typ := "file"
			if i%2 == 0 && n != "." && n != ".." {
				typ = "dir"
			}
			lines = append(lines, "type="+typ+";size=1; "+n)
		}
		return lines
	case "/d/good":
		return []string{"type=file;size=2; f"}
	}
	return nil
}

// unsafeNamesIn returns the names of the NameErrors in err, checking each.
func unsafeNamesIn(t *testing.T, err error, dir string) []string {
	t.Helper()
	var names []string
	var walk func(error)
	walk = func(err error) {
		if ne, ok := err.(*NameError); ok {
			if ne.Dir != dir || !errors.Is(ne, ErrUnsafeName) || !strings.Contains(ne.Error(), "not a single path element") {
				t.Errorf("NameError %+v: %v", ne, ne)
			}
			names = append(names, ne.Entry.Name)
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	slices.Sort(names)
	return names
}

func sortedHostile() []string {
	want := slices.Clone(hostileNames)
	slices.Sort(want)
	return want
}

func TestReadDirUnsafeNames(t *testing.T) {
	f := listingServer{withMLST: true, mlsd: hostileMLSD}.start(t)
	c := dialFake(t, f, nil)
	entries, err := c.ReadDir(ctxT(t), "/d")
	var names []string
	for _, e := range entries {
		names = append(names, e.Name)
	}
	if !slices.Equal(names, []string{"good", "ok"}) {
		t.Errorf("ReadDir entries = %q, want [good ok]", names)
	}
	if !errors.Is(err, ErrUnsafeName) {
		t.Fatalf("ReadDir error = %v, want ErrUnsafeName", err)
	}
	var ne *NameError
	if !errors.As(err, &ne) || ne.Entry.Name != hostileNames[0] {
		t.Errorf("errors.As: %+v, want the first hostile name", ne)
	}
	if got := unsafeNamesIn(t, err, "/d"); !slices.Equal(got, sortedHostile()) {
		t.Errorf("NameErrors for %q, want %q", got, sortedHostile())
	}
	if msg := err.Error(); !strings.Contains(msg, `"../../../tmp/x"`) || !strings.Contains(msg, "8 unsafe names in all") {
		t.Errorf("error message %q", msg)
	}
}

// TestReadDirUnsafeNamesList: the same over LIST, where "." and ".." as
// directories are the usual ls -a lines and are left out silently.
func TestReadDirUnsafeNamesList(t *testing.T) {
	line := func(mode, name string) string {
		return mode + "    1 ftp      ftp             5 Jan 02  2024 " + name
	}
	f := listingServer{mlsd: func(p string) []string {
		return []string{
			line("drwxr-xr-x", "."), line("drwxr-xr-x", ".."), line("-rw-r--r--", "ok"),
			line("-rw-r--r--", "../x"), line("drwxr-xr-x", "/abs"), line("-rw-r--r--", ".."),
		}
	}}.start(t)
	c := dialFake(t, f, nil)
	entries, err := c.ReadDir(ctxT(t), "d")
	if len(entries) != 1 || entries[0].Name != "ok" {
		t.Errorf("ReadDir entries = %+v, want ok alone", entries)
	}
	if got := unsafeNamesIn(t, err, "d"); !slices.Equal(got, []string{"..", "../x", "/abs"}) {
		t.Errorf("NameErrors for %q (error %v)", got, err)
	}
}

func TestWalkUnsafeNames(t *testing.T) {
	f := listingServer{withMLST: true, mlsd: hostileMLSD}.start(t)
	c := dialFake(t, f, nil)
	var visited []string
	var unsafe []string
	err := c.Walk(ctxT(t), "/d", func(p string, e Entry, err error) error {
		if err != nil {
			var ne *NameError
			if !errors.As(err, &ne) || p != "/d" || e.Name != "d" {
				t.Errorf("fn(%q, %q, %v): want a NameError for /d", p, e.Name, err)
				return err
			}
			unsafe = append(unsafe, ne.Entry.Name)
			return nil
		}
		visited = append(visited, p)
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	if want := []string{"/d", "/d/good", "/d/good/f", "/d/ok"}; !slices.Equal(visited, want) {
		t.Errorf("visited %q, want %q", visited, want)
	}
	slices.Sort(unsafe)
	if !slices.Equal(unsafe, sortedHostile()) {
		t.Errorf("fn saw NameErrors for %q, want %q", unsafe, sortedHostile())
	}

	// fs.SkipDir from fn at a NameError skips the directory's entries.
	visited = nil
	err = c.Walk(ctxT(t), "/d", func(p string, e Entry, err error) error {
		visited = append(visited, p)
		if err != nil {
			return fs.SkipDir
		}
		return nil
	})
	if err != nil || !slices.Equal(visited, []string{"/d", "/d"}) {
		t.Errorf("Walk with SkipDir at the first NameError: visited %q, %v", visited, err)
	}
}

func TestFSUnsafeNames(t *testing.T) {
	f := listingServer{withMLST: true, mlsd: hostileMLSD}.start(t)
	c := dialFake(t, f, nil)
	fsys := c.FS(ctxT(t))
	list, err := fs.ReadDir(fsys, "d")
	if len(list) != 2 || list[0].Name() != "good" || list[1].Name() != "ok" {
		t.Errorf("fs.ReadDir entries = %v, want good and ok", list)
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Path != "d" || !errors.Is(err, ErrUnsafeName) {
		t.Errorf("fs.ReadDir error = %v, want a PathError for d wrapping ErrUnsafeName", err)
	}
	var visited []string
	var errs int
	err = fs.WalkDir(fsys, "d", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if !errors.Is(err, ErrUnsafeName) || p != "d" {
				t.Errorf("WalkDir fn(%q, %v)", p, err)
			}
			errs++
			return nil
		}
		if !fs.ValidPath(p) {
			t.Errorf("WalkDir gave the invalid path %q", p)
		}
		visited = append(visited, p)
		return nil
	})
	if err != nil || errs != 1 {
		t.Errorf("WalkDir = %v, %d error calls", err, errs)
	}
	if want := []string{"d", "d/good", "d/good/f", "d/ok"}; !slices.Equal(visited, want) {
		t.Errorf("WalkDir visited %q, want %q", visited, want)
	}
}

// endless is a tree whose every directory holds another, named d, with a
// unique fact of its own.
func endless(p string) []string {
	return []string{"type=dir;unique=" + p + "/d; d", "type=file;size=1; f"}
}

func TestWalkDefaultDepth(t *testing.T) {
	f := listingServer{withMLST: true, mlsd: endless}.start(t)
	c := dialFake(t, f, nil)
	deepest, stops := 0, 0
	err := c.Walk(ctxT(t), "/r", func(p string, e Entry, err error) error {
		depth := strings.Count(p, "/") - 1
		deepest = max(deepest, depth)
		if depth > DefaultMaxDepth+2 {
			return fmt.Errorf("walked to depth %d", depth)
		}
		if err != nil {
			if !errors.Is(err, ErrTooDeep) || depth != DefaultMaxDepth || !e.IsDir() {
				t.Errorf("fn(%.40q..., %v) at depth %d", p, err, depth)
			}
			stops++
		}
		return nil
	})
	if err != nil || stops != 1 {
		t.Fatalf("Walk = %v, %d ErrTooDeep calls, want nil and 1", err, stops)
	}
	// The directory at the bound is visited, not read; its files are not.
	if deepest != DefaultMaxDepth {
		t.Errorf("deepest visit at depth %d, want %d", deepest, DefaultMaxDepth)
	}
}

func TestWalkMaxDepth(t *testing.T) {
	f := listingServer{withMLST: true, mlsd: endless}.start(t)
	c := dialFake(t, f, nil)
	var visited []string
	err := c.Walk(ctxT(t), "/r", func(p string, e Entry, err error) error {
		if len(visited) > 20 {
			return errors.New("no bound")
		}
		if err != nil {
			visited = append(visited, p+" "+err.Error())
			return nil
		}
		visited = append(visited, p)
		return nil
	}, MaxDepth(2))
	want := []string{"/r", "/r/d", "/r/d/d", `/r/d/d ftp: directory too deep: "/r/d/d" is 2 levels below the root; not read`, "/r/d/f", "/r/f"}
	if err != nil || !slices.Equal(visited, want) {
		t.Errorf("Walk MaxDepth(2) = %v, visited\n%q\nwant\n%q", err, visited, want)
	}

	// An error returned by fn for ErrTooDeep stops the walk.
	stop := errors.New("stop")
	n := 0
	err = c.Walk(ctxT(t), "/r", func(p string, e Entry, err error) error {
		if n++; err != nil || n > 20 {
			return stop
		}
		return nil
	}, MaxDepth(1))
	if err != stop {
		t.Errorf("Walk = %v, want fn's error", err)
	}
}

func TestFSDepthBound(t *testing.T) {
	f := listingServer{withMLST: true, mlsd: func(p string) []string { return []string{"type=dir; d"} }}.start(t)
	c := dialFake(t, f, nil)
	deepest := 0
	var stop error
	err := fs.WalkDir(c.FS(ctxT(t)), ".", func(p string, d fs.DirEntry, err error) error {
		depth := strings.Count(p, "/") + 1
		deepest = max(deepest, depth)
		if depth > DefaultMaxDepth+2 {
			return fmt.Errorf("walked to depth %d", depth)
		}
		if err != nil {
			stop = err
			return fs.SkipDir
		}
		return nil
	})
	if err != nil || !errors.Is(stop, ErrTooDeep) {
		t.Fatalf("WalkDir = %v; error seen %v, want ErrTooDeep", err, stop)
	}
	if deepest != DefaultMaxDepth {
		t.Errorf("deepest path has %d elements, want %d", deepest, DefaultMaxDepth)
	}
}

// TestWalkCycle: /r/a/back has the unique fact of /r (a link to it): it is
// reported with ErrCycle and not listed. /r/c and /r/a/b share a unique
// fact but neither is above the other: both are read.
func TestWalkCycle(t *testing.T) {
	tree := map[string][]string{
		"/r":      {"type=dir;unique=A; a", "type=dir;unique=S; c"},
		"/r/a":    {"type=dir;unique=/r; back", "type=dir;unique=S; b"},
		"/r/a/b":  {"type=file;unique=F; f"},
		"/r/c":    {"type=file;unique=G; g"},
		"/r/a/bb": {"never"},
	}
	f := listingServer{withMLST: true, mlsd: func(p string) []string { return tree[p] }}.start(t)
	c := dialFake(t, f, nil)
	var visited []string
	var cycles []string
	err := c.Walk(ctxT(t), "/r", func(p string, e Entry, err error) error {
		if err != nil {
			if !errors.Is(err, ErrCycle) || !strings.Contains(err.Error(), `of "/r", above it`) {
				t.Errorf("fn(%q, %v): want ErrCycle naming /r", p, err)
			}
			cycles = append(cycles, p)
			return nil
		}
		visited = append(visited, p)
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	if want := []string{"/r", "/r/a", "/r/a/b", "/r/a/b/f", "/r/a/back", "/r/c", "/r/c/g"}; !slices.Equal(visited, want) {
		t.Errorf("visited %q, want %q", visited, want)
	}
	if !slices.Equal(cycles, []string{"/r/a/back"}) {
		t.Errorf("ErrCycle for %q, want /r/a/back", cycles)
	}
	c.Close()
	f.wait()
	if strings.Contains(f.received(), "MLSD /r/a/back") {
		t.Errorf("the cycle was listed:\n%s", f.received())
	}
}
