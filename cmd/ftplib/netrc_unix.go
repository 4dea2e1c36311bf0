//go:build unix

package main

import (
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// checkNetrcAccess applies the rule of Python's netrc module to the
// default netrc file (~/.netrc) when it holds a login other than
// "anonymous": the file must belong to the current user and be neither
// readable nor writable by anyone else, since it holds passwords.
func checkNetrcAccess(file string, fi fs.FileInfo) error {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if uid := os.Getuid(); int64(st.Uid) != int64(uid) {
			return &netrcError{file: file, msg: fmt.Sprintf(
				"file owner (%s) does not match the current user (%s); refusing a login file another user can change",
				userName(int64(st.Uid)), userName(int64(uid)))}
		}
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return &netrcError{file: file, msg: fmt.Sprintf(
			"access too permissive (mode %04o): it holds logins, so permissions must restrict access to only the owner (chmod 600 %s)",
			perm, file)}
	}
	return nil
}

// userName returns the name of the user with ID uid, or "uid N".
func userName(uid int64) string {
	id := strconv.FormatInt(uid, 10)
	if u, err := user.LookupId(id); err == nil {
		return u.Username
	}
	return "uid " + id
}
