package interop

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// A cell of the matrix: the outcome of one operation on one server.
type cell struct {
	status string // "ok", "FAIL", "TODO", "n/a"
	note   string
}

var (
	resMu   sync.Mutex
	results = map[[2]string]cell{} // {server, op}
	opOrder []string               // rows, in first-run order
	started = time.Now()
)

// rec is handed to each operation: it carries the operation's note (shown
// under the matrix) and marks operations that do not apply.
type rec struct {
	mu   sync.Mutex
	note []string
	na   string
}

// Note adds a remark shown under the matrix (an expected refusal, a server
// quirk the operation checked).
func (r *rec) Note(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.note = append(r.note, fmt.Sprintf(format, args...))
}

// NA marks the operation as not applicable to the server and skips it.
func (r *rec) NA(t *testing.T, why string) {
	t.Helper()
	r.mu.Lock()
	r.na = why
	r.mu.Unlock()
	t.SkipNow()
}

// run runs one operation of the matrix on s as a subtest of t and records
// its outcome. A skip is recorded as TODO (notes made before it are
// shown) unless the operation called r.NA.
func run(t *testing.T, s *server, op string, f func(t *testing.T, r *rec)) {
	t.Helper()
	resMu.Lock()
	if !slices.Contains(opOrder, op) {
		opOrder = append(opOrder, op)
	}
	resMu.Unlock()
	t.Run(op, func(t *testing.T) {
		r := &rec{}
		t.Cleanup(func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			c := cell{status: "ok", note: strings.Join(r.note, "; ")}
			switch {
			case t.Failed():
				c.status = "FAIL"
			case r.na != "":
				c = cell{status: "n/a", note: r.na}
			case t.Skipped():
				c.status = "TODO"
			}
			resMu.Lock()
			results[[2]string{s.name, op}] = c
			resMu.Unlock()
		})
		f(t, r)
	})
}

func TestMain(m *testing.M) {
	code := m.Run()
	if enabled() {
		if err := writeMatrix(code); err != nil {
			fmt.Fprintln(os.Stderr, "interop: matrix:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

// writeMatrix renders the results as Markdown into the temporary directory
// and, when FTP_INTEROP_WRITE_MATRIX=1, into MATRIX.md.
func writeMatrix(code int) error {
	resMu.Lock()
	defer resMu.Unlock()
	if len(results) == 0 {
		return nil
	}
	var b strings.Builder
	counts := map[string]int{}
	for _, c := range results {
		counts[c.status]++
	}
	fmt.Fprintf(&b, "# Interop matrix\n\n")
	fmt.Fprintf(&b, "Written by `FTP_INTEROP=1 FTP_INTEROP_WRITE_MATRIX=1 go test -race -count=1 -run Interop ./interop/...`")
	fmt.Fprintf(&b, " against the servers of `interop/servers.sh` (%s).\n\n", serverVersions)
	fmt.Fprintf(&b, "Run: %s, %s %s/%s, %s, `go test` exit code %d.\n",
		started.UTC().Format("2006-01-02 15:04 UTC"), runtime.Version(), runtime.GOOS, runtime.GOARCH,
		time.Since(started).Round(time.Second), code)
	fmt.Fprintf(&b, "Cells: %d ok, %d FAIL, %d TODO, %d n/a.\n\n", counts["ok"], counts["FAIL"], counts["TODO"], counts["n/a"])
	b.WriteString("`ok` = every assertion held, including an expected refusal asserted as its typed error (marked `ok*`, see the notes); ")
	b.WriteString("`FAIL` = an assertion failed; `TODO` = not run yet (reason in the notes); `n/a` = the operation does not apply to that configuration.\n\n")

	var cols []string
	for _, s := range servers {
		if hasServer(s.name) {
			cols = append(cols, s.name)
		}
	}
	b.WriteString("| operation |")
	for _, c := range cols {
		b.WriteString(" " + c + " |")
	}
	b.WriteString("\n|---|")
	for range cols {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	type note struct{ server, op, status, text string }
	var notes []note
	for _, op := range opOrder {
		b.WriteString("| " + op + " |")
		for _, sv := range cols {
			c, ok := results[[2]string{sv, op}]
			text := "-"
			if ok {
				text = c.status
				if c.note != "" && c.status != "n/a" {
					if c.status == "ok" {
						text = "ok*"
					}
					notes = append(notes, note{sv, op, c.status, c.note})
				}
			}
			b.WriteString(" " + text + " |")
		}
		b.WriteString("\n")
	}
	if len(notes) > 0 {
		b.WriteString("\n## Notes\n\n")
		sort.SliceStable(notes, func(i, j int) bool {
			return slices.Index(opOrder, notes[i].op) < slices.Index(opOrder, notes[j].op)
		})
		lastOp := ""
		for _, n := range notes {
			if n.op != lastOp {
				fmt.Fprintf(&b, "\n**%s**\n\n", n.op)
				lastOp = n.op
			}
			fmt.Fprintf(&b, "- %s (%s): %s\n", n.server, n.status, mdEscape(n.text))
		}
	}
	b.WriteString(notRun)
	out := b.String()
	tmp := filepath.Join(os.TempDir(), "ftp-interop-matrix.md")
	if err := os.WriteFile(tmp, []byte(out), 0o644); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "interop: matrix written to", tmp)
	if os.Getenv("FTP_INTEROP_WRITE_MATRIX") == "1" {
		if err := os.WriteFile("MATRIX.md", []byte(out), 0o644); err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, "interop: matrix written to interop/MATRIX.md")
	}
	return nil
}

func hasServer(name string) bool {
	for k := range results {
		if k[0] == name {
			return true
		}
	}
	return false
}

// mdEscape keeps server text from breaking the Markdown.
func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "\r", `\r`)
	s = strings.ReplaceAll(s, "\n", " / ")
	s = strings.ReplaceAll(s, "|", `\|`)
	return s
}
