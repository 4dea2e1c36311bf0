package ftp

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// DefaultMaxDepth is how many levels below its root [Conn.Walk] and
// [Client.Walk] read unless told otherwise with [MaxDepth], and how deep a
// directory the fs.FS of [Conn.FS] lists: enough for any real tree, and a bound on a
// server whose every directory holds another.
const DefaultMaxDepth = 256

// Errors that Walk gives fn for a directory it does not read.
var (
	// ErrTooDeep reports a directory at the maximum depth (see
	// [MaxDepth]): it is visited but not read.
	ErrTooDeep = errors.New("ftp: directory too deep")

	// ErrCycle reports a directory whose MLSD or MLST unique fact is that
	// of a directory above it on the current path: the server's tree loops
	// (a directory link, most often), and the directory is visited but not
	// read.
	ErrCycle = errors.New("ftp: directory cycle")
)

// A WalkOption changes how [Conn.Walk] and [Client.Walk] walk.
type WalkOption func(*walkOpts)

type walkOpts struct {
	maxDepth int
}

// MaxDepth sets how many levels below its root Walk reads: a directory n
// levels below the root (the root being level 0) is given to fn, and then
// given again with an error wrapping ErrTooDeep instead of being read. So
// MaxDepth(1) reads the root only. n < 0 removes the bound. The default is
// DefaultMaxDepth.
func MaxDepth(n int) WalkOption {
	return func(o *walkOpts) { o.maxDepth = n }
}

// Walk walks the file tree rooted at root on the server, calling fn for
// each file or directory in the tree, root included, with the semantics of
// fs.WalkDir: directories are read in lexical order, fn is called for a
// directory before its entries, returning fs.SkipDir from fn skips the
// directory (or, for a file, the rest of its directory) and fs.SkipAll
// skips everything left. Symbolic links are reported, not followed.
//
// The path passed to fn is root joined with "/" and the names below it;
// root is used as given ("" is the current directory). The root's Entry
// comes from MLST when the server lists it in FEAT, else from a LIST of
// its parent (a root such as "/", "." or "" is then reported as a
// directory without facts); when that fails fn is called once with the
// zero Entry and the error. Directories are read with [Conn.ReadDir]: when
// reading one fails, fn is called a second time for it with the error, and
// the entries read (if fn returns nil), as fs.WalkDir does.
//
// A hostile or broken server cannot lead Walk astray. Every name is one
// path element: an entry that ReadDir leaves out for its name is reported
// by calling fn once more for its directory, with a [*NameError] (one call
// per entry, before the entries are walked). Walk reads directories down
// to DefaultMaxDepth levels below root (see [MaxDepth]); a directory at
// that depth, or one whose unique fact (MLSD and MLST give it on most
// servers) is already on the path from root to it, is given to fn a second
// time with an error wrapping ErrTooDeep or ErrCycle, and not read. In
// each of these calls fn may return nil to go on, fs.SkipDir to skip the
// rest of the directory, or another error to stop.
//
// Each directory is read whole, and the Conn is free, before fn is called
// for its entries, so fn may use the Conn (to download a file, say).
// Memory is therefore bounded by the sizes of the directories on the path
// from root to the current one, not by the size of the tree. Walk returns
// the error fn returned, other than fs.SkipDir or fs.SkipAll; errors from
// the server are given to fn, not returned.
func (c *Conn) Walk(ctx context.Context, root string, fn func(path string, e Entry, err error) error, opts ...WalkOption) error {
	w := newWalker(fn, opts, func(ctx context.Context, dir string) ([]Entry, nameErrors, error) {
		entries, unsafe, _, err := c.listDir(ctx, dir)
		return entries, unsafe, err
	})
	e, err := c.stat(ctx, root)
	return w.run(ctx, root, e, err)
}

// walker is the state of one Walk, of a Conn or a Client.
type walker struct {
	// list reads a directory: its entries, those left out for their
	// names, and any other error.
	list  func(ctx context.Context, dir string) ([]Entry, nameErrors, error)
	fn    func(string, Entry, error) error
	max   int               // depth not read; < 0: no bound
	above map[string]string // unique fact → path, for the directories being read
}

// newWalker returns a walker calling fn, reading directories with list,
// with the options opts.
func newWalker(fn func(string, Entry, error) error, opts []WalkOption, list func(context.Context, string) ([]Entry, nameErrors, error)) *walker {
	o := walkOpts{maxDepth: DefaultMaxDepth}
	for _, opt := range opts {
		opt(&o)
	}
	return &walker{list: list, fn: fn, max: o.maxDepth, above: map[string]string{}}
}

// run walks the tree rooted at root, whose entry is e, or gives fn the
// error err that stat of the root gave; it returns what Walk returns.
func (w *walker) run(ctx context.Context, root string, e Entry, err error) error {
	if err != nil {
		err = w.fn(root, Entry{}, err)
	} else {
		err = w.walk(ctx, root, e, 0)
	}
	if err == fs.SkipDir || err == fs.SkipAll {
		return nil
	}
	return err
}

// walk visits p, whose entry is e, depth levels below the root, and below
// it.
func (w *walker) walk(ctx context.Context, p string, e Entry, depth int) error {
	if err := w.fn(p, e, nil); err != nil || !e.IsDir() {
		if err == fs.SkipDir && e.IsDir() {
			err = nil
		}
		return err
	}
	unique := e.Facts["unique"]
	var stop error
	if w.max >= 0 && depth >= w.max {
		stop = fmt.Errorf("%w: %s is %d levels below the root; not read", ErrTooDeep, quoteLong(p), depth)
	} else if q, ok := w.above[unique]; ok && unique != "" {
		stop = fmt.Errorf("%w: %s has the unique fact %s of %s, above it; not read", ErrCycle, quoteLong(p), quoteLong(unique), quoteLong(q))
	}
	if stop != nil {
		if err := w.fn(p, e, stop); err != fs.SkipDir {
			return err
		}
		return nil
	}
	entries, unsafe, err := w.list(ctx, p)
	for _, ne := range unsafe {
		if ferr := w.fn(p, e, ne); ferr != nil {
			if ferr == fs.SkipDir {
				ferr = nil
			}
			return ferr
		}
	}
	if err != nil {
		if err = w.fn(p, e, err); err != nil {
			if err == fs.SkipDir {
				err = nil
			}
			return err
		}
	}
	if unique != "" {
		w.above[unique] = p
		defer delete(w.above, unique)
	}
	for _, child := range entries {
		if err := w.walk(ctx, joinPath(p, child.Name), child, depth+1); err != nil {
			if err == fs.SkipDir {
				break
			}
			return err
		}
	}
	return nil
}

// tooDeep returns an error wrapping ErrTooDeep when the valid fs path name
// is DefaultMaxDepth levels or more below the FS root, else nil.
func tooDeep(name string) error {
	if depth := strings.Count(name, "/") + 1; name != "." && depth >= DefaultMaxDepth {
		return fmt.Errorf("%w: %d levels below the root; not read", ErrTooDeep, depth)
	}
	return nil
}

// joinPath appends name to the FTP path dir with one "/" between them; an
// empty dir gives name alone.
func joinPath(dir, name string) string {
	if dir == "" {
		return name
	}
	if strings.HasSuffix(dir, "/") {
		return dir + name
	}
	return dir + "/" + name
}
