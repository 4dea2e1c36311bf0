// Package mirror keeps a directory tree on an FTP server and a local one in
// step, in either direction, on top of an ftp.Client.
//
// Download copies the remote tree into a local directory and Upload the local
// tree onto the server. Both are:
//
//   - parallel: up to the Client's MaxConns transfers and listings at once,
//     overlapped, so that the files of one directory are fetched while
//     other directories are still being listed;
//   - incremental: a file is transferred only when its size or
//     modification time differs (MLSD "modify" when the server lists it,
//     else MDTM, else the LIST time), so a second run with nothing changed
//     transfers nothing;
//   - time-preserving: a downloaded file gets the server's modification time
//     (os.Chtimes), an uploaded one the local time (MFMT, or "MDTM time path",
//     or SITE UTIME);
//   - atomic: a file is written under a temporary name in its directory and
//     renamed when complete, so an interrupted run never leaves a partial
//     file under a real name; the next run resumes the temporary (REST);
//   - safe: a name that is not one plain path element (holding '/', '\',
//     NUL, a control character, CR or LF, or being "." or "..") is skipped
//     and reported, and a symbolic link in the local tree is never followed,
//     so nothing is written outside the target directory. The rest of the
//     tree is still mirrored.
//
// Temporary names have the form ".NAME.ftpmirror-ID.part" (or
// ".ftpmirror-HASH-ID.part" for long names), where ID identifies the size and
// modification time of the source file: a temporary is resumed only for the
// same version of its file, and stale ones are removed. Such names are never
// mirrored themselves.
//
// Operations that the Client has no method for (a download from an offset,
// checksum commands, SITE UTIME) use Client.Do with absolute paths, resolved
// once from the working directory of a pooled connection; they assume that
// code sharing the Client leaves the pooled connections in the directory the
// Client put them in.
package mirror

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/ftplib-go/ftp"
)

// MaxDepth is the deepest directory level a mirror descends to; deeper
// directories are reported with an error wrapping ftp.ErrTooDeep.
const MaxDepth = ftp.DefaultMaxDepth

// ErrIncomplete is wrapped by the error Download and Upload return when some
// files or directories could not be mirrored; Result.Failed lists them.
var ErrIncomplete = errors.New("mirror: some files were not mirrored")

// ErrVerify reports a file whose checksum or size after the transfer does
// not match its source.
var ErrVerify = errors.New("mirror: verification failed")

// ErrLocalSymlink reports a symbolic link in the local tree where a directory
// was to be mirrored; links are not followed.
var ErrLocalSymlink = errors.New("mirror: local symbolic link not followed")

// Options tunes Download and Upload. The zero value mirrors everything with
// the Client's MaxConns workers and deletes nothing.
type Options struct {
	// Parallel is the number of listings and transfers run at once.
	// Zero means the Client's MaxConns (ftp.DefaultMaxConns when that is
	// zero). The Client never opens more than MaxConns connections
	// whatever Parallel says.
	Parallel int

	// Delete removes files and directories of the target that are not in
	// the source (and not excluded by Include or Exclude).
	Delete bool

	// DryRun computes what would be transferred and deleted, and reports
	// it in the Result, without creating, writing, renaming or deleting
	// anything.
	DryRun bool

	// Include, when not empty, limits the files mirrored to those whose
	// slash-separated path below the root, or whose name, matches one of
	// these path.Match patterns. Directories are always descended.
	Include []string

	// Exclude leaves out the files and directories whose path below the
	// root, or whose name, matches one of these path.Match patterns.
	Exclude []string

	// Verify checks each transferred file against its source: with the
	// server's checksum command when its FEAT reply offers one (HASH,
	// XSHA256, XSHA1, XMD5 or XCRC), else by comparing sizes. A mismatch
	// fails the file (ErrVerify) and nothing is renamed.
	Verify bool

	// Progress, when not nil, is called as transfers advance and when each
	// file ends. Calls are serialized (never concurrent), but they come
	// from the worker goroutines: Progress must not block for long.
	Progress func(Progress)
}

// Progress is one report of a mirror's advance, given to Options.Progress.
type Progress struct {
	// Path is the file being transferred, slash-separated, relative to the
	// root.
	Path string
	// FileBytes is how many bytes of Path this run has transferred, and
	// FileSize its size (-1 when unknown).
	FileBytes, FileSize int64
	// Done is true in the last report of Path, once it is in place.
	Done bool
	// Files is how many files the run has transferred completely so far,
	// and Bytes how many bytes it has transferred in all.
	Files int
	Bytes int64
}

// Result says what a mirror run did. Paths are slash-separated and relative
// to the root, sorted. With Options.DryRun, Transferred and Deleted list what
// a real run would transfer and delete.
type Result struct {
	// Transferred lists the files copied.
	Transferred []string
	// Skipped lists the files already up to date.
	Skipped []string
	// Deleted lists what Options.Delete removed from the target.
	Deleted []string
	// Ignored lists symbolic links and special files of the source,
	// which are not mirrored.
	Ignored []string
	// Failed holds one error per file or directory that could not be
	// mirrored (or, for a directory, listed).
	Failed []*FileError
	// Bytes is the number of bytes transferred.
	Bytes int64
}

// FileError is the failure of one file or directory of a mirror.
type FileError struct {
	// Path is the file or directory, relative to the root. For a name
	// the server sent that is not safe, it is the name as sent.
	Path string
	// Op is what failed: "list", "name", "download", "upload", "verify",
	// "chtimes", "rename", "delete", "mkdir" or "local".
	Op string
	// Err is the cause.
	Err error
}

// Error describes the failure.
func (e *FileError) Error() string {
	return "mirror: " + e.Op + " " + quote(e.Path) + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *FileError) Unwrap() error { return e.Err }

// quote quotes a path for a message, cut when very long.
func quote(s string) string {
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return fmt.Sprintf("%q", s)
}

// run is the state shared by the workers of one mirror.
type run struct {
	ctx  context.Context
	c    *ftp.Client
	opts Options

	mu      sync.Mutex
	cond    *sync.Cond
	lists   []func()
	files   []func()
	pending int
	active  int // workers running
	res     Result

	progMu    sync.Mutex
	doneFiles int
	bytes     int64

	remoteRoot string // as the caller named it, cleaned
	absOnce    sync.Once
	absRoot    string
	absErr     error

	hashOnce sync.Once
	hashCmd  string // "HASH", "XSHA256", ... or ""
	hashAlg  string
}

func newRun(ctx context.Context, c *ftp.Client, remoteDir string, opts Options) (*run, error) {
	for _, p := range append(append([]string(nil), opts.Include...), opts.Exclude...) {
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("mirror: pattern %q: %w", p, err)
		}
	}
	if c == nil {
		return nil, errors.New("mirror: nil Client")
	}
	if strings.ContainsAny(remoteDir, "\r\n") {
		return nil, fmt.Errorf("mirror: remote directory %q: %w", remoteDir, ftp.ErrIllegalNewline)
	}
	r := &run{ctx: ctx, c: c, opts: opts}
	r.cond = sync.NewCond(&r.mu)
	if remoteDir != "" {
		remoteDir = path.Clean(remoteDir)
	}
	r.remoteRoot = remoteDir
	return r, nil
}

// workers returns the number of workers to start.
func (r *run) workers() int {
	n := r.opts.Parallel
	if n <= 0 {
		n = r.c.MaxConns
	}
	if n <= 0 {
		n = ftp.DefaultMaxConns
	}
	return n
}

// push queues a task; listings go before transfers, so that the work of the
// whole tree is known early and every worker has something to do.
func (r *run) push(list bool, fn func()) {
	r.mu.Lock()
	if list {
		r.lists = append(r.lists, fn)
	} else {
		r.files = append(r.files, fn)
	}
	r.pending++
	r.mu.Unlock()
	r.cond.Signal()
}

// begin has the Client log in the run's connections (up to the number
// of workers) in the background, all at once, before the root is listed:
// the listing takes the first one ready, and the others are ready, or
// nearly, when it has queued work for them. (Logging in the others only
// once the first is ready lets the first log in faster on a server that
// hashes passwords on few cores, which helps a run with nothing to
// transfer, but the first run was slower that way: 1.28 s against 1.25 s
// at 10 ms RTT, bench/mirror_rtt.sh -trace.)
func (r *run) begin() {
	conns := r.c.MaxConns
	if conns <= 0 {
		conns = ftp.DefaultMaxConns
	}
	r.c.Warm(r.ctx, min(r.workers(), conns))
}

// wait runs the queued tasks with the run's workers, one on the calling
// goroutine, until none is left, and returns the result. A worker's task
// takes whichever pooled connection is ready first; a login still under
// way when the work is done joins the Client's pool when it completes.
func (r *run) wait() (*Result, error) {
	n := r.workers()
	r.mu.Lock()
	r.active = n
	r.mu.Unlock()
	for i := 1; i < n; i++ {
		go r.runWorker()
	}
	r.runWorker()
	r.mu.Lock()
	for r.pending > 0 || r.active > 0 {
		r.cond.Wait()
	}
	r.mu.Unlock()
	res := r.res
	sort.Strings(res.Transferred)
	sort.Strings(res.Skipped)
	sort.Strings(res.Deleted)
	sort.Strings(res.Ignored)
	sort.Slice(res.Failed, func(i, j int) bool { return res.Failed[i].Path < res.Failed[j].Path })
	if err := r.ctx.Err(); err != nil {
		return &res, err
	}
	if len(res.Failed) > 0 {
		return &res, fmt.Errorf("%w: %d failed, the first: %w", ErrIncomplete, len(res.Failed), res.Failed[0])
	}
	return &res, nil
}

// runWorker runs a worker and counts it out when it ends.
func (r *run) runWorker() {
	r.worker()
	r.mu.Lock()
	r.active--
	r.cond.Broadcast()
	r.mu.Unlock()
}

func (r *run) worker() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		for len(r.lists) == 0 && len(r.files) == 0 && r.pending > 0 {
			r.cond.Wait()
		}
		if r.pending == 0 {
			r.cond.Broadcast()
			return
		}
		var fn func()
		if len(r.lists) > 0 {
			fn, r.lists = r.lists[0], r.lists[1:]
		} else {
			fn, r.files = r.files[0], r.files[1:]
		}
		r.mu.Unlock()
		if r.ctx.Err() == nil {
			fn()
		}
		r.mu.Lock()
		r.pending--
		if r.pending == 0 {
			r.cond.Broadcast()
		}
	}
}

func (r *run) fail(p, op string, err error) {
	if r.ctx.Err() != nil && errors.Is(err, r.ctx.Err()) {
		return // the run's own error says it
	}
	r.mu.Lock()
	r.res.Failed = append(r.res.Failed, &FileError{Path: p, Op: op, Err: err})
	r.mu.Unlock()
}

func (r *run) add(list *[]string, p string) {
	r.mu.Lock()
	*list = append(*list, p)
	r.mu.Unlock()
}

// progress reports n more bytes of p; done ends p.
func (r *run) progress(p string, fileBytes, size, n int64, done bool) {
	r.progMu.Lock()
	defer r.progMu.Unlock()
	r.bytes += n
	if done {
		r.doneFiles++
	}
	if r.opts.Progress != nil {
		r.opts.Progress(Progress{Path: p, FileBytes: fileBytes, FileSize: size, Done: done, Files: r.doneFiles, Bytes: r.bytes})
	}
}

// transferred records a finished file.
func (r *run) transferred(p string, n, size int64) {
	r.mu.Lock()
	r.res.Transferred = append(r.res.Transferred, p)
	r.res.Bytes += n
	r.mu.Unlock()
	r.progress(p, n, size, 0, true)
}

// counter counts the bytes of one file for Progress.
type counter struct {
	r    *run
	path string
	size int64
	n    int64
}

func (c *counter) add(n int) {
	if n > 0 {
		c.n += int64(n)
		c.r.progress(c.path, c.n, c.size, int64(n), false)
	}
}

// countWriter counts what is written through it.
type countWriter struct {
	w io.Writer
	*counter
}

func (w *countWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.add(n)
	return n, err
}

// countReader counts what is read through it and keeps it seekable, so that
// the Client can resume an upload from it.
type countReader struct {
	r io.ReadSeeker
	*counter
}

func (r *countReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.add(n)
	return n, err
}

func (r *countReader) Seek(off int64, whence int) (int64, error) { return r.r.Seek(off, whence) }

// included reports whether the file rel (named name) passes the filters.
func (r *run) included(rel, name string, dir bool) bool {
	for _, p := range r.opts.Exclude {
		if m, _ := path.Match(p, rel); m {
			return false
		}
		if m, _ := path.Match(p, name); m {
			return false
		}
	}
	if dir || len(r.opts.Include) == 0 {
		return true
	}
	for _, p := range r.opts.Include {
		if m, _ := path.Match(p, rel); m {
			return true
		}
		if m, _ := path.Match(p, name); m {
			return true
		}
	}
	return false
}

// remote returns the Client path of rel.
func (r *run) remote(rel string) string {
	switch {
	case rel == "":
		return r.remoteRoot
	case r.remoteRoot == "" || r.remoteRoot == ".":
		return rel
	}
	return path.Join(r.remoteRoot, rel)
}

// abs returns the absolute server path of rel, for commands sent with
// Client.Do.
func (r *run) abs(rel string) (string, error) {
	r.absOnce.Do(func() {
		if strings.HasPrefix(r.remoteRoot, "/") {
			r.absRoot = r.remoteRoot
			return
		}
		r.absErr = r.c.Do(r.ctx, func(cn *ftp.Conn) error {
			wd, err := cn.Pwd(r.ctx)
			if err != nil {
				return err
			}
			if !strings.HasPrefix(wd, "/") {
				return fmt.Errorf("mirror: working directory %q is not an absolute path", wd)
			}
			r.absRoot = path.Join(wd, r.remoteRoot)
			return nil
		})
	})
	if r.absErr != nil {
		return "", r.absErr
	}
	return path.Join(r.absRoot, rel), nil
}

// relJoin joins a relative directory and a name.
func relJoin(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// depth returns the number of elements of rel.
func depth(rel string) int {
	if rel == "" {
		return 0
	}
	return strings.Count(rel, "/") + 1
}

// sameTime reports whether two modification times agree to the second.
func sameTime(a, b time.Time) bool {
	return a.Truncate(time.Second).Equal(b.Truncate(time.Second))
}

// nameErrors splits the *ftp.NameError values out of a listing error:
// names are the entries left out for their names, and other is err itself
// when it holds anything else (a broken or unparsable listing), else nil.
func nameErrors(err error) (names []*ftp.NameError, other error) {
	more := false
	var walk func(error)
	walk = func(e error) {
		switch x := e.(type) {
		case *ftp.NameError:
			names = append(names, x)
		case interface{ Unwrap() []error }:
			for _, y := range x.Unwrap() {
				walk(y)
			}
		default:
			if u := errors.Unwrap(e); u != nil {
				walk(u)
			} else {
				more = true
			}
		}
	}
	if err != nil {
		walk(err)
	}
	if more {
		other = err
	}
	return names, other
}

// unsafeName returns why a name cannot be mirrored, or nil.
func unsafeName(name string) error {
	if name == "" || name == "." || name == ".." {
		return ftp.ErrUnsafeName
	}
	for i := 0; i < len(name); i++ {
		if b := name[i]; b < 0x20 || b == 0x7f || b == '/' || b == '\\' {
			return ftp.ErrUnsafeName
		}
	}
	if strings.ContainsFunc(name, unicode.IsControl) || !fs.ValidPath(name) || !localName(name) {
		return ftp.ErrUnsafeName
	}
	return nil
}
