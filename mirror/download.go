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

// Download mirrors the remote directory remoteDir (a Client path: relative
// to the Client's directory, or absolute) into the local directory
// localDir, creating it when missing. See the package documentation for
// how files are compared, written and kept safe.
//
// The Result is never nil. The error is nil when everything was mirrored;
// it wraps ErrIncomplete when some files failed (Result.Failed says which,
// and the rest were still mirrored), or is ctx's error when ctx ended the
// run, or describes why nothing could start (a bad pattern, a missing or
// unreadable root).
func Download(ctx context.Context, c *ftp.Client, remoteDir, localDir string, opts Options) (*Result, error) {
	r, err := newRun(ctx, c, remoteDir, opts)
	if err != nil {
		return &Result{}, err
	}
	d := &down{run: r, root: localDir}
	if !opts.DryRun {
		if err := os.MkdirAll(localDir, 0o777); err != nil {
			return &Result{}, fmt.Errorf("mirror: %w", err)
		}
	}
	r.begin()
	entries, err := c.ReadDir(ctx, r.remote(""))
	names, other := nameErrors(err)
	if other != nil && len(entries) == 0 {
		return &Result{}, fmt.Errorf("mirror: %w", other)
	}
	r.push(true, func() { d.dir("", entries, names, other) })
	return r.wait()
}

// maxBatch is the most files downloaded in one batch, and maxCompare the
// most compared at once (their MDTMs pipelined).
const (
	maxBatch   = 32
	maxCompare = 256
)

// down is one Download.
type down struct {
	*run
	root string
}

// local returns the local path of rel.
func (d *down) local(rel string) string {
	return filepath.Join(d.root, filepath.FromSlash(rel))
}

// list lists the remote directory rel and mirrors it.
func (d *down) list(rel string) {
	entries, err := d.c.ReadDir(d.ctx, d.remote(rel))
	names, other := nameErrors(err)
	d.dir(rel, entries, names, other)
}

// dir mirrors the remote directory rel, listed as entries: its
// subdirectories are queued for listing, its files for transfer.
func (d *down) dir(rel string, entries []ftp.Entry, names []*ftp.NameError, listErr error) {
	for _, ne := range names {
		d.fail(relJoin(rel, ne.Entry.Name), "name", ne)
	}
	canDelete := listErr == nil
	if listErr != nil {
		d.fail(rel, "list", listErr)
	}
	ldir := d.local(rel)
	var local []fs.DirEntry
	if !d.opts.DryRun || rel == "" || dirExists(ldir) {
		var err error
		local, err = os.ReadDir(ldir)
		if err != nil && !(d.opts.DryRun && errors.Is(err, fs.ErrNotExist)) {
			d.fail(rel, "local", err)
			return
		}
	}
	localBy := map[string]fs.DirEntry{}
	var found []string
	for _, le := range local {
		if _, ok := tmpParse(le.Name()); ok && le.Type().IsRegular() {
			found = append(found, le.Name())
			continue
		}
		localBy[le.Name()] = le
	}
	seen := map[string]bool{}
	var files []ftp.Entry
	for _, e := range entries {
		p := relJoin(rel, e.Name)
		if err := unsafeName(e.Name); err != nil {
			d.fail(p, "name", &ftp.NameError{Dir: d.remote(rel), Entry: e})
			continue
		}
		seen[e.Name] = true
		if _, ok := tmpParse(e.Name); ok {
			continue // an upload in progress
		}
		switch {
		case e.IsDir():
			if !d.included(p, e.Name, true) {
				continue
			}
			if depth(p) > MaxDepth {
				d.fail(p, "list", fmt.Errorf("%w: %d levels below the root", ftp.ErrTooDeep, depth(p)))
				continue
			}
			if d.mkdir(p, localBy[e.Name]) {
				d.push(true, func() { d.list(p) })
			}
		case e.Type == ftp.TypeFile && e.Mode&fs.ModeType == 0:
			if d.included(p, e.Name, false) {
				files = append(files, e)
			}
		default:
			if d.included(p, e.Name, false) {
				d.add(&d.res.Ignored, p)
			}
		}
	}
	names2 := make([]string, len(files))
	for i, e := range files {
		names2[i] = e.Name
	}
	byOwner, orphans := temps(found, names2)
	if !d.opts.DryRun {
		for _, t := range orphans {
			os.Remove(filepath.Join(ldir, t))
		}
	}
	// The files are compared in groups (see compare), one per worker up
	// to maxCompare files, queued like listings so that the work of the
	// whole tree is known early; they are downloaded in batches (one
	// connection each, see batch) small enough to keep every worker busy.
	per := max((len(files)+d.workers()-1)/d.workers(), 1)
	group, size := min(per, maxCompare), min(per, maxBatch)
	for len(files) > 0 {
		n := min(group, len(files))
		jobs := make([]job, n)
		for i, e := range files[:n] {
			jobs[i] = job{rel: relJoin(rel, e.Name), e: e, le: localBy[e.Name], tmps: byOwner[e.Name]}
		}
		files = files[n:]
		d.push(true, func() { d.compare(jobs, size) })
	}
	if !d.opts.Delete || !canDelete {
		return
	}
	for name, le := range localBy {
		p := relJoin(rel, name)
		if seen[name] || !d.included(p, name, le.IsDir()) {
			continue
		}
		if !d.opts.DryRun {
			var err error
			if le.IsDir() {
				err = os.RemoveAll(filepath.Join(ldir, name))
			} else {
				err = os.Remove(filepath.Join(ldir, name))
			}
			if err != nil {
				d.fail(p, "delete", err)
				continue
			}
		}
		d.add(&d.res.Deleted, p)
	}
}

func dirExists(p string) bool {
	fi, err := os.Lstat(p)
	return err == nil && fi.IsDir()
}

// mkdir makes sure the local directory of rel exists and is a real
// directory (not a link), and reports whether its listing should go on.
func (d *down) mkdir(rel string, le fs.DirEntry) bool {
	lp := d.local(rel)
	switch {
	case le == nil:
		if d.opts.DryRun {
			return true
		}
		if err := os.Mkdir(lp, 0o777); err != nil && !errors.Is(err, fs.ErrExist) {
			d.fail(rel, "mkdir", err)
			return false
		}
	case le.Type()&fs.ModeSymlink != 0:
		d.fail(rel, "local", ErrLocalSymlink)
		return false
	case !le.IsDir():
		if !d.opts.Delete {
			d.fail(rel, "mkdir", fmt.Errorf("mirror: a local file is in the way of a directory"))
			return false
		}
		if !d.opts.DryRun {
			if err := os.Remove(lp); err != nil {
				d.fail(rel, "delete", err)
				return false
			}
			if err := os.Mkdir(lp, 0o777); err != nil {
				d.fail(rel, "mkdir", err)
				return false
			}
		}
		d.add(&d.res.Deleted, rel)
	}
	// The directory must be a real directory now, whatever raced.
	if fi, err := os.Lstat(lp); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		d.fail(rel, "local", ErrLocalSymlink)
		return false
	}
	return true
}

// remoteTime returns the modification time of the remote file e: MLSD's
// modify fact, else MDTM (asked with mdtm), else the LIST time.
func remoteTime(e ftp.Entry, mdtm func() (time.Time, error)) time.Time {
	if _, ok := e.Facts["modify"]; ok && !e.ModTime.IsZero() {
		return e.ModTime
	}
	if t, err := mdtm(); err == nil && !t.IsZero() {
		return t
	}
	return e.ModTime
}

// plan is the transfer of one remote file into a local temporary.
type plan struct {
	rel, tp, lp string
	size        int64
	mt          time.Time
	off         int64 // bytes the temporary already holds
}

// plan decides what to do with the remote file rel, listed as e (with a
// known size); le is the local entry of the same name (nil when none) and
// tmps the temporaries found for it. It returns nil when nothing is to be
// transferred (up to date, dry run, or failed: reported).
func (d *down) plan(rel string, e ftp.Entry, le fs.DirEntry, tmps []string, mdtm func() (time.Time, error)) *plan {
	size := e.Size
	lp := d.local(rel)
	if le != nil {
		if le.Type()&fs.ModeSymlink != 0 {
			d.fail(rel, "local", ErrLocalSymlink)
			return nil
		}
		if le.IsDir() {
			d.fail(rel, "download", errors.New("mirror: a local directory is in the way of a file"))
			return nil
		}
	}
	mt := remoteTime(e, mdtm)
	if le != nil {
		if fi, err := le.Info(); err == nil && fi.Mode().IsRegular() && fi.Size() == size &&
			(mt.IsZero() || sameTime(fi.ModTime(), mt)) {
			d.add(&d.res.Skipped, rel)
			return nil
		}
	}
	if d.opts.DryRun {
		d.transferred(rel, 0, size)
		return nil
	}
	tmp := tmpName(e.Name, size, mt)
	tp := filepath.Join(filepath.Dir(lp), tmp)
	for _, t := range tmps {
		if t != tmp {
			os.Remove(filepath.Join(filepath.Dir(lp), t))
		}
	}
	p := &plan{rel: rel, tp: tp, lp: lp, size: size, mt: mt}
	if fi, err := os.Lstat(tp); err == nil {
		if fi.Mode().IsRegular() && fi.Size() <= size {
			p.off = fi.Size()
		} else if err := os.RemoveAll(tp); err != nil {
			d.fail(rel, "local", err)
			return nil
		}
	}
	return p
}

// file mirrors the remote file rel, listed as e; le is the local entry of
// the same name (nil when none) and tmps the temporaries found for it.
func (d *down) file(rel string, e ftp.Entry, le fs.DirEntry, tmps []string) {
	if e.Size < 0 {
		n, err := d.c.Size(d.ctx, d.remote(rel))
		if err != nil {
			d.fail(rel, "download", err)
			return
		}
		e.Size = n
	}
	p := d.plan(rel, e, le, tmps, func() (time.Time, error) { return d.c.ModTime(d.ctx, d.remote(rel)) })
	if p != nil {
		d.transfer(p)
	}
}

// transfer downloads p on its own (resuming its temporary) and puts it in
// place.
func (d *down) transfer(p *plan) {
	n, err := d.fetch(p.rel, p.tp, p.off, p.size)
	if err != nil {
		if fi, serr := os.Lstat(p.tp); serr == nil && fi.Size() == 0 {
			os.Remove(p.tp) // nothing to resume
		}
		d.fail(p.rel, "download", err)
		return
	}
	d.finish(p, n)
}

// finish checks the complete temporary of p, gives it the remote time and
// renames it into place; n is the bytes this run transferred.
func (d *down) finish(p *plan, n int64) {
	if err := d.check(p.rel, p.tp, p.size); err != nil {
		os.Remove(p.tp)
		d.fail(p.rel, "verify", err)
		return
	}
	if !p.mt.IsZero() {
		if err := os.Chtimes(p.tp, p.mt, p.mt); err != nil {
			d.fail(p.rel, "chtimes", err)
			return
		}
	}
	if err := os.Rename(p.tp, p.lp); err != nil {
		d.fail(p.rel, "rename", err)
		return
	}
	d.transferred(p.rel, n, p.size)
}

// job is a remote file waiting to be mirrored.
type job struct {
	rel  string
	e    ftp.Entry
	le   fs.DirEntry
	tmps []string
}

// compare decides which of several files of one directory are to be
// downloaded: their times (MDTM, when the listing has none) are asked for
// all at once with Client.ModTimes, pipelined on one pooled connection
// (about one round trip for them all, instead of one per file), then each
// is planned. The files to download are queued in batches of size files
// (see batch); a file whose temporary is to be resumed, or whose size is
// unknown, is queued on its own.
func (d *down) compare(jobs []job, size int) {
	times := make([]time.Time, len(jobs))
	terrs := make([]error, len(jobs))
	var ask []string
	var askIdx []int
	for i, j := range jobs {
		if _, ok := j.e.Facts["modify"]; j.e.Size >= 0 && !(ok && !j.e.ModTime.IsZero()) {
			ask = append(ask, d.remote(j.rel))
			askIdx = append(askIdx, i)
		}
	}
	if len(ask) > 0 {
		ts, errs, _ := d.c.ModTimes(d.ctx, ask)
		for k, i := range askIdx {
			times[i], terrs[i] = ts[k], errs[k]
		}
	}
	var ps []*plan
	for i, j := range jobs {
		if j.e.Size < 0 {
			d.push(false, func() { d.file(j.rel, j.e, j.le, j.tmps) })
			continue
		}
		p := d.plan(j.rel, j.e, j.le, j.tmps, func() (time.Time, error) { return times[i], terrs[i] })
		switch {
		case p == nil:
		case p.off > 0:
			d.push(false, func() { d.transfer(p) })
		default:
			ps = append(ps, p)
		}
	}
	for len(ps) > 0 {
		n := min(size, len(ps))
		b := ps[:n:n]
		ps = ps[n:]
		d.push(false, func() { d.batch(b) })
	}
}

// batch downloads several files of one directory with
// Client.DownloadMany, which saves a round trip per file (the next PASV
// goes out while the previous final reply is on its way) and retries and
// resumes each file as Client.Download does, then puts each in place.
func (d *down) batch(ps []*plan) {
	paths := make([]string, len(ps))
	for i, p := range ps {
		paths[i] = d.remote(p.rel)
	}
	files := make([]*os.File, len(ps))
	ferrs := make([]error, len(ps))
	closeFile := func(i int) {
		if files[i] != nil {
			ferrs[i] = files[i].Close()
			files[i] = nil
		}
	}
	res, _ := d.c.DownloadMany(d.ctx, paths, func(i int, _ string) (io.Writer, error) {
		if i > 0 {
			closeFile(i - 1)
		}
		f, err := os.OpenFile(ps[i].tp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
		if err != nil {
			return nil, err
		}
		files[i] = f
		return &countWriter{w: f, counter: &counter{r: d.run, path: ps[i].rel, size: ps[i].size}}, nil
	})
	for i := range ps {
		closeFile(i)
	}
	for i, p := range ps {
		err := res[i].Err
		if err == nil {
			err = ferrs[i]
		}
		if err != nil {
			// What arrived stays for the next run to resume.
			if fi, serr := os.Lstat(p.tp); serr == nil && fi.Size() == 0 {
				os.Remove(p.tp)
			}
			d.fail(p.rel, "download", err)
			continue
		}
		d.finish(p, res[i].N)
	}
}

// fetch downloads the remote file rel into the local temporary tp, from
// byte off (REST) when the temporary already holds that much.
func (d *down) fetch(rel, tp string, off, size int64) (int64, error) {
	if off == size && off > 0 {
		return 0, nil // complete, but not renamed last time
	}
	flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if off > 0 {
		flag = os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(tp, flag, 0o666)
	if err != nil {
		return 0, err
	}
	cw := &countWriter{w: f, counter: &counter{r: d.run, path: rel, size: size, n: off}}
	var n int64
	if off == 0 {
		n, err = d.c.Download(d.ctx, d.remote(rel), cw)
	} else {
		n, err = d.resume(rel, off, cw)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// resume downloads the remote file rel from byte off (REST, RETR) on a
// pooled connection.
func (d *down) resume(rel string, off int64, w io.Writer) (int64, error) {
	p, err := d.abs(rel)
	if err != nil {
		return 0, err
	}
	var total int64
	lw := &lastWriter{w: w}
	for attempt := 0; ; attempt++ {
		var n int64
		err = d.c.Do(d.ctx, func(cn *ftp.Conn) error {
			dc, err := cn.Retr(d.ctx, "RETR "+p, ftp.Rest(off+total))
			if err != nil {
				return err
			}
			n, err = io.Copy(lw, dc)
			if cerr := dc.Close(); err == nil {
				err = cerr
			}
			return err
		})
		total += n
		if err == nil || lw.err != nil || attempt >= d.retries() || !transient(err) || d.ctx.Err() != nil {
			return total, err
		}
		select {
		case <-time.After(time.Duration(50<<attempt) * time.Millisecond):
		case <-d.ctx.Done():
			return total, err
		}
	}
}

// lastWriter keeps the error of the writer it wraps, to tell a local
// failure (not retried) from a network one.
type lastWriter struct {
	w   io.Writer
	err error
}

func (l *lastWriter) Write(p []byte) (int, error) {
	n, err := l.w.Write(p)
	if err != nil {
		l.err = err
	}
	return n, err
}

// retries is how many times a transfer of the mirror's own (through
// Client.Do) is tried again, following the Client's MaxRetries.
func (r *run) retries() int {
	switch n := r.c.MaxRetries; {
	case n < 0:
		return 0
	case n == 0:
		return ftp.DefaultMaxRetries
	default:
		return n
	}
}

// transient reports whether err may not happen on a fresh connection:
// anything but a refusal (a 5xx reply) or a malformed or unsafe command.
func transient(err error) bool {
	var fe *ftp.Error
	if errors.As(err, &fe) {
		return fe.Code < 500
	}
	return !errors.Is(err, ftp.ErrIllegalNewline)
}

// check makes sure the temporary tp holds the remote file rel: by checksum
// with Verify when the server has one, else by size.
func (d *down) check(rel, tp string, size int64) error {
	fi, err := os.Stat(tp)
	if err != nil {
		return err
	}
	if size >= 0 && fi.Size() != size {
		return fmt.Errorf("%w: %d bytes received, the server listed %d", ErrVerify, fi.Size(), size)
	}
	if !d.opts.Verify {
		return nil
	}
	done, err := d.verifySum(rel, func() (io.ReadCloser, error) { return os.Open(tp) })
	if done || err != nil {
		return err
	}
	n, err := d.c.Size(d.ctx, d.remote(rel))
	if err != nil {
		return err
	}
	if n != fi.Size() {
		return fmt.Errorf("%w: %d bytes here, %d on the server", ErrVerify, fi.Size(), n)
	}
	return nil
}
