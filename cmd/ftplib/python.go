package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"slices"
	"strings"
)

// python runs the interface of Python's "python -m ftplib":
//
//	[-d]... [-r[FILE]] HOST [-l[DIR]] [-d[DIR]] [-p] [FILE]...
//
// Before HOST, each -d raises the debug level and -r names the netrc file
// (default ~/.netrc). The login is the netrc entry for HOST, or anonymous.
// After HOST the arguments run in order: -l lists DIR (LIST), -d sends
// CWD DIR, -p toggles passive mode, anything else downloads that file to
// stdout.
//
// Extensions: HOST may carry a port or be an ftp:// or ftps:// URL (whose
// user and password win over netrc), the connection flags (--timeout,
// --active, --insecure, --explicit-tls, -v, --log-json) are accepted
// before HOST, and debug output goes to stderr rather than stdout. -d
// sets ftplib's debug level (its text output); -v and --log-json log
// package ftp's structured records.
func (c *cli) python(ctx context.Context, args []string) error {
	o := newOptions()
	fs := newFlagSet("")
	o.register(fs)
	debug := 0
	rcFile, hasRC := "", false
	var preflags []string
	i := 0
flags:
	for i < len(args) {
		a := args[i]
		switch {
		case a == "-d":
			debug++
			i++
		case strings.HasPrefix(a, "-r"):
			rcFile, hasRC = a[2:], true
			i++
		case a == "--":
			i++
			break flags
		case strings.HasPrefix(a, "-") && a != "-":
			// One connection flag, with its value in the next argument
			// when it takes one and has no "=" (--timeout 5s).
			n := 1
			if name := strings.TrimLeft(a, "-"); !strings.Contains(name, "=") && takesValue(fs, name) && i+1 < len(args) {
				n = 2
			}
			if err := fs.Parse(args[i : i+n]); err != nil {
				return usagef("", "%v", err)
			}
			preflags = append(preflags, args[i:i+n]...)
			i += n
		default:
			break flags
		}
	}
	if i >= len(args) {
		return usagef("", "missing HOST")
	}
	host, cmds := args[i], args[i+1:]
	if cmd := lookupCommand(host); cmd != nil && debug == 0 && !hasRC {
		// "ftplib -v get URL": connection flags before a command.
		return cmd.run(c, ctx, append(preflags, cmds...))
	}
	if !strings.Contains(host, "://") && slices.ContainsFunc(cmds, func(a string) bool { return strings.Contains(a, "://") }) {
		// "ftplib frobnicate ftp://h/": a mistyped command, not a host
		// (the Python interface takes file names after HOST, not URLs).
		if lookupCommand(host) != nil {
			return usagef("", "-d and -r belong to the Python interface; %s takes -v", host)
		}
		return &usageError{msg: fmt.Sprintf("unknown command %q%s", host, suggest(host)), full: true}
	}
	t, err := pythonTarget(host, o.explicitTLS)
	if err != nil {
		return usagef("", "%v", err)
	}
	o.debug = debug

	cr := credentials{Source: "anonymous"}
	switch {
	case t.HasPass:
		cr = credentials{User: t.User, Pass: t.Pass, Source: "URL"}
	default:
		path := rcFile
		if path == "" {
			path = netrcPath(c.getenv)
		}
		entries, err := readNetrc(path, hasRC, !hasRC && c.getenv("NETRC") == "")
		if err != nil {
			if _, ok := err.(*netrcError); ok {
				return fmt.Errorf("netrc: %w", err)
			}
			// Python: an unreadable account file given with -r means an
			// anonymous login, with a note.
			c.warnf("cannot read %s; logging in as anonymous", path)
			break
		}
		if entries == nil && !hasRC {
			break
		}
		e, ok := lookupNetrc(entries, t.Host, t.User)
		if !ok {
			c.warnf("no account for %s in %s; logging in as anonymous", t.Host, path)
			break
		}
		cr = credentials{User: e.Login, Pass: e.Password, Acct: e.Account, Source: "netrc"}
		if t.User != "" {
			cr.User = t.User
		}
	}
	if t.User != "" && cr.Source == "anonymous" {
		cr = credentials{User: t.User, Source: "URL"}
	}

	s, err := c.login(ctx, t, o, cr)
	if err != nil {
		return err
	}
	defer s.close()
	passive := !o.active
	for _, a := range cmds {
		switch {
		case strings.HasPrefix(a, "-l"):
			err = s.Dir(ctx, func(line string) error {
				_, err := fmt.Fprintln(c.stdout, printable(line))
				return err
			}, a[2:])
		case strings.HasPrefix(a, "-d"):
			cmd := "CWD"
			if a[2:] != "" {
				cmd += " " + a[2:]
			}
			_, err = s.SendCmd(ctx, cmd)
		case a == "-p":
			passive = !passive
			s.SetPasv(passive)
		default:
			_, err = s.RetrBinary(ctx, "RETR "+a, c.stdout)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", a, err)
		}
	}
	return nil
}

// pythonTarget turns the HOST argument of the Python interface into a
// target: "host", "host:port", an IPv6 literal with or without brackets,
// or an ftp:// or ftps:// URL.
func pythonTarget(host string, explicitTLS bool) (*target, error) {
	if strings.Contains(host, "://") {
		return parseURL(host, explicitTLS)
	}
	if strings.ContainsAny(host, "/@?#") || host == "" {
		return nil, &urlError{url: redactURL(host), reason: "want HOST, HOST:PORT or an ftp:// URL"}
	}
	if ip := net.ParseIP(host); ip != nil && strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return parseURL("ftp://"+host, explicitTLS)
}

// takesValue reports whether the flag name of fs needs a value, that is,
// exists and is not a boolean flag.
func takesValue(fs *flag.FlagSet, name string) bool {
	f := fs.Lookup(name)
	if f == nil {
		return false
	}
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return !ok || !b.IsBoolFlag()
}
