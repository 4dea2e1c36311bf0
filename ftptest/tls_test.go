package ftptest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// clientTLS returns a client config that resumes sessions, with
// ServerName set so that control and data connections share the cache.
func clientTLS(s *Server, version uint16) *tls.Config {
	cfg := s.TLSConfig()
	cfg.ServerName = "127.0.0.1"
	cfg.ClientSessionCache = tls.NewLRUClientSessionCache(8)
	cfg.MaxVersion = version
	return cfg
}

// auth upgrades the control connection with AUTH TLS.
func (c *client) auth(cfg *tls.Config) {
	c.t.Helper()
	c.expect("AUTH TLS", "234 Proceed with negotiation.")
	tc := tls.Client(c.conn, cfg)
	tc.SetDeadline(time.Now().Add(hang))
	if err := tc.Handshake(); err != nil {
		c.t.Fatal(err)
	}
	c.conn, c.r, c.tls = tc, bufio.NewReader(tc), cfg
}

// protP sends PBSZ 0 and PROT P.
func (c *client) protP() {
	c.t.Helper()
	c.expect("PBSZ 0", "200 PBSZ=0")
	c.expect("PROT P", "200 PROT now Private.")
}

// wrap makes a data connection a TLS client with cfg.
func wrap(t testing.TB, conn net.Conn, cfg *tls.Config) *tls.Conn {
	t.Helper()
	tc := tls.Client(conn, cfg)
	tc.SetDeadline(time.Now().Add(hang))
	return tc
}

// readTLS reads a protected download to the server's close_notify and
// answers with the client's.
func readTLS(t testing.TB, tc *tls.Conn) []byte {
	t.Helper()
	b, err := io.ReadAll(tc)
	if err != nil {
		t.Fatalf("data: %v", err)
	}
	tc.Close()
	return b
}

// writeTLS uploads data, ends with close_notify and waits for the
// server's, as Python's unwrap() does.
func writeTLS(t testing.TB, tc *tls.Conn, data []byte) {
	t.Helper()
	if _, err := tc.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := tc.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, tc); err != nil {
		t.Fatalf("waiting for close_notify: %v", err)
	}
	tc.Close()
}

func TestExplicitTLS(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			s := newServer(t, startTLS, func(s *Server) { s.RequireSessionReuse = true })
			fixture(t, s)
			c := dial(t, s)
			c.expect("PBSZ 0", "503 PBSZ not allowed on insecure control connection.")
			c.expect("PROT P", "503 PROT not allowed on insecure control connection.")
			c.expect("CCC", "533 Command channel is not protected.")
			c.expect("AUTH XYZ", "504 Unknown AUTH type.")
			c.expect("FEAT", "211-Features:\n AUTH TLS\n CCC\n EPRT\n EPSV\n HOST\n MDTM\n MFMT\n MLST type*;size*;modify*;perm*;unique*;\n PASV\n PBSZ\n PROT\n REST STREAM\n SIZE\n TVFS\n UTF8\n211 End")
			cfg := clientTLS(s, v)
			c.auth(cfg)
			c.expect("AUTH TLS", "503 Already using TLS.")
			c.login()
			c.expect("PROT P", "503 PBSZ required first.")
			c.expect("PBSZ x", "501 Syntax error in parameters or arguments.")
			c.expect("PBSZ 0", "200 PBSZ=0")
			c.expect("PROT S", "536 PROT level not supported.")
			c.expect("PROT Q", "504 Command not implemented for that parameter.")
			c.expect("PROT C", "200 PROT now Clear.")
			c.expect("TYPE I", "200 Switching to Binary mode.")
			d := c.pasv()
			c.expect("RETR a.txt", "150 Opening BINARY mode data connection for a.txt (15 bytes).")
			if got := string(readAll(t, d)); got != "one\ntwo\r\nthree\n" {
				t.Errorf("clear data: %q", got)
			}
			c.want("226 Transfer complete.")
			c.expect("PROT P", "200 PROT now Private.")

			// Passive download and upload, then active ones.
			for _, active := range []bool{false, true} {
				var accept func() net.Conn
				var dc net.Conn
				if active {
					accept = c.active(false)
				} else {
					dc = c.pasv()
				}
				c.send("RETR a.txt")
				if active {
					dc = accept()
				}
				c.want("150 Opening BINARY mode data connection for a.txt (15 bytes).")
				if got := string(readTLS(t, wrap(t, dc, cfg))); got != "one\ntwo\r\nthree\n" {
					t.Errorf("protected data: %q", got)
				}
				c.want("226 Transfer complete.")

				if active {
					accept = c.active(true)
				} else {
					dc = c.epsv()
				}
				c.send("STOR up.bin")
				if active {
					dc = accept()
				}
				c.want("150 Ok to send data.")
				data := bytes.Repeat([]byte("0123456789"), 30000)
				writeTLS(t, wrap(t, dc, cfg), data)
				c.want("226 Transfer complete.")
				if got, _ := s.ReadFile("up.bin"); !bytes.Equal(got, data) {
					t.Errorf("upload: %d bytes stored", len(got))
				}
			}
			// An upload ended by a plain close, without close_notify.
			dc := c.pasv()
			c.expect("STOR up2", "150 Ok to send data.")
			tc := wrap(t, dc, cfg)
			tc.Write([]byte("abc"))
			dc.Close()
			c.want("226 Transfer complete.")

			ts := s.Transfers()
			if len(ts) != 6 {
				t.Fatalf("transfers: %+v", ts)
			}
			for i, tr := range ts[1:] {
				if !tr.TLS || !tr.DidResume || tr.TLSVersion != v || tr.Aborted || tr.Active != (i == 2 || i == 3) {
					t.Errorf("transfer %d: %+v", i+1, tr)
				}
			}
			if !ts[2].CloseNotify || ts[5].CloseNotify {
				t.Errorf("CloseNotify: %+v", ts)
			}

			// CCC: back to clear text on the same socket.
			c.expect("CCC", "200 CCC command successful.")
			tcc := c.conn.(*tls.Conn)
			if err := tcc.CloseWrite(); err != nil {
				t.Fatal(err)
			}
			if n, err := io.Copy(io.Discard, c.r); err != nil || n != 0 {
				t.Fatalf("after CCC: %d bytes, %v", n, err)
			}
			c.conn = tcc.NetConn()
			c.r = bufio.NewReader(c.conn)
			c.expect("NOOP", "200 NOOP ok.")
			c.expect("PBSZ 0", "503 PBSZ not allowed on insecure control connection.")
			// Data protection survives CCC.
			dc = c.pasv()
			c.expect("NLST", "150 Here comes the directory listing.")
			if got := string(readTLS(t, wrap(t, dc, cfg))); !strings.HasPrefix(got, "a.txt\r\n") {
				t.Errorf("NLST after CCC: %q", got)
			}
			c.want("226 Directory send OK.")
			c.expect("QUIT", "221 Goodbye.")
		})
	}
}

func TestSessionReuse(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			s := newServer(t, startTLS, func(s *Server) { s.RequireSessionReuse = true })
			s.WriteFile("f", []byte("data"))
			open := func() (*client, *tls.Config) {
				c := dial(t, s)
				cfg := clientTLS(s, v)
				c.auth(cfg)
				c.login()
				c.protP()
				c.expect("NOOP", "200 NOOP ok.") // reads the TLS 1.3 ticket
				return c, cfg
			}
			a, cfgA := open()
			b, _ := open()

			// No session at all: refused, and the session is dropped.
			d := a.pasv()
			a.expect("RETR f", "150 Opening ASCII mode data connection for f (4 bytes).")
			fresh := clientTLS(s, v)
			tc := wrap(t, d, fresh)
			tc.Handshake()
			io.Copy(io.Discard, tc)
			a.want("522 SSL connection failed: session reuse required")
			a.eof()

			// Another control connection's session: refused too.
			d = b.pasv()
			b.expect("RETR f", "150 Opening ASCII mode data connection for f (4 bytes).")
			tc = wrap(t, d, cfgA)
			tc.Handshake()
			io.Copy(io.Discard, tc)
			b.want("522 SSL connection failed: session reuse required")
			b.eof()

			// Its own session, twice: accepted.
			c, cfg := open()
			for i := 0; i < 2; i++ {
				d = c.pasv()
				c.expect("RETR f", "150 Opening ASCII mode data connection for f (4 bytes).")
				if got := string(readTLS(t, wrap(t, d, cfg))); got != "data" {
					t.Errorf("got %q", got)
				}
				c.want("226 Transfer complete.")
			}
			ts := s.Transfers()
			if len(ts) != 4 || ts[0].DidResume || ts[1].DidResume || !ts[2].DidResume || !ts[3].DidResume || !ts[0].Aborted {
				t.Errorf("transfers: %+v", ts)
			}
		})
	}
}

func TestRequireTLS(t *testing.T) {
	s := newServer(t, startTLS, func(s *Server) { s.RequireTLS = true })
	c := dial(t, s)
	c.expect("USER user", "530 Non-anonymous sessions must use encryption.")
	cfg := clientTLS(s, 0)
	c.auth(cfg)
	c.login()
	c.pasv()
	c.expect("LIST", "521 Data connections must be encrypted.")
	c.protP()
	d := c.pasv()
	c.expect("LIST", "150 Here comes the directory listing.")
	readTLS(t, wrap(t, d, cfg))
	c.want("226 Directory send OK.")
}

func TestImplicitTLS(t *testing.T) {
	s := newServer(t, startImplicit, nil)
	fixture(t, s)
	c := dialImplicit(t, s)
	c.expect("AUTH TLS", "503 Already using TLS.")
	c.expect("FEAT", "211-Features:\n CCC\n EPRT\n EPSV\n HOST\n MDTM\n MFMT\n MLST type*;size*;modify*;perm*;unique*;\n PASV\n PBSZ\n PROT\n REST STREAM\n SIZE\n TVFS\n UTF8\n211 End")
	c.login()
	c.protP()
	d := c.epsv()
	c.expect("NLST dir", "150 Here comes the directory listing.")
	if got := string(readTLS(t, wrap(t, d, c.tls))); got != "dir/b.bin\r\n" {
		t.Errorf("got %q", got)
	}
	c.want("226 Directory send OK.")
	if ts := s.Transfers(); len(ts) != 1 || !ts[0].TLS || !ts[0].DidResume {
		t.Errorf("transfers: %+v", ts)
	}

	// Clear text on the implicit port: the handshake fails, the
	// connection is closed, the server goes on.
	conn, err := net.DialTimeout("tcp", s.Addr, hang)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "USER user\r\n"+strings.Repeat("\x16\x03\x01garbage", 1000))
	conn.SetReadDeadline(time.Now().Add(hang))
	if b, err := io.ReadAll(conn); err != nil && !isReset(err) {
		t.Errorf("read %q, %v", b, err)
	}
	c2 := dialImplicit(t, s)
	c2.login()
}

func isReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "reset") || strings.Contains(err.Error(), "broken pipe"))
}

func TestTLSGarbage(t *testing.T) {
	s := newServer(t, startTLS, nil)
	// A TLS client on the plain control port: its ClientHello is not a
	// command. The server answers 500s, then gives up; it never crashes.
	conn, err := net.DialTimeout("tcp", s.Addr, hang)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tc := tls.Client(conn, clientTLS(s, 0))
	tc.SetDeadline(time.Now().Add(hang))
	if err := tc.Handshake(); err == nil {
		t.Fatal("handshake succeeded on a plain port")
	}

	// Garbage after AUTH TLS, and garbage on a protected data connection.
	c := dial(t, s)
	c.expect("AUTH TLS", "234 Proceed with negotiation.")
	io.WriteString(c.conn, strings.Repeat("not a handshake\r\n", 100))
	c.eof()

	c = dial(t, s)
	cfg := clientTLS(s, 0)
	c.auth(cfg)
	c.login()
	c.protP()
	d := c.pasv()
	c.expect("LIST", "150 Here comes the directory listing.")
	io.WriteString(d, strings.Repeat("\x16\x03\x01\x00\x05hello", 10))
	c.want("425 Unable to build data connection: TLS handshake failed.")
	c.expect("NOOP", "200 NOOP ok.")

	// A plain client on an AUTH TLS server that sends binary junk with
	// many line ends: 500s and then 421.
	c = dial(t, s)
	junk := bytes.Repeat([]byte{0x16, 0x03, 0x01, 0xff, 0x00, '\n'}, 40)
	c.conn.Write(junk)
	for i := 0; i < MaxErrors; i++ {
		c.want("500 Unknown command.")
	}
	c.want("421 Too many errors; closing control connection.")
	c.eof()

	s2 := newServer(t, startPlain, nil)
	c = dial(t, s2)
	c.expect("AUTH TLS", "502 TLS not available.")
}
