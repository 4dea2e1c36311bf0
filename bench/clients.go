package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ftplib-go/ftp/bench/internal/runner"
)

// Client is one FTP client under test.
type Client struct {
	Key   string // short name used in flags and file names
	Name  string // name in the report
	Color string // bar colour in the chart
	Ceil  bool   // the raw ceiling (not a competitor)
	// Go is true for the Go runners (they report allocation statistics).
	Go bool
	// Variant is another configuration of a client already measured: it
	// is built with it and never a reference for the targets.
	Variant bool
	// Pending, when not empty, says why the client cannot run yet.
	Pending string
	// argv returns the command line for a scenario.
	argv func(s *Scenario, remote, local string) []string
}

// clientList returns every client, not built yet.
func clientList(tmp string) []*Client {
	goArgv := func(bin string) func(s *Scenario, remote, local string) []string {
		return func(s *Scenario, remote, local string) []string {
			return append([]string{bin}, runnerArgs(s, remote, local)...)
		}
	}
	py, _ := filepath.Abs("ftplib_runner.py")
	return []*Client{
		{Key: "ours", Name: "this library", Color: "#d62728", Go: true, argv: goArgv("bin/ours")},
		{Key: "ours-t", Name: "this library, Timeout 60s", Color: "#ff9896", Go: true, Variant: true,
			argv: func(s *Scenario, remote, local string) []string {
				return append([]string{"bin/ours", "-timeout", "60s"}, runnerArgs(s, remote, local)...)
			}},
		{Key: "jlaffaye", Name: "jlaffaye/ftp v0.2.4", Color: "#1f77b4", Go: true, argv: goArgv("bin/jlaffaye")},
		{Key: "ftplib", Name: "Python ftplib", Color: "#2ca02c", argv: func(s *Scenario, remote, local string) []string {
			return append([]string{pythonExe(), py}, runnerArgs(s, remote, local)...)
		}},
		{Key: "curl", Name: "curl", Color: "#9467bd", argv: func(s *Scenario, remote, local string) []string {
			return curlArgs(s, remote, local, tmp)
		}},
		{Key: "raw", Name: "raw-TCP ceiling", Color: "#7f7f7f", Ceil: true, Go: true, argv: goArgv("bin/raw")},
	}
}

// buildClients builds the Go runners into bin/ and returns every client,
// with notes about the ones that could not be built.
func buildClients(tmp string) ([]*Client, []string) {
	var notes []string
	build := func(name string) string {
		if _, err := os.Stat(filepath.Join("cmd", name)); err != nil {
			return "no runner yet (cmd/" + name + " missing)"
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join("bin", name), "./cmd/"+name).CombinedOutput()
		if err != nil {
			return fmt.Sprintf("build failed: %v: %s", err, firstLine(string(out)))
		}
		return ""
	}
	cs := clientList(tmp)
	for _, c := range cs {
		if c.Go && !c.Variant {
			name := strings.TrimPrefix(c.argv(&Scenario{}, "", "")[0], "bin/")
			if why := build(name); why != "" {
				c.Pending = why
				notes = append(notes, fmt.Sprintf("%s: %s", c.Name, why))
			}
		}
	}
	for _, c := range cs {
		if c.Key == "ours-t" {
			c.Pending = cs[0].Pending
		}
		if _, err := exec.LookPath("curl"); err != nil && c.Key == "curl" {
			c.Pending = "curl not installed"
		}
	}
	return cs, notes
}

func runnerArgs(s *Scenario, remote, local string) []string {
	a := []string{"-addr", s.Addr, "-user", s.env.User, "-pass", s.env.Pass, "-op", s.Op,
		"-remote", remote, "-local", local, "-n", fmt.Sprint(s.N)}
	if s.TLS {
		a = append(a, "-tls", "-ca", s.env.CA)
	}
	return a
}

func curlArgs(s *Scenario, remote, local, tmp string) []string {
	a := []string{"curl", "-sS", "-u", s.env.User + ":" + s.env.Pass}
	if s.TLS {
		a = append(a, "--ssl-reqd", "--cacert", s.env.CA)
	}
	base := "ftp://" + s.Addr + "/"
	switch s.Op {
	case "get":
		a = append(a, "-o", local, base+remote)
	case "put":
		a = append(a, "-T", local, base+remote)
	case "small":
		// One curl process, one connection reused for every URL.
		var cfg strings.Builder
		for i := 0; i < s.N; i++ {
			fmt.Fprintf(&cfg, "url = \"%s%s\"\noutput = \"/dev/null\"\n", base, runner.SmallName(remote, i))
		}
		p := filepath.Join(tmp, "curl-small.cfg")
		os.WriteFile(p, []byte(cfg.String()), 0o600)
		a = append(a, "--fail-early", "-K", p)
	}
	return a
}

// Sample is one timed run.
type Sample struct {
	Wall, User, Sys time.Duration
	MaxRSS          int64         // rusage ru_maxrss, bytes (see PeakRSS)
	HWM             int64         // VmHWM: self-reported, or polled for curl; bytes, -1 unknown
	Stats           *runner.Stats // Go runners only
	Err             string
}

// PeakRSS is the best peak-RSS figure of the sample: the process's own
// VmHWM when known. The parent's ru_maxrss is inflated by Linux: a child
// started with vfork inherits the starting process's high-water mark at
// exec, so it is only an upper bound.
func (m Sample) PeakRSS() int64 {
	if m.HWM > 0 {
		return m.HWM
	}
	return m.MaxRSS
}

// runOne runs client c on scenario s once, checks the outcome and cleans
// up what the run produced.
func runOne(fx *Fixtures, s *Scenario, c *Client, pollRSS bool) (Sample, error) {
	return runClient(fx, s, c, pollRSS, nil, nil)
}

// runClient is runOne with extra runner flags (Go runners only) and a
// wrapper command (such as strace) put in front of the command line.
func runClient(fx *Fixtures, s *Scenario, c *Client, pollRSS bool, extra, wrap []string) (Sample, error) {
	if c.Pending != "" {
		return Sample{}, errPending
	}
	remote, local := s.Remote, s.Local
	if s.Op == "put" {
		remote = fmt.Sprintf("bench-up-%s.bin", c.Key)
	}
	if s.Op == "get" && local != os.DevNull {
		local = filepath.Join(fx.tmp, "dl-"+c.Key+".bin")
	}
	argv := c.argv(s, remote, local)
	if len(extra) > 0 {
		argv = append(argv[:1:1], append(extra, argv[1:]...)...)
	}
	argv = append(wrap[:len(wrap):len(wrap)], argv...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Sample{}, err
	}
	var polled int64 = -1
	var wg sync.WaitGroup
	stop := make(chan struct{})
	if pollRSS && !c.Go && c.Key != "ftplib" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			polled = pollHWM(cmd.Process.Pid, stop)
		}()
	}
	err := cmd.Wait()
	wall := time.Since(start)
	close(stop)
	wg.Wait()
	if err != nil {
		if strings.HasPrefix(stderr.String(), "pending:") {
			return Sample{}, errPending
		}
		return Sample{}, fmt.Errorf("%v: %s", err, firstLine(stderr.String()+stdout.String()))
	}
	m := Sample{Wall: wall, HWM: polled}
	if ps := cmd.ProcessState; ps != nil {
		m.User, m.Sys = ps.UserTime(), ps.SystemTime()
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			m.MaxRSS = int64(ru.Maxrss) * 1024
		}
	}
	if line := lastLine(stdout.String()); strings.HasPrefix(line, "{") {
		var st runner.Stats
		if json.Unmarshal([]byte(line), &st) == nil {
			if c.Go {
				m.Stats = &st
			}
			if st.VmHWM > 0 {
				m.HWM = st.VmHWM
			}
		}
	}
	if err := fx.Check(s, remote, local); err != nil {
		return m, err
	}
	return m, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// pollHWM reads VmHWM of pid every 2 ms until stop is closed and returns
// the last value seen (VmHWM only grows), or -1.
func pollHWM(pid int, stop <-chan struct{}) int64 {
	path := fmt.Sprintf("/proc/%d/status", pid)
	var best int64 = -1
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for {
		if b, err := os.ReadFile(path); err == nil {
			for _, l := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
					var kb int64
					if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb); err == nil && kb*1024 > best {
						best = kb * 1024
					}
				}
			}
		}
		select {
		case <-stop:
			return best
		case <-t.C:
		}
	}
}
