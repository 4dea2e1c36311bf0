package main

import (
	"encoding/xml"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ftplib-go/ftp/bench/internal/runner"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{7}, 7},
	} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median(nil) is not NaN")
	}
}

// fakeResults builds results with our client 10% faster than the others
// except curl, and an RSS above the target.
func fakeResults() *Results {
	cfg := Config{Rounds: 3, BigSize: 100 << 20, HugeSize: 1 << 30, SmallSize: 4 << 10, SmallCount: 200}
	r := &Results{Cfg: cfg, Start: time.Unix(0, 0), End: time.Unix(60, 0)}
	r.Clients = []*Client{
		{Key: "ours", Name: "this library", Color: "#f00", Go: true},
		{Key: "jlaffaye", Name: "jlaffaye", Color: "#00f", Go: true},
		{Key: "curl", Name: "curl", Color: "#0f0"},
		{Key: "raw", Name: "raw <ceiling>", Color: "#888", Ceil: true, Go: true},
	}
	r.Scenarios = makeScenarios(cfg, Env{}, "/tmp")
	secs := map[string]float64{"ours": 0.9, "jlaffaye": 1.0, "curl": 0.5, "raw": 0.8}
	for _, s := range r.Scenarios {
		for _, c := range r.Clients {
			for i := 0; i < 3; i++ {
				m := Sample{Wall: time.Duration((secs[c.Key] + float64(i)*0.01) * float64(time.Second)), HWM: 20 << 20}
				if c.Go {
					n := uint64(40)
					if s.Key == "rss" {
						n = 40 + 29568 // one allocation per extra block
					}
					m.Stats = &runner.Stats{Mallocs: n}
				}
				r.Add(s, c, m)
			}
		}
	}
	return r
}

func TestEvaluate(t *testing.T) {
	r := fakeResults()
	r.Evaluate()
	got := map[string]*Target{}
	for _, tg := range r.Targets {
		got[tg.Scenario+" "+tg.Name] = tg
	}
	check := func(k string, pass bool, value float64) {
		t.Helper()
		tg := got[k]
		if tg == nil {
			t.Fatalf("no target %q", k)
		}
		if tg.Pass != pass || math.Abs(tg.Value-value) > 1e-3 {
			t.Errorf("%s: pass %v value %.4f, want %v %.4f", k, tg.Pass, tg.Value, pass, value)
		}
	}
	check("dl-null vs curl", false, 0.91/0.51)
	check("dl-null vs jlaffaye/ftp", false, 0.91/1.01)
	check("dl-null vs raw-TCP ceiling", true, 0.91/0.81)
	check("ul vs best other client", false, 0.91/0.51)
	check("rss peak RSS", false, 20)
	check("rss allocations per 32 KiB block, steady state", false, 1)
}

func TestReportAndSVG(t *testing.T) {
	r := fakeResults()
	r.Evaluate()
	md := r.Markdown()
	for _, want := range []string{"| 100 MiB download to /dev/null |", "**missed**", "results.svg"} {
		if !strings.Contains(md, want) {
			t.Errorf("RESULTS.md lacks %q", want)
		}
	}
	svg := r.SVG()
	d := xml.NewDecoder(strings.NewReader(svg))
	rects := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
			rects++
		}
	}
	// One background plus one bar per client and scenario.
	if want := 1 + len(r.Clients)*len(r.Scenarios); rects != want {
		t.Errorf("SVG has %d rects, want %d", rects, want)
	}
	if !strings.Contains(svg, "raw &lt;ceiling&gt;") {
		t.Error("client name not escaped in the SVG")
	}
}
