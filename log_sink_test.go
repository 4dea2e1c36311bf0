package ftp

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ftplib-go/ftp/ftptest"
)

// TestMain runs the package's tests with a sink that sees every record of
// every Conn and Client (beside their own Logger, if any) and fails the
// run when one holds a password the tests use: those written in the test
// files, ftptest's defaults, and every PASS or ACCT argument actually
// sent. Benchmarks run without it, so that their allocations are the
// library's.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		installSink()
	}
	code := m.Run()
	if n := sink.report(os.Stderr); n > 0 && code == 0 {
		code = 1
	}
	os.Exit(code)
}

// recordSink checks every record for the known secrets.
type recordSink struct {
	mu      sync.Mutex
	secrets []string
	records int
	leaks   []string
}

var sink = &recordSink{}

func installSink() {
	for _, s := range testFileSecrets() {
		sink.addSecret(s)
	}
	srv := ftptest.NewUnstartedServer()
	for _, pw := range srv.Users {
		sink.addSecret(pw)
	}
	srv.Close()
	testSecret = func(line string) {
		v := strings.TrimLeft(line, " \t")
		if len(v) > 4 {
			sink.addSecret(strings.TrimSpace(v[4:]))
		}
	}
	testLogger = func(l *slog.Logger) *slog.Logger {
		var own slog.Handler
		if l != nil {
			own = l.Handler()
		}
		return slog.New(teeHandler{own: own, check: sinkHandler{}})
	}
}

// testFileSecrets returns the passwords written in the package's test
// files: Login arguments, Password fields, URL and proxy credentials.
func testFileSecrets() []string {
	files, _ := filepath.Glob("*_test.go")
	res := []*regexp.Regexp{
		regexp.MustCompile(`Login\([a-zA-Z]+, "[^"]*", "([^"\\]+)"`),
		regexp.MustCompile(`Password:\s*"([^"\\]+)"`),
		regexp.MustCompile(`UserPassword\([^,]+, "([^"\\]+)"\)`),
		regexp.MustCompile(`\b(?:pw|pass|passwd|password|acct)\s*(?::=|=)\s*"([^"\\]+)"`),
		regexp.MustCompile(`[a-z0-9]+://[^/:@"\s]*:([^@"/\s]+)@`),
	}
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, re := range res {
			for _, m := range re.FindAllSubmatch(b, -1) {
				s := string(m[1])
				if u, err := url.PathUnescape(s); err == nil {
					s = u
				}
				out = append(out, s)
			}
		}
	}
	return out
}

// addSecret adds s to the secrets checked.
func (k *recordSink) addSecret(s string) {
	if s == "" {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if !slices.Contains(k.secrets, s) {
		k.secrets = append(k.secrets, s)
	}
}

// check looks for the secrets in text, each as a word of its own (not
// within a longer run of letters and digits: "pass" is a secret, and
// "passive" must not count), letter case kept ("PASS ****" is no leak of
// "pass"). A secret shorter than 4 bytes cannot be told apart from
// ordinary words (a test's password "bad" is another's file name): it is
// looked for where a leak would put it, after PASS or ACCT, or as a URL's
// password.
func (k *recordSink) check(text string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.records++
	upper := strings.ToUpper(text)
	for _, s := range k.secrets {
		leak := false
		if len(s) >= 4 {
			leak = containsWord(text, s)
		} else {
			us := strings.ToUpper(s)
			leak = containsWord(upper, "PASS "+us) || containsWord(upper, "ACCT "+us) || strings.Contains(text, ":"+s+"@")
		}
		if leak {
			k.leaks = append(k.leaks, fmt.Sprintf("record holds %q: %s", s, text))
		}
	}
}

func containsWord(text, w string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], w)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(w)
		if (j == 0 || !isWordByte(text[j-1])) && (end == len(text) || !isWordByte(text[end])) {
			return true
		}
		i = j + 1
	}
}

func isWordByte(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// report writes the leaks found and returns their number.
func (k *recordSink) report(w *os.File) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	for i, l := range k.leaks {
		if i == 20 {
			fmt.Fprintf(w, "... and %d more\n", len(k.leaks)-20)
			break
		}
		fmt.Fprintln(w, "password leak in a log record:", l)
	}
	return len(k.leaks)
}

// sinkHandler renders a record, its attributes resolved, and checks it.
type sinkHandler struct {
	pre string // attributes added with WithAttrs, rendered
}

func (sinkHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h sinkHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	b.WriteString(h.pre)
	r.Attrs(func(a slog.Attr) bool {
		renderAttr(&b, a)
		return true
	})
	sink.check(b.String())
	return nil
}

func (h sinkHandler) WithAttrs(as []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.pre)
	for _, a := range as {
		renderAttr(&b, a)
	}
	return sinkHandler{pre: b.String()}
}

func (h sinkHandler) WithGroup(string) slog.Handler { return h }

// renderAttr writes a as " key=value", with the raw text of strings,
// errors and Stringers (no quoting that could hide a secret).
func renderAttr(b *strings.Builder, a slog.Attr) {
	v := a.Value.Resolve()
	b.WriteString(" ")
	b.WriteString(a.Key)
	b.WriteString("=")
	switch v.Kind() {
	case slog.KindGroup:
		for _, g := range v.Group() {
			renderAttr(b, g)
		}
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			b.WriteString(x.Error())
		case fmt.Stringer:
			b.WriteString(x.String())
		default:
			fmt.Fprint(b, x)
		}
	default:
		b.WriteString(v.String())
	}
}

// teeHandler sends each record to own (a Dialer's Logger's handler, nil
// for none) when own wants it, and to check always.
type teeHandler struct {
	own   slog.Handler
	check slog.Handler
}

func (t teeHandler) Enabled(context.Context, slog.Level) bool { return true }

func (t teeHandler) Handle(ctx context.Context, r slog.Record) error {
	_ = t.check.Handle(ctx, r.Clone())
	if t.own != nil && t.own.Enabled(ctx, r.Level) {
		return t.own.Handle(ctx, r)
	}
	return nil
}

func (t teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	n := teeHandler{check: t.check.WithAttrs(as)}
	if t.own != nil {
		n.own = t.own.WithAttrs(as)
	}
	return n
}

func (t teeHandler) WithGroup(name string) slog.Handler {
	n := teeHandler{check: t.check.WithGroup(name)}
	if t.own != nil {
		n.own = t.own.WithGroup(name)
	}
	return n
}

// TestLogSinkSeesRecords checks that the sink is installed and catches a
// leak: a record holding a known secret is reported (and then taken back
// so that the run passes).
func TestLogSinkSeesRecords(t *testing.T) {
	if testLogger == nil {
		t.Skip("sink not installed (benchmark run)")
	}
	sink.addSecret("Sink-Probe-s3cret")
	l := (*Dialer)(nil).logger()
	sink.mu.Lock()
	before, leaks := sink.records, len(sink.leaks)
	sink.mu.Unlock()
	l.Info("probe", "err", fmt.Errorf("wrapped: %s", "Sink-Probe-s3cret"))
	l.Info("probe", "cmd", "PASS ****", "mode", "passive")
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if sink.records != before+2 {
		t.Errorf("sink saw %d records, want 2", sink.records-before)
	}
	if len(sink.leaks) != leaks+1 {
		t.Fatalf("sink found %d leaks, want 1: %q", len(sink.leaks)-leaks, sink.leaks[leaks:])
	}
	sink.leaks = sink.leaks[:leaks]
}
