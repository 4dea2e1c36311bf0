package ftp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sync"
)

// hold is with for the calls that keep their connection after they
// return (Open, Create): on success the connection stays lent, and the
// caller gives it back.
func (c *Client) hold(ctx context.Context, op, p string, fn func(cn *Conn) error) (*pconn, error) {
	if err := checkPath(p); err != nil {
		return nil, pathErr(op, p, err)
	}
	c.init()
	for attempt := 0; ; attempt++ {
		pc, err := c.pool.get(ctx)
		if err == nil {
			if err = fn(pc.c); err == nil {
				return pc, nil
			}
			c.giveBack(ctx, pc, err)
		}
		if attempt >= c.retries() || !c.retryable(ctx, err) || c.retryWait(ctx, op, p, attempt, err) != nil {
			return nil, pathErr(op, p, err)
		}
	}
}

// Open starts downloading the file path (TYPE I, RETR) and returns it as
// an io.ReadCloser. The stream holds one pooled connection until it is
// closed; ctx governs it until then. When the data connection breaks, the
// download resumes on a fresh connection with REST at the bytes already
// read, as Download does. Read returns io.EOF only once the server has
// confirmed the whole file (its final reply); Close before that aborts the
// transfer (ABOR).
func (c *Client) Open(ctx context.Context, path string) (io.ReadCloser, error) {
	r := &fileReader{c: c, ctx: ctx, path: path}
	if err := r.start(); err != nil {
		return nil, err
	}
	return r, nil
}

// fileReader is the stream returned by Client.Open.
type fileReader struct {
	c    *Client
	ctx  context.Context
	path string
	off  int64 // bytes returned by Read

	mu   sync.Mutex // serialises Read and Close
	pc   *pconn
	d    *DataConn
	err  error // sticky: io.EOF or the failure
	done bool  // closed
}

// start (re)opens the download at r.off.
func (r *fileReader) start() error {
	pc, err := r.c.hold(r.ctx, "open", r.path, func(cn *Conn) error {
		p := r.c.abs(r.path)
		var opts []TransferOption
		if r.off > 0 {
			opts = append(opts, Rest(r.off))
		}
		d, err := cn.Retr(r.ctx, "RETR "+p, opts...)
		if err != nil {
			return missing(r.ctx, cn, p, err)
		}
		r.d = d
		return nil
	})
	if err != nil {
		return err
	}
	r.pc = pc
	return nil
}

// Read reads the file. A broken transfer is resumed transparently.
func (r *fileReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for retries := 0; ; {
		if r.err != nil {
			return 0, r.err
		}
		if r.done {
			return 0, pathErr("read", r.path, errDataClosed)
		}
		n, err := r.d.Read(p)
		r.off += int64(n)
		if err == nil {
			return n, nil
		}
		if err == io.EOF {
			// The data ended: the final reply says whether it is all.
			err = r.d.Close()
			if err == nil {
				r.release(nil)
				r.err = io.EOF
				return n, nil
			}
		}
		// The transfer failed: resume it when that may help.
		r.d.Close()
		r.release(err)
		if retries >= r.c.retries() || !r.c.retryable(r.ctx, err) {
			r.err = pathErr("read", r.path, err)
			return n, nil
		}
		if n > 0 {
			// Deliver what arrived; the next Read resumes.
			r.c.noteRetry(r.ctx, "read", r.path, retries, 0, err)
			if serr := r.start(); serr != nil {
				r.err = serr
			}
			return n, nil
		}
		if berr := r.c.retryWait(r.ctx, "read", r.path, retries, err); berr != nil {
			r.err = pathErr("read", r.path, err)
			return 0, r.err
		}
		retries++
		if serr := r.start(); serr != nil {
			r.err = serr
			return 0, serr
		}
	}
}

// release gives the connection back after the transfer ended with err.
func (r *fileReader) release(err error) {
	if r.pc != nil {
		r.c.giveBack(r.ctx, r.pc, err)
		r.pc = nil
	}
}

// Close ends the download: before the end of the file it aborts the
// transfer. The connection goes back to the pool.
func (r *fileReader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return nil
	}
	r.done = true
	if r.pc == nil {
		return nil
	}
	err := r.d.Close()
	r.release(err)
	if err != nil {
		return pathErr("close", r.path, err)
	}
	return nil
}

// Create starts uploading to the file path (TYPE I, STOR), replacing it,
// and returns the upload as an io.WriteCloser. Close ends the file and
// reads the server's final reply; the pooled connection the upload holds
// goes back to the pool then. Opening the upload is retried like any
// call; a failure while writing is not (the data cannot be sent again):
// Write returns it, and Close aborts the transfer (ABOR) so that the
// server does not keep a truncated file as complete.
func (c *Client) Create(ctx context.Context, path string) (io.WriteCloser, error) {
	w := &fileWriter{c: c, ctx: ctx, path: path}
	pc, err := c.hold(ctx, "create", path, func(cn *Conn) error {
		d, err := cn.Stor(ctx, "STOR "+c.abs(path))
		if err != nil {
			return err
		}
		w.d = d
		return nil
	})
	if err != nil {
		return nil, err
	}
	w.pc = pc
	return w, nil
}

// fileWriter is the stream returned by Client.Create.
type fileWriter struct {
	c    *Client
	ctx  context.Context
	path string

	mu   sync.Mutex
	pc   *pconn
	d    *DataConn
	werr error
	done bool
	cerr error
}

// Write sends p to the server.
func (w *fileWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return 0, pathErr("write", w.path, errDataClosed)
	}
	if w.werr != nil {
		return 0, w.werr
	}
	n, err := w.d.Write(p)
	if err != nil {
		w.werr = pathErr("write", w.path, err)
		return n, w.werr
	}
	return n, nil
}

// ReadFrom sends what r holds (io.ReaderFrom), letting the kernel copy a
// file to a plain data connection.
func (w *fileWriter) ReadFrom(r io.Reader) (int64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return 0, pathErr("write", w.path, errDataClosed)
	}
	if w.werr != nil {
		return 0, w.werr
	}
	n, err := w.d.ReadFrom(r)
	if err != nil {
		w.werr = pathErr("write", w.path, err)
		return n, w.werr
	}
	return n, nil
}

// Close ends the upload and returns the server's verdict. It is safe to
// call more than once.
func (w *fileWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return w.cerr
	}
	w.done = true
	var err error
	if w.werr != nil {
		_, err = w.d.end(w.werr)
	} else {
		err = w.d.Close()
	}
	w.c.giveBack(w.ctx, w.pc, err)
	w.pc = nil
	if err != nil {
		w.cerr = pathErr("close", w.path, err)
	}
	return w.cerr
}

// Walk walks the tree rooted at root as [Conn.Walk] does (the semantics
// of fs.WalkDir: lexical order, fs.SkipDir, fs.SkipAll, links reported
// and not followed), with the Client's calls: each directory is read
// whole on a pooled connection that is given back before fn is called, so
// fn may use the Client (to download each file, say) whatever MaxConns.
// The path passed to fn is root joined with the names below it. Errors
// reading a directory are given to fn, as fs.WalkDir does; Walk returns
// the error fn returns, other than fs.SkipDir and fs.SkipAll. A root
// holding CR or LF is refused (ErrIllegalNewline) without calling fn.
//
// Walk has the bounds of [Conn.Walk]: an entry left out for its name is
// given to fn with its directory as a [*NameError], once per entry; a
// directory DefaultMaxDepth levels below root (or as [MaxDepth] says),
// or one whose unique fact is that of a directory above it, is given to
// fn a second time with an error wrapping ErrTooDeep or ErrCycle and is
// not read.
func (c *Client) Walk(ctx context.Context, root string, fn func(path string, e Entry, err error) error, opts ...WalkOption) error {
	if err := checkPath(root); err != nil {
		return pathErr("walk", root, err)
	}
	w := newWalker(fn, opts, c.listDir)
	e, err := c.Stat(ctx, root)
	return w.run(ctx, root, e, err)
}

// FS returns the server's files, from the Client's directory (the login
// directory, or Dir), as an fs.FS, so that fs.WalkDir, fs.Glob,
// fs.ReadFile, fs.Sub and http.FS work over the pool. Unlike [Conn.FS] it
// is safe for concurrent use with no turn-taking: each operation borrows a
// pooled connection, and an open file holds one only while it is being
// read. It also implements fs.ReadDirFS, fs.StatFS and fs.ReadFileFS, and
// its files implement io.Seeker (a Seek to another offset restarts the
// download there with REST). Names follow fs.ValidPath; others are
// refused with fs.ErrInvalid. Errors are *fs.PathError with the fs name;
// a missing name matches fs.ErrNotExist. ctx governs every operation. No
// I/O happens until the first call.
func (c *Client) FS(ctx context.Context) fs.FS {
	return &clientFS{c: c, ctx: ctx}
}

// clientFS is the fs.FS returned by Client.FS.
type clientFS struct {
	c   *Client
	ctx context.Context
}

// rel maps a valid fs name to a Client path ("" is the Client's
// directory).
func rel(name string) string {
	if name == "." {
		return ""
	}
	return name
}

// fsErr rewraps a Client error for the fs name.
func fsErr(op, name string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &fs.PathError{Op: op, Path: name, Err: err}
}

func (f *clientFS) stat(op, name string) (entryInfo, error) {
	if !fs.ValidPath(name) {
		return entryInfo{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	e, err := f.c.Stat(f.ctx, rel(name))
	if err != nil {
		return entryInfo{}, fsErr(op, name, err)
	}
	return entryInfo{e: e, name: path.Base(name)}, nil
}

// Open opens the file or directory name. A file is downloaded on its
// first Read; a directory is listed on its first ReadDir.
func (f *clientFS) Open(name string) (fs.File, error) {
	info, err := f.stat("open", name)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		return &clientDir{fsys: f, name: name, info: info}, nil
	}
	return &clientFile{fsys: f, name: name, info: info}, nil
}

// Stat returns the entry of name as an fs.FileInfo whose Sys is an Entry.
func (f *clientFS) Stat(name string) (fs.FileInfo, error) {
	info, err := f.stat("stat", name)
	if err != nil {
		return nil, err
	}
	return info, nil
}

// ReadDir returns the entries of the directory name, sorted by name.
func (f *clientFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	entries, err := f.c.ReadDir(f.ctx, rel(name))
	list := make([]fs.DirEntry, len(entries))
	for i, e := range entries {
		list[i] = entryInfo{e: e, name: e.Name}
	}
	if err != nil {
		return list, fsErr("readdir", name, err)
	}
	return list, nil
}

// ReadFile downloads the whole file name.
func (f *clientFS) ReadFile(name string) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: fs.ErrInvalid}
	}
	var b bytes.Buffer
	if _, err := f.c.Download(f.ctx, rel(name), &b); err != nil {
		return nil, fsErr("readfile", name, err)
	}
	return b.Bytes(), nil
}

// clientDir is an open directory of a clientFS.
type clientDir struct {
	fsys    *clientFS
	name    string
	info    entryInfo
	entries []fs.DirEntry
	read    bool
	closed  bool
}

func (d *clientDir) Stat() (fs.FileInfo, error) { return d.info, nil }

func (d *clientDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: errIsDir}
}

func (d *clientDir) Close() error {
	if d.closed {
		return &fs.PathError{Op: "close", Path: d.name, Err: fs.ErrClosed}
	}
	d.closed = true
	return nil
}

// ReadDir returns the next n entries (all of them for n <= 0), as
// fs.ReadDirFile does.
func (d *clientDir) ReadDir(n int) ([]fs.DirEntry, error) {
	if d.closed {
		return nil, &fs.PathError{Op: "readdir", Path: d.name, Err: fs.ErrClosed}
	}
	if !d.read {
		list, err := d.fsys.ReadDir(d.name)
		if err != nil {
			return nil, err
		}
		d.entries, d.read = list, true
	}
	if n <= 0 {
		list := d.entries
		d.entries = nil
		return list, nil
	}
	if len(d.entries) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(d.entries))
	list := d.entries[:n:n]
	d.entries = d.entries[n:]
	return list, nil
}

// clientFile is an open file of a clientFS: a download started on the
// first Read at the current offset.
type clientFile struct {
	fsys   *clientFS
	name   string
	info   entryInfo
	r      *fileReader // the download in progress, or nil
	off    int64
	closed bool
}

func (fl *clientFile) Stat() (fs.FileInfo, error) { return fl.info, nil }

func (fl *clientFile) Read(p []byte) (int, error) {
	if fl.closed {
		return 0, &fs.PathError{Op: "read", Path: fl.name, Err: fs.ErrClosed}
	}
	if len(p) == 0 {
		return 0, nil
	}
	if fl.r == nil {
		if size := fl.info.e.Size; size >= 0 && fl.off >= size {
			// Known to be at the end: no transfer for nothing.
			return 0, io.EOF
		}
		r := &fileReader{c: fl.fsys.c, ctx: fl.fsys.ctx, path: rel(fl.name), off: fl.off}
		if err := r.start(); err != nil {
			return 0, fsErr("read", fl.name, err)
		}
		fl.r = r
	}
	n, err := fl.r.Read(p)
	fl.off += int64(n)
	if err != nil && err != io.EOF {
		err = fsErr("read", fl.name, err)
	}
	return n, err
}

// Seek sets the offset of the next Read; moving it stops the download in
// progress, and the next Read restarts it there (REST).
func (fl *clientFile) Seek(offset int64, whence int) (int64, error) {
	if fl.closed {
		return 0, &fs.PathError{Op: "seek", Path: fl.name, Err: fs.ErrClosed}
	}
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = fl.off + offset
	case io.SeekEnd:
		if fl.info.e.Size < 0 {
			return 0, &fs.PathError{Op: "seek", Path: fl.name, Err: fmt.Errorf("size unknown: %w", errors.ErrUnsupported)}
		}
		abs = fl.info.e.Size + offset
	default:
		return 0, &fs.PathError{Op: "seek", Path: fl.name, Err: fs.ErrInvalid}
	}
	if abs < 0 {
		return 0, &fs.PathError{Op: "seek", Path: fl.name, Err: fs.ErrInvalid}
	}
	if abs != fl.off && fl.r != nil {
		fl.r.Close()
		fl.r = nil
	}
	fl.off = abs
	return abs, nil
}

func (fl *clientFile) Close() error {
	if fl.closed {
		return &fs.PathError{Op: "close", Path: fl.name, Err: fs.ErrClosed}
	}
	fl.closed = true
	if fl.r != nil {
		err := fl.r.Close()
		fl.r = nil
		if err != nil {
			return fsErr("close", fl.name, err)
		}
	}
	return nil
}
