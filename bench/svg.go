package main

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// SVG draws one panel per scenario: a horizontal bar per client, its
// median throughput (longer is better), or for the RSS scenario its peak
// RSS (shorter is better, with the 16 MiB target marked).
func (r *Results) SVG() string {
	const (
		width  = 860
		left   = 170 // label column
		barMax = 520
		barH   = 16
		gap    = 4
		titleH = 26
		padB   = 12
	)
	var body strings.Builder
	y := 34
	for _, s := range r.Scenarios {
		type bar struct {
			c     *Client
			v     float64
			label string
		}
		var bars []bar
		maxV := 0.0
		for _, c := range r.Clients {
			if !s.Applies(c) {
				continue
			}
			if c.Pending != "" || r.pending(s, c) {
				bars = append(bars, bar{c, 0, "pending"})
				continue
			}
			var v float64
			var label string
			if s.Key == "rss" {
				v = r.Med(s, c, rss) / (1 << 20)
				label = fmt.Sprintf("%.1f MiB peak RSS", v)
			} else {
				w := r.Med(s, c, wall)
				if math.IsNaN(w) || w <= 0 {
					continue
				}
				if s.Op == "small" {
					v = float64(s.N) / w
				} else {
					v = float64(s.Bytes()) / (1 << 20) / w
				}
				label = fmt.Sprintf("%s (%.3f s)", rate(s, w), w)
			}
			if math.IsNaN(v) {
				continue
			}
			bars = append(bars, bar{c, v, label})
			maxV = math.Max(maxV, v)
		}
		limit := 0.0
		if s.Key == "rss" {
			limit = 16
			maxV = math.Max(maxV, limit)
		}
		what := "throughput, longer is better"
		if s.Key == "rss" {
			what = "peak RSS, shorter is better; dashed line: 16 MiB target"
		}
		fmt.Fprintf(&body, `<text x="10" y="%d" class="t">%s — %s <tspan class="s">(%s)</tspan></text>`+"\n",
			y+16, esc(s.Title), esc(s.Server), what)
		y += titleH
		top := y
		if len(bars) == 0 {
			fmt.Fprintf(&body, `<text x="%d" y="%d" class="l">no data</text>`+"\n", left, y+12)
			y += barH + gap
		}
		for _, b := range bars {
			w := 0.0
			if maxV > 0 {
				w = b.v / maxV * barMax
			}
			fmt.Fprintf(&body, `<text x="%d" y="%d" class="l" text-anchor="end">%s</text>`+"\n", left-8, y+12, esc(b.c.Name))
			fmt.Fprintf(&body, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n", left, y, w, barH, b.c.Color)
			fmt.Fprintf(&body, `<text x="%.1f" y="%d" class="v">%s</text>`+"\n", float64(left)+w+6, y+12, esc(b.label))
			y += barH + gap
		}
		if limit > 0 && maxV > 0 {
			x := float64(left) + limit/maxV*barMax
			fmt.Fprintf(&body, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#000" stroke-dasharray="4 3"/>`+"\n", x, top-2, x, y)
		}
		y += padB
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif">`+"\n", width, y+10, width, y+10)
	b.WriteString(`<style>.t{font-size:14px;font-weight:bold}.s{font-weight:normal;fill:#555;font-size:12px}.l{font-size:12px}.v{font-size:11px;fill:#222}</style>` + "\n")
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/>`+"\n", width, y+10)
	title := fmt.Sprintf("FTP clients on loopback: medians of %d rounds, %s", r.Cfg.Rounds, r.Start.UTC().Format("2006-01-02"))
	if r.Cfg.Quick {
		title += " (quick smoke run, not the benchmark)"
	}
	fmt.Fprintf(&b, `<text x="10" y="20" class="t">%s</text>`+"\n", esc(title))
	b.WriteString(body.String())
	b.WriteString("</svg>\n")
	return b.String()
}

func esc(s string) string { return html.EscapeString(s) }
