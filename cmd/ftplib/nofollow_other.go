//go:build !unix

package main

import (
	"io/fs"
	"os"
)

// openNoFollow opens name for appending (creating it with mode perm) the
// way os.OpenFile does, but refuses a symbolic link at name instead of
// writing where it points. Without O_NOFOLLOW the link is looked for
// first.
func openNoFollow(name string, perm os.FileMode) (*os.File, error) {
	if fi, err := os.Lstat(name); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return nil, errSymlink(name)
	}
	return os.OpenFile(name, os.O_WRONLY|os.O_CREATE, perm)
}
