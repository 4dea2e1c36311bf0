// Command bench times this library against github.com/jlaffaye/ftp,
// Python's ftplib, curl and a raw-TCP ceiling on the real servers started by
// interop/servers.sh, and writes RESULTS.md and results.svg.
//
// Every client runs as its own process and is timed as a whole (start to
// exit). Within a round every scenario runs every client once, in an order
// that rotates from round to round; the report gives medians over rounds.
//
//	cd bench && go run . [-rounds 5] [-quick]
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Env holds the connection facts written by interop/servers.sh.
type Env struct {
	User, Pass, CA string
	Plain          string // vsftpd, plain FTP
	TLS            string // pure-ftpd, explicit FTPS
}

func loadEnv(path string) Env {
	e := Env{
		User:  "ftptest",
		Pass:  "ftptest-interop",
		CA:    "/var/lib/ftp-interop/tls/ca.pem",
		Plain: "127.0.0.1:2121",
		TLS:   "127.0.0.1:2141",
	}
	for _, p := range []string{path, "/var/lib/ftp-interop/servers.env", "../interop/servers.env"} {
		if p == "" {
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), "=")
			if !ok {
				continue
			}
			switch k {
			case "FTP_INTEROP_USER":
				e.User = v
			case "FTP_INTEROP_PASS":
				e.Pass = v
			case "FTP_INTEROP_CA":
				e.CA = v
			case "FTP_INTEROP_VSFTPD_PLAIN":
				e.Plain = v
			case "FTP_INTEROP_PURE_FTPD":
				e.TLS = v
			}
		}
		f.Close()
		break
	}
	return e
}

// Config is the run's parameters.
type Config struct {
	Rounds     int
	Quick      bool
	BigSize    int64 // the "100 MiB" transfers
	HugeSize   int64 // the "1 GiB" RSS download
	SmallSize  int64 // each small file
	SmallCount int
	Note       string
	Keep       bool
	Profile    bool
	Out, SVG   string
	JSON       string
}

func main() {
	var cfg Config
	var envPath, only, clientsFlag, renderPath string
	flag.IntVar(&cfg.Rounds, "rounds", 5, "timed rounds (medians are taken over them)")
	flag.BoolVar(&cfg.Quick, "quick", false, "smoke test: small sizes, 1 round, no warm-up, no profiles")
	flag.StringVar(&cfg.Note, "note", "", "a sentence about the machine's conditions, printed in RESULTS.md")
	flag.BoolVar(&cfg.Keep, "keep", false, "leave the benchmark files on the servers")
	flag.BoolVar(&cfg.Profile, "profile", true, "CPU-profile our client for every missed target")
	flag.StringVar(&cfg.Out, "out", "RESULTS.md", "report file")
	flag.StringVar(&cfg.SVG, "svg", "results.svg", "chart file")
	flag.StringVar(&cfg.JSON, "json", "results.json", "file for every sample of the run (what -render reads)")
	flag.StringVar(&renderPath, "render", "", "do not measure: write the report and chart again from this results.json")
	flag.StringVar(&envPath, "env", "", "servers.env file (default: the one interop/servers.sh writes)")
	flag.StringVar(&only, "scenarios", "", "comma-separated scenario keys to run (default all)")
	flag.StringVar(&clientsFlag, "clients", "", "comma-separated client keys to run (default all)")
	flag.Parse()
	if renderPath != "" {
		if err := render(renderPath, cfg.Out, cfg.SVG); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}

	cfg.BigSize, cfg.HugeSize, cfg.SmallSize, cfg.SmallCount = 100<<20, 1<<30, 4<<10, 200
	if cfg.Quick {
		cfg.Rounds = 1
		cfg.BigSize, cfg.HugeSize, cfg.SmallCount = 8<<20, 64<<20, 20
		cfg.Profile = false
	}
	if cfg.Rounds < 1 {
		cfg.Rounds = 1
	}
	env := loadEnv(envPath)
	if err := run(cfg, env, splitList(only), splitList(clientsFlag)); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func splitList(s string) map[string]bool {
	if s == "" {
		return nil
	}
	m := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		m[strings.TrimSpace(f)] = true
	}
	return m
}

func run(cfg Config, env Env, only, onlyClients map[string]bool) error {
	started := time.Now()
	tmp, err := os.MkdirTemp("", "ftpbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	clients, notes := buildClients(tmp)
	var active []*Client
	for _, c := range clients {
		if onlyClients == nil || onlyClients[c.Key] {
			active = append(active, c)
		}
	}
	scenarios := makeScenarios(cfg, env, tmp)
	var chosen []*Scenario
	for _, s := range scenarios {
		if only == nil || only[s.Key] {
			chosen = append(chosen, s)
		}
	}

	fx := &Fixtures{cfg: cfg, env: env, tmp: tmp}
	fmt.Println("preparing files on the servers ...")
	if err := fx.Local(); err != nil {
		return err
	}
	if err := fx.Ensure(chosen); err != nil {
		return fmt.Errorf("preparing the servers (are they up? bash interop/servers.sh up): %w", err)
	}
	if !cfg.Keep {
		defer fx.Cleanup(chosen, active)
	}

	res := &Results{Cfg: cfg, Env: env, Clients: active, Scenarios: chosen, Notes: notes,
		Start: started, LoadBefore: loadavg(), Info: machineInfo()}

	if !cfg.Quick {
		fmt.Println("warm-up round (not timed) ...")
		for _, s := range chosen {
			for _, c := range active {
				if !s.Applies(c) {
					continue
				}
				if _, err := runOne(fx, s, c, false); err != nil {
					fmt.Printf("  %-8s %-10s warm-up error: %v\n", s.Key, c.Key, err)
				}
			}
		}
	}
	for r := 0; r < cfg.Rounds; r++ {
		fmt.Printf("round %d/%d\n", r+1, cfg.Rounds)
		if err := fx.Ensure(chosen); err != nil {
			return err
		}
		for _, s := range chosen {
			order := rotate(active, r)
			for _, c := range order {
				if !s.Applies(c) {
					continue
				}
				m, err := runOne(fx, s, c, s.Key == "rss")
				if err != nil {
					fmt.Printf("  %-8s %-10s error: %v\n", s.Key, c.Key, err)
					res.Add(s, c, Sample{Err: err.Error()})
					continue
				}
				fmt.Printf("  %-8s %-10s %8.3f s  user %.3f sys %.3f  rss %s (ru_maxrss %s)\n", s.Key, c.Key,
					m.Wall.Seconds(), m.User.Seconds(), m.Sys.Seconds(), mib(m.PeakRSS()), mib(m.MaxRSS))
				res.Add(s, c, m)
			}
		}
	}
	res.LoadAfter = loadavg()
	res.End = time.Now()
	res.Evaluate()
	if cfg.Profile {
		profileMisses(fx, res)
	}
	fmt.Print(res.Summary())
	if err := res.save(cfg.JSON); err != nil {
		return err
	}
	if err := os.WriteFile(cfg.Out, []byte(keepLatency(cfg.Out, res.Markdown())), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(cfg.SVG, []byte(res.SVG()), 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %s, %s and %s\n", cfg.Out, cfg.SVG, cfg.JSON)
	return nil
}

func rotate(cs []*Client, r int) []*Client {
	out := make([]*Client, 0, len(cs))
	for i := range cs {
		out = append(out, cs[(i+r)%len(cs)])
	}
	return out
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// machineInfo describes the machine and the tools' versions.
func machineInfo() []string {
	var out []string
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	out = append(out, fmt.Sprintf("%d CPUs (%s), %s/%s, %s", runtime.NumCPU(), cpu, runtime.GOOS, runtime.GOARCH, kernel()))
	out = append(out, "Go: "+runtime.Version())
	out = append(out, "Python: "+firstLine(output(pythonExe(), "--version")))
	curl := strings.Fields(firstLine(output("curl", "--version")))
	if len(curl) > 5 {
		curl = curl[:5]
	}
	out = append(out, "curl: "+strings.Join(curl, " "))
	return out
}

func kernel() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "unknown kernel"
	}
	return "Linux " + strings.TrimSpace(string(b))
}

func output(name string, args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return "unavailable (" + err.Error() + ")"
	}
	return string(b)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

var pyExe string

// pythonExe is the real interpreter behind python3 (a pyenv shim would add
// a shell script's start-up to every timing).
func pythonExe() string {
	if pyExe != "" {
		return pyExe
	}
	pyExe = "python3"
	if p := strings.TrimSpace(output("python3", "-c", "import sys; print(sys.executable)")); p != "" && filepath.IsAbs(p) {
		pyExe = p
	}
	return pyExe
}

var errPending = errors.New("pending")
