package ftp

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// TLSMode says whether and how a Client protects its connections.
type TLSMode int

const (
	// NoTLS is plain FTP (ftp:// URLs).
	NoTLS TLSMode = iota
	// ExplicitTLS is FTPS with AUTH TLS (ftpes:// URLs): every connection
	// sends AUTH TLS before USER and PASS, then PBSZ 0 and PROT P, so no
	// password and no data ever travel in clear text.
	ExplicitTLS
	// ImplicitTLS is FTPS with TLS from the first byte (ftps:// URLs,
	// port 990 by default), then PBSZ 0 and PROT P after login.
	ImplicitTLS
)

// String returns the name of the mode.
func (m TLSMode) String() string {
	switch m {
	case NoTLS:
		return "NoTLS"
	case ExplicitTLS:
		return "ExplicitTLS"
	case ImplicitTLS:
		return "ImplicitTLS"
	}
	return "TLSMode(" + strconv.Itoa(int(m)) + ")"
}

// Defaults of the Client's settings.
const (
	DefaultMaxConns    = 4
	DefaultIdleTimeout = 60 * time.Second
	DefaultMaxRetries  = 3
	// DefaultFTPSPort is the port of implicit FTPS.
	DefaultFTPSPort = 990
)

// Client is the layer of the package a Go program starts with, as
// http.Client is for HTTP: safe for use by any number of goroutines,
// path-based, binary, pooled and retrying. [Conn] stays Python's
// ftplib.FTP, call for call; a Client lends one with [Client.Do] for
// anything it does not cover.
//
// A Client keeps up to MaxConns logged-in control connections. A call
// takes an idle one (checked with NOOP when it has been idle for more than
// a few seconds), or dials and logs in a new one, or waits under its ctx
// for one to be given back; connections idle for IdleTimeout are closed.
// Each connection has its own TLS session, which its data connections
// resume. A connection that failed in a way that leaves it unusable is
// closed, never given back.
//
// Paths are paths, not commands: a name with spaces, a leading dash or
// non-ASCII letters is sent as it is; a path holding CR or LF is refused
// with ErrIllegalNewline before anything is sent. A relative path is
// resolved against the directory the first connection found itself in
// after login (and Dir), so that every pooled connection names the same
// file. Transfers are binary (TYPE I), and TYPE I is sent before SIZE,
// whatever the connection did before.
//
// Transient failures (a dial error, a reset or closed connection, a 421
// reply, a data connection refused or broken: 425, 426) are retried on a
// fresh connection, up to MaxRetries times, after 50 ms, then twice as
// long each time up to 2 s, never past the ctx. A download resumes where
// it broke; an upload from an io.Seeker resumes too. A 5xx reply is never
// retried. An operation whose effect cannot be repeated safely (Rename,
// Remove, Mkdir, an append) and whose command may have reached the server
// before the connection died is checked on the server, not blindly sent
// again.
//
// Errors are *fs.PathError values naming the operation and the path, and
// wrapping the server's *Error, so errors.Is(err, ErrPerm) and
// errors.As(err, &ftpErr) work; a reply that means the file is missing
// also matches fs.ErrNotExist.
//
// The exported fields must be set before the first call and not changed
// afterwards. The zero Client needs at least Addr.
type Client struct {
	// Addr is the server's "host:port" or "host" (port 21, or 990 for
	// ImplicitTLS).
	Addr string
	// User and Password are the login. An empty User logs in as
	// "anonymous".
	User, Password string
	// Dir, when not empty, is the directory each connection changes to
	// after login (CWD), and that relative paths are resolved against.
	Dir string
	// Dialer holds the connection settings (Timeout, TLSConfig,
	// DialContext, Active, EPSV, Debug, ...). Nil is a zero Dialer. Its
	// ImplicitTLS field is the same as TLS: ImplicitTLS.
	Dialer *Dialer
	// TLS chooses plain FTP, explicit FTPS or implicit FTPS.
	TLS TLSMode
	// MaxConns is the most control connections open at once; more calls
	// wait for one to be free. Zero means DefaultMaxConns (4): many
	// servers limit the connections of one user or address.
	MaxConns int
	// IdleTimeout closes a connection idle for that long. Zero means
	// DefaultIdleTimeout (60 s); a negative value keeps idle connections
	// until Close.
	IdleTimeout time.Duration
	// MaxRetries is how many times a transient failure is retried. Zero
	// means DefaultMaxRetries (3); a negative value means no retries.
	MaxRetries int

	once sync.Once
	pool *pool

	homeMu sync.Mutex
	home   string // absolute directory relative paths resolve against
	homeOK bool   // home was asked for (it may be "")
}

// NewClient returns a Client for a URL of the form
//
//	ftp://user:password@host:port/dir
//
// with the scheme ftp (plain), ftpes (explicit FTPS: AUTH TLS) or ftps
// (implicit FTPS, port 990 by default). User and password are
// percent-decoded; without them the login is anonymous. A path becomes
// the Client's Dir: as in RFC 1738 it is relative to the login directory
// ("ftp://host/pub"), and "%2F" at its start makes it absolute
// ("ftp://host/%2Fsrv/pub"). No I/O happens: the first call connects.
// Errors never show the password.
func NewClient(rawURL string) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("ftp: invalid URL %q: %s", redactURL(rawURL), redactParseErr(err, rawURL))
	}
	c := &Client{}
	switch strings.ToLower(u.Scheme) {
	case "ftp":
	case "ftpes":
		c.TLS = ExplicitTLS
	case "ftps":
		c.TLS = ImplicitTLS
	default:
		return nil, fmt.Errorf("ftp: URL %q: scheme must be ftp, ftps or ftpes", redactURL(rawURL))
	}
	if u.Opaque != "" || u.Host == "" || !validHost(u.Hostname()) {
		return nil, fmt.Errorf("ftp: URL %q names no valid host", redactURL(rawURL))
	}
	c.Addr = u.Host
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("ftp: URL %q: invalid port", redactURL(rawURL))
		}
	} else {
		port := DefaultPort
		if c.TLS == ImplicitTLS {
			port = DefaultFTPSPort
		}
		c.Addr = net.JoinHostPort(u.Hostname(), strconv.Itoa(port))
	}
	if u.User != nil {
		c.User = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	if strings.ContainsAny(c.User+c.Password, "\r\n") {
		return nil, fmt.Errorf("ftp: URL %q: user or password holds CR or LF: %w", redactURL(rawURL), ErrIllegalNewline)
	}
	// RawPath keeps %2F apart from "/": split on the escaped form.
	p := u.EscapedPath()
	p = strings.TrimPrefix(p, "/")
	if p != "" {
		var dir []string
		for i, seg := range strings.Split(p, "/") {
			s, err := url.PathUnescape(seg)
			if err != nil {
				return nil, fmt.Errorf("ftp: URL %q: bad path: %w", redactURL(rawURL), err)
			}
			if i == 0 && strings.HasPrefix(s, "/") {
				// %2F: an absolute directory.
				dir = append(dir, s)
				continue
			}
			if s != "" || i == 0 {
				dir = append(dir, s)
			}
		}
		c.Dir = strings.Join(dir, "/")
		if strings.ContainsAny(c.Dir, "\r\n") {
			return nil, fmt.Errorf("ftp: URL %q: path: %w", redactURL(rawURL), ErrIllegalNewline)
		}
	}
	return c, nil
}

// validHost reports whether h can be a host name or IP address.
func validHost(h string) bool {
	if h == "" {
		return false
	}
	if strings.Contains(h, ":") {
		_, err := netip.ParseAddr(h)
		return err == nil
	}
	for _, r := range h {
		if r <= ' ' || r == 0x7f || strings.ContainsRune("[]/@%\\?#", r) {
			return false
		}
	}
	return true
}

// redactURL removes the password from a URL given as text, however
// malformed: everything between "://" and the last "@" of the authority
// but the user name.
func redactURL(raw string) string {
	i := strings.Index(raw, "://")
	if i < 0 {
		if strings.Contains(raw, "@") {
			return "(unparsable URL)"
		}
		return raw
	}
	rest := raw[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndex(rest[:end], "@")
	if at < 0 {
		return raw
	}
	userinfo := rest[:at]
	user, _, hasPass := strings.Cut(userinfo, ":")
	if hasPass {
		user += ":xxxxx"
	}
	return raw[:i+3] + user + rest[at:]
}

// redactParseErr returns the reason url.Parse gave, with the user info
// removed from it.
func redactParseErr(err error, raw string) string {
	var ue *url.Error
	msg := err.Error()
	if errors.As(err, &ue) {
		msg = ue.Err.Error()
	}
	if i := strings.Index(raw, "://"); i >= 0 {
		rest := raw[i+3:]
		if at := strings.LastIndex(rest, "@"); at > 0 {
			if _, pass, ok := strings.Cut(rest[:at], ":"); ok && pass != "" {
				msg = strings.ReplaceAll(msg, pass, "xxxxx")
			}
		}
	}
	return msg
}

// String returns the Client's URL without the password, such as
// "ftpes://user@host:21/dir".
func (c *Client) String() string {
	u := url.URL{Scheme: "ftp", Host: c.addr()}
	switch c.mode() {
	case ExplicitTLS:
		u.Scheme = "ftpes"
	case ImplicitTLS:
		u.Scheme = "ftps"
	}
	if c.User != "" {
		u.User = url.User(c.User)
	}
	if c.Dir != "" {
		if strings.HasPrefix(c.Dir, "/") {
			u.Path = "/" + c.Dir
			u.RawPath = "/%2F" + (&url.URL{Path: strings.TrimPrefix(c.Dir, "/")}).EscapedPath()
		} else {
			u.Path = "/" + c.Dir
		}
	}
	return u.String()
}

// mode is the TLS mode, counting Dialer.ImplicitTLS.
func (c *Client) mode() TLSMode {
	if c.TLS == NoTLS && c.Dialer != nil && c.Dialer.ImplicitTLS {
		return ImplicitTLS
	}
	return c.TLS
}

// addr is Addr with its default port.
func (c *Client) addr() string {
	if _, _, err := net.SplitHostPort(c.Addr); err == nil {
		return c.Addr
	}
	host, _ := splitAddr(c.Addr)
	port := DefaultPort
	if c.mode() == ImplicitTLS {
		port = DefaultFTPSPort
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// init sets up the pool on first use.
func (c *Client) init() {
	c.once.Do(func() {
		max := c.MaxConns
		if max <= 0 {
			max = DefaultMaxConns
		}
		idle := c.IdleTimeout
		switch {
		case idle == 0:
			idle = DefaultIdleTimeout
		case idle < 0:
			idle = 0
		}
		c.pool = &pool{dial: c.dial, max: max, idle: idle, stale: c.noteReconnect}
	})
}

// retries is MaxRetries with its default.
func (c *Client) retries() int {
	switch {
	case c.MaxRetries == 0:
		return DefaultMaxRetries
	case c.MaxRetries < 0:
		return 0
	}
	return c.MaxRetries
}

// dial connects and logs in one pooled connection: for FTPS, AUTH TLS (or
// the implicit handshake) comes before USER, and PBSZ 0 and PROT P right
// after login. It then changes to Dir, and the first connection asks PWD
// for the directory relative paths resolve against.
func (c *Client) dial(ctx context.Context) (*Conn, error) {
	var d Dialer
	if c.Dialer != nil {
		d = *c.Dialer
	}
	mode := c.mode()
	d.ImplicitTLS = mode == ImplicitTLS
	if mode == NoTLS {
		// Plain FTP asked for: a TLSConfig would make Login refuse.
		d.TLSConfig = nil
	}
	conn, err := d.Dial(ctx, c.addr())
	if err != nil {
		return nil, err
	}
	if mode != NoTLS {
		f := &FTPS{Conn: conn}
		_, err = f.Login(ctx, c.User, c.Password, "")
		if err == nil {
			_, err = f.ProtP(ctx)
		}
	} else {
		_, err = conn.Login(ctx, c.User, c.Password, "")
	}
	if err == nil && c.Dir != "" {
		_, err = conn.Cwd(ctx, c.Dir)
	}
	if err == nil {
		err = c.findHome(ctx, conn)
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// findHome asks the first connection for its directory (PWD). A refused
// PWD leaves relative paths relative; the other connections are in the
// same directory since they logged in and changed to Dir alike.
func (c *Client) findHome(ctx context.Context, conn *Conn) error {
	c.homeMu.Lock()
	defer c.homeMu.Unlock()
	if c.homeOK {
		return nil
	}
	dir, err := conn.Pwd(ctx)
	if err != nil && !isReplyErr(err) {
		return err
	}
	if strings.HasPrefix(dir, "/") {
		c.home = dir
	}
	c.homeOK = true
	return nil
}

// abs resolves a path against the home directory. Without one, a name
// starting with "-" gets "./" so that no server takes it for an option.
func (c *Client) abs(p string) string {
	c.homeMu.Lock()
	home := c.home
	c.homeMu.Unlock()
	switch {
	case strings.HasPrefix(p, "/"):
		return p
	case home == "":
		if strings.HasPrefix(p, "-") {
			return "./" + p
		}
		return p
	case p == "" || p == ".":
		return home
	}
	return joinPath(home, p)
}

// checkPath refuses a path that cannot be sent.
func checkPath(p string) error {
	if strings.ContainsAny(p, "\r\n") {
		return ErrIllegalNewline
	}
	return nil
}

// reusable reports whether a connection given back to the pool can serve
// another call: not closed or broken, no transfer open or owed.
func (c *Conn) reusable() bool {
	c.mu.Lock()
	ok := !c.closed && c.broken == nil && c.cur == nil && c.bg == nil
	c.mu.Unlock()
	return ok && !c.pending && !c.busy.Load()
}

// Close closes the idle connections (sending QUIT) and makes every later
// call fail with an error wrapping ErrClosed. A connection in use by a
// call is closed when that call ends. Close is idempotent.
func (c *Client) Close() error {
	c.init()
	c.pool.close()
	return nil
}

// Do lends fn a logged-in connection of the pool, for anything the Client
// does not cover (SITE commands, FEAT, a streaming listing, ...). fn must
// not keep the Conn after it returns, nor close it. The connection goes
// back to the pool afterwards unless it was closed, broken, left with a
// transfer open, or had its data protection or passive mode changed; its
// working directory and TYPE may be changed freely (the Client names
// files by absolute path and sends the TYPE each call needs). Getting a
// connection is retried like any call; fn itself is run once. Do returns
// fn's error as it is.
func (c *Client) Do(ctx context.Context, fn func(*Conn) error) error {
	c.init()
	var pc *pconn
	var err error
	for attempt := 0; ; attempt++ {
		pc, err = c.pool.get(ctx)
		if err == nil {
			break
		}
		if attempt >= c.retries() || !c.retryable(ctx, err) || c.retryWait(ctx, "do", "", attempt, err) != nil {
			return err
		}
	}
	passive, protP := pc.c.passive, pc.c.protP
	defer func() {
		if pc.c.passive != passive || pc.c.protP != protP || pc.c.tlsCleared {
			c.pool.discard(pc)
			return
		}
		c.giveBack(ctx, pc, err)
	}()
	err = fn(pc.c)
	return err
}

// giveBack returns a connection to the pool after a call that ended with
// err, or closes it when it may not be in a known state.
func (c *Client) giveBack(ctx context.Context, pc *pconn, err error) {
	if err != nil && (isTransient(err) && !dataFailure(err) || ctx.Err() != nil) || !pc.c.reusable() {
		c.pool.discard(pc)
		return
	}
	c.pool.put(pc)
}

// dataFailure reports whether err is a 425 or 426 reply: the data
// connection failed, and the control connection is still in step (unless
// the Conn says otherwise).
func dataFailure(err error) bool {
	code := replyCodeOf(err)
	return code == 425 || code == 426
}

// pathErr wraps err for the operation op on path p.
func pathErr(op, p string, err error) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Op == op && pe.Path == p {
		return err
	}
	return &fs.PathError{Op: op, Path: p, Err: err}
}

// replyCodeOf returns the code of the *Error in err's chain, or 0.
func replyCodeOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

// missing marks err as fs.ErrNotExist when it is a negative reply about
// p (550 mostly; 450, or pyftpdlib's 501 for a missing directory) and the
// server confirms that p does not exist (MLST 550, or p absent from its
// parent's listing). A 550 that means "permission denied" thus stays a
// plain ErrPerm.
func missing(ctx context.Context, cn *Conn, p string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || !(errors.Is(err, ErrPerm) || errors.Is(err, ErrTemp)) {
		return err
	}
	if code := replyCodeOf(err); code == 0 || code == 421 || code == 425 || code == 426 || code == 500 || code == 502 || code == 530 {
		return err
	}
	if !cn.reusable() {
		return err
	}
	_, serr := cn.stat(ctx, p)
	if serr != nil && (errors.Is(serr, fs.ErrNotExist) || replyCodeOf(serr) == 550 || replyCodeOf(serr) == 450) {
		return notExist{err}
	}
	return err
}

// Stat returns the entry of the file or directory path: from MLST when
// the server has it, else from a listing of its parent directory. The
// entry's Name is the last element of path. A missing path gives an error
// matching fs.ErrNotExist.
func (c *Client) Stat(ctx context.Context, path string) (Entry, error) {
	var e Entry
	err := c.with(ctx, "stat", path, func(cn *Conn) error {
		var err error
		e, err = cn.stat(ctx, c.abs(path))
		return err
	})
	return e, err
}

// ReadDir returns the entries of the directory path, sorted by name, as
// [Conn.ReadDir] lists them (MLSD, or LIST), without "." and "..". A
// missing directory is an error matching fs.ErrNotExist, even on servers
// that list it as empty; a file is an error too. As with Conn.ReadDir, an
// entry whose name is not one path element is left out and reported by a
// [*NameError] (Dir is path as given) joined into the error returned with
// the other entries.
func (c *Client) ReadDir(ctx context.Context, path string) ([]Entry, error) {
	entries, unsafe, err := c.listDir(ctx, path)
	if len(unsafe) > 0 {
		if pe, ok := err.(*fs.PathError); ok {
			err = &fs.PathError{Op: pe.Op, Path: pe.Path, Err: joinErr(pe.Err, unsafe)}
		} else {
			err = pathErr("readdir", path, joinErr(err, unsafe))
		}
	}
	return entries, err
}

// listDir is ReadDir with the entries left out for their names apart from
// the other errors (the entries and names are those of the last try).
func (c *Client) listDir(ctx context.Context, path string) ([]Entry, nameErrors, error) {
	var entries []Entry
	var unsafe nameErrors
	err := c.with(ctx, "readdir", path, func(cn *Conn) error {
		p := c.abs(path)
		var err error
		var mlsd bool
		entries, unsafe, mlsd, err = cn.listDir(ctx, p)
		for _, ne := range unsafe {
			ne.Dir = path // as the caller named it
		}
		if err != nil {
			return missing(ctx, cn, p, err)
		}
		_, base := splitPath(p)
		check := len(entries) == 0 || (!mlsd && len(entries) == 1 && !entries[0].IsDir() && entries[0].Name == base)
		if len(unsafe) > 0 || !check || base == "/" || base == "." || base == ".." {
			return nil
		}
		// An empty listing may be a missing directory, and a listing of
		// one file named like path the file itself.
		e, serr := cn.stat(ctx, p)
		switch {
		case serr != nil && errors.Is(serr, fs.ErrNotExist):
			entries = nil
			return serr
		case serr == nil && !e.IsDir():
			entries = nil
			return errNotDir
		}
		return nil
	})
	return entries, unsafe, err
}

// Size returns the size in bytes of the file path (SIZE, after TYPE I, so
// that it is the binary size on every server).
func (c *Client) Size(ctx context.Context, path string) (int64, error) {
	var n int64
	err := c.with(ctx, "size", path, func(cn *Conn) error {
		var err error
		n, err = cn.sizeBinary(ctx, c.abs(path))
		if err != nil {
			return missing(ctx, cn, c.abs(path), err)
		}
		return nil
	})
	return n, err
}

// sizeBinary sends TYPE I (unless in force) and SIZE name.
func (c *Conn) sizeBinary(ctx context.Context, name string) (int64, error) {
	if err := c.checkCmd("SIZE " + name); err != nil {
		return -1, err
	}
	_, err := c.call(ctx, func() (string, error) { return "", c.setType("I", true) })
	if err != nil {
		return -1, err
	}
	return c.Size(ctx, name)
}

// ModTime returns the modification time of the file path (MDTM), in UTC.
func (c *Client) ModTime(ctx context.Context, path string) (time.Time, error) {
	var t time.Time
	err := c.with(ctx, "modtime", path, func(cn *Conn) error {
		var err error
		t, err = cn.ModTime(ctx, c.abs(path))
		if err != nil {
			return missing(ctx, cn, c.abs(path), err)
		}
		return nil
	})
	return t, err
}

// SetModTime sets the modification time of the file path to t, to the
// second: MFMT, or, on a server that does not know MFMT (500, 502), the
// "MDTM time path" form vsftpd and others accept.
func (c *Client) SetModTime(ctx context.Context, path string, t time.Time) error {
	return c.with(ctx, "setmodtime", path, func(cn *Conn) error {
		p := c.abs(path)
		_, err := cn.SetModTime(ctx, p, t)
		if unknownCmd(err) {
			_, err = cn.VoidCmd(ctx, "MDTM "+t.UTC().Format("20060102150405")+" "+p)
		}
		if err != nil {
			return missing(ctx, cn, p, err)
		}
		return nil
	})
}

// Mkdir creates the directory path (MKD). If the connection breaks after
// MKD was sent, the retry first checks whether the directory exists.
func (c *Client) Mkdir(ctx context.Context, path string) error {
	sent := false
	return c.with(ctx, "mkdir", path, func(cn *Conn) error {
		p := c.abs(path)
		if sent {
			if e, err := cn.stat(ctx, p); err == nil && e.IsDir() {
				return nil
			}
		}
		sent = true
		_, err := cn.Mkd(ctx, p)
		return err
	})
}

// MkdirAll creates the directory path and any missing parents, like
// os.MkdirAll; an existing directory is not an error.
func (c *Client) MkdirAll(ctx context.Context, path string) error {
	return c.with(ctx, "mkdir", path, func(cn *Conn) error {
		return c.mkdirAll(ctx, cn, c.abs(path))
	})
}

func (c *Client) mkdirAll(ctx context.Context, cn *Conn, p string) error {
	_, mkErr := cn.Mkd(ctx, p)
	if mkErr == nil || !isReplyErr(mkErr) {
		return mkErr
	}
	e, err := cn.stat(ctx, p)
	if err == nil {
		if e.IsDir() {
			return nil
		}
		return errNotDir
	}
	if !errors.Is(err, fs.ErrNotExist) && !isReplyErr(err) {
		return err
	}
	dir, base := splitPath(p)
	if dir == "" || base == "/" || base == "." || base == ".." || dir == p {
		return mkErr
	}
	if err := c.mkdirAll(ctx, cn, dir); err != nil {
		return err
	}
	_, err = cn.Mkd(ctx, p)
	return err
}

// Remove removes the file path (DELE) or, when DELE is refused, the empty
// directory path (RMD). If the connection breaks after the command was
// sent, the retry checks whether path still exists instead of sending it
// again, so the removal happens once.
func (c *Client) Remove(ctx context.Context, path string) error {
	sent := false
	return c.with(ctx, "remove", path, func(cn *Conn) error {
		p := c.abs(path)
		if sent {
			if _, err := cn.stat(ctx, p); errors.Is(err, fs.ErrNotExist) {
				return nil
			} else if err != nil && !isReplyErr(err) {
				return err
			}
		}
		sent = true
		_, err := cn.Delete(ctx, p)
		if err == nil || !isReplyErr(err) || isTransient(err) {
			return err
		}
		_, rerr := cn.Rmd(ctx, p)
		if rerr == nil || !isReplyErr(rerr) || isTransient(rerr) {
			return rerr
		}
		// Both refused: say why with the reply that fits what path is.
		e, serr := cn.stat(ctx, p)
		switch {
		case serr == nil && e.IsDir():
			return rerr
		case serr == nil:
			return err
		}
		return missing(ctx, cn, p, err)
	})
}

// RemoveAll removes path and everything below it, like os.RemoveAll: a
// path that does not exist is not an error.
func (c *Client) RemoveAll(ctx context.Context, path string) error {
	if err := checkPath(path); err != nil {
		return pathErr("removeall", path, err)
	}
	e, err := c.Stat(ctx, path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return pathErr("removeall", path, errors.Unwrap(err))
	}
	if e.IsDir() {
		entries, err := c.ReadDir(ctx, path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return pathErr("removeall", path, errors.Unwrap(err))
		}
		for _, child := range entries {
			if err := c.RemoveAll(ctx, joinPath(path, child.Name)); err != nil {
				return err
			}
		}
	}
	err = c.Remove(ctx, path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return pathErr("removeall", path, errors.Unwrap(err))
	}
	return nil
}

// Rename renames from to to (RNFR, RNTO). If the connection breaks after
// RNTO was sent, the retry checks the server (from gone and to present
// means done) instead of renaming again.
func (c *Client) Rename(ctx context.Context, from, to string) error {
	if err := checkPath(to); err != nil {
		return pathErr("rename", from, err)
	}
	sent := false
	return c.with(ctx, "rename", from, func(cn *Conn) error {
		pf, pt := c.abs(from), c.abs(to)
		if sent {
			_, ferr := cn.stat(ctx, pf)
			_, terr := cn.stat(ctx, pt)
			if errors.Is(ferr, fs.ErrNotExist) && terr == nil {
				return nil
			}
		}
		sent = true
		_, err := cn.Rename(ctx, pf, pt)
		if err != nil && !isTransient(err) {
			return missing(ctx, cn, pf, err)
		}
		return err
	})
}
