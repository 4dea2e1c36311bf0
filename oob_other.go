//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package ftp

import "net"

// sendUrgent writes b on tc. Urgent data is only sent on the systems
// listed in oob_unix.go; elsewhere ABOR is an ordinary write, as ftplib's
// FTP_TLS does.
func sendUrgent(tc *net.TCPConn, b []byte) error {
	_, err := tc.Write(b)
	return err
}
