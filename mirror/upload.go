package mirror

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/ftplib-go/ftp"
)

// Upload mirrors the local directory localDir onto the remote directory
// remoteDir (a Client path: relative to the Client's directory, or
// absolute), creating it and its subdirectories when missing. Each file is
// stored under a temporary name, given the local modification time (MFMT,
// else "MDTM time path", else SITE UTIME) and renamed into place. Symbolic
// links and special files of the local tree are listed in Result.Ignored
// and not followed; a local name that cannot be sent safely (control
// characters, CR, LF, '\') is reported and skipped.
//
// The Result and error are as for Download.
func Upload(ctx context.Context, c *ftp.Client, localDir, remoteDir string, opts Options) (*Result, error) {
	r, err := newRun(ctx, c, remoteDir, opts)
	if err != nil {
		return &Result{}, err
	}
	fi, err := os.Stat(localDir)
	if err != nil {
		return &Result{}, fmt.Errorf("mirror: %w", err)
	}
	if !fi.IsDir() {
		return &Result{}, fmt.Errorf("mirror: %s is not a directory", localDir)
	}
	u := &up{run: r, root: localDir}
	r.begin()
	entries, err := c.ReadDir(ctx, r.remote(""))
	_, other := nameErrors(err)
	empty := false
	switch {
	case other != nil && errors.Is(other, fs.ErrNotExist):
		if !opts.DryRun {
			if err := c.MkdirAll(ctx, r.remote("")); err != nil {
				return &Result{}, fmt.Errorf("mirror: %w", err)
			}
		}
		entries, other, empty = nil, nil, true
	case other != nil && len(entries) == 0:
		return &Result{}, fmt.Errorf("mirror: %w", other)
	}
	r.push(true, func() { u.dir("", entries, other, empty) })
	return r.wait()
}

// up is one Upload.
type up struct {
	*run
	root string
}

// local returns the local path of rel.
func (u *up) local(rel string) string {
	return filepath.Join(u.root, filepath.FromSlash(rel))
}

// list lists the remote directory rel (unless it was just made) and
// mirrors the local one onto it.
func (u *up) list(rel string, made bool) {
	if made {
		u.dir(rel, nil, nil, true)
		return
	}
	entries, err := u.c.ReadDir(u.ctx, u.remote(rel))
	_, other := nameErrors(err)
	u.dir(rel, entries, other, false)
}

// dir mirrors the local directory rel onto the remote one, listed as
// remote.
func (u *up) dir(rel string, remote []ftp.Entry, listErr error, empty bool) {
	canDelete := listErr == nil
	if listErr != nil {
		u.fail(rel, "list", listErr)
		if len(remote) == 0 {
			return
		}
	}
	local, err := os.ReadDir(u.local(rel))
	if err != nil {
		u.fail(rel, "local", err)
		return
	}
	remoteBy := map[string]ftp.Entry{}
	var found []string
	foundBy := map[string]ftp.Entry{}
	for _, e := range remote {
		if _, ok := tmpParse(e.Name); ok && e.Type == ftp.TypeFile {
			found = append(found, e.Name)
			foundBy[e.Name] = e
			continue
		}
		remoteBy[e.Name] = e
	}
	seen := map[string]bool{}
	var files []fs.DirEntry
	for _, le := range local {
		name := le.Name()
		p := relJoin(rel, name)
		if _, ok := tmpParse(name); ok {
			continue // a download in progress
		}
		seen[name] = true
		if err := unsafeName(name); err != nil {
			u.fail(p, "name", fmt.Errorf("%w: local name %q not sent", err, name))
			continue
		}
		t := le.Type()
		switch {
		case t&fs.ModeSymlink != 0:
			if u.included(p, name, false) {
				u.add(&u.res.Ignored, p)
			}
		case le.IsDir():
			if !u.included(p, name, true) {
				continue
			}
			if depth(p) > MaxDepth {
				u.fail(p, "list", fmt.Errorf("%w: %d levels below the root", ftp.ErrTooDeep, depth(p)))
				continue
			}
			re, exists := remoteBy[name]
			if made, ok := u.mkdir(p, re, exists); ok {
				u.push(true, func() { u.list(p, made) })
			}
		case t.IsRegular():
			if u.included(p, name, false) {
				files = append(files, le)
			}
		default:
			if u.included(p, name, false) {
				u.add(&u.res.Ignored, p)
			}
		}
	}
	names := make([]string, len(files))
	for i, le := range files {
		names[i] = le.Name()
	}
	byOwner, orphans := temps(found, names)
	if !u.opts.DryRun {
		for _, t := range orphans {
			u.c.Remove(u.ctx, u.remote(relJoin(rel, t)))
		}
	}
	times := u.remoteTimes(rel, files, remoteBy)
	for i, le := range files {
		p := relJoin(rel, le.Name())
		re, exists := remoteBy[le.Name()]
		var tmps []ftp.Entry
		for _, t := range byOwner[le.Name()] {
			tmps = append(tmps, foundBy[t])
		}
		u.push(false, func() { u.file(p, le, re, exists, tmps, times[i]) })
	}
	if !u.opts.Delete || !canDelete {
		return
	}
	for name, re := range remoteBy {
		p := relJoin(rel, name)
		if seen[name] || !u.included(p, name, re.IsDir()) {
			continue
		}
		if !u.opts.DryRun {
			var err error
			if re.IsDir() {
				err = u.c.RemoveAll(u.ctx, u.remote(p))
			} else {
				err = u.c.Remove(u.ctx, u.remote(p))
			}
			if err != nil {
				u.fail(p, "delete", err)
				continue
			}
		}
		u.add(&u.res.Deleted, p)
	}
}

// mkdir makes sure the remote directory rel exists, listed as re when
// exists. It reports whether it made it (so it is empty), and whether the
// mirror of rel should go on.
func (u *up) mkdir(rel string, re ftp.Entry, exists bool) (made, ok bool) {
	if exists && re.IsDir() {
		return false, true
	}
	if exists {
		if !u.opts.Delete {
			u.fail(rel, "mkdir", errors.New("mirror: a remote file is in the way of a directory"))
			return false, false
		}
		if !u.opts.DryRun {
			if err := u.c.Remove(u.ctx, u.remote(rel)); err != nil {
				u.fail(rel, "delete", err)
				return false, false
			}
		}
		u.add(&u.res.Deleted, rel)
	}
	if u.opts.DryRun {
		return true, true
	}
	if err := u.c.Mkdir(u.ctx, u.remote(rel)); err != nil {
		u.fail(rel, "mkdir", err)
		return false, false
	}
	return true, true
}

// remoteTimes returns, for each of the local files of the directory rel,
// a function giving the modification time of the remote file of the same
// name when the comparison will need it (the listing has no time to the
// second and the sizes match), else nil. Those times are asked for all at
// once, pipelined (Client.ModTimes), in groups of maxCompare.
func (u *up) remoteTimes(rel string, files []fs.DirEntry, remoteBy map[string]ftp.Entry) []func() (time.Time, error) {
	fns := make([]func() (time.Time, error), len(files))
	var ask []string
	var idx []int
	for i, le := range files {
		re, ok := remoteBy[le.Name()]
		if !ok || re.IsDir() || re.Size < 0 {
			continue
		}
		if _, mod := re.Facts["modify"]; mod && !re.ModTime.IsZero() {
			continue
		}
		if fi, err := le.Info(); err != nil || fi.Size() != re.Size {
			continue
		}
		ask = append(ask, u.remote(relJoin(rel, le.Name())))
		idx = append(idx, i)
	}
	for len(ask) > 0 {
		n := min(maxCompare, len(ask))
		ts, errs, _ := u.c.ModTimes(u.ctx, ask[:n])
		for k, i := range idx[:n] {
			t, err := ts[k], errs[k]
			fns[i] = func() (time.Time, error) { return t, err }
		}
		ask, idx = ask[n:], idx[n:]
	}
	return fns
}

// file mirrors the local file rel (le) onto the remote one, listed as re
// when exists; tmps are the temporaries found for it on the server, and
// mdtm, when not nil, gives the remote file's time (see remoteTimes).
func (u *up) file(rel string, le fs.DirEntry, re ftp.Entry, exists bool, tmps []ftp.Entry, mdtm func() (time.Time, error)) {
	fi, err := le.Info()
	if err != nil {
		u.fail(rel, "local", err)
		return
	}
	size, mt := fi.Size(), fi.ModTime()
	if exists {
		if re.IsDir() {
			u.fail(rel, "upload", errors.New("mirror: a remote directory is in the way of a file"))
			return
		}
		if u.upToDate(rel, re, size, mt, mdtm) {
			u.add(&u.res.Skipped, rel)
			return
		}
	}
	if u.opts.DryRun {
		u.transferred(rel, 0, size)
		return
	}
	dirRel, name := splitRel(rel)
	tmp := tmpName(name, size, mt)
	tmpRel := relJoin(dirRel, tmp)
	var off int64
	for _, t := range tmps {
		if t.Name == tmp && t.Size >= 0 && t.Size <= size {
			off = t.Size
		} else {
			u.c.Remove(u.ctx, u.remote(relJoin(dirRel, t.Name)))
		}
	}
	f, err := os.Open(u.local(rel))
	if err != nil {
		u.fail(rel, "local", err)
		return
	}
	defer f.Close()
	if ofi, err := f.Stat(); err != nil || !ofi.Mode().IsRegular() || !os.SameFile(ofi, fi) {
		u.fail(rel, "local", errors.New("mirror: the local file changed while it was being mirrored"))
		return
	}
	var n int64
	if off < size || off == 0 {
		cr := &countReader{r: io.NewSectionReader(f, off, size-off), counter: &counter{r: u.run, path: rel, size: size, n: off}}
		if off > 0 {
			n, err = u.c.Append(u.ctx, u.remote(tmpRel), cr)
		} else {
			n, err = u.c.Upload(u.ctx, u.remote(tmpRel), cr)
		}
		if err != nil {
			u.fail(rel, "upload", err)
			return
		}
	}
	if u.opts.Verify {
		if err := u.check(rel, tmpRel, size); err != nil {
			u.c.Remove(u.ctx, u.remote(tmpRel))
			u.fail(rel, "verify", err)
			return
		}
	}
	if err := u.setTime(tmpRel, mt); err != nil {
		u.fail(rel, "chtimes", err) // reported, but the file goes on
	}
	if err := u.c.Rename(u.ctx, u.remote(tmpRel), u.remote(rel)); err != nil {
		// Some servers refuse to rename over an existing file.
		if !exists || u.c.Remove(u.ctx, u.remote(rel)) != nil ||
			u.c.Rename(u.ctx, u.remote(tmpRel), u.remote(rel)) != nil {
			u.fail(rel, "rename", err)
			return
		}
	}
	u.transferred(rel, n, size)
}

// upToDate reports whether the remote file re has the local size and
// modification time; mdtm, when not nil, gives the remote time (else it
// is asked for with MDTM).
func (u *up) upToDate(rel string, re ftp.Entry, size int64, mt time.Time, mdtm func() (time.Time, error)) bool {
	rs := re.Size
	if rs < 0 {
		n, err := u.c.Size(u.ctx, u.remote(rel))
		if err != nil {
			return false
		}
		rs = n
	}
	if rs != size {
		return false
	}
	if _, ok := re.Facts["modify"]; ok && !re.ModTime.IsZero() {
		return sameTime(re.ModTime, mt)
	}
	if mdtm == nil {
		mdtm = func() (time.Time, error) { return u.c.ModTime(u.ctx, u.remote(rel)) }
	}
	rt, err := mdtm()
	if err != nil || rt.IsZero() {
		rt = re.ModTime // the LIST time, to the minute at best
		return !rt.IsZero() && rt.Equal(mt.Truncate(time.Minute))
	}
	return sameTime(rt, mt)
}

// check verifies the uploaded temporary tmpRel against the local file rel.
func (u *up) check(rel, tmpRel string, size int64) error {
	done, err := u.verifySum(tmpRel, func() (io.ReadCloser, error) { return os.Open(u.local(rel)) })
	if done || err != nil {
		return err
	}
	n, err := u.c.Size(u.ctx, u.remote(tmpRel))
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("%w: %d bytes on the server, %d here", ErrVerify, n, size)
	}
	return nil
}

// setTime sets the modification time of the remote file rel: MFMT or
// "MDTM time path" (Client.SetModTime), else SITE UTIME in the forms of
// proftpd and pure-ftpd.
func (u *up) setTime(rel string, mt time.Time) error {
	err := u.c.SetModTime(u.ctx, u.remote(rel), mt)
	if err == nil || u.ctx.Err() != nil {
		return err
	}
	p, aerr := u.abs(rel)
	if aerr != nil {
		return err
	}
	ts := mt.UTC().Format("20060102150405")
	for _, cmd := range []string{
		"SITE UTIME " + ts + " " + p,
		"SITE UTIME " + p + " " + ts + " " + ts + " " + ts + " UTC",
	} {
		serr := u.c.Do(u.ctx, func(cn *ftp.Conn) error {
			_, err := cn.SendCmd(u.ctx, cmd)
			return err
		})
		if serr == nil {
			return nil
		}
	}
	return err
}

// splitRel splits a relative path into its directory and name.
func splitRel(rel string) (dir, name string) {
	for i := len(rel) - 1; i >= 0; i-- {
		if rel[i] == '/' {
			return rel[:i], rel[i+1:]
		}
	}
	return "", rel
}
