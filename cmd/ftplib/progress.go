package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progress draws a one-line transfer progress bar on a terminal:
//
//	name  [=========>          ]  47%  1.2 MiB/2.5 MiB  3.1 MiB/s  ETA 0:02
//
// It redraws at most every interval (10 times a second by default) and
// draws nothing when out is nil. Counting happens through Reader or
// Writer; Done draws the final state and ends the line.
type progress struct {
	out      io.Writer
	name     string
	total    int64 // -1 when unknown
	start    int64 // bytes already there (a resumed transfer)
	now      func() time.Time
	interval time.Duration
	width    int // of the whole line

	mu      sync.Mutex
	n       int64 // bytes transferred, not counting start
	began   time.Time
	drawn   time.Time
	lastLen int
}

// newProgress returns a progress bar for a transfer of total bytes (-1 if
// unknown) of which start were already done. A nil out disables drawing.
func newProgress(out io.Writer, name string, start, total int64, now func() time.Time) *progress {
	if now == nil {
		now = time.Now
	}
	return &progress{
		out: out, name: name, total: total, start: start,
		now: now, interval: 100 * time.Millisecond, width: 78,
		began: now(),
	}
}

// add counts n more bytes and redraws if the interval has passed.
func (p *progress) add(n int) {
	if p == nil || n <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n += int64(n)
	if p.out == nil {
		return
	}
	t := p.now()
	if t.Sub(p.drawn) < p.interval {
		return
	}
	p.drawn = t
	p.draw(t, false)
}

// Done draws the final line and moves to the next line.
func (p *progress) Done() {
	if p == nil || p.out == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draw(p.now(), true)
	fmt.Fprint(p.out, "\n")
}

// Abandon clears the bar without a final line, so that an error message
// can take its place.
func (p *progress) Abandon() {
	if p == nil || p.out == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lastLen > 0 {
		fmt.Fprintf(p.out, "\r%s\r", strings.Repeat(" ", p.lastLen))
		p.lastLen = 0
	}
}

// line renders the bar for time t; final means the transfer has ended,
// so the average rate is shown and no ETA.
func (p *progress) line(t time.Time, final bool) string {
	done := p.start + p.n
	elapsed := t.Sub(p.began)
	var rate float64
	if elapsed > 0 {
		rate = float64(p.n) / elapsed.Seconds()
	}
	var stats string
	if p.total >= 0 {
		pct := 100
		if p.total > 0 {
			pct = int(min(done, p.total) * 100 / p.total)
		}
		stats = fmt.Sprintf(" %3d%%  %s/%s  %s/s", pct, formatBytes(done), formatBytes(p.total), formatBytes(int64(rate)))
		switch {
		case final:
			stats += "  in " + formatDuration(elapsed)
		case rate > 0 && done <= p.total:
			eta := time.Duration(float64(p.total-done) / rate * float64(time.Second))
			stats += "  ETA " + formatDuration(eta)
		default:
			stats += "  ETA --:--"
		}
	} else {
		stats = fmt.Sprintf("  %s  %s/s", formatBytes(done), formatBytes(int64(rate)))
		if final {
			stats += "  in " + formatDuration(elapsed)
		}
	}
	name := p.name
	room := p.width - len(stats) - 2
	barWidth := 0
	if p.total >= 0 {
		barWidth = min(30, room-len(name)-4)
		if barWidth < 10 {
			barWidth = 0
		}
	}
	nameRoom := room
	if barWidth > 0 {
		nameRoom = room - barWidth - 4
	}
	if nameRoom < 4 {
		nameRoom = 4
	}
	if len(name) > nameRoom {
		name = "…" + name[len(name)-nameRoom+1:]
	}
	var b strings.Builder
	b.WriteString(name)
	if barWidth > 0 {
		filled := barWidth
		if p.total > 0 {
			filled = int(min(done, p.total) * int64(barWidth) / p.total)
		}
		b.WriteString("  [")
		b.WriteString(strings.Repeat("=", filled))
		if filled < barWidth {
			b.WriteString(">")
			b.WriteString(strings.Repeat(" ", barWidth-filled-1))
		}
		b.WriteString("]")
	}
	b.WriteString(stats)
	return b.String()
}

// draw writes the current line over the previous one. p.mu is held.
func (p *progress) draw(t time.Time, final bool) {
	s := p.line(t, final)
	pad := ""
	if n := p.lastLen - len(s); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	fmt.Fprintf(p.out, "\r%s%s", s, pad)
	p.lastLen = len(s)
}

// Writer returns w counting what passes through it. When p is nil it
// returns w itself, so that io.Copy can still find w's ReadFrom.
func (p *progress) Writer(w io.Writer) io.Writer {
	if p == nil {
		return w
	}
	return &progressWriter{w, p}
}

// Reader returns r counting what passes through it, or r itself when p
// is nil.
func (p *progress) Reader(r io.Reader) io.Reader {
	if p == nil {
		return r
	}
	return &progressReader{r, p}
}

type progressWriter struct {
	w io.Writer
	p *progress
}

func (pw *progressWriter) Write(b []byte) (int, error) {
	n, err := pw.w.Write(b)
	pw.p.add(n)
	return n, err
}

type progressReader struct {
	r io.Reader
	p *progress
}

func (pr *progressReader) Read(b []byte) (int, error) {
	n, err := pr.r.Read(b)
	pr.p.add(n)
	return n, err
}

// formatBytes renders n with a binary unit: "512 B", "1.5 KiB", "12 MiB".
func formatBytes(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v := float64(n) / 1024
	u := 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	if v < 10 {
		return fmt.Sprintf("%.1f %s", v, units[u])
	}
	return fmt.Sprintf("%.0f %s", v, units[u])
}

// formatDuration renders d as m:ss or h:mm:ss, rounded to the second.
func formatDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 100*3600 {
		return "99:59:59+"
	}
	h, m, sec := s/3600, s/60%60, s%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, sec)
	}
	return fmt.Sprintf("%d:%02d", m, sec)
}
