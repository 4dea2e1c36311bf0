package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ftplib-go/ftp"
)

// maxMirrorDepth bounds the recursion of mirror, against servers whose
// links make the tree look infinite.
const maxMirrorDepth = 64

// mirror is one run of the mirror command.
type mirror struct {
	c       *cli
	s       *session
	o       *options
	files   int
	bytes   int64
	dirs    int
	skipped int
	failed  []string
}

// cmdMirror downloads the directory tree at a URL into a local directory.
func (c *cli) cmdMirror(ctx context.Context, args []string) error {
	o := newOptions()
	pos, err := parseCommand("mirror", args, o, nil, 2, 2)
	if err != nil {
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
	s, err := c.connect(ctx, t, o)
	if err != nil {
		return err
	}
	defer s.close()
	m := &mirror{c: c, s: s, o: o}
	if err := m.dir(ctx, t.Path, localDir, "", 0); err != nil {
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
	err := m.s.list(ctx, rdir, func(e ftp.Entry, perr error) error {
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
			if m.o.verbose > 0 {
				fmt.Fprintf(m.c.stderr, "%s: get %s\n", m.c.prog, relName)
			}
			err := m.c.download(ctx, m.s, rpath, lpath, false, e.Size, m.o)
			var fe *ftp.Error
			if errors.As(err, &fe) {
				// The server refused this file; the others may work.
				m.c.warnf("%s: %s", relName, indentReply(err.Error()))
				m.failed = append(m.failed, relName)
				continue
			}
			if err != nil {
				return fmt.Errorf("%s: %w", relName, err)
			}
			m.files++
			if e.Size > 0 {
				m.bytes += e.Size
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

// warnf prints a warning on stderr.
func (c *cli) warnf(format string, args ...any) {
	fmt.Fprintf(c.stderr, "%s: %s\n", c.prog, fmt.Sprintf(format, args...))
}
