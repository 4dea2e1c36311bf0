package ftp

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the listing .golden files")

// goldenNow is the time year-less LIST dates in the golden files are
// resolved against.
var goldenNow = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)

// renderEntry renders the result of parsing one line as a stable line of
// text: every Entry field, facts sorted by name.
func renderEntry(e Entry, err error) string {
	switch {
	case errors.Is(err, ErrNotEntry):
		return "not an entry"
	case err != nil:
		return "error: " + err.Error()
	}
	var b strings.Builder
	b.WriteString(strconv.Quote(e.Name))
	b.WriteString(" type=" + e.Type.String())
	b.WriteString(" size=" + strconv.FormatInt(e.Size, 10))
	if e.ModTime.IsZero() {
		b.WriteString(" time=none")
	} else {
		b.WriteString(" time=" + e.ModTime.Format(time.RFC3339Nano))
	}
	b.WriteString(" mode=" + e.Mode.String())
	if e.Target != "" {
		b.WriteString(" target=" + strconv.Quote(e.Target))
	}
	if e.Facts != nil {
		keys := make([]string, 0, len(e.Facts))
		for k := range e.Facts {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString(" facts={")
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(k + "=" + strconv.Quote(e.Facts[k]))
		}
		b.WriteByte('}')
	}
	return b.String()
}

// splitCRLF splits the bytes of a listing into lines on CRLF; the final
// CRLF ends the last line.
func splitCRLF(t *testing.T, data string) []string {
	t.Helper()
	if data == "" {
		return nil
	}
	if !strings.HasSuffix(data, "\r\n") {
		t.Fatalf("listing does not end with CRLF")
	}
	return strings.Split(strings.TrimSuffix(data, "\r\n"), "\r\n")
}

func TestListingGolden(t *testing.T) {
	raws, err := filepath.Glob(filepath.Join("testdata", "listing", "*", "*.raw"))
	if err != nil {
		t.Fatal(err)
	}
	if len(raws) < 20 {
		t.Fatalf("found %d .raw files, want at least 20", len(raws))
	}
	for _, raw := range raws {
		name := strings.TrimSuffix(raw, ".raw")
		t.Run(filepath.Base(filepath.Dir(raw))+"/"+filepath.Base(name), func(t *testing.T) {
			data, err := os.ReadFile(raw)
			if err != nil {
				t.Fatal(err)
			}
			mlsx := strings.HasPrefix(filepath.Base(raw), "MLS")
			var out strings.Builder
			lines := splitCRLF(t, string(data))
			if !mlsx {
				lines = joinVMSLines(lines)
			}
			for _, line := range lines {
				var e Entry
				var err error
				if mlsx {
					e, err = ParseMLSx(line)
				} else {
					e, err = ParseList(line, goldenNow)
				}
				if err == nil && e.Raw != line {
					t.Errorf("Raw = %q, want %q", e.Raw, line)
				}
				out.WriteString(renderEntry(e, err))
				out.WriteByte('\n')
			}
			golden := name + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(out.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run Golden -update)", err)
			}
			got := strings.Split(out.String(), "\n")
			wantLines := strings.Split(string(want), "\n")
			if len(got) != len(wantLines) {
				t.Errorf("%d lines, golden has %d", len(got), len(wantLines))
			}
			for i := 0; i < len(got) && i < len(wantLines); i++ {
				if got[i] != wantLines[i] {
					t.Errorf("line %d:\n got %s\nwant %s", i+1, got[i], wantLines[i])
				}
			}
		})
	}
}

// TestListingGoldenServers checks the real servers' vectors beyond the
// golden files: every line is an entry, none is an error.
func TestListingGoldenServers(t *testing.T) {
	for _, server := range []string{"vsftpd", "proftpd", "pureftpd"} {
		raws, err := filepath.Glob(filepath.Join("testdata", "listing", server, "*.raw"))
		if err != nil || len(raws) == 0 {
			t.Fatalf("%s: no vectors (%v)", server, err)
		}
		for _, raw := range raws {
			data, err := os.ReadFile(raw)
			if err != nil {
				t.Fatal(err)
			}
			for i, line := range splitCRLF(t, string(data)) {
				var e Entry
				if strings.HasPrefix(filepath.Base(raw), "MLS") {
					e, err = ParseMLSx(line)
				} else {
					e, err = ParseList(line, goldenNow)
				}
				if err != nil {
					t.Errorf("%s:%d: %v", raw, i+1, err)
					continue
				}
				want := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
				if !strings.HasPrefix(filepath.Base(raw), "MLS") {
					want = time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
				}
				if !e.ModTime.Equal(want) {
					t.Errorf("%s:%d: ModTime %v, want %v", raw, i+1, e.ModTime, want)
				}
				if !strings.HasSuffix(line, " "+e.Name) {
					t.Errorf("%s:%d: Name %q is not the end of the line", raw, i+1, e.Name)
				}
			}
		}
	}
}

// joinVMSLines passes lines through a vmsJoiner, as Conn.List does.
func joinVMSLines(in []string) []string {
	var j vmsJoiner
	var out []string
	var buf [2]string
	for _, l := range in {
		n := j.feed(l, &buf)
		out = append(out, buf[:n]...)
	}
	if l, ok := j.flush(); ok {
		out = append(out, l)
	}
	return out
}
