package ftptest

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// waitFor polls cond until it holds, failing the test after hang.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(hang)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestConnStats(t *testing.T) {
	s := newServer(t, startPlain, nil)
	if s.OpenConns() != 0 || s.MaxConcurrentConns() != 0 || s.TotalConns() != 0 {
		t.Fatalf("new server: open %d, max %d, total %d", s.OpenConns(), s.MaxConcurrentConns(), s.TotalConns())
	}
	// The greeting is sent after the accept is counted.
	a, b, c := dial(t, s), dial(t, s), dial(t, s)
	if n := s.OpenConns(); n != 3 {
		t.Errorf("OpenConns = %d, want 3", n)
	}
	if n := s.MaxConcurrentConns(); n != 3 {
		t.Errorf("MaxConcurrentConns = %d, want 3", n)
	}

	// QUIT counts the connection closed before the 221 is sent.
	a.expect("QUIT", "221 Goodbye.")
	if n := s.OpenConns(); n != 2 {
		t.Errorf("after QUIT: OpenConns = %d, want 2", n)
	}
	// A client that just goes away is counted once the server sees it.
	b.conn.Close()
	waitFor(t, "a closed connection to be counted", func() bool { return s.OpenConns() == 1 })

	s.ResetConnStats()
	if s.TotalConns() != 0 || s.MaxConcurrentConns() != 1 {
		t.Errorf("after reset: total %d, max %d; want 0, 1", s.TotalConns(), s.MaxConcurrentConns())
	}
	d := dial(t, s)
	if s.TotalConns() != 1 || s.MaxConcurrentConns() != 2 || s.OpenConns() != 2 {
		t.Errorf("after one more: total %d, max %d, open %d; want 1, 2, 2", s.TotalConns(), s.MaxConcurrentConns(), s.OpenConns())
	}
	// A connection the server closes (a fault here) counts too, once.
	s.AddFault(Fault{Command: "NOOP", CloseControl: true})
	d.send("NOOP")
	d.eof()
	waitFor(t, "a dropped connection to be counted", func() bool { return s.OpenConns() == 1 })
	c.expect("QUIT", "221 Goodbye.")
	waitFor(t, "every connection to be counted closed", func() bool { return s.OpenConns() == 0 })
	if s.TotalConns() != 1 || s.MaxConcurrentConns() != 2 {
		t.Errorf("at the end: total %d, max %d; want 1, 2", s.TotalConns(), s.MaxConcurrentConns())
	}
}

func TestConnStatsImplicitTLS(t *testing.T) {
	s := newServer(t, startImplicit, nil)
	c := dialImplicit(t, s)
	if s.OpenConns() != 1 || s.TotalConns() != 1 {
		t.Errorf("open %d, total %d; want 1, 1", s.OpenConns(), s.TotalConns())
	}
	c.expect("QUIT", "221 Goodbye.")
	if n := s.OpenConns(); n != 0 {
		t.Errorf("after QUIT: OpenConns = %d", n)
	}
}

func TestBytesCounted(t *testing.T) {
	s := newServer(t, startPlain, nil)
	const data = "0123456789"
	s.WriteFile("dir/f", []byte(data))
	s.AddFault(Fault{Command: "RETR", Nth: 1, Cut: true, CutAfter: 4})
	s.AddFault(Fault{Command: "STOR", Nth: 1, Cut: true, CutAfter: 3})
	c := dial(t, s)
	c.login()
	c.expect("TYPE I", "200 Switching to Binary mode.")
	c.expect("CWD dir", "250 Directory successfully changed.")

	// A cut download, resumed: every byte is sent once.
	d := c.pasv()
	c.expect("RETR f", "150 Opening BINARY mode data connection for f (10 bytes).")
	got := string(readAll(t, d))
	c.want("426 Connection closed; transfer aborted.")
	if got != "0123" || s.BytesSent("dir/f") != 4 {
		t.Errorf("cut: read %q, BytesSent %d", got, s.BytesSent("/dir/f"))
	}
	d = c.pasv()
	c.expect("REST 4", "350 Restart position accepted (4).")
	c.expect("RETR f", "150 Opening BINARY mode data connection for f (6 bytes).")
	got += string(readAll(t, d))
	c.want("226 Transfer complete.")
	if got != data {
		t.Errorf("resumed download: %q", got)
	}
	if n := s.BytesSent("/dir/f"); n != 10 {
		t.Errorf("after resuming: BytesSent = %d, want 10", n)
	}
	// Starting again from the beginning sends every byte again.
	d = c.pasv()
	c.expect("RETR /dir/f", "150 Opening BINARY mode data connection for /dir/f (10 bytes).")
	readAll(t, d)
	c.want("226 Transfer complete.")
	if n := s.BytesSent("dir/f"); n != 20 {
		t.Errorf("after a whole download: BytesSent = %d, want 20", n)
	}
	if n := s.BytesSent("dir/other"); n != 0 {
		t.Errorf("BytesSent of a file never read = %d", n)
	}
	// A listing counts for no file.
	d = c.pasv()
	c.expect("LIST", "150 Here comes the directory listing.")
	readAll(t, d)
	c.want("226 Directory send OK.")

	// Uploads: a cut STOR, then the rest with APPE.
	d = c.pasv()
	c.expect("STOR up", "150 Ok to send data.")
	d.Write([]byte("abcdef"))
	c.want("426 Connection closed; transfer aborted.")
	d.Close()
	d = c.pasv()
	c.expect("APPE up", "150 Ok to send data.")
	d.Write([]byte("def"))
	d.Close()
	c.want("226 Transfer complete.")
	if b, _ := s.ReadFile("dir/up"); string(b) != "abcdef" {
		t.Errorf("uploaded %q", b)
	}
	if n := s.BytesReceived("dir/up"); n != 6 {
		t.Errorf("BytesReceived = %d, want 6", n)
	}
	if n := s.BytesSent("dir/up"); n != 0 {
		t.Errorf("BytesSent of an uploaded file = %d", n)
	}

	var paths []string
	for _, x := range s.Transfers() {
		paths = append(paths, x.Path)
	}
	if p := strings.Join(paths, ","); p != "/dir/f,/dir/f,/dir/f,,/dir/up,/dir/up" {
		t.Errorf("Transfer.Path: %q", p)
	}
}

func TestFaultCloseAroundReply(t *testing.T) {
	s := newServer(t, startPlain, nil)
	s.WriteFile("a", []byte("data"))
	s.AddFault(Fault{Command: "RNTO", Nth: 1, CloseBeforeReply: true})
	s.AddFault(Fault{Command: "DELE", Nth: 1, CloseAfterReply: true})
	s.AddFault(Fault{Command: "MKD", Nth: 1, CloseBeforeReply: true})
	s.AddFault(Fault{Command: "RETR", Nth: 1, CloseBeforeReply: true})
	s.AddFault(Fault{Command: "RETR", Nth: 2, CloseAfterReply: true})
	s.AddFault(Fault{Command: "RETR", Nth: 3, Reply: "421 Service not available, closing control connection.", CloseAfterReply: true})
	s.AddFault(Fault{Command: "SITE", Reply: "421 Bye.", CloseAfterReply: true})
	s.AddFault(Fault{Command: "SIZE", Nth: 1, CloseBeforeReply: true})

	// The rename happens, its reply is lost.
	c := dial(t, s)
	c.login()
	c.expect("RNFR a", "350 Ready for RNTO.")
	c.send("RNTO b")
	c.eof()
	if _, err := s.Stat("b"); err != nil {
		t.Errorf("rename did not happen: %v", err)
	}
	// The reply arrives, then the connection ends.
	c = dial(t, s)
	c.login()
	c.expect("DELE b", "250 Delete operation successful.")
	c.eof()
	c = dial(t, s)
	c.login()
	c.send("MKD d")
	c.eof()
	if fi, err := s.Stat("d"); err != nil || !fi.IsDir() {
		t.Errorf("MKD did not happen: %v", err)
	}
	// A failing command loses its reply too.
	c = dial(t, s)
	c.login()
	c.send("SIZE missing")
	c.eof()

	// Transfers: the data goes through; the final reply is lost, or
	// sent before the end.
	s.WriteFile("f", []byte("0123456789"))
	c = dial(t, s)
	c.login()
	d := c.pasv()
	c.expect("RETR f", "150 Opening ASCII mode data connection for f (10 bytes).")
	if got := string(readAll(t, d)); got != "0123456789" {
		t.Errorf("CloseBeforeReply download: %q", got)
	}
	c.eof()
	c = dial(t, s)
	c.login()
	d = c.pasv()
	c.expect("RETR f", "150 Opening ASCII mode data connection for f (10 bytes).")
	readAll(t, d)
	c.want("226 Transfer complete.")
	c.eof()
	// 421 and close; the data connection setup is dropped.
	c = dial(t, s)
	c.login()
	c.pasv()
	c.expect("RETR f", "421 Service not available, closing control connection.")
	c.eof()
	// An unknown verb answered by Reply can close too.
	c = dial(t, s)
	c.login()
	c.expect("SITE HELP", "421 Bye.")
	c.eof()

	// Later occurrences are handled normally.
	c = dial(t, s)
	c.login()
	c.expect("RNFR f", "350 Ready for RNTO.")
	c.expect("RNTO g", "250 Rename successful.")
	c.expect("SIZE g", "213 10")
	c.expect("NOOP", "200 NOOP ok.")
	waitFor(t, "closed sessions to be counted", func() bool { return s.OpenConns() == 1 })
}

func TestFaultGreeting421(t *testing.T) {
	s := newServer(t, startPlain, nil)
	s.AddFault(Fault{Command: "", Nth: 1, Reply: "421 Too many connections.", CloseAfterReply: true})
	s.AddFault(Fault{Command: "", Nth: 2, CloseAfterReply: true})
	s.AddFault(Fault{Command: "", Nth: 3, CloseBeforeReply: true})
	for i, want := range []string{"421 Too many connections.\r\n", "220 ftptest ready.\r\n", ""} {
		c := &client{t: t, s: s}
		var err error
		c.conn, err = net.DialTimeout("tcp", s.Addr, hang)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.conn.Close() })
		c.r = bufio.NewReader(c.conn)
		if want != "" {
			if got := c.reply(); got != want {
				t.Errorf("%d: greeting %q, want %q", i+1, got, want)
			}
		}
		c.eof()
	}
	c := dial(t, s)
	c.login()
}

// TestHandledExcludesLinesAfterClose sends a command the server answers and
// then closes on, together with one more line in the same write: the server
// may read that line (Commands) but never acts on it (Handled).
func TestHandledExcludesLinesAfterClose(t *testing.T) {
	s := newServer(t, startPlain, nil)
	s.WriteFile("a", []byte("data"))
	s.AddFault(Fault{Command: "DELE", Nth: 1, CloseAfterReply: true})
	c := dial(t, s)
	c.login()
	before := len(s.Handled())
	c.conn.SetWriteDeadline(time.Now().Add(hang))
	if _, err := io.WriteString(c.conn, "DELE a\r\nMKD after-close\r\n"); err != nil {
		t.Fatal(err)
	}
	if got := c.reply(); !strings.HasPrefix(got, "250 ") {
		t.Fatalf("DELE: %q", got)
	}
	c.eof()
	if got := s.Handled()[before:]; len(got) != 1 || got[0] != "DELE a" {
		t.Errorf("Handled after login = %q, want only DELE a", got)
	}
	if _, err := s.Stat("after-close"); err == nil {
		t.Error("the line sent after the closing reply took effect")
	}
	if h, all := len(s.Handled()), len(s.Commands()); h > all {
		t.Errorf("%d lines handled but only %d received", h, all)
	}
}
