package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// netrcEntry is one machine (or the default) entry of a netrc file.
type netrcEntry struct {
	Machine  string // "" for the default entry
	Default  bool
	Login    string
	Password string
	Account  string
}

// netrcError reports a netrc file that cannot be parsed.
type netrcError struct {
	file string
	line int
	msg  string
}

func (e *netrcError) Error() string {
	if e.line == 0 {
		return fmt.Sprintf("%s: %s", e.file, e.msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.file, e.line, e.msg)
}

// netrcLexer splits a netrc file into tokens as Python's netrc module
// does: whitespace separates tokens, a token may be double-quoted, and a
// backslash takes the next character literally.
type netrcLexer struct {
	s    string
	pos  int
	line int
}

// next returns the next token and the line it starts on, or ok=false at
// the end of the input.
func (l *netrcLexer) next() (tok string, line int, ok bool) {
	for l.pos < len(l.s) && isNetrcSpace(l.s[l.pos]) {
		if l.s[l.pos] == '\n' {
			l.line++
		}
		l.pos++
	}
	if l.pos >= len(l.s) {
		return "", l.line, false
	}
	line = l.line
	var b strings.Builder
	if l.s[l.pos] == '"' {
		l.pos++
		for l.pos < len(l.s) && l.s[l.pos] != '"' {
			c := l.s[l.pos]
			if c == '\\' && l.pos+1 < len(l.s) {
				l.pos++
				c = l.s[l.pos]
			}
			if c == '\n' {
				l.line++
			}
			b.WriteByte(c)
			l.pos++
		}
		l.pos++ // the closing quote, if any
		return b.String(), line, true
	}
	for l.pos < len(l.s) && !isNetrcSpace(l.s[l.pos]) {
		c := l.s[l.pos]
		if c == '\\' && l.pos+1 < len(l.s) {
			l.pos++
			c = l.s[l.pos]
		}
		b.WriteByte(c)
		l.pos++
	}
	return b.String(), line, true
}

// skipLine drops the rest of the current line (a comment).
func (l *netrcLexer) skipLine() {
	for l.pos < len(l.s) && l.s[l.pos] != '\n' {
		l.pos++
	}
}

// skipMacro drops a macdef body: the lines that follow, up to and
// including the first empty line.
func (l *netrcLexer) skipMacro() {
	l.skipLine()
	for l.pos < len(l.s) {
		l.pos++ // the '\n'
		l.line++
		start := l.pos
		l.skipLine()
		if strings.TrimRight(l.s[start:l.pos], " \t\r") == "" {
			return
		}
	}
}

func isNetrcSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// parseNetrc parses the text of a netrc file named file (for messages).
// It knows the keywords machine, default, login (or user), password,
// account and macdef (whose body is skipped); a '#' where a keyword is
// expected starts a comment. Any other token is an error, as in Python's netrc module.
func parseNetrc(file, data string) ([]netrcEntry, error) {
	l := &netrcLexer{s: data, line: 1}
	var entries []netrcEntry
	var cur *netrcEntry
	for {
		tok, line, ok := l.next()
		if !ok {
			return entries, nil
		}
		value := func(what string) (string, error) {
			v, _, ok := l.next()
			if !ok {
				return "", &netrcError{file, line, fmt.Sprintf("missing %s after %q", what, tok)}
			}
			return v, nil
		}
		switch tok {
		case "machine":
			name, err := value("host name")
			if err != nil {
				return nil, err
			}
			entries = append(entries, netrcEntry{Machine: name})
			cur = &entries[len(entries)-1]
		case "default":
			entries = append(entries, netrcEntry{Default: true})
			cur = &entries[len(entries)-1]
		case "login", "user", "password", "account":
			v, err := value("value")
			if err != nil {
				return nil, err
			}
			if cur == nil {
				return nil, &netrcError{file, line, fmt.Sprintf("%q outside a machine or default entry", tok)}
			}
			switch tok {
			case "login", "user":
				cur.Login = v
			case "password":
				cur.Password = v
			case "account":
				cur.Account = v
			}
		case "macdef":
			if _, err := value("macro name"); err != nil {
				return nil, err
			}
			l.skipMacro()
			cur = nil
		default:
			if strings.HasPrefix(tok, "#") {
				l.skipLine()
				continue
			}
			return nil, &netrcError{file, line, fmt.Sprintf("unexpected token %q", tok)}
		}
	}
}

// lookupNetrc returns the entry for host: the first machine entry naming
// it (host names compare case-insensitively) whose login is user when
// user is not empty; failing that, the default entry under the same
// condition.
func lookupNetrc(entries []netrcEntry, host, user string) (netrcEntry, bool) {
	match := func(e netrcEntry) bool { return user == "" || e.Login == user }
	for _, e := range entries {
		if !e.Default && strings.EqualFold(e.Machine, host) && match(e) {
			return e, true
		}
	}
	for _, e := range entries {
		if e.Default && match(e) {
			return e, true
		}
	}
	return netrcEntry{}, false
}

// netrcPath returns the netrc file to read: $NETRC when set, else
// ~/.netrc (or ~/_netrc on Windows when only that one exists), or "" when
// there is no home directory.
func netrcPath(getenv func(string) string) string {
	if p := getenv("NETRC"); p != "" {
		return p
	}
	home := getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		home = h
	}
	p := filepath.Join(home, ".netrc")
	if _, err := os.Stat(p); err != nil {
		alt := filepath.Join(home, "_netrc")
		if _, err2 := os.Stat(alt); err2 == nil {
			return alt
		}
	}
	return p
}

// readNetrc reads and parses the netrc file at path. A missing file is no
// entries and no error unless mustExist is set. isDefault says that path
// is the default file (~/.netrc), neither named by $NETRC nor given with
// -r: on Unix, as in Python's netrc module, it is then refused when it
// holds a login other than "anonymous" and another user owns it or may
// read or write it.
func readNetrc(path string, mustExist, isDefault bool) ([]netrcEntry, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) && !mustExist {
			return nil, nil
		}
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	entries, err := parseNetrc(path, string(b))
	if err != nil || !isDefault {
		return entries, err
	}
	for _, e := range entries {
		if e.Login != "anonymous" {
			fi, err := f.Stat()
			if err != nil {
				return nil, err
			}
			if err := checkNetrcAccess(path, fi); err != nil {
				return nil, err
			}
			break
		}
	}
	return entries, nil
}
