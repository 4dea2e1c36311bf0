package ftp

import (
	"context"
	"fmt"
	"io"
)

// A BatchResult is the outcome of one file of [Client.DownloadMany].
type BatchResult struct {
	// Path is the file's path as given.
	Path string
	// N is the number of bytes written to the file's writer (the whole
	// file when Err is nil, what arrived before the failure otherwise).
	N int64
	// Err is nil when the file was downloaded completely; otherwise an
	// *fs.PathError for the operation "download", as Client.Download
	// returns.
	Err error
}

// DownloadMany downloads the files paths, in order, each to the writer
// dst returns for it, on one pooled connection as long as that
// connection works, and returns one BatchResult per path (same order and
// length as paths). It is [Client.Download] in a loop, with one round
// trip less per file: it uses the pipeline of [Conn.RetrMany], which
// sends the PASV (or EPSV) of the next file as soon as the current one
// has reached the end of its data, before its final reply is read.
//
// Each file has Download's semantics: TYPE I and RETR; when its transfer
// breaks (a transient failure: a reset or closed connection, 421, 425,
// 426), it resumes on a fresh connection with REST at the bytes its
// writer has accepted, so a writer never receives a byte twice, up to
// MaxRetries times for that file, with the same backoff; then the batch
// goes on with the next file. A failure that concerns only one file
// (a 5xx reply such as a missing file, which matches fs.ErrNotExist; an
// error of dst or of the writer, which is never retried; a path holding
// CR or LF) is that file's Err, and the batch goes on. When no
// connection can be had (after the retries) or ctx is done, every file
// not finished by then fails with that error.
//
// dst is called at most once per file, just before the file's first
// transfer, and only after the previous file is finished (downloaded or
// failed for good): a caller may close the previous file's writer there
// and the last one after DownloadMany returns. A writer is reused as it
// is for a resumed transfer. dst runs while the batch holds a pooled
// connection, so it must not wait for another call of the same Client.
// The writers are used from the calling goroutine only.
//
// The error is nil when every file was downloaded; otherwise it is the
// Err of the first file that failed (each file's is in its BatchResult).
// For parallel downloads, call DownloadMany from several goroutines, each
// with its share of the paths: each batch uses its own connection.
//
// DownloadMany's signature is stable: package mirror builds on it.
func (c *Client) DownloadMany(ctx context.Context, paths []string, dst func(i int, path string) (io.Writer, error)) ([]BatchResult, error) {
	res := make([]BatchResult, len(paths))
	for i, p := range paths {
		res[i].Path = p
		if err := checkPath(p); err != nil {
			res[i].Err = pathErr("download", p, err)
		}
	}
	if dst == nil {
		err := fmt.Errorf("ftp: DownloadMany: nil dst")
		for i := range res {
			if res[i].Err == nil {
				res[i].Err = pathErr("download", res[i].Path, err)
			}
		}
		return res, firstErr(res)
	}
	c.init()
	b := &batch{c: c, ctx: ctx, res: res, dst: dst, cws: make([]*countWriter, len(paths))}
	tries := 0 // failed attempts of file i
	for i := b.pending(0); i < len(res); {
		pc, err := c.pool.get(ctx)
		if err != nil {
			if tries < c.retries() && c.retryable(ctx, err) && backoff(ctx, tries) == nil {
				tries++
				continue
			}
			// No connection: what is left fails with that error.
			for ; i < len(res); i = b.pending(i + 1) {
				b.fail(i, err)
			}
			break
		}
		var next int
		next, err = b.run(pc.c, i)
		c.giveBack(ctx, pc, err)
		if next != i {
			tries = 0
		}
		i = next
		if err == nil {
			continue // done, or the connection cannot go on: another one
		}
		if tries < c.retries() && c.retryable(ctx, err) && backoff(ctx, tries) == nil {
			tries++
			continue
		}
		b.fail(i, err)
		i = b.pending(i + 1)
		tries = 0
	}
	for i, cw := range b.cws {
		if cw != nil {
			res[i].N = cw.n
		}
	}
	return res, firstErr(res)
}

// firstErr returns the first Err of res, or nil.
func firstErr(res []BatchResult) error {
	for _, r := range res {
		if r.Err != nil {
			return r.Err
		}
	}
	return nil
}

// batch is the state of one DownloadMany across its connections.
type batch struct {
	c   *Client
	ctx context.Context
	res []BatchResult
	dst func(i int, path string) (io.Writer, error)
	cws []*countWriter // each file's writer, once dst gave it
}

// pending returns the first file from i on that has not failed already
// (len(res) when none).
func (b *batch) pending(i int) int {
	for i < len(b.res) && b.res[i].Err != nil {
		i++
	}
	return i
}

// fail records err as file i's error.
func (b *batch) fail(i int, err error) {
	b.res[i].Err = pathErr("download", b.res[i].Path, err)
}

// run downloads the files from i on over cn, one after the other,
// sending each next file's PASV ahead. It returns the first file not
// finished and, when that file's transfer failed in a way worth retrying
// on another connection, the error (the caller decides); a nil error with
// files left means cn cannot serve them (it broke or its state is
// unknown after another file's failure).
func (b *batch) run(cn *Conn, i int) (int, error) {
	ctx := b.ctx
	start := b.pending(i)
	for i = start; i < len(b.res); i = b.pending(i + 1) {
		if i != start && !cn.reusable() {
			return i, nil
		}
		cw := b.cws[i]
		if cw == nil {
			w, err := b.dst(i, b.res[i].Path)
			if err != nil {
				b.fail(i, err)
				continue
			}
			cw = &countWriter{w: w}
			b.cws[i] = cw
		}
		p := b.c.abs(b.res[i].Path)
		var o transferOpts
		if cw.n > 0 {
			Rest(cw.n)(&o)
		}
		next := ""
		if j := b.pending(i + 1); j < len(b.res) {
			next = "RETR " + b.c.abs(b.res[j].Path)
			if cn.checkCmd(next) != nil {
				next = ""
			}
		}
		err := cn.retrOne(ctx, "RETR "+p, cw, &o, next)
		switch {
		case err == nil:
		case cw.err != nil:
			b.fail(i, permanent{cw.err})
		case isTransient(err) || ctx.Err() != nil:
			return i, err
		default:
			b.fail(i, missing(ctx, cn, p, err))
		}
	}
	return i, nil
}

// retrOne is one download of RetrMany: cmd in binary mode to w, with the
// options o; with next (the next transfer command), the PASV or EPSV of
// that transfer goes out as soon as the data has reached its end, its
// reply left for that transfer (or settle) to read.
func (c *Conn) retrOne(ctx context.Context, cmd string, w io.Writer, o *transferOpts, next string) error {
	d, err := c.open(ctx, "I", true, cmd, o, false)
	if err != nil {
		return err
	}
	if next != "" && c.passive {
		d.next, d.nextCmd = c.firstPasv(), next
	}
	_, cerr := io.Copy(w, d)
	_, err = d.end(cerr)
	return err
}
