package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestFormatBytes(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {1536, "1.5 KiB"},
		{10 * 1024, "10 KiB"}, {5 << 20, "5.0 MiB"}, {123 << 30, "123 GiB"},
		{1 << 62, "4.0 EiB"},
	}
	for _, tt := range tests {
		if got := formatBytes(tt.n); got != tt.want {
			t.Errorf("formatBytes(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0:00"}, {-time.Second, "0:00"}, {1499 * time.Millisecond, "0:01"},
		{61 * time.Second, "1:01"}, {3600 * time.Second, "1:00:00"},
		{100 * time.Hour, "99:59:59+"},
	}
	for _, tt := range tests {
		if got := formatDuration(tt.d); got != tt.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestProgressLine(t *testing.T) {
	clk := &fakeClock{time.Unix(1000, 0)}
	p := newProgress(io.Discard, "file.bin", 0, 4<<20, clk.now)
	p.n = 1 << 20
	clk.t = clk.t.Add(time.Second)
	line := p.line(clk.t, false)
	for _, want := range []string{"file.bin", " 25%", "1.0 MiB/4.0 MiB", "1.0 MiB/s", "ETA 0:03", "  [=====>    "} {
		if !strings.Contains(line, want) {
			t.Errorf("line %q lacks %q", line, want)
		}
	}
	if len(line) > p.width {
		t.Errorf("line is %d wide, over %d: %q", len(line), p.width, line)
	}
	final := p.line(clk.t, true)
	if !strings.Contains(final, "in 0:01") || strings.Contains(final, "ETA") {
		t.Errorf("final line %q", final)
	}
}

func TestProgressLineResumed(t *testing.T) {
	clk := &fakeClock{time.Unix(1000, 0)}
	p := newProgress(io.Discard, "f", 3000, 4000, clk.now)
	p.n = 500
	clk.t = clk.t.Add(time.Second)
	line := p.line(clk.t, false)
	// 3500 of 4000 done, but the rate counts only this run's 500 B/s.
	for _, want := range []string{" 87%", "3.4 KiB/3.9 KiB", "500 B/s", "ETA 0:01"} {
		if !strings.Contains(line, want) {
			t.Errorf("line %q lacks %q", line, want)
		}
	}
}

func TestProgressLineUnknownSize(t *testing.T) {
	clk := &fakeClock{time.Unix(1000, 0)}
	p := newProgress(io.Discard, "stream", 0, -1, clk.now)
	p.n = 2048
	line := p.line(clk.t, false)
	if !strings.Contains(line, "2.0 KiB") || strings.Contains(line, "%") || strings.Contains(line, "ETA") {
		t.Errorf("line %q", line)
	}
}

func TestProgressLongName(t *testing.T) {
	clk := &fakeClock{time.Unix(1000, 0)}
	name := strings.Repeat("d/", 60) + "end.txt"
	p := newProgress(io.Discard, name, 0, 100, clk.now)
	line := p.line(clk.t, false)
	if !strings.Contains(line, "end.txt") || !strings.HasPrefix(line, "…") {
		t.Errorf("long name not cut from the left: %q", line)
	}
}

func TestProgressRedrawRate(t *testing.T) {
	clk := &fakeClock{time.Unix(1000, 0)}
	var out bytes.Buffer
	p := newProgress(&out, "f", 0, 1000, clk.now)
	w := p.Writer(io.Discard)
	for i := 0; i < 100; i++ {
		w.Write(make([]byte, 10))
		clk.t = clk.t.Add(10 * time.Millisecond) // 1 s in all
	}
	draws := strings.Count(out.String(), "\r")
	if draws < 5 || draws > 11 {
		t.Errorf("%d redraws in one second of 100 writes, want about 10", draws)
	}
	p.Done()
	s := out.String()
	if !strings.HasSuffix(s, "\n") || !strings.Contains(s[strings.LastIndex(s, "\r"):], "100%") {
		t.Errorf("final draw: %q", s[strings.LastIndex(s, "\r"):])
	}
}

func TestProgressCounts(t *testing.T) {
	clk := &fakeClock{time.Unix(1000, 0)}
	p := newProgress(nil, "f", 0, -1, clk.now)
	n, err := io.Copy(p.Writer(io.Discard), p.Reader(strings.NewReader(strings.Repeat("x", 12345))))
	if err != nil || n != 12345 {
		t.Fatal(n, err)
	}
	// Counted once by the reader and once by the writer.
	if p.n != 2*12345 {
		t.Errorf("counted %d", p.n)
	}
	p.Done() // draws nothing, must not panic with a nil out
}

func TestProgressNil(t *testing.T) {
	var p *progress
	var buf bytes.Buffer
	if w := p.Writer(&buf); w != io.Writer(&buf) {
		t.Error("nil progress wraps the writer")
	}
	r := strings.NewReader("x")
	if got := p.Reader(r); got != io.Reader(r) {
		t.Error("nil progress wraps the reader")
	}
	p.add(3)
	p.Done()
	p.Abandon()
}

func TestProgressAbandon(t *testing.T) {
	clk := &fakeClock{time.Unix(1000, 0)}
	var out bytes.Buffer
	p := newProgress(&out, "f", 0, 100, clk.now)
	clk.t = clk.t.Add(time.Second)
	p.add(10)
	out.Reset()
	p.Abandon()
	s := out.String()
	if !strings.HasPrefix(s, "\r") || !strings.HasSuffix(s, "\r") || strings.TrimSpace(s) != "" {
		t.Errorf("Abandon wrote %q", s)
	}
}
