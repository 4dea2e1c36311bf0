package ftp

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// guard is the hang guard of every test: generous, never a timing assertion.
const guard = 10 * time.Second

// fakeServer is a scripted FTP server on a real loopback TCP socket. Its
// script runs in a goroutine against one control connection; it records
// every byte the client sends on the control connection.
type fakeServer struct {
	t    testing.TB
	ln   net.Listener
	addr string
	done chan struct{}

	noOOBInline bool

	mu  sync.Mutex
	log strings.Builder
}

// session is the server side of one control connection.
type session struct {
	t    testing.TB
	srv  *fakeServer
	conn net.Conn
	br   *bufio.Reader
	host string // IP the data listeners use
}

// newFake starts a fake server on network ("tcp4" or "tcp6") loopback and
// runs script on the first connection.
func newFakeNet(t testing.TB, network string, script func(s *session)) *fakeServer {
	t.Helper()
	checkLeaks(t) // first, so that it runs after every other cleanup
	host := "127.0.0.1"
	if network == "tcp6" {
		host = "::1"
	}
	ln, err := net.Listen(network, net.JoinHostPort(host, "0"))
	if err != nil {
		t.Skipf("cannot listen on %s: %v", host, err)
	}
	f := &fakeServer{t: t, ln: ln, addr: ln.Addr().String(), done: make(chan struct{})}
	go func() {
		defer close(f.done)
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		if tc, ok := nc.(*net.TCPConn); ok && !f.noOOBInline {
			setOOBInline(tc)
		}
		_ = nc.SetDeadline(time.Now().Add(guard))
		s := &session{t: t, srv: f, conn: nc, br: bufio.NewReader(nc), host: host}
		script(s)
	}()
	t.Cleanup(func() {
		ln.Close()
		select {
		case <-f.done:
		case <-time.After(guard):
			t.Error("fake server script did not finish")
		}
	})
	return f
}

func newFake(t testing.TB, script func(s *session)) *fakeServer {
	return newFakeNet(t, "tcp4", script)
}

// wait waits for the script to finish.
func (f *fakeServer) wait() {
	f.t.Helper()
	select {
	case <-f.done:
	case <-time.After(guard):
		f.t.Fatal("fake server script did not finish")
	}
}

// received returns every byte the client sent on the control connection.
func (f *fakeServer) received() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.log.String()
}

// send writes each line with CRLF.
func (s *session) send(lines ...string) {
	for _, l := range lines {
		if _, err := io.WriteString(s.conn, l+"\r\n"); err != nil {
			s.t.Errorf("fake: send %q: %v", l, err)
			return
		}
	}
}

// readLine returns the next raw line from the client, CRLF included, or
// "" at EOF.
func (s *session) readLine() string {
	l, _ := s.br.ReadString('\n')
	s.srv.mu.Lock()
	s.srv.log.WriteString(l)
	s.srv.mu.Unlock()
	return l
}

// expect reads a command and checks that it is exactly want + CRLF.
func (s *session) expect(want string) bool {
	got := s.readLine()
	if got != want+"\r\n" {
		s.t.Errorf("fake: got command %q, want %q", got, want+"\r\n")
		return false
	}
	return true
}

// reply expects cmd and answers with lines.
func (s *session) reply(cmd string, lines ...string) bool {
	if !s.expect(cmd) {
		return false
	}
	s.send(lines...)
	return true
}

// expectEOF checks that the client closed the control connection or sent
// nothing more.
func (s *session) expectEOF() {
	if l := s.readLine(); l != "" {
		s.t.Errorf("fake: unexpected command %q", l)
	}
}

// pasv expects PASV and answers with a listener on advertised host (the
// session's host when ""), listening on listenHost (the same when "").
func (s *session) pasvAt(advertise, listenHost string) net.Listener {
	if listenHost == "" {
		listenHost = s.host
	}
	if advertise == "" {
		advertise = listenHost
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(listenHost, "0"))
	if err != nil {
		s.t.Errorf("fake: listen: %v", err)
		return nil
	}
	p := ln.Addr().(*net.TCPAddr).Port
	if !s.expect("PASV") {
		ln.Close()
		return nil
	}
	s.send(fmt.Sprintf("227 Entering Passive Mode (%s,%d,%d).", strings.ReplaceAll(advertise, ".", ","), p>>8, p&0xff))
	return ln
}

func (s *session) pasv() net.Listener { return s.pasvAt("", "") }

// epsv expects EPSV and answers with a listener.
func (s *session) epsv() net.Listener {
	ln, err := net.Listen("tcp", net.JoinHostPort(s.host, "0"))
	if err != nil {
		s.t.Errorf("fake: listen: %v", err)
		return nil
	}
	if !s.expect("EPSV") {
		ln.Close()
		return nil
	}
	s.send(fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", ln.Addr().(*net.TCPAddr).Port))
	return ln
}

// accept takes the client's data connection from ln.
func (s *session) accept(ln net.Listener) net.Conn {
	if ln == nil {
		return nil
	}
	defer ln.Close()
	_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(guard))
	dc, err := ln.Accept()
	if err != nil {
		s.t.Errorf("fake: accept data: %v", err)
		return nil
	}
	_ = dc.SetDeadline(time.Now().Add(guard))
	return dc
}

// sendData writes data on dc and closes it.
func sendData(t testing.TB, dc net.Conn, data string) {
	if dc == nil {
		return
	}
	if _, err := io.WriteString(dc, data); err != nil {
		t.Errorf("fake: data write: %v", err)
	}
	dc.Close()
}

// recvData reads dc to EOF and closes it.
func recvData(t testing.TB, dc net.Conn) string {
	if dc == nil {
		return ""
	}
	b, err := io.ReadAll(dc)
	if err != nil {
		t.Errorf("fake: data read: %v", err)
	}
	dc.Close()
	return string(b)
}

// parsePORT parses "PORT h1,h2,h3,h4,p1,p2\r\n".
func parsePORT(line string) (string, error) {
	f := strings.Split(strings.TrimSpace(strings.TrimPrefix(line, "PORT ")), ",")
	if len(f) != 6 {
		return "", fmt.Errorf("bad PORT %q", line)
	}
	p1, _ := strconv.Atoi(f[4])
	p2, _ := strconv.Atoi(f[5])
	return net.JoinHostPort(strings.Join(f[:4], "."), strconv.Itoa(p1<<8|p2)), nil
}

// ctxT returns a context bounded by the hang guard.
func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	t.Cleanup(cancel)
	return ctx
}

// dialFake connects a client to f with d (nil: zero Dialer).
func dialFake(t *testing.T, f *fakeServer, d *Dialer) *Conn {
	t.Helper()
	c, err := d.Dial(ctxT(t), f.addr)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func timeNowGuard() time.Time { return time.Now().Add(guard) }

// waitReceived waits until the client has sent s on the control
// connection.
func waitReceived(t testing.TB, f *fakeServer, s string) {
	t.Helper()
	end := time.Now().Add(guard)
	for !strings.Contains(f.received(), s) {
		if time.Now().After(end) {
			t.Fatalf("client never sent %q", s)
		}
		time.Sleep(time.Millisecond)
	}
}
