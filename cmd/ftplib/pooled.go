package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/ftplib-go/ftp"
)

// The pooled path of get, put and mirror. By default each of them uses one
// connection (a session) and stops at the first failure, as before. With
// --retries N a transfer goes through an ftp.Client instead, which retries
// a broken transfer on a fresh connection up to N times and resumes it
// where it broke (REST; an upload from a regular file resumes too); with
// mirror --parallel N, N files are downloaded at once over the Client's N
// pooled connections.

// maxParallel bounds --parallel: servers limit connections per address.
const maxParallel = 16

// poolFlags are the flags of the pooled path.
type poolFlags struct {
	retries  int
	parallel int
}

// register adds --retries, and --parallel when parallel is true.
func (pf *poolFlags) register(fs *flag.FlagSet, parallel bool) {
	fs.IntVar(&pf.retries, "retries", 0, "retry a broken transfer `N` times on a fresh connection, resuming where it broke")
	pf.parallel = 1
	if parallel {
		fs.IntVar(&pf.parallel, "parallel", 1, "download `N` files at once, over N connections")
	}
}

// check reports a flag value out of range as a usage error of cmd.
func (pf *poolFlags) check(cmd string) error {
	if pf.retries < 0 {
		return usagef(cmd, "--retries %d: want 0 or more", pf.retries)
	}
	if pf.parallel < 1 || pf.parallel > maxParallel {
		return usagef(cmd, "--parallel %d: want 1 to %d", pf.parallel, maxParallel)
	}
	return nil
}

// pooled reports whether the transfers go through an ftp.Client.
func (pf *poolFlags) pooled() bool { return pf.retries > 0 || pf.parallel > 1 }

// newClient returns an ftp.Client for the server of t with the login for
// t, pf.parallel connections at most and pf.retries retries. An account
// (ACCT) login is refused: the Client does not send ACCT.
func (c *cli) newClient(t *target, o *options, pf *poolFlags) (*ftp.Client, error) {
	cr, err := c.credentials(t)
	if err != nil {
		return nil, err
	}
	if cr.Acct != "" {
		return nil, fmt.Errorf("the login from %s has an account (ACCT), which --retries and --parallel do not support; run without them", cr.Source)
	}
	d, err := c.dialer(t, o)
	if err != nil {
		return nil, err
	}
	mode := ftp.NoTLS
	switch {
	case t.Implicit:
		mode = ftp.ImplicitTLS
	case t.TLS:
		mode = ftp.ExplicitTLS
	}
	d.ImplicitTLS = false // the Client sets it from its TLS mode
	retries := pf.retries
	if retries == 0 {
		retries = -1 // the Client's zero means its default
	}
	if o.verbose > 0 {
		who := cr.User
		if who == "" {
			who = "anonymous"
		}
		fmt.Fprintf(c.stderr, "%s: connecting to %s, %s, as %s (login from %s); up to %d connections, %d retries\n",
			c.prog, t.Addr, mode, who, cr.Source, pf.parallel, pf.retries)
	}
	return &ftp.Client{Addr: t.Addr, User: cr.User, Password: cr.Pass, Dialer: d, TLS: mode,
		MaxConns: pf.parallel, MaxRetries: retries}, nil
}

// remote is where get and mirror fetch files from: a session (one
// connection, no retries) or a clientRemote.
type remote interface {
	// size returns the size of the file name in binary mode, or -1 when
	// the server does not say.
	size(ctx context.Context, name string) int64
	// retr copies the file name to w, from byte off.
	retr(ctx context.Context, name string, w io.Writer, off int64) error
}

func (s *session) retr(ctx context.Context, name string, w io.Writer, off int64) error {
	var opts []ftp.TransferOption
	if off > 0 {
		opts = append(opts, ftp.Rest(off))
	}
	_, err := s.RetrBinary(ctx, "RETR "+name, w, opts...)
	return err
}

// clientRemote fetches files through an ftp.Client, retrying broken
// transfers.
type clientRemote struct {
	c       *ftp.Client
	retries int
}

func (r *clientRemote) size(ctx context.Context, name string) int64 {
	n, err := r.c.Size(ctx, name)
	if err != nil {
		return -1
	}
	return n
}

func (r *clientRemote) retr(ctx context.Context, name string, w io.Writer, off int64) error {
	if off == 0 {
		// Download resumes a broken transfer itself, never writing a
		// byte twice.
		_, err := r.c.Download(ctx, name, w)
		return pathless(err)
	}
	// Download starts at byte 0: a transfer from off (get -c) borrows a
	// connection and is retried here, from where the last attempt broke.
	cw := &countingWriter{w: w}
	return r.retry(ctx, func() error {
		return r.c.Do(ctx, func(conn *ftp.Conn) error {
			_, err := conn.RetrBinary(ctx, "RETR "+name, cw, ftp.Rest(off+cw.n))
			if cw.err != nil {
				return cw.err // a local write error: not retried
			}
			return err
		})
	}, func() bool { return cw.err == nil })
}

// retry runs op, and again after a failure that a fresh connection may
// not have (see transient), up to r.retries times, with a growing pause.
// ok, when not nil, must also allow the retry.
func (r *clientRemote) retry(ctx context.Context, op func() error, ok func() bool) error {
	for attempt := 0; ; attempt++ {
		err := op()
		if err == nil || attempt >= r.retries || ctx.Err() != nil || !transient(err) || ok != nil && !ok() {
			return err
		}
		pause := min(100*time.Millisecond<<attempt, 2*time.Second)
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return err
		}
	}
}

// transient reports whether err may not happen again on a fresh
// connection: a 421, 425 or 426 reply, or a failure that is not a reply
// at all (a reset or closed connection, a timeout).
func transient(err error) bool {
	var fe *ftp.Error
	if errors.As(err, &fe) {
		return fe.Code == 421 || fe.Code == 425 || fe.Code == 426
	}
	var ue *usageError
	return !errors.As(err, &ue) && !errors.Is(err, context.Canceled)
}

// pathless returns the error inside an *fs.PathError, so that messages
// read as they do without --retries (the command and URL are added by the
// caller).
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// countingWriter counts the bytes w accepted and keeps w's first error.
type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (cw *countingWriter) Write(p []byte) (int, error) {
	n, err := cw.w.Write(p)
	cw.n += int64(n)
	if err != nil && cw.err == nil {
		cw.err = err
	}
	return n, err
}

// seekableProgress returns p.Reader(r), which keeps r's Seek method when
// r has one, so that the Client can resume an upload from a regular file;
// seeking sets the bar to the new position.
func seekableProgress(p *progress, r io.Reader) io.Reader {
	rs, ok := r.(io.ReadSeeker)
	if p == nil || !ok {
		return r
	}
	return &progressSeeker{progressReader{rs, p}, rs}
}

type progressSeeker struct {
	progressReader
	s io.Seeker
}

func (ps *progressSeeker) Seek(offset int64, whence int) (int64, error) {
	pos, err := ps.s.Seek(offset, whence)
	if err == nil {
		ps.p.mu.Lock()
		ps.p.n = pos - ps.p.start
		ps.p.mu.Unlock()
	}
	return pos, err
}
