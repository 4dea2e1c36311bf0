package ftp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ftplib-go/ftp/ftptest"
)

// The stress test of issue 12: 64 goroutines share one Client limited to
// 4 connections and run 2,000 mixed operations (upload, download checked
// with SHA-256, list, stat, rename, remove) against ftptest. Every
// goroutine works in a directory of its own and keeps a model of what it
// holds, so that every result can be checked exactly; downloads of a
// shared set of files make the goroutines read the same files at once.
// The server counts the control connections it has open.

const (
	stressWorkers  = 64
	stressOps      = 2000
	stressShortOps = 400
	stressMaxConns = 4
	stressShared   = 16
)

// stressNames are the name forms a worker uploads under: spaces, a
// leading dash and non-ASCII letters are paths like any other.
var stressNames = []string{"f%d.bin", "with space %d.txt", "-dash%d", "ünïcødé-%d"}

// stressData returns size random bytes from rng.
func stressData(rng *rand.Rand, size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// stressResult counts what went wrong in a run.
type stressResult struct {
	ops, corrupt atomic.Int64
	mu           sync.Mutex
	errs         []string
	nerrs        int
}

func (r *stressResult) fail(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nerrs++
	if len(r.errs) < 20 {
		r.errs = append(r.errs, fmt.Sprintf(format, args...))
	}
}

// corruptBytes counts the bytes of got that differ from want, plus the
// missing or extra ones.
func corruptBytes(got, want []byte) int64 {
	n := int64(max(len(got), len(want)) - min(len(got), len(want)))
	for i := 0; i < min(len(got), len(want)); i++ {
		if got[i] != want[i] {
			n++
		}
	}
	return n
}

// stressWorker is one goroutine's model of its directory.
type stressWorker struct {
	c      *Client
	dir    string
	rng    *rand.Rand
	files  map[string][]byte // name -> contents
	serial int
	shared map[string][]byte // read-only files under /shared
	res    *stressResult
}

func (w *stressWorker) newName() string {
	w.serial++
	return fmt.Sprintf(stressNames[w.serial%len(stressNames)], w.serial)
}

// pick returns a random name of the model, or "" if it is empty.
func (w *stressWorker) pick() string {
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

// download fetches p and checks its SHA-256 against want.
func (w *stressWorker) download(ctx context.Context, p string, want []byte) {
	var buf bytes.Buffer
	n, err := w.c.Download(ctx, p, &buf)
	if err != nil {
		w.res.fail("download %s: %v", p, err)
		return
	}
	if sha256.Sum256(buf.Bytes()) != sha256.Sum256(want) || n != int64(len(want)) {
		w.res.corrupt.Add(corruptBytes(buf.Bytes(), want))
		w.res.fail("download %s: %d bytes (%d reported), want %d; SHA-256 differs", p, buf.Len(), n, len(want))
	}
}

// op runs one random operation and checks its result against the model.
func (w *stressWorker) op(ctx context.Context) {
	name := w.pick()
	kind := w.rng.IntN(7)
	if name == "" && kind != 5 {
		kind = 0 // nothing to work on yet: upload
	}
	switch kind {
	case 0: // upload a new file, or replace one
		if name == "" || w.rng.IntN(2) == 0 {
			name = w.newName()
		}
		size := w.rng.IntN(8 << 10)
		if w.rng.IntN(10) == 0 {
			size = 0
		}
		data := stressData(w.rng, size)
		p := w.dir + "/" + name
		n, err := w.c.Upload(ctx, p, bytes.NewReader(data))
		if err != nil || n != int64(size) {
			w.res.fail("upload %s: %d, %v", p, n, err)
			return
		}
		w.files[name] = data
	case 1: // download one of ours
		w.download(ctx, w.dir+"/"+name, w.files[name])
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
		p := w.dir + "/" + name
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
		if err := w.c.Rename(ctx, w.dir+"/"+name, w.dir+"/"+to); err != nil {
			w.res.fail("rename %s/%s: %v", w.dir, name, err)
			return
		}
		w.files[to] = w.files[name]
		delete(w.files, name)
	case 5: // download a shared file (other goroutines read it too)
		p := fmt.Sprintf("/shared/s%02d", w.rng.IntN(stressShared))
		w.download(ctx, p, w.shared[p])
	case 6: // remove
		p := w.dir + "/" + name
		if err := w.c.Remove(ctx, p); err != nil {
			w.res.fail("remove %s: %v", p, err)
			return
		}
		delete(w.files, name)
	}
}

func TestClientStress(t *testing.T) {
	checkLeaks(t)
	total := stressOps
	if testing.Short() {
		total = stressShortOps
	}
	srv := ftptest.NewServer()
	t.Cleanup(srv.Close)
	rng := rand.New(rand.NewPCG(12, 1))
	shared := map[string][]byte{}
	for i := 0; i < stressShared; i++ {
		p := fmt.Sprintf("/shared/s%02d", i)
		shared[p] = stressData(rng, rng.IntN(16<<10))
		if err := srv.WriteFile(p, shared[p]); err != nil {
			t.Fatal(err)
		}
	}
	workers := make([]*stressWorker, stressWorkers)
	c := &Client{Addr: srv.Addr, User: "user", Password: "pass", MaxConns: stressMaxConns,
		Dialer: &Dialer{Timeout: 30 * time.Second}}
	t.Cleanup(func() { c.Close() })
	res := &stressResult{}
	for i := range workers {
		workers[i] = &stressWorker{c: c, dir: fmt.Sprintf("/w%02d", i), rng: rand.New(rand.NewPCG(12, uint64(i+2))),
			files: map[string][]byte{}, shared: shared, res: res}
		if err := srv.MkdirAll(workers[i].dir); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

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

	// The server's tree must be what the models say.
	for _, w := range workers {
		for name, want := range w.files {
			got, err := srv.ReadFile(w.dir + "/" + name)
			if err != nil || !bytes.Equal(got, want) {
				res.corrupt.Add(corruptBytes(got, want))
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
	if res.ops.Load() != int64(total) {
		t.Errorf("ran %d operations, want %d", res.ops.Load(), total)
	}
	if m := srv.MaxConcurrentConns(); m > stressMaxConns || m < 2 {
		t.Errorf("server saw at most %d control connections at once, want 2 to %d", m, stressMaxConns)
	}
	t.Logf("%d operations by %d goroutines in %v; server: %d control connections in all, at most %d at once",
		res.ops.Load(), stressWorkers, elapsed.Round(time.Millisecond), srv.TotalConns(), srv.MaxConcurrentConns())
}
