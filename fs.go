package ftp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"path"
	"sync"
	"time"
)

// FileInfo returns e as an fs.FileInfo. See [Entry.DirEntry].
func (e Entry) FileInfo() fs.FileInfo { return entryInfo{e: e, name: e.Name} }

// DirEntry returns e as an fs.DirEntry, whose Info method returns the same
// value as [Entry.FileInfo] and never fails. Both report e.Name as the
// name; e.Size as the size, or 0 when it is unknown (-1); e.Mode as the
// mode, with fs.ModeDir for every directory type, fs.ModeSymlink for
// TypeLink and fs.ModeIrregular for TypeOther when the listing says
// nothing more; e.ModTime as the modification time; and e (an Entry) as
// Sys. No I/O happens.
func (e Entry) DirEntry() fs.DirEntry { return entryInfo{e: e, name: e.Name} }

// entryInfo is an Entry as fs.FileInfo and fs.DirEntry, with the name to
// report.
type entryInfo struct {
	e    Entry
	name string
}

func (i entryInfo) Name() string { return i.name }
func (i entryInfo) IsDir() bool  { return i.e.IsDir() }
func (i entryInfo) Sys() any     { return i.e }

func (i entryInfo) Size() int64 {
	if i.e.Size < 0 {
		return 0
	}
	return i.e.Size
}

func (i entryInfo) ModTime() time.Time { return i.e.ModTime }

func (i entryInfo) Mode() fs.FileMode {
	m := i.e.Mode
	switch i.e.Type {
	case TypeDir, TypeCdir, TypePdir:
		m = m&^fs.ModeType | fs.ModeDir
	case TypeLink:
		m = m&^fs.ModeType | fs.ModeSymlink
	case TypeFile:
		m &^= fs.ModeType
	case TypeOther:
		if m&fs.ModeType == 0 {
			m |= fs.ModeIrregular
		}
	}
	return m
}

func (i entryInfo) Type() fs.FileMode          { return i.Mode().Type() }
func (i entryInfo) Info() (fs.FileInfo, error) { return i, nil }
func (i entryInfo) String() string             { return fs.FormatFileInfo(i) }

// FS returns the server's files as an fs.FS, so that fs.WalkDir, fs.Glob,
// fs.ReadFile, fs.Sub and http.FS work over FTP. It sends PWD at once and
// resolves every name against that directory, so later Cwd calls do not
// move it; when PWD is refused names are sent relative to the current
// directory. The value returned also implements fs.ReadDirFS, fs.StatFS
// and fs.ReadFileFS. Names follow fs.ValidPath ("." is the directory
// itself); others are refused with fs.ErrInvalid.
//
// ctx governs every operation of the FS and of its files; once it is done
// they fail. Errors are *fs.PathError; a name the server does not have
// (MLST's 550, or missing from its parent's listing) matches
// fs.ErrNotExist, and the server's reply stays reachable with errors.As.
//
// What does I/O: Stat and Open send MLST when the server lists it in FEAT
// (FEAT is sent once per Conn), else a LIST of the parent directory
// (the FS root itself is then a directory without facts). ReadDir, and the
// first ReadDir of an open directory, list it with [Conn.ReadDir] (MLSD or
// LIST) and hold it in memory; as there, an entry whose name is not one
// path element is left out, and ReadDir returns the other entries with an
// error holding a [*NameError] for each (fs.WalkDir then calls its
// function for the directory with that error). A directory DefaultMaxDepth
// levels below the FS root is not listed: ReadDir returns an error
// wrapping ErrTooDeep, which bounds fs.WalkDir on a server whose every
// directory holds another. The first Read of an open file starts a
// binary download (RETR), streamed as it is read; Seek to another offset
// stops it and the next Read restarts it with REST. ReadFile downloads the
// whole file. Close of a file before its end aborts the download (ABOR).
// Stat, Size and ModTime of an open file, and Close of a directory, do
// no I/O.
//
// The FS is safe for concurrent use: its operations take turns on the one
// control connection. Only one download can run at a time, so when an
// operation needs the connection while a file is being read, that file's
// download is stopped: up to 256 KiB more of it is read into memory, and
// when the file is longer than that, the download is aborted (ABOR) and
// the file's next Read past what was kept starts it again from there
// (REST), as a Seek does. Memory thus stays bounded whatever the size of
// the files and however their reads interleave. While a file's download
// runs, calls made directly on the Conn fail with ErrBusy; close the file
// (or read it to the end) first.
func (c *Conn) FS(ctx context.Context) fs.FS {
	f := &ftpFS{c: c, ctx: ctx}
	dir, err := c.Pwd(ctx)
	if err != nil && !isReplyErr(err) {
		f.err = err
	}
	f.root = dir
	return f
}

// ftpFS is the fs.FS returned by Conn.FS.
type ftpFS struct {
	c    *Conn
	ctx  context.Context
	root string // "" when PWD named none: names are sent relative
	err  error  // the PWD failure, returned by every operation

	mu  sync.Mutex // one operation at a time
	cur *ftpFile   // the file whose download holds the Conn
}

// full maps a valid fs name to the server path.
func (f *ftpFS) full(name string) string {
	if name == "." {
		return f.root
	}
	return joinPath(f.root, name)
}

// begin checks name and takes the FS for one operation: the caller holds
// f.mu afterwards, and no file download holds the Conn.
func (f *ftpFS) begin(op, name string) error {
	if !fs.ValidPath(name) {
		return &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	f.mu.Lock()
	if f.err != nil {
		f.mu.Unlock()
		return &fs.PathError{Op: op, Path: name, Err: f.err}
	}
	f.release()
	return nil
}

// release stops the download of the file being read, if any (see spill),
// so that the Conn is free. f.mu is held.
func (f *ftpFS) release() {
	if fl := f.cur; fl != nil {
		fl.spill()
	}
}

func (f *ftpFS) stat(op, name string) (entryInfo, error) {
	if name == "." {
		mlst, err := f.c.hasMLST(f.ctx)
		if err != nil {
			return entryInfo{}, &fs.PathError{Op: op, Path: name, Err: err}
		}
		if !mlst {
			// Without MLST the root is not looked up in its parent's
			// listing: it is a directory without facts.
			return entryInfo{e: Entry{Name: ".", Type: TypeDir, Size: -1, Mode: fs.ModeDir}, name: "."}, nil
		}
	}
	e, err := f.c.stat(f.ctx, f.full(name))
	if err != nil {
		return entryInfo{}, &fs.PathError{Op: op, Path: name, Err: err}
	}
	return entryInfo{e: e, name: path.Base(name)}, nil
}

// Open opens the file or directory name; see Conn.FS for the I/O.
func (f *ftpFS) Open(name string) (fs.File, error) {
	if err := f.begin("open", name); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	info, err := f.stat("open", name)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		return &ftpDir{fsys: f, name: name, info: info}, nil
	}
	return &ftpFile{fsys: f, name: name, info: info}, nil
}

// Stat returns the entry of name as an fs.FileInfo whose Sys is an Entry.
func (f *ftpFS) Stat(name string) (fs.FileInfo, error) {
	if err := f.begin("stat", name); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	info, err := f.stat("stat", name)
	if err != nil {
		return nil, err
	}
	return info, nil
}

// ReadDir returns the entries of the directory name, sorted by name.
func (f *ftpFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if err := f.begin("readdir", name); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	return f.readDir(name)
}

// readDir lists name. A LIST of a file lists the file: a listing of one
// entry named like name that is not a directory is checked with a stat.
func (f *ftpFS) readDir(name string) ([]fs.DirEntry, error) {
	if err := tooDeep(name); err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	entries, mlsd, err := f.c.readDir(f.ctx, f.full(name))
	if err == nil && !mlsd && name != "." && len(entries) == 1 && !entries[0].IsDir() && entries[0].Name == path.Base(name) {
		info, serr := f.stat("readdir", name)
		if serr != nil {
			return nil, serr
		}
		if !info.IsDir() {
			return nil, &fs.PathError{Op: "readdir", Path: name, Err: errNotDir}
		}
	}
	list := make([]fs.DirEntry, len(entries))
	for i, e := range entries {
		list[i] = entryInfo{e: e, name: e.Name}
	}
	if err != nil {
		return list, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	return list, nil
}

var (
	errNotDir = errors.New("not a directory")
	errIsDir  = errors.New("is a directory")
)

// ReadFile downloads the whole file name.
func (f *ftpFS) ReadFile(name string) ([]byte, error) {
	if err := f.begin("readfile", name); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	var b bytes.Buffer
	if _, err := f.c.RetrBinary(f.ctx, "RETR "+f.full(name), &b); err != nil {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: err}
	}
	return b.Bytes(), nil
}

// ftpDir is an open directory. Its entries are listed by the first
// ReadDir.
type ftpDir struct {
	fsys    *ftpFS
	name    string
	info    entryInfo
	list    []fs.DirEntry
	loaded  bool
	closed  bool
	loadErr error
}

func (d *ftpDir) Stat() (fs.FileInfo, error) { return d.info, nil }

func (d *ftpDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: errIsDir}
}

func (d *ftpDir) Close() error {
	d.closed = true
	d.list = nil
	return nil
}

// ReadDir returns the next n entries, or all that are left when n <= 0,
// as fs.ReadDirFile says.
func (d *ftpDir) ReadDir(n int) ([]fs.DirEntry, error) {
	if d.closed {
		return nil, &fs.PathError{Op: "readdir", Path: d.name, Err: fs.ErrClosed}
	}
	if !d.loaded {
		if err := d.fsys.begin("readdir", d.name); err != nil {
			return nil, err
		}
		d.list, d.loadErr = d.fsys.readDir(d.name)
		d.fsys.mu.Unlock()
		d.loaded = true
	}
	if n <= 0 {
		list := d.list
		d.list = nil
		err := d.loadErr
		d.loadErr = nil
		return list, err
	}
	if len(d.list) == 0 {
		if err := d.loadErr; err != nil {
			d.loadErr = nil
			return nil, err
		}
		return nil, io.EOF
	}
	n = min(n, len(d.list))
	list := d.list[:n:n]
	d.list = d.list[n:]
	return list, nil
}

// fsSpillMax is how much of a file's download an FS keeps in memory when
// another operation needs the Conn; a longer rest is aborted and fetched
// again later with REST.
const fsSpillMax = 256 << 10

// ftpFile is an open file: a download started at the first Read, from
// off, streamed from d, or from buf once spilled.
type ftpFile struct {
	fsys *ftpFS
	name string
	info entryInfo

	// Guarded by fsys.mu.
	off     int64     // offset of the next byte Read returns
	d       *DataConn // the download in progress, nil when none
	done    bool      // the download from off has ended: buf holds the rest
	partial bool      // the download was stopped: buf holds data from off, then REST
	buf     []byte    // with done or partial, the data from off on
	doneErr error     // with done, what follows buf: nil (io.EOF) or an error
	closed  bool
}

func (fl *ftpFile) Stat() (fs.FileInfo, error) { return fl.info, nil }

func (fl *ftpFile) pathErr(op string, err error) error {
	if _, ok := err.(*fs.PathError); ok {
		return err
	}
	return &fs.PathError{Op: op, Path: fl.name, Err: err}
}

// Read reads the file, starting its download on the first call.
func (fl *ftpFile) Read(p []byte) (int, error) {
	f := fl.fsys
	f.mu.Lock()
	defer f.mu.Unlock()
	if fl.closed {
		return 0, fl.pathErr("read", fs.ErrClosed)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if fl.done || fl.partial {
		if len(fl.buf) > 0 {
			n := copy(p, fl.buf)
			fl.buf = fl.buf[n:]
			fl.off += int64(n)
			return n, nil
		}
		if fl.done {
			if fl.doneErr != nil {
				return 0, fl.pathErr("read", fl.doneErr)
			}
			return 0, io.EOF
		}
		// What was kept is read: the download starts again at off.
		fl.partial, fl.buf = false, nil
	}
	if fl.d == nil {
		if f.err != nil {
			return 0, fl.pathErr("read", f.err)
		}
		f.release()
		var opts []TransferOption
		if fl.off > 0 {
			opts = append(opts, Rest(fl.off))
		}
		d, err := f.c.Retr(f.ctx, "RETR "+f.full(fl.name), opts...)
		if err != nil {
			return 0, fl.pathErr("read", err)
		}
		fl.d = d
		f.cur = fl
	}
	n, err := fl.d.Read(p)
	fl.off += int64(n)
	switch {
	case err == io.EOF:
		err = fl.end(nil)
		if err == nil {
			fl.done = true
			if n > 0 {
				return n, nil
			}
			return 0, io.EOF
		}
	case err != nil:
		err = fl.end(err)
	}
	if err != nil {
		return n, fl.pathErr("read", err)
	}
	return n, nil
}

// end ends the download: with err nil it reads the final reply (at EOF),
// else it aborts and returns err.
func (fl *ftpFile) end(err error) error {
	_, err = fl.d.end(err)
	fl.d = nil
	if fl.fsys.cur == fl {
		fl.fsys.cur = nil
	}
	return err
}

// spill frees the Conn from the file's download: it reads up to
// fsSpillMax more bytes into buf; when the download ended within them, it
// is ended normally (done), else it is aborted and the next Read past buf
// starts it again with REST (partial). Memory does not grow with the
// file's size. fsys.mu is held.
func (fl *ftpFile) spill() {
	// One more byte than kept tells whether the rest fits.
	want := int64(fsSpillMax + 1)
	if size := fl.info.e.Size; size >= 0 && size-fl.off < want {
		want = max(size-fl.off, 0) + 1
	}
	b := make([]byte, 0, want)
	var err error
	for len(b) < cap(b) {
		var n int
		n, err = fl.d.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			break
		}
	}
	if err == io.EOF {
		err = nil
	}
	if err != nil || len(b) < cap(b) {
		// The end of the data (or a failure) came first.
		fl.buf = b
		fl.doneErr = fl.end(err)
		fl.done = true
		return
	}
	// Stopping early is not an error of the file: ABOR, and the next Read
	// past buf restarts the download.
	_ = fl.d.Close()
	fl.d = nil
	if fl.fsys.cur == fl {
		fl.fsys.cur = nil
	}
	fl.buf = b
	fl.partial = true
}

// Seek sets the offset of the next Read. A download in progress at another
// offset is stopped; the next Read restarts it with REST. Seeking relative
// to the end uses the size from the listing.
func (fl *ftpFile) Seek(offset int64, whence int) (int64, error) {
	f := fl.fsys
	f.mu.Lock()
	defer f.mu.Unlock()
	if fl.closed {
		return 0, fl.pathErr("seek", fs.ErrClosed)
	}
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = fl.off + offset
	case io.SeekEnd:
		if fl.info.e.Size < 0 {
			return 0, fl.pathErr("seek", errors.New("size unknown"))
		}
		abs = fl.info.e.Size + offset
	default:
		return 0, fl.pathErr("seek", fs.ErrInvalid)
	}
	if abs < 0 {
		return 0, fl.pathErr("seek", fs.ErrInvalid)
	}
	switch {
	case abs == fl.off:
	case (fl.done && fl.doneErr == nil || fl.partial) && abs > fl.off && abs-fl.off <= int64(len(fl.buf)):
		fl.buf = fl.buf[abs-fl.off:]
		fl.off = abs
	default:
		if fl.d != nil {
			// Stopping early is not an error of the file.
			_ = fl.d.Close()
			fl.d = nil
			f.cur = nil
		}
		fl.done, fl.partial, fl.buf, fl.doneErr = false, false, nil, nil
		fl.off = abs
	}
	return abs, nil
}

// Close closes the file, aborting its download if it is still running.
func (fl *ftpFile) Close() error {
	f := fl.fsys
	f.mu.Lock()
	defer f.mu.Unlock()
	if fl.closed {
		return fl.pathErr("close", fs.ErrClosed)
	}
	fl.closed = true
	fl.buf = nil
	if fl.d != nil {
		err := fl.d.Close()
		fl.d = nil
		if f.cur == fl {
			f.cur = nil
		}
		if err != nil {
			return fl.pathErr("close", err)
		}
	}
	return nil
}
