package ftp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"
)

// Backoff between retries: the first wait, and the longest.
const (
	retryFirst = 50 * time.Millisecond
	retryMax   = 2 * time.Second
)

// isTransient reports whether err is a failure of the connection that a
// fresh connection may not have: a network error (dial, reset, timeout,
// end of stream), a closed or broken control connection, or a 421, 425 or
// 426 reply. An error that joins such a failure with a protocol error (a
// listing cut with its control connection) is transient too. Other
// replies, protocol errors on a connection that still works, certificate
// and TLS protocol failures, and the client's own refusals are not.
func isTransient(err error) bool {
	if err == nil {
		return false
	}
	var pe permanent
	if errors.As(err, &pe) || errors.Is(err, ErrIllegalNewline) || errors.Is(err, ErrBusy) || errors.Is(err, errClientClosed) {
		return false
	}
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	var rh tls.RecordHeaderError
	var al tls.AlertError
	if errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci) || errors.As(err, &rh) || errors.As(err, &al) {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		if e.broke {
			return true // a reply that broke the connection (prelim.go)
		}
		switch e.Code {
		case 421, 425, 426:
			return true
		}
		// A reply other than those, unless a network failure came with
		// it (a data connection that broke, then a 451).
		var ne net.Error
		return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF)
	}
	// A broken connection first: a listing cut together with its control
	// connection joins the control's EOF with the truncated line's
	// *ParseError, and the EOF is what makes it worth another try.
	if brokenConn(err) {
		return true
	}
	// A protocol error on a connection that still works is not.
	return false
}

// brokenConn reports whether err, or any error joined into it, is a
// network failure or a closed or broken connection.
func brokenConn(err error) bool {
	var ne net.Error
	switch {
	case errors.As(err, &ne),
		errors.Is(err, ErrClosed),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE):
		return true
	}
	return false
}

// retryable reports whether a call that failed with err may be tried
// again: the failure is transient, the caller's ctx is not done and the
// Client is not closed.
func (c *Client) retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, errClientClosed) {
		return false
	}
	return isTransient(err)
}

// backoff waits before retry number attempt+1: 50 ms, doubling up to 2 s.
// It returns early with ctx's error.
func backoff(ctx context.Context, attempt int) error {
	t := time.NewTimer(retryDelay(attempt))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// retryDelay is the wait before retry number attempt+1.
func retryDelay(attempt int) time.Duration {
	return min(retryFirst<<min(attempt, 6), retryMax)
}

// with runs fn on a pooled connection, and again on a fresh one after a
// transient failure, up to MaxRetries times. fn sees every attempt; it
// keeps across attempts what it needs (the bytes delivered, whether a
// command was sent). The error is an *fs.PathError for op and path.
func (c *Client) with(ctx context.Context, op, path string, fn func(cn *Conn) error) error {
	if err := checkPath(path); err != nil {
		return pathErr(op, path, err)
	}
	c.init()
	var err error
	for attempt := 0; ; attempt++ {
		var pc *pconn
		pc, err = c.pool.get(ctx)
		if err == nil {
			err = fn(pc.c)
			c.giveBack(ctx, pc, err)
		}
		if err == nil {
			return nil
		}
		if attempt >= c.retries() || !c.retryable(ctx, err) || c.retryWait(ctx, op, path, attempt, err) != nil {
			return pathErr(op, path, err)
		}
	}
}

// countWriter counts the bytes its writer accepted and keeps the
// writer's own error apart from the transfer's.
type countWriter struct {
	w   io.Writer
	n   int64
	err error // the first error of w
}

func (cw *countWriter) Write(p []byte) (int, error) {
	n, err := cw.w.Write(p)
	cw.n += int64(n)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil && cw.err == nil {
		cw.err = err
	}
	return n, err
}

// ReadFrom copies r to the writer with a pooled buffer (io.Copy would
// allocate one per transfer).
func (cw *countWriter) ReadFrom(r io.Reader) (int64, error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	return copyBuffer(cw, r, *bp)
}

// Download copies the file path to w (TYPE I, RETR) and returns the
// number of bytes written. When the transfer breaks, it resumes on a
// fresh connection with REST at the bytes w has accepted, so w never
// receives a byte twice. An error of w itself is returned, not retried.
func (c *Client) Download(ctx context.Context, path string, w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	err := c.with(ctx, "download", path, func(cn *Conn) error {
		p := c.abs(path)
		var opts []TransferOption
		if cw.n > 0 {
			opts = append(opts, Rest(cw.n))
		}
		_, err := cn.RetrBinary(ctx, "RETR "+p, cw, opts...)
		switch {
		case err == nil:
			return nil
		case cw.err != nil:
			return permanent{cw.err}
		}
		return missing(ctx, cn, p, err)
	})
	return cw.n, err
}

// permanent marks an error that must not be retried (such as one of the
// caller's writer or reader), whatever it wraps.
type permanent struct{ err error }

func (e permanent) Error() string { return e.err.Error() }
func (e permanent) Unwrap() error { return e.err }

// Upload copies r to the file path (TYPE I, STOR), replacing it, and
// returns the number of bytes sent. When the transfer breaks after the
// server accepted STOR and r is an io.Seeker, the upload resumes on a
// fresh connection: SIZE tells what the server kept, r is sought back to
// that point and the rest is sent with REST and STOR (or APPE, when the
// server refuses REST for uploads). A failure before STOR was accepted
// starts again from the beginning. When r cannot seek and some of it was
// read, the failure is returned.
func (c *Client) Upload(ctx context.Context, path string, r io.Reader) (int64, error) {
	return c.upload(ctx, "upload", path, r, false)
}

// Append appends r to the file path (APPE), creating it when it does not
// exist, and returns the number of bytes sent. A broken append resumes as
// an upload does when r is an io.Seeker: the size of the file before the
// append (SIZE, asked first) tells how much of r arrived. Otherwise, a
// failure once APPE may have reached the server is returned, never
// repeated.
func (c *Client) Append(ctx context.Context, path string, r io.Reader) (int64, error) {
	return c.upload(ctx, "append", path, r, true)
}

// upload is Upload and Append. State kept across attempts:
//
//	start    r's offset when the call began (seekable r)
//	base     the file's size before an append (-1 unknown)
//	done     bytes of r the server is known to hold
//	accepted the server accepted a STOR/APPE (1xx) at some point
func (c *Client) upload(ctx context.Context, op, path string, r io.Reader, appendMode bool) (int64, error) {
	seeker, _ := r.(io.Seeker)
	var start int64
	if seeker != nil {
		pos, err := seeker.Seek(0, io.SeekCurrent)
		if err != nil {
			seeker = nil
		} else {
			start = pos
		}
	}
	var (
		base     int64 = -1
		done     int64
		sent     int64 // bytes of r sent in the current attempt
		accepted bool
		consumed bool // a non-seekable r was read from
	)
	cr := &countReader{r: r}
	err := c.with(ctx, op, path, func(cn *Conn) error {
		p := c.abs(path)
		if seeker == nil && consumed {
			return permanent{fmt.Errorf("ftp: transfer broke after %d bytes and the reader cannot seek back", cr.n)}
		}
		if appendMode && base < 0 && seeker != nil {
			// The size before the append, to know later what arrived.
			n, err := cn.sizeBinary(ctx, p)
			switch {
			case err == nil:
				base = n
			case replyCodeOf(err) == 550:
				base = 0
			case !isReplyErr(err):
				return err
			}
		}
		resumeAt := int64(0)
		if accepted && seeker != nil {
			n, err := cn.sizeBinary(ctx, p)
			if err != nil && !isReplyErr(err) {
				return err
			}
			got := int64(-1)
			if err == nil {
				got = n
				if appendMode {
					got = n - base
				}
			}
			// Trust the size only when it is no more than what was sent.
			if got >= 0 && got <= done+sent {
				resumeAt = got
			} else if appendMode {
				return permanent{fmt.Errorf("ftp: append broke and the file's size (%d) does not tell how much arrived", n)}
			}
		}
		if seeker != nil {
			if _, err := seeker.Seek(start+resumeAt, io.SeekStart); err != nil {
				return permanent{err}
			}
		}
		done, sent = resumeAt, 0
		cmd, opts := "STOR "+p, []TransferOption(nil)
		switch {
		case appendMode:
			cmd = "APPE " + p
		case resumeAt > 0:
			opts = append(opts, Rest(resumeAt))
		}
		d, err := cn.Stor(ctx, cmd, opts...)
		if err != nil && resumeAt > 0 && !appendMode && isReplyErr(err) && !isTransient(err) {
			// No REST for uploads here: append the rest instead.
			d, err = cn.Stor(ctx, "APPE "+p)
		}
		if err != nil {
			return err
		}
		accepted = true
		var src io.Reader = r
		if seeker == nil {
			src = cr
		}
		n, cerr := d.ReadFrom(src)
		sent = n
		if seeker == nil && cr.n > 0 {
			consumed = true
		}
		if cerr != nil {
			if cr.err != nil {
				cerr = permanent{cr.err}
			}
			_, err = d.end(cerr)
			return err
		}
		if err := d.Close(); err != nil {
			return err
		}
		done += sent
		sent = 0
		return nil
	})
	if err != nil {
		return done + sent, err
	}
	return done, nil
}

// countReader counts the bytes read from r and keeps r's own error.
type countReader struct {
	r   io.Reader
	n   int64
	err error
}

func (cr *countReader) Read(p []byte) (int, error) {
	n, err := cr.r.Read(p)
	cr.n += int64(n)
	if err != nil && err != io.EOF && cr.err == nil {
		cr.err = err
	}
	return n, err
}
