// Command ftplib is an FTP and FTPS client for the command line, built on
// package ftp.
//
// It speaks the interface of Python's "python -m ftplib":
//
//	ftplib [-d]... [-r[file]] host[:port] [-l[dir]] [-d[dir]] [-p] [file]...
//
// and has subcommands for scripted transfers:
//
//	ftplib ls [-l] URL               list a directory
//	ftplib get [-c] URL [LOCAL]      download a file (-c: resume)
//	ftplib put LOCAL URL             upload a file
//	ftplib rm URL                    delete a file (a directory with a trailing /)
//	ftplib mkdir URL                 create a directory
//	ftplib mirror URL LOCALDIR       mirror a directory tree (-R: upload)
//	ftplib demo                      a visible session against an in-process server
//
// URLs are ftp://[user[:password]@]host[:port]/path or ftps://... for
// implicit FTPS (port 990); --explicit-tls uses AUTH TLS instead. Without
// a password in the URL the login comes from ~/.netrc ($NETRC), else from
// $FTP_PASSWORD (with $FTP_USER), else it is anonymous.
//
// Proxies come from $ftp_proxy ($ftps_proxy for ftps:// URLs), else
// $all_proxy, lower case first, then upper case, as in curl: socks5:// or
// http:// URLs (no scheme means http). $no_proxy (else $NO_PROXY) lists
// the hosts reached directly ("*", names with their subdomains, IPs).
//
// get, put and mirror take --retries N: a broken transfer is retried on a
// fresh connection and resumed where it broke; mirror takes --parallel N
// to download N files at once. Both go through one pooled ftp.Client.
//
// Exit status: 0 success, 1 a transfer, server or local error (the
// server's reply is printed), 2 a bad command line.
package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"
)

// cli is one run of the tool: its standard streams and environment, so
// that tests and the demo can run it in-process.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// tty is true when stderr is a terminal: progress bars are drawn.
	tty bool
	// rootCAs, when not nil, replaces the system's trusted roots (the
	// demo trusts its own server this way).
	rootCAs *x509.CertPool
	// prog is the program name in messages.
	prog string

	// log receives package ftp's records (-v, --log-json), built by
	// logger; logFile is the --log-json file, closed by closeLog.
	log     *slog.Logger
	logFile *os.File
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	c := &cli{
		stdin:  os.Stdin,
		stdout: os.Stdout,
		stderr: os.Stderr,
		getenv: os.Getenv,
		tty:    isTerminal(os.Stderr),
		prog:   "ftplib",
	}
	code := c.main(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// command is a subcommand.
type command struct {
	name    string
	args    string // synopsis after the name
	summary string
	help    string // more lines for "help NAME", may be empty
	run     func(c *cli, ctx context.Context, args []string) error
}

var commands []*command

func init() {
	commands = []*command{
		{name: "ls", args: "[-l] URL", summary: "list a directory (names; -l: the server's LIST lines)", run: (*cli).cmdLs},
		{name: "get", args: "[-c] URL [LOCAL]", summary: "download a file (LOCAL \"-\" is stdout; -c resumes)", run: (*cli).cmdGet,
			help: "The file is written to a temporary file next to LOCAL and renamed\n" +
				"when complete; a failed download leaves nothing behind. With -c the\n" +
				"download appends to LOCAL from its current size (REST), and a\n" +
				"failure keeps what arrived, so that -c can resume it again. A\n" +
				"symbolic link at LOCAL is not followed (-c refuses it).\n" +
				"With --retries N a broken transfer is retried up to N times on a\n" +
				"fresh connection and resumes where it broke (REST)."},
		{name: "put", args: "LOCAL URL", summary: "upload a file (LOCAL \"-\" is stdin; a URL ending in / gets LOCAL's name)", run: (*cli).cmdPut,
			help: "With --retries N a broken upload of a regular file is retried up to\n" +
				"N times on a fresh connection and resumes where the server's copy\n" +
				"ends (SIZE, then REST and STOR); stdin cannot resume."},
		{name: "rm", args: "URL", summary: "delete a file, or an empty directory when the URL ends in /", run: (*cli).cmdRm},
		{name: "mkdir", args: "URL", summary: "create a directory", run: (*cli).cmdMkdir},
		{name: "mirror", args: "[-R] [--parallel N] [--retries N] [--delete] [--dry-run] [--verify] URL LOCALDIR", summary: "mirror a directory tree into LOCALDIR (-R: LOCALDIR onto URL)", run: (*cli).cmdMirror,
			help: "Flags: -R uploads LOCALDIR to the URL instead (as lftp's mirror -R);\n" +
				"--parallel N transfers up to N files at once on N connections (1);\n" +
				"--retries N retries a broken transfer N times, resuming it;\n" +
				"--delete removes from the target what the source no longer has;\n" +
				"--dry-run prints what would be transferred and deleted; --verify\n" +
				"checks each file after its transfer (server checksum, else size).\n" +
				"Only files whose size or modification time differ are transferred,\n" +
				"and each keeps its source's modification time. Files are written\n" +
				"under a temporary name (.NAME.ftpmirror-ID.part) and renamed when\n" +
				"complete; an interrupted mirror is resumed by the next one. Links\n" +
				"and special files are skipped. An entry whose name could escape\n" +
				"LOCALDIR or smuggle a command (\"..\", an absolute path, \"/\" or \"\\\",\n" +
				"a control character), or whose local path is a symbolic link, is\n" +
				"skipped with a message; the rest is mirrored, and the exit status\n" +
				"is 1."},
		{name: "demo", args: "", summary: "run a visible session against an in-process ftptest server", run: (*cli).cmdDemo},
	}
}

func lookupCommand(name string) *command {
	for _, cmd := range commands {
		if cmd.name == name {
			return cmd
		}
	}
	return nil
}

// suggest returns " (did you mean NAME?)" for the command closest to the
// mistyped name, or "" when none is close.
func suggest(name string) string {
	best, bestDist := "", 3 // at most two edits away
	for _, cmd := range commands {
		if d := editDistance(strings.ToLower(name), cmd.name); d < bestDist && d < len(cmd.name) {
			best, bestDist = cmd.name, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// main runs the tool with args (without the program name) and returns the
// exit code.
func (c *cli) main(ctx context.Context, args []string) int {
	if c.prog == "" {
		c.prog = "ftplib"
	}
	if len(args) == 0 {
		c.usage(c.stderr)
		return exitUsage
	}
	var err error
	switch a := args[0]; {
	case a == "-h" || a == "-help" || a == "--help" || a == "help":
		if len(args) > 1 && a == "help" {
			cmd := lookupCommand(args[1])
			if cmd == nil {
				err = usagef("", "unknown command %q%s", args[1], suggest(args[1]))
				break
			}
			c.commandHelp(c.stdout, cmd)
			return exitOK
		}
		c.usage(c.stdout)
		return exitOK
	case lookupCommand(a) != nil:
		err = lookupCommand(a).run(c, ctx, args[1:])
	default:
		err = c.python(ctx, args)
	}
	if cerr := c.closeLog(); err == nil {
		err = cerr
	}
	return c.report(err)
}

// report prints err, if any, and returns the exit code for it.
func (c *cli) report(err error) int {
	if err == nil {
		return exitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		if errors.Is(err, errHelp) {
			cmd := lookupCommand(ue.cmd)
			c.commandHelp(c.stdout, cmd)
			return exitOK
		}
		fmt.Fprintf(c.stderr, "%s: %s\n", c.prog, ue.msg)
		if ue.full {
			c.usage(c.stderr)
		} else if cmd := lookupCommand(ue.cmd); cmd != nil {
			fmt.Fprintf(c.stderr, "usage: %s %s %s\nRun '%s help %s' for details.\n", c.prog, cmd.name, cmd.args, c.prog, cmd.name)
		} else {
			fmt.Fprintf(c.stderr, "Run '%s help' for usage.\n", c.prog)
		}
		return exitUsage
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(c.stderr, "%s: interrupted\n", c.prog)
		return exitFail
	}
	fmt.Fprintf(c.stderr, "%s: %s\n", c.prog, indentReply(err.Error()))
	return exitFail
}

// indentReply indents the continuation lines of a multi-line server reply
// so that the message stays readable, and escapes the control characters
// other than newline and tab that the server may have put in it (see
// escapeControls).
func indentReply(s string) string {
	return strings.ReplaceAll(escapeControls(strings.TrimRight(s, "\n")), "\n", "\n    ")
}

// escapeControls replaces each control character of s but newline and
// tab (C0, DEL, C1) and each byte of invalid UTF-8 with its Go escape
// (\x1b, \r, \u009b), so that text from the server cannot drive the
// terminal.
func escapeControls(s string) string {
	bad := func(r rune) bool { return r == utf8.RuneError || unicode.IsControl(r) && r != '\n' && r != '\t' }
	if !strings.ContainsFunc(s, bad) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case bad(r) && r != utf8.RuneError:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// errHelp marks a usageError that is a request for help (-h).
var errHelp = errors.New("help requested")

func (c *cli) usage(w io.Writer) {
	fmt.Fprintf(w, `Usage:
  %[1]s [-d]... [-r[FILE]] HOST[:PORT] [-l[DIR]] [-d[DIR]] [-p] [FILE]...
      The interface of Python's "python -m ftplib": log in (netrc
      or anonymous), then in order: -l list DIR (LIST), -d change to DIR
      (CWD), -p toggle passive mode, FILE download FILE to stdout.
      Before HOST, -d raises the debug level, -r reads FILE (default
      ~/.netrc) for the login. HOST may also be an ftp:// or ftps:// URL.

  %[1]s COMMAND [FLAGS] ARGS...
`, c.prog)
	for _, cmd := range commands {
		syn := cmd.name
		if cmd.args != "" {
			syn += " " + cmd.args
		}
		fmt.Fprintf(w, "      %-24s %s\n", syn, cmd.summary)
	}
	fmt.Fprintf(w, `
URLs: ftp://[USER[:PASSWORD]@]HOST[:PORT]/PATH, or ftps:// for implicit FTPS
(port 990). PATH is relative to the login directory; start it with // or
%%2F for an absolute path. Without a password in the URL, the login comes
from ~/.netrc ($NETRC), else from $FTP_PASSWORD (and $FTP_USER), else it is
anonymous. On Unix, ~/.netrc holding logins must be private (chmod 600), as
Python requires. Passwords are never printed.

Flags of every command (anywhere on the line):
  --explicit-tls   AUTH TLS on the plain port (ftp:// or ftps://)
  --cacert FILE    trust the PEM certificates in FILE instead of the system's
                   roots (a self-signed server); on Unix but macOS,
                   $SSL_CERT_FILE and $SSL_CERT_DIR also name the file and
                   directories the system's roots are read from
  --insecure       accept any server certificate (checks nothing)
  --active         active mode (the server connects back) instead of passive
  --pret           send PRET before every PASV/EPSV (drftpd and the like;
                   without it, PRET is sent once FEAT lists it)
  --timeout D      I/O timeout of each network operation (default %v, 0: none)
  -v               log each command, reply, data connection and transfer on
                   stderr as text records (PASS masked); -v -v adds the
                   raw lines
  --log-json[=FILE]
                   log the same records as JSON lines, on stderr or
                   appended to FILE

Exit status: 0 success, 1 transfer or server error, 2 bad command line.
`, defaultTimeout)
}

func (c *cli) commandHelp(w io.Writer, cmd *command) {
	if cmd == nil {
		c.usage(w)
		return
	}
	syn := cmd.name
	if cmd.args != "" {
		syn += " " + cmd.args
	}
	fmt.Fprintf(w, "usage: %s %s\n\n%s.\n", c.prog, syn, strings.ToUpper(cmd.summary[:1])+cmd.summary[1:])
	if cmd.help != "" {
		fmt.Fprintf(w, "\n%s\n", cmd.help)
	}
	if cmd.name != "demo" {
		fmt.Fprintf(w, "\nFlags: --explicit-tls --cacert FILE --insecure --active --pret --timeout D -v --log-json[=FILE] (see '%s help').\n", c.prog)
	}
}
