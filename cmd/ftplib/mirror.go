package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/mirror"
)

// mirrorFlags are the flags of the mirror command besides the connection
// flags and the pool flags (--parallel, --retries).
type mirrorFlags struct {
	reverse bool
	delete  bool
	dryRun  bool
	verify  bool
}

// cmdMirror mirrors the directory tree at a URL into a local directory,
// or, with -R, the local directory onto the URL, with package mirror.
func (c *cli) cmdMirror(ctx context.Context, args []string) error {
	o := newOptions()
	var mf mirrorFlags
	var pf poolFlags
	pos, err := parseCommand("mirror", args, o, func(fs *flag.FlagSet) {
		pf.register(fs, true)
		fs.BoolVar(&mf.reverse, "R", false, "reverse: upload LOCALDIR to the URL")
		fs.BoolVar(&mf.delete, "delete", false, "delete what the source no longer has from the target")
		fs.BoolVar(&mf.dryRun, "dry-run", false, "print what would be transferred and deleted; change nothing")
		fs.BoolVar(&mf.verify, "verify", false, "check each file after its transfer (server checksum, else size)")
	}, 2, 2)
	if err != nil {
		return err
	}
	if err := pf.check("mirror"); err != nil {
		return err
	}
	t, err := urlArg("mirror", pos[0], o)
	if err != nil {
		return err
	}
	localDir := pos[1]
	cl, err := c.newClient(t, o, &pf)
	if err != nil {
		return err
	}
	defer cl.Close()

	verb := "get"
	if mf.reverse {
		verb = "put"
	}
	var bar *progress
	if c.tty && o.verbose == 0 && !mf.dryRun {
		bar = newProgress(c.stderr, "mirror", 0, -1, time.Now)
	}
	var last int64
	opts := mirror.Options{
		Parallel: pf.parallel, Delete: mf.delete, DryRun: mf.dryRun, Verify: mf.verify,
		Progress: func(p mirror.Progress) {
			if bar != nil {
				bar.add(int(p.Bytes - last))
				last = p.Bytes
			}
			if p.Done && o.verbose > 0 {
				fmt.Fprintf(c.stderr, "%s: %s %s\n", c.prog, verb, printable(p.Path))
			}
		},
	}
	start := time.Now()
	var res *mirror.Result
	if mf.reverse {
		res, err = mirror.Upload(ctx, cl, localDir, t.Path, opts)
	} else {
		res, err = mirror.Download(ctx, cl, t.Path, localDir, opts)
	}
	if bar != nil {
		bar.Abandon()
	}
	if err != nil && !errors.Is(err, mirror.ErrIncomplete) {
		return fmt.Errorf("mirror %s: %w", t, err)
	}
	if mf.dryRun {
		for _, p := range res.Transferred {
			fmt.Fprintf(c.stdout, "%s %s\n", verb, printable(p))
		}
		for _, p := range res.Deleted {
			fmt.Fprintf(c.stdout, "delete %s\n", printable(p))
		}
	}
	var failed, bad []string
	for _, fe := range res.Failed {
		var ne *ftp.NameError
		switch {
		case errors.As(fe, &ne):
			bad = append(bad, c.refuse(fe.Path, "not a safe local file name ("+nameReason(ne.Entry.Name)+")"))
		case errors.Is(fe, ftp.ErrUnsafeName):
			base := fe.Path[strings.LastIndexByte(fe.Path, '/')+1:]
			bad = append(bad, c.refuse(fe.Path, "not a safe file name ("+nameReason(base)+")"))
		case errors.Is(fe, mirror.ErrLocalSymlink):
			bad = append(bad, c.refuse(fe.Path, "the local path is a symbolic link; not following it"))
		default:
			c.warnf("%s: %s", printable(fe.Path), indentReply(fe.Err.Error()))
			failed = append(failed, printable(fe.Path))
		}
	}
	if o.verbose > 0 || c.tty || mf.dryRun {
		fmt.Fprintln(c.stderr, c.prog+": "+summary(res, mf, time.Since(start)))
	}
	var msgs []string
	if len(failed) > 0 {
		msgs = append(msgs, fmt.Sprintf("%d files failed: %s", len(failed), strings.Join(failed, ", ")))
	}
	if len(bad) > 0 {
		msgs = append(msgs, fmt.Sprintf("%d entries skipped: %s", len(bad), strings.Join(bad, ", ")))
	}
	if len(msgs) > 0 {
		return fmt.Errorf("mirror %s: %s", t, strings.Join(msgs, "; "))
	}
	return nil
}

// summary is the one-line account of a mirror run.
func summary(res *mirror.Result, mf mirrorFlags, took time.Duration) string {
	var b strings.Builder
	if mf.dryRun {
		fmt.Fprintf(&b, "dry run: would transfer %d files", len(res.Transferred))
	} else {
		fmt.Fprintf(&b, "mirrored %d files (%s) in %.1f s", len(res.Transferred), formatBytes(res.Bytes), took.Seconds())
	}
	fmt.Fprintf(&b, ", %d up to date", len(res.Skipped))
	if len(res.Deleted) > 0 {
		if mf.dryRun {
			fmt.Fprintf(&b, ", would delete %d", len(res.Deleted))
		} else {
			fmt.Fprintf(&b, ", deleted %d", len(res.Deleted))
		}
	}
	if len(res.Ignored) > 0 {
		fmt.Fprintf(&b, ", skipped %d links or special files", len(res.Ignored))
	}
	if len(res.Failed) > 0 {
		fmt.Fprintf(&b, ", %d failed", len(res.Failed))
	}
	return b.String()
}

// nameReason says why a name is refused, for a message.
func nameReason(name string) string {
	if why := unsafeName(name); why != "" {
		return why
	}
	return "not one plain path element"
}

// unsafeName returns why a name from a listing cannot be used as one
// element of a local path, or "" when it can: it must not be empty, "."
// or "..", absolute, hold a path separator, or hold a control character
// (CR, LF, NUL, terminal escapes), so that a hostile server can neither
// write outside the target directory nor smuggle a command.
func unsafeName(name string) string {
	switch {
	case name == "" || name == "." || name == "..":
		return "not a file name"
	case strings.ContainsFunc(name, unicode.IsControl):
		return "holds a control character"
	case filepath.IsAbs(name) || strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`):
		return "an absolute path"
	case strings.ContainsAny(name, `/\`):
		return "holds a path separator"
	case !filepath.IsLocal(name):
		return "not a local file name here"
	}
	return ""
}

// refuse reports an entry skipped because it cannot be mirrored safely,
// and returns it quoted for the final message: mirror then exits with
// status 1.
func (c *cli) refuse(relName, why string) string {
	c.warnf("skipping %q: %s", relName, why)
	return strconv.Quote(relName)
}

// remoteJoin joins a remote directory path and a name.
func remoteJoin(dir, name string) string {
	switch {
	case dir == "":
		return name
	case strings.HasSuffix(dir, "/"):
		return dir + name
	}
	return dir + "/" + name
}

// warnf prints a warning on stderr.
func (c *cli) warnf(format string, args ...any) {
	fmt.Fprintf(c.stderr, "%s: %s\n", c.prog, escapeControls(fmt.Sprintf(format, args...)))
}
