package ftp

import (
	"errors"
	"io/fs"
	"testing"
)

func TestLsMissing(t *testing.T) {
	for _, tc := range []struct {
		line, path string
		want       bool
	}{
		{"nosuch: No such file or directory", "nosuch", true},                          // inetutils ftpd
		{"/a/b: No such file or directory\r", "/a/b", true},                            // CR kept
		{"/bin/ls: cannot access 'nosuch': No such file or directory", "nosuch", true}, // netkit ftpd
		{"ls: cannot access 'x y': No such file or directory", "x y", true},
		{"ls: cannot access x: No such file or directory", "x", true},
		{"ls: x: No such file or directory", "x", true},
		{"nosuch: No such file or directory", "other", false},
		{"nosuch: No such file or directory", "", false},
		{"cat: x: No such file or directory", "x", false},
		{"-rw-r--r-- 1 u g 0 Jan  2  2024 x: No such file or directory", "x", false},
		{"nosuch: Permission denied", "nosuch", false},
	} {
		if got := lsMissing(tc.line, tc.path); got != tc.want {
			t.Errorf("lsMissing(%q, %q) = %v, want %v", tc.line, tc.path, got, tc.want)
		}
	}
	err := errListMissing("d", "d: No such file or directory")
	var pe *ParseError
	if !errors.Is(err, fs.ErrNotExist) || errors.As(err, &pe) {
		t.Errorf("errListMissing: %v: not fs.ErrNotExist, or a ParseError", err)
	}
}
