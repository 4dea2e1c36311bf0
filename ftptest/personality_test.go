package ftptest

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func TestPersonalityIIS(t *testing.T) {
	s := newServer(t, startPlain, func(s *Server) {
		s.Welcome = "ftptest ready." // dial checks it
		s.Personality.IIS = true
	})
	if err := s.WriteFile("dir/a.txt", []byte("12345")); err != nil {
		t.Fatal(err)
	}
	when := time.Date(2026, 2, 12, 15, 4, 0, 0, time.UTC)
	s.SetModTime("dir/a.txt", when)
	s.SetModTime("dir", time.Date(2025, 11, 3, 0, 7, 0, 0, time.UTC))
	c := dial(t, s)
	c.expect("SYST", "215 Windows_NT")
	c.expect("FEAT", "211-Extended features supported:\n LANG EN*\n UTF8\n HOST\n SIZE\n MDTM\n REST STREAM\n211 END")
	c.expect("OPTS UTF8 ON", "200 OPTS UTF8 command successful - UTF8 encoding now ON.")
	c.login()
	c.expect("MLSD", "500 Command not understood.")
	c.expect("MLST dir", "500 Command not understood.")
	c.expect("TYPE A", "200 Switching to ASCII mode.")
	dc := c.pasv()
	c.expect("LIST", "125 Data connection already open; Transfer starting.")
	got, _ := io.ReadAll(dc)
	c.want("226 Directory send OK.")
	want := "11-03-25  12:07AM       <DIR>          dir\r\n"
	if string(got) != want {
		t.Errorf("LIST /:\n got %q\nwant %q", got, want)
	}
	dc = c.pasv()
	c.expect("LIST dir", "125 Data connection already open; Transfer starting.")
	got, _ = io.ReadAll(dc)
	c.want("226 Directory send OK.")
	want = "02-12-26  03:04PM                    5 a.txt\r\n"
	if string(got) != want {
		t.Errorf("LIST dir:\n got %q\nwant %q", got, want)
	}
}

func TestPersonalityIISGreeting(t *testing.T) {
	s := newServer(t, startPlain, func(s *Server) { s.Personality.IIS = true })
	conn, err := net.DialTimeout("tcp", s.Addr, hang)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &client{t: t, s: s, conn: conn, r: bufio.NewReader(conn)}
	if got := c.reply(); got != "220 Microsoft FTP Service\r\n" {
		t.Errorf("greeting %q", got)
	}
}

func TestPersonalityNAT(t *testing.T) {
	s := newServer(t, startPlain, func(s *Server) { s.Personality.NATAddress = "10.0.0.7" })
	c := dial(t, s)
	c.login()
	c.expect("EPSV", "502 EPSV not implemented.")
	r := c.cmd("PASV")
	if !strings.HasPrefix(r, "227 Entering Passive Mode (10,0,0,7,") {
		t.Errorf("PASV: %q", r)
	}
}

func TestPersonalityPRET(t *testing.T) {
	s := newServer(t, startPlain, func(s *Server) { s.Personality.RequirePRET = true })
	s.WriteFile("a.txt", []byte("abc"))
	c := dial(t, s)
	c.expect("PRET RETR a.txt", "530 Please login with USER and PASS.")
	c.login()
	if r := c.cmd("FEAT"); !strings.Contains(r, "\r\n PRET\r\n") {
		t.Errorf("FEAT does not list PRET: %q", r)
	}
	const refused = "500 You need to use a client supporting PRET (PRE Transfer) to use PASV"
	c.expect("PASV", refused)
	c.expect("EPSV", refused)
	c.expect("PRET", "501 PRET needs a transfer command.")
	c.expect("PRET CWD /", "501 PRET needs a transfer command.")
	c.expect("PRET RETR a.txt", "200 OK, will use master for upcoming transfer")
	c.expect("TYPE I", "200 Switching to Binary mode.")
	dc := c.epsv()
	c.expect("RETR a.txt", "150 Opening BINARY mode data connection for a.txt (3 bytes).")
	got, _ := io.ReadAll(dc)
	c.want("226 Transfer complete.")
	if string(got) != "abc" {
		t.Errorf("RETR: %q", got)
	}
	// PRET is good for one PASV only.
	c.expect("PASV", refused)
	// The transfer must be the one announced.
	c.expect("PRET LIST", "200 OK, will use master for upcoming transfer")
	c.pasv()
	c.expect("RETR a.txt", "503 Bad sequence of commands: PRET announced LIST.")
	// Active mode needs no PRET.
	accept := c.active(false)
	c.expect("RETR a.txt", "150 Opening BINARY mode data connection for a.txt (3 bytes).")
	dc = accept()
	io.ReadAll(dc)
	dc.Close()
	c.want("226 Transfer complete.")
}

func TestPersonalityLegacyCharset(t *testing.T) {
	s := newServer(t, startPlain, func(s *Server) { s.Personality.LegacyCharset = true })
	s.WriteFile("ü.txt", []byte("x"))
	c := dial(t, s)
	c.login()
	c.expect("SIZE ü.txt", "550 Could not get file size.")
	c.expect("SIZE \xfc.txt", "213 1") // ISO 8859-1 ü
	c.expect("OPTS UTF8 ON", "200 Always in UTF8 mode.")
	c.expect("SIZE ü.txt", "213 1")
}

func TestPersonalityClockOffset(t *testing.T) {
	s := newServer(t, startPlain, func(s *Server) { s.Personality.ClockOffset = 300 * 24 * time.Hour })
	now := time.Now().UTC()
	// Recent by the server's clock, in the future by the machine's.
	ahead := now.Add(250 * 24 * time.Hour).Truncate(time.Minute)
	s.WriteFile("new", nil)
	s.SetModTime("new", ahead)
	// Recent by the machine's clock, old by the server's.
	s.WriteFile("old", nil)
	s.SetModTime("old", now.Add(-2*time.Hour))
	c := dial(t, s)
	c.login()
	dc := c.pasv()
	c.expect("LIST", "150 Here comes the directory listing.")
	got, _ := io.ReadAll(dc)
	c.want("226 Directory send OK.")
	if want := ahead.Format("Jan 02 15:04") + " new\r\n"; !strings.Contains(string(got), want) {
		t.Errorf("LIST %q does not hold %q", got, want)
	}
	if want := now.Add(-2*time.Hour).Format("Jan 02  2006") + " old\r\n"; !strings.Contains(string(got), want) {
		t.Errorf("LIST %q does not hold %q", got, want)
	}
}

// FuzzPersonalitySession feeds arbitrary bytes to a control connection of
// a server with every personality on, after a login, and checks that it
// neither crashes nor stops serving.
func FuzzPersonalitySession(f *testing.F) {
	for _, seed := range []string{
		"PRET RETR f\r\nPASV\r\nRETR f\r\n",
		"PRET LIST\r\nEPSV\r\nNLST\r\nPASV\r\n",
		"PRET\r\nPRET STOR\r\nPRET CWD x\r\nEPSV ALL\r\nPASV\r\n",
		"OPTS UTF8 ON\r\nSIZE \xfc\r\nOPTS UTF8\r\nMLSD\r\nMLST f\r\n",
		"SYST\r\nFEAT\r\nLIST -a\r\nPORT 127,0,0,1,0,1\r\nRETR f\r\n",
		"RETR \xff\xfe\r\nPRET RETR \xc3\r\n",
	} {
		f.Add([]byte(seed))
	}
	s := NewUnstartedServer()
	s.Welcome = "ftptest ready."
	s.Personality = Personality{IIS: true, NATAddress: "10.0.0.7", RequirePRET: true,
		ClockOffset: -400 * 24 * time.Hour, LegacyCharset: true}
	s.Start()
	f.Cleanup(s.Close)
	s.WriteFile("f", []byte("line one\nline two\n"))
	f.Fuzz(func(t *testing.T, input []byte) {
		conn, err := net.DialTimeout("tcp", s.Addr, hang)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(hang))
		go func() {
			conn.Write(append([]byte("USER user\r\nPASS pass\r\n"), input...))
			conn.(*net.TCPConn).CloseWrite()
		}()
		out, err := io.ReadAll(conn)
		if err != nil && !isReset(err) {
			t.Fatalf("reading replies: %v (after %q)", err, out)
		}
		if !strings.HasPrefix(string(out), "220 ftptest ready.\r\n331 ") {
			t.Fatalf("replies %q", out)
		}
		c := dial(t, s)
		c.expect("SYST", "215 Windows_NT")
	})
}
