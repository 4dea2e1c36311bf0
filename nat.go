package ftp

import "fmt"

// natHint adds to err, the failure to open a data connection to host,
// what usually causes it when host came from a 227 reply trusted with
// Dialer.TrustPASVAddress and is not the control connection's peer: a
// server behind NAT announces its private address, which the client
// cannot reach (or which is another machine).
func (c *Conn) natHint(host string, err error) error {
	if !c.pasvElsewhere(host) {
		return err
	}
	return fmt.Errorf("%w (the data address %s came from the server's 227 reply and is not the control connection's peer %s: a server behind NAT announces an address that cannot be reached; leave Dialer.TrustPASVAddress false to connect to the peer)", err, host, c.peerHost)
}

// pasvElsewhere reports whether the passive data address host is one a
// trusted 227 reply named instead of the control connection's peer. Such
// a data connection is not opened while the transfer command is sent
// (overlap.go): if host cannot be reached, the server would wait for the
// connection (vsftpd for a minute) before it answers the command, and
// the Conn would wait with it. Opened first, its failure is reported at
// once and the transfer command is never sent.
func (c *Conn) pasvElsewhere(host string) bool {
	return c.trustPASV && c.lastPasv == "PASV" && host != c.peerHost
}
