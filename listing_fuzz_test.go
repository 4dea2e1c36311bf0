package ftp

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// vectorLines returns every line, CRLF included, of the testdata/listing
// vectors: the MLSD files' if mlsx, else the LIST files'.
func vectorLines(f *testing.F, mlsx bool) []string {
	var lines []string
	raws, err := filepath.Glob(filepath.Join("testdata", "listing", "*", "*.raw"))
	if err != nil || len(raws) == 0 {
		f.Fatalf("no vectors: %v", err)
	}
	for _, raw := range raws {
		if strings.HasPrefix(filepath.Base(raw), "MLS") != mlsx {
			continue
		}
		data, err := os.ReadFile(raw)
		if err != nil {
			f.Fatal(err)
		}
		lines = append(lines, strings.SplitAfter(string(data), "\r\n")...)
	}
	return lines
}

// checkParse checks the invariants every parser keeps, whatever the
// input: an entry has a name, a size of -1 or more, a UTC time, and Raw
// is the line without its terminator, parsing to the same entry again;
// anything else is ErrNotEntry or a *ParseError carrying the line.
func checkParse(t *testing.T, what, line string, e Entry, err error, parse func(string) (Entry, error)) {
	t.Helper()
	raw := strings.TrimRight(line, "\r\n")
	if err != nil {
		if err == ErrNotEntry {
			if strings.Trim(raw, " \t") != "" && !strings.HasPrefix(raw, "total") {
				t.Fatalf("%s(%q): ErrNotEntry for a non-blank line", what, line)
			}
			return
		}
		var pe *ParseError
		if !errors.As(err, &pe) || !errors.Is(err, ErrProto) {
			t.Fatalf("%s(%q): error %v is not a *ParseError of class ErrProto", what, line, err)
		}
		if pe.Line != raw || pe.Reason == "" {
			t.Fatalf("%s(%q): ParseError%+v", what, line, *pe)
		}
		if msg := err.Error(); len(msg) > 1000 {
			t.Fatalf("%s(%q): Error() is %d bytes long", what, line, len(msg))
		}
		return
	}
	if e.Name == "" {
		t.Fatalf("%s(%q): empty Name", what, line)
	}
	if e.Size < -1 {
		t.Fatalf("%s(%q): Size %d", what, line, e.Size)
	}
	if e.Raw != raw {
		t.Fatalf("%s(%q): Raw %q, want %q", what, line, e.Raw, raw)
	}
	if !e.ModTime.IsZero() && e.ModTime.Location() != time.UTC {
		t.Fatalf("%s(%q): ModTime %v not in UTC", what, line, e.ModTime)
	}
	if !strings.Contains(raw, e.Name) || !strings.Contains(raw, e.Target) {
		t.Fatalf("%s(%q): Name %q or Target %q not from the line", what, line, e.Name, e.Target)
	}
	if e.IsDir() != (e.Mode&fs.ModeDir != 0) {
		t.Fatalf("%s(%q): IsDir %v but Mode %v", what, line, e.IsDir(), e.Mode)
	}
	again, err := parse(e.Raw)
	if err != nil {
		t.Fatalf("%s(%q): re-parsing Raw: %v", what, line, err)
	}
	if !reflect.DeepEqual(e, again) {
		t.Fatalf("%s(%q): re-parsing Raw gave %+v, want %+v", what, line, again, e)
	}
}

func FuzzParseMLSx(f *testing.F) {
	for _, s := range append(vectorLines(f, true),
		"", " ", "\r\n", ";", " ;", "  ", "= ; x", "a=; b", " a=b; c", "    size=892;type=file;modify=20230622143434; file.xml", "   x",
		"  size=x; y", "type=OS.unix=slink:; l",
		"modify=99991231235960.999999999999; x", "UNIX.mode=7777; x", "type=file;size=9223372036854775807; max",
	) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		e, err := ParseMLSx(line)
		checkParse(t, "ParseMLSx", line, e, err, ParseMLSx)
		if err == nil {
			if e.Facts == nil {
				t.Fatalf("ParseMLSx(%q): nil Facts", line)
			}
			for k := range e.Facts {
				if k == "" || strings.ContainsAny(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZ =;") {
					t.Fatalf("ParseMLSx(%q): bad fact name %q", line, k)
				}
			}
		}
	})
}

func FuzzParseList(f *testing.F) {
	for _, s := range append(vectorLines(f, false),
		"", "total 0", "+", "+\t", "0", "01-02-24  03:04AM  <DIR> x", "l--------- 1 u g 1 Feb 29 0:00 a -> ",
		"c--------- 1 , 1 Jan 1 1:00 x", "-rw-r--r-- 1 u g 1 Jan 2 2024 a\r\r\n",
	) {
		f.Add(s, int64(0))
	}
	f.Fuzz(func(t *testing.T, line string, nowSec int64) {
		// now spans years 1 to 9999 so the year resolution stays in range.
		const lo, hi = -62135596800, 253402300799
		if nowSec < lo || nowSec > hi {
			nowSec = lo + (nowSec%(hi-lo)+(hi-lo))%(hi-lo)
		}
		now := time.Unix(nowSec, 0)
		parseList := func(s string) (Entry, error) { return ParseList(s, now) }
		e, err := ParseList(line, now)
		checkParse(t, "ParseList", line, e, err, parseList)
		if err == nil && e.Facts != nil {
			t.Fatalf("ParseList(%q): Facts %v, want nil", line, e.Facts)
		}
		parseUnix := func(s string) (Entry, error) { return ParseUnixList(s, now) }
		e, err = ParseUnixList(line, now)
		checkParse(t, "ParseUnixList", line, e, err, parseUnix)
		e, err = ParseDOSList(line)
		checkParse(t, "ParseDOSList", line, e, err, ParseDOSList)
		e, err = ParseEPLF(line)
		checkParse(t, "ParseEPLF", line, e, err, ParseEPLF)
	})
}
