package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ftplib-go/ftp"
)

// urlArg parses a URL argument of subcommand cmd; a bad URL is a usage
// error.
func urlArg(cmd, raw string, o *options) (*target, error) {
	t, err := parseURL(raw, o.explicitTLS)
	if err != nil {
		return nil, usagef(cmd, "%v", err)
	}
	return t, nil
}

// newOptions returns the connection options with their defaults.
func newOptions() *options {
	return &options{timeout: defaultTimeout}
}

// cmdLs lists a directory: the names (from MLSD, or NLST when the server
// has no MLSD or the URL names a file), or with -l the server's LIST lines
// as they are.
func (c *cli) cmdLs(ctx context.Context, args []string) error {
	o := newOptions()
	var long bool
	pos, err := parseCommand("ls", args, o, func(fs *flag.FlagSet) {
		fs.BoolVar(&long, "l", false, "long listing: the server's LIST output")
	}, 1, 1)
	if err != nil {
		return err
	}
	t, err := urlArg("ls", pos[0], o)
	if err != nil {
		return err
	}
	s, err := c.connect(ctx, t, o)
	if err != nil {
		return err
	}
	defer s.close()
	if err := c.ls(ctx, s, t.Path, long); err != nil {
		return fmt.Errorf("ls %s: %w", t, err)
	}
	return nil
}

func (c *cli) ls(ctx context.Context, s *session, dir string, long bool) error {
	if long {
		return s.Dir(ctx, func(line string) error {
			_, err := fmt.Fprintln(c.stdout, printable(line))
			return err
		}, dir)
	}
	bad := 0
	err := each(s.Mlsd(ctx, dir), func(e ftp.Entry, perr error) error {
		if perr != nil {
			c.warnf("%v", perr)
			bad++
			return nil
		}
		_, err := fmt.Fprintln(c.stdout, printable(bareName(e.Name)))
		return err
	})
	// 501: MLSD of a file (RFC 3659 wants a directory); NLST lists it.
	var fe *ftp.Error
	if isUnsupported(err) || errors.As(err, &fe) && fe.Code == 501 {
		var args []string
		if dir != "" {
			args = append(args, dir)
		}
		var names []string
		names, err = s.Nlst(ctx, args...)
		for _, n := range names {
			fmt.Fprintln(c.stdout, printable(bareName(n)))
		}
	}
	if err == nil && bad > 0 {
		err = fmt.Errorf("%d listing lines could not be parsed", bad)
	}
	return err
}

// bareName returns the last element of a name from a listing: servers
// answer NLST DIR with "DIR/name" (vsftpd, and many others), and ls prints
// the names in the directory.
func bareName(name string) string {
	if n := strings.TrimRight(name, "/"); n != "" {
		name = n
	}
	if i := strings.LastIndexByte(name, '/'); i >= 0 && i < len(name)-1 {
		name = name[i+1:]
	}
	return name
}

// printable returns s as it is when it can go to a terminal safely, or
// else quoted with Go escapes ("a\x1b[2Jb"): a name or line from the
// server holding control characters (C0, DEL, C1) or invalid UTF-8 could
// otherwise drive the terminal (escape sequences) or disguise itself (CR).
func printable(s string) string {
	if !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) {
		return strconv.Quote(s)
	}
	return s
}

// isUnsupported reports whether err is a server's "command not
// implemented" or "not recognised" reply (500, 502, 504).
func isUnsupported(err error) bool {
	var e *ftp.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code == 500 || e.Code == 502 || e.Code == 504
}

// each runs fn over a listing from Conn.Mlsd or Conn.List, leaving out
// the listed directory and its parent. A line that cannot be parsed is
// passed to fn with its *ftp.ParseError, and the listing goes on; any
// other failure ends it and is returned, as is an error from fn (which
// aborts the transfer).
func each(seq iter.Seq2[ftp.Entry, error], fn func(ftp.Entry, error) error) error {
	for e, err := range seq {
		if err != nil {
			var pe *ftp.ParseError
			if !errors.As(err, &pe) {
				return err
			}
		} else if e.Type == ftp.TypeCdir || e.Type == ftp.TypePdir || e.Name == "." || e.Name == ".." {
			continue
		}
		if ferr := fn(e, err); ferr != nil {
			return ferr
		}
	}
	return nil
}

// list runs fn over the entries of dir (see each): from MLSD, or from LIST
// when the server does not know MLSD.
func (s *session) list(ctx context.Context, dir string, fn func(ftp.Entry, error) error) error {
	err := each(s.Mlsd(ctx, dir), fn)
	if isUnsupported(err) {
		err = each(s.List(ctx, dir), fn)
	}
	return err
}

// cmdGet downloads a file.
func (c *cli) cmdGet(ctx context.Context, args []string) error {
	o := newOptions()
	var resume bool
	var pf poolFlags
	pos, err := parseCommand("get", args, o, func(fs *flag.FlagSet) {
		fs.BoolVar(&resume, "c", false, "continue: resume from the size of LOCAL (REST); keep a partial file on failure")
		pf.register(fs, false)
	}, 1, 2)
	if err != nil {
		return err
	}
	if err := pf.check("get"); err != nil {
		return err
	}
	t, err := urlArg("get", pos[0], o)
	if err != nil {
		return err
	}
	base := t.base()
	if base == "" {
		return usagef("get", "%s names a directory, not a file (use ls or mirror)", t)
	}
	local := base
	if len(pos) == 2 {
		local = pos[1]
	} else if !filepath.IsLocal(base) || strings.ContainsAny(base, `/\`) {
		return usagef("get", "cannot use %q as a local file name; give LOCAL", base)
	}
	if local == "-" {
		if resume {
			return usagef("get", "-c needs a LOCAL file, not stdout")
		}
	} else if fi, err := os.Stat(local); err == nil && fi.IsDir() {
		if !filepath.IsLocal(base) || strings.ContainsAny(base, `/\`) {
			return usagef("get", "cannot use %q as a local file name; give LOCAL", base)
		}
		local = filepath.Join(local, base)
	}
	var s remote
	if pf.pooled() {
		cl, err := c.newClient(t, o, &pf)
		if err != nil {
			return err
		}
		defer cl.Close()
		s = &clientRemote{c: cl, retries: pf.retries}
	} else {
		sess, err := c.connect(ctx, t, o)
		if err != nil {
			return err
		}
		defer sess.close()
		s = sess
	}
	if local == "-" {
		size := s.size(ctx, t.Path)
		p := c.newProgress(base, 0, size)
		err := s.retr(ctx, t.Path, p.Writer(c.stdout), 0)
		c.endProgress(p, err)
		if err != nil {
			return fmt.Errorf("get %s: %w", t, err)
		}
		return nil
	}
	if err := c.download(ctx, s, t.Path, local, resume, -2, o); err != nil {
		return fmt.Errorf("get %s: %w", t, err)
	}
	return nil
}

// size returns the size of the remote file name in binary mode, or -1
// when the server does not say.
func (s *session) size(ctx context.Context, name string) int64 {
	if _, err := s.VoidCmd(ctx, "TYPE I"); err != nil {
		return -1
	}
	n, err := s.Size(ctx, name)
	if err != nil {
		return -1
	}
	return n
}

// download fetches the remote file name into local. size is the remote
// size if known, -1 if unknown, or -2 to ask the server (SIZE).
//
// Without resume the data goes to a temporary file next to local, renamed
// to local once the server has confirmed the transfer; on any failure the
// temporary file is removed, so local is either the complete file or
// untouched. With resume the data is appended to local from its current
// size (REST) and a failure keeps what arrived.
func (c *cli) download(ctx context.Context, s remote, name, local string, resume bool, size int64, o *options) error {
	if size == -2 {
		size = s.size(ctx, name)
	}
	label := filepath.Base(local)
	if !resume {
		dir, file := filepath.Split(local)
		if dir == "" {
			dir = "."
		}
		tmp, err := os.CreateTemp(dir, "."+file+".*.part")
		if err != nil {
			return err
		}
		ok := false
		defer func() {
			if !ok {
				tmp.Close()
				os.Remove(tmp.Name())
			}
		}()
		p := c.newProgress(label, 0, size)
		err = s.retr(ctx, name, p.Writer(tmp), 0)
		c.endProgress(p, err)
		if err != nil {
			return err
		}
		if err := checkSize(tmp, size); err != nil {
			return err
		}
		if err := tmp.Close(); err != nil {
			return err
		}
		// CreateTemp makes the file private; a download gets the usual
		// permissions.
		if err := os.Chmod(tmp.Name(), 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp.Name(), local); err != nil {
			return err
		}
		ok = true
		return nil
	}
	f, err := openNoFollow(local, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	off, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	if size >= 0 && off == size {
		if o.verbose > 0 {
			fmt.Fprintf(c.stderr, "%s: %s is already complete (%d bytes)\n", c.prog, local, off)
		}
		return nil
	}
	if size >= 0 && off > size {
		return fmt.Errorf("%s is larger than the remote file (%d > %d bytes); not resuming", local, off, size)
	}
	if off > 0 && o.verbose > 0 {
		fmt.Fprintf(c.stderr, "%s: resuming %s at byte %d\n", c.prog, local, off)
	}
	p := c.newProgress(label, off, size)
	err = s.retr(ctx, name, p.Writer(f), off)
	c.endProgress(p, err)
	if err != nil {
		return err
	}
	if err := checkSize(f, size); err != nil {
		return err
	}
	return f.Close()
}

// errSymlink is the error for a local path that is a symbolic link where
// the tool writes into an existing file (get -c): the link could point
// anywhere, so it is not followed.
func errSymlink(name string) error {
	return fmt.Errorf("%s is a symbolic link; not following it (remove it, or name its target)", name)
}

// checkSize returns an error when the file f is shorter than size, the
// size the server announced (-1: unknown). A longer file is accepted: the
// remote file may have grown meanwhile.
func checkSize(f *os.File, size int64) error {
	if size < 0 {
		return nil
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() < size {
		return fmt.Errorf("short download: %d of %d bytes", fi.Size(), size)
	}
	return nil
}

// newProgress returns a progress bar on stderr when stderr is a terminal,
// else nil (no bar, no wrapping).
func (c *cli) newProgress(name string, start, total int64) *progress {
	if !c.tty {
		return nil
	}
	return newProgress(c.stderr, name, start, total, nil)
}

// endProgress finishes p after a transfer that ended with err.
func (c *cli) endProgress(p *progress, err error) {
	if err != nil {
		p.Abandon()
	} else {
		p.Done()
	}
}

// cmdPut uploads a file.
func (c *cli) cmdPut(ctx context.Context, args []string) error {
	o := newOptions()
	var pf poolFlags
	pos, err := parseCommand("put", args, o, func(fs *flag.FlagSet) { pf.register(fs, false) }, 2, 2)
	if err != nil {
		return err
	}
	if err := pf.check("put"); err != nil {
		return err
	}
	local := pos[0]
	t, err := urlArg("put", pos[1], o)
	if err != nil {
		return err
	}
	if t.DirHint || t.base() == "" {
		if local == "-" {
			return usagef("put", "uploading stdin needs a file name in the URL")
		}
		t = t.join(filepath.Base(local))
	}
	var r io.Reader = c.stdin
	size := int64(-1)
	if local != "-" {
		f, err := os.Open(local)
		if err != nil {
			return err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		if fi.IsDir() {
			return usagef("put", "%s is a directory", local)
		}
		r = struct{ io.Reader }{f} // a pipe or device cannot seek
		if fi.Mode().IsRegular() {
			size = fi.Size()
			r = f
		}
	}
	if pf.pooled() {
		// The Client resumes an upload from a regular file (SIZE, then
		// REST and STOR) after a broken transfer.
		cl, err := c.newClient(t, o, &pf)
		if err != nil {
			return err
		}
		defer cl.Close()
		p := c.newProgress(t.base(), 0, size)
		_, err = cl.Upload(ctx, t.Path, seekableProgress(p, r))
		err = pathless(err)
		c.endProgress(p, err)
		if err != nil {
			return fmt.Errorf("put %s: %w", t, err)
		}
		return nil
	}
	s, err := c.connect(ctx, t, o)
	if err != nil {
		return err
	}
	defer s.close()
	p := c.newProgress(t.base(), 0, size)
	_, err = s.StorBinary(ctx, "STOR "+t.Path, p.Reader(r))
	c.endProgress(p, err)
	if err != nil {
		return fmt.Errorf("put %s: %w", t, err)
	}
	return nil
}

// cmdRm deletes a file (DELE), or a directory (RMD) when the URL ends
// with a slash.
func (c *cli) cmdRm(ctx context.Context, args []string) error {
	o := newOptions()
	pos, err := parseCommand("rm", args, o, nil, 1, 1)
	if err != nil {
		return err
	}
	t, err := urlArg("rm", pos[0], o)
	if err != nil {
		return err
	}
	if t.Path == "" {
		return usagef("rm", "%s names no file", t)
	}
	s, err := c.connect(ctx, t, o)
	if err != nil {
		return err
	}
	defer s.close()
	if t.DirHint {
		_, err = s.Rmd(ctx, t.Path)
	} else {
		_, err = s.Delete(ctx, t.Path)
	}
	if err != nil {
		return fmt.Errorf("rm %s: %w", t, err)
	}
	return nil
}

// cmdMkdir creates a directory.
func (c *cli) cmdMkdir(ctx context.Context, args []string) error {
	o := newOptions()
	pos, err := parseCommand("mkdir", args, o, nil, 1, 1)
	if err != nil {
		return err
	}
	t, err := urlArg("mkdir", pos[0], o)
	if err != nil {
		return err
	}
	if t.Path == "" || t.Path == "/" {
		return usagef("mkdir", "%s names no directory to create", t)
	}
	s, err := c.connect(ctx, t, o)
	if err != nil {
		return err
	}
	defer s.close()
	if _, err := s.Mkd(ctx, t.Path); err != nil {
		return fmt.Errorf("mkdir %s: %w", t, err)
	}
	return nil
}
