package ftp

import (
	"bytes"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

// checkLeaks makes the test fail when, at its end, it has left goroutines
// running or sockets open that were not there when checkLeaks was called.
// Call it first in the test, so that its cleanup runs after every other
// cleanup (servers closed, connections closed). It polls for a few seconds
// before failing, and then lists the leaked goroutines' stacks. Sockets are
// counted in /proc/self/fd, on Linux only. It must not be used by tests
// that run in parallel with others (t.Parallel), since their goroutines
// and sockets would be counted.
func checkLeaks(t testing.TB) {
	t.Helper()
	before := goroutineIDs()
	socks := countSockets()
	t.Cleanup(func() {
		// No garbage collection while polling: a socket dropped without
		// Close would be closed by its finalizer and go unnoticed.
		defer debug.SetGCPercent(debug.SetGCPercent(-1))
		deadline := time.Now().Add(5 * time.Second)
		for {
			leaked := newGoroutines(before)
			n := countSockets()
			if len(leaked) == 0 && n <= socks {
				return
			}
			if time.Now().After(deadline) {
				if len(leaked) > 0 {
					t.Errorf("%d goroutine(s) leaked:\n\n%s", len(leaked), strings.Join(leaked, "\n\n"))
				}
				if n > socks {
					t.Errorf("%d socket(s) left open (%d before the test, %d after)", n-socks, socks, n)
				}
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// goroutineStacks returns the stack of every goroutine, one string each.
func goroutineStacks() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var stacks []string
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if s := strings.TrimSpace(string(g)); s != "" {
			stacks = append(stacks, s)
		}
	}
	return stacks
}

// goroutineID returns the id in a stack's "goroutine N [state]:" header,
// or -1.
func goroutineID(stack string) int {
	rest, ok := strings.CutPrefix(stack, "goroutine ")
	if !ok {
		return -1
	}
	id, _, _ := strings.Cut(rest, " ")
	n, err := strconv.Atoi(id)
	if err != nil {
		return -1
	}
	return n
}

func goroutineIDs() map[int]bool {
	ids := make(map[int]bool)
	for _, s := range goroutineStacks() {
		ids[goroutineID(s)] = true
	}
	return ids
}

// newGoroutines returns the stacks of the goroutines that are not in
// before, leaving out the testing package's own (other tests and
// subtests) and the runtime's.
func newGoroutines(before map[int]bool) []string {
	var leaked []string
	for _, s := range goroutineStacks() {
		if before[goroutineID(s)] || strings.Contains(s, "testing.tRunner(") ||
			strings.Contains(s, "testing.(*M).") || strings.Contains(s, "created by runtime.") ||
			strings.Contains(s, "runtime.goexit0") {
			continue
		}
		leaked = append(leaked, s)
	}
	return leaked
}

// countSockets returns the number of sockets the process has open, or
// a very large number (so that nothing counts as leaked) where
// /proc/self/fd is not available.
func countSockets() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil || runtime.GOOS != "linux" {
		return int(^uint(0) >> 1)
	}
	n := 0
	for _, e := range ents {
		if l, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && strings.HasPrefix(l, "socket:") {
			n++
		}
	}
	return n
}

// TestCheckLeaksDetects makes sure the helper can fail: a goroutine and
// a socket left behind are reported.
func TestCheckLeaksDetects(t *testing.T) {
	before := goroutineIDs()
	socks := countSockets()
	stop := make(chan struct{})
	go func() { <-stop }()
	f, err := os.CreateTemp(t.TempDir(), "x")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if len(newGoroutines(before)) != 1 {
		t.Errorf("a goroutine left running was not seen")
	}
	close(stop)
	if runtime.GOOS == "linux" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Skip(err)
		}
		if countSockets() != socks+1 {
			t.Errorf("an open listener was not counted: %d sockets, %d before", countSockets(), socks)
		}
		ln.Close()
	}
}
