package ftp

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"
)

// The bounds of Client.Walk, as walk_hostile_test.go checks them for
// Conn.Walk. The fake server takes one connection, so MaxConns is 1: fn
// calling the Client (Stat below) shows the connection was given back
// before fn was called.

// listingClient returns a Client of one connection to a listingServer.
func listingClient(t *testing.T, ls listingServer) (*Client, *fakeServer) {
	t.Helper()
	f := ls.start(t)
	c := &Client{Addr: f.addr, User: "u", Password: "p", MaxConns: 1}
	t.Cleanup(func() { c.Close() })
	return c, f
}

func TestClientWalkDefaultDepth(t *testing.T) {
	c, _ := listingClient(t, listingServer{withMLST: true, mlsd: endless})
	ctx := ctxT(t)
	deepest, stops := 0, 0
	err := c.Walk(ctx, "/r", func(p string, e Entry, err error) error {
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
	if deepest != DefaultMaxDepth {
		t.Errorf("deepest visit at depth %d, want %d", deepest, DefaultMaxDepth)
	}
}

func TestClientWalkMaxDepth(t *testing.T) {
	c, _ := listingClient(t, listingServer{withMLST: true, mlsd: endless})
	ctx := ctxT(t)
	var visited []string
	err := c.Walk(ctx, "/r", func(p string, e Entry, err error) error {
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
	err = c.Walk(ctx, "/r", func(p string, e Entry, err error) error {
		if n++; err != nil || n > 20 {
			return stop
		}
		return nil
	}, MaxDepth(1))
	if err != stop {
		t.Errorf("Walk = %v, want fn's error", err)
	}

	// A negative MaxDepth removes the bound: fn stops the walk.
	n = 0
	err = c.Walk(ctx, "/r", func(p string, e Entry, err error) error {
		if err != nil {
			return err
		}
		if n++; n > DefaultMaxDepth+10 {
			return stop
		}
		return nil
	}, MaxDepth(-1))
	if err != stop {
		t.Errorf("Walk MaxDepth(-1) = %v after %d calls, want fn's error past the default depth", err, n)
	}
}

// TestClientWalkCycle: the tree of TestWalkCycle; fn calls the Client at
// the cycle.
func TestClientWalkCycle(t *testing.T) {
	tree := map[string][]string{
		"/r":     {"type=dir;unique=A; a", "type=dir;unique=S; c"},
		"/r/a":   {"type=dir;unique=/r; back", "type=dir;unique=S; b"},
		"/r/a/b": {"type=file;unique=F; f"},
		"/r/c":   {"type=file;unique=G; g"},
	}
	c, f := listingClient(t, listingServer{withMLST: true, mlsd: func(p string) []string { return tree[p] }})
	ctx := ctxT(t)
	var visited, cycles []string
	err := c.Walk(ctx, "/r", func(p string, e Entry, err error) error {
		if err != nil {
			if !errors.Is(err, ErrCycle) || !strings.Contains(err.Error(), `of "/r", above it`) {
				t.Errorf("fn(%q, %v): want ErrCycle naming /r", p, err)
			}
			cycles = append(cycles, p)
			if _, err := c.Stat(ctx, p); err != nil {
				t.Errorf("Stat from fn: %v", err)
			}
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

func TestClientWalkUnsafeNames(t *testing.T) {
	c, _ := listingClient(t, listingServer{withMLST: true, mlsd: hostileMLSD})
	ctx := ctxT(t)
	var visited, unsafe []string
	err := c.Walk(ctx, "/d", func(p string, e Entry, err error) error {
		if err != nil {
			var ne *NameError
			if !errors.As(err, &ne) || p != "/d" || e.Name != "d" || ne.Dir != "/d" {
				t.Errorf("fn(%q, %q, %v): want a NameError for /d", p, e.Name, err)
				return err
			}
			if errors.Is(err, ErrProto) {
				t.Errorf("fn(%q, %v): a NameError alone is not a protocol error", p, err)
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
		t.Errorf("fn saw NameErrors for %q, want %q (once each)", unsafe, sortedHostile())
	}

	// ReadDir still returns the names joined in one error, as before.
	entries, err := c.ReadDir(ctx, "/d")
	var pe *fs.PathError
	if len(entries) != 2 || !errors.As(err, &pe) || pe.Op != "readdir" || pe.Path != "/d" {
		t.Fatalf("ReadDir = %d entries, %v", len(entries), err)
	}
	if got := unsafeNamesIn(t, err, "/d"); !slices.Equal(got, sortedHostile()) {
		t.Errorf("ReadDir NameErrors for %q, want %q", got, sortedHostile())
	}
}
