package ftp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ftplib-go/ftp/ftptest"
)

// testProxy is a small SOCKS5 (RFC 1928/1929) or HTTP CONNECT proxy that
// records the targets it is asked for.
type testProxy struct {
	t          *testing.T
	ln         net.Listener
	http       bool
	user, pass string // credentials required when user is not empty

	mu      sync.Mutex
	targets []string
	conns   []net.Conn
	wg      sync.WaitGroup
}

func startProxy(t *testing.T, http bool, user, pass string) *testProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &testProxy{t: t, ln: ln, http: http, user: user, pass: pass}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

// url returns the proxy's URL with the given credentials.
func (p *testProxy) url(user, pass string) *url.URL {
	u := &url.URL{Scheme: "socks5", Host: p.ln.Addr().String()}
	if p.http {
		u.Scheme = "http"
	}
	if user != "" {
		u.User = url.UserPassword(user, pass)
	}
	return u
}

func (p *testProxy) Targets() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.targets)
}

func (p *testProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conns = append(p.conns, c)
	return true
}

func (p *testProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.track(c)
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer c.Close()
			if p.http {
				p.serveHTTP(c)
			} else {
				p.serveSOCKS(c)
			}
		}()
	}
}

func (p *testProxy) serveSOCKS(c net.Conn) {
	var b [2]byte
	if _, err := io.ReadFull(c, b[:]); err != nil || b[0] != 5 {
		return
	}
	methods := make([]byte, b[1])
	if _, err := io.ReadFull(c, methods); err != nil {
		return
	}
	if p.user != "" {
		if !bytes.Contains(methods, []byte{2}) {
			c.Write([]byte{5, 0xff})
			return
		}
		c.Write([]byte{5, 2})
		var h [2]byte
		if _, err := io.ReadFull(c, h[:]); err != nil || h[0] != 1 {
			return
		}
		user := make([]byte, h[1])
		io.ReadFull(c, user)
		var l [1]byte
		io.ReadFull(c, l[:])
		pass := make([]byte, l[0])
		if _, err := io.ReadFull(c, pass); err != nil {
			return
		}
		if string(user) != p.user || string(pass) != p.pass {
			c.Write([]byte{1, 1})
			return
		}
		c.Write([]byte{1, 0})
	} else {
		c.Write([]byte{5, 0})
	}
	var req [4]byte
	if _, err := io.ReadFull(c, req[:]); err != nil || req[0] != 5 || req[1] != 1 {
		return
	}
	var host string
	switch req[3] {
	case 1, 4:
		ip := make([]byte, 4)
		if req[3] == 4 {
			ip = make([]byte, 16)
		}
		io.ReadFull(c, ip)
		host = net.IP(ip).String()
	case 3:
		var l [1]byte
		io.ReadFull(c, l[:])
		name := make([]byte, l[0])
		io.ReadFull(c, name)
		host = string(name)
	default:
		c.Write([]byte{5, 8, 0, 1, 0, 0, 0, 0, 0, 0})
		return
	}
	var pb [2]byte
	if _, err := io.ReadFull(c, pb[:]); err != nil {
		return
	}
	target := net.JoinHostPort(host, strconv.Itoa(int(pb[0])<<8|int(pb[1])))
	p.mu.Lock()
	p.targets = append(p.targets, target)
	p.mu.Unlock()
	tc, err := net.DialTimeout("tcp", target, 5*time.Second)
	if err != nil {
		c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0})
		return
	}
	p.track(tc)
	defer tc.Close()
	// Bound address given as a domain name, to exercise that branch.
	c.Write([]byte{5, 0, 0, 3, 5, 'p', 'r', 'o', 'x', 'y', 0x04, 0x38})
	pipe(c, c, tc)
}

func (p *testProxy) serveHTTP(c net.Conn) {
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil {
		return
	}
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != "CONNECT" {
		io.WriteString(c, "HTTP/1.1 400 Bad Request\r\n\r\n")
		return
	}
	auth := ""
	for {
		h, err := br.ReadString('\n')
		if err != nil {
			return
		}
		if h == "\r\n" {
			break
		}
		if k, v, ok := strings.Cut(h, ":"); ok && strings.EqualFold(k, "Proxy-Authorization") {
			auth = strings.TrimSpace(v)
		}
	}
	if p.user != "" && auth != "Basic "+base64.StdEncoding.EncodeToString([]byte(p.user+":"+p.pass)) {
		io.WriteString(c, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"t\"\r\n\r\n")
		return
	}
	p.mu.Lock()
	p.targets = append(p.targets, f[1])
	p.mu.Unlock()
	tc, err := net.DialTimeout("tcp", f[1], 5*time.Second)
	if err != nil {
		io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
		return
	}
	p.track(tc)
	defer tc.Close()
	io.WriteString(c, "HTTP/1.1 200 Connection established\r\nVia: test\r\n\r\n")
	pipe(br, c, tc)
}

// pipe copies both ways, passing on each half-close.
func pipe(cr io.Reader, c, tc net.Conn) {
	done := make(chan struct{})
	go func() {
		io.Copy(tc, cr)
		tc.(*net.TCPConn).CloseWrite()
		close(done)
	}()
	io.Copy(c, tc)
	c.(*net.TCPConn).CloseWrite()
	<-done
}

func TestProxyTransfers(t *testing.T) {
	for _, tc := range []struct {
		name       string
		http       bool
		user, pass string
		byName     bool
	}{
		{name: "socks5", http: false},
		{name: "socks5-auth-name", http: false, user: "pu", pass: "s3cret-pw", byName: true},
		{name: "http", http: true},
		{name: "http-auth-name", http: true, user: "pu", pass: "s3cret-pw", byName: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := ftptest.NewServer()
			defer srv.Close()
			if err := srv.WriteFile("in.txt", []byte("hello through a proxy\n")); err != nil {
				t.Fatal(err)
			}
			px := startProxy(t, tc.http, tc.user, tc.pass)
			addr := srv.Addr
			if tc.byName {
				_, port, _ := net.SplitHostPort(srv.Addr)
				addr = net.JoinHostPort("localhost", port)
			}
			ctx := context.Background()
			var debug bytes.Buffer
			d := Dialer{Timeout: 5 * time.Second, Proxy: px.url(tc.user, tc.pass), Debug: 2, DebugOutput: &debug}
			c, err := d.Dial(ctx, addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if _, err := c.RetrBinary(ctx, "RETR in.txt", &got); err != nil {
				t.Fatal(err)
			}
			if got.String() != "hello through a proxy\n" {
				t.Fatalf("download: %q", got.String())
			}
			if _, err := c.StorBinary(ctx, "STOR up.txt", strings.NewReader("uploaded")); err != nil {
				t.Fatal(err)
			}
			if b, err := srv.ReadFile("up.txt"); err != nil || string(b) != "uploaded" {
				t.Fatalf("upload: %q %v", b, err)
			}
			names, err := c.Nlst(ctx)
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(names)
			if !slices.Equal(names, []string{"in.txt", "up.txt"}) {
				t.Fatalf("listing: %q", names)
			}
			if _, err := c.Quit(ctx); err != nil {
				t.Fatal(err)
			}
			// The control connection and three data connections, each to
			// the host given to Dial.
			targets := px.Targets()
			if len(targets) != 4 {
				t.Fatalf("proxy saw %d connections, want 4: %q", len(targets), targets)
			}
			host, _, _ := net.SplitHostPort(addr)
			for i, tg := range targets {
				h, _, _ := net.SplitHostPort(tg)
				if h != host {
					t.Errorf("connection %d went to %q, want host %q", i, tg, host)
				}
			}
			if targets[0] != addr {
				t.Errorf("control connection went to %q, want %q", targets[0], addr)
			}
			if tc.pass != "" && strings.Contains(debug.String(), tc.pass) {
				t.Errorf("debug output shows the proxy password")
			}
		})
	}
}

func TestProxyAuthFailure(t *testing.T) {
	srv := ftptest.NewServer()
	defer srv.Close()
	for _, http := range []bool{false, true} {
		px := startProxy(t, http, "pu", "right-pw")
		for _, cred := range [][2]string{{"pu", "wrong-pw-xyz"}, {"", ""}} {
			d := Dialer{Timeout: 5 * time.Second, Proxy: px.url(cred[0], cred[1])}
			_, err := d.Dial(context.Background(), srv.Addr)
			if !errors.Is(err, ErrProxyAuth) {
				t.Fatalf("http=%v creds=%q: err = %v, want ErrProxyAuth", http, cred, err)
			}
			var pe *ProxyError
			if !errors.As(err, &pe) || pe.Addr != srv.Addr {
				t.Fatalf("not a *ProxyError for %s: %#v", srv.Addr, err)
			}
			if http && pe.Code != 407 {
				t.Errorf("code %d, want 407", pe.Code)
			}
			if cred[1] != "" && strings.Contains(err.Error(), cred[1]) {
				t.Errorf("error shows the password: %v", err)
			}
		}
		if n := len(px.Targets()); n != 0 {
			t.Errorf("http=%v: proxy connected %d times without credentials", http, n)
		}
	}
}

func TestProxyRefusedConnect(t *testing.T) {
	// A port with nothing listening.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	for _, http := range []bool{false, true} {
		px := startProxy(t, http, "", "")
		d := Dialer{Timeout: 5 * time.Second, Proxy: px.url("", "")}
		_, err := d.Dial(context.Background(), dead)
		var pe *ProxyError
		if !errors.Is(err, ErrProxyRefused) || !errors.As(err, &pe) {
			t.Fatalf("http=%v: err = %v, want ErrProxyRefused", http, err)
		}
		want := 5
		if http {
			want = 502
		}
		if pe.Code != want {
			t.Errorf("http=%v: code %d, want %d (%v)", http, pe.Code, want, err)
		}
	}
	// The proxy itself cannot be reached.
	d := Dialer{Timeout: 5 * time.Second, Proxy: &url.URL{Scheme: "socks5", Host: dead}}
	_, err = d.Dial(context.Background(), "127.0.0.1:21")
	var pe *ProxyError
	if !errors.As(err, &pe) || errors.Is(err, ErrProxyRefused) {
		t.Fatalf("unreachable proxy: %v", err)
	}
}

// fakeProxy answers every connection with script(conn) after reading the
// client's first bytes.
func fakeProxy(t *testing.T, script func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				script(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

func TestProxyMalformedReplies(t *testing.T) {
	readSome := func(c net.Conn) { c.Read(make([]byte, 512)) }
	write := func(parts ...[]byte) func(net.Conn) {
		return func(c net.Conn) {
			for _, p := range parts {
				readSome(c)
				c.Write(p)
			}
		}
	}
	for _, tc := range []struct {
		name   string
		scheme string
		user   string
		script func(net.Conn)
		want   error
	}{
		{"socks-method-version", "socks5", "", write([]byte{4, 0}), ErrProxyProto},
		{"socks-method-unoffered", "socks5", "", write([]byte{5, 2}), ErrProxyProto},
		{"socks-method-truncated", "socks5", "", write([]byte{5}), ErrProxyProto},
		{"socks-auth-version", "socks5", "u", write([]byte{5, 2}, []byte{5, 0}), ErrProxyProto},
		{"socks-reply-version", "socks5", "", write([]byte{5, 0}, []byte{4, 0, 0, 1, 1, 2, 3, 4, 0, 21}), ErrProxyProto},
		{"socks-reply-atyp", "socks5", "", write([]byte{5, 0}, []byte{5, 0, 0, 9, 1, 2, 3, 4, 0, 21}), ErrProxyProto},
		{"socks-reply-truncated", "socks5", "", write([]byte{5, 0}, []byte{5, 0, 0, 3, 200, 'a'}), ErrProxyProto},
		{"socks-reply-unknown-code", "socks5", "", write([]byte{5, 0}, []byte{5, 77}), ErrProxyRefused},
		{"http-not-http", "http", "", write([]byte("SSH-2.0-OpenSSH\r\n\r\n")), ErrProxyProto},
		{"http-bad-code", "http", "", write([]byte("HTTP/1.1 2x0 OK\r\n\r\n")), ErrProxyProto},
		{"http-truncated", "http", "", write([]byte("HTTP/1.1 200 OK\r\nVia: x\r\n")), ErrProxyProto},
		{"http-endless-headers", "http", "", func(c net.Conn) {
			readSome(c)
			line := []byte("X-Filler: " + strings.Repeat("a", 100) + "\r\n")
			c.Write([]byte("HTTP/1.1 200 OK\r\n"))
			for range 200 {
				if _, err := c.Write(line); err != nil {
					return
				}
			}
		}, ErrProxyProto},
		{"http-forbidden", "http", "", write([]byte("HTTP/1.0 403 Forbidden\r\n\r\n")), ErrProxyRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := &url.URL{Scheme: tc.scheme, Host: fakeProxy(t, tc.script)}
			if tc.user != "" {
				u.User = url.UserPassword(tc.user, "pw-never-shown")
			}
			d := Dialer{Timeout: 5 * time.Second, Proxy: u}
			_, err := d.Dial(context.Background(), "ftp.example:21")
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var pe *ProxyError
			if !errors.As(err, &pe) || pe.Addr != "ftp.example:21" {
				t.Fatalf("not a *ProxyError for ftp.example:21: %#v", err)
			}
			if strings.Contains(err.Error(), "pw-never-shown") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

func TestProxySilentTimeout(t *testing.T) {
	for _, scheme := range []string{"socks5", "http"} {
		// A proxy that accepts and never answers.
		addr := fakeProxy(t, func(c net.Conn) { io.Copy(io.Discard, c) })
		d := Dialer{Timeout: 200 * time.Millisecond, Proxy: &url.URL{Scheme: scheme, Host: addr}}
		_, err := d.Dial(context.Background(), "127.0.0.1:21")
		if !errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s: err = %v, want a deadline error", scheme, err)
		}
		// And ctx cancellation without a Timeout.
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		d.Timeout = 0
		_, err = d.Dial(ctx, "127.0.0.1:21")
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("%s: err = %v, want context.Canceled", scheme, err)
		}
	}
}

func TestProxyActiveRefused(t *testing.T) {
	srv := ftptest.NewServer()
	defer srv.Close()
	px := startProxy(t, false, "", "")
	ctx := context.Background()
	d := Dialer{Timeout: 5 * time.Second, Proxy: px.url("", ""), Active: true}
	if _, err := d.Dial(ctx, srv.Addr); !errors.Is(err, ErrActiveProxy) {
		t.Fatalf("Dial with Active: %v, want ErrActiveProxy", err)
	}
	if n := len(px.Targets()); n != 0 {
		t.Fatalf("Dial with Active connected through the proxy %d times", n)
	}
	d.Active = false
	c, err := d.Dial(ctx, srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
		t.Fatal(err)
	}
	c.SetPasv(false)
	if _, err := c.Nlst(ctx); !errors.Is(err, ErrActiveProxy) {
		t.Fatalf("Nlst in active mode: %v, want ErrActiveProxy", err)
	}
	for _, cmd := range srv.Commands() {
		if strings.HasPrefix(cmd, "PORT") || strings.HasPrefix(cmd, "EPRT") || strings.HasPrefix(cmd, "NLST") {
			t.Errorf("sent %q", cmd)
		}
	}
	// The connection is still usable.
	c.SetPasv(true)
	if _, err := c.Nlst(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestProxyBadURL(t *testing.T) {
	for _, u := range []string{
		"ftp://proxy:21",
		"https://proxy:443",
		"socks5://:1080",
		"socks5://" + strings.Repeat("u", 256) + ":p@proxy:1080",
		"socks5://u:@proxy:1080",
	} {
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		d := Dialer{Proxy: pu}
		_, err = d.Dial(context.Background(), "127.0.0.1:21")
		if !errors.Is(err, ErrProxyURL) {
			t.Errorf("%s: err = %v, want ErrProxyURL", u, err)
		}
		if err != nil && (strings.Contains(err.Error(), "connect") || pu.User != nil && !strings.Contains(err.Error(), "xxxxx")) {
			t.Errorf("%s: error text %q", u, err)
		}
	}
}

func FuzzSOCKS5Reply(f *testing.F) {
	f.Add([]byte{5, 0, 0, 1, 127, 0, 0, 1, 0, 21})
	f.Add([]byte{5, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 21})
	f.Add([]byte{5, 0, 0, 3, 5, 'p', 'r', 'o', 'x', 'y', 0, 21})
	f.Add([]byte{5, 5, 0, 1})
	f.Add([]byte{5, 0, 0, 3, 255})
	f.Add([]byte{4, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		code, err := readSOCKS5Reply(r)
		if err != nil {
			if !errors.Is(err, ErrProxyProto) && !errors.Is(err, ErrProxyRefused) {
				t.Fatalf("untyped error %v", err)
			}
			if errors.Is(err, ErrProxyRefused) != (code != 0) {
				t.Fatalf("code %d with %v", code, err)
			}
			return
		}
		// Success: exactly one whole reply was consumed.
		used := len(data) - r.Len()
		want := 4 + 2
		switch data[3] {
		case 1:
			want += 4
		case 4:
			want += 16
		case 3:
			want += 1 + int(data[4])
		}
		if code != 0 || data[0] != 5 || data[1] != 0 || used != want {
			t.Fatalf("accepted %x: code %d, used %d, want %d", data, code, used, want)
		}
	})
}

// FTPS through each proxy: the TLS handshakes run inside the tunnels, the
// data connections resume the control connection's session, and the
// server name checked is the one given to Dial.
func TestProxyFTPS(t *testing.T) {
	for _, http := range []bool{false, true} {
		srv := ftptest.NewUnstartedServer()
		srv.RequireSessionReuse = true
		srv.StartTLS()
		defer srv.Close()
		if err := srv.WriteFile("s.txt", []byte("secret data")); err != nil {
			t.Fatal(err)
		}
		px := startProxy(t, http, "", "")
		ctx := context.Background()
		d := Dialer{Timeout: 5 * time.Second, Proxy: px.url("", ""), TLSConfig: srv.TLSConfig()}
		f, err := d.DialFTPS(ctx, srv.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.Login(ctx, "user", "pass", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := f.ProtP(ctx); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if _, err := f.RetrBinary(ctx, "RETR s.txt", &got); err != nil {
			t.Fatal(err)
		}
		if got.String() != "secret data" {
			t.Fatalf("http=%v: got %q", http, got.String())
		}
		if n := len(px.Targets()); n != 2 {
			t.Errorf("http=%v: %d tunnels, want 2", http, n)
		}
	}
}

// A Client's pooled connections all go through the proxy.
func TestProxyClient(t *testing.T) {
	srv := ftptest.NewServer()
	defer srv.Close()
	if err := srv.WriteFile("a.txt", []byte("pooled")); err != nil {
		t.Fatal(err)
	}
	px := startProxy(t, false, "pu", "pw")
	cl := &Client{Addr: srv.Addr, User: "user", Password: "pass",
		Dialer: &Dialer{Timeout: 5 * time.Second, Proxy: px.url("pu", "pw")}}
	defer cl.Close()
	rc, err := cl.Open(context.Background(), "a.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if err != nil || string(b) != "pooled" {
		t.Fatalf("ReadFile: %q %v", b, err)
	}
	if n := len(px.Targets()); n < 2 {
		t.Errorf("%d tunnels, want the control and a data connection", n)
	}
}

func FuzzConnectReply(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
	f.Add([]byte("HTTP/1.0 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 502 Bad Gateway\n\n"))
	f.Add([]byte("HTTP/1.1 200\r\n\r\n220 welcome\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		head, err := readHTTPHead(r)
		if err != nil {
			if !errors.Is(err, ErrProxyProto) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if len(head) > maxProxyHeader || !bytes.HasPrefix(data, head) ||
			!(bytes.HasSuffix(head, []byte("\r\n\r\n")) || bytes.HasSuffix(head, []byte("\n\n"))) {
			t.Fatalf("head %q of %q", head, data)
		}
		// Nothing after the head was consumed.
		if r.Len() != len(data)-len(head) {
			t.Fatalf("read %d bytes past the head", len(data)-len(head)-r.Len())
		}
		code, err := parseConnectStatus(head)
		switch {
		case err == nil:
			if code < 200 || code > 299 {
				t.Fatalf("accepted status %d", code)
			}
		case errors.Is(err, ErrProxyProto), errors.Is(err, ErrProxyRefused), errors.Is(err, ErrProxyAuth):
		default:
			t.Fatalf("untyped error %v", err)
		}
	})
}

// With TrustPASVAddress, data connections go to the host of the 227
// reply (ftptest announces 127.0.0.1), not to the name given to Dial.
func TestProxyTrustPASV(t *testing.T) {
	srv := ftptest.NewServer()
	defer srv.Close()
	px := startProxy(t, true, "", "")
	_, port, _ := net.SplitHostPort(srv.Addr)
	ctx := context.Background()
	for _, trust := range []bool{false, true} {
		d := Dialer{Timeout: 5 * time.Second, Proxy: px.url("", ""), TrustPASVAddress: trust}
		c, err := d.Dial(ctx, net.JoinHostPort("localhost", port))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Nlst(ctx); err != nil {
			t.Fatal(err)
		}
		c.Close()
		tg := px.Targets()
		h, _, _ := net.SplitHostPort(tg[len(tg)-1])
		want := "localhost"
		if trust {
			want = "127.0.0.1"
		}
		if h != want {
			t.Errorf("trust=%v: data connection to %q, want host %q", trust, tg[len(tg)-1], want)
		}
	}
}
