//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package ftptest

import "net"

// setOOBInline does nothing on this platform: urgent data may be lost
// from the command stream.
func setOOBInline(net.Conn) {}
