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
			if strings.Trim(raw, " \t") != "" && !strings.HasPrefix(raw, "total") && !isVMSNotice(raw) && !isMVSHeader(raw) {
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
		"A;1 1 1-JAN-2000 0:00", "A.DIR;1 1/1 1-JAN-2000 00:00:00 [] ()", ".DIR;1 1 1-JAN-2000 00:00", "X;9 9223372036854775807 1-JAN-2000 00:00",
		"Directory [", "Total of .", "u 1 01/01/00 00:00:00 *DIR /", " *MEM /", " *MEM  ", "u 1 01/01/2000 00:00:00 * x",
		"Migrated x", "Pseudo Directory x", "V U **NONE** 1 1 F 1 1 PO X", "A 01.00 2000/01/01 2000/01/01 00:00 1 1 1 U", "$",
		"d [] o 1 Jan 1 00:00 x", "- [-] o 1 Jan 1 00:00 x", "- 1 1 2024-02-29 00:00 x", "Volume  Dsname",
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
		e, err = ParseVMSList(line)
		checkParse(t, "ParseVMSList", line, e, err, ParseVMSList)
		e, err = ParseOS400List(line)
		checkParse(t, "ParseOS400List", line, e, err, ParseOS400List)
		e, err = ParseMVSList(line)
		checkParse(t, "ParseMVSList", line, e, err, ParseMVSList)
	})
}

// FuzzVMSJoin checks that joining OpenVMS two-line entries loses no
// line: every line fed comes out, alone or as part of a joined line, in
// order, and only a name-only line followed by a continuation is joined.
func FuzzVMSJoin(f *testing.F) {
	f.Add("A.TXT;1\n   1/2 1-JAN-2020 12:00\nB;1\nC;2\n\nD;3")
	f.Add("X;1\r\n \r\n  5 1-JAN-2020 00:00\r\n")
	f.Add(strings.Join(vectorLines(f, false), ""))
	f.Fuzz(func(t *testing.T, data string) {
		in := strings.Split(data, "\n")
		out := joinVMSLines(in)
		if len(out) > len(in) {
			t.Fatalf("%d lines out of %d", len(out), len(in))
		}
		k := 0
		for _, o := range out {
			if k >= len(in) {
				t.Fatalf("extra line %q", o)
			}
			if o == in[k] {
				k++
				continue
			}
			name := trimLineEnd(in[k])
			if !vmsNameOnly(name) || k+1 >= len(in) {
				t.Fatalf("line %q out for %q", o, in[k])
			}
			rest := strings.TrimLeft(trimLineEnd(in[k+1]), " \t")
			if o != name+" "+rest || rest == "" || rest == trimLineEnd(in[k+1]) {
				t.Fatalf("joined %q from %q and %q", o, in[k], in[k+1])
			}
			k += 2
		}
		if k != len(in) {
			t.Fatalf("lines %q lost", in[k:])
		}
	})
}
