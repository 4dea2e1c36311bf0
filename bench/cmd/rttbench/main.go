// Command rttbench is the driver of the latency benchmark (see ../../rtt.sh,
// which sets up the link and the servers): run inside the ftpcli network
// namespace, it times each client downloading many small files over one
// connection from the vsftpd servers in ftpsrv, and computes the round
// trips each file costs:
//
//	RTT per file = (median time of the job - median time of a login-only job) / files / RTT
//
// where the login-only job is the same client, process and connection with
// zero files (start-up, connect, login, QUIT), and RTT is the median time
// of a TCP connect to the server (one SYN, one SYN-ACK). Every client is a
// process of its own; the runs of the clients alternate. The samples are
// appended to a JSON file and the latency section of RESULTS.md is
// rewritten from all of them.
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

// Record is one measured configuration: a client on a server at an RTT.
type Record struct {
	Date      string    `json:"date"`
	Commit    string    `json:"commit"`
	Label     string    `json:"label"`
	RTTms     float64   `json:"rtt_ms"`      // the link's nominal RTT
	Measured  float64   `json:"measured_ms"` // median TCP connect time
	Server    string    `json:"server"`
	Client    string    `json:"client"`
	Files     int       `json:"files"`
	Runs      []float64 `json:"runs"`  // seconds, whole process
	Login     []float64 `json:"login"` // seconds, zero files
	Median    float64   `json:"median"`
	LoginMed  float64   `json:"login_median"`
	PerFile   float64   `json:"rtt_per_file"`
	Error     string    `json:"error,omitempty"`
	Load      string    `json:"load"`
	Transport string    `json:"transport"`
}

type server struct {
	name, addr string
	tls        bool
}

type opts struct {
	bin, python, runner, ca, user, pass string
	files, runs                         int
}

func main() {
	var o opts
	var rtt float64
	var clients, servers, jsonPath, mdPath, commit, label string
	flag.StringVar(&o.bin, "bin", "bin", "directory of the built runners (ours, jlaffaye)")
	flag.StringVar(&o.python, "python", "python3", "Python interpreter for ftplib (empty: skip)")
	flag.StringVar(&o.runner, "runner", "ftplib_runner.py", "the ftplib runner script")
	flag.StringVar(&o.ca, "ca", "", "certificate the clients trust (FTPS)")
	flag.StringVar(&o.user, "user", "ftptest", "user")
	flag.StringVar(&o.pass, "pass", "", "password")
	flag.IntVar(&o.files, "files", 200, "files per job")
	flag.IntVar(&o.runs, "runs", 3, "timed runs per client (median)")
	flag.Float64Var(&rtt, "rtt", 0, "the link's nominal RTT in ms (for the report)")
	flag.StringVar(&clients, "clients", "ours,jlaffaye,ftplib,lftp", "clients to run")
	flag.StringVar(&servers, "servers", "plain,ftps", "servers: plain (vsftpd :2221), ftps (vsftpd explicit FTPS, require_ssl_reuse, :2222)")
	flag.StringVar(&jsonPath, "json", "rtt.json", "samples file (appended)")
	flag.StringVar(&mdPath, "md", "RESULTS.md", "report whose latency section is rewritten")
	flag.StringVar(&commit, "commit", "", "commit of the library measured")
	flag.StringVar(&label, "label", "", "a label for this run (e.g. baseline)")
	render := flag.Bool("render", false, "only rewrite the report from the samples file")
	flag.Parse()
	if *render {
		if err := writeReport(jsonPath, mdPath); err != nil {
			fatal(err)
		}
		return
	}
	all := []server{
		{"vsftpd plain", "10.200.0.1:2221", false},
		{"vsftpd explicit FTPS (PROT P, require_ssl_reuse)", "10.200.0.1:2222", true},
	}
	var recs []Record
	for _, s := range all {
		if !slices.Contains(strings.Split(servers, ","), map[bool]string{false: "plain", true: "ftps"}[s.tls]) {
			continue
		}
		measured, err := connectRTT(s.addr)
		if err != nil {
			fatal(fmt.Errorf("%s: %w", s.addr, err))
		}
		fmt.Printf("[rttbench] %s: RTT %.2f ms (median TCP connect)\n", s.name, measured*1000)
		var cs []string
		for _, c := range strings.Split(clients, ",") {
			if cmd, _ := o.command(c, s, 0); cmd != nil {
				cs = append(cs, c)
			} else {
				fmt.Printf("[rttbench] %s: %s not available, skipped\n", s.name, c)
			}
		}
		res := make(map[string]*Record)
		for _, c := range cs {
			res[c] = &Record{
				Date: time.Now().UTC().Format("2006-01-02 15:04"), Commit: commit, Label: label,
				RTTms: rtt, Measured: measured * 1000, Server: s.name, Client: c, Files: o.files,
				Load: loadavg(), Transport: transport(),
			}
		}
		// Alternate: each round runs every client's login-only job and
		// full job, in an order that rotates.
		for r := 0; r < o.runs; r++ {
			for i := range cs {
				c := cs[(i+r)%len(cs)]
				rec := res[c]
				if rec.Error != "" {
					continue
				}
				for _, n := range []int{0, o.files} {
					d, err := o.run(c, s, n)
					if err != nil {
						rec.Error = err.Error()
						fmt.Printf("[rttbench] %s %s n=%d: %v\n", s.name, c, n, err)
						break
					}
					if n == 0 {
						rec.Login = append(rec.Login, d)
					} else {
						rec.Runs = append(rec.Runs, d)
					}
					fmt.Printf("[rttbench] %s %s n=%d: %.2f s\n", s.name, c, n, d)
				}
			}
		}
		for _, c := range cs {
			rec := res[c]
			if rec.Error == "" {
				rec.Median, rec.LoginMed = median(rec.Runs), median(rec.Login)
				rec.PerFile = (rec.Median - rec.LoginMed) / float64(o.files) / measured
				fmt.Printf("[rttbench] %s %s: median %.2f s, login %.2f s, %.2f RTT/file\n",
					s.name, c, rec.Median, rec.LoginMed, rec.PerFile)
			}
			recs = append(recs, *rec)
		}
	}
	if err := appendJSON(jsonPath, recs); err != nil {
		fatal(err)
	}
	if err := writeReport(jsonPath, mdPath); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "rttbench:", err)
	os.Exit(1)
}

// command returns the command line of client c for n files on s, or nil
// when the client is not available (or cannot do the job), and for lftp
// the directory its mirror writes to.
func (o *opts) command(c string, s server, n int) (cmd *exec.Cmd, dst string) {
	common := []string{"-addr", s.addr, "-user", o.user, "-pass", o.pass, "-op", "small", "-remote", "small", "-n", strconv.Itoa(n)}
	if s.tls {
		common = append(common, "-tls", "-ca", o.ca)
	}
	switch c {
	case "ours", "jlaffaye":
		p := filepath.Join(o.bin, c)
		if _, err := os.Stat(p); err != nil {
			return nil, ""
		}
		return exec.Command(p, common...), ""
	case "ftplib":
		if o.python == "" {
			return nil, ""
		}
		return exec.Command(o.python, append([]string{o.runner}, common...)...), ""
	case "lftp":
		p, err := exec.LookPath("lftp")
		if err != nil || (n != 0 && n != 200) {
			return nil, "" // the include patterns below select f000..f199
		}
		host, port, _ := net.SplitHostPort(s.addr)
		var script strings.Builder
		script.WriteString("set cmd:fail-exit yes; set net:max-retries 1; set net:timeout 60; ")
		if s.tls {
			fmt.Fprintf(&script, "set ftp:ssl-force yes; set ftp:ssl-protect-data yes; set ssl:ca-file %s; set ssl:check-hostname no; ", o.ca)
		} else {
			script.WriteString("set ftp:ssl-allow no; ")
		}
		fmt.Fprintf(&script, "open -p %s %s; user %s %s; cd small; ", port, host, o.user, o.pass)
		if n > 0 {
			// mirror lists the directory, then RETRs every file.
			dst = filepath.Join(os.TempDir(), fmt.Sprintf("rtt-lftp-%d", os.Getpid()))
			os.RemoveAll(dst)
			fmt.Fprintf(&script, "mirror -I f0*.bin -I f1*.bin . %s; ", dst)
		}
		script.WriteString("quit")
		return exec.Command(p, "-c", script.String()), dst
	}
	return nil, ""
}

// run times one process of client c fetching n files from s.
func (o *opts) run(c string, s server, n int) (float64, error) {
	cmd, dst := o.command(c, s, n)
	if cmd == nil {
		return 0, errors.New("not available")
	}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start).Seconds()
	if dst != "" {
		ents, _ := os.ReadDir(dst)
		os.RemoveAll(dst)
		if err == nil && len(ents) != n {
			err = fmt.Errorf("lftp mirrored %d files, want %d", len(ents), n)
		}
	}
	if err != nil {
		// The last line of the output says why (a Python traceback ends
		// with the exception).
		msg := strings.TrimSpace(out.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		return 0, fmt.Errorf("%v: %s", err, msg)
	}
	return d, nil
}

// connectRTT returns the median time of 15 TCP connects to addr.
func connectRTT(addr string) (float64, error) {
	var ds []float64
	for i := 0; i < 15; i++ {
		start := time.Now()
		nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			return 0, err
		}
		ds = append(ds, time.Since(start).Seconds())
		nc.Close()
		time.Sleep(20 * time.Millisecond)
	}
	return median(ds), nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
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

// transport names the link rttlink made (netem or tundelay).
func transport() string {
	b, _ := os.ReadFile("/tmp/rttlink/state")
	return strings.TrimSpace(string(b))
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

// The latency section of RESULTS.md lies between these markers; the rest
// of the file is the loopback benchmark's (go run .), which keeps it.
const (
	beginMark = "<!-- rtt:begin -->"
	endMark   = "<!-- rtt:end -->"
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
	return os.WriteFile(mdPath, []byte(ReplaceSection(string(old), Section(all))), 0o644)
}

// ReplaceSection puts section (with its markers) in place of the one in
// doc, or at its end.
func ReplaceSection(doc, section string) string {
	i := strings.Index(doc, beginMark)
	j := strings.Index(doc, endMark)
	if i >= 0 && j > i {
		return doc[:i] + section + doc[j+len(endMark):]
	}
	if doc != "" && !strings.HasSuffix(doc, "\n\n") {
		doc = strings.TrimRight(doc, "\n") + "\n\n"
	}
	return doc + section + "\n"
}

// Section renders the latency section from every record, newest last.
func Section(all []Record) string {
	var b strings.Builder
	b.WriteString(beginMark + "\n")
	b.WriteString(`## Latency: round trips per file

Written by ` + "`bash bench/rtt.sh`" + ` (driver ` + "`cmd/rttbench`" + `, samples in
[rtt.json](rtt.json)). vsftpd runs in network namespace ftpsrv, each client
in ftpcli, joined by ` + "`../shared/tools/rttlink`" + ` (a link that holds every
packet half the RTT each way). A job is one process, one connection, and
RETR of every file of a directory of 200 files of about 20 bytes (lftp:
` + "`mirror`" + `, which also lists it). Login time is the median of the same
client's job with zero files (start-up, connect, login, QUIT); RTT is the
median TCP connect time measured by the driver. Each column is a median
over the runs listed; the machine has 2 cores shared with other work.

RTT per file = (median time − median login time) / files / RTT.

The baseline runs this library's per-file RetrBinary loop; later runs use
Conn.RetrMany (the runner's GetMany), whose next PASV goes out before the
previous 226 is read. jlaffaye/ftp and ftplib do not resume the control
connection's TLS session on data connections, so vsftpd with
require_ssl_reuse refuses them (522).

Where the explicit FTPS round trips go (vsftpd 3.0.3, TLS 1.3, RetrMany,
one file, seen with tcpdump and tshark on the client's side at 50 ms).
Before the TLS overlaps for vsftpd (ea4253d): 6 RTT per file. RETR to
150 takes 2 (RETR and the data connection's SYN leave together; vsftpd
accepts the connection, and only then sends 150, once the TCP handshake's
last ACK has arrived); the TLS handshake, started at the 150, 2 more
(ClientHello to server Finished, then client Finished to the data, which
vsftpd sends only once its SSL_accept is over); the end of the data to the
226, 2 more (vsftpd sends its close_notify, waits for the client's, closes
and waits for the ACK of its FIN before sending 226; the next PASV's 227
follows at once). With the TLS overlaps (vsftpd only: its default greeting
gates them), the ClientHello leaves with the TCP handshake's ACK, so the
server Finished arrives with the 150, and the client's close_notify leaves
right after its Finished, so it is waiting when vsftpd has sent the data:
RETR to 150 2, 150 to data 1, data to 226 1, that is 4 RTT per file, the
floor with one connection and a TLS handshake per file (plain FTP: 3).

| RTT (measured) | server | client | library at | median | login | RTT/file | runs (s) |
|---|---|---|---|---|---|---|---|
`)
	recs := slices.Clone(all)
	slices.SortStableFunc(recs, func(a, b Record) int {
		switch {
		case a.RTTms != b.RTTms:
			return cmpF(a.RTTms, b.RTTms)
		case a.Server != b.Server:
			return strings.Compare(b.Server, a.Server) // plain first
		}
		return 0
	})
	for _, r := range recs {
		at := r.Commit
		if r.Label != "" {
			at += " (" + r.Label + ")"
		}
		if r.Error != "" {
			fmt.Fprintf(&b, "| %g ms (%.1f) | %s | %s | %s | failed: %s | | | |\n",
				r.RTTms, r.Measured, r.Server, r.Client, at, mdEscape(firstLine(r.Error)))
			continue
		}
		var runs []string
		for _, x := range r.Runs {
			runs = append(runs, fmt.Sprintf("%.2f", x))
		}
		fmt.Fprintf(&b, "| %g ms (%.1f) | %s | %s | %s | %.2f s | %.2f s | **%.2f** | %s |\n",
			r.RTTms, r.Measured, r.Server, r.Client, at, r.Median, r.LoginMed, r.PerFile, strings.Join(runs, ", "))
	}
	// This library, first and last run of each configuration.
	type key struct {
		rtt    float64
		server string
	}
	first, last := map[key]Record{}, map[key]Record{}
	var keys []key
	for _, r := range all {
		if r.Client != "ours" || r.Error != "" {
			continue
		}
		k := key{r.RTTms, r.Server}
		if _, ok := first[k]; !ok {
			first[k] = r
			keys = append(keys, k)
		}
		last[k] = r
	}
	if len(keys) > 0 {
		b.WriteString("\nThis library, first and latest run: ")
		var parts []string
		for _, k := range keys {
			f, l := first[k], last[k]
			parts = append(parts, fmt.Sprintf("%s at %g ms: %.2f (%s) → %.2f (%s) RTT/file",
				k.server, k.rtt, f.PerFile, f.Commit, l.PerFile, l.Commit))
		}
		b.WriteString(strings.Join(parts, "; ") + ".\n")
	}
	b.WriteString("\n" + endMark)
	return b.String()
}

func cmpF(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
