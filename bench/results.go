package main

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// blockSize is the unit of "allocations per block": io.Copy's buffer.
const blockSize = 32 << 10

// Results collects the samples of a run and what they mean.
type Results struct {
	Cfg        Config
	Env        Env
	Clients    []*Client
	Scenarios  []*Scenario
	Notes      []string
	Info       []string
	Start, End time.Time
	LoadBefore string
	LoadAfter  string

	samples  map[string][]Sample // scenario key + "/" + client key
	Targets  []*Target
	Profiles []Profile
	AllocMsg string
}

// Target is one of the goals.
type Target struct {
	Name     string
	Scenario string
	Against  []string // client keys; the best (lowest median) of them is the reference
	Limit    float64  // ratio (or MiB for RSS, allocs for allocations)
	Unit     string   // "x" for ratios
	Value    float64  // measured; NaN when not measurable
	Ref      string   // which client was the reference
	RefKey   string
	Pass     bool
	Why      string // when not measurable
}

// Profile is a CPU or allocation profile taken for a missed target.
type Profile struct {
	Target string
	Cmd    string
	Top    string
}

func key(s *Scenario, c *Client) string { return s.Key + "/" + c.Key }

// Add records a sample.
func (r *Results) Add(s *Scenario, c *Client, m Sample) {
	if r.samples == nil {
		r.samples = map[string][]Sample{}
	}
	r.samples[key(s, c)] = append(r.samples[key(s, c)], m)
}

func (r *Results) ok(s *Scenario, c *Client) []Sample {
	var out []Sample
	for _, m := range r.samples[key(s, c)] {
		if m.Err == "" {
			out = append(out, m)
		}
	}
	return out
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Med returns the median of f over the successful samples of (s, c).
func (r *Results) Med(s *Scenario, c *Client, f func(Sample) float64) float64 {
	var xs []float64
	for _, m := range r.ok(s, c) {
		if v := f(m); !math.IsNaN(v) {
			xs = append(xs, v)
		}
	}
	return median(xs)
}

func wall(m Sample) float64 { return m.Wall.Seconds() }
func cpu(m Sample) float64  { return (m.User + m.Sys).Seconds() }
func rss(m Sample) float64  { return float64(m.PeakRSS()) }
func mallocs(m Sample) float64 {
	if m.Stats == nil {
		return math.NaN()
	}
	return float64(m.Stats.Mallocs)
}

func (r *Results) scenario(k string) *Scenario {
	for _, s := range r.Scenarios {
		if s.Key == k {
			return s
		}
	}
	return nil
}

func (r *Results) client(k string) *Client {
	for _, c := range r.Clients {
		if c.Key == k {
			return c
		}
	}
	return nil
}

// Evaluate checks the targets.
func (r *Results) Evaluate() {
	others := []string{"jlaffaye", "ftplib", "curl"}
	r.Targets = nil
	for _, sk := range []string{"dl-null", "dl-file"} {
		r.Targets = append(r.Targets,
			&Target{Name: "vs curl", Scenario: sk, Against: []string{"curl"}, Limit: 0.90, Unit: "x"},
			&Target{Name: "vs jlaffaye/ftp", Scenario: sk, Against: []string{"jlaffaye"}, Limit: 0.80, Unit: "x"},
			&Target{Name: "vs raw-TCP ceiling", Scenario: sk, Against: []string{"raw"}, Limit: 1.3, Unit: "x"})
	}
	r.Targets = append(r.Targets,
		&Target{Name: "vs best other client", Scenario: "ul", Against: others, Limit: 0.90, Unit: "x"},
		&Target{Name: "vs best other client", Scenario: "ftps-dl", Against: others, Limit: 0.90, Unit: "x"},
		&Target{Name: "vs jlaffaye/ftp", Scenario: "small", Against: []string{"jlaffaye"}, Limit: 0.90, Unit: "x"},
		&Target{Name: "peak RSS", Scenario: "rss", Limit: 16, Unit: "MiB"},
		&Target{Name: "allocations per 32 KiB block, steady state", Scenario: "rss", Limit: 0, Unit: "allocs"},
	)
	ours := r.client("ours")
	for _, t := range r.Targets {
		t.Value = math.NaN()
		s := r.scenario(t.Scenario)
		switch {
		case s == nil:
			t.Why = "scenario not run"
			continue
		case ours == nil || ours.Pending != "":
			t.Why = "our client pending"
			continue
		}
		mine := r.Med(s, ours, wall)
		if r.pending(s, ours) {
			t.Why = "pending in our client"
			continue
		}
		if math.IsNaN(mine) {
			t.Why = "our client failed"
			continue
		}
		switch t.Unit {
		case "x":
			best := math.Inf(1)
			for _, k := range t.Against {
				c := r.client(k)
				if c == nil {
					continue
				}
				if v := r.Med(s, c, wall); v < best {
					best, t.Ref, t.RefKey = v, c.Name, c.Key
				}
			}
			if math.IsInf(best, 1) {
				t.Why = "no reference measured"
				continue
			}
			t.Value = mine / best
			t.Pass = t.Value <= t.Limit
		case "MiB":
			t.Value = r.Med(s, ours, rss) / (1 << 20)
			t.Pass = t.Value <= t.Limit
		case "allocs":
			// A per-block allocation adds one allocation per block at
			// least; a growth under one per 100 blocks is run-to-run
			// jitter of the runtime, not steady-state allocation.
			t.Value, r.AllocMsg = r.allocsPerBlock(s, ours)
			t.Pass = t.Value < 0.01
			if math.IsNaN(t.Value) {
				t.Why = r.AllocMsg
			}
		}
	}
}

// allocsPerBlock compares the allocations of the big download with those
// of the 100 MiB one (same destination): what grows with the size is per
// block; what does not is set-up.
func (r *Results) allocsPerBlock(huge *Scenario, ours *Client) (float64, string) {
	hm := r.Med(huge, ours, mallocs)
	if math.IsNaN(hm) {
		return math.NaN(), "no allocation statistics"
	}
	if big := r.scenario("dl-null"); big != nil {
		bm := r.Med(big, ours, mallocs)
		if !math.IsNaN(bm) {
			blocks := float64(huge.Size-big.Size) / blockSize
			per := math.Max(0, hm-bm) / blocks
			return per, fmt.Sprintf("%.0f heap allocations (median) during the %s download, %.0f during the %s one: %.4f per %d KiB block beyond the first %s "+
				"(counted as 0 below 0.01, i.e. less than one allocation per 100 blocks, which is run-to-run jitter, not per-block allocation)",
				hm, sizeName(huge.Size), bm, sizeName(big.Size), per, blockSize>>10, sizeName(big.Size))
		}
	}
	per := hm / (float64(huge.Size) / blockSize)
	return per, fmt.Sprintf("%.0f heap allocations during the %s download (set-up included): %.4f per %d KiB block",
		hm, sizeName(huge.Size), per, blockSize>>10)
}

func (t *Target) verdict() string {
	switch {
	case t.Why != "":
		return "not measured (" + t.Why + ")"
	case t.Pass:
		return "met"
	}
	return "**missed**"
}

func (t *Target) value() string {
	if math.IsNaN(t.Value) {
		return "–"
	}
	switch t.Unit {
	case "x":
		return fmt.Sprintf("%.2fx %s", t.Value, t.Ref)
	case "MiB":
		return fmt.Sprintf("%.1f MiB", t.Value)
	}
	return fmt.Sprintf("%.4f", t.Value)
}

func (t *Target) limit() string {
	switch t.Unit {
	case "x":
		return fmt.Sprintf("<= %.2fx", t.Limit)
	case "MiB":
		return fmt.Sprintf("<= %.0f MiB", t.Limit)
	}
	return "0 (< 0.01)"
}

// explain puts figures beside every missed ratio target: how far our
// client is from the raw-TCP ceiling on the same job, and how much CPU it
// and the reference used, so a miss the client cannot fix (server- or
// protocol-bound) tells itself apart from one it can.
func (r *Results) explain() string {
	ours, raw := r.client("ours"), r.client("raw")
	var b strings.Builder
	for _, t := range r.Targets {
		if t.Pass || t.Why != "" || t.Unit != "x" {
			continue
		}
		s := r.scenario(t.Scenario)
		mine := r.Med(s, ours, wall)
		fmt.Fprintf(&b, "- %s, %s (%.2fx): our client %.3f s, %s %.3f s", s.Title, t.Name, t.Value, mine, t.Ref, mine/t.Value)
		if raw != nil && s.Applies(raw) {
			if c := r.Med(s, raw, wall); !math.IsNaN(c) {
				fmt.Fprintf(&b, ", raw-TCP ceiling %.3f s (ours is %.2fx the ceiling)", c, mine/c)
			}
		}
		fmt.Fprintf(&b, "; client CPU (user+sys): ours %.3f s (%.0f%% of its wall time)", r.Med(s, ours, cpu), 100*r.Med(s, ours, cpu)/mine)
		if ref := r.client(t.RefKey); ref != nil {
			fmt.Fprintf(&b, ", %s %.3f s", t.Ref, r.Med(s, ref, cpu))
		}
		b.WriteString(".")
		lo, hi := r.spread(s, ours)
		fmt.Fprintf(&b, " Our samples spread from %.3f to %.3f s.", lo, hi)
		if raw != nil && s.Applies(raw) {
			c := r.Med(s, raw, wall)
			share := r.Med(s, ours, cpu) / mine
			switch {
			case mine <= 1.05*c:
				b.WriteString(" Our client is as fast as the ceiling (a bare io.Copy with the fewest possible commands) or faster, so the rest of the time is the server's and the protocol's, not the client's: no client-side change reaches this target on this server.")
			case share < 0.15:
				clo, chi := r.spread(s, raw)
				fmt.Fprintf(&b, " Our client is %.2fx the ceiling in medians, but it was busy only %.0f%% of its wall time (the ceiling's samples spread from %.3f to %.3f s): it waits on the server, and the profile and system calls below show whether its data path differs from the ceiling's.", mine/c, 100*share, clo, chi)
			default:
				b.WriteString(" Our client is slower than the ceiling and busy: see its profile below.")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// spread returns the fastest and slowest successful sample of (s, c).
func (r *Results) spread(s *Scenario, c *Client) (lo, hi float64) {
	lo, hi = math.NaN(), math.NaN()
	for i, m := range r.ok(s, c) {
		v := m.Wall.Seconds()
		if i == 0 || v < lo {
			lo = v
		}
		if i == 0 || v > hi {
			hi = v
		}
	}
	return lo, hi
}

// profileMisses profiles our client on every missed target.
func profileMisses(fx *Fixtures, r *Results) {
	ours := r.client("ours")
	if ours == nil || ours.Pending != "" {
		return
	}
	dir := filepath.Join("bin", "profiles")
	os.MkdirAll(dir, 0o755)
	seen := map[string]bool{}
	for _, t := range r.Targets {
		if t.Pass || t.Why != "" || seen[t.Scenario+t.Unit] {
			continue
		}
		seen[t.Scenario+t.Unit] = true
		s := r.scenario(t.Scenario)
		var extra, top []string
		label := fmt.Sprintf("%s (%s)", s.Title, t.Name)
		switch t.Unit {
		case "allocs", "MiB":
			p := filepath.Join(dir, s.Key+".alloc.pprof")
			extra = []string{"-memprofile", p}
			top = []string{"go", "tool", "pprof", "-sample_index=alloc_objects", "-top", "-nodecount=15", "bin/ours", p}
		default:
			p := filepath.Join(dir, s.Key+".cpu.pprof")
			repeat := 1
			if w := r.Med(s, ours, wall); w > 0 {
				repeat = int(math.Min(40, math.Max(1, math.Ceil(3/w))))
			}
			extra = []string{"-cpuprofile", p, "-repeat", fmt.Sprint(repeat)}
			top = []string{"go", "tool", "pprof", "-top", "-cum", "-nodecount=25", "bin/ours", p}
		}
		fmt.Printf("profiling: %s\n", label)
		if _, err := runClient(fx, s, ours, false, extra, nil); err != nil {
			r.Profiles = append(r.Profiles, Profile{Target: label, Top: "profiling failed: " + err.Error()})
			continue
		}
		out, err := exec.Command(top[0], top[1:]...).CombinedOutput()
		text := strings.TrimSpace(string(out))
		if err != nil {
			text = "pprof failed: " + err.Error() + "\n" + text
		}
		r.Profiles = append(r.Profiles, Profile{Target: label,
			Cmd: fmt.Sprintf("bin/ours %s ... ; %s", strings.Join(extra, " "), strings.Join(top, " ")), Top: text})
		if t.Unit == "x" {
			cs := []*Client{ours, r.client(t.RefKey)}
			if t.RefKey != "raw" {
				cs = append(cs, r.client("raw"))
			}
			for _, c := range cs {
				if sc := syscalls(fx, s, c); sc != "" {
					r.Profiles = append(r.Profiles, Profile{
						Target: fmt.Sprintf("%s: system calls of %s (one run, strace -f -c)", s.Title, c.Name),
						Top:    sc})
				}
			}
		}
	}
}

// syscalls runs c once under strace -f -c and returns the busiest rows of
// its summary, or "" when strace is not available.
func syscalls(fx *Fixtures, s *Scenario, c *Client) string {
	if c == nil || c.Pending != "" {
		return ""
	}
	if _, err := exec.LookPath("strace"); err != nil {
		return ""
	}
	out := filepath.Join("bin", "profiles", s.Key+"-"+c.Key+".strace")
	if _, err := runClient(fx, s, c, false, nil, []string{"strace", "-f", "-c", "-S", "calls", "-o", out}); err != nil {
		return "strace run failed: " + err.Error()
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 14 {
		lines = append(lines[:14], "...")
	}
	return strings.Join(lines, "\n")
}

func mib(n int64) string {
	if n <= 0 {
		return "?"
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// rate is the throughput of a median time: MiB/s, or files/s for small.
func rate(s *Scenario, secs float64) string {
	if math.IsNaN(secs) || secs <= 0 {
		return ""
	}
	if s.Op == "small" {
		return fmt.Sprintf("%.0f files/s", float64(s.N)/secs)
	}
	return fmt.Sprintf("%.0f MiB/s", float64(s.Bytes())/(1<<20)/secs)
}

func (r *Results) cell(s *Scenario, c *Client) string {
	if !s.Applies(c) {
		return "n/a"
	}
	if c.Pending != "" {
		return "pending"
	}
	w := r.Med(s, c, wall)
	if math.IsNaN(w) {
		if r.pending(s, c) {
			return "pending"
		}
		if n := len(r.samples[key(s, c)]); n > 0 {
			return fmt.Sprintf("failed (%d of %d runs)", n, n)
		}
		return "–"
	}
	fails := len(r.samples[key(s, c)]) - len(r.ok(s, c))
	out := fmt.Sprintf("%.3f s (%s)", w, rate(s, w))
	if fails > 0 {
		out += fmt.Sprintf(", %d failed", fails)
	}
	return out
}

// pending says whether every run of (s, c) answered "pending".
func (r *Results) pending(s *Scenario, c *Client) bool {
	ms := r.samples[key(s, c)]
	for _, m := range ms {
		if m.Err != errPending.Error() {
			return false
		}
	}
	return len(ms) > 0
}

// Summary is the console version of the report.
func (r *Results) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nmedians over %d rounds (wall time of the whole process)\n", r.Cfg.Rounds)
	for _, s := range r.Scenarios {
		fmt.Fprintf(&b, "%s (%s)\n", s.Title, s.Server)
		for _, c := range r.Clients {
			fmt.Fprintf(&b, "  %-26s %s", c.Name, r.cell(s, c))
			if s.Key == "rss" && c.Pending == "" {
				fmt.Fprintf(&b, "  peak RSS %s", mib(int64(r.Med(s, c, rss))))
			}
			b.WriteByte('\n')
		}
	}
	b.WriteString("targets\n")
	for _, t := range r.Targets {
		fmt.Fprintf(&b, "  %-8s %-45s %-10s %-28s %s\n", t.Scenario, t.Name, t.limit(), t.value(), strings.Trim(t.verdict(), "*"))
	}
	return b.String()
}

// Markdown is RESULTS.md.
func (r *Results) Markdown() string {
	var b strings.Builder
	b.WriteString("# Benchmark results\n\n")
	fmt.Fprintf(&b, "Written by `go run .` in `bench/` (see [README.md](README.md)) on %s, in %s.\n",
		r.Start.UTC().Format("2006-01-02 15:04 MST"), r.End.Sub(r.Start).Round(time.Second))
	if r.Cfg.Quick {
		b.WriteString("\n**This is a `-quick` smoke run (small sizes, one round): its figures are not the benchmark.**\n")
	}
	b.WriteString("\n")
	for _, l := range r.Info {
		fmt.Fprintf(&b, "- %s\n", l)
	}
	fmt.Fprintf(&b, "- Servers (Debian 12 packages, started by `interop/servers.sh up`): vsftpd 3.0.3 plain on %s, pure-ftpd 1.0.50 with AUTH TLS on %s, loopback.\n", r.Env.Plain, r.Env.TLS)
	fmt.Fprintf(&b, "- Load average before / after: %s / %s.\n", r.LoadBefore, r.LoadAfter)
	if r.Cfg.Note != "" {
		fmt.Fprintf(&b, "- Conditions: %s\n", r.Cfg.Note)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "- Not run: %s\n", n)
	}
	fmt.Fprintf(&b, `
Method: every client is a separate process, timed from start to exit, so
process start-up, login and QUIT are included. Each of the %d timed rounds
runs every scenario once per client, in an order that rotates from round to
round; an untimed warm-up round comes first (not in -quick mode). Figures
are medians over the rounds. Downloads to a file go to a temporary
directory and are checked for size and deleted after each run; uploads are
checked with SIZE and deleted.

Clients: this library with a zero Dialer (the row the targets are checked
on) and again with Dialer.Timeout = 60 s; jlaffaye/ftp with Dial, Login,
Retr + io.Copy and Stor; Python's ftplib (%s) with blocksize 65536; curl
with default options (the small files are one curl process with one URL
per file, so one connection); and the raw-TCP ceiling, a hand-written
login + PASV + RETR/STOR whose data path is a bare io.Copy between the
socket and the file (splice and sendfile apply; over TLS it is
crypto/tls).

![throughput chart](results.svg)

## Medians (wall time, throughput)

`, r.Cfg.Rounds, "`"+pythonExe()+"`")
	b.WriteString("| scenario | server |")
	for _, c := range r.Clients {
		fmt.Fprintf(&b, " %s |", c.Name)
	}
	b.WriteString("\n|---|---|")
	for range r.Clients {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, s := range r.Scenarios {
		fmt.Fprintf(&b, "| %s | %s |", s.Title, s.Server)
		for _, c := range r.Clients {
			fmt.Fprintf(&b, " %s |", r.cell(s, c))
		}
		b.WriteString("\n")
	}

	b.WriteString("\n## Targets (ratios of medians of this run)\n\n| scenario | target | limit | measured | verdict |\n|---|---|---|---|---|\n")
	for _, t := range r.Targets {
		title := t.Scenario
		if s := r.scenario(t.Scenario); s != nil {
			title = s.Title
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", title, t.Name, t.limit(), t.value(), t.verdict())
	}
	if r.AllocMsg != "" {
		fmt.Fprintf(&b, "\nAllocations: %s.\n", r.AllocMsg)
	}
	if ex := r.explain(); ex != "" {
		b.WriteString("\n### What the misses come from (computed from this run)\n\n" + ex)
	}

	b.WriteString("\n## CPU time and memory (medians)\n\nUser + system CPU seconds of the client process; peak RSS is the process's own VmHWM (reported by the Go and Python runners, sampled every 2 ms from /proc for curl).\n\n| scenario |")
	for _, c := range r.Clients {
		fmt.Fprintf(&b, " %s |", c.Name)
	}
	b.WriteString("\n|---|")
	for range r.Clients {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, s := range r.Scenarios {
		fmt.Fprintf(&b, "| %s |", s.Title)
		for _, c := range r.Clients {
			v := r.Med(s, c, cpu)
			if math.IsNaN(v) {
				b.WriteString(" – |")
				continue
			}
			fmt.Fprintf(&b, " %.3f s CPU, %s", v, mib(int64(r.Med(s, c, rss))))
			if m := r.Med(s, c, mallocs); !math.IsNaN(m) {
				fmt.Fprintf(&b, ", %.0f allocs", m)
			}
			b.WriteString(" |")
		}
		b.WriteString("\n")
	}
	b.WriteString("\n\"allocs\" counts heap allocations (runtime.MemStats.Mallocs) during the transfers only, for the Go runners.\n")

	if len(r.Profiles) > 0 {
		b.WriteString("\n## Profiles of our client for the missed targets\n")
		for _, p := range r.Profiles {
			fmt.Fprintf(&b, "\n### %s\n\n", p.Target)
			if p.Cmd != "" {
				fmt.Fprintf(&b, "`%s`\n\n", p.Cmd)
			}
			fmt.Fprintf(&b, "```\n%s\n```\n", p.Top)
		}
	}

	b.WriteString("\n## All samples (seconds, in run order)\n\n")
	for _, s := range r.Scenarios {
		fmt.Fprintf(&b, "- %s:", s.Title)
		for _, c := range r.Clients {
			ms := r.samples[key(s, c)]
			if len(ms) == 0 {
				continue
			}
			var parts []string
			for _, m := range ms {
				if m.Err != "" {
					parts = append(parts, "error: "+m.Err)
				} else {
					parts = append(parts, fmt.Sprintf("%.3f", m.Wall.Seconds()))
				}
			}
			fmt.Fprintf(&b, " %s %s;", c.Key, strings.Join(parts, " "))
		}
		b.WriteString("\n")
	}
	return b.String()
}
