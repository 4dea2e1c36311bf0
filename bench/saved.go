package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

// saved is what a run writes to results.json: enough to render RESULTS.md
// and results.svg again (-render) without measuring.
type saved struct {
	Cfg        Config
	Env        Env
	Notes      []string
	Info       []string
	Start, End time.Time
	LoadBefore string
	LoadAfter  string
	Clients    []string          // keys, in report order
	Pending    map[string]string // client key -> why it could not run
	Scenarios  []string          // keys
	Samples    map[string][]Sample
	Profiles   []Profile
	Python     string
}

func (r *Results) save(path string) error {
	sv := saved{Cfg: r.Cfg, Env: r.Env, Notes: r.Notes, Info: r.Info, Start: r.Start, End: r.End,
		LoadBefore: r.LoadBefore, LoadAfter: r.LoadAfter, Pending: map[string]string{},
		Samples: r.samples, Profiles: r.Profiles, Python: pythonExe()}
	for _, c := range r.Clients {
		sv.Clients = append(sv.Clients, c.Key)
		if c.Pending != "" {
			sv.Pending[c.Key] = c.Pending
		}
	}
	for _, s := range r.Scenarios {
		sv.Scenarios = append(sv.Scenarios, s.Key)
	}
	b, err := json.MarshalIndent(sv, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// render reads a results.json and writes the report and the chart again.
func render(path, out, svg string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var sv saved
	if err := json.Unmarshal(b, &sv); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	pyExe = sv.Python
	r := &Results{Cfg: sv.Cfg, Env: sv.Env, Notes: sv.Notes, Info: sv.Info, Start: sv.Start, End: sv.End,
		LoadBefore: sv.LoadBefore, LoadAfter: sv.LoadAfter, samples: sv.Samples, Profiles: sv.Profiles}
	all := clientList("")
	for _, k := range sv.Clients {
		for _, c := range all {
			if c.Key == k {
				c.Pending = sv.Pending[k]
				r.Clients = append(r.Clients, c)
			}
		}
	}
	for _, k := range sv.Scenarios {
		for _, s := range makeScenarios(sv.Cfg, sv.Env, "") {
			if s.Key == k {
				r.Scenarios = append(r.Scenarios, s)
			}
		}
	}
	r.Evaluate()
	if err := os.WriteFile(out, []byte(keepLatency(out, r.Markdown())), 0o644); err != nil {
		return err
	}
	return os.WriteFile(svg, []byte(r.SVG()), 0o644)
}

// keepLatency returns doc followed by the sections of the report already
// at path that other drivers write (cmd/rttbench's latency section, then
// the mirror and large-transfer ones, from the latency section's marker to
// the end), so that rewriting the loopback results does not drop them.
func keepLatency(path, doc string) string {
	old, err := os.ReadFile(path)
	if err != nil {
		return doc
	}
	i := strings.Index(string(old), "<!-- rtt:begin -->")
	if i < 0 {
		return doc
	}
	return strings.TrimRight(doc, "\n") + "\n\n" + strings.TrimRight(string(old[i:]), "\n") + "\n"
}
