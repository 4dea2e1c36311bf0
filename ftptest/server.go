// Package ftptest provides an in-process FTP and FTPS server for tests,
// shaped like net/http/httptest.
//
// A Server listens on a loopback port, serves a file tree (in memory by
// default, or a directory on disk), and speaks the commands of RFC 959,
// RFC 2228/4217 (AUTH TLS, PBSZ, PROT, CCC), RFC 2389 (FEAT, OPTS),
// RFC 2428 (EPSV, EPRT), RFC 3659 (SIZE, MDTM, REST, MLST, MLSD) and
// RFC 7151 (HOST, recorded by [Server.VirtualHosts]), with
// reply texts modelled on vsftpd. Explicit FTPS ([Server.StartTLS]) and
// implicit FTPS ([Server.StartImplicitTLS]) are both available, and data
// connections can be required to resume the control connection's TLS
// session, as vsftpd's require_ssl_reuse does.
//
// Tests observe what a client sent with [Server.Commands] and
// [Server.Transfers], how many control connections it held at once with
// [Server.OpenConns] and [Server.MaxConcurrentConns], and how many data
// bytes each file cost with [Server.BytesSent] and [Server.BytesReceived]
// (so that a resumed transfer can be told from one started again). They
// script misbehaviour with [Server.AddFault]: canned or malformed replies,
// delays, data connections cut after N bytes, a control connection closed
// or stalled at a chosen step, before or after a command's reply, or a
// 421 reply and a hang-up. [Server.Personality] makes it answer like
// servers a test cannot run: IIS, one behind a NAT, one that requires
// PRET, one whose clock is off, one that reads names as ISO 8859-1 until
// OPTS UTF8 ON.
//
// [Server.Records] gives the server's side of every session as structured
// records (commands with passwords masked, replies, data connections,
// transfers), and [Server.Logger] receives them as [log/slog] records, so
// that a test can compare them with what its client logged.
//
// Behaviour worth knowing when testing a client against it:
//
//   - Paths are virtual and rooted at "/"; ".." at the root stays at the
//     root (as in a chrooted real server), so no path names anything
//     outside the tree. On disk, symbolic links are followed only while
//     they stay inside [Server.Root].
//   - TYPE A converts bare LF to CRLF on RETR and CRLF to LF on STOR;
//     SIZE in TYPE A reports the size an ASCII RETR would send. REST
//     offsets always count bytes of the stored file.
//   - The "(N bytes)" in a RETR's 150 reply is the number of bytes that
//     will follow on the data connection.
//   - PORT and EPRT only accept the client's own address (a guard against
//     FTP bounce attacks); anything else gets "500 Illegal PORT command.".
//     On an IPv6 control connection PASV and PORT are refused with 502;
//     use EPSV and EPRT (RFC 2428).
//   - A command line longer than [MaxLine] bytes gets "500 Command line
//     too long." and the session goes on; after [MaxErrors] consecutive
//     500 replies (say, TLS bytes sent to a plain port) the server replies
//     421 and closes the control connection.
//   - Commands arriving while a transfer runs are read at once: ABOR
//     aborts it (426, then 226), NOOP and STAT are answered immediately,
//     and anything else waits for the transfer to end. Telnet IAC
//     sequences (IAC IP, IAC DM) are dropped from the command stream and
//     urgent (OOB) data is read inline.
//   - With implicit TLS the control connection is TLS from the first
//     byte, but data connections are protected only after PBSZ 0 and
//     PROT P, as with AUTH TLS.
//   - A protected data connection ends with a TLS close_notify from the
//     server; uploads are read until the client's close_notify (or a clean
//     end of stream), so a client that resets the connection early gets
//     426 and a truncated file.
package ftptest

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"
)

// MaxLine is the longest command line, CRLF included, that a Server
// accepts; a longer line is discarded and answered with 500.
const MaxLine = 4096

// MaxErrors is the number of consecutive 500 replies after which a
// Server replies 421 and closes the control connection.
const MaxErrors = 16

// dataTimeout bounds the wait for a data connection, a TLS handshake and
// the end of a data connection's shutdown.
const dataTimeout = 10 * time.Second

// A Server is an FTP server listening on a loopback address, for use in
// tests. Create it with [NewServer], or with [NewUnstartedServer], change
// its configuration fields, and call one of the Start methods. The
// configuration must not be changed once the server has started. The
// methods of a started Server are safe for concurrent use.
type Server struct {
	// Addr is the address the server listens on, in host:port form
	// ("127.0.0.1:40123" or "[::1]:40123"), once it has started.
	Addr string

	// Users maps user names to passwords. NewUnstartedServer sets
	// {"user": "pass"}. A nil map allows no named user.
	Users map[string]string

	// Anonymous allows the users "anonymous" and "ftp" with any password.
	// NewUnstartedServer sets it to true.
	Anonymous bool

	// Root, if not empty, is a directory on disk that the server serves
	// instead of its in-memory tree.
	Root string

	// IPv6 makes the server listen on [::1] instead of 127.0.0.1.
	IPv6 bool

	// Welcome is the text of the 220 greeting. Several lines, separated
	// by "\n", make a multi-line greeting. Empty means "ftptest ready.".
	Welcome string

	// RequireTLS refuses USER with "530 Non-anonymous sessions must use
	// encryption." until AUTH TLS, and transfers with "521 Data
	// connections must be encrypted." until PROT P. It has no effect on a
	// server started with Start.
	RequireTLS bool

	// RequireSessionReuse makes a protected data connection fail unless
	// its TLS handshake resumed a session of the same control connection
	// (vsftpd's require_ssl_reuse). The server then replies
	// "522 SSL connection failed: session reuse required" and closes the
	// control connection, as vsftpd does.
	RequireSessionReuse bool

	// TLS, if not nil, is the base server configuration for control and
	// data connections (for example to set MaxVersion). The server's
	// certificate is added when it has none. It is cloned, not modified.
	TLS *tls.Config

	// Personality makes the server answer like a server that tests cannot
	// run here: IIS, one behind a NAT, one that requires PRET, one whose
	// clock is off (see [Personality]). The zero value changes nothing.
	Personality Personality

	// Logger, if not nil, receives each record of [Server.Records] as it
	// is made, with the messages, levels and attribute keys that package
	// ftp's Dialer.Logger uses for the same facts: commands, replies and
	// data connections at Debug level, transfers at Info. Each record
	// also carries session, the number of its control connection. Nil
	// logs nothing; the records are kept either way.
	Logger *slog.Logger

	tree     tree
	mode     int // startPlain, startTLS, startImplicit
	ln       net.Listener
	tlsBase  *tls.Config
	started  bool
	wg       sync.WaitGroup
	closing  chan struct{}
	closeOne sync.Once

	stats connStats
	rec   recorder

	mu        sync.Mutex
	conns     map[io.Closer]struct{}
	commands  []string
	handled   []string
	hosts     []string
	transfers []Transfer
	faults    []*faultState
	nextID    int
	closed    bool
}

const (
	startPlain = iota
	startTLS
	startImplicit
)

// NewServer starts and returns a plain FTP server with the default
// configuration (see [NewUnstartedServer]).
func NewServer() *Server {
	s := NewUnstartedServer()
	s.Start()
	return s
}

// NewUnstartedServer returns a server that is not yet listening, with an
// empty in-memory tree, the user "user" with password "pass", and
// anonymous login allowed. Set its fields, then call [Server.Start],
// [Server.StartTLS] or [Server.StartImplicitTLS].
func NewUnstartedServer() *Server {
	return &Server{
		Users:     map[string]string{"user": "pass"},
		Anonymous: true,
		tree:      newMemTree(),
		closing:   make(chan struct{}),
		conns:     map[io.Closer]struct{}{},
	}
}

// Start starts a plain FTP server; AUTH TLS is refused.
// It panics if the server was already started or cannot listen.
func (s *Server) Start() { s.start(startPlain) }

// StartTLS starts a server that offers explicit FTPS: AUTH TLS (RFC 4217)
// upgrades the control connection, and PBSZ/PROT protect data.
// It panics if the server was already started or cannot listen.
func (s *Server) StartTLS() { s.start(startTLS) }

// StartImplicitTLS starts an implicit FTPS server: every control
// connection is TLS from its first byte, as on port 990. Data connections
// are protected after PBSZ 0 and PROT P.
// It panics if the server was already started or cannot listen.
func (s *Server) StartImplicitTLS() { s.start(startImplicit) }

func (s *Server) start(mode int) {
	if s.started {
		panic("ftptest: Server already started")
	}
	if s.closing == nil { // a Server literal rather than NewUnstartedServer
		s.closing = make(chan struct{})
		s.conns = map[io.Closer]struct{}{}
	}
	if s.tree == nil {
		s.tree = newMemTree()
	}
	if s.Root != "" {
		d, err := newDiskTree(s.Root)
		if err != nil {
			panic("ftptest: Root: " + err.Error())
		}
		s.tree = d
	}
	s.mode = mode
	if mode != startPlain {
		s.tlsBase = s.serverTLS()
	}
	network, addr := "tcp4", "127.0.0.1:0"
	if s.IPv6 {
		network, addr = "tcp6", "[::1]:0"
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		panic("ftptest: failed to listen on " + addr + ": " + err.Error())
	}
	s.ln = ln
	s.Addr = ln.Addr().String()
	s.started = true
	s.wg.Add(1)
	go s.serve()
}

// serverTLS builds the base server configuration, with session ticket
// keys fixed so that every per-connection clone can read every ticket.
func (s *Server) serverTLS() *tls.Config {
	var c *tls.Config
	if s.TLS != nil {
		c = s.TLS.Clone()
	} else {
		c = &tls.Config{}
	}
	if len(c.Certificates) == 0 && c.GetCertificate == nil {
		c.Certificates = []tls.Certificate{mustCert()}
	}
	if c.MinVersion == 0 {
		c.MinVersion = tls.VersionTLS12
	}
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		panic("ftptest: " + err.Error())
	}
	c.SetSessionTicketKeys([][32]byte{key})
	return c
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			select {
			case <-s.closing:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			time.Sleep(10 * time.Millisecond) // e.g. EMFILE: do not spin
			continue
		}
		if !s.track(c) {
			c.Close()
			return
		}
		s.stats.opened()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.untrack(c)
			s.newSession(c).run() // counts the connection closed
		}()
	}
}

// track registers c to be closed by Close; it reports false if the
// server is already closing.
func (s *Server) track(c io.Closer) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c io.Closer) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.Close()
}

// Close stops the listener, closes every control and data connection
// (transfers in progress fail, stalled replies are released), and waits
// until every goroutine of the server has returned. It may be called
// more than once.
func (s *Server) Close() {
	s.closeOne.Do(func() {
		if s.closing == nil {
			s.closing = make(chan struct{})
		}
		close(s.closing)
		if s.ln != nil {
			s.ln.Close()
		}
		s.mu.Lock()
		s.closed = true
		conns := make([]io.Closer, 0, len(s.conns))
		for c := range s.conns {
			conns = append(conns, c)
		}
		s.mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	s.wg.Wait()
}

// Commands returns every command line the server has received, in the
// order received, across all sessions, without the CRLF and with telnet
// IAC sequences removed. Arguments are kept verbatim, passwords included.
// A line longer than MaxLine is recorded truncated.
func (s *Server) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...)
}

// Handled returns every command line the server acted on, in order, across
// all sessions, in the form Commands gives. It differs from Commands when a
// session ends while the client is still sending: a line read after a fault
// closed the connection (CloseAfterReply, CloseControl, ...) was received but
// never acted on, so it is in Commands and not here. Tests that count how
// often a command took effect use Handled.
func (s *Server) Handled() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.handled...)
}

// VirtualHosts returns the host names clients selected with HOST (RFC
// 7151), in the order received, across all sessions. The server accepts
// any name before USER, and serves the same files for all of them.
func (s *Server) VirtualHosts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.hosts...)
}

func (s *Server) logHost(name string) {
	s.mu.Lock()
	s.hosts = append(s.hosts, name)
	s.mu.Unlock()
}

func (s *Server) logHandled(line string) {
	s.mu.Lock()
	s.handled = append(s.handled, line)
	s.mu.Unlock()
}

func (s *Server) logCommand(line string) {
	s.mu.Lock()
	s.commands = append(s.commands, line)
	s.mu.Unlock()
}

// A Transfer describes one data connection the server used, as reported
// by [Server.Transfers].
type Transfer struct {
	// Command is the command line that opened the data connection,
	// such as "RETR a.txt" or "LIST".
	Command string
	// Active is true for a connection the server dialled (PORT/EPRT),
	// false for one it accepted (PASV/EPSV).
	Active bool
	// TLS is true if the data connection was protected (PROT P).
	TLS bool
	// TLSVersion is the negotiated TLS version, 0 without TLS.
	TLSVersion uint16
	// DidResume is true if the data connection's TLS handshake resumed a
	// session of the same control connection.
	DidResume bool
	// Path is the file in the served tree that a RETR, STOR, APPE or
	// STOU read or wrote, as an absolute path ("/dir/a.txt"); it is empty
	// for listings.
	Path string
	// Bytes counts the bytes sent or received on the data connection,
	// after TYPE A conversion on the way out and before it on the way in.
	Bytes int64
	// Aborted is true if the transfer did not complete: ABOR, a fault, a
	// network error, or a failed TLS handshake.
	Aborted bool
	// CloseNotify is true if the client ended a protected upload with a
	// TLS close_notify rather than just closing the connection.
	CloseNotify bool
}

// Transfers returns the transfers so far, in the order they ended,
// including those whose data connection could not be established or
// whose TLS handshake failed (Aborted is then true).
func (s *Server) Transfers() []Transfer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Transfer(nil), s.transfers...)
}

func (s *Server) logTransfer(t Transfer) {
	s.mu.Lock()
	s.transfers = append(s.transfers, t)
	s.mu.Unlock()
}

// WriteFile creates or replaces the file name (a path relative to the
// root of the served tree, with "/" separators) with data, creating
// missing parent directories.
func (s *Server) WriteFile(name string, data []byte) error {
	s.init()
	p := vpath("/", name)
	if err := s.MkdirAll(parentOf(p)); err != nil {
		return err
	}
	w, err := s.tree.Create(p, createTrunc, 0)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// ReadFile returns the contents of the file name in the served tree.
func (s *Server) ReadFile(name string) ([]byte, error) {
	s.init()
	r, err := s.tree.Open(vpath("/", name), 0)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// MkdirAll creates the directory name and any missing parents in the
// served tree.
func (s *Server) MkdirAll(name string) error {
	s.init()
	p := vpath("/", name)
	if p == "/" {
		return nil
	}
	if fi, err := s.tree.Stat(p); err == nil {
		if fi.IsDir() {
			return nil
		}
		return pathErr("mkdir", name, errors.New("not a directory"))
	}
	if err := s.MkdirAll(parentOf(p)); err != nil {
		return err
	}
	if err := s.tree.Mkdir(p); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}

// SetModTime sets the modification time of the file or directory name,
// as reported by MDTM, MLSD and LIST.
func (s *Server) SetModTime(name string, t time.Time) error {
	s.init()
	return s.tree.Chtimes(vpath("/", name), t)
}

// Stat returns information about the file or directory name in the
// served tree.
func (s *Server) Stat(name string) (fs.FileInfo, error) {
	s.init()
	return s.tree.Stat(vpath("/", name))
}

// init makes the file helpers usable on a Server literal or one whose
// Root was set before start.
func (s *Server) init() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Root != "" {
		if d, ok := s.tree.(*diskTree); !ok || d == nil {
			if d, err := newDiskTree(s.Root); err == nil {
				s.tree = d
			}
		}
	}
	if s.tree == nil {
		s.tree = newMemTree()
	}
}

func parentOf(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

func (s *Server) newID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	return s.nextID
}

// greeting returns the 220 reply.
func (s *Server) greeting() string {
	w := s.Welcome
	if w == "" && s.Personality.IIS {
		w = "Microsoft FTP Service"
	}
	if w == "" {
		w = "ftptest ready."
	}
	return multiline(220, w)
}

// multiline formats text as a reply with code, using the RFC 959
// multi-line form ("220-first", ..., "220 last") when text has several
// lines.
func multiline(code int, text string) string {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var b bytes.Buffer
	for i, l := range lines {
		sep := "-"
		if i == len(lines)-1 {
			sep = " "
		}
		fmt.Fprintf(&b, "%d%s%s", code, sep, l)
		if i < len(lines)-1 {
			b.WriteString("\r\n")
		}
	}
	return b.String()
}
