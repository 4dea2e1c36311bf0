package ftp

import (
	"crypto/tls"
	"net"
	"time"
)

// timeoutConn is the data connection that NTransferCmd hands to its
// caller when Dialer.Timeout is set: each Read and Write gets its own
// deadline, as every other read or write of the package does, so a server
// that opens the data connection and never sends fails with a timeout
// instead of blocking its reader forever (ftplib's data sockets carry the
// same timeout). A deadline set by the caller with SetDeadline,
// SetReadDeadline or SetWriteDeadline replaces the per-operation one from
// then on.
type timeoutConn struct {
	net.Conn
	timeout time.Duration
	own     bool // the caller set a deadline: leave deadlines alone
}

// tlsTimeoutConn is timeoutConn around a TLS data connection; it keeps
// the *tls.Conn methods a caller of an FTPS transfer may want.
type tlsTimeoutConn struct {
	*tls.Conn
	t timeoutConn
}

// withTimeout wraps a data connection handed to the caller so that each of
// its reads and writes times out after d; d <= 0 returns conn as it is.
func withTimeout(conn net.Conn, d time.Duration) net.Conn {
	if d <= 0 || conn == nil {
		return conn
	}
	if tc, ok := conn.(*tls.Conn); ok {
		return &tlsTimeoutConn{Conn: tc, t: timeoutConn{Conn: tc, timeout: d}}
	}
	return &timeoutConn{Conn: conn, timeout: d}
}

// Read reads data with a deadline of the Dialer's Timeout.
func (c *timeoutConn) Read(p []byte) (int, error) {
	if !c.own {
		_ = c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
	}
	return c.Conn.Read(p)
}

// Write writes data with a deadline of the Dialer's Timeout.
func (c *timeoutConn) Write(p []byte) (int, error) {
	if !c.own {
		_ = c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	}
	return c.Conn.Write(p)
}

// SetDeadline sets the caller's own deadlines, which replace the
// per-operation timeout.
func (c *timeoutConn) SetDeadline(t time.Time) error {
	c.own = true
	return c.Conn.SetDeadline(t)
}

// SetReadDeadline sets the caller's own read deadline, which replaces
// the per-operation timeout.
func (c *timeoutConn) SetReadDeadline(t time.Time) error {
	c.own = true
	return c.Conn.SetReadDeadline(t)
}

// SetWriteDeadline sets the caller's own write deadline, which replaces
// the per-operation timeout.
func (c *timeoutConn) SetWriteDeadline(t time.Time) error {
	c.own = true
	return c.Conn.SetWriteDeadline(t)
}

// Read reads data with a deadline of the Dialer's Timeout.
func (c *tlsTimeoutConn) Read(p []byte) (int, error) { return c.t.Read(p) }

// Write writes data with a deadline of the Dialer's Timeout.
func (c *tlsTimeoutConn) Write(p []byte) (int, error) { return c.t.Write(p) }

// SetDeadline sets the caller's own deadlines, which replace the
// per-operation timeout.
func (c *tlsTimeoutConn) SetDeadline(t time.Time) error { return c.t.SetDeadline(t) }

// SetReadDeadline sets the caller's own read deadline.
func (c *tlsTimeoutConn) SetReadDeadline(t time.Time) error { return c.t.SetReadDeadline(t) }

// SetWriteDeadline sets the caller's own write deadline.
func (c *tlsTimeoutConn) SetWriteDeadline(t time.Time) error { return c.t.SetWriteDeadline(t) }

// NetConn returns the connection under TLS, as (*tls.Conn).NetConn does.
func (c *tlsTimeoutConn) NetConn() net.Conn { return c.Conn.NetConn() }
