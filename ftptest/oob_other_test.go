//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package ftptest

import (
	"errors"
	"net"
)

const canSendOOB = false

func sendOOB(net.Conn, []byte) error { return errors.New("not supported") }
