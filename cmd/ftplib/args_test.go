package main

import (
	"errors"
	"flag"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseInterspersed(t *testing.T) {
	tests := []struct {
		args    []string
		pos     []string
		long    bool
		verbose counter
		timeout time.Duration
	}{
		{[]string{"a", "b"}, []string{"a", "b"}, false, 0, defaultTimeout},
		{[]string{"-l", "a"}, []string{"a"}, true, 0, defaultTimeout},
		{[]string{"a", "-l", "b", "-v", "-v"}, []string{"a", "b"}, true, 2, defaultTimeout},
		{[]string{"a", "--timeout", "5s", "b"}, []string{"a", "b"}, false, 0, 5 * time.Second},
		{[]string{"--timeout=0", "a"}, []string{"a"}, false, 0, 0},
		{[]string{"a", "--", "-l", "-v"}, []string{"a", "-l", "-v"}, false, 0, defaultTimeout},
		{[]string{"-", "a"}, []string{"-", "a"}, false, 0, defaultTimeout},
		{[]string{"-v=false", "a"}, []string{"a"}, false, 0, defaultTimeout},
		{nil, nil, false, 0, defaultTimeout},
	}
	for _, tt := range tests {
		o := newOptions()
		var long bool
		fs := newFlagSet("x")
		o.register(fs)
		fs.BoolVar(&long, "l", false, "")
		pos, err := parseInterspersed(fs, tt.args)
		if err != nil {
			t.Errorf("%q: %v", tt.args, err)
			continue
		}
		if !slices.Equal(pos, tt.pos) || long != tt.long || o.verbose != tt.verbose || o.timeout != tt.timeout {
			t.Errorf("%q: pos %q long %v verbose %d timeout %v", tt.args, pos, long, o.verbose, o.timeout)
		}
	}
}

func TestParseCommand(t *testing.T) {
	_, err := parseCommand("get", []string{"-h"}, newOptions(), nil, 1, 2)
	if !errors.Is(err, errHelp) {
		t.Errorf("-h: %v", err)
	}
	var ue *usageError
	_, err = parseCommand("get", []string{"--nope"}, newOptions(), nil, 1, 2)
	if !errors.As(err, &ue) || ue.cmd != "get" || !strings.Contains(ue.msg, "nope") {
		t.Errorf("unknown flag: %v", err)
	}
	_, err = parseCommand("get", nil, newOptions(), nil, 1, 2)
	if !errors.As(err, &ue) || !strings.Contains(ue.msg, "missing") {
		t.Errorf("no args: %v", err)
	}
	_, err = parseCommand("get", []string{"a", "b", "c"}, newOptions(), nil, 1, 2)
	if !errors.As(err, &ue) || !strings.Contains(ue.msg, "too many arguments: c") {
		t.Errorf("three args: %v", err)
	}
	_, err = parseCommand("demo", []string{"--insecure"}, nil, nil, 0, 0)
	if !errors.As(err, &ue) {
		t.Errorf("connection flag on demo: %v", err)
	}
	pos, err := parseCommand("x", []string{"1", "2", "3"}, nil, nil, 0, -1)
	if err != nil || len(pos) != 3 {
		t.Errorf("no limit: %q, %v", pos, err)
	}
}

func TestCounter(t *testing.T) {
	var c counter
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	fs.Var(&c, "v", "")
	if err := fs.Parse([]string{"-v", "-v", "-v"}); err != nil || c != 3 || c.String() != "3" {
		t.Errorf("-v -v -v: %d, %v", c, err)
	}
	if err := c.Set("maybe"); err == nil {
		t.Error("Set(maybe) accepted")
	}
}

func TestUnsafeName(t *testing.T) {
	for _, name := range []string{"a", "a b", ".hidden", "..a", "a..", "ünï", "-rf", "a:b", "日本"} {
		if why := unsafeName(name); why != "" {
			t.Errorf("unsafeName(%q) = %q, want safe", name, why)
		}
	}
	for name, want := range map[string]string{
		"":            "not a file name",
		".":           "not a file name",
		"..":          "not a file name",
		"a/b":         "path separator",
		"/etc":        "absolute",
		`\\srv\share`: "absolute",
		`a\b`:         "path separator",
		`..\x`:        "path separator",
		"../x":        "path separator",
		"a\x00b":      "control character",
		"a\rb":        "control character",
		"a\nb":        "control character",
		"a\x1b[2Jb":   "control character",
		"a\u009bb":    "control character",
		"a\x7fb":      "control character",
	} {
		if why := unsafeName(name); !strings.Contains(why, want) {
			t.Errorf("unsafeName(%q) = %q, want %q", name, why, want)
		}
	}
}

func TestRemoteJoin(t *testing.T) {
	tests := []struct{ dir, name, want string }{
		{"", "a", "a"}, {"/", "a", "/a"}, {"d", "a", "d/a"}, {"/d/", "a", "/d/a"},
	}
	for _, tt := range tests {
		if got := remoteJoin(tt.dir, tt.name); got != tt.want {
			t.Errorf("remoteJoin(%q, %q) = %q", tt.dir, tt.name, got)
		}
	}
}

func TestPythonTarget(t *testing.T) {
	tests := []struct{ host, addr string }{
		{"example.com", "example.com:21"},
		{"example.com:2121", "example.com:2121"},
		{"127.0.0.1:2121", "127.0.0.1:2121"},
		{"::1", "[::1]:21"},
		{"[::1]:2121", "[::1]:2121"},
		{"ftp://h:3/x", "h:3"},
		{"ftps://h/x", "h:990"},
	}
	for _, tt := range tests {
		tg, err := pythonTarget(tt.host, false)
		if err != nil || tg.Addr != tt.addr {
			t.Errorf("pythonTarget(%q) = %+v, %v; want addr %q", tt.host, tg, err, tt.addr)
		}
	}
	for _, host := range []string{"", "h/x", "u@h", "h:0", "h:x", "h?x"} {
		if tg, err := pythonTarget(host, false); err == nil {
			t.Errorf("pythonTarget(%q) = %+v, want error", host, tg)
		}
	}
}

func TestIndentReply(t *testing.T) {
	if got := indentReply("550-a\n550 b\n"); got != "550-a\n    550 b" {
		t.Errorf("indentReply = %q", got)
	}
}
