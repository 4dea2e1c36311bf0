package ftp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file streams directory listings: MLSD and LIST lines are parsed one
// at a time as they arrive on the data connection, so a listing is never
// held whole by the iterators. ReadDir, Walk and the fs.FS adapter build on
// them and hold one directory at a time.

// Mlsd lists the directory path with MLSD (RFC 3659) and yields one Entry
// per line as it arrives, like ftplib's mlsd generator. path "" lists the
// current directory ("MLSD" without an argument). The facts named, if any,
// are requested first with "OPTS MLST f1;f2;" (any 1xx, 2xx or 3xx reply
// is accepted, as by SendCmd); fact names in the entries are lower case.
//
// Nothing is sent until the loop starts, and each loop sends the commands
// again. Then [OPTS MLST], TYPE A (unless in force) and MLSD are sent and
// the lines are read and parsed with [ParseMLSx] one by one: the listing
// is never held in memory. Blank lines are skipped. A line that cannot be
// parsed is yielded as (Entry{Raw: line}, err), err being a *ParseError,
// and the loop goes on. A failure to start the listing (ErrBusy, a 5xx
// reply to MLSD, a network error) or to end it (a final reply other than
// 2xx, a broken data connection) is yielded last, as (Entry{}, err).
//
// Names are yielded as the server sent them, the directory itself (type
// cdir, often named ".") and its parent included; a hostile server can send
// names such as "../x", "/etc/x" or "a/b". Check a name before using it as
// a local path; [Conn.ReadDir], [Conn.Walk] and [Conn.FS] leave such
// entries out and report them (see [NameError]).
//
// The Conn is busy while the loop runs: calls on it from the loop body
// fail with ErrBusy. Breaking out of the loop early aborts the transfer
// (ABOR, as [DataConn.Close] does) and leaves the Conn usable; should that
// exchange fail, the Conn is broken and later calls say so.
func (c *Conn) Mlsd(ctx context.Context, path string, facts ...string) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		cmd := withArg("MLSD", path)
		if err := c.checkCmd(cmd); err != nil {
			yield(Entry{}, err)
			return
		}
		if len(facts) > 0 {
			opts := "OPTS MLST " + strings.Join(facts, ";") + ";"
			if err := c.checkCmd(opts); err != nil {
				yield(Entry{}, err)
				return
			}
			if _, err := c.SendCmd(ctx, opts); err != nil {
				yield(Entry{}, err)
				return
			}
		}
		c.stream(ctx, cmd, ParseMLSx, yield, nil)
	}
}

// List lists path with LIST and yields one Entry per line as it arrives,
// parsed with [ParseList] (Unix ls -l and its NetWare variant, DOS/IIS,
// EPLF, OpenVMS, IBM i and z/OS lines). path ""
// sends "LIST" without an argument. Most servers pass an argument starting
// with '-' to ls as options.
//
// Nothing is sent until the loop starts; then TYPE A (unless in force)
// and LIST. The current time is read once per listing, to resolve Unix
// dates printed without a year. LIST dates are read in
// [Dialer.ListLocation] (UTC by default) and yielded in UTC. An OpenVMS entry whose name is alone on
// its line is joined to the next line when that starts with blanks (the
// entry's Raw is the two lines joined by one space). Blank lines, ls's
// "total N" line and the OpenVMS and z/OS header lines are skipped; a line that cannot be parsed is yielded as (Entry{Raw: line},
// err), err being a *ParseError, and the loop goes on; but the "PATH: No
// such file or directory" line that ls-based servers (inetutils ftpd,
// netkit ftpd) send for a missing path, with a 226, is yielded with an
// error for which errors.Is(err, fs.ErrNotExist) is true. Failures, the
// busy Conn and an early break behave as for [Conn.Mlsd]. Names are
// yielded as the server sent them, "." and ".." included, and may hold
// path elements, as for [Conn.Mlsd].
func (c *Conn) List(ctx context.Context, path string) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		cmd := withArg("LIST", path)
		if err := c.checkCmd(cmd); err != nil {
			yield(Entry{}, err)
			return
		}
		loc := c.listLoc
		if loc == nil {
			loc = time.UTC
		}
		// ParseList works in wall-clock times labelled UTC: now is the
		// wall clock in loc, and the times parsed are moved to loc.
		now := wallClock(c.listNow(), loc) // clock.go
		parse := func(line string) (Entry, error) {
			if lsMissing(line, path) {
				return Entry{Raw: line}, errListMissing(path, line)
			}
			e, err := ParseList(line, now)
			if err == nil && loc != time.UTC && !e.ModTime.IsZero() && e.Raw[0] != '+' {
				e.ModTime = inZone(e.ModTime, loc)
			}
			return e, err
		}
		c.stream(ctx, cmd, parse, yield, &vmsJoiner{})
	}
}

// wallClock returns the wall-clock time of t in loc, labelled UTC.
func wallClock(t time.Time, loc *time.Location) time.Time {
	w := t.In(loc)
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), time.UTC)
}

// inZone reads the wall-clock time w (labelled UTC) in loc and returns
// that instant in UTC.
func inZone(w time.Time, loc *time.Location) time.Time {
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), loc).UTC()
}

func withArg(cmd, arg string) string {
	if arg == "" {
		return cmd
	}
	return cmd + " " + arg
}

// stream runs the line-mode transfer cmd and yields each line parsed by
// parse. The deferred Close aborts the transfer when the loop body breaks
// out or panics; after the end or a failure it does nothing. join, when
// not nil, joins the OpenVMS entries printed on two lines.
func (c *Conn) stream(ctx context.Context, cmd string, parse func(string) (Entry, error), yield func(Entry, error) bool, join *vmsJoiner) {
	d, err := c.retrLinesConn(ctx, cmd)
	if err != nil {
		yield(Entry{}, err)
		return
	}
	defer d.Close()
	// one parses and yields a line; it reports whether to go on.
	one := func(line string) bool {
		e, err := parse(line)
		if err != nil {
			if errors.Is(err, ErrNotEntry) {
				return true
			}
			e = Entry{Raw: line}
		}
		return yield(e, err)
	}
	var lines [2]string
	for {
		line, err := d.readLine()
		if err == io.EOF {
			if join != nil {
				if l, ok := join.flush(); ok && !one(l) {
					return
				}
			}
			if _, err := d.end(nil); err != nil {
				yield(Entry{}, err)
			}
			return
		}
		if err != nil {
			_, err = d.end(err)
			yield(Entry{}, err)
			return
		}
		if join == nil {
			if !one(line) {
				return
			}
			continue
		}
		n := join.feed(line, &lines)
		for i := 0; i < n; i++ {
			if !one(lines[i]) {
				return
			}
		}
	}
}

// Mlst returns the facts of the one file or directory path with MLST (RFC
// 3659); path "" means the current directory. The reply must be 2xx and
// hold the entry on a line starting with a space; the entry's Name is the
// pathname as the server gives it (often the absolute path), not a base
// name. A reply without such a line is an *Error of class ErrProto; an
// entry line that cannot be parsed is a *ParseError.
func (c *Conn) Mlst(ctx context.Context, path string) (Entry, error) {
	resp, err := c.VoidCmd(ctx, withArg("MLST", path))
	if err != nil {
		return Entry{}, err
	}
	lines := strings.Split(resp, "\n")
	for i := 1; i < len(lines)-1; i++ {
		l := strings.TrimRight(lines[i], "\r")
		if !strings.HasPrefix(l, " ") {
			continue
		}
		e, err := ParseMLSx(l)
		if errors.Is(err, ErrNotEntry) {
			continue
		}
		return e, err
	}
	return Entry{}, newError(ErrProto, resp)
}

// hasMLST reports whether the server lists MLST (or MLSD) in its FEAT
// reply. The answer is cached in the Conn; a 5xx reply to FEAT counts as
// no, a 4xx reply is not cached.
func (c *Conn) hasMLST(ctx context.Context) (bool, error) {
	switch c.mlst.Load() {
	case 1:
		return true, nil
	case -1:
		return false, nil
	}
	feats, err := c.Feat(ctx)
	if err != nil {
		switch {
		case errors.Is(err, ErrTemp):
			return false, nil
		case isReplyErr(err):
			c.mlst.Store(-1)
			return false, nil
		}
		return false, err
	}
	_, mlst := feats["MLST"]
	_, mlsd := feats["MLSD"]
	if mlst || mlsd {
		c.mlst.Store(1)
		return true, nil
	}
	c.mlst.Store(-1)
	return false, nil
}

// unknownCmd reports whether err is a reply saying that the command is not
// implemented (500 or 502): a server that listed MLST in FEAT but refuses
// MLSD or MLST.
func unknownCmd(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Code == 500 || e.Code == 502)
}

// ReadDir returns the entries of the directory path, sorted by name, like
// os.ReadDir. path "" means the current directory. It lists with MLSD when
// the server lists MLST in its FEAT reply (FEAT is sent once per Conn, on
// the first call, and its answer kept) and with LIST otherwise, or when
// MLSD is refused as unknown (500 or 502). The directory itself and its
// parent (MLSD type=cdir and type=pdir, directories named "." and "..")
// are left out.
//
// Unlike [Conn.Mlsd] and [Conn.List], ReadDir holds the whole directory in
// memory. On failure it returns the entries read before it and the error.
// Lines that cannot be parsed do not stop the listing: ReadDir returns
// every entry it could parse and an error wrapping the first *ParseError
// (of class ErrProto) and saying how many lines failed.
//
// Every name returned is one path element, as io/fs requires: an entry
// whose name is empty, holds '/', '\' or NUL, or is "." or ".." without
// being a directory, is left out, and the error returned (with the other
// entries) holds a [*NameError] for each, so that errors.Is(err,
// ErrUnsafeName) is true and errors.As finds the first one.
func (c *Conn) ReadDir(ctx context.Context, path string) ([]Entry, error) {
	entries, _, err := c.readDir(ctx, path)
	return entries, err
}

// readDir is ReadDir; mlsd reports whether MLSD was used.
func (c *Conn) readDir(ctx context.Context, path string) (entries []Entry, mlsd bool, err error) {
	entries, unsafe, mlsd, err := c.listDir(ctx, path)
	if len(unsafe) > 0 {
		err = joinErr(err, unsafe)
	}
	return entries, mlsd, err
}

// listDir is readDir with the entries whose names are unsafe apart from
// the other errors.
func (c *Conn) listDir(ctx context.Context, path string) (entries []Entry, unsafe nameErrors, mlsd bool, err error) {
	mlsd, err = c.hasMLST(ctx)
	if err != nil {
		return nil, nil, false, err
	}
	if mlsd {
		entries, unsafe, err = gather(path, c.Mlsd(ctx, path))
		if len(entries) == 0 && len(unsafe) == 0 && unknownCmd(err) {
			c.mlst.Store(-1)
			mlsd = false
		}
	}
	if !mlsd {
		entries, unsafe, err = gather(path, c.List(ctx, path))
	}
	slices.SortFunc(entries, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	return entries, unsafe, mlsd, err
}

// gather collects the listing of dir into a slice, leaving out the listed
// directory and its parent, and the entries whose names are unsafe, which
// it returns as NameErrors. Parse errors are counted; the first is kept.
func gather(dir string, seq iter.Seq2[Entry, error]) ([]Entry, nameErrors, error) {
	var entries []Entry
	var unsafe nameErrors
	var perr, xerr error
	bad := 0
	for e, err := range seq {
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				if bad == 0 {
					perr = err
				}
				bad++
			} else {
				xerr = err
			}
			continue
		}
		if e.Type == TypeCdir || e.Type == TypePdir || (e.IsDir() && (e.Name == "." || e.Name == "..")) {
			continue
		}
		if !safeName(e.Name) {
			unsafe = append(unsafe, &NameError{Dir: dir, Entry: e})
			continue
		}
		entries = append(entries, e)
	}
	if bad > 0 {
		perr = fmt.Errorf("%w (%d unparsable lines in all)", perr, bad)
	}
	if xerr != nil {
		if perr != nil {
			return entries, unsafe, fmt.Errorf("%w (and %w)", xerr, perr)
		}
		return entries, unsafe, xerr
	}
	return entries, unsafe, perr
}

// ErrUnsafeName is the class of a listing entry left out by ReadDir, Walk
// and FS because its name is not one path element; see [NameError].
var ErrUnsafeName = errors.New("ftp: unsafe name in listing")

// NameError reports an entry of a directory listing whose name is not one
// path element: empty, holding '/', '\' or NUL, or "." or ".." for an
// entry that is not a directory. Such a name, joined to a local directory,
// could reach outside it, so [Conn.ReadDir], [Conn.Walk] and [Conn.FS]
// leave the entry out and report it with a NameError; errors.Is(err,
// ErrUnsafeName) is true.
type NameError struct {
	// Dir is the directory that was listed, as the caller named it.
	Dir string
	// Entry is the entry as the server listed it, Name unchanged.
	Entry Entry
}

// Error describes the error, quoting the name (cut to 120 bytes when it is
// longer).
func (e *NameError) Error() string {
	return "ftp: listing of " + quoteLong(e.Dir) + ": entry " + quoteLong(e.Entry.Name) +
		" left out: not a single path element"
}

// Is reports whether target is ErrUnsafeName.
func (e *NameError) Is(target error) bool { return target == ErrUnsafeName }

// nameErrors are the entries of one listing left out for their names. As an
// error it quotes the first and counts them; each is reachable through
// errors.As and Unwrap.
type nameErrors []*NameError

func (ne nameErrors) Error() string {
	if len(ne) == 1 {
		return ne[0].Error()
	}
	return ne[0].Error() + " (" + strconv.Itoa(len(ne)) + " unsafe names in all)"
}

func (ne nameErrors) Unwrap() []error {
	errs := make([]error, len(ne))
	for i, e := range ne {
		errs[i] = e
	}
	return errs
}

// joinErr returns err and the unsafe names as one error, err first.
func joinErr(err error, unsafe nameErrors) error {
	if err == nil {
		return unsafe
	}
	return fmt.Errorf("%w (and %w)", err, unsafe)
}

// safeName reports whether name is one path element that cannot reach
// outside the directory it is joined to, on Unix or Windows.
func safeName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/\\\x00")
}

// quoteLong quotes s for an error message, cut to maxErrLine bytes.
func quoteLong(s string) string {
	if len(s) > maxErrLine {
		return strconv.Quote(s[:maxErrLine]) + "..."
	}
	return strconv.Quote(s)
}

// notExist marks a reply error to a stat as "does not exist" for
// errors.Is(err, fs.ErrNotExist), keeping the reply for errors.As.
type notExist struct{ err error }

func (e notExist) Error() string        { return e.err.Error() }
func (e notExist) Unwrap() error        { return e.err }
func (e notExist) Is(target error) bool { return target == fs.ErrNotExist }

// stat returns the entry for path: from MLST when the server lists it in
// FEAT, else from a LIST of its parent directory. The entry's Name is the
// last element of path. A root, "." or ".." cannot be found in a parent
// listing; without MLST it is reported as a directory without facts. A
// 550 reply to MLST, or a name missing from its parent's listing, is an
// error for which errors.Is(err, fs.ErrNotExist) is true.
func (c *Conn) stat(ctx context.Context, p string) (Entry, error) {
	dir, base := splitPath(p)
	mlst, err := c.hasMLST(ctx)
	if err != nil {
		return Entry{}, err
	}
	if mlst {
		e, err := c.Mlst(ctx, p)
		if err == nil {
			e.Name = base
			return e, nil
		}
		if !unknownCmd(err) {
			var re *Error
			if errors.As(err, &re) && re.Code == 550 {
				err = notExist{err}
			}
			return Entry{}, err
		}
		c.mlst.Store(-1)
	}
	if base == "." || base == ".." || base == "/" {
		return Entry{Name: base, Type: TypeDir, Size: -1, Mode: fs.ModeDir}, nil
	}
	// The parent's listing is read to its end (no ABOR), keeping only
	// the entry sought.
	var found Entry
	var ok bool
	var lerr, perr error
	for e, err := range c.List(ctx, dir) {
		switch {
		case err == nil:
			if !ok && e.Name == base {
				found, ok = e, true
			}
		case errors.As(err, new(*ParseError)):
			if perr == nil {
				perr = err
			}
		case lerr == nil:
			lerr = err
		}
	}
	if ok {
		return found, nil
	}
	if lerr != nil {
		return Entry{}, lerr
	}
	if perr != nil {
		// The entry may be on the line that could not be parsed.
		return Entry{}, fmt.Errorf("ftp: %q is not in the listing of %q, which has unparsable lines: %w", base, dir, perr)
	}
	return Entry{}, fmt.Errorf("ftp: %q is not in the listing of %q: %w", base, dir, fs.ErrNotExist)
}

// splitPath splits an FTP path into the directory to list and the last
// element: "a/b" → "a", "b"; "/a" → "/", "a"; "a" → "", "a"; "" → "", ".";
// "/" → "/", "/". Trailing slashes are ignored.
func splitPath(p string) (dir, base string) {
	t := strings.TrimRight(p, "/")
	if t == "" {
		if p == "" {
			return "", "."
		}
		return "/", "/"
	}
	i := strings.LastIndexByte(t, '/')
	if i < 0 {
		return "", t
	}
	if i == 0 {
		return "/", t[1:]
	}
	return t[:i], t[i+1:]
}
