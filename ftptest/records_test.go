package ftptest

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for a Logger's goroutines and the
// test's.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// jsonLogger returns a Logger writing JSON lines at Debug level to a
// buffer.
func jsonLogger() (*slog.Logger, *syncBuffer) {
	buf := new(syncBuffer)
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// ofKind returns the records of kind k.
func ofKind(recs []Record, k RecordKind) []Record {
	var out []Record
	for _, r := range recs {
		if r.Kind == k {
			out = append(out, r)
		}
	}
	return out
}

// codes returns the codes of the reply records.
func codes(recs []Record) []int {
	var out []int
	for _, r := range ofKind(recs, RecordReply) {
		out = append(out, r.Code)
	}
	return out
}

// commandsOf returns the command lines of the command records.
func commandsOf(recs []Record) []string {
	var out []string
	for _, r := range ofKind(recs, RecordCommand) {
		out = append(out, r.Command)
	}
	return out
}

func TestRecordsPlain(t *testing.T) {
	logger, logged := jsonLogger()
	s := newServer(t, startPlain, func(s *Server) { s.Logger = logger })
	fixture(t, s)
	c := dial(t, s)
	c.login()
	c.expect("TYPE I", "200 Switching to Binary mode.")
	d := c.epsv()
	c.expect("RETR a.txt", "150 Opening BINARY mode data connection for a.txt (15 bytes).")
	readAll(t, d)
	c.want("226 Transfer complete.")
	d = c.pasv()
	c.expect("STOR up.bin", "150 Ok to send data.")
	d.Write([]byte("12345"))
	d.Close()
	c.want("226 Transfer complete.")
	accept := c.active(true)
	c.send("LIST")
	d = accept()
	listing := readAll(t, d)
	c.want("150 Here comes the directory listing.")
	c.want("226 Directory send OK.")
	c.expect("FEAT", "211-Features:\n EPRT\n EPSV\n HOST\n MDTM\n MFMT\n MLST type*;size*;modify*;perm*;unique*;\n PASV\n REST STREAM\n SIZE\n TVFS\n UTF8\n211 End")
	c.expect("QUIT", "221 Goodbye.")

	recs := s.Records()
	wantCmds := []string{"USER user", "PASS ****", "TYPE I", "EPSV", "RETR a.txt", "PASV", "STOR up.bin",
		fmt.Sprintf("EPRT |1|127.0.0.1|%d|", 0), "LIST", "FEAT", "QUIT"}
	got := commandsOf(recs)
	if len(got) == len(wantCmds) && strings.HasPrefix(got[7], "EPRT |1|127.0.0.1|") {
		wantCmds[7] = got[7] // the port changes from run to run
	}
	if !slices.Equal(got, wantCmds) {
		t.Errorf("commands:\n got %q\nwant %q", got, wantCmds)
	}
	if want := []int{220, 331, 230, 200, 229, 150, 226, 227, 150, 226, 200, 150, 226, 211, 221}; !slices.Equal(codes(recs), want) {
		t.Errorf("reply codes: got %v, want %v", codes(recs), want)
	}
	if feat := ofKind(recs, RecordReply)[13]; !strings.HasPrefix(feat.Text, "211-Features:\n EPRT\n EPSV\n") || !strings.HasSuffix(feat.Text, "\n UTF8\n211 End") {
		t.Errorf("FEAT reply text %q", feat.Text)
	}

	conns := ofKind(recs, RecordDataConn)
	if len(conns) != 3 {
		t.Fatalf("data connection records: %+v", conns)
	}
	if conns[0].Active || conns[0].Addr != d0addr(t, s, recs) || conns[0].TLS || conns[0].Command != "RETR a.txt" {
		t.Errorf("EPSV data connection: %+v", conns[0])
	}
	if conns[0].Peer != conns[0].Addr && !strings.HasPrefix(conns[0].Peer, "127.0.0.1:") {
		t.Errorf("EPSV data connection's peer: %+v", conns[0])
	}
	if !conns[2].Active || conns[2].Command != "LIST" || !strings.HasPrefix(conns[2].Addr, "127.0.0.1:") ||
		conns[2].Peer != "127.0.0.1:"+strings.Trim(strings.TrimPrefix(got[7], "EPRT |1|127.0.0.1"), "|") {
		t.Errorf("EPRT data connection: %+v", conns[2])
	}
	xs := ofKind(recs, RecordTransfer)
	want := []struct {
		cmd, path string
		bytes     int64
	}{{"RETR a.txt", "/a.txt", 15}, {"STOR up.bin", "/up.bin", 5}, {"LIST", "", int64(len(listing))}}
	if len(xs) != len(want) {
		t.Fatalf("transfer records: %+v", xs)
	}
	for i, w := range want {
		x := xs[i]
		if x.Command != w.cmd || x.Path != w.path || x.Bytes != w.bytes || x.Result != ResultOK || x.Code != 226 || x.Duration <= 0 {
			t.Errorf("transfer %d: %+v, want %s %s %d ok 226", i, x, w.cmd, w.path, w.bytes)
		}
		if tr := s.Transfers()[i]; tr.Bytes != x.Bytes || tr.Command != x.Command || tr.Active != x.Active {
			t.Errorf("transfer %d: record %+v, Transfers %+v", i, x, tr)
		}
	}
	for _, r := range recs {
		if r.Session != 1 || r.Time.IsZero() {
			t.Errorf("record %+v: want session 1 and a time", r)
		}
	}

	// The Logger got the same records, in order, as JSON lines.
	lines := strings.Split(strings.TrimSpace(logged.String()), "\n")
	if len(lines) != len(recs) {
		t.Fatalf("%d log lines for %d records:\n%s", len(lines), len(recs), logged)
	}
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %d: %v: %s", i, err, l)
		}
		r := recs[i]
		if m["msg"] != r.Kind.String() || m["session"] != 1.0 {
			t.Errorf("line %d %s for record %+v", i, l, r)
		}
		switch r.Kind {
		case RecordCommand:
			if m["cmd"] != r.Command || m["level"] != "DEBUG" {
				t.Errorf("line %d %s for record %+v", i, l, r)
			}
		case RecordReply:
			if m["code"] != float64(r.Code) || m["text"] != r.Text {
				t.Errorf("line %d %s for record %+v", i, l, r)
			}
		case RecordTransfer:
			if m["bytes"] != float64(r.Bytes) || m["result"] != "ok" || m["level"] != "INFO" || m["cmd"] != r.Command ||
				m["code"] != 226.0 || m["tls"] != nil || m["dur"] == nil || m["rate"] == nil {
				t.Errorf("line %d %s for record %+v", i, l, r)
			}
		case RecordDataConn:
			if m["addr"] != r.Addr || m["peer"] != r.Peer || m["mode"] != mode(r.Active) || m["tls"] != nil || m["dur"] == nil {
				t.Errorf("line %d %s for record %+v", i, l, r)
			}
		}
	}
}

// d0addr returns the address the first EPSV reply advertised.
func d0addr(t *testing.T, s *Server, recs []Record) string {
	t.Helper()
	for _, r := range ofKind(recs, RecordReply) {
		if r.Code == 229 {
			m := epsvRE.FindStringSubmatch(r.Text + "\r\n")
			host, _, _ := net.SplitHostPort(s.Addr)
			return net.JoinHostPort(host, m[1])
		}
	}
	t.Fatal("no 229 reply")
	return ""
}

// TestRecordsNoPassword sends passwords in every letter case, with PASS
// and ACCT, and checks that neither the records nor the Logger's output
// hold them.
func TestRecordsNoPassword(t *testing.T) {
	logger, logged := jsonLogger()
	text := new(syncBuffer)
	both := slog.New(multiHandler{logger.Handler(), slog.NewTextHandler(text, &slog.HandlerOptions{Level: slog.LevelDebug})})
	s := newServer(t, startPlain, func(s *Server) {
		s.Logger = both
		s.Users = map[string]string{"user": "s3cret-Pw"}
	})
	c := dial(t, s)
	c.expect("PASS s3cret-Pw", "503 Login with USER first.")
	c.expect("USER user", "331 Please specify the password.")
	c.expect("pass wrong-s3cret-Pw", "530 Login incorrect.")
	c.expect("USER user", "331 Please specify the password.")
	c.expect("PaSs s3cret-Pw", "230 Login successful.")
	c.expect("ACCT s3cret-Pw", "202 Command not implemented, superfluous at this site.")
	c.expect("acct  s3cret-Pw", "202 Command not implemented, superfluous at this site.")
	c.expect(" PASS s3cret-Pw", "500 Unknown command.")
	c.expect("PASS", "230 Already logged in.")
	c.expect("QUIT", "221 Goodbye.")

	for _, r := range s.Records() {
		if strings.Contains(fmt.Sprintf("%+v", r), "s3cret") {
			t.Errorf("record holds the password: %+v", r)
		}
	}
	for _, out := range []string{logged.String(), text.String()} {
		if strings.Contains(out, "s3cret") {
			t.Errorf("log holds the password:\n%s", out)
		}
	}
	want := []string{"PASS ****", "USER user", "PASS ****", "USER user", "PASS ****", "ACCT ****", "ACCT ****", "PASS ****", "PASS", "QUIT"}
	if got := commandsOf(s.Records()); !slices.Equal(got, want) {
		t.Errorf("commands:\n got %q\nwant %q", got, want)
	}
}

// multiHandler sends each record to several handlers.
type multiHandler []slog.Handler

func (m multiHandler) Enabled(ctx context.Context, l slog.Level) bool { return true }
func (m multiHandler) Handle(ctx context.Context, r slog.Record) error {
	for _, h := range m {
		if h.Enabled(ctx, r.Level) {
			h.Handle(ctx, r.Clone())
		}
	}
	return nil
}
func (m multiHandler) WithAttrs(a []slog.Attr) slog.Handler { return m }
func (m multiHandler) WithGroup(string) slog.Handler        { return m }

func TestRecordsTLS(t *testing.T) {
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
			c, cfg := open()
			for i := 0; i < 2; i++ {
				d := c.pasv()
				c.expect("RETR f", "150 Opening ASCII mode data connection for f (4 bytes).")
				readTLS(t, wrap(t, d, cfg))
				c.want("226 Transfer complete.")
			}
			// A data connection that does not resume: refused.
			a, _ := open()
			d := a.pasv()
			a.expect("RETR f", "150 Opening ASCII mode data connection for f (4 bytes).")
			tc := wrap(t, d, clientTLS(s, v))
			tc.Handshake()
			io.Copy(io.Discard, tc)
			a.want("522 SSL connection failed: session reuse required")
			a.eof()

			recs := s.Records()
			conns, xs := ofKind(recs, RecordDataConn), ofKind(recs, RecordTransfer)
			if len(conns) != 3 || len(xs) != 3 {
				t.Fatalf("data connections %+v\ntransfers %+v", conns, xs)
			}
			for i, r := range conns {
				resumed := i < 2
				if !r.TLS || r.TLSVersion != v || r.Resumed != resumed || r.Err != "" || r.Session != 1+i/2 {
					t.Errorf("data connection %d: %+v, want TLS %s, resumed %v", i, r, tls.VersionName(v), resumed)
				}
			}
			for i, r := range xs[:2] {
				if !r.TLS || !r.Resumed || r.Bytes != 4 || r.Result != ResultOK || r.Code != 226 {
					t.Errorf("transfer %d: %+v", i, r)
				}
			}
			if r := xs[2]; !r.TLS || r.Resumed || r.Result != ResultFailed || r.Code != 522 || r.Session != 2 {
				t.Errorf("refused transfer: %+v", r)
			}
			// AUTH TLS's 234 is recorded before the handshake, once.
			var got []int
			for _, r := range recs {
				if r.Session == 1 && r.Kind == RecordReply {
					got = append(got, r.Code)
				}
			}
			if want := []int{220, 234, 331, 230, 200, 200, 200, 227, 150, 226, 227, 150, 226}; !slices.Equal(got, want) {
				t.Errorf("session 1 replies: got %v, want %v", got, want)
			}
		})
	}
}

func TestRecordsFailures(t *testing.T) {
	s := newServer(t, startPlain, nil)
	s.WriteFile("big", bytes.Repeat([]byte("x"), 1<<16))
	s.AddFault(Fault{Command: "RETR", Nth: 1, StallData: true, CutAfter: 1000})
	s.AddFault(Fault{Command: "RETR", Nth: 2, Cut: true, CutAfter: 10})
	s.AddFault(Fault{Command: "PWD", Before: "257-first line\r\n"})
	s.AddFault(Fault{Command: "SYST", Reply: "garbage\r\n"})
	c := dial(t, s)
	c.login()
	c.expect("TYPE I", "200 Switching to Binary mode.")

	// Aborted by the client.
	d := c.pasv()
	c.expect("RETR big", "150 Opening BINARY mode data connection for big (65536 bytes).")
	buf := make([]byte, 1000)
	d.SetReadDeadline(time.Now().Add(hang))
	if _, err := d.Read(buf[:1]); err != nil {
		t.Fatal(err)
	}
	c.expect("ABOR", "426 Failure writing network stream.")
	c.want("226 ABOR successful.")

	// Cut by the server.
	d = c.pasv()
	c.expect("RETR big", "150 Opening BINARY mode data connection for big (65536 bytes).")
	readAll(t, d)
	c.want("426 Connection closed; transfer aborted.")

	// A multi-line reply written in two pieces, and a line that is no
	// reply.
	c.expect("PWD", "257-first line\n257 \"/\" is the current directory")
	c.send("SYST")
	if line, _ := c.r.ReadString('\n'); line != "garbage\r\n" {
		t.Fatalf("SYST: %q", line)
	}
	c.expect("NOOP", "200 NOOP ok.")

	recs := s.Records()
	xs := ofKind(recs, RecordTransfer)
	if len(xs) != 2 {
		t.Fatalf("transfers: %+v", xs)
	}
	if r := xs[0]; r.Result != ResultAborted || r.Code != 426 || r.Bytes != 1000 {
		t.Errorf("aborted transfer: %+v", r)
	}
	if r := xs[1]; r.Result != ResultFailed || r.Code != 426 || r.Bytes != 10 {
		t.Errorf("cut transfer: %+v", r)
	}
	replies := ofKind(recs, RecordReply)
	n := len(replies)
	if r := replies[n-3]; r.Code != 257 || r.Text != "257-first line\n257 \"/\" is the current directory" {
		t.Errorf("PWD reply: %+v", r)
	}
	if r := replies[n-2]; r.Code != 0 || r.Text != "garbage" {
		t.Errorf("SYST reply: %+v", r)
	}
	if want := []int{220, 331, 230, 200, 227, 150, 426, 226, 227, 150, 426, 257, 0, 200}; !slices.Equal(codes(recs), want) {
		t.Errorf("reply codes: got %v, want %v", codes(recs), want)
	}
}

// TestRecordsLevels checks the Logger's levels: a Logger at Info gets
// the transfers only, failed ones included.
func TestRecordsLevels(t *testing.T) {
	buf := new(syncBuffer)
	s := newServer(t, startPlain, func(s *Server) {
		s.Logger = slog.New(slog.NewTextHandler(buf, nil))
	})
	s.WriteFile("f", []byte("data"))
	s.AddFault(Fault{Command: "RETR", Nth: 2, Cut: true, CutAfter: 1})
	c := dial(t, s)
	c.login()
	for _, final := range []string{"226 Transfer complete.", "426 Connection closed; transfer aborted."} {
		d := c.pasv()
		c.expect("RETR f", "150 Opening ASCII mode data connection for f (4 bytes).")
		readAll(t, d)
		c.want(final)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `level=INFO msg="ftp transfer" session=1 cmd="RETR f" mode=passive path=/f bytes=4 dur=`) ||
		!strings.Contains(lines[0], " result=ok code=226") ||
		!strings.Contains(lines[1], `level=INFO msg="ftp transfer"`) || !strings.Contains(lines[1], " bytes=1 ") ||
		!strings.Contains(lines[1], " result=failed code=426") {
		t.Errorf("log:\n%s", buf)
	}
}

// TestRecordsConcurrent runs sessions in parallel while Records is read,
// for the race detector, and checks that each session's records are
// complete and in order.
func TestRecordsConcurrent(t *testing.T) {
	s := newServer(t, startPlain, nil)
	s.WriteFile("f", []byte("data"))
	const n = 8
	errs := make(chan error, n)
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				s.Records()
			}
		}
	}()
	defer close(stop)
	for i := 0; i < n; i++ {
		go func() {
			defer func() {
				var err error
				if r := recover(); r != nil {
					err = fmt.Errorf("%v", r)
				}
				errs <- err
			}()
			c := dial(&fatalTB{TB: t}, s)
			c.login()
			d := c.pasv()
			c.expect("RETR f", "150 Opening ASCII mode data connection for f (4 bytes).")
			readAll(c.t, d)
			c.want("226 Transfer complete.")
			c.expect("QUIT", "221 Goodbye.")
		}()
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	bySession := map[int][]string{}
	for _, r := range s.Records() {
		e := r.Kind.String()
		switch r.Kind {
		case RecordCommand:
			e = r.Command
		case RecordReply:
			e = fmt.Sprint(r.Code)
		}
		bySession[r.Session] = append(bySession[r.Session], e)
	}
	want := []string{"220", "USER user", "331", "PASS ****", "230", "PASV", "227", "RETR f",
		"150", "ftp data", "ftp transfer", "226", "QUIT", "221"}
	if len(bySession) != n {
		t.Errorf("%d sessions recorded, want %d", len(bySession), n)
	}
	for id, got := range bySession {
		if !slices.Equal(got, want) {
			t.Errorf("session %d:\n got %q\nwant %q", id, got, want)
		}
	}
}

func TestMaskCommand(t *testing.T) {
	for in, want := range map[string]string{
		"PASS x":      "PASS ****",
		"pass":        "pass",
		"pass ":       "PASS ****",
		"  Pass  a b": "PASS ****",
		"\tacct\tx":   "ACCT ****",
		"ACCT acc":    "ACCT ****",
		"PASSWORD x":  "PASS ****",
		"USER pass":   "USER pass",
		"":            "",
	} {
		if got := maskCommand(in); got != want {
			t.Errorf("maskCommand(%q) = %q, want %q", in, got, want)
		}
	}
}
