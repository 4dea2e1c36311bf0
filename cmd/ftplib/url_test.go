package main

import (
	"errors"
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		raw      string
		explicit bool
		want     target
	}{
		{"ftp://example.com", false, target{Scheme: "ftp", Host: "example.com", Addr: "example.com:21", DirHint: true}},
		{"ftp://example.com/", false, target{Scheme: "ftp", Host: "example.com", Addr: "example.com:21", DirHint: true}},
		{"ftp://example.com/pub/file.txt", false, target{Scheme: "ftp", Host: "example.com", Addr: "example.com:21", Path: "pub/file.txt"}},
		{"ftp://example.com/pub/", false, target{Scheme: "ftp", Host: "example.com", Addr: "example.com:21", Path: "pub", DirHint: true}},
		{"ftp://example.com//etc/motd", false, target{Scheme: "ftp", Host: "example.com", Addr: "example.com:21", Path: "/etc/motd"}},
		{"ftp://example.com/%2Fetc/motd", false, target{Scheme: "ftp", Host: "example.com", Addr: "example.com:21", Path: "/etc/motd"}},
		{"ftp://example.com//", false, target{Scheme: "ftp", Host: "example.com", Addr: "example.com:21", Path: "/", DirHint: true}},
		{"ftp://example.com/a%20b%3Fc%23d", false, target{Scheme: "ftp", Host: "example.com", Addr: "example.com:21", Path: "a b?c#d"}},
		{"FTP://Example.COM:2121/x", false, target{Scheme: "ftp", Host: "Example.COM", Addr: "Example.COM:2121", Path: "x"}},
		{"ftp://bob@h/x", false, target{Scheme: "ftp", Host: "h", Addr: "h:21", User: "bob", Path: "x"}},
		{"ftp://bob:s%3Acr%40t@h/x", false, target{Scheme: "ftp", Host: "h", Addr: "h:21", User: "bob", Pass: "s:cr@t", HasPass: true, Path: "x"}},
		{"ftp://bob:@h/x", false, target{Scheme: "ftp", Host: "h", Addr: "h:21", User: "bob", HasPass: true, Path: "x"}},
		{"ftp://[::1]:2121/x", false, target{Scheme: "ftp", Host: "::1", Addr: "[::1]:2121", Path: "x"}},
		{"ftps://h/x", false, target{Scheme: "ftps", Host: "h", Addr: "h:990", Path: "x", TLS: true, Implicit: true}},
		{"ftps://h:4990/x", false, target{Scheme: "ftps", Host: "h", Addr: "h:4990", Path: "x", TLS: true, Implicit: true}},
		{"ftps://h/x", true, target{Scheme: "ftps", Host: "h", Addr: "h:21", Path: "x", TLS: true}},
		{"ftp://h/x", true, target{Scheme: "ftp", Host: "h", Addr: "h:21", Path: "x", TLS: true}},
	}
	for _, tt := range tests {
		got, err := parseURL(tt.raw, tt.explicit)
		if err != nil {
			t.Errorf("parseURL(%q, %v): %v", tt.raw, tt.explicit, err)
			continue
		}
		if *got != tt.want {
			t.Errorf("parseURL(%q, %v)\n got %+v\nwant %+v", tt.raw, tt.explicit, *got, tt.want)
		}
	}
}

func TestParseURLErrors(t *testing.T) {
	tests := []struct{ raw, reason string }{
		{"", "empty"},
		{"example.com/x", "want ftp://"},
		{"/tmp/x", "want ftp://"},
		{"http://example.com/x", `scheme "http"`},
		{"sftp://example.com/x", `scheme "sftp"`},
		{"ftp:///x", "no host"},
		{"ftp://:21/x", "no host"},
		{"ftp://h:0/x", "out of range"},
		{"ftp://h:70000/x", "out of range"},
		{"ftp://h:abc/x", "invalid port"},
		{"ftp://h/x?y", "query"},
		{"ftp://h/x?", "query"},
		{"ftp://h/x#y", "fragment"},
		{"ftp://h/x#", "fragment"},
		{"ftp://h/x%0D%0ADELE%20y", "control character"},
		{"ftp://h/x%00", "control character"},
		{"ftp://u%0Ax:p@h/x", "control character"},
		{"ftp://u:p%0D@h/x", "control character"},
		{"ftp://h/%zz", "invalid URL escape"},
		{"ftp://::", "brackets"},
		{"ftp://::1/x", "brackets"},
		{"ftp://h\n/x", "invalid control character"},
	}
	for _, tt := range tests {
		got, err := parseURL(tt.raw, false)
		if err == nil {
			t.Errorf("parseURL(%q) = %+v, want error", tt.raw, got)
			continue
		}
		if !errors.Is(err, errBadURL) {
			t.Errorf("parseURL(%q) error %v is not errBadURL", tt.raw, err)
		}
		if !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("parseURL(%q) error %q does not say %q", tt.raw, err, tt.reason)
		}
	}
}

func TestParseURLErrorHidesPassword(t *testing.T) {
	_, err := parseURL("ftp://bob:hunter2@h/x?y", false)
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error shows the password: %v", err)
	}
	if !strings.Contains(err.Error(), "bob:xxxxx@h") {
		t.Errorf("error %v does not show the redacted URL", err)
	}
}

func TestParseURLErrorHidesOddPasswords(t *testing.T) {
	// Passwords that url.Parse stumbles on, or takes for a port and a
	// path: no part of them may appear in the error.
	for _, raw := range []string{
		"ftp://bob:s3kr1t/XYZZY@h/x",
		"ftp://bob:s3kr1t?XYZZY@h/x",
		"ftp://bob:s3kr1t#XYZZY@h/x",
		"ftp://bob:4711/XYZZY@h/x",
		"ftp://bob:4711?XYZZY@h/x",
		"ftp://bob:4711#XYZZY@h/x",
		"ftp://bob:99999/XYZZY@h/x",
		"ftp://bob:s3kr1t%zzXYZZY@h/x",
		"ftp://bob:s3kr1t XYZZY@h/x",
		"ftp://bob:s3kr1t[XYZZY@h/x",
	} {
		tg, err := parseURL(raw, false)
		if err == nil {
			t.Errorf("parseURL(%q) = %+v, want an error", raw, *tg)
			continue
		}
		for _, part := range []string{"s3kr1t", "4711", "99999", "XYZZY"} {
			if strings.Contains(err.Error(), part) {
				t.Errorf("parseURL(%q): error shows %q: %v", raw, part, err)
			}
		}
		if !strings.Contains(err.Error(), "bob:xxxxx@h") {
			t.Errorf("parseURL(%q): error %v does not show the redacted URL", raw, err)
		}
	}
	// A port and an '@' in the path, without user information, are still
	// accepted when the '@' is escaped.
	if _, err := parseURL("ftp://h:2121/a%40b", false); err != nil {
		t.Error(err)
	}
}

func FuzzParseURLHidesPassword(f *testing.F) {
	f.Add("u", "p", "w", "h/x")
	f.Add("u", "12/", "", "h")
	f.Add("u", "1", "#a", "h/x@y")
	f.Add("u", "", "%zz", "h")
	f.Fuzz(func(t *testing.T, user, before, after, rest string) {
		// The user name ends at the first ':'; the password, which holds
		// the marker, runs to the last '@'.
		if strings.ContainsAny(user, ":@/?#") || strings.Contains(before+after, "@") {
			return
		}
		raw := "ftp://" + user + ":" + before + "QZX" + after + "@" + rest
		tg, err := parseURL(raw, false)
		if err != nil {
			if strings.Contains(err.Error(), "QZX") {
				t.Fatalf("error for %q shows the password: %v", raw, err)
			}
			return
		}
		if strings.Contains(tg.String()+tg.Addr+tg.Path, "QZX") {
			t.Fatalf("%q parsed to %+v: the password is outside Pass", raw, *tg)
		}
	})
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ftp://h/x", "ftp://h/x"},
		{"ftp://u@h/x", "ftp://u@h/x"},
		{"ftp://u:p@h/x", "ftp://u:xxxxx@h/x"},
		{"ftp://u:p@w@h", "ftp://u:xxxxx@h"},
		{"ftp://u:p@h/a@b", "ftp://u:xxxxx@h/a@b"},
		{"no scheme", "no scheme"},
		// A password holding '/', '?' or '#' ends the authority early.
		{"ftp://u:se/cret@h/x", "ftp://u:xxxxx@h/x"},
		{"ftp://u:se?cret@h/x", "ftp://u:xxxxx@h/x"},
		{"ftp://u:se#cret@h/x", "ftp://u:xxxxx@h/x"},
		{"ftp://u:12/cret@h/a@b", "ftp://u:xxxxx@b"},
		// The HOST argument of the Python interface.
		{"u:secret@h", "u:xxxxx@h"},
		{"u:se/cret@h", "u:xxxxx@h"},
	}
	for _, tt := range tests {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTargetHelpers(t *testing.T) {
	tg, err := parseURL("ftp://bob:pw@h:2121/pub/dir/", false)
	if err != nil {
		t.Fatal(err)
	}
	if s := tg.String(); s != "ftp://bob@h:2121/pub/dir/" {
		t.Errorf("String() = %q", s)
	}
	if b := tg.base(); b != "" {
		t.Errorf("base() of a directory URL = %q, want empty", b)
	}
	f := tg.join("a b.txt")
	if f.Path != "pub/dir/a b.txt" || f.base() != "a b.txt" {
		t.Errorf("join: Path %q base %q", f.Path, f.base())
	}
	if s := f.String(); s != "ftp://bob@h:2121/pub/dir/a%20b.txt" {
		t.Errorf("joined String() = %q", s)
	}
	root, _ := parseURL("ftp://h", false)
	if p := root.join("x").Path; p != "x" {
		t.Errorf("join on the login dir: %q", p)
	}
	abs, _ := parseURL("ftp://h//", false)
	if p := abs.join("x").Path; p != "/x" {
		t.Errorf("join on /: %q", p)
	}
	up, _ := parseURL("ftp://h/a/..", false)
	if b := up.base(); b != "" {
		t.Errorf("base of a/.. = %q", b)
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"ftp://h/x", "ftps://u:p@[::1]:990//a/b/", "ftp://h/%2F", "ftp://h/x?y#z",
		"ftp://u:p@w@h", "ftp:x", "ftp://h:99999", "ftp://%41/",
	} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, raw string, explicit bool) {
		tg, err := parseURL(raw, explicit)
		if err != nil {
			if !errors.Is(err, errBadURL) {
				t.Fatalf("error %v is not errBadURL", err)
			}
			return
		}
		if tg.Host == "" || tg.Addr == "" {
			t.Fatalf("accepted %q without a host: %+v", raw, tg)
		}
		if hasControl(tg.Path) || hasControl(tg.User) || hasControl(tg.Pass) {
			t.Fatalf("accepted %q with a control character: %+v", raw, tg)
		}
		// The printed form parses back to the same target, without the
		// password.
		back, err := parseURL(tg.String(), explicit)
		if err != nil {
			t.Fatalf("String() %q of %q does not parse: %v", tg.String(), raw, err)
		}
		want := *tg
		want.Pass, want.HasPass = "", false
		if *back != want {
			t.Fatalf("round trip of %q via %q:\n got %+v\nwant %+v", raw, tg.String(), *back, want)
		}
	})
}
