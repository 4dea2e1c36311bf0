//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package ftptest

import (
	"net"
	"syscall"
)

const canSendOOB = true

// sendOOB writes b with MSG_OOB: its last byte is the urgent byte.
func sendOOB(c net.Conn, b []byte) error {
	rc, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Write(func(fd uintptr) bool {
		serr = syscall.Sendto(int(fd), b, syscall.MSG_OOB, nil)
		return serr != syscall.EAGAIN
	})
	if err != nil {
		return err
	}
	return serr
}
