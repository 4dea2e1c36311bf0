package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLogJSONFlag(t *testing.T) {
	tests := []struct {
		args []string
		pos  []string
		set  bool
		file string
	}{
		{[]string{"a"}, []string{"a"}, false, ""},
		{[]string{"--log-json", "a"}, []string{"a"}, true, ""},
		{[]string{"a", "-log-json"}, []string{"a"}, true, ""},
		{[]string{"--log-json=out.jsonl", "a"}, []string{"a"}, true, "out.jsonl"},
		{[]string{"--log-json=-", "a"}, []string{"a"}, true, ""},
		{[]string{"--log-json=x", "--log-json=false", "a"}, []string{"a"}, false, ""},
		// Without "=" the next argument is positional, not the file.
		{[]string{"--log-json", "f", "a"}, []string{"f", "a"}, true, ""},
	}
	for _, tt := range tests {
		o := newOptions()
		fs := newFlagSet("x")
		o.register(fs)
		pos, err := parseInterspersed(fs, tt.args)
		if err != nil || !slices.Equal(pos, tt.pos) || o.logJSON.set != tt.set || o.logJSON.file != tt.file {
			t.Errorf("%q: pos %q, %+v, %v", tt.args, pos, o.logJSON, err)
		}
	}
	o := newOptions()
	fs := newFlagSet("x")
	o.register(fs)
	if _, err := parseInterspersed(fs, []string{"--log-json="}); err == nil {
		t.Error("--log-json= accepted")
	}
}

// TestLogger checks where -v and --log-json send records: -v as text on
// stderr, --log-json as JSON lines on stderr or appended to a file.
func TestLogger(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "log.jsonl")
	os.WriteFile(file, []byte("{\"earlier\":1}\n"), 0o600)
	for _, tt := range []struct {
		name        string
		opts        options
		text, jsons int // lines on stderr
		fileLines   int
	}{
		{"none", options{}, 0, 0, 1},
		{"-v", options{verbose: 1}, 1, 0, 1},
		{"--log-json", options{logJSON: logJSONFlag{set: true}}, 0, 1, 1},
		{"-v --log-json", options{verbose: 1, logJSON: logJSONFlag{set: true}}, 1, 1, 1},
		{"-v --log-json=FILE", options{verbose: 1, logJSON: logJSONFlag{set: true, file: file}}, 1, 0, 2},
	} {
		var stderr bytes.Buffer
		c := &cli{stderr: &stderr}
		l, err := c.logger(&tt.opts)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if l == nil {
			if tt.text+tt.jsons > 0 || tt.fileLines > 1 {
				t.Errorf("%s: no logger", tt.name)
			}
			continue
		}
		if again, _ := c.logger(&tt.opts); again != l {
			t.Errorf("%s: a second logger", tt.name)
		}
		l.Debug("ftp command", "cmd", "NOOP")
		if err := c.closeLog(); err != nil {
			t.Fatal(err)
		}
		var text, jsons int
		for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
			var m map[string]any
			switch {
			case line == "":
			case json.Unmarshal([]byte(line), &m) == nil:
				jsons++
				if m["msg"] != "ftp command" || m["cmd"] != "NOOP" || m["level"] != "DEBUG" {
					t.Errorf("%s: %s", tt.name, line)
				}
			default:
				text++
				if !strings.Contains(line, `level=DEBUG msg="ftp command" cmd=NOOP`) {
					t.Errorf("%s: %s", tt.name, line)
				}
			}
		}
		if text != tt.text || jsons != tt.jsons {
			t.Errorf("%s: %d text and %d JSON lines on stderr, want %d and %d:\n%s", tt.name, text, jsons, tt.text, tt.jsons, stderr.String())
		}
		b, _ := os.ReadFile(file)
		if n := strings.Count(string(b), "\n"); n != tt.fileLines {
			t.Errorf("%s: %d lines in the file, want %d:\n%s", tt.name, n, tt.fileLines, b)
		}
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("log file: %v, %v", fi.Mode(), err)
	}
	// A new file is private.
	c := &cli{stderr: new(bytes.Buffer)}
	newFile := filepath.Join(dir, "new.jsonl")
	if _, err := c.logger(&options{logJSON: logJSONFlag{set: true, file: newFile}}); err != nil {
		t.Fatal(err)
	}
	c.closeLog()
	if fi, err := os.Stat(newFile); err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("new log file: %v, %v", fi.Mode(), err)
	}
	// A file that cannot be created is an error.
	c = &cli{stderr: new(bytes.Buffer)}
	if _, err := c.logger(&options{logJSON: logJSONFlag{set: true, file: filepath.Join(dir, "no", "such")}}); err == nil || !strings.Contains(err.Error(), "--log-json") {
		t.Errorf("bad file: %v", err)
	}
}
