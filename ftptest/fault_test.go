package ftptest

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestFaultReplies(t *testing.T) {
	s := newServer(t, startPlain, nil)
	long := strings.Repeat("x", 100000)
	s.AddFault(Fault{Command: "pwd", Reply: "451 try later"})
	s.AddFault(Fault{Command: "NOOP", Nth: 2, Reply: "500 second NOOP"})
	s.AddFault(Fault{Command: "SYST", Nth: 1, Reply: "211-first line\r\n more\r\n211 End"})
	s.AddFault(Fault{Command: "SYST", Nth: 2, Reply: "garbage"})
	s.AddFault(Fault{Command: "SYST", Nth: 3, Reply: "200 " + long})
	s.AddFault(Fault{Command: "SYST", Nth: 4, Reply: "200 bare\n"})
	s.AddFault(Fault{Command: "HELP", After: "226 stray"})
	s.AddFault(Fault{Command: "MODE", Before: "200 early"})
	s.AddFault(Fault{Command: "SITE", Reply: "200 SITE ok"})
	c := dial(t, s)
	c.login()
	c.expect("PWD", "451 try later")
	c.expect("PWD", "451 try later")
	c.expect("NOOP", "200 NOOP ok.")
	c.expect("NOOP", "500 second NOOP")
	c.expect("NOOP", "200 NOOP ok.")
	c.expect("SYST", "211-first line\n more\n211 End")
	c.send("SYST")
	c.conn.SetReadDeadline(time.Now().Add(hang))
	if line, _ := c.r.ReadString('\n'); line != "garbage\r\n" {
		t.Errorf("malformed reply: %q", line)
	}
	c.expect("SYST", "200 "+long)
	c.send("SYST")
	if line, _ := c.r.ReadString('\n'); line != "200 bare\n" {
		t.Errorf("bare LF reply: %q", line)
	}
	c.expect("SYST", "215 UNIX Type: L8")
	c.send("HELP")
	if r := c.reply(); !strings.HasPrefix(r, "214-") {
		t.Errorf("HELP: %q", r)
	}
	c.want("226 stray")
	c.expect("MODE S", "200 early")
	c.want("200 Mode set to S.")
	c.expect("SITE CHMOD 644 x", "200 SITE ok")
	s.ClearFaults()
	c.expect("PWD", `257 "/" is the current directory`)
	c.expect("SITE x", "500 Unknown command.")
}

func TestFaultGreeting(t *testing.T) {
	s := newServer(t, startPlain, func(s *Server) { s.Welcome = "Welcome,\nfriend." })
	conn, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, s: s, conn: conn, r: bufio.NewReader(conn)}
	c.want("220-Welcome,\n220 friend.")
	conn.Close()

	s.AddFault(Fault{Command: "", Nth: 1, Reply: "421 Too busy."})
	s.AddFault(Fault{Command: "", Nth: 2, CloseControl: true})
	s.AddFault(Fault{Command: "", Nth: 3, Before: "120 Wait a moment."})
	conn, err = net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	c = &client{t: t, s: s, conn: conn, r: bufio.NewReader(conn)}
	c.want("421 Too busy.")
	conn.Close()
	conn, err = net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	c = &client{t: t, s: s, conn: conn, r: bufio.NewReader(conn)}
	c.eof()
	conn.Close()
	conn, err = net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c = &client{t: t, s: s, conn: conn, r: bufio.NewReader(conn)}
	c.want("120 Wait a moment.")
	c.want("220-Welcome,\n220 friend.")
}

func TestFaultDelay(t *testing.T) {
	s := newServer(t, startPlain, nil)
	const delay = 50 * time.Millisecond
	s.AddFault(Fault{Command: "NOOP", Delay: delay})
	c := dial(t, s)
	start := time.Now()
	c.expect("NOOP", "200 NOOP ok.")
	if d := time.Since(start); d < delay {
		t.Errorf("reply after %v, want at least %v", d, delay)
	}
}

func TestFaultStallAndClose(t *testing.T) {
	s := newServer(t, startPlain, nil)
	s.AddFault(Fault{Command: "PWD", Stall: true})
	s.AddFault(Fault{Command: "CWD", CloseControl: true})
	c := dial(t, s)
	c.login()
	c.send("CWD /")
	c.eof()

	c = dial(t, s)
	c.login()
	c.send("PWD")
	c.send("NOOP")
	c.conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if line, err := c.r.ReadString('\n'); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("stalled session replied %q, %v", line, err)
	}
	// Commands sent to a stalled session are still logged.
	deadline := time.Now().Add(hang)
	for log := s.Commands(); log[len(log)-1] != "NOOP"; log = s.Commands() {
		if time.Now().After(deadline) {
			t.Fatalf("log: %q", log)
		}
		time.Sleep(time.Millisecond)
	}
	// A stall also ends when the client goes away; another stalled
	// session is released by Close (checked by newServer's cleanup).
	c.conn.Close()
	c = dial(t, s)
	c.login()
	c.send("PWD")
}

func TestFaultData(t *testing.T) {
	s := newServer(t, startTLS, nil)
	s.WriteFile("f", []byte("0123456789"))
	s.AddFault(Fault{Command: "RETR", Nth: 1, Cut: true, CutAfter: 4})
	s.AddFault(Fault{Command: "RETR", Nth: 2, Cut: true, CutAfter: 4, Final: "226 Transfer complete."})
	s.AddFault(Fault{Command: "RETR", Nth: 3, Cut: true, CutAfter: 0})
	s.AddFault(Fault{Command: "RETR", Nth: 4, Prelim: "125 Data connection already open.", Final: "226-Options: none\r\n226 Done."})
	s.AddFault(Fault{Command: "RETR", Nth: 5, Before: "200 early", Prelim: "150-Accepted data connection\r\n150 10 bytes to download"})
	s.AddFault(Fault{Command: "RETR", Nth: 6, CloseAfterData: true})
	s.AddFault(Fault{Command: "STOR", Nth: 1, Cut: true, CutAfter: 3})
	s.AddFault(Fault{Command: "RETR", Nth: 7, Cut: true, CutAfter: 4})
	s.AddFault(Fault{Command: "PASV", Nth: 1, PASVHost: "10.1.2.3"})
	s.AddFault(Fault{Command: "PASV", Nth: 2, PASVHost: "1.2.3"})
	s.AddFault(Fault{Command: "RETR", Nth: 8, Reply: "550 Permission denied."})
	c := dial(t, s)
	c.login()
	c.expect("TYPE I", "200 Switching to Binary mode.")
	const prelim = "150 Opening BINARY mode data connection for f (10 bytes)."

	// PASVHost: the reply lies, the listener is still ours.
	r := c.cmd("PASV")
	m := pasvRE.FindStringSubmatch(r)
	if m == nil || !strings.HasPrefix(r, "227 Entering Passive Mode (10,1,2,3,") {
		t.Fatalf("PASV: %q", r)
	}
	d, err := net.Dial("tcp", "127.0.0.1:"+itoa(atoi(m[5])<<8|atoi(m[6])))
	if err != nil {
		t.Fatal(err)
	}
	c.expect("RETR f", prelim)
	if got := string(readAll(t, d)); got != "0123" {
		t.Errorf("cut: %q", got)
	}
	c.want("426 Connection closed; transfer aborted.")
	r = c.cmd("PASV")
	if !strings.HasPrefix(r, "227 Entering Passive Mode (1,2,3,") {
		t.Errorf("malformed PASV: %q", r)
	}
	c.expect("ABOR", "225 No transfer to ABOR.")

	d = c.pasv()
	c.expect("RETR f", prelim)
	if got := string(readAll(t, d)); got != "0123" {
		t.Errorf("cut: %q", got)
	}
	c.want("226 Transfer complete.") // the lie

	d = c.pasv()
	c.expect("RETR f", prelim)
	if got := string(readAll(t, d)); got != "" {
		t.Errorf("cut at 0: %q", got)
	}
	c.want("426 Connection closed; transfer aborted.")

	d = c.pasv()
	c.expect("RETR f", "125 Data connection already open.")
	readAll(t, d)
	c.want("226-Options: none\n226 Done.")

	d = c.pasv()
	c.expect("RETR f", "200 early")
	c.want("150-Accepted data connection\n150 10 bytes to download")
	readAll(t, d)
	c.want("226 Transfer complete.")

	d = c.pasv()
	c.expect("RETR f", prelim)
	if got := string(readAll(t, d)); got != "0123456789" {
		t.Errorf("before CloseAfterData: %q", got)
	}
	c.eof()

	c = dial(t, s)
	cfg := clientTLS(s, 0)
	c.auth(cfg)
	c.login()
	c.protP()
	d = c.pasv()
	c.expect("STOR up", "150 Ok to send data.")
	tc := wrap(t, d, cfg)
	tc.Write([]byte("abcdef"))
	c.want("426 Connection closed; transfer aborted.")
	if got, _ := s.ReadFile("up"); string(got) != "abc" {
		t.Errorf("cut upload stored %q", got)
	}
	// A protected download cut short ends without close_notify (Go's
	// crypto/tls reports that as a clean EOF at a record boundary; the
	// 426 is what tells).
	d = c.pasv()
	c.expect("RETR f", "150 Opening ASCII mode data connection for f (10 bytes).")
	tc = wrap(t, d, cfg)
	if got, _ := io.ReadAll(tc); string(got) != "0123" {
		t.Errorf("cut TLS download: %q", got)
	}
	c.want("426 Connection closed; transfer aborted.")
	c.pasv()
	c.expect("RETR f", "550 Permission denied.")
	// Reply replaced the whole command: the PASV is still pending.
	c.expect("ABOR", "225 No transfer to ABOR.")
	c.expect("RETR f", "425 Use PORT or PASV first.")
}

func itoa(n int) string { return strconv.Itoa(n) }
func atoi(s string) int { n, _ := strconv.Atoi(s); return n }
