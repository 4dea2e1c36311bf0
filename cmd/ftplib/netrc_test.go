package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseNetrc(t *testing.T) {
	const data = `# a comment line
machine ftp.example.com login alice password "s3cret pass" account acct1
machine Other.Example.Com
	login bob
	password p\ w\"q   # trailing comment
macdef init
cd /pub
binary

machine third login "quoted \"user\"" password ''
default login anonymous password guest@
`
	got, err := parseNetrc("test", data)
	if err != nil {
		t.Fatal(err)
	}
	want := []netrcEntry{
		{Machine: "ftp.example.com", Login: "alice", Password: "s3cret pass", Account: "acct1"},
		{Machine: "Other.Example.Com", Login: "bob", Password: `p w"q`},
		{Machine: "third", Login: `quoted "user"`, Password: "''"},
		{Default: true, Login: "anonymous", Password: "guest@"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestParseNetrcUserKeyword(t *testing.T) {
	got, err := parseNetrc("x", "machine h user u password p")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Login != "u" || got[0].Password != "p" {
		t.Errorf("got %+v", got)
	}
}

func TestParseNetrcErrors(t *testing.T) {
	tests := []struct{ data, want string }{
		{"machine", `x:1: missing host name after "machine"`},
		{"machine h login", `x:1: missing value after "login"`},
		{"login u", `x:1: "login" outside a machine or default entry`},
		{"machine h\n\nlogin u passwd p", `x:3: unexpected token "passwd"`},
		{"machine h macdef", `missing macro name`},
		{"bogus", `x:1: unexpected token "bogus"`},
	}
	for _, tt := range tests {
		_, err := parseNetrc("x", tt.data)
		if err == nil {
			t.Errorf("parseNetrc(%q): no error", tt.data)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseNetrc(%q) = %q, want it to say %q", tt.data, err, tt.want)
		}
	}
}

func TestParseNetrcMacroEndsEntry(t *testing.T) {
	// Tokens after a macro body belong to the top level again, so a
	// "login" there is an error rather than a silent change of the entry
	// before the macro.
	_, err := parseNetrc("x", "machine h login a\nmacdef m\nline\n\nlogin b\n")
	if err == nil {
		t.Fatal("login after a macro body was accepted")
	}
	// A macro body is skipped even when it holds keywords.
	got, err := parseNetrc("x", "macdef m\nmachine evil login x\n\nmachine h login a\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Machine != "h" {
		t.Errorf("macro body parsed as entries: %+v", got)
	}
}

func TestLookupNetrc(t *testing.T) {
	entries := []netrcEntry{
		{Machine: "h", Login: "alice", Password: "a"},
		{Machine: "H", Login: "bob", Password: "b"},
		{Machine: "h", Login: "alice", Password: "second"},
		{Default: true, Login: "dflt", Password: "d"},
	}
	tests := []struct {
		host, user string
		want       string // password, "" for no match
	}{
		{"h", "", "a"},
		{"h", "bob", "b"},
		{"H", "alice", "a"},
		{"other", "", "d"},
		{"h", "carol", ""},
		{"other", "dflt", "d"},
		{"other", "x", ""},
	}
	for _, tt := range tests {
		e, ok := lookupNetrc(entries, tt.host, tt.user)
		if ok != (tt.want != "") || e.Password != tt.want {
			t.Errorf("lookupNetrc(%q, %q) = %+v, %v; want password %q", tt.host, tt.user, e, ok, tt.want)
		}
	}
	if _, ok := lookupNetrc(nil, "h", ""); ok {
		t.Error("lookup in no entries succeeded")
	}
}

func TestNetrcPath(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"HOME": dir}
	getenv := func(k string) string { return env[k] }
	if p := netrcPath(getenv); p != filepath.Join(dir, ".netrc") {
		t.Errorf("netrcPath = %q", p)
	}
	os.WriteFile(filepath.Join(dir, "_netrc"), []byte(""), 0o600)
	if p := netrcPath(getenv); p != filepath.Join(dir, "_netrc") {
		t.Errorf("with only _netrc: %q", p)
	}
	os.WriteFile(filepath.Join(dir, ".netrc"), []byte(""), 0o600)
	if p := netrcPath(getenv); p != filepath.Join(dir, ".netrc") {
		t.Errorf("with both: %q", p)
	}
	env["NETRC"] = "/some/where"
	if p := netrcPath(getenv); p != "/some/where" {
		t.Errorf("with $NETRC: %q", p)
	}
}

func TestReadNetrc(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "none")
	if e, err := readNetrc(missing, false, false); err != nil || e != nil {
		t.Errorf("missing optional file: %v, %v", e, err)
	}
	if _, err := readNetrc(missing, true, false); err == nil {
		t.Error("missing required file: no error")
	}
	p := filepath.Join(dir, "rc")
	os.WriteFile(p, []byte("machine h login u password p\n"), 0o600)
	e, err := readNetrc(p, true, false)
	if err != nil || len(e) != 1 || e[0].Password != "p" {
		t.Errorf("readNetrc = %+v, %v", e, err)
	}
	os.WriteFile(p, []byte("machine h junk\n"), 0o600)
	if _, err := readNetrc(p, false, false); err == nil || !strings.Contains(err.Error(), p+":1:") {
		t.Errorf("bad file: %v", err)
	}
}

func FuzzParseNetrc(f *testing.F) {
	for _, s := range []string{
		"machine h login u password p account a",
		"default login x password \"y z\"",
		"macdef m\nfoo\n\nmachine h",
		"# c\nmachine h login \"unterminated",
		"machine h login a\\",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		entries, err := parseNetrc("f", data)
		if err != nil {
			if _, ok := err.(*netrcError); !ok {
				t.Fatalf("error %T %v", err, err)
			}
			if entries != nil {
				t.Fatal("entries with an error")
			}
			return
		}
		for _, e := range entries {
			if e.Default && e.Machine != "" {
				t.Fatalf("default entry with a machine: %+v", e)
			}
		}
	})
}
