package main

import (
	"bufio"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
)

func TestProxyFor(t *testing.T) {
	for _, tc := range []struct {
		env    map[string]string
		scheme string
		host   string
		want   string // proxy URL, "" for none
		name   string
	}{
		{env: nil, scheme: "ftp", host: "h", want: ""},
		{env: map[string]string{"ALL_PROXY": "socks5://a:1"}, scheme: "ftp", host: "h", want: "socks5://a:1", name: "ALL_PROXY"},
		{env: map[string]string{"all_proxy": "socks5://l:1", "ALL_PROXY": "socks5://u:1"}, scheme: "ftp", host: "h", want: "socks5://l:1", name: "all_proxy"},
		{env: map[string]string{"all_proxy": "socks5://a:1", "FTP_PROXY": "http://f:2"}, scheme: "ftp", host: "h", want: "http://f:2", name: "FTP_PROXY"},
		{env: map[string]string{"FTP_PROXY": "http://u:2", "ftp_proxy": "http://l:2"}, scheme: "ftp", host: "h", want: "http://l:2", name: "ftp_proxy"},
		{env: map[string]string{"ftp_proxy": "http://f:2", "all_proxy": "socks5://a:1"}, scheme: "ftps", host: "h", want: "socks5://a:1", name: "all_proxy"},
		{env: map[string]string{"ftps_proxy": "http://s:3", "ftp_proxy": "http://f:2"}, scheme: "ftps", host: "h", want: "http://s:3", name: "ftps_proxy"},
		{env: map[string]string{"ftp_proxy": "proxy.example:3128"}, scheme: "ftp", host: "h", want: "http://proxy.example:3128", name: "ftp_proxy"},
		{env: map[string]string{"ftp_proxy": "http://p:1", "no_proxy": "*"}, scheme: "ftp", host: "h", want: ""},
		{env: map[string]string{"ftp_proxy": "http://p:1", "NO_PROXY": "example.com"}, scheme: "ftp", host: "ftp.Example.com", want: ""},
		{env: map[string]string{"ftp_proxy": "http://p:1", "no_proxy": "a, .example.com"}, scheme: "ftp", host: "example.com", want: ""},
		{env: map[string]string{"ftp_proxy": "http://p:1", "no_proxy": "example.com"}, scheme: "ftp", host: "badexample.com", want: "http://p:1", name: "ftp_proxy"},
		{env: map[string]string{"ftp_proxy": "http://p:1", "no_proxy": "127.0.0.1,::1"}, scheme: "ftp", host: "::1", want: ""},
		{env: map[string]string{"ftp_proxy": "http://p:1", "no_proxy": "0.0.1"}, scheme: "ftp", host: "127.0.0.1", want: "http://p:1", name: "ftp_proxy"},
		{env: map[string]string{"ftp_proxy": "http://p:1", "no_proxy": "other"}, scheme: "ftp", host: "h", want: "http://p:1", name: "ftp_proxy"},
	} {
		u, name, err := proxyFor(func(k string) string { return tc.env[k] }, tc.scheme, tc.host)
		got := ""
		if u != nil {
			got = u.String()
		}
		if err != nil || got != tc.want || name != tc.name {
			t.Errorf("%v %s://%s: got %q from %q (%v), want %q from %q", tc.env, tc.scheme, tc.host, got, name, err, tc.want, tc.name)
		}
	}
	// A bad value is an error that does not repeat the password.
	_, _, err := proxyFor(func(k string) string {
		if k == "ALL_PROXY" {
			return "socks5://u:hidden-pw@host:notaport"
		}
		return ""
	}, "ftp", "h")
	if err == nil || strings.Contains(err.Error(), "hidden-pw") || !strings.Contains(err.Error(), "ALL_PROXY") {
		t.Errorf("bad proxy URL: %v", err)
	}
}

// connectProxy is a minimal HTTP CONNECT proxy that counts its tunnels.
func connectProxy(t *testing.T) (addr string, tunnels func() []string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []string
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				br := bufio.NewReader(c)
				line, err := br.ReadString('\n')
				f := strings.Fields(line)
				if err != nil || len(f) != 3 || f[0] != "CONNECT" {
					return
				}
				for {
					h, err := br.ReadString('\n')
					if err != nil {
						return
					}
					if h == "\r\n" {
						break
					}
				}
				tc, err := net.Dial("tcp", f[1])
				if err != nil {
					io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
					return
				}
				defer tc.Close()
				mu.Lock()
				seen = append(seen, f[1])
				mu.Unlock()
				io.WriteString(c, "HTTP/1.1 200 OK\r\n\r\n")
				done := make(chan struct{})
				go func() {
					io.Copy(tc, br)
					tc.(*net.TCPConn).CloseWrite()
					close(done)
				}()
				io.Copy(c, tc)
				c.(*net.TCPConn).CloseWrite()
				<-done
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String(), func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

func TestCLIThroughProxy(t *testing.T) {
	srv := newServer(t)
	addr, tunnels := connectProxy(t)
	r := newRunner(t)
	r.env["ftp_proxy"] = addr // no scheme: HTTP, as in curl
	r.env["ALL_PROXY"] = "socks5://127.0.0.1:1"
	res := r.run("get", ftpURL(srv, "hello.txt"), "-")
	res.want(t, 0)
	if res.stdout != "hello, world\n" {
		t.Errorf("get through the proxy: %q", res.stdout)
	}
	if n := len(tunnels()); n < 2 {
		t.Errorf("%d tunnels, want the control and a data connection: %q", n, tunnels())
	}
	// NO_PROXY names the server: the proxy is not used.
	before := len(tunnels())
	r.env["NO_PROXY"] = "localhost,127.0.0.1"
	r.run("ls", ftpURL(srv, "")).want(t, 0)
	if n := len(tunnels()); n != before {
		t.Errorf("NO_PROXY ignored: %d new tunnels", n-before)
	}
}
