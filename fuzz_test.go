package ftp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Fuzz targets for the parsers not covered in parse_test.go and
// listing_fuzz_test.go: MDTM times, FEAT replies, the RetrLines and
// StorLines line readers, and the reading of a transfer's replies with
// keepalive NOOP replies mixed in. Seed corpora are in testdata/fuzz.

var reMDTM = regexp.MustCompile(`^[0-9]{14}(\.[0-9]{1,9})?$`)

func FuzzParseMDTM(f *testing.F) {
	for _, s := range []string{
		"20240102030405", "20240102030405.5", "20240102030405.123456789", "20240102030405.",
		"20241302030405", "20240230000000", "19700101000000.0000000001", "2024010203040", "x",
		"20240102030405Z", "99991231235959.999999999", "00000101000000",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, ok := parseMDTM(s)
		if !reMDTM.MatchString(s) {
			if ok {
				t.Fatalf("parseMDTM(%q) accepted %v", s, tm)
			}
			return
		}
		_, err := time.ParseInLocation("20060102150405", s[:14], time.UTC)
		if ok != (err == nil) {
			t.Fatalf("parseMDTM(%q) = %v, %v; time.Parse says %v", s, tm, ok, err)
		}
		if !ok {
			return
		}
		if tm.Location() != time.UTC || tm.Format("20060102150405") != s[:14] {
			t.Fatalf("parseMDTM(%q) = %v", s, tm)
		}
		frac := strings.TrimPrefix(s[14:], ".")
		want := 0
		for i := 0; i < 9; i++ {
			want *= 10
			if i < len(frac) {
				want += int(frac[i] - '0')
			}
		}
		if tm.Nanosecond() != want {
			t.Fatalf("parseMDTM(%q) nanoseconds %d, want %d", s, tm.Nanosecond(), want)
		}
	})
}

func FuzzParseFeat(f *testing.F) {
	for _, s := range []string{
		"211-Features:\n EPRT\n EPSV\n MDTM\n MLST type*;size*;modify*;\n REST STREAM\n SIZE\n UTF8\n211 End",
		"211 no features", "211-x\n211 end", "211-\n \n  \n211 ", "211-a\nnot indented\n rest  stream  \n211 e",
		"211-\n\xff\xfe x\n211", "211-a\n AUTH TLS\n auth ssl\n211 End",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, resp string) {
		feats := parseFeat(resp)
		if feats == nil {
			t.Fatal("nil map")
		}
		for k, v := range feats {
			if k == "" || strings.ContainsAny(k, " \n") || k != strings.ToUpper(k) {
				t.Fatalf("parseFeat(%q): bad name %q", resp, k)
			}
			if v != strings.TrimSpace(v) || strings.Contains(v, "\n") {
				t.Fatalf("parseFeat(%q): %q has value %q", resp, k, v)
			}
			if !strings.Contains(strings.ToUpper(resp), k) {
				t.Fatalf("parseFeat(%q): name %q not in the reply", resp, k)
			}
		}
	})
}

// expectedLines splits data as a RetrLines transfer must: lines end at
// LF, a CR just before the LF is dropped, and a last line without LF
// counts if it is not empty. tooLong gives the index of the first line
// over the bound (-1 for none).
func expectedLines(data []byte, max int) (lines []string, tooLong int) {
	parts := strings.Split(string(data), "\n")
	for i, p := range parts {
		last := i == len(parts)-1
		if last {
			if p == "" {
				break
			}
			if len(p) > max {
				return lines, len(lines)
			}
		} else {
			p = strings.TrimSuffix(p, "\r")
			if len(p) >= max {
				return lines, len(lines)
			}
		}
		lines = append(lines, p)
	}
	return lines, -1
}

func FuzzRetrLinesReader(f *testing.F) {
	for _, s := range []string{
		"a\r\nb\r\n", "a\nb", "\r\n\r\n", "x\r\r\n", "\r", "0123456789abcdef0123456789\r\n",
		"-rw-r--r-- 1 u g 1 Jan 2 2024 a\r\n", "type=file; x\r\n\r\n", "abc\rdef\n", "",
	} {
		f.Add([]byte(s), uint8(8))
	}
	f.Fuzz(func(t *testing.T, data []byte, m uint8) {
		max := int(m%40) + 2
		// The smallest bufio buffer, so that long lines cross it.
		lr := &lineReader{br: bufio.NewReaderSize(bytes.NewReader(data), 16), max: max}
		want, tooLong := expectedLines(data, max)
		var got []string
		for {
			b, err := lr.readLine()
			if err != nil && err != io.EOF {
				if !errors.Is(err, ErrLineTooLong) {
					t.Fatalf("unexpected error %v", err)
				}
				if tooLong != len(got) {
					t.Fatalf("ErrLineTooLong after %d lines; expected lines %q, too long at %d", len(got), want, tooLong)
				}
				break
			}
			if b != nil {
				got = append(got, string(b))
			}
			if err == io.EOF {
				if tooLong >= 0 {
					t.Fatalf("line %d over %d bytes accepted: %q", tooLong, max, got)
				}
				break
			}
			if len(got) > len(data)+1 {
				t.Fatal("more lines than bytes")
			}
		}
		if len(got) != len(want) {
			t.Fatalf("got lines %q, want %q", got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("line %d = %q, want %q", i, got[i], want[i])
			}
		}
	})
}

func FuzzStorLinesReader(f *testing.F) {
	for _, s := range []string{
		"a\r\nb\nc", "a\rb\r", "\n\n", "x\r\r\n", "no newline", "0123456789abcdef0123456789\n", "",
	} {
		f.Add([]byte(s), uint8(8))
	}
	f.Fuzz(func(t *testing.T, data []byte, m uint8) {
		max := int(m%40) + 2
		lr := &lineReader{br: bufio.NewReaderSize(bytes.NewReader(data), 16), max: max}
		var out []byte
		var rerr error
		for {
			line, err := lr.readRawLine()
			if len(line) > 0 {
				out = appendCRLFLine(out, line)
			}
			if err != nil {
				if err != io.EOF {
					rerr = err
				}
				break
			}
		}
		// ftplib storlines: readline() splits after LF; a line over max
		// bytes (its LF included) is an error; CRLF kept, else one final
		// CR or LF replaced by CRLF, and CRLF added to a last line.
		var want []byte
		var wantErr bool
		for _, l := range bytes.SplitAfter(data, []byte("\n")) {
			if len(l) == 0 {
				continue
			}
			if len(l) > max {
				wantErr = true
				break
			}
			switch {
			case bytes.HasSuffix(l, []byte("\r\n")):
				want = append(want, l...)
			case l[len(l)-1] == '\n' || l[len(l)-1] == '\r':
				want = append(append(want, l[:len(l)-1]...), '\r', '\n')
			default:
				want = append(append(want, l...), '\r', '\n')
			}
		}
		if wantErr != (rerr != nil) || (rerr != nil && !errors.Is(rerr, ErrLineTooLong)) {
			t.Fatalf("error %v, want too long = %v", rerr, wantErr)
		}
		if !bytes.Equal(out, want) {
			t.Fatalf("sent %q, want %q", out, want)
		}
	})
}

func FuzzTransferReplies(f *testing.F) {
	for _, s := range []string{
		"226 ok\r\n200 noop\r\n", "200 noop\r\n226 ok\r\n", "200 a\r\n200 b\r\n",
		"500 no\r\n426 cut\r\n", "226-x\r\n226 y\r\n200 z\r\n", "200 \r\n", "",
	} {
		f.Add([]byte(s), uint8(1), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, noops uint8, abort bool) {
		c := replyConn(data, 64, UTF8)
		c.noops = int(noops % 8)
		var rs []string
		var err error
		want := 1
		if abort {
			var first string
			first, err = c.abortTransfer(nil)
			rs = []string{first}
			if isReplyErr(err) {
				err = nil
			}
		} else {
			rs, err = c.readReplies(want, c.getResp)
		}
		if err != nil {
			c.mu.Lock()
			broken := c.broken
			c.mu.Unlock()
			if broken == nil {
				t.Fatalf("%v did not mark the Conn broken", err)
			}
			return
		}
		if len(rs) != want || c.noops != 0 {
			t.Fatalf("got %q with %d NOOPs left, want %d replies", rs, c.noops, want)
		}
		for _, r := range rs {
			if r != "" && !strings.Contains(string(data), r[:min(len(r), 3)]) {
				t.Fatalf("reply %q not from the input", r)
			}
		}
	})
}
