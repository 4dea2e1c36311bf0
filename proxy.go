package ftp

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Proxy errors. A failure to connect through Dialer.Proxy is a
// *ProxyError wrapping one of them (or the network error met on the way
// to the proxy); test them with errors.Is.
var (
	// ErrProxyURL reports a Dialer.Proxy that cannot be used: a scheme
	// other than socks5, socks5h or http, no host, or a SOCKS5 user name
	// or password longer than 255 bytes. Nothing is sent.
	ErrProxyURL = errors.New("ftp: unusable proxy URL")

	// ErrProxyAuth reports a proxy that refused the credentials of the
	// proxy URL, or that asks for credentials the URL does not have.
	ErrProxyAuth = errors.New("ftp: proxy authentication failed")

	// ErrProxyRefused reports a proxy that would not connect to the
	// target: a SOCKS5 reply code other than 0, or an HTTP status other
	// than 2xx (and 407). ProxyError.Code holds the code.
	ErrProxyRefused = errors.New("ftp: proxy refused the connection")

	// ErrProxyProto reports a proxy reply that breaks its protocol: a
	// wrong version, an unknown address type, a truncated reply, a status
	// line that is not HTTP, or reply headers longer than 8 KiB.
	ErrProxyProto = errors.New("ftp: malformed proxy reply")

	// ErrActiveProxy reports active mode (PORT or EPRT) asked for on a
	// connection that goes through a proxy: the server could not reach the
	// client's listener. Dial returns it for a Dialer with both Active and
	// Proxy set, and a transfer returns it after SetPasv(false); nothing
	// is sent.
	ErrActiveProxy = errors.New("ftp: active mode cannot be used through a proxy")
)

// ProxyError is a failure to open a connection through Dialer.Proxy.
// Its text never holds the proxy password.
type ProxyError struct {
	// Proxy is the proxy URL with its password replaced by "xxxxx".
	Proxy string
	// Addr is the "host:port" the proxy was asked to connect to, empty
	// for an ErrProxyURL found before connecting.
	Addr string
	// Code is the SOCKS5 reply code or the HTTP status of a refusal, or
	// 0 when the proxy gave none.
	Code int
	// Err is the cause: ErrProxyURL, ErrProxyAuth, ErrProxyRefused or
	// ErrProxyProto (wrapped with details), or a network error.
	Err error
}

// Error returns "ftp: proxy URL: connect ADDR: cause", without
// "connect ADDR" when Addr is empty.
func (e *ProxyError) Error() string {
	s := "ftp: proxy " + e.Proxy + ": "
	if e.Addr != "" {
		s += "connect " + e.Addr + ": "
	}
	return s + e.Err.Error()
}

// Unwrap returns Err.
func (e *ProxyError) Unwrap() error { return e.Err }

// proxyConf is a Dialer.Proxy checked and copied at Dial.
type proxyConf struct {
	http       bool   // HTTP CONNECT; false is SOCKS5
	addr       string // proxy host:port
	user, pass string
	hasAuth    bool
	shown      string // the URL with the password redacted
}

// maxProxyHeader bounds an HTTP CONNECT reply's status line and headers.
const maxProxyHeader = 8 << 10

// newProxyConf checks u. Default ports are 1080 for both schemes, as curl.
func newProxyConf(u *url.URL) (*proxyConf, error) {
	p := &proxyConf{shown: u.Redacted()}
	switch strings.ToLower(u.Scheme) {
	case "socks5", "socks5h":
	case "http":
		p.http = true
	default:
		return nil, p.fail("", 0, fmt.Errorf("%w: scheme %q (want socks5, socks5h or http)", ErrProxyURL, u.Scheme))
	}
	host := u.Hostname()
	if host == "" {
		return nil, p.fail("", 0, fmt.Errorf("%w: no host", ErrProxyURL))
	}
	port := u.Port()
	if port == "" {
		port = "1080"
	}
	p.addr = net.JoinHostPort(host, port)
	if u.User != nil {
		p.hasAuth = true
		p.user = u.User.Username()
		p.pass, _ = u.User.Password()
		if !p.http && (len(p.user) == 0 || len(p.user) > 255 || len(p.pass) == 0 || len(p.pass) > 255) {
			return nil, p.fail("", 0, fmt.Errorf("%w: SOCKS5 user name and password must be 1 to 255 bytes", ErrProxyURL))
		}
	}
	return p, nil
}

func (p *proxyConf) fail(addr string, code int, err error) *ProxyError {
	return &ProxyError{Proxy: p.shown, Addr: addr, Code: code, Err: err}
}

// dial opens a connection to addr through the proxy: nc is a fresh
// connection to the proxy, closed on failure. ctx bounds the handshake.
func (p *proxyConf) dial(ctx context.Context, nc net.Conn, addr string) (net.Conn, error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	code, err := p.handshake(nc, addr)
	if !stop() {
		// ctx ended: the deadline may have cut the handshake short.
		nc.Close()
		if err == nil {
			err = ctx.Err()
		}
		return nil, p.fail(addr, code, err)
	}
	if err != nil {
		nc.Close()
		return nil, p.fail(addr, code, err)
	}
	_ = nc.SetDeadline(time.Time{})
	return nc, nil
}

func (p *proxyConf) handshake(rw io.ReadWriter, addr string) (int, error) {
	if p.http {
		return p.httpConnect(rw, addr)
	}
	return p.socks5Connect(rw, addr)
}

// SOCKS5 (RFC 1928) and its username/password method (RFC 1929).
const (
	socksVersion   = 5
	socksNoAuth    = 0
	socksUserPass  = 2
	socksNoMethods = 0xff
	socksConnect   = 1
	socksIPv4      = 1
	socksDomain    = 3
	socksIPv6      = 4
)

func (p *proxyConf) socks5Connect(rw io.ReadWriter, addr string) (int, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, err
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return 0, fmt.Errorf("ftp: bad port in %q", addr)
	}
	// Greeting: offer no authentication, and username/password when the
	// URL has credentials.
	greet := []byte{socksVersion, 1, socksNoAuth}
	if p.hasAuth {
		greet = []byte{socksVersion, 2, socksNoAuth, socksUserPass}
	}
	if _, err := rw.Write(greet); err != nil {
		return 0, err
	}
	var b [2]byte
	if _, err := io.ReadFull(rw, b[:]); err != nil {
		return 0, truncated(err)
	}
	if b[0] != socksVersion {
		return 0, fmt.Errorf("%w: SOCKS version %d in method reply", ErrProxyProto, b[0])
	}
	switch {
	case b[1] == socksNoAuth:
	case b[1] == socksUserPass && p.hasAuth:
		if err := p.socks5Auth(rw); err != nil {
			return 0, err
		}
	case b[1] == socksNoMethods && !p.hasAuth:
		return 0, fmt.Errorf("%w: the SOCKS5 proxy needs credentials and the proxy URL has none", ErrProxyAuth)
	case b[1] == socksNoMethods:
		return 0, fmt.Errorf("%w: the SOCKS5 proxy accepts none of the offered methods", ErrProxyAuth)
	default:
		return 0, fmt.Errorf("%w: SOCKS5 method %d was not offered", ErrProxyProto, b[1])
	}
	// CONNECT request: an IP literal as an address, anything else as a
	// domain name for the proxy to resolve.
	req := []byte{socksVersion, socksConnect, 0}
	if ip := net.ParseIP(host); ip != nil {
		if ip4 := ip.To4(); ip4 != nil {
			req = append(append(req, socksIPv4), ip4...)
		} else {
			req = append(append(req, socksIPv6), ip.To16()...)
		}
	} else {
		if len(host) == 0 || len(host) > 255 {
			return 0, fmt.Errorf("ftp: host name of %d bytes cannot be sent to a SOCKS5 proxy", len(host))
		}
		req = append(append(req, socksDomain, byte(len(host))), host...)
	}
	req = append(req, byte(port>>8), byte(port))
	if _, err := rw.Write(req); err != nil {
		return 0, err
	}
	return readSOCKS5Reply(rw)
}

// socks5Auth runs the RFC 1929 subnegotiation.
func (p *proxyConf) socks5Auth(rw io.ReadWriter) error {
	msg := make([]byte, 0, 3+len(p.user)+len(p.pass))
	msg = append(msg, 1, byte(len(p.user)))
	msg = append(msg, p.user...)
	msg = append(msg, byte(len(p.pass)))
	msg = append(msg, p.pass...)
	if _, err := rw.Write(msg); err != nil {
		return err
	}
	var b [2]byte
	if _, err := io.ReadFull(rw, b[:]); err != nil {
		return truncated(err)
	}
	if b[0] != 1 {
		return fmt.Errorf("%w: SOCKS5 authentication version %d", ErrProxyProto, b[0])
	}
	if b[1] != 0 {
		return fmt.Errorf("%w: the SOCKS5 proxy refused user %q (status %d)", ErrProxyAuth, p.user, b[1])
	}
	return nil
}

// socksReplies names the SOCKS5 reply codes of RFC 1928.
var socksReplies = [...]string{
	1: "general SOCKS server failure",
	2: "connection not allowed by ruleset",
	3: "network unreachable",
	4: "host unreachable",
	5: "connection refused",
	6: "TTL expired",
	7: "command not supported",
	8: "address type not supported",
}

// readSOCKS5Reply reads the reply to a CONNECT request and returns its
// code. It reads exactly the reply's bytes, at most 262, so that what
// follows is the tunnelled stream. A refusal is returned as soon as its
// code is known: the proxy may close without sending the rest.
func readSOCKS5Reply(r io.Reader) (int, error) {
	var b [4]byte
	if _, err := io.ReadFull(r, b[:2]); err != nil {
		return 0, truncated(err)
	}
	if b[0] != socksVersion {
		return 0, fmt.Errorf("%w: SOCKS version %d in reply", ErrProxyProto, b[0])
	}
	if code := int(b[1]); code != 0 {
		text := "unknown reply code"
		if code < len(socksReplies) {
			text = socksReplies[code]
		}
		return code, fmt.Errorf("%w: SOCKS5 reply %d (%s)", ErrProxyRefused, code, text)
	}
	if _, err := io.ReadFull(r, b[2:]); err != nil {
		return 0, truncated(err)
	}
	var n int
	switch b[3] {
	case socksIPv4:
		n = 4
	case socksIPv6:
		n = 16
	case socksDomain:
		var l [1]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return 0, truncated(err)
		}
		n = int(l[0])
	default:
		return 0, fmt.Errorf("%w: SOCKS5 address type %d", ErrProxyProto, b[3])
	}
	var rest [255 + 2]byte
	if _, err := io.ReadFull(r, rest[:n+2]); err != nil {
		return 0, truncated(err)
	}
	return 0, nil
}

// httpConnect asks an HTTP proxy for a tunnel with CONNECT.
func (p *proxyConf) httpConnect(rw io.ReadWriter, addr string) (int, error) {
	var req strings.Builder
	req.WriteString("CONNECT " + addr + " HTTP/1.1\r\nHost: " + addr + "\r\n")
	if p.hasAuth {
		cred := base64.StdEncoding.EncodeToString([]byte(p.user + ":" + p.pass))
		req.WriteString("Proxy-Authorization: Basic " + cred + "\r\n")
	}
	req.WriteString("\r\n")
	if _, err := io.WriteString(rw, req.String()); err != nil {
		return 0, err
	}
	head, err := readHTTPHead(rw)
	if err != nil {
		return 0, err
	}
	return parseConnectStatus(head)
}

// readHTTPHead reads up to the blank line that ends a reply's headers,
// one byte at a time so that nothing of the tunnelled stream is consumed,
// and at most maxProxyHeader bytes.
func readHTTPHead(r io.Reader) ([]byte, error) {
	buf := make([]byte, 0, 256)
	var b [1]byte
	for len(buf) < maxProxyHeader {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, truncated(err)
		}
		buf = append(buf, b[0])
		if b[0] == '\n' && (strings.HasSuffix(string(buf), "\r\n\r\n") || strings.HasSuffix(string(buf), "\n\n")) {
			return buf, nil
		}
	}
	return nil, fmt.Errorf("%w: CONNECT reply headers longer than %d bytes", ErrProxyProto, maxProxyHeader)
}

// parseConnectStatus checks the status line of a CONNECT reply, as in
// "HTTP/1.1 200 Connection established".
func parseConnectStatus(head []byte) (int, error) {
	line, _, _ := strings.Cut(string(head), "\n")
	line = strings.TrimSuffix(line, "\r")
	proto, rest, ok := strings.Cut(line, " ")
	codeStr, _, _ := strings.Cut(rest, " ")
	code, err := strconv.Atoi(codeStr)
	if !ok || !strings.HasPrefix(proto, "HTTP/1.") || len(codeStr) != 3 || err != nil || code < 100 {
		return 0, fmt.Errorf("%w: CONNECT status line %q", ErrProxyProto, clip(line))
	}
	switch {
	case code >= 200 && code < 300:
		return code, nil
	case code == 407:
		return code, fmt.Errorf("%w: %q", ErrProxyAuth, clip(line))
	default:
		return code, fmt.Errorf("%w: %q", ErrProxyRefused, clip(line))
	}
}

// clip shortens a proxy's line for an error message.
func clip(s string) string {
	if len(s) > 128 {
		return s[:128] + "..."
	}
	return s
}

// truncated turns the end of a proxy stream in the middle of a reply into
// ErrProxyProto; other errors (timeouts) are kept as they are.
func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: reply truncated: %w", ErrProxyProto, err)
	}
	return err
}
