//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package ftptest

import (
	"net"
	"syscall"
)

// setOOBInline keeps TCP urgent data in the normal stream, so that an
// "ABOR" sent with MSG_OOB (as Python's ftplib does) arrives whole.
func setOOBInline(c net.Conn) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_OOBINLINE, 1)
	})
}
