//go:build unix

package main

import (
	"errors"
	"os"
	"syscall"
)

// openNoFollow opens name for appending (creating it with mode perm) the
// way os.OpenFile does, but refuses a symbolic link at name instead of
// writing where it points (O_NOFOLLOW).
func openNoFollow(name string, perm os.FileMode) (*os.File, error) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|syscall.O_NOFOLLOW, perm)
	if errors.Is(err, syscall.ELOOP) {
		return nil, errSymlink(name)
	}
	return f, err
}
