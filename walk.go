package ftp

import (
	"context"
	"io/fs"
	"strings"
)

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
// the entries read (if fn returns nil), as fs.WalkDir does. Names are
// taken verbatim from the listings, so a server that returns "/" in a name
// makes odd paths.
//
// Each directory is read whole, and the Conn is free, before fn is called
// for its entries, so fn may use the Conn (to download a file, say).
// Memory is therefore bounded by the sizes of the directories on the path
// from root to the current one, not by the size of the tree. Walk returns
// the error fn returned, other than fs.SkipDir or fs.SkipAll; errors from
// the server are given to fn, not returned.
func (c *Conn) Walk(ctx context.Context, root string, fn func(path string, e Entry, err error) error) error {
	e, err := c.stat(ctx, root)
	if err != nil {
		err = fn(root, Entry{}, err)
	} else {
		err = c.walk(ctx, root, e, fn)
	}
	if err == fs.SkipDir || err == fs.SkipAll {
		return nil
	}
	return err
}

// walk visits p, whose entry is e, and below it.
func (c *Conn) walk(ctx context.Context, p string, e Entry, fn func(string, Entry, error) error) error {
	if err := fn(p, e, nil); err != nil || !e.IsDir() {
		if err == fs.SkipDir && e.IsDir() {
			err = nil
		}
		return err
	}
	entries, err := c.ReadDir(ctx, p)
	if err != nil {
		if err = fn(p, e, err); err != nil {
			if err == fs.SkipDir {
				err = nil
			}
			return err
		}
	}
	for _, child := range entries {
		if err := c.walk(ctx, joinPath(p, child.Name), child, fn); err != nil {
			if err == fs.SkipDir {
				break
			}
			return err
		}
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
