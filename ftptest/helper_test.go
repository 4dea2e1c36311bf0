package ftptest

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// hang guards every read and write of a test client.
const hang = 10 * time.Second

// client is a raw control connection to a Server.
type client struct {
	t    testing.TB
	s    *Server
	conn net.Conn
	r    *bufio.Reader
	tls  *tls.Config // client config for AUTH TLS and data connections
}

// dial opens a control connection and checks the greeting.
func dial(t testing.TB, s *Server) *client {
	t.Helper()
	conn, err := net.DialTimeout("tcp", s.Addr, hang)
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, s: s, conn: conn, r: bufio.NewReader(conn)}
	t.Cleanup(func() { c.conn.Close() })
	if got := c.reply(); got != "220 ftptest ready.\r\n" {
		t.Fatalf("greeting %q", got)
	}
	return c
}

// dialImplicit opens an implicit-TLS control connection.
func dialImplicit(t testing.TB, s *Server) *client {
	t.Helper()
	cfg := s.TLSConfig()
	cfg.ServerName = "127.0.0.1"
	cfg.ClientSessionCache = tls.NewLRUClientSessionCache(8)
	d := &net.Dialer{Timeout: hang}
	conn, err := tls.DialWithDialer(d, "tcp", s.Addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, s: s, conn: conn, r: bufio.NewReader(conn), tls: cfg}
	t.Cleanup(func() { c.conn.Close() })
	if got := c.reply(); got != "220 ftptest ready.\r\n" {
		t.Fatalf("greeting %q", got)
	}
	return c
}

// send writes one command line.
func (c *client) send(line string) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(hang))
	if _, err := io.WriteString(c.conn, line+"\r\n"); err != nil {
		c.t.Fatalf("send %q: %v", line, err)
	}
}

var replyEnd = regexp.MustCompile(`^\d{3} `)

// reply reads one complete reply, multi-line included, verbatim.
func (c *client) reply() string {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(hang))
	var b strings.Builder
	first := ""
	for {
		line, err := c.r.ReadString('\n')
		b.WriteString(line)
		if err != nil {
			c.t.Fatalf("reading reply (so far %q): %v", b.String(), err)
		}
		if first == "" {
			first = line
			if len(line) >= 4 && line[3] == '-' {
				continue
			}
			return b.String()
		}
		if replyEnd.MatchString(line) && line[:3] == first[:3] {
			return b.String()
		}
	}
}

// cmd sends a line and returns the reply.
func (c *client) cmd(line string) string {
	c.t.Helper()
	c.send(line)
	return c.reply()
}

// expect sends a line and checks the reply byte for byte; want has no
// final CRLF and uses "\n" between lines.
func (c *client) expect(line, want string) {
	c.t.Helper()
	want = strings.ReplaceAll(want, "\n", "\r\n") + "\r\n"
	if got := c.cmd(line); got != want {
		c.t.Errorf("%s:\n got %q\nwant %q", line, got, want)
	}
}

func (c *client) login() {
	c.t.Helper()
	c.expect("USER user", "331 Please specify the password.")
	c.expect("PASS pass", "230 Login successful.")
}

// eof checks that the server closed the control connection.
func (c *client) eof() {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(hang))
	if line, err := c.r.ReadString('\n'); err == nil {
		c.t.Fatalf("read %q, want end of connection", line)
	}
}

var pasvRE = regexp.MustCompile(`\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)`)

// pasv sends PASV and connects to the advertised port.
func (c *client) pasv() net.Conn {
	c.t.Helper()
	r := c.cmd("PASV")
	m := pasvRE.FindStringSubmatch(r)
	if m == nil || !strings.HasPrefix(r, "227 Entering Passive Mode (") {
		c.t.Fatalf("PASV: %q", r)
	}
	p1, _ := strconv.Atoi(m[5])
	p2, _ := strconv.Atoi(m[6])
	host := strings.Join(m[1:5], ".")
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(p1<<8|p2)), hang)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { conn.Close() })
	return conn
}

var epsvRE = regexp.MustCompile(`^229 Entering Extended Passive Mode \(\|\|\|(\d+)\|\)\r\n$`)

// epsv sends EPSV and connects to the advertised port on the control
// connection's host.
func (c *client) epsv() net.Conn {
	c.t.Helper()
	r := c.cmd("EPSV")
	m := epsvRE.FindStringSubmatch(r)
	if m == nil {
		c.t.Fatalf("EPSV: %q", r)
	}
	host, _, _ := net.SplitHostPort(c.s.Addr)
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(host, m[1]), hang)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { conn.Close() })
	return conn
}

// active listens on the client's address and sends PORT (or EPRT); the
// returned function accepts the server's connection.
func (c *client) active(eprt bool) func() net.Conn {
	c.t.Helper()
	host, _, _ := net.SplitHostPort(c.conn.LocalAddr().String())
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { ln.Close() })
	port := ln.Addr().(*net.TCPAddr).Port
	ip := net.ParseIP(host)
	if eprt {
		proto := "1"
		if ip.To4() == nil {
			proto = "2"
		}
		c.expect(fmt.Sprintf("EPRT |%s|%s|%d|", proto, host, port), "200 EPRT command successful. Consider using EPSV.")
	} else {
		ip4 := ip.To4()
		c.expect(fmt.Sprintf("PORT %d,%d,%d,%d,%d,%d", ip4[0], ip4[1], ip4[2], ip4[3], port>>8, port&255),
			"200 PORT command successful. Consider using PASV.")
	}
	return func() net.Conn {
		ln.(*net.TCPListener).SetDeadline(time.Now().Add(hang))
		conn, err := ln.Accept()
		if err != nil {
			c.t.Fatal(err)
		}
		c.t.Cleanup(func() { conn.Close() })
		return conn
	}
}

// readAll reads a data connection to its end.
func readAll(t testing.TB, conn net.Conn) []byte {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(hang))
	b, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("data: %v", err)
	}
	return b
}

// newServer starts a server that is closed, and checked for leaked
// goroutines, when the test ends.
func newServer(t testing.TB, mode int, config func(*Server)) *Server {
	t.Helper()
	before := runtime.NumGoroutine()
	s := NewUnstartedServer()
	if config != nil {
		config(s)
	}
	switch mode {
	case startPlain:
		s.Start()
	case startTLS:
		s.StartTLS()
	case startImplicit:
		s.StartImplicitTLS()
	}
	t.Cleanup(func() {
		s.Close()
		checkGoroutines(t, before)
	})
	return s
}

// checkGoroutines waits for the goroutine count to fall back to before.
func checkGoroutines(t testing.TB, before int) {
	t.Helper()
	deadline := time.Now().Add(hang)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("goroutines: %d before, %d after Close\n%s", before, runtime.NumGoroutine(), buf)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// want reads one reply and checks it byte for byte (as expect does).
func (c *client) want(want string) {
	c.t.Helper()
	want = strings.ReplaceAll(want, "\n", "\r\n") + "\r\n"
	if got := c.reply(); got != want {
		c.t.Errorf("reply:\n got %q\nwant %q", got, want)
	}
}
