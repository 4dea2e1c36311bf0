package ftp

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"time"
)

// Two more overlaps for protected data connections (DESIGN.md decision
// 16), used only with vsftpd, which is known by its default greeting
// ("220 (vsFTPd 3.0.3)"; a server whose banner was changed gets the
// general behaviour). Each saves one round trip per transfer; both were
// checked against vsftpd over TLS 1.3 with require_ssl_reuse, with
// refused commands, aborts, listings and uploads (interop suite):
//
//   - The data connection's TLS handshake starts as soon as its TCP
//     connect completes, in the background, while the transfer command's
//     1xx reply is on its way (earlyHandshake). vsftpd sends its 150
//     after accepting the connection and reads the ClientHello right
//     after; the handshake is over one round trip sooner. pyftpdlib, for
//     one, resets a data connection that speaks before its 150 now and
//     then, so this is not done elsewhere.
//   - A download's data connection sends the client's TLS close_notify
//     right after the handshake (TLS 1.3 only, where a close_notify
//     closes one direction: the server still sends the data; in TLS 1.2
//     it asks the peer to stop). vsftpd, once it has sent the data,
//     waits for the client's close_notify before closing the connection
//     and then for the end of the data to be acknowledged before sending
//     226: the close_notify is already there, and the 226 comes one round
//     trip sooner. Other servers end the transfer when the client's
//     close_notify arrives, so only vsftpd gets it early.

// tlsOverlaps reports whether the server is one whose data connections
// take the two overlaps above.
func (c *Conn) tlsOverlaps() bool {
	return strings.HasPrefix(c.welcome, "220 (vsFTPd ")
}

// earlyHandshake reports whether the next passive data connection makes
// its TLS handshake as soon as it is connected.
func (c *Conn) earlyHandshake() bool {
	return c.protP && c.tlsOverlaps()
}

// handshakeData makes the TLS handshake of the protected data connection
// raw, as wrapData does, without recording anything on c: it may run
// in the background (earlyHandshake). It only reads c for the log record
// and the Trace hooks (log.go). The error is not wrapped.
func (c *Conn) handshakeData(ctx context.Context, raw net.Conn) (*tls.Conn, error) {
	tc := tls.Client(&eofWatch{Conn: raw}, c.tlsData)
	c.arm(raw)
	t0 := time.Now()
	c.tlsStart(true)
	err := tc.HandshakeContext(ctx)
	c.tlsDone(true, tc, t0, err)
	if err != nil {
		return nil, err
	}
	return tc, nil
}

// dataHandshakeErr is the error of a failed data connection handshake.
func (c *Conn) dataHandshakeErr(err error) error {
	return c.wrapIO(fmt.Errorf("ftp: TLS handshake on the data connection: %w", err))
}

// noteDataTLS records the state of a protected data connection for
// DataTLSConnectionState.
func (c *Conn) noteDataTLS(tc *tls.Conn) {
	st := tc.ConnectionState()
	c.mu.Lock()
	c.dataTLS = &st
	c.mu.Unlock()
}

// earlyCloseNotify sends the client's close_notify on the protected data
// connection conn of a download right away, where the server is one that
// gains from it and the connection is TLS 1.3 (see above).
func (c *Conn) earlyCloseNotify(conn net.Conn) {
	tc, ok := conn.(*tls.Conn)
	if !ok || !c.tlsOverlaps() || tc.ConnectionState().Version != tls.VersionTLS13 {
		return
	}
	// A failure breaks the data connection, and the transfer reports it.
	_ = tc.CloseWrite()
}
