//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package ftp

import (
	"net"
	"syscall"
)

// setOOBInline makes urgent data part of the normal stream, as CPython's
// test server and vsftpd/proftpd do, so that an urgent "ABOR\r\n" arrives
// whole.
func setOOBInline(tc *net.TCPConn) {
	rc, err := tc.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_OOBINLINE, 1)
	})
}
