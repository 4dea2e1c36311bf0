package ftptest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// A session is one control connection. Its main goroutine (run) handles
// commands one at a time; a reader goroutine reads command lines
// concurrently, so that ABOR, NOOP and STAT are seen while a transfer
// goroutine moves data.
type session struct {
	srv  *Server
	id   int
	tag  []byte   // marks TLS session tickets issued for this session
	raw  net.Conn // the TCP connection
	ipv6 bool

	wmu  sync.Mutex
	ctl  net.Conn  // where replies go: raw, or the TLS connection over it
	mute bool      // replies are dropped (Fault.CloseBeforeReply)
	tc   *tls.Conn // non-nil while the control connection is TLS

	replies replyParser // for Server.Records, under wmu

	lines    chan lineMsg
	resume   chan *bufio.Reader // hands the reader its next input after AUTH/CCC
	done     chan struct{}      // closed when the session ends
	eof      chan struct{}      // closed when the reader stops
	killOnce sync.Once
	gone     sync.Once // the connection counted closed in srv.stats

	// State below is owned by the main goroutine.
	userGiven bool
	user      string
	loggedIn  bool
	cwd       string
	ascii     bool
	rest      int64
	rnfr      string
	pbsz      bool
	protP     bool
	epsvAll   bool
	pasv      net.Listener
	port      string // PORT/EPRT address to dial
	facts     []string
	errs      int
	cur       *Fault // fault of the command being handled
	x         *xfer
	started   bool // the command being handled started a transfer
	pending   []lineMsg
	next      *bufio.Reader // reader input to resume with after AUTH/CCC
	line      string        // the command line being handled
	br        *bufio.Reader // the reader's input, while it waits (AUTH/CCC)
	ps        personaState  // Server.Personality's state (personality.go)
}

type lineMsg struct {
	line    string
	tooLong bool
	br      *bufio.Reader // for AUTH and CCC: the reader waits for resume
}

var allFacts = []string{"type", "size", "modify", "perm", "unique"}

func (srv *Server) newSession(c net.Conn) *session {
	id := srv.newID()
	s := &session{
		srv:    srv,
		id:     id,
		tag:    []byte(fmt.Sprintf("ftptest-control-%d", id)),
		raw:    c,
		ctl:    c,
		lines:  make(chan lineMsg, 64),
		resume: make(chan *bufio.Reader),
		done:   make(chan struct{}),
		eof:    make(chan struct{}),
		cwd:    "/",
		ascii:  true, // RFC 959 default
		facts:  allFacts,
	}
	if a, ok := c.LocalAddr().(*net.TCPAddr); ok && a.IP.To4() == nil {
		s.ipv6 = true
	}
	setOOBInline(c)
	return s
}

// kill ends the session abruptly: the control connection is closed and
// every wait on s.done is released.
func (s *session) kill() {
	s.killOnce.Do(func() {
		close(s.done)
		s.raw.Close()
	})
}

// release counts the control connection as closed, once.
func (s *session) release() {
	s.gone.Do(s.srv.stats.closed)
}

// write sends text, which must be complete lines, on the control
// connection. A client that does not read is dropped after dataTimeout.
func (s *session) write(text string) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.mute {
		return
	}
	s.recordReplies(text)
	s.ctl.SetWriteDeadline(time.Now().Add(dataTimeout))
	if _, err := io.WriteString(s.ctl, text); err != nil {
		s.kill() // closes the TCP connection; never blocks
	}
}

// reply sends a reply; text may hold several lines separated by CRLF.
func (s *session) reply(text string) { s.write(text + "\r\n") }

func (s *session) replyf(format string, args ...any) { s.reply(fmt.Sprintf(format, args...)) }

// pause waits for d, or until the session or its reader ends.
func (s *session) pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.done:
	case <-s.eof:
	case <-s.srv.closing:
	}
	return false
}

// stall holds the session until it ends or its client goes away.
func (s *session) stall() {
	select {
	case <-s.done:
	case <-s.eof:
	case <-s.srv.closing:
	}
}

func (s *session) run() {
	defer s.end()
	if s.srv.mode == startImplicit {
		tc := tls.Server(s.raw, s.controlTLS())
		s.raw.SetDeadline(time.Now().Add(dataTimeout))
		if err := tc.Handshake(); err != nil {
			return
		}
		s.raw.SetDeadline(time.Time{})
		s.ctl, s.tc = tc, tc
	}
	s.srv.wg.Add(1)
	go s.read(bufio.NewReader(s.ctl))

	f := s.srv.fault("")
	if f != nil {
		if f.Delay > 0 && !s.pause(f.Delay) {
			return
		}
		switch {
		case f.Stall:
			s.stall()
			return
		case f.CloseControl, f.CloseBeforeReply:
			return
		case f.Reply != "":
			s.write(raw(f.Reply))
		default:
			if f.Before != "" {
				s.write(raw(f.Before))
			}
			s.reply(s.srv.greeting())
			if f.After != "" {
				s.write(raw(f.After))
			}
		}
		if f.CloseAfterReply {
			return
		}
	} else {
		s.reply(s.srv.greeting())
	}

	for {
		if len(s.pending) > 0 && !s.busy() {
			m := s.pending[0]
			s.pending = s.pending[1:]
			if !s.handle(m) {
				return
			}
			continue
		}
		var xdone chan struct{}
		if s.x != nil {
			xdone = s.x.done
		}
		// Lines already read come before the end of the input.
		select {
		case m := <-s.lines:
			if !s.onLine(m) {
				return
			}
			continue
		default:
		}
		select {
		case m := <-s.lines:
			if !s.onLine(m) {
				return
			}
		case <-xdone:
			s.x = nil
		case <-s.eof:
			if len(s.lines) > 0 {
				continue // lines read before the end come first
			}
			// The client went away: drop queued commands, end transfers.
			return
		case <-s.done:
			return
		case <-s.srv.closing:
			return
		}
	}
}

// onLine handles a line from the reader, or queues it while a transfer
// runs. It returns false when the session must end.
func (s *session) onLine(m lineMsg) bool {
	if !s.busy() {
		return s.handle(m)
	}
	verb, _ := split(m.line)
	if verb == "ABOR" || (len(s.pending) == 0 && (verb == "NOOP" || verb == "STAT")) {
		return s.handle(m)
	}
	if len(s.pending) >= 64 {
		s.reply("421 Too many commands during a transfer.")
		return false
	}
	s.pending = append(s.pending, m)
	return true
}

// busy reports whether a transfer is running. A transfer that has sent
// its final reply is not: the client may already have sent its next
// command.
func (s *session) busy() bool {
	if s.x == nil {
		return false
	}
	s.x.mu.Lock()
	finished := s.x.finished
	s.x.mu.Unlock()
	if finished {
		<-s.x.done // it is returning
		s.x = nil
	}
	return s.x != nil
}

// end tears the session down: the transfer is aborted, listeners and the
// control connection closed.
func (s *session) end() {
	if s.x != nil {
		s.x.abort()
		s.x = nil
	}
	s.closeData()
	s.kill()
	s.release()
}

// read is the reader goroutine: it sends each command line to the main
// goroutine, and after AUTH or CCC waits for the input to continue with.
func (s *session) read(br *bufio.Reader) {
	defer s.srv.wg.Done()
	defer close(s.eof)
	defer s.release() // the client's stream ended (or the session did)
	for {
		line, tooLong, err := readLine(br)
		if err != nil {
			return
		}
		s.srv.logCommand(line)
		s.recordCommand(line)
		m := lineMsg{line: line, tooLong: tooLong}
		verb, _ := split(line)
		pause := !tooLong && (verb == "AUTH" || verb == "CCC")
		if pause {
			m.br = br
		}
		select {
		case s.lines <- m:
		case <-s.done:
			return
		}
		if pause {
			select {
			case next := <-s.resume:
				if next != nil {
					br = next
				}
			case <-s.done:
				return
			}
		}
	}
}

// readLine reads one command line, without its line end, dropping telnet
// IAC sequences. A line longer than MaxLine is consumed to its end and
// returned truncated with tooLong set.
func readLine(br *bufio.Reader) (string, bool, error) {
	var buf []byte
	tooLong := false
	for {
		b, err := br.ReadByte()
		if err != nil {
			return "", false, err
		}
		if b == 0xFF { // IAC
			c, err := br.ReadByte()
			if err != nil {
				return "", false, err
			}
			switch {
			case c == 0xFF: // an escaped 0xFF data byte
			case c >= 251 && c <= 254: // WILL, WONT, DO, DONT + option
				if _, err := br.ReadByte(); err != nil {
					return "", false, err
				}
				continue
			default: // IP, DM, AO, ...
				continue
			}
		}
		if b == '\n' {
			if n := len(buf); n > 0 && buf[n-1] == '\r' {
				buf = buf[:n-1]
			}
			return string(buf), tooLong, nil
		}
		if len(buf) < MaxLine-1 {
			buf = append(buf, b)
		} else {
			tooLong = true
		}
	}
}

// split returns a command line's verb, upper-cased, and its argument (the
// rest after one space, kept verbatim).
func split(line string) (verb, arg string) {
	verb, arg, _ = strings.Cut(line, " ")
	return strings.ToUpper(verb), arg
}

// handle runs one command line; it returns false when the session must
// end.
func (s *session) handle(m lineMsg) (keep bool) {
	s.srv.logHandled(m.line)
	if m.br != nil {
		// The reader waits for AUTH or CCC to be done.
		s.next = nil
		defer func() {
			if keep {
				select {
				case s.resume <- s.next:
				case <-s.done:
				}
			}
		}()
	}
	if m.tooLong {
		s.reply("500 Command line too long.")
		return s.badCommand()
	}
	if keep, handled := s.persona(&m); handled {
		return keep
	}
	verb, arg := split(m.line)
	cmd, known := commands[verb]
	if !known {
		if f := s.srv.fault(verb); f != nil && f.Reply != "" {
			s.write(raw(f.Reply)) // lets tests define replies to any verb
			return !f.CloseAfterReply
		}
		s.reply("500 Unknown command.")
		return s.badCommand()
	}
	s.errs = 0
	if verb != "RNTO" && verb != "RNFR" {
		s.rnfr = ""
	}
	f := s.srv.fault(verb)
	if f != nil {
		if f.Delay > 0 && !s.pause(f.Delay) {
			return false
		}
		switch {
		case f.Stall:
			s.stall()
			return false
		case f.CloseControl:
			return false
		case f.Reply != "":
			s.write(raw(f.Reply))
			return !f.CloseAfterReply
		}
		if f.Before != "" {
			s.write(raw(f.Before))
		}
		if f.CloseBeforeReply {
			s.setMute(true) // a transfer that starts turns it off
		}
	}
	s.cur = f
	s.br = m.br
	s.started = false
	keep = s.dispatch(cmd, verb, arg, m)
	if s.cur != nil && s.cur.After != "" && keep {
		s.write(raw(s.cur.After))
	}
	s.cur = nil
	if f != nil && !s.started && (f.CloseBeforeReply || f.CloseAfterReply) {
		// A transfer applies these at its end; anything else ends here.
		return false
	}
	return keep
}

func (s *session) setMute(on bool) {
	s.wmu.Lock()
	s.mute = on
	s.wmu.Unlock()
}

// badCommand counts a 500 reply and ends the session after MaxErrors in
// a row.
func (s *session) badCommand() bool {
	s.errs++
	if s.errs >= MaxErrors {
		s.reply("421 Too many errors; closing control connection.")
		return false
	}
	return true
}

func (s *session) dispatch(cmd command, verb, arg string, m lineMsg) bool {
	if cmd.login && !s.loggedIn {
		s.reply("530 Please login with USER and PASS.")
		return true
	}
	if cmd.arg == argRequired && arg == "" {
		s.reply(syntaxError)
		return true
	}
	if cmd.arg == argNone {
		arg = ""
	}
	s.line = m.line
	return cmd.fn(s, arg)
}

const syntaxError = "501 Syntax error in parameters or arguments."

// controlTLS returns the TLS configuration of this control connection:
// the tickets it issues carry the session's tag.
func (s *session) controlTLS() *tls.Config {
	base := s.srv.tlsBase
	c := base.Clone()
	tag := s.tag
	c.WrapSession = func(cs tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
		ss.Extra = append(ss.Extra, tag)
		return base.EncryptTicket(cs, ss)
	}
	return c
}

// dataTLS returns the TLS configuration of a data connection: only
// tickets issued to this control connection (or its data connections)
// are resumed, and new tickets carry the same tag.
func (s *session) dataTLS() *tls.Config {
	base := s.srv.tlsBase
	c := s.controlTLS()
	tag := s.tag
	c.UnwrapSession = func(identity []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
		ss, err := base.DecryptTicket(identity, cs)
		if err != nil || ss == nil {
			return nil, nil // not resumable: full handshake
		}
		for _, e := range ss.Extra {
			if bytes.Equal(e, tag) {
				return ss, nil
			}
		}
		return nil, nil
	}
	return c
}

// prefixConn is a net.Conn whose first bytes come from a buffer: bytes a
// bufio.Reader read ahead before a TLS handshake.
type prefixConn struct {
	net.Conn
	r io.Reader
}

func (c *prefixConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// closeData forgets the pending PASV listener or PORT address.
func (s *session) closeData() {
	if s.pasv != nil {
		s.srv.untrack(s.pasv)
		s.pasv = nil
	}
	s.port = ""
}
