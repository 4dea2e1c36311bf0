package ftp

import (
	"fmt"
	"strings"
)

// lsMissing reports whether line is the message that a server which runs
// ls for LIST (GNU inetutils ftpd, the BSD and netkit ftpds) sends as the
// listing's data, with a 226 reply, when the listed path does not exist:
// "PATH: No such file or directory" (inetutils' own words), or ls's error
// text when its standard error reaches the data connection, as GNU ls
// ("ls: cannot access 'PATH': ...", netkit, where ls is "/bin/ls") or BSD
// ls ("ls: PATH: ...") word it. Only a message naming path itself counts:
// an entry line of a real listing starts with its mode, never with the
// listed path.
func lsMissing(line, path string) bool {
	if path == "" {
		return false
	}
	msg, ok := strings.CutSuffix(strings.TrimRight(line, " \r"), ": No such file or directory")
	if !ok {
		return false
	}
	if msg == path {
		return true
	}
	prog, rest, ok := strings.Cut(msg, ": ")
	if !ok || (prog != "ls" && !strings.HasSuffix(prog, "/ls")) {
		return false
	}
	switch rest {
	case path, "cannot access '" + path + "'", "cannot access " + path:
		return true
	}
	return false
}

// errListMissing is the error a listing yields for an lsMissing line:
// errors.Is(err, fs.ErrNotExist) is true.
func errListMissing(path, line string) error {
	return notExist{fmt.Errorf("ftp: LIST %s: the server listed %q", path, line)}
}
