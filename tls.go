package ftp

import (
	"context"
	"errors"
	"net"
)

// This file holds the hook points of FTPS (RFC 4217). The FTPS code extends
// these functions; the rest of the package calls only them, so that every
// transfer path (NTransferCmd, Retr/Stor and everything built on them,
// RetrLines, listings) follows the protection state kept in Conn:
//
//   - c.tlsConfig: the Dialer's TLSConfig, cloned (nil: a default one).
//   - c.ctrlTLS: the control connection's *tls.Conn while TLS is on; the
//     new control stream is installed with c.setCtrl(tlsConn), which also
//     makes a fresh reply reader. c.raw stays the TCP socket (deadlines,
//     cancellation, Close). ABOR is sent as urgent data only while
//     c.ctrl == c.raw (plain control connection).
//   - c.protP: PROT P is in force, data connections must be wrapped.
//   - c.implicitTLS: the Dialer asked for implicit FTPS.

// wrapData is called on every data connection right after the server's 1xx
// reply to the transfer command (the order ftplib uses, which works with
// every server), with raw the TCP data socket. It returns the connection
// the transfer uses. Without PROT P it returns raw itself, so that plain
// transfers keep the *net.TCPConn and its zero-copy paths. On error the
// caller closes raw.
func (c *Conn) wrapData(ctx context.Context, raw net.Conn) (net.Conn, error) {
	if !c.protP {
		return raw, nil
	}
	return nil, errors.New("ftp: PROT P data connections are not implemented")
}

// closeData ends a data connection whose transfer completed normally,
// before the final reply is read: upload tells the direction. For a plain
// connection it closes the socket; a TLS one needs a close_notify exchange
// first (ftplib's unwrap), or strict servers report a failed transfer.
// Aborted transfers do not come here: the socket is just closed.
func (c *Conn) closeData(ctx context.Context, dc net.Conn, upload bool) error {
	return dc.Close()
}

// startImplicitTLS is called by Dial, before the welcome is read, when the
// Dialer asks for implicit FTPS.
func (c *Conn) startImplicitTLS(ctx context.Context) error {
	return errors.New("ftp: implicit TLS is not implemented")
}
