package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/ftptest"
)

// The pool benchmark (issue 12): 200 small files fetched by 8 goroutines
// through one ftp.Client, next to 8 goroutines with a Conn each, against
// an in-process ftptest server on loopback. The target is that the pool
// costs no more than 5%:
//
//	cd bench && go test -run '^$' -bench SmallFiles -count 6 .
//
// "warm" sub-benchmarks time the transfers only (the Conns are dialled
// and logged in, the Client's pool filled, before the timer starts);
// "cold" ones include dialling and logging in 8 connections each time.

const (
	poolFiles    = 200
	poolFileSize = 4 << 10
	poolWorkers  = 8
)

// poolServer starts an ftptest server holding poolFiles files of
// poolFileSize random bytes under /small.
func poolServer(b *testing.B) (*ftptest.Server, []string) {
	b.Helper()
	srv := ftptest.NewServer()
	b.Cleanup(srv.Close)
	rng := rand.New(rand.NewPCG(1, 2))
	names := make([]string, poolFiles)
	for i := range names {
		data := make([]byte, poolFileSize)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		names[i] = fmt.Sprintf("/small/f%03d.bin", i)
		if err := srv.WriteFile(names[i], data); err != nil {
			b.Fatal(err)
		}
	}
	return srv, names
}

// fetchAll downloads every name once with poolWorkers goroutines; get is
// called with the worker's number and a name. It fails b unless every
// file arrived whole.
func fetchAll(b *testing.B, names []string, get func(worker int, name string, w io.Writer) (int64, error)) {
	var next atomic.Int64
	var total atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, poolWorkers)
	for w := 0; w < poolWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			for {
				i := next.Add(1) - 1
				if i >= int64(len(names)) {
					return
				}
				buf.Reset()
				n, err := get(w, names[i], &buf)
				if err != nil {
					errs <- fmt.Errorf("%s: %w", names[i], err)
					return
				}
				if n != poolFileSize || buf.Len() != poolFileSize {
					errs <- fmt.Errorf("%s: %d bytes (%d reported), want %d", names[i], buf.Len(), n, poolFileSize)
					return
				}
				total.Add(n)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	if got := total.Load(); got != poolFiles*poolFileSize {
		b.Fatalf("fetched %d bytes, want %d", got, poolFiles*poolFileSize)
	}
}

// dialConns dials and logs in poolWorkers Conns.
func dialConns(b *testing.B, addr string) []*ftp.Conn {
	ctx := context.Background()
	conns := make([]*ftp.Conn, poolWorkers)
	for i := range conns {
		c, err := ftp.Dial(ctx, addr)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
			b.Fatal(err)
		}
		conns[i] = c
	}
	return conns
}

func closeConns(conns []*ftp.Conn) {
	for _, c := range conns {
		c.Quit(context.Background())
		c.Close()
	}
}

// connGet fetches name on the worker's own Conn.
func connGet(conns []*ftp.Conn) func(int, string, io.Writer) (int64, error) {
	return func(worker int, name string, w io.Writer) (int64, error) {
		cw := &countingWriter{w: w}
		_, err := conns[worker].RetrBinary(context.Background(), "RETR "+name, cw)
		return cw.n, err
	}
}

// newPoolClient returns a Client for srv with one connection per worker.
func newPoolClient(addr string) *ftp.Client {
	return &ftp.Client{Addr: addr, User: "user", Password: "pass", MaxConns: poolWorkers}
}

// clientGet fetches name through the shared Client.
func clientGet(c *ftp.Client) func(int, string, io.Writer) (int64, error) {
	return func(_ int, name string, w io.Writer) (int64, error) {
		return c.Download(context.Background(), name, w)
	}
}

// cpuTime returns the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// timed runs the b.N rounds of fn and reports, besides the wall time,
// the CPU time per round (client and in-process server together): on a
// shared machine it varies much less with the other processes' load than
// the wall time does.
func timed(b *testing.B, fn func()) {
	b.SetBytes(poolFiles * poolFileSize)
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		fn()
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func BenchmarkSmallFiles(b *testing.B) {
	srv, names := poolServer(b)
	b.Run("conns/warm", func(b *testing.B) {
		conns := dialConns(b, srv.Addr)
		defer closeConns(conns)
		timed(b, func() { fetchAll(b, names, connGet(conns)) })
	})
	b.Run("client/warm", func(b *testing.B) {
		c := newPoolClient(srv.Addr)
		defer c.Close()
		fetchAll(b, names, clientGet(c)) // fills the pool
		timed(b, func() { fetchAll(b, names, clientGet(c)) })
	})
	b.Run("conns/cold", func(b *testing.B) {
		timed(b, func() {
			conns := dialConns(b, srv.Addr)
			fetchAll(b, names, connGet(conns))
			closeConns(conns)
		})
	})
	b.Run("client/cold", func(b *testing.B) {
		timed(b, func() {
			c := newPoolClient(srv.Addr)
			fetchAll(b, names, clientGet(c))
			c.Close()
		})
	})
}

// BenchmarkSmallFilesPaired runs a round through the Conns and a round
// through the Client in every iteration, in alternating order, and
// reports the ratio of their times: the median of the per-iteration
// ratios and the ratio of the totals. Interleaving at this grain lets
// the load of a shared machine hit both sides alike, which separate
// benchmark runs do not. Both sides are warm.
func BenchmarkSmallFilesPaired(b *testing.B) {
	srv, names := poolServer(b)
	conns := dialConns(b, srv.Addr)
	defer closeConns(conns)
	c := newPoolClient(srv.Addr)
	defer c.Close()
	fetchAll(b, names, clientGet(c))
	fetchAll(b, names, connGet(conns))
	round := func(get func(int, string, io.Writer) (int64, error)) time.Duration {
		start := time.Now()
		fetchAll(b, names, get)
		return time.Since(start)
	}
	var ratios []float64
	var connTotal, clientTotal time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var tc, tp time.Duration
		if i%2 == 0 {
			tc = round(connGet(conns))
			tp = round(clientGet(c))
		} else {
			tp = round(clientGet(c))
			tc = round(connGet(conns))
		}
		connTotal += tc
		clientTotal += tp
		ratios = append(ratios, float64(tp)/float64(tc))
	}
	b.StopTimer()
	slices.Sort(ratios)
	med := ratios[len(ratios)/2]
	if len(ratios)%2 == 0 {
		med = (ratios[len(ratios)/2-1] + ratios[len(ratios)/2]) / 2
	}
	b.ReportMetric(med, "client/conns-median")
	b.ReportMetric(float64(clientTotal)/float64(connTotal), "client/conns-total")
	b.ReportMetric(float64(connTotal.Nanoseconds())/float64(b.N), "conns-ns/round")
	b.ReportMetric(float64(clientTotal.Nanoseconds())/float64(b.N), "client-ns/round")
}
