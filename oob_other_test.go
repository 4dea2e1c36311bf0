//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package ftp

import "net"

func setOOBInline(tc *net.TCPConn) {}
