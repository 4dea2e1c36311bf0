//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNetrcAccessCheck(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, ".netrc")
	write := func(text string, mode os.FileMode) {
		t.Helper()
		if err := os.WriteFile(p, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // past the umask
			t.Fatal(err)
		}
	}
	login := "machine h login bob password pw\n"

	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o620, 0o602, 0o610, 0o666} {
		write(login, mode)
		_, err := readNetrc(p, false, true)
		if err == nil || !strings.Contains(err.Error(), "access too permissive") || !strings.Contains(err.Error(), "chmod 600 "+p) {
			t.Errorf("mode %04o: %v, want access too permissive", mode, err)
		}
		if _, ok := err.(*netrcError); !ok {
			t.Errorf("mode %04o: error %T, want *netrcError", mode, err)
		}
		// $NETRC or -r: a file named by the user is not checked, as in
		// Python (netrc.netrc(file)).
		if e, err := readNetrc(p, false, false); err != nil || len(e) != 1 {
			t.Errorf("mode %04o, named file: %v, %v", mode, e, err)
		}
	}
	for _, mode := range []os.FileMode{0o600, 0o400, 0o700} {
		write(login, mode)
		if e, err := readNetrc(p, false, true); err != nil || len(e) != 1 {
			t.Errorf("mode %04o: %v, %v", mode, e, err)
		}
	}
	// Python checks when an entry's login is not "anonymous", with or
	// without a password; an entry without a login counts too.
	for text, refused := range map[string]bool{
		"machine h login anonymous password me@x\n":                           false,
		"default login anonymous password me@x\n":                             false,
		"machine h login bob\n":                                               true,
		"machine h password pw\n":                                             true,
		"machine a login anonymous password x machine b login bob password y": true,
		"":                                     false,
		"macdef init\ncd /\n\n":                false,
		"# only a comment\n":                   false,
		"default login anonymous\nmachine h\n": true,
	} {
		write(text, 0o644)
		_, err := readNetrc(p, false, true)
		if refused != (err != nil) {
			t.Errorf("%q at 0644: error %v, want refused %v", text, err, refused)
		}
	}

	// Another owner: only root can set that up.
	write(login, 0o600)
	if err := os.Chown(p, 12345, -1); err != nil {
		t.Skipf("cannot give the file away (not root): %v", err)
	}
	_, err := readNetrc(p, false, true)
	if err == nil || !strings.Contains(err.Error(), "does not match the current user") {
		t.Errorf("file of another user: %v", err)
	}
}
