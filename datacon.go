package ftp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// DataConn is an open data transfer started by Retr or Stor: an
// io.ReadCloser for a download, an io.WriteCloser for an upload. While it
// is open it holds its Conn (other calls fail with ErrBusy), and the ctx
// given to Retr or Stor governs it until Close: once that ctx is done, the
// transfer is aborted and Close returns an error wrapping ctx.Err().
//
// On a plain connection, io.Copy to or from a DataConn reaches the TCP
// socket's ReadFrom and WriteTo, so copies from and to an *os.File or
// another socket use sendfile and splice. With a Dialer.Timeout the kernel
// copies run in slices of 512 KiB, each under a fresh deadline.
type DataConn struct {
	c       *Conn
	ctx     context.Context
	stop    func()
	conn    net.Conn     // as returned by wrapData
	raw     net.Conn     // the socket
	tcp     *net.TCPConn // the socket when conn is it: zero-copy path
	lr      *lineReader  // line mode: reads go through lr.br
	cmd     string       // the transfer command, for errors (see ioErr)
	upload  bool
	next    string // PASV or EPSV to send at the end of the data (RetrMany)
	nextCmd string // the transfer next is for, for its PRET (features.go)
	binary  bool   // TYPE I download from offset 0: a 150 size is checked
	size    int64
	n       atomic.Int64 // bytes moved (atomic: Abort may read it from another goroutine)
	wire    atomic.Int64 // line mode: bytes read from conn
	eof     bool
	short   error // the data connection ended without close_notify
	netErr  error // the data connection failed (as returned to the caller)
	buf     *[]byte

	aborted atomic.Bool
	closed  atomic.Bool
	mu      sync.Mutex // serialises finish
	err     error
	reply   string

	kaStop chan struct{} // closed to stop the keepalive goroutine
	kaDone chan struct{} // closed when it has ended
	kaOnce sync.Once

	// Statistics (stats.go, log.go).
	start   time.Time
	offset  int64
	passive bool
	trace   *Trace
	cause   error      // the error that made end abort the transfer
	statsMu sync.Mutex // guards what follows
	done    bool
	stats   TransferStats
}

// open is the one path of every managed transfer: it takes the Conn, sets
// the type, opens the data connection and returns a DataConn that holds
// the Conn until it is closed.
func (c *Conn) open(ctx context.Context, typ string, void bool, cmd string, o *transferOpts, upload bool) (*DataConn, error) {
	if err := c.checkCmd(cmd); err != nil {
		return nil, err
	}
	if o.hasRest {
		if err := c.checkCmd("REST " + o.rest); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	stop, err := c.acquire(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.setType(typ, void); err != nil {
		err = cmdError(err, c.cmd)
		c.release(stop)
		return nil, err
	}
	conn, raw, size, err := c.openData(ctx, cmd, o)
	if err != nil {
		err = cmdError(err, c.cmd)
		c.release(stop)
		return nil, err
	}
	if !upload {
		c.earlyCloseNotify(conn) // overlap_tls.go
	}
	d := &DataConn{c: c, ctx: ctx, stop: stop, conn: conn, raw: raw, cmd: cmd, upload: upload, size: size}
	d.start, d.offset, d.passive, d.trace = start, restOffset(o), c.passive, c.trace
	if tc, ok := conn.(*net.TCPConn); ok {
		d.tcp = tc
	}
	d.binary = typ == "I" && !upload && !o.hasRest
	c.mu.Lock()
	c.cur = d
	c.mu.Unlock()
	d.startKeepAlive()
	return d, nil
}

// abortGrace bounds the wait for the replies to the ABOR sent after a
// transfer's ctx was cancelled, when Dialer.Timeout is zero.
const abortGrace = 5 * time.Second

// startKeepAlive starts the goroutine that sends NOOP every
// Dialer.NoopInterval while the transfer is open. Only it writes on the
// control connection until stopKeepAlive(true) returns; c.noops counts the
// NOOPs whose replies are due.
func (d *DataConn) startKeepAlive() {
	c := d.c
	if c.noopEvery <= 0 {
		return
	}
	d.kaStop = make(chan struct{})
	d.kaDone = make(chan struct{})
	go func() {
		defer close(d.kaDone)
		t := time.NewTicker(c.noopEvery)
		defer t.Stop()
		for {
			select {
			case <-d.kaStop:
				return
			case <-t.C:
			}
			if !c.sendNoop() {
				return
			}
		}
	}()
}

// stopKeepAlive stops the keepalive goroutine, if any; with wait it also
// waits until the goroutine has ended.
func (d *DataConn) stopKeepAlive(wait bool) {
	if d.kaStop == nil {
		return
	}
	d.kaOnce.Do(func() { close(d.kaStop) })
	if wait {
		<-d.kaDone
	}
}

// sendNoop sends one keepalive NOOP during a transfer. It reports whether
// the keepalive should go on. A NOOP only partly written leaves the
// control stream corrupt, so the Conn is then broken.
func (c *Conn) sendNoop() bool {
	const noop = "NOOP\r\n"
	c.mu.Lock()
	if c.intr != nil || c.closed || c.broken != nil {
		c.mu.Unlock()
		return false
	}
	if c.timeout > 0 {
		_ = c.raw.SetWriteDeadline(time.Now().Add(c.timeout))
	}
	c.mu.Unlock()
	if c.debug > 0 {
		c.debugLine("*cmd*", "NOOP", false)
	}
	if c.debug > 1 {
		c.debugLine("*put*", noop, false)
	}
	n, err := c.ctrl.Write([]byte(noop))
	if n == len(noop) {
		c.noops++
		if c.observed() {
			c.noteCmd("NOOP", true)
		}
	}
	if err != nil {
		if n > 0 && n < len(noop) {
			c.fail(err)
		}
		return false
	}
	return true
}

// readReplies reads the want replies the server owes and the replies to
// the keepalive NOOPs sent during a transfer (c.noops), which may come
// before, between or after them, and returns the want replies in order.
// Replies that are not *Error values are errors that leave the Conn broken.
// The NOOP replies are told apart by their code: 200 first (earliest
// first), then 500 or 502 (a server refusing NOOP), then the last ones.
func (c *Conn) readReplies(want int, read func() (string, error)) ([]string, error) {
	extra := c.noops
	c.noops = 0
	all := make([]string, 0, want+extra)
	for i := 0; i < want+extra; i++ {
		resp, err := read()
		if err != nil {
			e, ok := err.(*Error)
			if !ok {
				return nil, err
			}
			resp = e.Msg
		}
		all = append(all, resp)
	}
	drop := func(ok func(code int) bool) {
		for i := 0; i < len(all) && extra > 0; {
			if ok(replyCode(all[i])) {
				all = append(all[:i], all[i+1:]...)
				extra--
				continue
			}
			i++
		}
	}
	drop(func(code int) bool { return code == 200 })
	drop(func(code int) bool { return code == 500 || code == 502 })
	return all[:want], nil
}

// finalResp reads a transfer's final reply, which must be 2xx (ftplib
// voidresp), together with the replies to the keepalive NOOPs.
func (c *Conn) finalResp() (string, error) {
	if c.noops == 0 {
		return c.voidResp()
	}
	rs, err := c.readReplies(1, c.getResp)
	if err != nil {
		return "", err
	}
	resp := rs[0]
	c.lastResp = resp
	if len(resp) > 3 {
		c.lastResp = resp[:3]
	}
	if resp == "" || resp[0] != '2' {
		return "", cmdError(replyError(resp), c.cmd)
	}
	return resp, nil
}

// abortLater ends a transfer whose ctx was cancelled without making the
// caller wait for the server: the data socket is closed at once, and a
// goroutine sends ABOR and reads its replies, holding the Conn until it
// is done (acquire waits for it). When the server does not answer within
// Dialer.Timeout (or abortGrace) the Conn is broken. stop ends the ctx
// watch of the cancelled call.
func (c *Conn) abortLater(data net.Conn, stop func()) {
	stop()
	data.Close()
	c.setData(nil)
	grace := c.timeout
	if grace <= 0 {
		grace = abortGrace
	}
	done := make(chan struct{})
	c.mu.Lock()
	if c.closed || c.broken != nil {
		c.mu.Unlock()
		c.busy.Store(false)
		return
	}
	c.intr = nil
	c.bg = done
	_ = c.raw.SetDeadline(time.Now().Add(grace))
	c.mu.Unlock()
	go func() {
		// On failure abortTransfer has marked the Conn broken.
		_, _ = c.abortTransfer(nil)
		c.mu.Lock()
		c.bg = nil
		c.busy.Store(false)
		c.mu.Unlock()
		close(done)
	}()
}

// Retr sends TYPE I (unless it is in force) and starts the download cmd
// (such as "RETR name"), returning the data connection to read. Close it
// to read the final reply; closing it before the end of the data aborts
// the transfer (ABOR) and leaves the Conn usable.
func (c *Conn) Retr(ctx context.Context, cmd string, opts ...TransferOption) (*DataConn, error) {
	o := collect(opts)
	return c.open(ctx, "I", true, cmd, &o, false)
}

// Stor sends TYPE I (unless it is in force) and starts the upload cmd
// (such as "STOR name" or "APPE name"), returning the data connection to
// write. Close it to end the file and read the final reply.
func (c *Conn) Stor(ctx context.Context, cmd string, opts ...TransferOption) (*DataConn, error) {
	o := collect(opts)
	return c.open(ctx, "I", true, cmd, &o, true)
}

// Size returns the size announced by the server's 150 reply, or -1.
func (d *DataConn) Size() int64 { return d.size }

// Reply returns the final reply of the transfer once Close has read it
// (for a transfer aborted by Close or Abort, the first reply read after
// ABOR, such as "426 ..."), or "" before.
func (d *DataConn) Reply() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.reply
}

// Read reads downloaded data. It returns io.EOF at the end of the data;
// whether the transfer succeeded is known from Close. A protected (PROT P)
// data connection that ends without the server's TLS close_notify may
// have been cut short: unless the 150 reply announced a size that the
// bytes read reach, Read then returns an error wrapping
// io.ErrUnexpectedEOF instead of io.EOF (and Close returns it too).
func (d *DataConn) Read(p []byte) (int, error) {
	if d.upload {
		return 0, fmt.Errorf("ftp: Read on an upload data connection")
	}
	if d.closed.Load() {
		return 0, d.closedErr()
	}
	d.c.arm(d.raw)
	var n int
	var err error
	if d.lr != nil {
		n, err = d.lr.br.Read(p)
	} else {
		n, err = d.conn.Read(p)
	}
	d.n.Add(int64(n))
	if err != nil {
		err = d.readErr(err)
	}
	return n, err
}

// atEOF records the end of a download's data and returns io.EOF, or an
// error wrapping io.ErrUnexpectedEOF when the data connection was
// protected and its TCP stream ended without the server's TLS
// close_notify: then nothing tells a complete transfer from one cut short
// (by a third party, or a server that died), unless the 150 reply
// announced a size that the bytes received reach. The final reply is
// still read by Close, which returns the same error.
func (d *DataConn) atEOF() error {
	d.eof = true
	if d.short != nil {
		return d.short
	}
	if !noCloseNotify(d.conn) {
		return io.EOF
	}
	got := d.n.Load()
	if d.lr != nil {
		got = d.wire.Load()
	}
	if d.size >= 0 && got >= d.size {
		return io.EOF
	}
	d.short = fmt.Errorf("ftp: protected data connection ended without TLS close_notify after %d bytes and no size was announced to show it complete: %w", got, io.ErrUnexpectedEOF)
	if d.size >= 0 {
		d.short = fmt.Errorf("ftp: protected data connection ended without TLS close_notify after %d of %d bytes: %w", got, d.size, io.ErrUnexpectedEOF)
	}
	return d.short
}

// wireReader is a line-mode download's data connection as its line reader
// reads it: it counts the bytes.
type wireReader DataConn

func (w *wireReader) Read(p []byte) (int, error) {
	n, err := w.conn.Read(p)
	w.wire.Add(int64(n))
	return n, err
}

func (d *DataConn) closedErr() error {
	if d.aborted.Load() {
		return errAborted
	}
	return errDataClosed
}

func (d *DataConn) readErr(err error) error {
	if err == io.EOF {
		return d.atEOF()
	}
	if d.closed.Load() {
		return d.closedErr()
	}
	err = d.ioErr(err)
	if !errors.Is(err, ErrLineTooLong) {
		d.netErr = err
	}
	return err
}

// ioErr names the transfer in an error of its data connection, as in
// "ftp: RETR big.bin: data: read tcp ...: i/o timeout" for a stall caught
// by Dialer.Timeout; an interrupted call gets its cause instead (wrapIO).
func (d *DataConn) ioErr(err error) error {
	if errors.Is(err, ErrLineTooLong) || d.c.interrupted() {
		return d.c.wrapIO(err)
	}
	return opError(d.cmd, "data", err)
}

// WriteTo copies the download to w (io.WriterTo): on a plain connection it
// is the TCP socket's own WriteTo, or, with a Dialer.Timeout and a w backed
// by a file descriptor, w's ReadFrom over slices of the socket.
func (d *DataConn) WriteTo(w io.Writer) (int64, error) {
	if d.upload {
		return 0, fmt.Errorf("ftp: Read on an upload data connection")
	}
	if d.tcp != nil && d.lr == nil && !d.closed.Load() {
		if d.c.timeout <= 0 {
			n, err := d.tcp.WriteTo(w)
			d.n.Add(n)
			if err == nil {
				d.eof = true
			}
			return n, d.copyErr(err)
		}
		if rf, ok := w.(io.ReaderFrom); ok && isKernelConn(w) {
			return d.sliceCopy(func(lr *io.LimitedReader) (int64, error) {
				lr.R = d.tcp
				return rf.ReadFrom(lr)
			})
		}
	}
	return copyBuffer(w, d, d.buffer(0))
}

// Write writes data to be uploaded.
func (d *DataConn) Write(p []byte) (int, error) {
	if !d.upload {
		return 0, fmt.Errorf("ftp: Write on a download data connection")
	}
	if d.closed.Load() {
		return 0, d.closedErr()
	}
	d.c.arm(d.raw)
	n, err := d.conn.Write(p)
	d.n.Add(int64(n))
	if err != nil {
		if d.closed.Load() {
			err = d.closedErr()
		} else {
			err = d.ioErr(err)
			d.netErr = err
		}
	}
	return n, err
}

// ReadFrom uploads what r holds until io.EOF (io.ReaderFrom): on a plain
// connection it is the TCP socket's own ReadFrom (sendfile or splice for
// an r backed by a file descriptor; with a Dialer.Timeout, in slices).
func (d *DataConn) ReadFrom(r io.Reader) (int64, error) {
	if !d.upload {
		return 0, fmt.Errorf("ftp: Write on a download data connection")
	}
	if d.tcp != nil && !d.closed.Load() {
		if d.c.timeout <= 0 {
			n, err := d.tcp.ReadFrom(r)
			d.n.Add(n)
			return n, d.copyErr(err)
		}
		if isKernelConn(r) {
			return d.sliceCopy(func(lr *io.LimitedReader) (int64, error) {
				lr.R = r
				return d.tcp.ReadFrom(lr)
			})
		}
	}
	return copyBuffer(d, r, d.buffer(0))
}

// copyBuffer copies src to dst through buf until io.EOF, as io.CopyBuffer
// does but without consulting WriterTo or ReaderFrom: it is what the
// WriteTo and ReadFrom methods themselves fall back to, so io.CopyBuffer
// would call them back. A write error ends the copy before a read error
// is looked at; a short write without an error is io.ErrShortWrite.
func copyBuffer(dst io.Writer, src io.Reader, buf []byte) (int64, error) {
	var total int64
	for {
		n, rerr := src.Read(buf)
		if n > 0 {
			m, werr := dst.Write(buf[:n])
			total += int64(m)
			if werr == nil && m < n {
				werr = io.ErrShortWrite
			}
			if werr != nil {
				return total, werr
			}
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}

// zeroCopySlice is how much a zero-copy transfer moves under one deadline
// when Dialer.Timeout is set: the kernel copies (splice, sendfile) run in
// slices of this size, each one "operation" of the Timeout.
const zeroCopySlice = 512 << 10

// isKernelConn reports whether x is backed by a file descriptor (an
// *os.File or a socket), so that a copy between it and the data socket can
// be done by the kernel.
func isKernelConn(x any) bool {
	_, ok := x.(syscall.Conn)
	return ok
}

// sliceCopy runs a kernel copy in slices of zeroCopySlice bytes, arming the
// per-operation deadline before each, so that Dialer.Timeout still bounds
// an idle data connection without giving up splice and sendfile. copy
// performs one slice from a LimitedReader whose R it sets; the copy ends
// when a slice moves less than its limit.
func (d *DataConn) sliceCopy(copy func(lr *io.LimitedReader) (int64, error)) (int64, error) {
	var total int64
	var lr io.LimitedReader
	for {
		d.c.arm(d.raw)
		lr.N = zeroCopySlice
		n, err := copy(&lr)
		total += n
		d.n.Add(n)
		if err != nil {
			return total, d.copyErr(err)
		}
		if lr.N > 0 {
			if !d.upload {
				d.eof = true
			}
			return total, nil
		}
	}
}

// copyErr maps an error of a whole-copy path (WriteTo, ReadFrom) as Read
// and Write map theirs.
func (d *DataConn) copyErr(err error) error {
	switch {
	case err == nil:
		return nil
	case d.closed.Load():
		return d.closedErr()
	default:
		d.netErr = d.ioErr(err)
		return d.netErr
	}
}

// buffer returns the transfer's buffer of n bytes (0: the default size).
func (d *DataConn) buffer(n int) []byte {
	if n <= 0 {
		n = defaultBufSize
	}
	if d.buf == nil || len(*d.buf) < n {
		if n <= defaultBufSize {
			d.buf = bufPool.Get().(*[]byte)
		} else {
			b := make([]byte, n)
			d.buf = &b
		}
	}
	return (*d.buf)[:n]
}

// Close ends the transfer and reads its final reply, which must be 2xx
// (an *Error otherwise). An upload is ended normally. A download closed
// before io.EOF is aborted: ABOR is sent, the data connection closed, and
// both replies the server sends (the transfer's, such as 426, and the
// ABOR's) are read, so the Conn stays usable; Close then returns nil unless
// that exchange failed. A download that received fewer bytes than its 150
// reply announced, or whose protected data connection ended without a TLS
// close_notify (see Read), is an error wrapping io.ErrUnexpectedEOF. A
// transfer whose data connection failed (an error from Read, Write or a
// copy) is an error at Close too. In both cases, when the server's reply
// is negative as well (such as a 426 or 451), both are returned
// (errors.Join), so that errors.Is finds the network error and the
// reply's class.
// Close is safe to call more than once: later calls return the first
// result.
func (d *DataConn) Close() error {
	if !d.upload && !d.eof && d.size >= 0 && d.n.Load() >= d.size && !d.closed.Load() {
		// All the announced bytes were read: one more read sees the end
		// of the data, and the transfer needs no ABOR.
		var one [1]byte
		_, _ = d.Read(one[:])
	}
	ran, err := d.finish(false)
	if ran {
		d.recycle()
	}
	return err
}

// withReply returns err joined with the transfer's final reply when that
// is a negative one (such as the 451 of a server that could not store a
// cut upload, or a 426, read during the ABOR exchange), so that errors.Is
// finds both the data connection's failure and the reply's class.
func (d *DataConn) withReply(err error) error {
	resp := d.reply
	if resp == "" || (resp[0] != '4' && resp[0] != '5') {
		return err
	}
	return errors.Join(err, cmdError(replyError(resp), d.cmd))
}

// recycle returns the transfer's buffers to their pools. Only the
// goroutine that used them calls it, after finish.
func (d *DataConn) recycle() {
	if d.buf != nil && len(*d.buf) == defaultBufSize {
		bufPool.Put(d.buf)
		d.buf = nil
	}
	if d.lr != nil {
		d.lr.br.Reset(nil)
		lineReaderPool.Put(d.lr)
		d.lr = nil
	}
}

// finish ends the transfer once; ran reports whether this call did it.
// With abort it returns the error of the ABOR exchange, and the transfer's
// own result (what Close returns) is errAborted when that succeeded.
func (d *DataConn) finish(abort bool) (ran bool, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed.Load() {
		return false, d.err
	}
	d.closed.Store(true)
	d.stopKeepAlive(true)
	c := d.c
	c.mu.Lock()
	intr := c.intr
	if intr == nil {
		// The ctx may be done with its AfterFunc not run yet.
		intr = d.ctx.Err()
	}
	if intr != nil && c.cur == d {
		c.cur = nil
	}
	c.mu.Unlock()
	if intr != nil {
		// The ctx was cancelled: the transfer did not complete, whatever
		// was moved. ABOR is sent in the background so that the caller
		// gets the error at once.
		d.aborted.Store(true)
		d.err = fmt.Errorf("ftp: transfer interrupted: %w", intr)
		d.transferDone()
		c.abortLater(d.raw, d.stop)
		return true, d.err
	}
	if abort || (!d.upload && !d.eof) {
		d.aborted.Store(true)
		d.reply, d.err = c.abortTransfer(d.raw)
		if d.netErr != nil && !abort {
			// Read failed: the transfer did not complete, whatever the
			// ABOR exchange gave.
			if d.err != nil {
				d.err = errors.Join(d.withReply(d.netErr), d.err)
			} else {
				d.err = d.withReply(d.netErr)
			}
		}
		if abort {
			err = d.err
			if d.err == nil {
				d.err = errAborted
			}
		}
	} else {
		if d.next != "" && d.eof && !d.upload {
			// The download reached the end of its data: the next
			// transfer's PASV goes out now, its reply is read after
			// this one's (overlap.go). A failed write breaks the Conn,
			// and finalResp then fails too.
			cmd := c.cmd
			c.sendAhead(d.next, d.nextCmd)
			c.cmd = cmd // the final reply read next is the transfer's
		}
		cerr := c.closeData(d.ctx, d.conn, d.upload)
		c.setData(nil)
		resp, err := c.finalResp()
		if e, ok := err.(*Error); ok {
			resp = e.Msg
		}
		d.reply = resp
		switch {
		case err != nil && d.short != nil:
			err = errors.Join(d.short, err)
		case err != nil && d.netErr != nil:
			err = errors.Join(d.netErr, err)
		case err != nil:
		case d.short != nil:
			err = d.short
		case d.netErr != nil:
			err = d.netErr
		case cerr != nil:
			err = c.wrapIO(cerr)
		case d.binary && d.size >= 0 && d.n.Load() < d.size:
			err = fmt.Errorf("ftp: transfer ended after %d of %d bytes: %w", d.n.Load(), d.size, io.ErrUnexpectedEOF)
		}
		d.err = err
	}
	c.mu.Lock()
	if c.cur == d {
		c.cur = nil
	}
	c.mu.Unlock()
	d.transferDone()
	c.release(d.stop)
	if abort {
		return true, err
	}
	return true, d.err
}

// abortTransfer aborts the transfer in progress: ABOR, close the data
// socket, then read the transfer's own final reply and the reply to ABOR.
// It returns the first, and ErrProto when the second is not 2xx. When the
// exchange fails the Conn is broken.
func (c *Conn) abortTransfer(data net.Conn) (string, error) {
	first, err := c.abortExchange(data)
	if err == nil || isReplyErr(err) {
		// Replies to keepalive NOOPs may still be due.
		for c.noops > 0 {
			c.noops--
			if _, derr := c.getMultiline(); derr != nil {
				return first, derr
			}
		}
	}
	return first, err
}

// abortReply reads one reply of an ABOR exchange (ftplib getmultiline),
// passing over the 200 replies to keepalive NOOPs still due.
func (c *Conn) abortReply() (string, error) {
	for {
		resp, err := c.getMultiline()
		if err != nil || c.noops == 0 || replyCode(resp) != 200 {
			return resp, err
		}
		c.noops--
	}
}

// abortExchange is abortTransfer but for the replies to keepalive NOOPs
// that come after the exchange.
func (c *Conn) abortExchange(data net.Conn) (string, error) {
	err := c.sendAbor()
	if data != nil {
		data.Close()
		c.setData(nil)
	}
	if err != nil {
		return "", err
	}
	first, err := c.abortReply()
	if err != nil {
		return "", err
	}
	var second string
	if first != "" && first[0] == '2' {
		// Either the transfer's final reply, the ABOR reply still to come,
		// or the only reply: pure-ftpd over TLS may answer ABOR alone.
		second, err = c.abortSync()
	} else {
		second, err = c.abortReply()
	}
	if err != nil {
		return first, err
	}
	c.pending = false
	if second == "" {
		return first, nil
	}
	if second[0] != '2' {
		// proftpd may answer ABOR (226) before the aborted transfer (426).
		if first == "" || first[0] != '2' || (second[0] != '4' && second[0] != '5') {
			return first, cmdError(newError(ErrProto, second), "ABOR")
		}
		first = second
	}
	return first, nil
}

// abortSync follows a 2xx reply to ABOR with a NOOP and reads the replies
// up to the NOOP's 200: it returns the reply that came between (the ABOR
// reply), or "" when there was none.
func (c *Conn) abortSync() (string, error) {
	if err := c.putCmd("NOOP"); err != nil {
		return "", err
	}
	var between string
	for i := 0; i < 2; i++ {
		resp, err := c.abortReply()
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(resp, "200") {
			return between, nil
		}
		between = resp
	}
	return "", c.fail(cmdError(newError(ErrProto, between), "ABOR"))
}

// sendAbor sends ABOR as an ordinary command line. Unlike ftplib it is not
// sent as TCP urgent data: with MSG_OOB the final LF is the urgent byte,
// which a server without SO_OOBINLINE never reads in-band, so proftpd
// answers the aborted transfer and then waits forever for the end of the
// ABOR line. Every server tested reads an in-band ABOR during a transfer.
func (c *Conn) sendAbor() error {
	const abor = "ABOR\r\n"
	if err := c.settle(); err != nil {
		return err
	}
	if c.debug > 1 {
		c.debugLine("*put*", abor, false)
	}
	c.cmd = "ABOR"
	c.armCtrl()
	_, err := c.ctrl.Write([]byte(abor))
	if err != nil {
		return c.fail(err)
	}
	if c.observed() {
		c.noteCmd("ABOR", false)
	}
	return nil
}

// Abort aborts a data transfer (ftplib abort): it sends ABOR and returns
// the reply, which must be 426, 225 or 226 (else ErrProto). It may be
// called from another goroutine while a transfer started by Retr, Stor,
// RetrBinary, StorBinary, RetrLines or a listing is in progress: that
// transfer then fails (its DataConn's Close, or the method running it,
// returns an error wrapping net.ErrClosed, never nil) and its data
// connection is closed. When a transfer's
// final reply is still due (a transfer in progress, or TransferCmd without
// VoidResp yet), both the transfer's reply and the reply to ABOR are read,
// so replies stay in step, and the first is returned.
func (c *Conn) Abort(ctx context.Context) (string, error) {
	c.mu.Lock()
	d := c.cur
	c.mu.Unlock()
	if d != nil {
		stop := c.watch(ctx)
		ran, err := d.finish(true)
		stop()
		if ran {
			return checkAbortReply(d.Reply(), err)
		}
	}
	return c.call(ctx, func() (string, error) {
		if c.pending {
			first, err := c.abortTransfer(nil)
			return checkAbortReply(first, err)
		}
		if err := c.sendAbor(); err != nil {
			return "", err
		}
		resp, err := c.getMultiline()
		return checkAbortReply(resp, err)
	})
}

func checkAbortReply(resp string, err error) (string, error) {
	if err != nil {
		return "", err
	}
	if c := replyCode(resp); c != 426 && c != 225 && c != 226 {
		return "", cmdError(newError(ErrProto, resp), "ABOR")
	}
	return resp, nil
}

// end finishes a transfer run by the package: on err the transfer is
// aborted (to stay in step) and err returned; otherwise Close's result.
func (d *DataConn) end(err error) (string, error) {
	if err != nil && (d.short == nil || err != d.short) {
		d.mu.Lock()
		d.cause = err
		d.mu.Unlock()
		if ran, _ := d.finish(true); ran {
			d.recycle()
		}
		if d.netErr != nil {
			err = d.withReply(err)
		}
		return "", err
	}
	if err := d.Close(); err != nil {
		return "", err
	}
	return d.Reply(), nil
}

// readLine returns the next line of a line-mode download, without its CRLF
// or LF and decoded with the Conn's Encoding; io.EOF after the last one. A
// line longer than MaxLine-1 bytes is ErrLineTooLong.
func (d *DataConn) readLine() (string, error) {
	if d.closed.Load() {
		return "", d.closedErr()
	}
	if d.eof {
		if d.short != nil {
			return "", d.short
		}
		return "", io.EOF
	}
	d.c.arm(d.raw)
	b, err := d.lr.readLine()
	if err != nil {
		if err != io.EOF {
			return "", d.readErr(err)
		}
		if err := d.atEOF(); err != io.EOF || b == nil {
			return "", err
		}
	}
	d.n.Add(int64(len(b)))
	line := decode(d.c.enc, b)
	if d.c.debug > 2 {
		d.c.debugLine("*retr*", line+"\n", false)
	}
	return line, nil
}
