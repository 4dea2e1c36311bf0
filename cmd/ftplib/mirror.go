package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

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
	skipped int
	failed  []string
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
	if len(m.failed) > 0 {
		return fmt.Errorf("mirror %s: %d files failed: %s", t, len(m.failed), strings.Join(m.failed, ", "))
	}
	return nil
}

// safeName reports whether a name from a listing can be used as one
// element of a local path: not empty, not "." or "..", and free of path
// separators and NUL, so that a hostile server cannot write outside the
// target directory.
func safeName(name string) bool {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") {
		return false
	}
	return filepath.IsLocal(name)
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
			m.c.warnf("%s: %v", rdir, perr)
			m.failed = append(m.failed, fmt.Sprintf("%q", e.Raw))
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
		if !safeName(e.Name) {
			m.c.warnf("skipping %q: not a safe local file name", relName)
			m.skipped++
			continue
		}
		rpath := remoteJoin(rdir, e.Name)
		lpath := filepath.Join(ldir, e.Name)
		switch e.Type {
		case ftp.TypeDir:
			if err := os.MkdirAll(lpath, 0o755); err != nil {
				return err
			}
			m.dirs++
			if err := m.dir(ctx, rpath, lpath, relName, depth+1); err != nil {
				return err
			}
		case ftp.TypeFile:
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
				m.c.warnf("skipping %s: a %s", relName, e.Type)
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
	if m.o.verbose > 0 {
		fmt.Fprintf(c.stderr, "%s: get %s\n", c.prog, j.rel)
	}
	err := c.download(ctx, m.get, j.rpath, j.lpath, false, j.size, m.o)
	m.mu.Lock()
	defer m.mu.Unlock()
	var fe *ftp.Error
	if errors.As(err, &fe) {
		c.warnf("%s: %s", j.rel, indentReply(err.Error()))
		m.failed = append(m.failed, j.rel)
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", j.rel, err)
	}
	m.files++
	if j.size > 0 {
		m.bytes += j.size
	}
	return nil
}

// warnf prints a warning on stderr.
func (c *cli) warnf(format string, args ...any) {
	fmt.Fprintf(c.stderr, "%s: %s\n", c.prog, fmt.Sprintf(format, args...))
}
