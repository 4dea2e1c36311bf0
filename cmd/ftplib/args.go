package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Exit codes.
const (
	exitOK    = 0 // success
	exitFail  = 1 // transfer, server or local I/O error
	exitUsage = 2 // bad command line
)

// usageError is a bad command line; it exits with exitUsage.
type usageError struct {
	cmd string // subcommand, "" for the top level
	msg string
	err error // errHelp for -h, else nil
	// full asks for the whole usage after the message (a mistyped
	// command).
	full bool
}

func (e *usageError) Error() string { return e.msg }
func (e *usageError) Unwrap() error { return e.err }

func usagef(cmd, format string, args ...any) error {
	return &usageError{cmd: cmd, msg: fmt.Sprintf(format, args...)}
}

// counter is a flag that counts how often it is given: -v -v is 2.
type counter int

func (c *counter) String() string   { return strconv.Itoa(int(*c)) }
func (c *counter) IsBoolFlag() bool { return true }
func (c *counter) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("want no value")
	}
	if b {
		*c++
	} else {
		*c = 0
	}
	return nil
}

// options are the connection flags every subcommand takes.
type options struct {
	explicitTLS bool
	insecure    bool
	cacert      string
	active      bool
	pret        bool
	timeout     time.Duration
	verbose     counter
	logJSON     logJSONFlag
	// debug is ftplib's debug level (the Python interface's -d).
	debug int
}

// defaultTimeout bounds every network operation unless --timeout says
// otherwise, so that a dead server cannot hang a script forever.
const defaultTimeout = 30 * time.Second

// register adds the connection flags to fs.
func (o *options) register(fs *flag.FlagSet) {
	fs.BoolVar(&o.explicitTLS, "explicit-tls", false, "secure the control connection with AUTH TLS on the plain port (ftp:// or ftps://)")
	fs.BoolVar(&o.insecure, "insecure", false, "accept any server certificate (self-signed test servers)")
	fs.StringVar(&o.cacert, "cacert", "", "trust the PEM certificates in `FILE` instead of the system's (a self-signed server)")
	fs.BoolVar(&o.active, "active", false, "active mode: the server connects back (PORT/EPRT) instead of passive")
	fs.BoolVar(&o.pret, "pret", false, "send PRET before every PASV/EPSV (servers such as drftpd that need it without listing it in FEAT)")
	fs.DurationVar(&o.timeout, "timeout", defaultTimeout, "I/O `timeout` for each network operation, 0 for none")
	fs.Var(&o.verbose, "v", "log commands, replies, data connections and transfers on stderr (PASS masked); -v -v adds the raw lines")
	fs.Var(&o.logJSON, "log-json", "log the same records as JSON lines on stderr, or appended to `FILE` with --log-json=FILE")
}

// parseInterspersed parses flags wherever they appear among the
// positional arguments, as most command-line tools do, and returns the
// positional ones. A "--" ends the flags: everything after it is
// positional. A lone "-" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// parseCommand parses the flags and positional arguments of subcommand
// name: the connection flags when o is not nil, those extra adds, and
// between min and max positional arguments (max < 0: no limit), which are
// returned. Errors are usage errors; -h is a request for help.
func parseCommand(name string, args []string, o *options, extra func(*flag.FlagSet), min, max int) ([]string, error) {
	fs := newFlagSet(name)
	if o != nil {
		o.register(fs)
	}
	if extra != nil {
		extra(fs)
	}
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil, &usageError{cmd: name, msg: "help", err: errHelp}
	}
	if err != nil {
		return nil, usagef(name, "%v", err)
	}
	if len(pos) < min {
		return nil, usagef(name, "%s: missing arguments", name)
	}
	if max >= 0 && len(pos) > max {
		return nil, usagef(name, "%s: too many arguments: %s", name, strings.Join(redactAll(pos[max:]), " "))
	}
	return pos, nil
}

// newFlagSet returns a flag set for a subcommand that prints nothing by
// itself: the caller reports the error Parse returns, with a short usage
// line, or the help for flag.ErrHelp.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// redactAll returns args with the password of each URL among them hidden
// (see redactURL), for messages that quote the command line.
func redactAll(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = redactURL(a)
	}
	return out
}
