package ftp

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultPort is the FTP control port used when an address names none
// (ftplib FTP_PORT).
const DefaultPort = 21

// DefaultMaxLine is the line-length bound used when Dialer.MaxLine is zero
// (ftplib MAXLINE).
const DefaultMaxLine = 8192

// Encoding is the character encoding of the control connection, of the
// text transferred by RetrLines and of listings.
type Encoding int

const (
	// UTF8 passes bytes through unchanged (Go strings are UTF-8). Invalid
	// UTF-8 from the server is kept as it is, not refused.
	UTF8 Encoding = iota
	// Latin1 is ISO 8859-1: commands must hold runes up to U+00FF only,
	// and received bytes are decoded one byte to one rune.
	Latin1
)

// Dialer holds the options for connecting to an FTP server. The zero value
// is usable: it connects in passive mode, without a timeout, in UTF-8,
// without debug output. A nil *Dialer is the same as a zero Dialer.
type Dialer struct {
	// Timeout is the deadline of each network operation (connect, one
	// reply, one command, one read or write of data, one accept) on the
	// control and data connections, like ftplib's timeout. Zero means
	// none; the ctx passed to each call still applies. The error of a
	// stall names the command or transfer and the step, as in
	// "ftp: RETR big.bin: data: read tcp ...: i/o timeout", and wraps the
	// deadline error (errors.Is(err, os.ErrDeadlineExceeded)).
	Timeout time.Duration

	// LocalAddr is the local address the control connection and the
	// passive data connections are bound to, like ftplib's
	// source_address. Its port is used for the control connection only;
	// data connections use the same IP with port 0. Nil lets the system
	// choose. It is not used when DialContext is set.
	LocalAddr net.Addr

	// DialContext, when not nil, opens the control connection and the
	// passive data connections. Nil uses a net.Dialer. When it is set,
	// passive data connections go to the host named in the address given
	// to Dial, not to the address the control connection reports.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)

	// Encoding is the encoding of the control connection, RetrLines and
	// StorLines text and listings. The zero value is UTF8.
	Encoding Encoding

	// MaxLine bounds the length of a reply line and of a RetrLines or
	// StorLines line: as in ftplib, the longest accepted content is
	// MaxLine-1 bytes. A whole multi-line reply is bounded by 128*MaxLine
	// bytes. Zero means DefaultMaxLine.
	MaxLine int

	// Debug is ftplib's debugging level: 0 prints nothing, 1 prints each
	// command and reply, 2 also each line sent and received, 3 also each
	// line of a RetrLines transfer. PASS arguments are masked.
	Debug int

	// DebugOutput receives the debug output. Nil means os.Stderr.
	DebugOutput io.Writer

	// Active starts the connection in active mode (PORT or EPRT: the
	// server connects to the client) instead of passive mode.
	Active bool

	// TrustPASVAddress makes passive mode connect to the host named in a
	// 227 reply instead of the control connection's peer (ftplib's
	// trust_server_pasv_ipv4_address). False is the safe default.
	TrustPASVAddress bool

	// EPSV makes passive mode ask for the data port with EPSV (RFC 2428)
	// on IPv4 too, as it always does on IPv6. EPSV replies carry no
	// address, which suits servers behind NAT that announce a private one
	// in 227. A 5xx reply to EPSV falls back to PASV, which is then kept.
	// False follows ftplib: PASV on IPv4.
	EPSV bool

	// TLSConfig configures FTPS. It is cloned, never modified. Nil means
	// a default configuration that verifies the server's certificate.
	// An empty ServerName means the host of the address dialled (an IP
	// literal is checked against the certificate's IP addresses). Its
	// ClientSessionCache is not used: each connection has a cache of its
	// own, so that its data connections resume its TLS session.
	TLSConfig *tls.Config

	// ImplicitTLS starts TLS on the first byte of the control connection
	// (implicit FTPS, usually port 990). Data connections are protected
	// only after FTPS.ProtP: use DialFTPS.
	ImplicitTLS bool

	// Host, when not empty, names the virtual host to use on a server that
	// serves several (RFC 7151): Dial sends "HOST name" right after the
	// welcome, so before Auth and Login, as RFC 7151 asks (the server can
	// then present the virtual host's certificate); with ImplicitTLS it
	// goes after the handshake. A reply that means the server does not
	// know HOST is accepted and Dial goes on: 500 or 502, and 530, which
	// vsftpd and pure-ftpd send to any command before USER (530 is not a
	// reply RFC 7151 gives HOST). Any other failure, such as proftpd's
	// 504 for a name it does not serve, is returned by Dial. Empty (the
	// default) sends no HOST, as ftplib does.
	Host string

	// NoopInterval keeps the control connection from idling out during a
	// long transfer: while a data transfer is open, NOOP is sent on the
	// control connection every NoopInterval, and the replies to those
	// NOOPs are read, in whatever order they come, together with the
	// transfer's final reply. Zero (the default) or a negative value
	// sends none.
	NoopInterval time.Duration

	// ListLocation is the time zone of the dates in LIST replies, which
	// carry none: [Conn.List] reads them as wall-clock times there and
	// gives Entry.ModTime in UTC. nil (the default) means UTC. The year
	// of a Unix date printed without one is resolved against ServerNow
	// (the client's clock when nil) read in this zone. EPLF times
	// (seconds since 1970) and MLSD/MLST times (UTC by RFC 3659) are not
	// affected.
	ListLocation *time.Location

	// ServerNow, when not nil, gives the server's current time, against
	// which [Conn.List] (and ReadDir, Stat, Walk without MLSD) resolves
	// the year of an ls -l date printed without one ("Nov 24 21:18"): ls
	// prints such a date for files less than six months old by the
	// server's clock, and the year chosen is the latest that does not put
	// the date more than a day after ServerNow. Nil uses the client's
	// clock, which gives the wrong year for files the server thinks
	// recent when its clock is ahead of the client's by more than a day,
	// or behind by more than six months. No reply of the protocol gives
	// the server's time, so it is not guessed: for a server whose clock is
	// known to be off by d, use func() time.Time { return
	// time.Now().Add(d) }.
	ServerNow func() time.Time

	// Proxy, when not nil, is the proxy that the control connection and
	// every passive data connection go through:
	// "socks5://[user:password@]host:port" (SOCKS5, RFC 1928, with the
	// username/password method of RFC 1929 when the URL has credentials;
	// "socks5h" is the same), or "http://[user:password@]host:port" (an
	// HTTP CONNECT tunnel, with Proxy-Authorization basic credentials when
	// the URL has them). The port defaults to 1080. Host names are sent to
	// the proxy unresolved. The connection to the proxy itself is opened
	// with DialContext when set, else from LocalAddr. As with DialContext,
	// passive data connections go to the host named in the address given
	// to Dial unless TrustPASVAddress is set. Active mode cannot be used
	// (ErrActiveProxy), and Conn.RemoteAddr reports the proxy's address.
	// A failure is a *ProxyError, whose text shows the URL with its
	// password redacted. Nil (the default) connects directly.
	Proxy *url.URL

	// PRET sends "PRET <transfer command>" before every PASV and EPSV, as
	// distributed servers such as drftpd require. Without it PRET is sent
	// only to a server whose FEAT reply lists PRET, known from an earlier
	// FEAT or from one sent (once per connection) when a PASV or EPSV is
	// refused with a 5xx reply that mentions PRET, as drftpd's does; so
	// servers that need no PRET cost no round trip. Set it for a server
	// that needs PRET but does not list it. Active mode sends no PRET,
	// and neither does MakePasv, which does not know the transfer.
	PRET bool

	// NoOptsUTF8 keeps the connection from sending "OPTS UTF8 ON". By
	// default it is sent once, right after the first FEAT reply that
	// lists UTF8 (RFC 2640), so that a server that reads names in a
	// legacy character set until told otherwise (pure-ftpd with charset
	// conversion, Serv-U, older IIS) reads them as UTF-8. FEAT is not sent
	// at login, which would cost every connection a round trip: it is
	// sent when ReadDir, Stat, Walk or Feat need it, and before the first
	// command that holds a name that is not ASCII; an ASCII-only session
	// that lists nothing sends neither FEAT nor OPTS. The reply to OPTS is
	// read and ignored. With Encoding Latin1 it is never sent (the server
	// is taken to speak Latin-1). ftplib never sends it.
	NoOptsUTF8 bool

	// Logger, when not nil, receives structured records of the session,
	// beside Debug's ftplib text (which it does not change). Records are
	// logged with the ctx of the call they belong to. Their messages,
	// levels and attribute keys are stable:
	//
	//   - "ftp connect" (Debug): the control connection was opened:
	//     addr ("host:port" dialled), dur; err when it failed.
	//   - "ftp tls" (Debug): a TLS handshake ended: conn ("control" or
	//     "data"), tls (the version, such as "TLS 1.3") and resumed (the
	//     session was resumed) when it succeeded, dur; err when it failed.
	//   - "ftp command" (Debug): a command was sent: cmd.
	//   - "ftp reply" (Debug): a reply was read: cmd (the command it
	//     answers, "" for the welcome), code (0 when malformed), text (the
	//     whole reply), dur (since cmd was sent).
	//   - "ftp data" (Debug): a data connection is ready: cmd (the
	//     transfer command), mode ("passive" or "active"), addr (the
	//     server's end), tls and resumed when it is protected, dur (since
	//     the transfer's set-up began).
	//   - "ftp transfer" (Info): a transfer run through a DataConn ended
	//     (every RetrBinary, StorBinary, RetrLines, StorLines, listing,
	//     Retr/Stor): cmd, bytes (on the data connection), dur (from the
	//     set-up to the final reply), rate (bytes per second), offset
	//     (when resumed with REST), tls and resumed when protected, result
	//     ("ok", "aborted" or "failed"), code (of the final reply, when
	//     one was read), err when it failed. See [TransferStats].
	//   - "ftp fallback" (Warn): the passive command from ("EPSV" or
	//     "PASV") was refused or its port could not be reached, and to is
	//     tried instead: from, to, err.
	//   - "ftp retry" (Warn, from a [Client]): a call failed with a
	//     transient error and is tried again: op (as in fs.PathError),
	//     path, attempt (1 for the first retry), wait (the backoff), err.
	//   - "ftp reconnect" (Warn, from a [Client]): an idle pooled
	//     connection failed its NOOP check and another one is used: err.
	//
	// No record holds a password: the argument of PASS and ACCT is
	// masked ("PASS ****") whatever its letter case, errors carry masked
	// commands, and URL credentials are never logged. A Client logs
	// through its Dialer's Logger. Nil (the default) logs nothing and
	// costs nothing. For timings without a logger, see [Trace].
	Logger *slog.Logger
}

// Dial connects to the FTP server at addr with a zero Dialer and reads its
// welcome. See [Dialer.Dial].
func Dial(ctx context.Context, addr string) (*Conn, error) {
	var d Dialer
	return d.Dial(ctx, addr)
}

// Dial connects to the FTP server at addr and reads its welcome reply.
// addr is "host:port" or "host" (port 21); an IPv6 literal is written
// "[::1]:21" or "[::1]". Any 1xx, 2xx or 3xx welcome is accepted; a 120
// ("ready in n minutes") is followed by waiting for the next reply. A 4xx
// or 5xx welcome is returned as an *Error and the connection is closed.
// ctx bounds the connection and the wait for the welcome only.
func (d *Dialer) Dial(ctx context.Context, addr string) (*Conn, error) {
	if d == nil {
		d = &Dialer{}
	}
	host, port := splitAddr(addr)
	hostport := net.JoinHostPort(host, port)
	c := newConn(d, host)
	c.observe(ctx)
	if d.Proxy != nil {
		if d.Active {
			return nil, ErrActiveProxy
		}
		p, err := newProxyConf(d.Proxy)
		if err != nil {
			return nil, err
		}
		c.proxy = p
	}
	if d.Host != "" {
		// Refused before connecting: nothing is sent.
		if err := c.checkCmd("HOST " + d.Host); err != nil {
			return nil, err
		}
	}
	t0 := time.Now()
	nc, err := c.dialTCP(ctx, hostport, d.LocalAddr)
	if c.observed() {
		c.noteConnect(hostport, t0, err)
	}
	if err != nil {
		return nil, err
	}
	c.setCtrl(nc)
	c.raw = nc
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	c.peerHost = host
	if c.proxy != nil {
		// The socket's peer is the proxy: only an IP literal given to
		// Dial tells the server's address.
		c.peerIP = net.ParseIP(host)
	} else if ta, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		c.peerIP = ta.IP
		if d.DialContext == nil {
			c.peerHost = ta.IP.String()
			if ta.Zone != "" {
				c.peerHost += "%" + ta.Zone
			}
		}
	}
	if d.ImplicitTLS {
		if err := c.startImplicitTLS(ctx); err != nil {
			nc.Close()
			return nil, err
		}
	}
	stop, err := c.acquire(ctx)
	if err != nil {
		nc.Close()
		return nil, err
	}
	resp, err := c.getResp()
	for err == nil && strings.HasPrefix(resp, "120") {
		resp, err = c.getResp()
	}
	if err != nil {
		c.release(stop)
		c.Close()
		return nil, welcomeError(err)
	}
	c.welcome = resp
	if d.Host != "" {
		err = c.sendHost(d.Host)
	}
	c.release(stop)
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// sendHost sends "HOST name" (RFC 7151); the reply must be 2xx. A 500,
// 502 or 530 reply means the server does not know HOST (see Dialer.Host),
// which is not an error.
func (c *Conn) sendHost(name string) error {
	_, err := c.voidCmd("HOST " + name)
	var e *Error
	if errors.As(err, &e) && (e.Code == 500 || e.Code == 502 || e.Code == 530) {
		return nil
	}
	return cmdError(err, c.cmd)
}

// splitAddr splits "host:port", "host", "[v6]:port", "[v6]" or a bare
// IPv6 literal into host and port, the port defaulting to 21.
func splitAddr(addr string) (host, port string) {
	h, p, err := net.SplitHostPort(addr)
	if err == nil {
		if p == "" {
			p = strconv.Itoa(DefaultPort)
		}
		return h, p
	}
	h = strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
	return h, strconv.Itoa(DefaultPort)
}

func newConn(d *Dialer, host string) *Conn {
	c := &Conn{
		host:      host,
		timeout:   d.Timeout,
		dialFn:    d.DialContext,
		enc:       d.Encoding,
		maxLine:   d.MaxLine,
		debug:     d.Debug,
		debugOut:  d.DebugOutput,
		passive:   !d.Active,
		trustPASV: d.TrustPASVAddress,
		epsv:      d.EPSV,
		noopEvery: d.NoopInterval,
		listLoc:   d.ListLocation,
		serverNow: d.ServerNow,
		log:       d.logger(),
	}
	c.fs.pret, c.fs.noOpts = d.PRET, d.NoOptsUTF8
	if c.maxLine <= 0 {
		c.maxLine = DefaultMaxLine
	}
	if c.debugOut == nil {
		c.debugOut = os.Stderr
	}
	if d.TLSConfig != nil {
		c.tlsConfig = d.TLSConfig.Clone()
	}
	c.implicitTLS = d.ImplicitTLS
	c.wantTLS = d.TLSConfig != nil || d.ImplicitTLS
	if ta, ok := d.LocalAddr.(*net.TCPAddr); ok && ta != nil {
		c.dataLocalAddr = &net.TCPAddr{IP: ta.IP, Zone: ta.Zone}
	} else if d.LocalAddr != nil {
		c.dataLocalAddr = d.LocalAddr
	}
	return c
}

// dialTCP opens a TCP connection to addr with the Dialer's hook or a
// net.Dialer bound to laddr, under ctx and the per-operation timeout.
func (c *Conn) dialTCP(ctx context.Context, addr string, laddr net.Addr) (net.Conn, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	target := addr
	if c.proxy != nil {
		addr = c.proxy.addr
	}
	var nc net.Conn
	var err error
	if t := c.trace; t != nil {
		ctx = netTrace(ctx, t, addr)
		if t.ConnectStart != nil {
			t.ConnectStart(target)
		}
		if t.ConnectDone != nil {
			defer func() { t.ConnectDone(target, err) }()
		}
	}
	if c.dialFn != nil {
		nc, err = c.dialFn(ctx, "tcp", addr)
	} else {
		nd := net.Dialer{LocalAddr: laddr}
		nc, err = nd.DialContext(ctx, "tcp", addr)
	}
	if c.proxy != nil {
		if err != nil {
			err = c.proxy.fail(target, 0, err)
		} else {
			nc, err = c.proxy.dial(ctx, nc, target)
		}
	}
	if err != nil {
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			err = fmt.Errorf("ftp: %w: %w", cerr, err)
		}
		return nil, err
	}
	return nc, nil
}

// Conn is a connection to an FTP server: one control connection and the
// data connections it opens. Its methods mirror Python's ftplib.FTP.
//
// A Conn is not for concurrent use: a call made while another call or an
// open [DataConn] holds it fails with ErrBusy instead of waiting. Close and
// Abort may be called from any goroutine, and Close interrupts any call in
// progress. After a failure that leaves the control connection in an
// unknown state (a cancelled context in the middle of a reply, a network
// error, a transfer whose final reply could not be read) the Conn is
// closed and every later call returns an error wrapping ErrClosed and the
// cause.
//
// A transfer whose ctx is cancelled while its data flows returns at once
// with an error wrapping ctx.Err(); ABOR is then sent and its replies read
// in the background, and the next call waits for that to end (at most
// Dialer.Timeout, or 5 seconds without one). The Conn stays usable when
// the server answers the ABOR, and is closed when it does not.
type Conn struct {
	// Settings fixed at Dial.
	host     string // as given to Dial; the TLS ServerName
	peerHost string // host for passive data connections
	peerIP   net.IP // control peer IP, nil when unknown
	timeout  time.Duration
	dialFn   func(ctx context.Context, network, addr string) (net.Conn, error)
	proxy    *proxyConf // Dialer.Proxy, nil for none
	enc      Encoding
	maxLine  int
	debugOut io.Writer
	debugMu  sync.Mutex // debug output may come from the keepalive goroutine

	noopEvery time.Duration    // Dialer.NoopInterval
	listLoc   *time.Location   // Dialer.ListLocation
	serverNow func() time.Time // Dialer.ServerNow (clock.go)
	noops     int              // NOOPs sent during a transfer, replies not read yet

	// Settings changed by the setters (not concurrently with calls).
	debug         int
	passive       bool
	trustPASV     bool
	dataLocalAddr net.Addr
	pasvCmd       string // "PASV" or "EPSV" once a fallback chose it
	epsv          bool   // Dialer.EPSV: EPSV first on IPv4 too
	lastPasv      string // the command that gave the last passive port
	epsvOK        bool   // an EPSV data port was reached (overlap.go)

	// Protocol state, used by the call holding busy.
	ctrl     net.Conn // control stream (a *tls.Conn once TLS is on)
	ctrlLR   lineReader
	dataLR   lineReader
	storBR   *bufio.Reader
	storAcc  []byte
	wbuf     []byte
	buf      []byte
	welcome  string
	lastResp string
	curType  string    // representation type known to be in force, "" unknown
	cmd      string    // the command whose reply is read next, "" for none (masked in errors)
	pending  bool      // a transfer's final reply is still due (after TransferCmd)
	pasvDue  string    // PASV or EPSV sent ahead, reply not read yet (overlap.go)
	fs       featState // FEAT's answer, PRET, OPTS UTF8 (features.go)

	// FTPS state (tls.go and the FTPS type).
	tlsConfig   *tls.Config
	ctrlTLS     *tls.Conn
	protP       bool
	implicitTLS bool
	wantTLS     bool                 // dialled for FTPS: Login refuses a clear control connection
	tlsData     *tls.Config          // data connections' config (see tlsSetup)
	tlsCleared  bool                 // CCC returned the control connection to clear text
	dataTLS     *tls.ConnectionState // last protected data connection (under mu)

	// Observability (log.go, trace.go): log is fixed at Dial, the rest
	// belongs to the call holding busy.
	log    *slog.Logger    // Dialer.Logger, nil for none
	octx   context.Context // the ctx of the call, for records and hooks
	trace  *Trace          // ContextTrace(octx), nil for none
	sentAt time.Time       // when the last command was sent, while observed

	busy atomic.Bool

	// mlst caches whether the server lists MLST in FEAT, for ReadDir:
	// 0 not asked yet, 1 yes, -1 no (listing_stream.go).
	mlst atomic.Int32

	mu      sync.Mutex // guards what follows and every deadline change
	raw     net.Conn   // control socket
	dataRaw net.Conn   // open data socket
	ln      net.Listener
	cur     *DataConn
	intr    error // context error that interrupted the current call
	closed  bool
	broken  error
	bg      chan struct{} // closed when a background abort ends (see abortLater)
}

// setCtrl makes nc the control stream, with a fresh reply reader. The
// FTPS code calls it after wrapping the control connection in TLS.
func (c *Conn) setCtrl(nc net.Conn) {
	c.ctrl = nc
	size := c.maxLine + 2
	if size < 4096 {
		size = 4096
	}
	if size > 64<<10 {
		size = 64 << 10
	}
	c.ctrlLR = lineReader{br: bufio.NewReaderSize(nc, size), max: c.maxLine}
}

var pastTime = time.Unix(1, 0)

// acquire takes the Conn for one call: it fails with ErrBusy when another
// call holds it and with ErrClosed when it is closed or broken, clears the
// deadlines and starts watching ctx. The caller ends with release(stop).
func (c *Conn) acquire(ctx context.Context) (stop func(), err error) {
	for !c.busy.CompareAndSwap(false, true) {
		// A transfer cancelled by its ctx may still be reading the
		// replies to its ABOR: that is not a call, so wait for it.
		c.mu.Lock()
		bg := c.bg
		c.mu.Unlock()
		if bg == nil {
			// The abort may have ended since the first try.
			if c.busy.CompareAndSwap(false, true) {
				break
			}
			return nil, ErrBusy
		}
		select {
		case <-bg:
		case <-ctx.Done():
			return nil, fmt.Errorf("ftp: %w", ctx.Err())
		}
	}
	c.mu.Lock()
	if err := c.deadLocked(); err != nil {
		c.mu.Unlock()
		c.busy.Store(false)
		return nil, err
	}
	c.intr = nil
	_ = c.raw.SetDeadline(time.Time{})
	c.mu.Unlock()
	if err := ctx.Err(); err != nil {
		c.busy.Store(false)
		return nil, fmt.Errorf("ftp: %w", err)
	}
	c.observe(ctx)
	return c.watch(ctx), nil
}

// release ends a call started by acquire.
func (c *Conn) release(stop func()) {
	stop()
	c.unobserve()
	c.busy.Store(false)
}

// deadLocked returns the error for a closed or broken Conn. c.mu is held.
func (c *Conn) deadLocked() error {
	if c.broken != nil {
		return fmt.Errorf("%w: %w", ErrClosed, c.broken)
	}
	if c.closed {
		return ErrClosed
	}
	return nil
}

// watch makes the cancellation of ctx interrupt the blocked I/O of the
// Conn. The returned stop function waits for an interruption in flight.
func (c *Conn) watch(ctx context.Context) func() {
	if ctx.Done() == nil {
		return func() {}
	}
	done := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(done)
		c.interrupt(ctx.Err())
	})
	return func() {
		if !stop() {
			<-done
		}
	}
}

// interrupt records cause and makes every blocked operation of the Conn
// return at once.
func (c *Conn) interrupt(cause error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.intr == nil {
		c.intr = cause
	}
	_ = c.raw.SetDeadline(pastTime)
	if c.dataRaw != nil {
		_ = c.dataRaw.SetDeadline(pastTime)
	}
	if dl, ok := c.ln.(interface{ SetDeadline(time.Time) error }); ok {
		_ = dl.SetDeadline(pastTime)
	}
}

// arm sets the per-operation deadline on nc before one operation, unless
// the call was interrupted (the past deadline must stay).
func (c *Conn) arm(nc interface{ SetDeadline(time.Time) error }) {
	if c.timeout <= 0 {
		return
	}
	c.mu.Lock()
	if c.intr == nil {
		_ = nc.SetDeadline(time.Now().Add(c.timeout))
	}
	c.mu.Unlock()
}

func (c *Conn) armCtrl() { c.arm(c.raw) }

// setData registers the open data socket (nil to clear) so that Close and
// cancellation reach it.
func (c *Conn) setData(nc net.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dataRaw = nc
	if nc == nil {
		return
	}
	if c.closed {
		nc.Close()
	} else if c.intr != nil {
		_ = nc.SetDeadline(pastTime)
	}
}

// setListener registers the active-mode listener (nil to clear).
func (c *Conn) setListener(ln net.Listener) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ln = ln
	if ln == nil {
		return
	}
	if c.closed {
		ln.Close()
	} else if dl, ok := ln.(interface{ SetDeadline(time.Time) error }); ok && c.intr != nil {
		_ = dl.SetDeadline(pastTime)
	}
}

// interrupted reports whether the call in progress was interrupted by its
// ctx or by Close; wrapIO then gives its I/O errors that cause.
func (c *Conn) interrupted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.intr != nil || c.closed
}

// wrapIO adds the cause of an interruption (a context error, or Close) to
// an I/O error.
func (c *Conn) wrapIO(err error) error {
	c.mu.Lock()
	intr, closed := c.intr, c.closed
	c.mu.Unlock()
	switch {
	case closed && !errors.Is(err, ErrClosed):
		return fmt.Errorf("%w: %w", ErrClosed, err)
	case intr != nil && !errors.Is(err, intr):
		return fmt.Errorf("ftp: %w: %w", intr, err)
	}
	return err
}

// fail marks the control connection broken after err left it in an
// unknown state, closes it, and returns err with its cause.
func (c *Conn) fail(err error) error {
	err = c.wrapIO(err)
	c.mu.Lock()
	if c.broken == nil && !c.closed {
		c.broken = err
	}
	raw, data := c.raw, c.dataRaw
	c.mu.Unlock()
	raw.Close()
	if data != nil {
		data.Close()
	}
	return err
}

// call runs f as one call holding the Conn.
func (c *Conn) call(ctx context.Context, f func() (string, error)) (string, error) {
	stop, err := c.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer c.release(stop)
	resp, err := f()
	return resp, cmdError(err, c.cmd)
}

// Close closes the control connection and any open data connection
// without sending QUIT (ftplib close). It interrupts any call in progress,
// may be called from any goroutine, and is idempotent.
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	raw, data, ln, broken, cur := c.raw, c.dataRaw, c.ln, c.broken, c.cur
	c.mu.Unlock()
	if cur != nil {
		cur.stopKeepAlive(false)
	}
	if data != nil {
		data.Close()
	}
	if ln != nil {
		ln.Close()
	}
	err := raw.Close()
	if broken != nil {
		return nil
	}
	return err
}

// Login logs in (ftplib login): it sends USER, then PASS if the reply is
// 3xx, then ACCT if that reply is 3xx, and returns the last reply, which
// must be 2xx. An empty user means "anonymous"; for an anonymous login an
// empty passwd or "-" gets "anonymous@" appended, as in ftplib.
//
// On a connection meant for FTPS (dialled with DialFTPS, or with a
// Dialer.TLSConfig) whose control connection is not protected yet, Login
// sends nothing and returns an error wrapping ErrNotTLS, since the
// password would go in clear text: use [FTPS.Login], which secures the
// connection first, or [FTPS.LoginPlain] to log in in clear text on
// purpose. After [FTPS.CCC] it logs in on the cleared connection.
func (c *Conn) Login(ctx context.Context, user, passwd, acct string) (string, error) {
	return c.login(ctx, user, passwd, acct, false)
}

// errClearLogin is Login's refusal to send a password in clear text on a
// connection meant for FTPS.
var errClearLogin = fmt.Errorf("%w: Login before Auth on an FTPS connection would send the password in clear text (use FTPS.Login, or FTPS.LoginPlain to mean it)", ErrNotTLS)

// login is Login; plain allows a clear-text login on an FTPS connection.
func (c *Conn) login(ctx context.Context, user, passwd, acct string, plain bool) (string, error) {
	if user == "" {
		user = "anonymous"
	}
	if user == "anonymous" && (passwd == "" || passwd == "-") {
		passwd += "anonymous@"
	}
	for _, l := range []string{"USER " + user, "PASS " + passwd, "ACCT " + acct} {
		if err := c.checkCmd(l); err != nil {
			return "", err
		}
	}
	return c.call(ctx, func() (string, error) {
		if !plain && c.wantTLS && c.ctrlTLS == nil && !c.tlsCleared {
			return "", errClearLogin
		}
		resp, err := c.sendCmd("USER " + user)
		if err == nil && resp[0] == '3' {
			resp, err = c.sendCmd("PASS " + passwd)
		}
		if err == nil && resp[0] == '3' {
			resp, err = c.sendCmd("ACCT " + acct)
		}
		if err != nil {
			return "", err
		}
		if resp[0] != '2' {
			return "", newError(ErrReply, resp)
		}
		return resp, nil
	})
}

// Acct sends ACCT with the account information password (ftplib acct);
// the reply must be 2xx.
func (c *Conn) Acct(ctx context.Context, password string) (string, error) {
	return c.call(ctx, func() (string, error) { return c.voidCmd("ACCT " + password) })
}

// SendCmd sends the command cmd and returns the reply (ftplib sendcmd):
// a 1xx, 2xx or 3xx reply is returned, a 4xx or 5xx one is an *Error of
// class ErrTemp or ErrPerm, anything else ErrProto. A cmd holding CR or LF
// is refused with ErrIllegalNewline and nothing is sent.
func (c *Conn) SendCmd(ctx context.Context, cmd string) (string, error) {
	return c.call(ctx, func() (string, error) { return c.sendCmd(cmd) })
}

// VoidCmd sends the command cmd and returns its reply, which must be 2xx
// (ftplib voidcmd); another positive reply is an *Error of class ErrReply.
func (c *Conn) VoidCmd(ctx context.Context, cmd string) (string, error) {
	return c.call(ctx, func() (string, error) { return c.voidCmd(cmd) })
}

// GetResp reads one reply and classifies it as SendCmd does (ftplib
// getresp). It is used after TransferCmd, or to read a reply the server
// sends on its own.
//
// A reply error it returns names no command (its Cmd is ""): the reply is
// not known to answer one.
func (c *Conn) GetResp(ctx context.Context) (string, error) {
	return c.call(ctx, func() (string, error) {
		if err := c.settle(); err != nil {
			return "", err
		}
		c.cmd = ""
		return c.getResp()
	})
}

// VoidResp reads one reply, which must be 2xx (ftplib voidresp): the
// final reply of a transfer opened by TransferCmd.
//
// A reply error it returns names no command, as with GetResp.
func (c *Conn) VoidResp(ctx context.Context) (string, error) {
	return c.call(ctx, func() (string, error) {
		if err := c.settle(); err != nil {
			return "", err
		}
		c.cmd = ""
		return c.voidResp()
	})
}

// Noop sends NOOP; the reply must be 2xx. It keeps an idle connection
// alive.
func (c *Conn) Noop(ctx context.Context) (string, error) {
	return c.VoidCmd(ctx, "NOOP")
}

// Rename renames from to to (ftplib rename): RNFR, whose reply must be
// 3xx, then RNTO, whose reply must be 2xx.
func (c *Conn) Rename(ctx context.Context, from, to string) (string, error) {
	if err := c.checkCmd("RNTO " + to); err != nil {
		return "", err
	}
	return c.call(ctx, func() (string, error) {
		if err := c.probeUTF8("RNTO " + to); err != nil { // before RNFR (utf8.go)
			return "", err
		}
		resp, err := c.sendCmd("RNFR " + from)
		if err != nil {
			return "", err
		}
		if resp[0] != '3' {
			return "", newError(ErrReply, resp)
		}
		return c.voidCmd("RNTO " + to)
	})
}

// Delete removes the file name (ftplib delete). The reply must be 250 or
// 200; another positive reply is an *Error of class ErrReply.
func (c *Conn) Delete(ctx context.Context, name string) (string, error) {
	return c.call(ctx, func() (string, error) {
		resp, err := c.sendCmd("DELE " + name)
		if err != nil {
			return "", err
		}
		if code := replyCode(resp); code != 250 && code != 200 {
			return "", newError(ErrReply, resp)
		}
		return resp, nil
	})
}

// Cwd changes the working directory (ftplib cwd). ".." sends CDUP and, only
// if the server answers 500, falls back to "CWD .."; "" sends "CWD .".
func (c *Conn) Cwd(ctx context.Context, dir string) (string, error) {
	return c.call(ctx, func() (string, error) {
		if dir == ".." {
			resp, err := c.voidCmd("CDUP")
			var e *Error
			if err == nil || !errors.As(err, &e) || e.Code != 500 || !errors.Is(err, ErrPerm) {
				return resp, err
			}
		} else if dir == "" {
			dir = "."
		}
		return c.voidCmd("CWD " + dir)
	})
}

// Size returns the size of the file name from a SIZE reply (ftplib size).
// No TYPE is sent: the size is the one for the type in force. A positive
// reply other than 213 gives -1 and an *Error of class ErrReply; a 213
// reply that is not a number gives ErrProto.
func (c *Conn) Size(ctx context.Context, name string) (int64, error) {
	var n int64 = -1
	_, err := c.call(ctx, func() (string, error) {
		resp, err := c.sendCmd("SIZE " + name)
		if err != nil {
			return "", err
		}
		if !strings.HasPrefix(resp, "213") {
			return "", newError(ErrReply, resp)
		}
		v, perr := strconv.ParseInt(strings.TrimSpace(resp[3:]), 10, 64)
		if perr != nil || v < 0 {
			return "", newError(ErrProto, resp)
		}
		n = v
		return resp, nil
	})
	return n, err
}

// Mkd creates the directory dir (ftplib mkd) and returns the name the
// server reports in its 257 reply, or "" for another 2xx reply.
func (c *Conn) Mkd(ctx context.Context, dir string) (string, error) {
	return c.call(ctx, func() (string, error) { return c.dirCmd("MKD " + dir) })
}

// Pwd returns the working directory from the 257 reply to PWD (ftplib
// pwd), or "" for another 2xx reply.
func (c *Conn) Pwd(ctx context.Context) (string, error) {
	return c.call(ctx, func() (string, error) { return c.dirCmd("PWD") })
}

func (c *Conn) dirCmd(cmd string) (string, error) {
	resp, err := c.voidCmd(cmd)
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(resp, "257") {
		return "", nil
	}
	return Parse257(resp)
}

// Rmd removes the directory dir (ftplib rmd); the reply must be 2xx.
func (c *Conn) Rmd(ctx context.Context, dir string) (string, error) {
	return c.VoidCmd(ctx, "RMD "+dir)
}

// Quit sends QUIT and, if the reply is 2xx, closes the connection (ftplib
// quit). On another reply the connection stays open.
func (c *Conn) Quit(ctx context.Context) (string, error) {
	resp, err := c.VoidCmd(ctx, "QUIT")
	if err == nil {
		c.Close()
	}
	return resp, err
}

// Feat sends FEAT and returns the features the server lists in its 211
// reply (RFC 2389), keyed by the upper-cased feature name, with the rest
// of the line (trimmed) as the value: "REST STREAM" gives
// {"REST": "STREAM"}. A positive reply other than 211 is an *Error of
// class ErrReply. The answer is kept for the Conn's own use (MLSD, PRET).
// When the reply lists UTF8, "OPTS UTF8 ON" follows once per Conn, in the
// same call, unless Dialer.NoOptsUTF8 is set or the Encoding is Latin1
// (LastResp is then the reply to OPTS).
func (c *Conn) Feat(ctx context.Context) (map[string]string, error) {
	var feats map[string]string
	_, err := c.call(ctx, func() (string, error) {
		var resp string
		var err error
		feats, resp, err = c.feat()
		return resp, err
	})
	return feats, err
}

// parseFeat reads the feature lines of a 211 reply: every line but the
// first and the last that starts with a space.
func parseFeat(resp string) map[string]string {
	feats := make(map[string]string)
	lines := strings.Split(resp, "\n")
	if len(lines) < 3 {
		return feats
	}
	for _, l := range lines[1 : len(lines)-1] {
		if !strings.HasPrefix(l, " ") {
			continue
		}
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		name, val, _ := strings.Cut(l, " ")
		feats[strings.ToUpper(name)] = strings.TrimSpace(val)
	}
	return feats
}

// ModTime returns the modification time of the file name from the 213
// reply to MDTM (RFC 3659), in UTC. A positive reply other than 213 is an
// *Error of class ErrReply; a time that cannot be parsed is ErrProto.
func (c *Conn) ModTime(ctx context.Context, name string) (time.Time, error) {
	var t time.Time
	_, err := c.call(ctx, func() (string, error) {
		resp, err := c.sendCmd("MDTM " + name)
		if err != nil {
			return "", err
		}
		if !strings.HasPrefix(resp, "213") {
			return "", newError(ErrReply, resp)
		}
		v, ok := parseMDTM(strings.TrimSpace(resp[3:]))
		if !ok {
			return "", newError(ErrProto, resp)
		}
		t = v
		return resp, nil
	})
	return t, err
}

// parseMDTM parses an RFC 3659 time-val: YYYYMMDDHHMMSS[.s...], UTC.
func parseMDTM(s string) (time.Time, bool) {
	if len(s) < 14 {
		return time.Time{}, false
	}
	for i := 0; i < 14; i++ {
		if s[i] < '0' || s[i] > '9' {
			return time.Time{}, false
		}
	}
	t, err := time.ParseInLocation("20060102150405", s[:14], time.UTC)
	if err != nil {
		return time.Time{}, false
	}
	if frac := s[14:]; frac != "" {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return time.Time{}, false
		}
		ns := 0
		for i := 1; i < 10; i++ {
			ns *= 10
			if i < len(frac) {
				if frac[i] < '0' || frac[i] > '9' {
					return time.Time{}, false
				}
				ns += int(frac[i] - '0')
			}
		}
		t = t.Add(time.Duration(ns))
	}
	return t, true
}

// SetModTime sets the modification time of the file name with MFMT
// (draft-somers-ftp-mfxx), sending t in UTC to the second; the reply must
// be 2xx.
func (c *Conn) SetModTime(ctx context.Context, name string, t time.Time) (string, error) {
	return c.VoidCmd(ctx, "MFMT "+t.UTC().Format("20060102150405")+" "+name)
}

// SetPasv selects passive mode (true, the default) or active mode (false)
// for the data connections opened later (ftplib set_pasv). No I/O happens.
func (c *Conn) SetPasv(passive bool) { c.passive = passive }

// SetDebugLevel sets ftplib's debugging level (see Dialer.Debug).
func (c *Conn) SetDebugLevel(level int) { c.debug = level }

// SetTrustServerPASVAddress sets whether passive mode connects to the host
// named in a 227 reply (true) or to the control connection's peer (false,
// the default); see Dialer.TrustPASVAddress.
func (c *Conn) SetTrustServerPASVAddress(trust bool) { c.trustPASV = trust }

// SetDataLocalAddr sets the local address data connections are bound to:
// passive connections are dialled from it and active-mode listeners use
// its IP. Nil lets the system choose (passive) or uses the control
// connection's local IP (active).
func (c *Conn) SetDataLocalAddr(addr net.Addr) { c.dataLocalAddr = addr }

// Welcome returns the server's welcome reply read by Dial (ftplib
// getwelcome). At debug level 1 or more it is also printed.
func (c *Conn) Welcome() string {
	if c.debug > 0 {
		c.debugLine("*welcome*", c.welcome, true)
	}
	return c.welcome
}

// LastResp returns the code (first three characters) of the last reply
// read (ftplib lastresp).
func (c *Conn) LastResp() string { return c.lastResp }

// RemoteAddr returns the address of the server's end of the control
// connection: through Dialer.Proxy, the proxy's address.
func (c *Conn) RemoteAddr() net.Addr { return c.raw.RemoteAddr() }

// LocalAddr returns the address of the local end of the control
// connection.
func (c *Conn) LocalAddr() net.Addr { return c.raw.LocalAddr() }

// PrintLine writes line and a newline to standard output (ftplib
// print_line): the default callback of RetrLines and Dir.
func PrintLine(line string) error {
	_, err := fmt.Fprintln(os.Stdout, line)
	return err
}

// Ftpcp copies the file sourceName from source to targetName on target,
// with the data flowing directly between the two servers (ftplib ftpcp,
// "FXP"). targetName "" means sourceName; typ "" means "I". As in ftplib
// 3.14.6, the host named in source's 227 reply is ignored in favour of
// source's peer address unless source trusts PASV addresses. The source's
// port is asked for as MakePasv does: PASV, or EPSV on an IPv6 connection
// (where ftplib sends PASV, which IPv6 servers refuse), and the target is
// sent PORT or EPRT to match. A STOR or RETR reply other than 125 or 150
// is an *Error of class ErrProto.
func Ftpcp(ctx context.Context, source, target *Conn, sourceName, targetName, typ string) error {
	if targetName == "" {
		targetName = sourceName
	}
	if typ == "" {
		typ = "I"
	}
	for _, s := range []string{"RETR " + sourceName, "STOR " + targetName, "TYPE " + typ} {
		if err := source.checkCmd(s); err != nil {
			return err
		}
		if err := target.checkCmd(s); err != nil {
			return err
		}
	}
	sstop, err := source.acquire(ctx)
	if err != nil {
		return err
	}
	defer source.release(sstop)
	tstop, err := target.acquire(ctx)
	if err != nil {
		return err
	}
	defer target.release(tstop)

	if _, err := source.voidCmd("TYPE " + typ); err != nil {
		return err
	}
	if _, err := target.voidCmd("TYPE " + typ); err != nil {
		return err
	}
	// PASV (EPSV on IPv6), with makePasv's trust rule for the 227 host.
	source.pretFor("RETR " + sourceName)
	host, port, err := source.makePasv()
	if err != nil {
		return cmdError(err, source.cmd)
	}
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		_, err = target.sendEPRT(host, port)
	} else {
		_, err = target.sendPort(host, port)
	}
	if err != nil {
		return err
	}
	tresp, err := target.sendCmd("STOR " + targetName)
	if err != nil {
		return err
	}
	if c := replyCode(tresp); c != 125 && c != 150 {
		return cmdError(newError(ErrProto, tresp), target.cmd)
	}
	sresp, err := source.sendCmd("RETR " + sourceName)
	if err == nil {
		if c := replyCode(sresp); c != 125 && c != 150 {
			err = cmdError(newError(ErrProto, sresp), source.cmd)
		}
	}
	if err != nil {
		// The target's STOR is in progress and will not get its data:
		// abort it so that its replies stay in step.
		target.abortTransfer(nil)
		return err
	}
	if _, err := source.voidResp(); err != nil {
		target.voidResp()
		return err
	}
	_, err = target.voidResp()
	return err
}
