package ftp

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// FTPS (RFC 4217) keeps all of its state in Conn, so that every transfer
// path (NTransferCmd, Retr/Stor and everything built on them, RetrLines,
// listings), promoted methods of FTPS included, follows it:
//
//   - c.tlsConfig: the Dialer's TLSConfig, cloned, then completed once by
//     tlsSetup (ServerName, a session cache of this Conn's own).
//   - c.tlsData: the configuration of the data connections, which only
//     read that session cache.
//   - c.ctrlTLS: the control connection's *tls.Conn while TLS is on; it is
//     installed with c.setCtrl(tlsConn), which also makes a fresh reply
//     reader. c.raw stays the TCP socket (deadlines, cancellation, Close).
//   - c.protP: PROT P is in force, data connections are wrapped.
//   - c.tlsCleared: CCC ended TLS on the control connection.

// closeNotifyWait bounds the wait for the server's close_notify (at the end
// of a protected data connection, and after CCC) when Dialer.Timeout is
// zero.
const closeNotifyWait = 15 * time.Second

// FTPS is a connection to an FTP server that can protect its control and
// data connections with TLS (RFC 4217; Python's ftplib.FTP_TLS). It is a
// Conn with four more commands and a Login that secures the control
// connection first: every method of Conn works on it, and once ProtP is in
// force every transfer, promoted ones such as RetrBinary or Nlst included,
// goes over TLS.
//
// Unlike ftplib, the server's certificate is verified by default (see
// Dialer.TLSConfig), and the data connections resume the TLS session of
// their control connection, as servers that require it (vsftpd with
// require_ssl_reuse, proftpd) expect. Each FTPS has a session cache of its
// own, so two connections never resume each other's session.
type FTPS struct {
	*Conn
}

// DialFTPS connects to the FTP server at addr as Dial does and returns an
// FTPS. Without d.ImplicitTLS the control connection is in clear text until
// Auth (or Login) secures it; with d.ImplicitTLS the TLS handshake is made
// before the welcome is read. Data connections stay in clear text until
// ProtP.
func (d *Dialer) DialFTPS(ctx context.Context, addr string) (*FTPS, error) {
	c, err := d.Dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	c.wantTLS = true
	return &FTPS{Conn: c}, nil
}

// Auth sends AUTH TLS, whose reply must be 2xx, then makes the TLS
// handshake on the control connection at once and returns the reply
// (ftplib auth). When the control connection is already protected it
// returns ErrAlreadyTLS and nothing is sent. A failed handshake (such as a
// certificate that does not verify) is returned wrapped and closes the
// connection, whose state is then unknown.
//
// Auth after CCC starts a new TLS session on the control connection
// (ftplib refuses it as "already using TLS").
func (f *FTPS) Auth(ctx context.Context) (string, error) {
	return f.call(ctx, func() (string, error) { return f.auth(ctx) })
}

func (c *Conn) auth(ctx context.Context) (string, error) {
	if c.ctrlTLS != nil {
		return "", ErrAlreadyTLS
	}
	resp, err := c.voidCmd("AUTH TLS")
	if err != nil {
		return "", err
	}
	if err := c.startTLS(ctx); err != nil {
		return "", c.fail(err)
	}
	return resp, nil
}

// Login secures the control connection with Auth unless it is, or was,
// protected (after CCC it is not secured again, as in ftplib), then logs
// in as Conn.Login does (ftplib's login with secure=True).
func (f *FTPS) Login(ctx context.Context, user, passwd, acct string) (string, error) {
	_, err := f.call(ctx, func() (string, error) {
		if f.ctrlTLS != nil || f.tlsCleared {
			return "", nil
		}
		return f.auth(ctx)
	})
	if err != nil {
		return "", err
	}
	return f.Conn.Login(ctx, user, passwd, acct)
}

// LoginPlain logs in as Conn.Login does without securing the control
// connection first, so the password goes in clear text unless Auth was
// called (ftplib's login with secure=False). It is the explicit opt-in for
// servers that offer TLS but are used in clear text: f.Conn.Login refuses
// to send the password in clear text on an FTPS connection (ErrNotTLS).
func (f *FTPS) LoginPlain(ctx context.Context, user, passwd, acct string) (string, error) {
	return f.Conn.login(ctx, user, passwd, acct, true)
}

// ProtP sends PBSZ 0 and PROT P, whose replies must be 2xx, and returns
// the reply to PROT P (ftplib prot_p). From then on every data connection
// is protected by TLS: its handshake is made right after the server's 1xx
// reply to the transfer command, and it resumes the control connection's
// TLS session. When the control connection has never been secured (no
// Auth, no implicit TLS) it returns ErrNotTLS and nothing is sent. After
// CCC the commands are sent, but servers usually refuse PBSZ on a clear
// control connection: call ProtP before CCC.
func (f *FTPS) ProtP(ctx context.Context) (string, error) {
	return f.call(ctx, func() (string, error) {
		if f.ctrlTLS == nil && !f.tlsCleared {
			return "", ErrNotTLS
		}
		if _, err := f.voidCmd("PBSZ 0"); err != nil {
			return "", err
		}
		resp, err := f.voidCmd("PROT P")
		if err != nil {
			return "", err
		}
		f.protP = true
		return resp, nil
	})
}

// ProtC sends PROT C, whose reply must be 2xx, and returns it (ftplib
// prot_c). From then on data connections are in clear text.
func (f *FTPS) ProtC(ctx context.Context) (string, error) {
	return f.call(ctx, func() (string, error) {
		resp, err := f.voidCmd("PROT C")
		if err != nil {
			return "", err
		}
		f.protP = false
		return resp, nil
	})
}

// CCC sends CCC, whose reply must be 2xx, then ends TLS on the control
// connection: it sends a close_notify, waits for the server's (bounded by
// Dialer.Timeout, or 15 seconds without one, and by ctx) and goes on in
// clear text on the same TCP connection (ftplib ccc). Data protection is
// not changed. When the control connection is not protected it returns
// ErrNotTLS and nothing is sent. When the close_notify exchange fails the
// connection is closed.
func (f *FTPS) CCC(ctx context.Context) (string, error) {
	return f.call(ctx, func() (string, error) {
		tc := f.ctrlTLS
		if tc == nil {
			return "", ErrNotTLS
		}
		resp, err := f.voidCmd("CCC")
		if err != nil {
			return "", err
		}
		f.armCtrl()
		if err := tc.CloseWrite(); err != nil {
			return "", f.fail(fmt.Errorf("ftp: CCC: sending close_notify: %w", err))
		}
		// CloseWrite left a write deadline in the past on the socket;
		// armWait replaces it.
		f.armWait(f.raw)
		if err := drainTLS(tc); err != nil {
			return "", f.fail(fmt.Errorf("ftp: CCC: waiting for the server's close_notify: %w", err))
		}
		f.mu.Lock()
		if f.intr == nil {
			_ = f.raw.SetDeadline(time.Time{})
		}
		f.mu.Unlock()
		f.ctrlTLS = nil
		f.tlsCleared = true
		f.setCtrl(f.raw)
		return resp, nil
	})
}

// drainTLS reads and discards what tc still holds until the peer's
// close_notify (or the end of the connection at a record boundary).
func drainTLS(tc *tls.Conn) error {
	_, err := io.Copy(io.Discard, tc)
	return err
}

// TLSConnectionState returns the TLS state of the control connection; ok
// is false when it is not protected. No I/O happens; it must not be called
// concurrently with another call.
func (c *Conn) TLSConnectionState() (state tls.ConnectionState, ok bool) {
	if c.ctrlTLS == nil {
		return tls.ConnectionState{}, false
	}
	return c.ctrlTLS.ConnectionState(), true
}

// DataTLSConnectionState returns the TLS state of the most recent
// protected data connection, as it was after its handshake (DidResume
// tells whether it resumed the control connection's session); ok is false
// when no data connection has been protected yet. No I/O happens.
func (c *Conn) DataTLSConnectionState() (state tls.ConnectionState, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dataTLS == nil {
		return tls.ConnectionState{}, false
	}
	return *c.dataTLS, true
}

// TLSConnectionState returns the TLS state of the data connection; ok is
// false when it is in clear text. No I/O happens.
func (d *DataConn) TLSConnectionState() (state tls.ConnectionState, ok bool) {
	tc, isTLS := d.conn.(*tls.Conn)
	if !isTLS {
		return tls.ConnectionState{}, false
	}
	return tc.ConnectionState(), true
}

// tlsSetup completes the Conn's TLS configuration once: the caller's
// (already cloned) or a default one that verifies, with ServerName set to
// the dialled host when the caller left it empty, and a session cache of
// this Conn's own. The ServerName matters for resumption too: Go keys its
// session cache by ServerName, else by the peer's host:port, which differs
// for every data connection. A cache the caller set is replaced: shared
// between control connections, it would let a data connection resume
// another control connection's session, which servers refuse.
func (c *Conn) tlsSetup() {
	if c.tlsData != nil {
		return
	}
	cfg := c.tlsConfig
	if cfg == nil {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = serverName(c.host)
	}
	cache := &sessionCache{m: make(map[string]*tls.ClientSessionState)}
	cfg.ClientSessionCache = cache
	c.tlsConfig = cfg
	data := cfg.Clone()
	data.ClientSessionCache = dataSessionCache{cache}
	c.tlsData = data
}

// serverName returns the name to verify for host: the host itself (Go
// checks an IP literal against the certificate's IP addresses) without an
// IPv6 zone.
func serverName(host string) string {
	if i := strings.IndexByte(host, '%'); i >= 0 && strings.Contains(host, ":") {
		return host[:i]
	}
	return host
}

// sessionCache is the TLS session cache of one control connection: it
// holds the sessions (TLS 1.2 tickets, TLS 1.3 PSKs) the server gave the
// control connection.
type sessionCache struct {
	mu sync.Mutex
	m  map[string]*tls.ClientSessionState
}

// Get implements tls.ClientSessionCache.
func (s *sessionCache) Get(key string) (*tls.ClientSessionState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, ok := s.m[key]
	return cs, ok
}

// Put implements tls.ClientSessionCache; a nil cs removes the entry.
func (s *sessionCache) Put(key string, cs *tls.ClientSessionState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cs == nil {
		delete(s.m, key)
		return
	}
	s.m[key] = cs
}

// dataSessionCache is the view of a sessionCache the data connections
// use: they resume the control connection's session and never replace it
// (with tickets of their own, or by dropping it after a failed resumption),
// so that every data connection offers the session of the control
// connection, which is what servers such as proftpd check.
type dataSessionCache struct{ s *sessionCache }

// Get implements tls.ClientSessionCache.
func (d dataSessionCache) Get(key string) (*tls.ClientSessionState, bool) { return d.s.Get(key) }

// Put implements tls.ClientSessionCache: it does nothing.
func (d dataSessionCache) Put(string, *tls.ClientSessionState) {}

// startTLS makes the TLS handshake on the control socket and installs the
// TLS stream as the control connection.
func (c *Conn) startTLS(ctx context.Context) error {
	c.tlsSetup()
	tc := tls.Client(c.raw, c.tlsConfig)
	c.armCtrl()
	t0 := time.Now()
	c.tlsStart(false)
	err := tc.HandshakeContext(ctx)
	c.tlsDone(false, tc, t0, err)
	if err != nil {
		return c.wrapIO(fmt.Errorf("ftp: TLS handshake: %w", err))
	}
	c.ctrlTLS = tc
	c.tlsCleared = false
	c.setCtrl(tc)
	c.tlsData.CurvePreferences = dataCurves(negotiatedCurve(tc), c.tlsConfig.CurvePreferences)
	return nil
}

// dataCurves returns the CurvePreferences of the data connections, given
// the key exchange the control connection negotiated and the caller's
// preferences: that one key exchange alone, so that the data connection's
// ClientHello carries a key share the server accepts. Go sends a key
// share for the first of its own fixed order of the enabled curves (the
// order of CurvePreferences is ignored since Go 1.24), so a server that
// accepts only P-256 (vsftpd, pure-ftpd) would otherwise answer every
// data connection with a HelloRetryRequest: one more round trip each. The
// data connections go to the same server, which just accepted this key
// exchange. When none was negotiated (TLS 1.2 with RSA key exchange), or
// the caller's preferences exclude it, they are kept.
func dataCurves(negotiated tls.CurveID, prefs []tls.CurveID) []tls.CurveID {
	if negotiated == 0 || (len(prefs) > 0 && !slices.Contains(prefs, negotiated)) {
		return prefs
	}
	return []tls.CurveID{negotiated}
}

// wrapData is called on every data connection right after the server's 1xx
// reply to the transfer command (the order ftplib uses, which works with
// every server), with raw the TCP data socket. It returns the connection
// the transfer uses. Without PROT P it returns raw itself, so that plain
// transfers keep the *net.TCPConn and its zero-copy paths. With PROT P it
// makes the TLS handshake now, as the TLS client whatever side opened the
// connection (RFC 4217 section 7), so that a failure is an error of the
// transfer and an empty upload is still a complete TLS connection. On
// error the caller closes raw.
func (c *Conn) wrapData(ctx context.Context, raw net.Conn) (net.Conn, error) {
	if !c.protP {
		return raw, nil
	}
	c.tlsSetup()
	tc := tls.Client(&eofWatch{Conn: raw}, c.tlsData)
	c.arm(raw)
	t0 := time.Now()
	c.tlsStart(true)
	err := tc.HandshakeContext(ctx)
	c.tlsDone(true, tc, t0, err)
	if err != nil {
		return nil, c.wrapIO(fmt.Errorf("ftp: TLS handshake on the data connection: %w", err))
	}
	st := tc.ConnectionState()
	c.mu.Lock()
	c.dataTLS = &st
	c.mu.Unlock()
	return tc, nil
}

// eofWatch is the socket under a protected data connection: it records
// whether the TCP stream ended. crypto/tls reports a close_notify and a
// TCP close at a record boundary alike (io.EOF), and only the second may
// be a truncation by a third party or a crashed server.
type eofWatch struct {
	net.Conn
	eof atomic.Bool
}

func (w *eofWatch) Read(p []byte) (int, error) {
	n, err := w.Conn.Read(p)
	if err == io.EOF {
		w.eof.Store(true)
	}
	return n, err
}

// noCloseNotify reports whether conn is a protected data connection whose
// TCP stream ended without the peer's TLS close_notify (after its Read
// returned io.EOF: crypto/tls stops reading the socket at a close_notify).
func noCloseNotify(conn net.Conn) bool {
	tc, ok := conn.(*tls.Conn)
	if !ok {
		return false
	}
	w, ok := tc.NetConn().(*eofWatch)
	return ok && w.eof.Load()
}

// closeData ends a data connection whose transfer completed normally,
// before the final reply is read: upload tells the direction. A plain
// socket is just closed. A TLS connection is ended as ftplib's unwrap
// does: a close_notify is sent, then what the server still sends (such as
// a TLS 1.3 session ticket) is read until its close_notify or the end of
// the connection, bounded by Dialer.Timeout (15 seconds without one) and
// ctx, and only then is the socket closed. Closing with unread data makes
// the kernel reset the connection, and vsftpd then loses the tail of an
// upload. Aborted transfers do not come here: the socket is just closed.
//
// Only a failure to send the close_notify of an upload is returned: the
// server's final reply tells whether the transfer succeeded.
func (c *Conn) closeData(ctx context.Context, dc net.Conn, upload bool) error {
	tc, ok := dc.(*tls.Conn)
	if !ok {
		return dc.Close()
	}
	raw := tc.NetConn()
	c.arm(raw)
	werr := tc.CloseWrite()
	c.armWait(raw)
	_ = drainTLS(tc)
	tc.Close()
	if upload && werr != nil {
		return fmt.Errorf("ftp: ending the TLS data connection: %w", werr)
	}
	return nil
}

// armWait sets the deadline of a wait for the server's close_notify on nc:
// Dialer.Timeout, or closeNotifyWait without one, unless the call was
// interrupted (the past deadline must stay).
func (c *Conn) armWait(nc net.Conn) {
	d := c.timeout
	if d <= 0 {
		d = closeNotifyWait
	}
	c.mu.Lock()
	if c.intr == nil {
		_ = nc.SetDeadline(time.Now().Add(d))
	}
	c.mu.Unlock()
}

// startImplicitTLS is called by Dial, before the welcome is read, when the
// Dialer asks for implicit FTPS: the TLS handshake is the first thing on
// the control connection.
func (c *Conn) startImplicitTLS(ctx context.Context) error {
	return c.startTLS(ctx)
}
