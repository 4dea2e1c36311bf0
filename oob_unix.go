//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package ftp

import (
	"net"
	"os"
	"syscall"
)

// sendUrgent writes b on tc with MSG_OOB, so that the last byte is TCP
// urgent data (the Telnet Synch that ftplib's abort relies on).
func sendUrgent(tc *net.TCPConn, b []byte) error {
	rc, err := tc.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Write(func(fd uintptr) bool {
		for len(b) > 0 {
			n, err := syscall.SendmsgN(int(fd), b, nil, nil, syscall.MSG_OOB)
			switch err {
			case nil:
				b = b[n:]
			case syscall.EINTR:
			case syscall.EAGAIN:
				return false
			default:
				serr = os.NewSyscallError("sendmsg", err)
				return true
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	return serr
}
