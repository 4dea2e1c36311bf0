package interop

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ftplib-go/ftp"
)

// TestInteropClientStress is the stress test of issue 12 on every server
// configuration: 64 goroutines share one ftp.Client limited to 4
// connections and run mixed operations (upload, download checked with
// SHA-256, list, stat, rename, remove), with zero errors and zero
// corrupted bytes, while a sampler reads /proc/net/tcp to check that the
// server never has more than 4 control connections of this process open
// at once. To keep the interop run short, each configuration runs 500
// operations by default (2,000 against ftptest); FTP_INTEROP_CLIENT_OPS
// sets the count (2000 for the full run of issue 12).

const (
	csWorkers  = 64
	csMaxConns = 4
	csShared   = 8
	csOps      = 500
)

// csNames are the name forms uploaded: spaces, a leading dash and
// non-ASCII letters.
var csNames = []string{"f%d.bin", "with space %d.txt", "-dash%d", "ünï-%d"}

func csData(rng *rand.Rand, size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

type csResult struct {
	ops, corrupt atomic.Int64
	mu           sync.Mutex
	errs         []string
	nerrs        int
}

func (r *csResult) fail(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nerrs++
	if len(r.errs) < 20 {
		r.errs = append(r.errs, fmt.Sprintf(format, args...))
	}
}

func csCorrupt(got, want []byte) int64 {
	n := int64(max(len(got), len(want)) - min(len(got), len(want)))
	for i := 0; i < min(len(got), len(want)); i++ {
		if got[i] != want[i] {
			n++
		}
	}
	return n
}

// csWorker is one goroutine and its model of its own directory.
type csWorker struct {
	c      *ftp.Client
	dir    string
	rng    *rand.Rand
	files  map[string][]byte
	serial int
	shared map[string][]byte
	res    *csResult
}

func (w *csWorker) newName() string {
	w.serial++
	return fmt.Sprintf(csNames[w.serial%len(csNames)], w.serial)
}

func (w *csWorker) pick() string {
	if len(w.files) == 0 {
		return ""
	}
	names := make([]string, 0, len(w.files))
	for n := range w.files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names[w.rng.IntN(len(names))]
}

func (w *csWorker) download(ctx context.Context, p string, want []byte) {
	var buf bytes.Buffer
	n, err := w.c.Download(ctx, p, &buf)
	if err != nil {
		w.res.fail("download %s: %v", p, err)
		return
	}
	if sha256.Sum256(buf.Bytes()) != sha256.Sum256(want) || n != int64(len(want)) {
		w.res.corrupt.Add(csCorrupt(buf.Bytes(), want))
		w.res.fail("download %s: %d bytes (%d reported), want %d; SHA-256 differs", p, buf.Len(), n, len(want))
	}
}

func (w *csWorker) op(ctx context.Context) {
	name := w.pick()
	kind := w.rng.IntN(7)
	if name == "" && kind != 5 {
		kind = 0
	}
	switch kind {
	case 0: // upload
		if name == "" || w.rng.IntN(2) == 0 {
			name = w.newName()
		}
		size := w.rng.IntN(8 << 10)
		if w.rng.IntN(10) == 0 {
			size = 0
		}
		data := csData(w.rng, size)
		p := path.Join(w.dir, name)
		n, err := w.c.Upload(ctx, p, bytes.NewReader(data))
		if err != nil || n != int64(size) {
			w.res.fail("upload %s: %d, %v", p, n, err)
			return
		}
		w.files[name] = data
	case 1: // download
		w.download(ctx, path.Join(w.dir, name), w.files[name])
	case 2: // list
		entries, err := w.c.ReadDir(ctx, w.dir)
		if err != nil {
			w.res.fail("readdir %s: %v", w.dir, err)
			return
		}
		var got, want []string
		for _, e := range entries {
			got = append(got, fmt.Sprintf("%s:%d", e.Name, e.Size))
		}
		for n, d := range w.files {
			want = append(want, fmt.Sprintf("%s:%d", n, len(d)))
		}
		sort.Strings(got)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			w.res.fail("readdir %s: %q, want %q", w.dir, got, want)
		}
	case 3: // stat
		p := path.Join(w.dir, name)
		e, err := w.c.Stat(ctx, p)
		if err != nil {
			w.res.fail("stat %s: %v", p, err)
			return
		}
		if e.IsDir() || e.Size != int64(len(w.files[name])) {
			w.res.fail("stat %s: %+v, want a file of %d bytes", p, e, len(w.files[name]))
		}
	case 4: // rename
		to := w.newName()
		if err := w.c.Rename(ctx, path.Join(w.dir, name), path.Join(w.dir, to)); err != nil {
			w.res.fail("rename %s/%s: %v", w.dir, name, err)
			return
		}
		w.files[to] = w.files[name]
		delete(w.files, name)
	case 5: // a shared file
		p := fmt.Sprintf("%s/shared/s%02d", path.Dir(w.dir), w.rng.IntN(csShared))
		w.download(ctx, p, w.shared[p])
	case 6: // remove
		p := path.Join(w.dir, name)
		if err := w.c.Remove(ctx, p); err != nil {
			w.res.fail("remove %s: %v", p, err)
			return
		}
		delete(w.files, name)
	}
}

// tcpEntry is an established connection from /proc/net/tcp or tcp6.
type tcpEntry struct {
	lport, rport int
	inode        string
}

// readTCP returns the established TCP connections that have port at one
// end. The files list every socket of the machine (thousands in
// TIME_WAIT after a busy run), so lines are skipped without allocating.
func readTCP(port int) ([]tcpEntry, error) {
	var out []tcpEntry
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			if f == "/proc/net/tcp6" {
				continue
			}
			return nil, err
		}
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:] // the header
		}
		for len(b) > 0 {
			line := b
			if i := bytes.IndexByte(b, '\n'); i >= 0 {
				line, b = b[:i], b[i+1:]
			} else {
				b = nil
			}
			// sl local rem st tx:rx tr:when retrnsmt uid timeout inode
			var fs [10][]byte
			n := 0
			for rest := line; n < len(fs); n++ {
				rest = bytes.TrimLeft(rest, " ")
				if len(rest) == 0 {
					break
				}
				j := bytes.IndexByte(rest, ' ')
				if j < 0 {
					j = len(rest)
				}
				fs[n], rest = rest[:j], rest[j:]
				if n == 3 && string(fs[3]) != "01" { // not ESTABLISHED
					break
				}
			}
			if n < len(fs) {
				continue
			}
			lp, rp := hexPort(fs[1]), hexPort(fs[2])
			if lp == port || rp == port {
				out = append(out, tcpEntry{lport: lp, rport: rp, inode: string(fs[9])})
			}
		}
	}
	return out, nil
}

// hexPort returns the port of a /proc/net/tcp address ("0100007F:0845").
func hexPort(addr []byte) int {
	i := bytes.LastIndexByte(addr, ':')
	if i < 0 {
		return -1
	}
	n, err := strconv.ParseUint(string(addr[i+1:]), 16, 16)
	if err != nil {
		return -1
	}
	return int(n)
}

// ourSockets returns the inodes of this process's sockets.
func ourSockets() map[string]bool {
	ents, _ := os.ReadDir("/proc/self/fd")
	m := make(map[string]bool, len(ents))
	for _, e := range ents {
		l, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err == nil && strings.HasPrefix(l, "socket:[") {
			m[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	return m
}

// serverConns returns the client ports of the server's established
// control connections (the server side of TCP connections to port) whose
// client end is a socket of this process, so that other tests'
// connections are not counted.
func serverConns(port int) ([]int, error) {
	ents, err := readTCP(port)
	if err != nil {
		return nil, err
	}
	ours := ourSockets()
	clientPorts := map[int]bool{}
	for _, e := range ents {
		if e.rport == port && ours[e.inode] {
			clientPorts[e.lport] = true
		}
	}
	var conns []int
	for _, e := range ents {
		if e.lport == port && clientPorts[e.rport] {
			conns = append(conns, e.rport)
		}
	}
	return conns, nil
}

func TestInteropClientStress(t *testing.T) {
	needInterop(t)
	total := csOps
	if v := os.Getenv("FTP_INTEROP_CLIENT_OPS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("FTP_INTEROP_CLIENT_OPS=%q", v)
		}
		total = n
	}
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			_, portStr, _ := strings.Cut(s.addr, ":")
			port, _ := strconv.Atoi(portStr)

			mode := ftp.NoTLS
			switch s.tls {
			case explicitTLS:
				mode = ftp.ExplicitTLS
			case implicitTLS:
				mode = ftp.ImplicitTLS
			}
			d := s.dialer(t, nil)
			d.ImplicitTLS = false // the Client sets it from TLS
			c := &ftp.Client{Addr: s.addr, User: user, Password: pass, TLS: mode, Dialer: d, MaxConns: csMaxConns}
			defer c.Close()

			root := s.scratch("clientstress")
			t.Cleanup(func() { os.RemoveAll(s.local(root)) })
			if err := c.MkdirAll(ctx, root+"/shared"); err != nil {
				t.Fatalf("MkdirAll %s: %v", root, err)
			}
			rng := rand.New(rand.NewPCG(12, 1))
			shared := map[string][]byte{}
			for i := 0; i < csShared; i++ {
				p := fmt.Sprintf("%s/shared/s%02d", root, i)
				shared[p] = csData(rng, rng.IntN(16<<10))
				if _, err := c.Upload(ctx, p, bytes.NewReader(shared[p])); err != nil {
					t.Fatalf("upload %s: %v", p, err)
				}
			}
			res := &csResult{}
			workers := make([]*csWorker, csWorkers)
			for i := range workers {
				workers[i] = &csWorker{c: c, dir: fmt.Sprintf("%s/w%02d", root, i), rng: rand.New(rand.NewPCG(12, uint64(i+2))),
					files: map[string][]byte{}, shared: shared, res: res}
				if err := c.Mkdir(ctx, workers[i].dir); err != nil {
					t.Fatalf("mkdir %s: %v", workers[i].dir, err)
				}
			}

			// The sampler: the most server-side control connections seen.
			var peak, samples atomic.Int64
			seen := map[int]bool{} // client ports: connections in all
			stop := make(chan struct{})
			sampled := make(chan error, 1)
			go func() {
				tick := time.NewTicker(2 * time.Millisecond)
				defer tick.Stop()
				// Reading /proc/net/tcp is not atomic: one reading can show
				// a connection before it closed and, further down the file,
				// the one dialled after it. Only connections present in two
				// readings in a row count as open together: a connection
				// open in the second reading was open when the first ended.
				var prev map[int]bool
				for {
					conns, err := serverConns(port)
					if err != nil {
						sampled <- err
						return
					}
					samples.Add(1)
					now := map[int]bool{}
					both := 0
					for _, p := range conns {
						if !now[p] && prev[p] {
							both++
						}
						now[p] = true
					}
					prev = now
					if int64(both) > peak.Load() {
						peak.Store(int64(both))
					}
					for _, p := range conns {
						seen[p] = true
					}
					// At least three readings, even when the operations end
					// before a second one (a reading of a large
					// /proc/net/tcp on a busy machine can take longer than
					// all of them): the pool's connections are still open
					// then, idle, so the later readings count them too.
					select {
					case <-stop:
						if samples.Load() >= 3 {
							sampled <- nil
							return
						}
					case <-tick.C:
					}
				}
			}()

			var next atomic.Int64
			var wg sync.WaitGroup
			start := time.Now()
			for _, w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(total) {
						w.op(ctx)
						res.ops.Add(1)
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			close(stop)
			if err := <-sampled; err != nil {
				t.Fatalf("reading /proc/net/tcp: %v", err)
			}

			// The server's disk must hold what the models say.
			for _, w := range workers {
				for name, want := range w.files {
					got, err := os.ReadFile(s.local(path.Join(w.dir, name)))
					if err != nil || !bytes.Equal(got, want) {
						res.corrupt.Add(csCorrupt(got, want))
						res.fail("server's %s/%s: %d bytes, %v; want %d", w.dir, name, len(got), err, len(want))
					}
				}
			}
			for _, e := range res.errs {
				t.Error(e)
			}
			if res.nerrs > 0 || res.corrupt.Load() > 0 {
				t.Errorf("%d errors, %d corrupted bytes in %d operations", res.nerrs, res.corrupt.Load(), res.ops.Load())
			}
			if p := peak.Load(); p > csMaxConns || p < 1 {
				t.Errorf("the server had up to %d control connections of ours open at once, want 1 to %d", p, csMaxConns)
			}
			t.Logf("%d operations by %d goroutines in %v; server side: at most %d control connections at once, %d seen in all (%d samples of /proc/net/tcp)",
				res.ops.Load(), csWorkers, elapsed.Round(time.Millisecond), peak.Load(), len(seen), samples.Load())
		})
	}
}
