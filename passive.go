package ftp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// MakePasv asks the server for a passive data port and returns the host
// and port to connect to (ftplib makepasv). PASV is used on an IPv4 control
// connection and EPSV on IPv6, as in ftplib (EPSV on both with
// Dialer.EPSV); when the server refuses one
// with a 5xx reply the other is tried, and the one that worked is used from
// then on; when both fail, both errors are returned (errors.Join), so
// errors.Is finds the class of each (a malformed 229 is ErrProto even when
// PASV was refused with ErrPerm). The host of a 227 reply is replaced by the control connection's
// peer unless PASV addresses are trusted; EPSV always uses the peer.
func (c *Conn) MakePasv(ctx context.Context) (host string, port int, err error) {
	_, err = c.call(ctx, func() (string, error) {
		var err error
		c.pretFor("")
		host, port, err = c.makePasv()
		return "", err
	})
	return host, port, err
}

func (c *Conn) isIPv6() bool {
	return c.peerIP != nil && c.peerIP.To4() == nil
}

func (c *Conn) makePasv() (string, int, error) {
	first := c.firstPasv()
	var host string
	var port int
	var err error
	if c.aheadOK(first) {
		// Sent ahead by the previous transfer of a RetrMany, after its
		// PRET if the server wants one.
		c.pasvDue = ""
		perr := c.readPRETAhead()
		if perr != nil && !isReplyErr(perr) {
			return "", 0, perr
		}
		c.cmd = first
		resp, rerr := c.getResp()
		host, port, err = c.pasvReply(first, resp, rerr)
		if perr != nil && err != nil && isReplyErr(err) {
			return "", 0, perr
		}
	} else {
		host, port, err = c.pasvWith(first)
	}
	if err != nil && strings.HasPrefix(c.cmd, "PRET ") {
		return "", 0, err // the transfer was refused (features.go)
	}
	if c.asksPRET(err) && c.learnPRET() {
		host, port, err = c.pasvWith(first)
	}
	if err == nil || c.pasvCmd != "" || !errors.Is(err, ErrPerm) || strings.HasPrefix(c.cmd, "PRET ") {
		return host, port, err
	}
	other := "EPSV"
	if first == "EPSV" {
		other = "PASV"
	}
	c.noteFallback(first, other, err)
	host, port, err2 := c.pasvWith(other)
	if err2 != nil {
		return "", 0, errors.Join(err, err2)
	}
	c.pasvCmd = other
	return host, port, nil
}

// pasvDial asks for a passive data port and connects to it. When EPSV
// worked but its port cannot be reached (a broken EPSV implementation, a
// firewall), PASV is tried once, and used from then on if it works; if it
// does not, the EPSV connection's error and PASV's are returned
// (errors.Join).
func (c *Conn) pasvDial(ctx context.Context) (net.Conn, error) {
	host, port, err := c.makePasv()
	if err != nil {
		return nil, err
	}
	return c.pasvDialAt(ctx, host, port)
}

// pasvDialAt connects to the passive port host:port that makePasv gave,
// with pasvDial's fallback from EPSV to PASV.
func (c *Conn) pasvDialAt(ctx context.Context, host string, port int) (net.Conn, error) {
	raw, err := c.dialData(ctx, host, port)
	if err == nil && c.lastPasv == "EPSV" {
		c.epsvOK = true
	}
	if err == nil || c.lastPasv != "EPSV" || ctx.Err() != nil {
		return raw, err
	}
	c.noteFallback("EPSV", "PASV", err)
	host, port, err2 := c.pasvWith("PASV")
	if err2 == nil {
		raw, err2 = c.dialData(ctx, host, port)
	}
	if err2 != nil {
		return nil, errors.Join(err, err2)
	}
	c.pasvCmd = "PASV"
	return raw, nil
}

func (c *Conn) pasvWith(cmd string) (string, int, error) {
	if err := c.sendPRET(); err != nil {
		return "", 0, err
	}
	resp, err := c.sendCmd(cmd)
	return c.pasvReply(cmd, resp, err)
}

// pasvReply parses the reply resp (or err) to cmd, PASV or EPSV. A
// positive reply other than 227 to PASV or 229 to EPSV (a 226, a 150, a
// 350) answers some earlier command, as when a server sent two final
// replies to one transfer: the replies are out of step with the
// commands, so the Conn is broken (a later command would take the answer
// meant for this one and wait forever for its own).
func (c *Conn) pasvReply(cmd, resp string, err error) (string, int, error) {
	if err != nil {
		return "", 0, err
	}
	want := "227"
	if cmd == "EPSV" {
		want = "229"
	}
	if !strings.HasPrefix(resp, want) {
		return "", 0, c.outOfStep(cmd, resp)
	}
	c.lastPasv = cmd
	if cmd == "EPSV" {
		return Parse229(resp, c.peerHost)
	}
	host, port, err := Parse227(resp)
	if err != nil {
		return "", 0, err
	}
	if !c.trustPASV {
		host = c.peerHost
	}
	return host, port, nil
}

// Parse227 returns the host and port of a 227 reply such as
// "227 Entering Passive Mode (192,168,1,2,4,1)." (ftplib parse227): the
// first six comma-separated numbers anywhere in the reply. Unlike ftplib it
// refuses numbers above 255 with ErrProto. A reply that is not 227 is an
// *Error of class ErrReply. No I/O happens; the time taken grows linearly
// with the length of the reply.
func Parse227(resp string) (host string, port int, err error) {
	if !strings.HasPrefix(resp, "227") {
		return "", 0, newError(ErrReply, resp)
	}
	for i := 0; i < len(resp); {
		if !isDigit(resp[i]) {
			i++
			continue
		}
		nums, end, ok := scan227(resp, i)
		if !ok {
			// No match can start later in this run of digits either: its
			// first number would be a suffix of this one, followed by the
			// same text. Go on after the run, so that each byte is looked
			// at a bounded number of times.
			i = end
			continue
		}
		for _, v := range nums {
			if v > 255 {
				return "", 0, newError(ErrProto, resp)
			}
		}
		host = fmt.Sprintf("%d.%d.%d.%d", nums[0], nums[1], nums[2], nums[3])
		return host, nums[4]<<8 | nums[5], nil
	}
	return "", 0, newError(ErrProto, resp)
}

// scan227 reads six comma-separated numbers starting at resp[i], a digit.
// It reports whether they are there, and returns the end of the first run
// of digits. A number above 255 is returned as 256.
func scan227(resp string, i int) (nums [6]int, firstEnd int, ok bool) {
	j := i
	for k := 0; k < 6; k++ {
		if k > 0 {
			if j >= len(resp) || resp[j] != ',' {
				return nums, firstEnd, false
			}
			j++
		}
		start, v := j, 0
		for j < len(resp) && isDigit(resp[j]) {
			if v <= 255 {
				v = v*10 + int(resp[j]-'0')
			}
			j++
		}
		if k == 0 {
			firstEnd = j
		}
		if j == start {
			return nums, firstEnd, false
		}
		nums[k] = min(v, 256)
	}
	return nums, firstEnd, true
}

// Parse229 returns peerHost and the port of a 229 reply such as
// "229 Entering Extended Passive Mode (|||6446|)" (ftplib parse229): the
// text between the parentheses must start and end with the same delimiter
// and split into five fields, the fourth being the port. A malformed reply,
// or a port that is not a number from 0 to 65535, is an *Error of class
// ErrProto (where ftplib raises ValueError); a reply that is not 229 is
// ErrReply. No I/O happens.
func Parse229(resp, peerHost string) (string, int, error) {
	if !strings.HasPrefix(resp, "229") {
		return "", 0, newError(ErrReply, resp)
	}
	left := strings.IndexByte(resp, '(')
	if left < 0 {
		return "", 0, newError(ErrProto, resp)
	}
	right := strings.IndexByte(resp[left+1:], ')')
	if right < 0 {
		return "", 0, newError(ErrProto, resp)
	}
	right += left + 1
	if left+1 >= right || resp[left+1] != resp[right-1] {
		return "", 0, newError(ErrProto, resp)
	}
	parts := strings.Split(resp[left+1:right], resp[left+1:left+2])
	if len(parts) != 5 {
		return "", 0, newError(ErrProto, resp)
	}
	p := strings.TrimSpace(parts[3])
	if p == "" || len(p) > 5 {
		return "", 0, newError(ErrProto, resp)
	}
	for i := 0; i < len(p); i++ {
		if !isDigit(p[i]) {
			return "", 0, newError(ErrProto, resp)
		}
	}
	port, _ := strconv.Atoi(p)
	if port > 65535 {
		return "", 0, newError(ErrProto, resp)
	}
	return peerHost, port, nil
}

// SendPort sends "PORT h1,h2,h3,h4,p1,p2" for the IPv4 address host and
// port (ftplib sendport); the reply must be 2xx.
func (c *Conn) SendPort(ctx context.Context, host string, port int) (string, error) {
	return c.call(ctx, func() (string, error) { return c.sendPort(host, port) })
}

func (c *Conn) sendPort(host string, port int) (string, error) {
	if port < 0 || port > 65535 {
		return "", fmt.Errorf("ftp: invalid port %d", port)
	}
	fields := strings.Split(host, ".")
	fields = append(fields, strconv.Itoa(port>>8), strconv.Itoa(port&0xff))
	return c.voidCmd("PORT " + strings.Join(fields, ","))
}

// SendEPRT sends "EPRT |af|host|port|" (RFC 2428, ftplib sendeprt) with af
// 1 for an IPv4 host and 2 for IPv6 (for a host that is not an IP literal,
// the family of the control connection); the reply must be 2xx.
func (c *Conn) SendEPRT(ctx context.Context, host string, port int) (string, error) {
	return c.call(ctx, func() (string, error) { return c.sendEPRT(host, port) })
}

func (c *Conn) sendEPRT(host string, port int) (string, error) {
	if port < 0 || port > 65535 {
		return "", fmt.Errorf("ftp: invalid port %d", port)
	}
	af := "1"
	if ip := net.ParseIP(host); ip != nil {
		if ip.To4() == nil {
			af = "2"
		}
	} else if c.isIPv6() {
		af = "2"
	}
	return c.voidCmd("EPRT |" + af + "|" + host + "|" + strconv.Itoa(port) + "|")
}

// dialData opens a passive data connection to host:port.
func (c *Conn) dialData(ctx context.Context, host string, port int) (net.Conn, error) {
	nc, err := c.dialTCP(ctx, net.JoinHostPort(host, strconv.Itoa(port)), c.dataLocalAddr)
	if err != nil {
		return nil, c.natHint(host, c.wrapIO(err))
	}
	return nc, nil
}

// makePort opens the active-mode listener on the control connection's
// local IP (or the data local address's IP), port 0, and announces it with
// PORT (IPv4) or EPRT (IPv6) (ftplib makeport).
func (c *Conn) makePort(ctx context.Context) (net.Listener, error) {
	if c.proxy != nil {
		return nil, ErrActiveProxy
	}
	local, ok := c.raw.LocalAddr().(*net.TCPAddr)
	if ta, isTCP := c.dataLocalAddr.(*net.TCPAddr); isTCP && ta != nil && ta.IP != nil {
		local, ok = ta, true
	}
	if !ok {
		return nil, fmt.Errorf("ftp: active mode needs a TCP control connection, have %s", c.raw.LocalAddr().Network())
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", (&net.TCPAddr{IP: local.IP, Zone: local.Zone}).String())
	if err != nil {
		return nil, c.wrapIO(err)
	}
	c.setListener(ln)
	port := ln.Addr().(*net.TCPAddr).Port
	if ip4 := local.IP.To4(); ip4 != nil {
		_, err = c.sendPort(ip4.String(), port)
	} else {
		_, err = c.sendEPRT(local.IP.String(), port)
	}
	if err != nil {
		c.setListener(nil)
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// acceptData waits for the server's data connection on ln. A connection
// from another IP than the control connection's peer is closed and
// ignored.
func (c *Conn) acceptData(ln net.Listener) (net.Conn, error) {
	tl, _ := ln.(*net.TCPListener)
	for {
		if tl != nil {
			c.arm(tl)
		}
		nc, err := ln.Accept()
		if err != nil {
			return nil, c.wrapIO(err)
		}
		if c.peerIP != nil {
			ra, ok := nc.RemoteAddr().(*net.TCPAddr)
			if !ok || !ra.IP.Equal(c.peerIP) {
				nc.Close()
				continue
			}
		}
		// The listener's deadline must not stay on the accepted socket.
		_ = nc.SetDeadline(time.Time{})
		return nc, nil
	}
}
