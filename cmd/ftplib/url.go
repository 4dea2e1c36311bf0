package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// target is a parsed ftp:// or ftps:// URL.
type target struct {
	// Scheme is "ftp" or "ftps".
	Scheme string
	// Host is the host name or IP address without brackets or port: the
	// name looked up in netrc and checked against the server certificate.
	Host string
	// Addr is host:port, ready to dial.
	Addr string
	// User and Pass come from the URL's userinfo, percent-decoded.
	// HasPass tells an empty password ("user:@") from none ("user@").
	User    string
	Pass    string
	HasPass bool
	// Path is the remote path, percent-decoded: "" is the login
	// directory, "a/b" is relative to it, "/a/b" is absolute (written
	// ftp://host//a/b or ftp://host/%2Fa/b).
	Path string
	// DirHint reports that the URL path ended with "/".
	DirHint bool
	// TLS is true for ftps:// or when explicit TLS was asked for;
	// Implicit tells implicit FTPS (TLS from the first byte) from
	// explicit (AUTH TLS).
	TLS      bool
	Implicit bool
}

// errBadURL is the class of every error parseURL returns.
var errBadURL = errors.New("bad URL")

// urlError is a URL that cannot be used, with the reason.
type urlError struct {
	url    string
	reason string
}

func (e *urlError) Error() string {
	return fmt.Sprintf("bad URL %q: %s", e.url, e.reason)
}

func (e *urlError) Is(target error) bool { return target == errBadURL }

// parseURL parses an ftp:// or ftps:// URL. ftps:// means implicit FTPS
// (default port 990) unless explicitTLS is set; explicitTLS asks for AUTH
// TLS on the control port (default 21) for either scheme.
//
// The URL path is taken as curl does: the first "/" separates it from the
// host, what follows is relative to the login directory, so an absolute
// path needs a second slash or %2F. A query or fragment is refused: a
// '?' or '#' in a file name must be escaped (%3F, %23). A path or user
// info holding CR, LF or NUL is refused, since it could smuggle a command.
func parseURL(raw string, explicitTLS bool) (*target, error) {
	bad := func(format string, args ...any) error {
		return &urlError{url: redactURL(raw), reason: fmt.Sprintf(format, args...)}
	}
	if raw == "" {
		return nil, bad("empty")
	}
	i := strings.Index(raw, "://")
	if i < 0 {
		return nil, bad("want ftp://host/path or ftps://host/path")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, bad("%s", parseReason(raw, err))
	}
	if hp := u.Host[strings.LastIndexByte(u.Host, ']')+1:]; u.User == nil && strings.Contains(hp, ":") && strings.Contains(raw[i+3:], "@") {
		// "ftp://bob:12/3@host/": a password holding an unescaped '/',
		// '?' or '#' that url.Parse took for a port and a path. Going on
		// would print parts of it as the port and the path.
		return nil, bad("ambiguous '@': write '/', '?' and '#' in a password as %%2F, %%3F, %%23, or '@' in a path as %%40")
	}
	t := &target{Scheme: strings.ToLower(u.Scheme)}
	switch t.Scheme {
	case "ftp":
		t.TLS = explicitTLS
	case "ftps":
		t.TLS = true
		t.Implicit = !explicitTLS
	default:
		return nil, bad("scheme %q is not ftp or ftps", u.Scheme)
	}
	if u.Opaque != "" {
		return nil, bad("want ftp://host/path or ftps://host/path")
	}
	if u.RawQuery != "" || u.ForceQuery {
		return nil, bad("has a query; write '?' in a file name as %%3F")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return nil, bad("has a fragment; write '#' in a file name as %%23")
	}
	t.Host = u.Hostname()
	if t.Host == "" {
		return nil, bad("no host")
	}
	if strings.Contains(t.Host, ":") && !strings.HasPrefix(u.Host, "[") {
		return nil, bad("an IPv6 address must be in brackets, as in ftp://[::1]:21/")
	}
	port := u.Port()
	if port == "" {
		port = "21"
		if t.Implicit {
			port = "990"
		}
	} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return nil, bad("port %q out of range", port)
	}
	t.Addr = net.JoinHostPort(t.Host, port)
	if u.User != nil {
		t.User = u.User.Username()
		t.Pass, t.HasPass = u.User.Password()
		if hasControl(t.User) || hasControl(t.Pass) {
			return nil, bad("user or password holds a control character")
		}
	}
	p := u.Path
	if strings.HasPrefix(p, "/") {
		p = p[1:]
	}
	if hasControl(p) {
		return nil, bad("path holds a control character")
	}
	t.DirHint = strings.HasSuffix(p, "/") || p == ""
	if len(p) > 1 {
		p = strings.TrimRight(p, "/")
		if p == "" {
			p = "/"
		}
	}
	t.Path = p
	return t, nil
}

// hasControl reports whether s holds a CR, LF or NUL.
func hasControl(s string) bool {
	return strings.ContainsAny(s, "\r\n\x00")
}

// String returns the URL of t without its password.
func (t *target) String() string {
	u := url.URL{Scheme: t.Scheme, Host: t.Addr}
	if t.User != "" {
		u.User = url.User(t.User)
	}
	p := t.Path
	if t.DirHint && p != "" && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	u.Path = "/" + p
	// An '@' in the path is escaped, so that the printed URL cannot be
	// mistaken for one with user information (parseURL refuses that).
	u.RawPath = strings.ReplaceAll(u.EscapedPath(), "@", "%40")
	return u.String()
}

// join returns a copy of t whose path is name inside t's path.
func (t *target) join(name string) *target {
	c := *t
	switch {
	case t.Path == "":
		c.Path = name
	case strings.HasSuffix(t.Path, "/"):
		c.Path = t.Path + name
	default:
		c.Path = t.Path + "/" + name
	}
	c.DirHint = false
	return &c
}

// base returns the last element of the remote path, or "" when the path
// names a directory.
func (t *target) base() string {
	if t.DirHint {
		return ""
	}
	p := t.Path
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		p = p[i+1:]
	}
	if p == "." || p == ".." {
		return ""
	}
	return p
}

// parseReason returns why url.Parse refused raw, without quoting any part
// of a password: its errors quote the text they stumble on ("invalid URL
// escape", "invalid port"), which may be inside the password. When raw
// may hold a password, the reason is taken from parsing the redacted URL
// instead, or is a general hint when that one parses.
func parseReason(raw string, err error) string {
	red := redactURL(raw)
	if red == raw {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return err.Error()
	}
	if _, err := url.Parse(red); err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return err.Error()
	}
	return "cannot parse the user name or password; percent-encode '%', '/', '?', '#', '@' and spaces in them (%25, %2F, %3F, %23, %40, %20)"
}

// redactURL replaces the password of a URL with "xxxxx" so that it can be
// shown in an error message. The user information normally ends at the
// last '@' before the first '/', '?' or '#'; when there is none there but
// an '@' comes later, a password holding an unescaped '/', '?' or '#' may
// have cut the authority short, so everything up to the last '@' of the
// string is taken as user information. That may hide more than the
// password of an odd URL, never less. A string without "://" (the HOST
// argument of the Python interface) is treated as an authority.
func redactURL(raw string) string {
	start := 0
	if i := strings.Index(raw, "://"); i >= 0 {
		start = i + 3
	}
	rest := raw[start:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndexByte(rest[:end], '@')
	if at < 0 {
		at = strings.LastIndexByte(rest, '@')
	}
	if at < 0 {
		return raw
	}
	colon := strings.IndexByte(rest[:at], ':')
	if colon < 0 {
		return raw
	}
	return raw[:start] + rest[:colon] + ":xxxxx" + rest[at:]
}
