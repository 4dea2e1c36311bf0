package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/ftplib-go/ftp"
)

// maxMirrorDepth bounds the recursion of mirror, against servers whose
// links make the tree look infinite.
const maxMirrorDepth = 64

// mirror is one run of the mirror command.
type mirror struct {
	c    *cli
	list func(ctx context.Context, dir string, fn func(ftp.Entry, error) error) error
	get  remote
	o    *options
	// parallel > 1 makes the walk collect the files in jobs, fetched
	// afterwards by fetchAll.
	parallel int
	jobs     []mirrorJob

	mu      sync.Mutex // the counts below, while files are fetched in parallel
	files   int
	bytes   int64
	dirs    int
	skipped int      // links and special files, skipped by design
	failed  []string // files the server refused, as printable names
	bad     []string // entries refused before any transfer, as printable names
}

// cmdMirror downloads the directory tree at a URL into a local directory.
func (c *cli) cmdMirror(ctx context.Context, args []string) error {
	o := newOptions()
	var pf poolFlags
	pos, err := parseCommand("mirror", args, o, func(fs *flag.FlagSet) { pf.register(fs, true) }, 2, 2)
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
	if err := os.MkdirAll(localDir, 0o755); err != nil {
		return err
	}
	m := &mirror{c: c, o: o, parallel: pf.parallel}
	if pf.pooled() {
		cl, err := c.newClient(t, o, &pf)
		if err != nil {
			return err
		}
		defer cl.Close()
		r := &clientRemote{c: cl, retries: pf.retries}
		m.list, m.get = r.list, r
	} else {
		s, err := c.connect(ctx, t, o)
		if err != nil {
			return err
		}
		defer s.close()
		m.list, m.get = s.list, s
	}
	err = m.dir(ctx, t.Path, localDir, "", 0)
	if err == nil && len(m.jobs) > 0 {
		err = m.fetchAll(ctx)
	}
	if err != nil {
		return fmt.Errorf("mirror %s: %w", t, err)
	}
	if o.verbose > 0 || c.tty {
		fmt.Fprintf(c.stderr, "%s: mirrored %d files (%s) in %d directories", c.prog, m.files, formatBytes(m.bytes), m.dirs+1)
		if m.skipped > 0 {
			fmt.Fprintf(c.stderr, ", skipped %d links or special files", m.skipped)
		}
		fmt.Fprintln(c.stderr)
	}
	var msgs []string
	if len(m.failed) > 0 {
		msgs = append(msgs, fmt.Sprintf("%d files failed: %s", len(m.failed), strings.Join(m.failed, ", ")))
	}
	if len(m.bad) > 0 {
		msgs = append(msgs, fmt.Sprintf("%d entries skipped: %s", len(m.bad), strings.Join(m.bad, ", ")))
	}
	if len(msgs) > 0 {
		return fmt.Errorf("mirror %s: %s", t, strings.Join(msgs, "; "))
	}
	return nil
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

// refuse reports an entry that is skipped because it cannot be mirrored
// safely, and counts it: mirror then exits with status 1.
func (m *mirror) refuse(relName, why string) {
	m.c.warnf("skipping %q: %s", relName, why)
	m.bad = append(m.bad, strconv.Quote(relName))
}

// localKind returns why the local path p cannot receive an entry of the
// wanted type (ftp.TypeDir or ftp.TypeFile), or "" when p does not exist
// or already is a directory (for a directory) or a regular file (for a
// file). A symbolic link is never followed: it could point outside the
// target directory.
func localKind(p string, want ftp.EntryType) (string, error) {
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return "the local path is a symbolic link; not following it", nil
	case want == ftp.TypeDir && !fi.IsDir():
		return "the local path exists and is not a directory", nil
	case want == ftp.TypeFile && !fi.Mode().IsRegular():
		return "the local path exists and is not a regular file", nil
	}
	return "", nil
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

// dir mirrors the remote directory rdir into the local directory ldir;
// rel is its path relative to the top, for messages.
func (m *mirror) dir(ctx context.Context, rdir, ldir, rel string, depth int) error {
	if depth > maxMirrorDepth {
		return fmt.Errorf("%s: deeper than %d levels; stopping", rel, maxMirrorDepth)
	}
	var entries []ftp.Entry
	err := m.list(ctx, rdir, func(e ftp.Entry, perr error) error {
		if perr != nil {
			m.c.warnf("%s: %v", printable(rdir), perr)
			m.bad = append(m.bad, strconv.Quote(e.Raw))
			return nil
		}
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range entries {
		relName := e.Name
		if rel != "" {
			relName = rel + "/" + e.Name
		}
		if why := unsafeName(e.Name); why != "" {
			m.refuse(relName, "not a safe local file name ("+why+")")
			continue
		}
		rpath := remoteJoin(rdir, e.Name)
		lpath := filepath.Join(ldir, e.Name)
		if e.Type == ftp.TypeDir || e.Type == ftp.TypeFile {
			why, err := localKind(lpath, e.Type)
			if err != nil {
				return err
			}
			if why != "" {
				m.refuse(relName, why)
				continue
			}
		}
		switch e.Type {
		case ftp.TypeDir:
			if err := os.Mkdir(lpath, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return err
			}
			// Made or found a directory, unless a link was planted
			// meanwhile.
			if why, err := localKind(lpath, ftp.TypeDir); err != nil || why != "" {
				if err != nil {
					return err
				}
				m.refuse(relName, why)
				continue
			}
			m.dirs++
			if err := m.dir(ctx, rpath, lpath, relName, depth+1); err != nil {
				return err
			}
		case ftp.TypeFile:
			// download writes a temporary file in ldir and renames it
			// to lpath, which replaces a link planted meanwhile rather
			// than following it.
			j := mirrorJob{rpath: rpath, lpath: lpath, rel: relName, size: e.Size}
			if m.parallel > 1 {
				m.jobs = append(m.jobs, j)
				continue
			}
			if err := m.fetch(ctx, m.c, j); err != nil {
				return err
			}
		default:
			if m.o.verbose > 0 {
				m.c.warnf("skipping %s: a %s", printable(relName), e.Type)
			}
			m.skipped++
		}
	}
	return nil
}

// fetch downloads one file with c (the mirror's cli, or a copy of it
// without progress bars). A server's refusal of the file is counted and
// reported, and nil returned: the other files may work.
func (m *mirror) fetch(ctx context.Context, c *cli, j mirrorJob) error {
	rel := printable(j.rel)
	if m.o.verbose > 0 {
		fmt.Fprintf(c.stderr, "%s: get %s\n", c.prog, rel)
	}
	err := c.download(ctx, m.get, j.rpath, j.lpath, false, j.size, m.o)
	m.mu.Lock()
	defer m.mu.Unlock()
	var fe *ftp.Error
	if errors.As(err, &fe) {
		// The server refused this file; the others may work.
		c.warnf("%s: %s", rel, indentReply(err.Error()))
		m.failed = append(m.failed, rel)
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", rel, err)
	}
	m.files++
	if j.size > 0 {
		m.bytes += j.size
	}
	return nil
}

// warnf prints a warning on stderr.
func (c *cli) warnf(format string, args ...any) {
	fmt.Fprintf(c.stderr, "%s: %s\n", c.prog, escapeControls(fmt.Sprintf(format, args...)))
}
