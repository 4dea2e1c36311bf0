// Command mirrorbench is the driver of the mirror benchmark (see
// ../../mirror_rtt.sh, which sets up the link and the server): run inside
// the ftpcli network namespace, it times `ftplib mirror --parallel N` and
// `lftp mirror --parallel=N` downloading the same directory of small files
// from vsftpd in ftpsrv into a fresh local directory, alternating the two
// clients run after run, and `ftplib mirror` once more into the directory
// it just filled (nothing changed: the incremental run). Each job is one
// process, timed from start to exit. The medians are appended to a JSON
// file and the mirror section of RESULTS.md is rewritten from all of them.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Record is one measured client at one RTT.
type Record struct {
	Date     string    `json:"date"`
	Commit   string    `json:"commit"`
	RTTms    float64   `json:"rtt_ms"`
	Client   string    `json:"client"` // "ftplib", "ftplib (2nd run)", "lftp"
	Parallel int       `json:"parallel"`
	Files    int       `json:"files"`
	Runs     []float64 `json:"runs"`
	Median   float64   `json:"median"`
	Error    string    `json:"error,omitempty"`
	Load     string    `json:"load"`
}

type opts struct {
	ftplib, addr, user, pass, dir string
	files, parallel               int
}

func main() {
	var o opts
	var runs int
	var rtt float64
	var jsonPath, mdPath, commit string
	flag.StringVar(&o.ftplib, "ftplib", "bin/ftplib", "the ftplib command")
	flag.StringVar(&o.addr, "addr", "10.200.0.1:2231", "server host:port")
	flag.StringVar(&o.user, "user", "ftptest", "user")
	flag.StringVar(&o.pass, "pass", "", "password")
	flag.StringVar(&o.dir, "dir", "mirror200", "remote directory mirrored")
	flag.IntVar(&o.files, "files", 200, "files in the remote directory (checked)")
	flag.IntVar(&o.parallel, "parallel", 8, "connections of both clients")
	flag.IntVar(&runs, "runs", 5, "timed runs per client (median)")
	flag.Float64Var(&rtt, "rtt", 0, "the link's nominal RTT in ms (for the report)")
	flag.StringVar(&jsonPath, "json", "mirror.json", "samples file (appended)")
	flag.StringVar(&mdPath, "md", "RESULTS.md", "report whose mirror section is rewritten")
	flag.StringVar(&commit, "commit", "", "commit of the library measured")
	flag.Parse()

	if _, err := net.DialTimeout("tcp", o.addr, 5*time.Second); err != nil {
		fatal(err)
	}
	clients := []string{"ftplib", "lftp"}
	recs := map[string]*Record{}
	for _, c := range append(clients, "ftplib (2nd run)") {
		recs[c] = &Record{Date: time.Now().UTC().Format("2006-01-02 15:04"), Commit: commit, RTTms: rtt,
			Client: c, Parallel: o.parallel, Files: o.files, Load: loadavg()}
	}
	if _, err := exec.LookPath("lftp"); err != nil {
		recs["lftp"].Error = "lftp not installed"
	}
	// A warm-up run of each (untimed), then alternating timed runs.
	for r := -1; r < runs; r++ {
		for i := range clients {
			c := clients[(i+max(r, 0))%len(clients)]
			rec := recs[c]
			if rec.Error != "" {
				continue
			}
			dst, err := os.MkdirTemp("", "mirrorbench-")
			if err != nil {
				fatal(err)
			}
			d, err := o.run(c, dst)
			if err == nil && c == "ftplib" {
				// Nothing changed: the incremental run.
				var d2 float64
				if d2, err = o.run(c, dst); err == nil && r >= 0 {
					recs["ftplib (2nd run)"].Runs = append(recs["ftplib (2nd run)"].Runs, d2)
					fmt.Printf("[mirrorbench] %g ms ftplib 2nd run: %.2f s\n", rtt, d2)
				}
			}
			os.RemoveAll(dst)
			if err != nil {
				rec.Error = err.Error()
				fmt.Printf("[mirrorbench] %g ms %s: %v\n", rtt, c, err)
				continue
			}
			if r >= 0 {
				rec.Runs = append(rec.Runs, d)
				fmt.Printf("[mirrorbench] %g ms %s: %.2f s\n", rtt, c, d)
			}
		}
	}
	var out []Record
	for _, c := range []string{"ftplib", "ftplib (2nd run)", "lftp"} {
		rec := recs[c]
		if rec.Error == "" && len(rec.Runs) > 0 {
			rec.Median = median(rec.Runs)
			fmt.Printf("[mirrorbench] %g ms %s: median %.2f s\n", rtt, c, rec.Median)
		}
		out = append(out, *rec)
	}
	if err := appendJSON(jsonPath, out); err != nil {
		fatal(err)
	}
	if err := writeReport(jsonPath, mdPath); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "mirrorbench:", err)
	os.Exit(1)
}

// run times one mirror of the remote directory into dst by client c, and
// checks that dst then holds the files.
func (o *opts) run(c, dst string) (float64, error) {
	host, port, _ := net.SplitHostPort(o.addr)
	var cmd *exec.Cmd
	switch c {
	case "ftplib":
		u := fmt.Sprintf("ftp://%s:%s@%s/%s", o.user, o.pass, o.addr, o.dir)
		cmd = exec.Command(o.ftplib, "mirror", "--parallel", strconv.Itoa(o.parallel), u, dst)
	case "lftp":
		script := fmt.Sprintf("set cmd:fail-exit yes; set net:max-retries 1; set net:timeout 60; set ftp:ssl-allow no; "+
			"open -p %s %s; user %s %s; mirror --parallel=%d %s %s; quit", port, host, o.user, o.pass, o.parallel, o.dir, dst)
		cmd = exec.Command("lftp", "-c", script)
	default:
		return 0, errors.New("unknown client " + c)
	}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start).Seconds()
	if err != nil {
		msg := strings.TrimSpace(out.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		return 0, fmt.Errorf("%v: %s", err, strings.ReplaceAll(msg, o.pass, "****"))
	}
	// lftp mirrors "dir" into dst/dir when dst exists; ftplib into dst.
	n := countFiles(dst)
	if n != o.files {
		return 0, fmt.Errorf("%s mirrored %d files, want %d", c, n, o.files)
	}
	return d, nil
}

func countFiles(dir string) int {
	n := 0
	filepath.WalkDir(dir, func(_ string, de os.DirEntry, err error) error {
		if err == nil && de.Type().IsRegular() {
			n++
		}
		return nil
	})
	return n
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func appendJSON(path string, recs []Record) error {
	var all []Record
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &all); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	all = append(all, recs...)
	b, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// The mirror section of RESULTS.md lies between these markers.
const (
	beginMark = "<!-- mirror:begin -->"
	endMark   = "<!-- mirror:end -->"
)

func writeReport(jsonPath, mdPath string) error {
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		return err
	}
	var all []Record
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	old, err := os.ReadFile(mdPath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	doc, sec := string(old), section(all)
	i, j := strings.Index(doc, beginMark), strings.Index(doc, endMark)
	if i >= 0 && j > i {
		doc = doc[:i] + sec + doc[j+len(endMark):]
	} else {
		doc = strings.TrimRight(doc, "\n") + "\n\n" + sec + "\n"
	}
	return os.WriteFile(mdPath, []byte(doc), 0o644)
}

func section(all []Record) string {
	var b strings.Builder
	b.WriteString(beginMark + "\n")
	b.WriteString("## Mirror: `ftplib mirror` and `lftp mirror` under a real RTT\n\n" +
		"Written by `bash bench/mirror_rtt.sh` (driver `cmd/mirrorbench`, samples in\n" +
		"[mirror.json](mirror.json)). vsftpd (plain, no MLSD) in network namespace\n" +
		"ftpsrv, the clients in ftpcli, joined by `../shared/tools/rttlink`. A job is\n" +
		"one process mirroring a directory of 200 files of about 20 bytes into a\n" +
		"new local directory with 8 connections; \"2nd run\" is `ftplib mirror` again\n" +
		"into the directory it just filled (nothing changed). The clients alternate;\n" +
		"medians over the runs listed. Targets (issue 17): 1.2 s at 10 ms, 5.0 s at\n" +
		"50 ms, 0.5 s for the 2nd run at 10 ms.\n\n" +
		"| RTT | client | parallel | library at | median | runs (s) | load |\n|---|---|---|---|---|---|---|\n")
	recs := slices.Clone(all)
	slices.SortStableFunc(recs, func(a, b Record) int {
		switch {
		case a.RTTms < b.RTTms:
			return -1
		case a.RTTms > b.RTTms:
			return 1
		}
		return 0
	})
	for _, r := range recs {
		if r.Error != "" {
			fmt.Fprintf(&b, "| %g ms | %s | %d | %s | failed: %s | | %s |\n", r.RTTms, r.Client, r.Parallel, r.Commit,
				strings.ReplaceAll(r.Error, "|", "\\|"), r.Load)
			continue
		}
		var runs []string
		for _, x := range r.Runs {
			runs = append(runs, fmt.Sprintf("%.2f", x))
		}
		fmt.Fprintf(&b, "| %g ms | %s | %d | %s | **%.2f s** | %s | %s |\n", r.RTTms, r.Client, r.Parallel, r.Commit,
			r.Median, strings.Join(runs, ", "), r.Load)
	}
	b.WriteString("\n" + endMark)
	return b.String()
}
