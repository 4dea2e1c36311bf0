// Package runner is the command line shared by the Go client runners
// (cmd/ours, cmd/jlaffaye, cmd/raw): it parses the job, opens the local
// files, times nothing (the driver times the whole process) and prints one
// JSON line of allocation statistics taken around the transfers only.
package runner

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"
)

// Job is what the driver asks a runner to do.
type Job struct {
	Addr, User, Pass string
	TLS              bool   // explicit FTPS: AUTH TLS, then PROT P
	CA               string // PEM file of the CA to trust (TLS only)
	Op               string // get, put or small
	Remote           string // remote file (get, put) or directory (small)
	Local            string // local file: destination (get, small) or source (put)
	N                int    // number of small files
	Repeat           int    // run the operation this many times (profiling)
	// Timeout is the per-operation I/O timeout, for the clients that have
	// one (this library's Dialer.Timeout); zero means none.
	Timeout time.Duration
}

// ErrPending is returned by a runner for a job its client cannot do yet;
// the runner exits with status 3 and the driver reports "pending".
var ErrPending = errors.New("pending: not implemented by this client yet")

// Session is one logged-in client connection.
type Session interface {
	// Get downloads remote into w.
	Get(remote string, w io.Writer) error
	// Put uploads r as remote.
	Put(remote string, r io.Reader) error
	// Close sends QUIT and closes.
	Close() error
}

// ManyGetter is a Session that downloads several files in one call, the
// way its library offers for a known list (used by the small op).
type ManyGetter interface {
	GetMany(remotes []string, w io.Writer) error
}

// Stats is the JSON line a runner prints on stdout.
type Stats struct {
	Bytes      int64  `json:"bytes"`       // bytes on disk after the job; -1 when not known
	Mallocs    uint64 `json:"mallocs"`     // heap allocations during the transfers
	AllocBytes uint64 `json:"alloc_bytes"` // bytes allocated during the transfers
	NumGC      uint32 `json:"num_gc"`      // GC cycles during the transfers
	VmHWM      int64  `json:"vmhwm"`       // peak resident set size of this process, bytes (Linux)
}

// VmHWM returns this process's peak resident set size from
// /proc/self/status, or -1 when it is not available. Unlike the rusage
// ru_maxrss a parent sees, it is not raised by the memory of the process
// that started this one.
func VmHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) == 2 && f[1] == "kB" {
				if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return n * 1024
				}
			}
		}
	}
	return -1
}

// SmallName is the name of small file i inside the directory.
func SmallName(dir string, i int) string { return fmt.Sprintf("%s/f%03d.bin", dir, i) }

// TLSConfig returns a config that trusts the job's CA, with ServerName
// set to the server's host.
func (j *Job) TLSConfig() (*tls.Config, error) {
	host, _, err := net.SplitHostPort(j.Addr)
	if err != nil {
		return nil, err
	}
	conf := &tls.Config{ServerName: host}
	if j.CA != "" {
		pem, err := os.ReadFile(j.CA)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no certificate in %s", j.CA)
		}
		conf.RootCAs = pool
	}
	return conf, nil
}

// Main parses the flags, calls open for a session and runs the job.
func Main(open func(*Job) (Session, error)) {
	var j Job
	var cpuprofile, memprofile string
	flag.StringVar(&j.Addr, "addr", "127.0.0.1:2121", "server host:port")
	flag.StringVar(&j.User, "user", "ftptest", "user")
	flag.StringVar(&j.Pass, "pass", "", "password")
	flag.BoolVar(&j.TLS, "tls", false, "explicit FTPS with PROT P")
	flag.StringVar(&j.CA, "ca", "", "CA certificate (PEM) to trust")
	flag.StringVar(&j.Op, "op", "get", "get, put or small")
	flag.StringVar(&j.Remote, "remote", "", "remote file or directory")
	flag.StringVar(&j.Local, "local", os.DevNull, "local file")
	flag.IntVar(&j.N, "n", 200, "number of small files")
	flag.IntVar(&j.Repeat, "repeat", 1, "repeat the operation (for profiling)")
	flag.DurationVar(&j.Timeout, "timeout", 0, "per-operation I/O timeout, where the client has one")
	flag.StringVar(&cpuprofile, "cpuprofile", "", "write a CPU profile of the whole run")
	flag.StringVar(&memprofile, "memprofile", "", "write an allocation profile of every allocation")
	flag.Parse()
	if memprofile != "" {
		runtime.MemProfileRate = 1
	}
	err := run(&j, open, cpuprofile)
	if err == nil && memprofile != "" {
		err = writeHeap(memprofile)
	}
	if errors.Is(err, ErrPending) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func writeHeap(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func run(j *Job, open func(*Job) (Session, error), cpuprofile string) error {
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	s, err := open(j)
	if err != nil {
		return err
	}
	var before, after runtime.MemStats
	var total int64
	runtime.ReadMemStats(&before)
	for r := 0; r < j.Repeat; r++ {
		n, err := once(j, s)
		if n < 0 || total < 0 {
			total = -1 // unknown (written to /dev/null or discarded)
		} else {
			total += n
		}
		if err != nil {
			s.Close()
			return err
		}
	}
	runtime.ReadMemStats(&after)
	if err := s.Close(); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(Stats{
		Bytes:      total,
		Mallocs:    after.Mallocs - before.Mallocs,
		AllocBytes: after.TotalAlloc - before.TotalAlloc,
		NumGC:      after.NumGC - before.NumGC,
		VmHWM:      VmHWM(),
	})
}

func once(j *Job, s Session) (int64, error) {
	switch j.Op {
	case "get":
		f, err := os.Create(j.Local)
		if err != nil {
			return 0, err
		}
		err = s.Get(j.Remote, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return 0, err
		}
		if j.Local == os.DevNull {
			return -1, nil
		}
		st, err := os.Stat(j.Local)
		if err != nil {
			return 0, err
		}
		return st.Size(), nil
	case "put":
		f, err := os.Open(j.Local)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return 0, err
		}
		return st.Size(), s.Put(j.Remote, f)
	case "small":
		if m, ok := s.(ManyGetter); ok {
			names := make([]string, j.N)
			for i := range names {
				names[i] = SmallName(j.Remote, i)
			}
			return -1, m.GetMany(names, io.Discard)
		}
		for i := 0; i < j.N; i++ {
			if err := s.Get(SmallName(j.Remote, i), io.Discard); err != nil {
				return 0, err
			}
		}
		return -1, nil
	}
	return 0, fmt.Errorf("unknown op %q", j.Op)
}
