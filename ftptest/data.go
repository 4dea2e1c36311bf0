package ftptest

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"path"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// An xfer is one transfer: it runs in its own goroutine, from opening
// the data connection to the final reply.
type xfer struct {
	s       *session
	line    string
	f       *Fault
	ln      net.Listener // passive: the listener to accept from
	dial    string       // active: the address to dial
	prelim  string
	src     io.Reader      // download
	closer  io.Closer      // download source to close
	dst     io.WriteCloser // upload
	okReply string
	path    string // the file read or written; empty for listings
	offset  int64  // REST offset, for Server.Records

	done   chan struct{}
	stop   chan struct{}   // closed by abort
	ctx    context.Context // cancelled by abort
	cancel context.CancelFunc
	n      atomic.Int64

	mu       sync.Mutex
	conn     net.Conn
	aborted  bool
	finished bool
}

// takeData claims the data connection set up by PASV/EPSV/PORT/EPRT, or
// replies 425 and returns nil.
func (s *session) takeData() *xfer {
	if s.srv.RequireTLS && s.tlsOffered() && !s.protP {
		s.closeData()
		s.reply("521 Data connections must be encrypted.")
		return nil
	}
	x := &xfer{s: s, line: s.line, f: s.cur, done: make(chan struct{}), stop: make(chan struct{})}
	x.ctx, x.cancel = context.WithCancel(context.Background())
	switch {
	case s.pasv != nil:
		x.ln, s.pasv = s.pasv, nil
	case s.port != "":
		x.dial, s.port = s.port, ""
	default:
		s.reply("425 Use PORT or PASV first.")
		return nil
	}
	s.cur = nil // the transfer sends After itself
	return x
}

// drop releases a claimed data connection setup when the command fails
// before the transfer starts.
func (x *xfer) drop() {
	x.cancel()
	if x.ln != nil {
		x.s.srv.untrack(x.ln)
	}
	if x.closer != nil {
		x.closer.Close()
	}
}

func (s *session) start(x *xfer) {
	x.prelim = s.personaPrelim(x) // personality.go
	x.offset = s.rest
	s.rest = 0
	s.x = x
	s.started = true
	s.setMute(false) // CloseBeforeReply loses only the final reply
	s.srv.wg.Add(1)
	go func() {
		defer s.srv.wg.Done()
		x.run()
	}()
}

func (s *session) readAll(p string, offset int64) ([]byte, error) {
	r, err := s.srv.tree.Open(p, offset)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

func (s *session) cmdRETR(arg string) bool {
	x := s.takeData()
	if x == nil {
		return true
	}
	p := s.path(arg)
	fi, err := s.srv.tree.Stat(p)
	var size int64
	if err == nil && fi.Mode().IsRegular() {
		if s.ascii {
			var data []byte
			data, err = s.readAll(p, s.rest)
			data = toCRLF(data)
			x.src, size = bytes.NewReader(data), int64(len(data))
		} else {
			var r io.ReadCloser
			r, err = s.srv.tree.Open(p, s.rest)
			x.src, x.closer, size = r, r, max(fi.Size()-s.rest, 0)
		}
	}
	if err != nil || !fi.Mode().IsRegular() {
		x.drop()
		s.rest = 0
		s.reply("550 Failed to open file.")
		return true
	}
	x.path = p
	mode := "BINARY"
	if s.ascii {
		mode = "ASCII"
	}
	x.prelim = fmt.Sprintf("150 Opening %s mode data connection for %s (%d bytes).", mode, arg, size)
	x.okReply = "226 Transfer complete."
	s.start(x)
	return true
}

func (s *session) store(arg string, how createMode, unique bool) bool {
	x := s.takeData()
	if x == nil {
		return true
	}
	p := s.path(arg)
	var w io.WriteCloser
	var err error
	if unique {
		base := p
		if arg == "" {
			base = s.path("ftptest.upload")
		}
		for i := 0; i < 1000; i++ {
			p = base
			if i > 0 {
				p = base + "." + strconv.Itoa(i)
			}
			w, err = s.srv.tree.Create(p, createExcl, 0)
			if err == nil || !isExist(err) {
				break
			}
		}
	} else {
		w, err = s.srv.tree.Create(p, how, s.rest)
	}
	if err != nil {
		x.drop()
		s.rest = 0
		s.reply("553 Could not create file.")
		return true
	}
	if s.ascii {
		w = &lfWriter{w: w}
	}
	x.dst = w
	x.path = p
	x.prelim = "150 Ok to send data."
	if unique {
		x.prelim = "150 FILE: " + path.Base(p)
	}
	x.okReply = "226 Transfer complete."
	s.start(x)
	return true
}

func isExist(err error) bool { return errors.Is(err, fs.ErrExist) }

func (s *session) cmdSTOR(arg string) bool { return s.store(arg, createTrunc, false) }
func (s *session) cmdAPPE(arg string) bool { return s.store(arg, createAppend, false) }
func (s *session) cmdSTOU(arg string) bool { return s.store(arg, createExcl, true) }

func (s *session) list(arg string, kind listKind) bool {
	x := s.takeData()
	if x == nil {
		return true
	}
	data, err := s.listing(arg, kind)
	if err != nil {
		x.drop()
		if kind == listFacts && err.Error() == "not a directory" {
			s.reply("501 Not a directory.")
		} else {
			s.reply("550 No such file or directory.")
		}
		return true
	}
	x.src = bytes.NewReader(data)
	x.prelim = "150 Here comes the directory listing."
	x.okReply = "226 Directory send OK."
	s.start(x)
	return true
}

func (s *session) cmdLIST(arg string) bool { return s.list(arg, listLong) }
func (s *session) cmdNLST(arg string) bool { return s.list(arg, listNames) }
func (s *session) cmdMLSD(arg string) bool { return s.list(arg, listFacts) }

// abort stops the transfer and waits for its goroutine. It reports
// whether the transfer was still running (so the reply is 426 then 226)
// rather than already finished.
func (x *xfer) abort() bool {
	x.mu.Lock()
	running := !x.finished
	if running && !x.aborted {
		x.aborted = true
		close(x.stop)
		x.cancel()
		if x.ln != nil {
			x.ln.Close()
		}
		if x.conn != nil {
			x.conn.Close()
		}
	}
	x.mu.Unlock()
	<-x.done
	return running
}

// setConn records the data connection so abort can close it; it reports
// false if the transfer was aborted meanwhile.
func (x *xfer) setConn(c net.Conn) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.aborted {
		return false
	}
	x.conn = c
	return true
}

// send writes a reply unless the transfer was aborted.
func (x *xfer) send(text string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.aborted {
		return false
	}
	x.s.write(text)
	return true
}

// connect accepts or dials the data connection.
func (x *xfer) connect() (net.Conn, error) {
	if x.ln != nil {
		defer x.s.srv.untrack(x.ln)
		tl := x.ln.(*net.TCPListener)
		tl.SetDeadline(time.Now().Add(dataTimeout))
		for {
			c, err := tl.Accept()
			if err != nil {
				return nil, err
			}
			if a, ok := c.RemoteAddr().(*net.TCPAddr); ok && a.IP.Equal(x.s.peerIP()) {
				return c, nil
			}
			c.Close() // not our client
		}
	}
	d := net.Dialer{Timeout: dataTimeout}
	return d.DialContext(x.ctx, "tcp", x.dial)
}

// rawEOF wraps a data connection under TLS to see whether the peer's
// TCP stream ended (as opposed to a close_notify inside it).
type rawEOF struct {
	net.Conn
	eof atomic.Bool
}

func (c *rawEOF) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err == io.EOF {
		c.eof.Store(true)
	}
	return n, err
}

// countWriter counts the bytes written in n, and in file if not nil
// (the per-file count of Server.BytesSent).
type countWriter struct {
	w    io.Writer
	n    *atomic.Int64
	file *atomic.Int64
}

func (c countWriter) Write(p []byte) (int, error) {
	// Count first, so that a client that has the bytes sees them counted.
	c.add(int64(len(p)))
	n, err := c.w.Write(p)
	c.add(int64(n - len(p)))
	return n, err
}

func (c countWriter) add(n int64) {
	c.n.Add(n)
	if c.file != nil {
		c.file.Add(n)
	}
}

// countReader counts the bytes read in n, and in file if not nil (the
// per-file count of Server.BytesReceived).
type countReader struct {
	r    io.Reader
	n    *atomic.Int64
	file *atomic.Int64
}

func (c countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	if c.file != nil {
		c.file.Add(int64(n))
	}
	return n, err
}

func (x *xfer) run() {
	s := x.s
	start := time.Now()
	defer close(x.done)
	defer x.cancel()
	if x.closer != nil {
		defer x.closer.Close()
	}
	f := x.f
	if f == nil {
		f = &Fault{}
	}
	upload := x.dst != nil
	failText := "426 Failure writing network stream."
	if upload {
		failText = "426 Failure reading network stream."
	}
	rec := Transfer{Command: x.line, Path: x.path, Active: x.ln == nil}
	var file *atomic.Int64
	if x.path != "" {
		file = s.srv.stats.counter(x.path, upload)
	}
	stored := false
	commit := func() error {
		if upload && !stored {
			stored = true
			return x.dst.Close()
		}
		return nil
	}
	defer commit()

	// finish logs the transfer and sends the final reply (426 if aborted).
	finish := func(text string, failed bool) {
		rec.Bytes = x.n.Load()
		if err := commit(); err != nil && !failed {
			text, failed = "451 Failure writing to local file.", true
		}
		x.mu.Lock()
		defer x.mu.Unlock()
		x.finished = true
		if x.aborted {
			text, failed = failText+"\r\n", true
		} else if f.Final != "" {
			text = raw(f.Final)
		} else {
			text += "\r\n"
		}
		rec.Aborted = failed
		s.srv.logTransfer(rec)
		x.recordTransfer(rec, text, start)
		if (f.CloseAfterData || f.CloseBeforeReply) && !x.aborted {
			s.kill()
			return
		}
		s.write(text)
		if f.After != "" && !x.aborted {
			s.write(raw(f.After))
		}
		if f.CloseAfterReply && !x.aborted {
			s.kill()
		}
	}

	conn, err := x.connect()
	if err != nil {
		finish("425 Failed to establish connection.", true)
		return
	}
	if !s.srv.track(conn) {
		conn.Close()
		finish(failText, true)
		return
	}
	handedOff := false
	defer func() {
		if !handedOff {
			s.srv.untrack(conn)
		}
	}()
	if !x.setConn(conn) {
		finish(failText, true)
		return
	}
	prelim := x.prelim + "\r\n"
	if f.Prelim != "" {
		prelim = raw(f.Prelim)
	}
	if !x.send(prelim) {
		finish(failText, true)
		return
	}

	var dc net.Conn = conn
	var tc *tls.Conn
	var watch *rawEOF
	if !s.protP {
		x.recordConn(conn, nil, nil, start)
	} else {
		watch = &rawEOF{Conn: conn}
		tc = tls.Server(watch, s.dataTLS())
		conn.SetDeadline(time.Now().Add(dataTimeout))
		err := tc.Handshake()
		conn.SetDeadline(time.Time{})
		x.recordConn(conn, tc, err, start)
		if err != nil {
			finish("425 Unable to build data connection: TLS handshake failed.", true)
			return
		}
		cs := tc.ConnectionState()
		rec.TLS, rec.TLSVersion, rec.DidResume = true, cs.Version, cs.DidResume
		if s.srv.RequireSessionReuse && !cs.DidResume {
			// Refuse politely on the data connection (close_notify, so
			// the client reads a clean end and then the 522), and drop
			// the session, as vsftpd does.
			handedOff = true
			x.linger(tc, conn)
			x.mu.Lock()
			x.finished = true
			rec.Aborted = true
			s.srv.logTransfer(rec)
			x.recordTransfer(rec, "522 SSL connection failed: session reuse required", start)
			if !x.aborted {
				s.write("522 SSL connection failed: session reuse required\r\n")
			}
			x.mu.Unlock()
			s.kill() // as vsftpd does
			return
		}
		dc = tc
	}

	limit := int64(-1)
	if f.Cut || f.StallData {
		limit = f.CutAfter
	}
	if upload {
		r := io.Reader(countReader{dc, &x.n, file})
		if limit >= 0 {
			r = io.LimitReader(r, limit)
		}
		_, err = io.Copy(x.dst, r)
		if err == nil && limit >= 0 && x.n.Load() >= limit {
			x.interrupt(f, conn)
			finish("426 Connection closed; transfer aborted.", true)
			return
		}
		if err != nil {
			finish(failText, true)
			return
		}
		if tc != nil {
			rec.CloseNotify = !watch.eof.Load()
			tc.Close() // our close_notify answers the client's
		} else {
			conn.Close()
		}
		finish(x.okReply, false)
		return
	}

	w := countWriter{dc, &x.n, file}
	if limit >= 0 {
		var n int64
		n, err = io.CopyN(w, x.src, limit)
		if err == nil && n == limit {
			x.interrupt(f, conn)
			finish("426 Connection closed; transfer aborted.", true)
			return
		}
		if err == io.EOF {
			err = nil
		}
	} else {
		_, err = io.Copy(w, x.src)
	}
	if err != nil {
		finish(failText, true)
		return
	}
	if tc != nil {
		handedOff = true
		if f.NoCloseNotify {
			x.linger(nil, conn)
		} else {
			x.linger(tc, conn)
		}
	} else {
		conn.Close()
	}
	finish(x.okReply, false)
}

// linger ends a protected data connection: close_notify and FIN, then a
// wait in the background for the client's close_notify or FIN before the
// socket closes, so that what the client sends does not make our kernel
// reset the connection. The connection must be tracked; linger untracks
// it.
// With tc nil (the NoCloseNotify fault) no close_notify is sent: the TCP
// stream just ends, and what the client sends is read raw.
func (x *xfer) linger(tc *tls.Conn, conn net.Conn) {
	var rest io.Reader = conn
	if tc != nil {
		tc.SetWriteDeadline(time.Now().Add(dataTimeout))
		tc.CloseWrite()
		rest = tc
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.CloseWrite()
	}
	s := x.s
	s.srv.wg.Add(1)
	go func() {
		defer s.srv.wg.Done()
		defer s.srv.untrack(conn)
		conn.SetReadDeadline(time.Now().Add(dataTimeout))
		io.Copy(io.Discard, rest)
	}()
}

// interrupt applies Cut or StallData once CutAfter bytes have moved.
func (x *xfer) interrupt(f *Fault, conn net.Conn) {
	if f.StallData {
		select {
		case <-x.stop:
		case <-x.s.done:
		case <-x.s.eof:
		case <-x.s.srv.closing:
		}
	}
	conn.Close()
}

// toCRLF converts bare LF to CRLF (TYPE A on the way out).
func toCRLF(data []byte) []byte {
	var out []byte
	for i, c := range data {
		if c == '\n' && (i == 0 || data[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out
}

// lfWriter converts CRLF to LF (TYPE A on the way in). A CR at the end of
// one write is held until the next byte is known.
type lfWriter struct {
	w  io.WriteCloser
	cr bool
}

func (l *lfWriter) Write(p []byte) (int, error) {
	out := make([]byte, 0, len(p)+1)
	for _, c := range p {
		if l.cr && c != '\n' {
			out = append(out, '\r')
		}
		l.cr = c == '\r'
		if !l.cr {
			out = append(out, c)
		}
	}
	if _, err := l.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (l *lfWriter) Close() error {
	if l.cr {
		l.cr = false
		if _, err := l.w.Write([]byte{'\r'}); err != nil {
			l.w.Close()
			return err
		}
	}
	return l.w.Close()
}
