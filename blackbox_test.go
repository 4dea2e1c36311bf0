package ftp_test

// Black-box tests: every Conn method against the in-process ftptest
// server, in passive and active mode, over IPv4 and IPv6. Each test checks
// the result the client returns and what the server saw (its file tree and
// its command log).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/ftptest"
)

// hangGuard bounds every test; it is never a timing assertion.
const hangGuard = 10 * time.Second

// netMode is one combination of address family and data connection mode.
type netMode struct {
	name   string
	ipv6   bool
	active bool
}

var netModes = []netMode{
	{"ipv4-passive", false, false},
	{"ipv4-active", false, true},
	{"ipv6-passive", true, false},
	{"ipv6-active", true, true},
}

var ipv6Once struct {
	sync.Once
	ok bool
}

// canListenIPv6 reports whether [::1] can be listened on.
func canListenIPv6() bool {
	ipv6Once.Do(func() {
		ln, err := net.Listen("tcp6", "[::1]:0")
		if err == nil {
			ln.Close()
			ipv6Once.ok = true
		}
	})
	return ipv6Once.ok
}

// forEachMode runs fn as a subtest in each network mode.
func forEachMode(t *testing.T, fn func(t *testing.T, m netMode)) {
	for _, m := range netModes {
		t.Run(m.name, func(t *testing.T) {
			if m.ipv6 && !canListenIPv6() {
				t.Skip("cannot listen on [::1]")
			}
			fn(t, m)
		})
	}
}

// env is one test's server, client and context.
type env struct {
	t   *testing.T
	m   netMode
	srv *ftptest.Server
	c   *ftp.Conn
	ctx context.Context
}

// newServer starts an ftptest server for m; setup, if not nil, changes its
// configuration first.
func newServer(t *testing.T, m netMode, setup func(*ftptest.Server)) *ftptest.Server {
	t.Helper()
	ftp.CheckLeaks(t)
	srv := ftptest.NewUnstartedServer()
	srv.IPv6 = m.ipv6
	if setup != nil {
		setup(srv)
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// dialMode connects to srv in mode m, without logging in.
func dialMode(t *testing.T, ctx context.Context, srv *ftptest.Server, m netMode) *ftp.Conn {
	t.Helper()
	d := &ftp.Dialer{Active: m.active}
	c, err := d.Dial(ctx, srv.Addr)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// setup starts a server, connects and logs in as user/pass.
func setup(t *testing.T, m netMode, cfg func(*ftptest.Server)) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	t.Cleanup(cancel)
	srv := newServer(t, m, cfg)
	c := dialMode(t, ctx, srv, m)
	if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
		t.Fatalf("Login: %v", err)
	}
	return &env{t: t, m: m, srv: srv, c: c, ctx: ctx}
}

// mark returns the number of commands the server has logged, for since.
func (e *env) mark() int { return len(e.srv.Commands()) }

// since returns the commands the server received after mark n.
func (e *env) since(n int) []string { return e.srv.Commands()[n:] }

// wantCmds checks that the server received exactly want after mark n.
// An entry ending in "*" matches any command with that prefix.
func (e *env) wantCmds(n int, want ...string) {
	e.t.Helper()
	got := e.since(n)
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		if p, wild := strings.CutSuffix(want[i], "*"); wild {
			ok = strings.HasPrefix(got[i], p)
		} else {
			ok = got[i] == want[i]
		}
	}
	if !ok {
		e.t.Errorf("server received %q, want %q", got, want)
	}
}

// dataCmd is the command that sets up a data connection in the env's mode.
func (e *env) dataCmd() string {
	switch {
	case e.m.active && e.m.ipv6:
		return "EPRT |2|::1|*"
	case e.m.active:
		return "PORT 127,0,0,1,*"
	case e.m.ipv6:
		return "EPSV"
	}
	return "PASV"
}

// file returns the content of name on the server.
func (e *env) file(name string) string {
	e.t.Helper()
	b, err := e.srv.ReadFile(name)
	if err != nil {
		e.t.Fatalf("server ReadFile(%q): %v", name, err)
	}
	return string(b)
}

// put stores name on the server.
func (e *env) put(name, data string) {
	e.t.Helper()
	if err := e.srv.WriteFile(name, []byte(data)); err != nil {
		e.t.Fatal(err)
	}
}

// lastTransfer returns the server's record of the last data connection.
func (e *env) lastTransfer() ftptest.Transfer {
	e.t.Helper()
	tr := e.srv.Transfers()
	if len(tr) == 0 {
		e.t.Fatal("server recorded no transfer")
	}
	return tr[len(tr)-1]
}

// checkTransfer checks the mode and byte count of the last data connection.
func (e *env) checkTransfer(cmd string, bytes int64, aborted bool) {
	e.t.Helper()
	tr := e.lastTransfer()
	if tr.Command != cmd || tr.Active != e.m.active || tr.Bytes != bytes || tr.Aborted != aborted {
		e.t.Errorf("server transfer = %+v, want command %q, active %v, %d bytes, aborted %v",
			tr, cmd, e.m.active, bytes, aborted)
	}
}

// alive checks that the connection still answers in step.
func (e *env) alive() {
	e.t.Helper()
	if resp, err := e.c.Noop(e.ctx); err != nil || resp != "200 NOOP ok." {
		e.t.Fatalf("Noop = %q, %v; want 200 NOOP ok.", resp, err)
	}
}

// replyCode returns the code of an *ftp.Error in err's chain, or -1.
func replyCode(err error) int {
	var fe *ftp.Error
	if errors.As(err, &fe) {
		return fe.Code
	}
	return -1
}

// wantErr checks that err is of class and carries the reply code.
func wantErr(t *testing.T, err error, class error, code int) {
	t.Helper()
	if !errors.Is(err, class) || replyCode(err) != code {
		t.Fatalf("err = %v; want class %v with code %d (got code %d)", err, class, code, replyCode(err))
	}
}

// pattern returns n bytes of a non-repeating-looking pattern.
func pattern(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// --- Login, welcome and simple commands --------------------------------

func TestBlackboxLogin(t *testing.T) {
	forEachMode(t, func(t *testing.T, m netMode) {
		ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
		defer cancel()
		srv := newServer(t, m, func(s *ftptest.Server) { s.Welcome = "Hello\nthere" })
		c := dialMode(t, ctx, srv, m)
		if got := c.Welcome(); got != "220-Hello\n220 there" {
			t.Errorf("Welcome = %q", got)
		}
		e := &env{t: t, m: m, srv: srv, c: c, ctx: ctx}

		n := e.mark()
		_, err := c.Login(ctx, "user", "wrong", "")
		wantErr(t, err, ftp.ErrPerm, 530)
		e.wantCmds(n, "USER user", "PASS wrong")

		n = e.mark()
		resp, err := c.Login(ctx, "user", "pass", "")
		if err != nil || resp != "230 Login successful." {
			t.Fatalf("Login = %q, %v", resp, err)
		}
		e.wantCmds(n, "USER user", "PASS pass")

		n = e.mark()
		resp, err = c.Acct(ctx, "dept42")
		if err != nil || resp != "202 Command not implemented, superfluous at this site." {
			t.Fatalf("Acct = %q, %v", resp, err)
		}
		e.wantCmds(n, "ACCT dept42")
	})
}

func TestBlackboxLoginAnonymous(t *testing.T) {
	forEachMode(t, func(t *testing.T, m netMode) {
		for _, tc := range []struct{ user, pass, sent string }{
			{"", "", "PASS anonymous@"},
			{"anonymous", "-", "PASS -anonymous@"},
			{"anonymous", "me@example.org", "PASS me@example.org"},
		} {
			ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
			srv := newServer(t, m, nil)
			c := dialMode(t, ctx, srv, m)
			e := &env{t: t, m: m, srv: srv, c: c, ctx: ctx}
			resp, err := c.Login(ctx, tc.user, tc.pass, "")
			if err != nil || resp != "230 Login successful." {
				t.Fatalf("Login(%q, %q) = %q, %v", tc.user, tc.pass, resp, err)
			}
			e.wantCmds(0, "USER anonymous", tc.sent)
			// An anonymous session can list and download.
			e.put("pub/readme", "hi")
			var buf bytes.Buffer
			if _, err := c.RetrBinary(ctx, "RETR pub/readme", &buf); err != nil || buf.String() != "hi" {
				t.Fatalf("anonymous RetrBinary = %q, %v", buf.String(), err)
			}
			cancel()
		}
	})
}

func TestBlackboxSendCmdVoidCmd(t *testing.T) {
	forEachMode(t, func(t *testing.T, m netMode) {
		e := setup(t, m, nil)
		e.put("a", "x")

		n := e.mark()
		resp, err := e.c.SendCmd(e.ctx, "SYST")
		if err != nil || resp != "215 UNIX Type: L8" {
			t.Fatalf("SendCmd(SYST) = %q, %v", resp, err)
		}
		// SendCmd accepts a 3xx reply; VoidCmd does not.
		resp, err = e.c.SendCmd(e.ctx, "RNFR a")
		if err != nil || resp != "350 Ready for RNTO." {
			t.Fatalf("SendCmd(RNFR) = %q, %v", resp, err)
		}
		_, err = e.c.VoidCmd(e.ctx, "RNFR a")
		wantErr(t, err, ftp.ErrReply, 350)
		_, err = e.c.SendCmd(e.ctx, "DELE missing")
		wantErr(t, err, ftp.ErrPerm, 550)
		resp, err = e.c.VoidCmd(e.ctx, "TYPE I")
		if err != nil || resp != "200 Switching to Binary mode." {
			t.Fatalf("VoidCmd(TYPE I) = %q, %v", resp, err)
		}
		e.wantCmds(n, "SYST", "RNFR a", "RNFR a", "DELE missing", "TYPE I")
		if e.c.LastResp() != "200" {
			t.Errorf("LastResp = %q", e.c.LastResp())
		}

		// A command holding a line break is refused and nothing is sent.
		n = e.mark()
		_, err = e.c.SendCmd(e.ctx, "NOOP\r\nDELE a")
		if !errors.Is(err, ftp.ErrIllegalNewline) {
			t.Fatalf("SendCmd with CRLF: %v", err)
		}
		_, err = e.c.Rename(e.ctx, "a", "b\nDELE a")
		if !errors.Is(err, ftp.ErrIllegalNewline) {
			t.Fatalf("Rename with LF: %v", err)
		}
		e.wantCmds(n)
		e.alive()
	})
}

func TestBlackboxNoopWelcomeQuitClose(t *testing.T) {
	forEachMode(t, func(t *testing.T, m netMode) {
		e := setup(t, m, nil)
		if got := e.c.Welcome(); got != "220 ftptest ready." {
			t.Errorf("Welcome = %q", got)
		}
		n := e.mark()
		e.alive()
		resp, err := e.c.Quit(e.ctx)
		if err != nil || resp != "221 Goodbye." {
			t.Fatalf("Quit = %q, %v", resp, err)
		}
		e.wantCmds(n, "NOOP", "QUIT")
		if _, err := e.c.Noop(e.ctx); !errors.Is(err, ftp.ErrClosed) {
			t.Fatalf("Noop after Quit: %v", err)
		}
		if err := e.c.Close(); err != nil {
			t.Fatalf("Close after Quit: %v", err)
		}

		e2 := setup(t, m, nil)
		if err := e2.c.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := e2.c.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if _, err := e2.c.Pwd(e2.ctx); !errors.Is(err, ftp.ErrClosed) {
			t.Fatalf("Pwd after Close: %v", err)
		}
		// Close sends nothing (ftplib close is unilateral).
		for _, cmd := range e2.srv.Commands() {
			if cmd == "QUIT" {
				t.Fatal("Close sent QUIT")
			}
		}
	})
}

// --- Raw transfers -----------------------------------------------------

func TestBlackboxTransferCmd(t *testing.T) {
	forEachMode(t, func(t *testing.T, m netMode) {
		e := setup(t, m, nil)
		data := pattern(5000)
		e.put("f.bin", string(data))
		if _, err := e.c.VoidCmd(e.ctx, "TYPE I"); err != nil {
			t.Fatal(err)
		}

		// NTransferCmd with Rest: the size is what follows the offset.
		n := e.mark()
		conn, size, err := e.c.NTransferCmd(e.ctx, "RETR f.bin", ftp.Rest(1000))
		if err != nil {
			t.Fatalf("NTransferCmd: %v", err)
		}
		got, err := io.ReadAll(conn)
		conn.Close()
		if err != nil || !bytes.Equal(got, data[1000:]) {
			t.Fatalf("read %d bytes, %v; want %d", len(got), err, len(data)-1000)
		}
		if size != 4000 {
			t.Errorf("size = %d, want 4000", size)
		}
		resp, err := e.c.VoidResp(e.ctx)
		if err != nil || resp != "226 Transfer complete." {
			t.Fatalf("VoidResp = %q, %v", resp, err)
		}
		e.wantCmds(n, e.dataCmd(), "REST 1000", "RETR f.bin")
		e.checkTransfer("RETR f.bin", 4000, false)

		// TransferCmd for an upload, final reply read with GetResp.
		n = e.mark()
		conn, err = e.c.TransferCmd(e.ctx, "STOR up.bin")
		if err != nil {
			t.Fatalf("TransferCmd: %v", err)
		}
		if _, err := conn.Write(data[:777]); err != nil {
			t.Fatal(err)
		}
		conn.Close()
		resp, err = e.c.GetResp(e.ctx)
		if err != nil || resp != "226 Transfer complete." {
			t.Fatalf("GetResp = %q, %v", resp, err)
		}
		e.wantCmds(n, e.dataCmd(), "STOR up.bin")
		if got := e.file("up.bin"); got != string(data[:777]) {
			t.Errorf("stored %d bytes, want 777", len(got))
		}

		// A refused transfer command: no data connection, still in step.
		_, err = e.c.TransferCmd(e.ctx, "RETR missing")
		wantErr(t, err, ftp.ErrPerm, 550)
		e.alive()
	})
}

func TestBlackboxMakePasv(t *testing.T) {
	forEachMode(t, func(t *testing.T, m netMode) {
		e := setup(t, m, nil)
		n := e.mark()
		host, port, err := e.c.MakePasv(e.ctx)
		if err != nil {
			t.Fatalf("MakePasv: %v", err)
		}
		wantHost, wantCmd := "127.0.0.1", "PASV"
		if m.ipv6 {
			wantHost, wantCmd = "::1", "EPSV"
		}
		if host != wantHost || port <= 0 || port > 65535 {
			t.Fatalf("MakePasv = %q, %d", host, port)
		}
		e.wantCmds(n, wantCmd)
		// The port is real: a RETR sent by hand uses it.
		e.put("p", "passive data")
		nc, err := net.Dial("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			t.Fatalf("dial the passive port: %v", err)
		}
		defer nc.Close()
		if resp, err := e.c.SendCmd(e.ctx, "RETR p"); err != nil || !strings.HasPrefix(resp, "150 ") {
			t.Fatalf("RETR = %q, %v", resp, err)
		}
		got, _ := io.ReadAll(nc)
		if string(got) != "passive data" {
			t.Errorf("data = %q", got)
		}
		if _, err := e.c.VoidResp(e.ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestBlackboxSendPortEPRT(t *testing.T) {
	forEachMode(t, func(t *testing.T, m netMode) {
		e := setup(t, m, nil)
		e.put("p", "active data")
		host := "127.0.0.1"
		if m.ipv6 {
			host = "::1"
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		port := ln.Addr().(*net.TCPAddr).Port

		n := e.mark()
		var resp string
		if m.ipv6 {
			resp, err = e.c.SendEPRT(e.ctx, host, port)
			e.wantCmds(n, fmt.Sprintf("EPRT |2|::1|%d|", port))
		} else {
			resp, err = e.c.SendPort(e.ctx, host, port)
			e.wantCmds(n, fmt.Sprintf("PORT 127,0,0,1,%d,%d", port>>8, port&0xff))
		}
		if err != nil || !strings.HasPrefix(resp, "200 ") {
			t.Fatalf("PORT/EPRT = %q, %v", resp, err)
		}
		if resp, err := e.c.SendCmd(e.ctx, "RETR p"); err != nil || !strings.HasPrefix(resp, "150 ") {
			t.Fatalf("RETR = %q, %v", resp, err)
		}
		nc, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(nc)
		nc.Close()
		if string(got) != "active data" {
			t.Errorf("data = %q", got)
		}
		if _, err := e.c.VoidResp(e.ctx); err != nil {
			t.Fatal(err)
		}
		if !e.lastTransfer().Active {
			t.Error("server did not record an active transfer")
		}

		if !m.ipv6 {
			// EPRT works on IPv4 too (af 1).
			n = e.mark()
			if _, err := e.c.SendEPRT(e.ctx, host, port); err != nil {
				t.Fatalf("SendEPRT on IPv4: %v", err)
			}
			e.wantCmds(n, fmt.Sprintf("EPRT |1|127.0.0.1|%d|", port))
		}
		// A port for someone else's address is refused (bounce guard).
		if m.ipv6 {
			_, err = e.c.SendEPRT(e.ctx, "2001:db8::1", 21)
		} else {
			_, err = e.c.SendPort(e.ctx, "192.0.2.1", 21)
		}
		wantErr(t, err, ftp.ErrPerm, 500)
	})
}

// --- Managed transfers -------------------------------------------------

// blockWriter records the size of each Write.
type blockWriter struct {
	bytes.Buffer
	sizes []int
}

func (w *blockWriter) Write(p []byte) (int, error) {
	w.sizes = append(w.sizes, len(p))
	return w.Buffer.Write(p)
}

func TestBlackboxRetrBinary(t *testing.T) {
	forEachMode(t, func(t *testing.T, m netMode) {
		e := setup(t, m, nil)
		data := pattern(300_000)
		e.put("big.bin", string(data))

		n := e.mark()
		var buf bytes.Buffer
		resp, err := e.c.RetrBinary(e.ctx, "RETR big.bin", &buf)
		if err != nil || resp != "226 Transfer complete." {
			t.Fatalf("RetrBinary = %q, %v", resp, err)
		}
		if !bytes.Equal(buf.Bytes(), data) {
			t.Fatalf("got %d bytes, want %d identical", buf.Len(), len(data))
		}
		e.wantCmds(n, "TYPE I", e.dataCmd(), "RETR big.bin")
		e.checkTransfer("RETR big.bin", int64(len(data)), false)

		// Rest and BlockSize: TYPE I is in force and not sent again.
		n = e.mark()
		var w blockWriter
		resp, err = e.c.RetrBinary(e.ctx, "RETR big.bin", &w, ftp.Rest(12345), ftp.BlockSize(1000))
		if err != nil || resp != "226 Transfer complete." {
			t.Fatalf("RetrBinary(Rest, BlockSize) = %q, %v", resp, err)
		}
		if !bytes.Equal(w.Bytes(), data[12345:]) {
			t.Fatalf("got %d bytes, want %d", w.Len(), len(data)-12345)
		}
		for _, s := range w.sizes {
			if s > 1000 {
				t.Fatalf("a block of %d bytes, want at most 1000", s)
			}
		}
		e.wantCmds(n, e.dataCmd(), "REST 12345", "RETR big.bin")
		e.checkTransfer("RETR big.bin", int64(len(data)-12345), false)

		// A failing writer aborts the transfer; its error is returned.
		werr := errors.New("disk full")
		_, err = e.c.RetrBinary(e.ctx, "RETR big.bin", writerFunc(func([]byte) (int, error) { return 0, werr }))
		if !errors.Is(err, werr) {
			t.Fatalf("RetrBinary with a failing writer: %v", err)
		}
		e.alive()

		// A missing file: ErrPerm, no data, still in step.
		buf.Reset()
		_, err = e.c.RetrBinary(e.ctx, "RETR missing", &buf)
		wantErr(t, err, ftp.ErrPerm, 550)
		if buf.Len() != 0 {
			t.Errorf("wrote %d bytes for a missing file", buf.Len())
		}
		e.alive()
	})
}

func TestBlackboxRetrLines(t *testing.T) {
	forEachMode(t, func(t *testing.T, m netMode) {
		e := setup(t, m, nil)
		e.put("t.txt", "one\ntwo\r\n\nthree")
		n := e.mark()
		var lines []string
		resp, err := e.c.RetrLines(e.ctx, "RETR t.txt", func(l string) error {
			lines = append(lines, l)
			return nil
		})
		if err != nil || resp != "226 Transfer complete." {
			t.Fatalf("RetrLines = %q, %v", resp, err)
		}
		if want := []string{"one", "two", "", "three"}; !slices.Equal(lines, want) {
			t.Errorf("lines = %q, want %q", lines, want)
		}
		e.wantCmds(n, "TYPE A", e.dataCmd(), "RETR t.txt")
		// The server sent CRLF line ends (LF converted): 3 more bytes.
		e.checkTransfer("RETR t.txt", int64(len("one\r\ntwo\r\n\r\nthree")), false)

		// An error from fn aborts the transfer and is returned as is;
		// the connection stays in step.
		big := strings.Repeat("line\n", 50_000)
		e.put("big.txt", big)
		stop := errors.New("enough")
		count := 0
		_, err = e.c.RetrLines(e.ctx, "RETR big.txt", func(string) error {
			if count++; count == 3 {
				return stop
			}
			return nil
		})
		if err != stop {
			t.Fatalf("RetrLines with failing fn: %v", err)
		}
		e.alive()
	})
}

func TestBlackboxStorBinary(t *testing.T) {
	forEachMode(t, func(t *testing.T, m netMode) {
		e := setup(t, m, nil)
		data := pattern(200_000)

		n := e.mark()
		resp, err := e.c.StorBinary(e.ctx, "STOR up.bin", bytes.NewReader(data))
		if err != nil || resp != "226 Transfer complete." {
			t.Fatalf("StorBinary = %q, %v", resp, err)
		}
		if got := e.file("up.bin"); got != string(data) {
			t.Fatalf("stored %d bytes, want %d identical", len(got), len(data))
		}
		e.wantCmds(n, "TYPE I", e.dataCmd(), "STOR up.bin")
		e.checkTransfer("STOR up.bin", int64(len(data)), false)

		// Resume an upload: REST, then the rest of the file, block by block.
		e.put("part.bin", string(data[:50_000]))
		n = e.mark()
		var blocks, total int
		resp, err = e.c.StorBinary(e.ctx, "STOR part.bin", bytes.NewReader(data[50_000:]),
			ftp.Rest(50_000), ftp.BlockSize(4096), ftp.OnBlock(func(b []byte) {
				if len(b) > 4096 {
					t.Errorf("block of %d bytes", len(b))
				}
				blocks++
				total += len(b)
			}))
		if err != nil || resp != "226 Transfer complete." {
			t.Fatalf("StorBinary(Rest) = %q, %v", resp, err)
		}
		if got := e.file("part.bin"); got != string(data) {
			t.Fatalf("resumed file has %d bytes, want %d identical", len(got), len(data))
		}
		if total != len(data)-50_000 || blocks < total/4096 {
			t.Errorf("OnBlock saw %d bytes in %d blocks", total, blocks)
		}
		e.wantCmds(n, e.dataCmd(), "REST 50000", "STOR part.bin")

		// APPE through StorBinary.
		if _, err := e.c.StorBinary(e.ctx, "APPE part.bin", strings.NewReader("tail")); err != nil {
			t.Fatal(err)
		}
		if got := e.file("part.bin"); got != string(data)+"tail" {
			t.Errorf("APPE: file has %d bytes", len(got))
		}

		// Into a missing directory: 553, nothing stored, in step.
		_, err = e.c.StorBinary(e.ctx, "STOR nodir/x", strings.NewReader("x"))
		wantErr(t, err, ftp.ErrPerm, 553)
		e.alive()
	})
}

func TestBlackboxStorLines(t *testing.T) {
	forEachMode(t, func(t *testing.T, m netMode) {
		e := setup(t, m, nil)
		// LF, CRLF, a bare CR at the end and no final newline: every line
		// goes out with CRLF.
		in := "a\nb\r\nc\r\nd\re\r"
		wire := "a\r\nb\r\nc\r\nd\re\r\n"
		n := e.mark()
		var seen []string
		resp, err := e.c.StorLines(e.ctx, "STOR t.txt", strings.NewReader(in), ftp.OnBlock(func(b []byte) {
			seen = append(seen, string(b))
		}))
		if err != nil || resp != "226 Transfer complete." {
			t.Fatalf("StorLines = %q, %v", resp, err)
		}
		e.wantCmds(n, "TYPE A", e.dataCmd(), "STOR t.txt")
		e.checkTransfer("STOR t.txt", int64(len(wire)), false)
		if want := []string{"a\r\n", "b\r\n", "c\r\n", "d\re\r\n"}; !slices.Equal(seen, want) {
			t.Errorf("OnBlock lines = %q, want %q", seen, want)
		}
		// The server stores TYPE A text with LF line ends.
		if got, want := e.file("t.txt"), "a\nb\nc\nd\re\n"; got != want {
			t.Errorf("stored %q, want %q", got, want)
		}

		// A line longer than MaxLine aborts the upload.
		long := strings.Repeat("x", ftp.DefaultMaxLine+10) + "\n"
		_, err = e.c.StorLines(e.ctx, "STOR long.txt", strings.NewReader("ok\n"+long))
		if !errors.Is(err, ftp.ErrLineTooLong) {
			t.Fatalf("StorLines with a long line: %v", err)
		}
		e.alive()
	})
}

func TestBlackboxRetrStorStreaming(t *testing.T) {
	forEachMode(t, func(t *testing.T, m netMode) {
		e := setup(t, m, nil)
		data := pattern(250_000)

		n := e.mark()
		w, err := e.c.Stor(e.ctx, "STOR s.bin")
		if err != nil {
			t.Fatalf("Stor: %v", err)
		}
		if _, err := e.c.Noop(e.ctx); !errors.Is(err, ftp.ErrBusy) {
			t.Errorf("Noop during a transfer: %v, want ErrBusy", err)
		}
		if nw, err := io.Copy(w, bytes.NewReader(data)); err != nil || nw != int64(len(data)) {
			t.Fatalf("io.Copy to Stor: %d, %v", nw, err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("Stor Close: %v", err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if w.Reply() != "226 Transfer complete." {
			t.Errorf("Reply = %q", w.Reply())
		}
		if got := e.file("s.bin"); got != string(data) {
			t.Fatalf("stored %d bytes", len(got))
		}

		r, err := e.c.Retr(e.ctx, "RETR s.bin")
		if err != nil {
			t.Fatalf("Retr: %v", err)
		}
		if r.Size() != int64(len(data)) {
			t.Errorf("Size = %d", r.Size())
		}
		var buf bytes.Buffer
		if nr, err := io.Copy(&buf, r); err != nil || nr != int64(len(data)) {
			t.Fatalf("io.Copy from Retr: %d, %v", nr, err)
		}
		if err := r.Close(); err != nil {
			t.Fatalf("Retr Close: %v", err)
		}
		if !bytes.Equal(buf.Bytes(), data) {
			t.Fatal("downloaded data differs")
		}
		e.wantCmds(n, "TYPE I", e.dataCmd(), "STOR s.bin", e.dataCmd(), "RETR s.bin")

		// io.Copy to and from files (the zero-copy paths).
		dir := t.TempDir()
		src, err := os.Create(dir + "/src")
		if err != nil {
			t.Fatal(err)
		}
		src.Write(data)
		src.Seek(0, io.SeekStart)
		w, err = e.c.Stor(e.ctx, "STOR f.bin")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, src); err != nil {
			t.Fatal(err)
		}
		src.Close()
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		dst, err := os.Create(dir + "/dst")
		if err != nil {
			t.Fatal(err)
		}
		r, err = e.c.Retr(e.ctx, "RETR f.bin")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(dst, r); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		dst.Close()
		if got, _ := os.ReadFile(dir + "/dst"); !bytes.Equal(got, data) {
			t.Fatalf("file round trip: %d bytes", len(got))
		}

		// Closing a download early aborts it and keeps the Conn usable.
		r, err = e.c.Retr(e.ctx, "RETR s.bin")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(r, make([]byte, 100)); err != nil {
			t.Fatal(err)
		}
		n = e.mark()
		if err := r.Close(); err != nil {
			t.Fatalf("early Close: %v", err)
		}
		if got := e.since(n); !slices.Contains(got, "ABOR") {
			t.Errorf("early Close sent %q, want ABOR", got)
		}
		e.alive()
	})
}

// --- Listings and file system commands --------------------------------

func TestBlackboxNlstDir(t *testing.T) {
	forEachMode(t, func(t *testing.T, m netMode) {
		e := setup(t, m, nil)
		e.put("a.txt", "aa")
		e.put("b.txt", "bbb")
		e.put("sub/c.txt", "c")

		n := e.mark()
		names, err := e.c.Nlst(e.ctx)
		if err != nil {
			t.Fatalf("Nlst: %v", err)
		}
		slices.Sort(names)
		if want := []string{"a.txt", "b.txt", "sub"}; !slices.Equal(names, want) {
			t.Errorf("Nlst = %q, want %q", names, want)
		}
		names, err = e.c.Nlst(e.ctx, "sub")
		if err != nil || !slices.Equal(names, []string{"sub/c.txt"}) {
			t.Errorf("Nlst(sub) = %q, %v", names, err)
		}
		e.wantCmds(n, "TYPE A", e.dataCmd(), "NLST", e.dataCmd(), "NLST sub")

		n = e.mark()
		var lines []string
		err = e.c.Dir(e.ctx, func(l string) error { lines = append(lines, l); return nil })
		if err != nil || len(lines) != 3 {
			t.Fatalf("Dir = %q, %v", lines, err)
		}
		for _, l := range lines {
			if !strings.HasSuffix(l, " a.txt") && !strings.HasSuffix(l, " b.txt") && !strings.HasSuffix(l, " sub") {
				t.Errorf("Dir line %q", l)
			}
			if strings.ContainsAny(l, "\r\n") {
				t.Errorf("Dir line %q keeps its line end", l)
			}
		}
		lines = nil
		// Empty arguments are skipped, as in ftplib.
		err = e.c.Dir(e.ctx, func(l string) error { lines = append(lines, l); return nil }, "", "sub")
		if err != nil || len(lines) != 1 || !strings.HasSuffix(lines[0], " c.txt") {
			t.Fatalf("Dir(sub) = %q, %v", lines, err)
		}
		e.wantCmds(n, e.dataCmd(), "LIST", e.dataCmd(), "LIST sub")

		_, err = e.c.Nlst(e.ctx, "missing")
		wantErr(t, err, ftp.ErrPerm, 550)
		e.alive()
	})
}

func TestBlackboxRenameDelete(t *testing.T) {
	forEachMode(t, func(t *testing.T, m netMode) {
		e := setup(t, m, nil)
		e.put("old", "content")
		n := e.mark()
		resp, err := e.c.Rename(e.ctx, "old", "new")
		if err != nil || resp != "250 Rename successful." {
			t.Fatalf("Rename = %q, %v", resp, err)
		}
		if e.file("new") != "content" {
			t.Error("renamed file content")
		}
		if _, err := e.srv.Stat("old"); err == nil {
			t.Error("old name still exists")
		}
		// RNFR refused: RNTO is not sent.
		_, err = e.c.Rename(e.ctx, "missing", "x")
		wantErr(t, err, ftp.ErrPerm, 550)
		e.wantCmds(n, "RNFR old", "RNTO new", "RNFR missing")

		n = e.mark()
		resp, err = e.c.Delete(e.ctx, "new")
		if err != nil || resp != "250 Delete operation successful." {
			t.Fatalf("Delete = %q, %v", resp, err)
		}
		if _, err := e.srv.Stat("new"); err == nil {
			t.Error("deleted file still exists")
		}
		_, err = e.c.Delete(e.ctx, "new")
		wantErr(t, err, ftp.ErrPerm, 550)
		e.wantCmds(n, "DELE new", "DELE new")

		// Delete accepts only 250 or 200.
		e.srv.AddFault(ftptest.Fault{Command: "DELE", Reply: "226 Deleted, sort of."})
		_, err = e.c.Delete(e.ctx, "x")
		wantErr(t, err, ftp.ErrReply, 226)
	})
}

func TestBlackboxCwdPwd(t *testing.T) {
	forEachMode(t, func(t *testing.T, m netMode) {
		e := setup(t, m, nil)
		if err := e.srv.MkdirAll("d/e"); err != nil {
			t.Fatal(err)
		}
		pwd := func(want string) {
			t.Helper()
			if got, err := e.c.Pwd(e.ctx); err != nil || got != want {
				t.Fatalf("Pwd = %q, %v; want %q", got, err, want)
			}
		}
		pwd("/")
		n := e.mark()
		for _, dir := range []string{"d", "e", "..", ""} {
			if resp, err := e.c.Cwd(e.ctx, dir); err != nil || resp != "250 Directory successfully changed." {
				t.Fatalf("Cwd(%q) = %q, %v", dir, resp, err)
			}
		}
		e.wantCmds(n, "CWD d", "CWD e", "CDUP", "CWD .")
		pwd("/d")
		_, err := e.c.Cwd(e.ctx, "missing")
		wantErr(t, err, ftp.ErrPerm, 550)

		// A server that does not know CDUP (500): "CWD .." instead.
		e.srv.AddFault(ftptest.Fault{Command: "CDUP", Reply: "500 Unknown command."})
		n = e.mark()
		if _, err := e.c.Cwd(e.ctx, ".."); err != nil {
			t.Fatalf("Cwd(..) with CDUP refused: %v", err)
		}
		e.wantCmds(n, "CDUP", "CWD ..")
		pwd("/")
		// Another 5xx for CDUP is returned, with no fallback.
		e.srv.ClearFaults()
		e.srv.AddFault(ftptest.Fault{Command: "CDUP", Reply: "550 No."})
		n = e.mark()
		_, err = e.c.Cwd(e.ctx, "..")
		wantErr(t, err, ftp.ErrPerm, 550)
		e.wantCmds(n, "CDUP")
	})
}

func TestBlackboxMkdRmd(t *testing.T) {
	forEachMode(t, func(t *testing.T, m netMode) {
		e := setup(t, m, nil)
		n := e.mark()
		got, err := e.c.Mkd(e.ctx, "new")
		if err != nil || got != "/new" {
			t.Fatalf("Mkd = %q, %v", got, err)
		}
		if fi, err := e.srv.Stat("new"); err != nil || !fi.IsDir() {
			t.Fatalf("server Stat(new) = %v, %v", fi, err)
		}
		got, err = e.c.Mkd(e.ctx, `q"x`)
		if err != nil || got != `/q"x` {
			t.Fatalf(`Mkd(q"x) = %q, %v`, got, err)
		}
		_, err = e.c.Mkd(e.ctx, "new")
		wantErr(t, err, ftp.ErrPerm, 550)
		e.wantCmds(n, "MKD new", `MKD q"x`, "MKD new")

		e.put("full/f", "x")
		n = e.mark()
		if resp, err := e.c.Rmd(e.ctx, "new"); err != nil || resp != "250 Remove directory operation successful." {
			t.Fatalf("Rmd = %q, %v", resp, err)
		}
		if _, err := e.srv.Stat("new"); err == nil {
			t.Error("removed directory still exists")
		}
		_, err = e.c.Rmd(e.ctx, "full")
		wantErr(t, err, ftp.ErrPerm, 550)
		e.wantCmds(n, "RMD new", "RMD full")

		// A 2xx that is not 257 gives "" (ftplib parity).
		e.srv.AddFault(ftptest.Fault{Command: "MKD", Reply: "250 Done."})
		if got, err := e.c.Mkd(e.ctx, "z"); err != nil || got != "" {
			t.Fatalf("Mkd with 250 = %q, %v", got, err)
		}
	})
}

func TestBlackboxSize(t *testing.T) {
	forEachMode(t, func(t *testing.T, m netMode) {
		e := setup(t, m, nil)
		e.put("t.txt", "a\nb\n")
		if _, err := e.c.VoidCmd(e.ctx, "TYPE I"); err != nil {
			t.Fatal(err)
		}
		n := e.mark()
		if got, err := e.c.Size(e.ctx, "t.txt"); err != nil || got != 4 {
			t.Fatalf("Size in TYPE I = %d, %v", got, err)
		}
		// No TYPE is sent: in TYPE A the server counts CRLF line ends.
		if _, err := e.c.VoidCmd(e.ctx, "TYPE A"); err != nil {
			t.Fatal(err)
		}
		if got, err := e.c.Size(e.ctx, "t.txt"); err != nil || got != 6 {
			t.Fatalf("Size in TYPE A = %d, %v", got, err)
		}
		e.wantCmds(n, "SIZE t.txt", "TYPE A", "SIZE t.txt")
		got, err := e.c.Size(e.ctx, "missing")
		wantErr(t, err, ftp.ErrPerm, 550)
		if got != -1 {
			t.Errorf("Size of a missing file = %d", got)
		}
		// A positive reply other than 213: -1 and ErrReply.
		e.srv.AddFault(ftptest.Fault{Command: "SIZE", Reply: "250 1000"})
		got, err = e.c.Size(e.ctx, "t.txt")
		wantErr(t, err, ftp.ErrReply, 250)
		if got != -1 {
			t.Errorf("Size with 250 = %d", got)
		}
		e.srv.ClearFaults()
		e.srv.AddFault(ftptest.Fault{Command: "SIZE", Reply: "213 lots"})
		_, err = e.c.Size(e.ctx, "t.txt")
		wantErr(t, err, ftp.ErrProto, 213)
	})
}

func TestBlackboxFeatModTime(t *testing.T) {
	forEachMode(t, func(t *testing.T, m netMode) {
		e := setup(t, m, nil)
		feats, err := e.c.Feat(e.ctx)
		if err != nil {
			t.Fatalf("Feat: %v", err)
		}
		for _, f := range []string{"EPRT", "EPSV", "MDTM", "MFMT", "MLST", "PASV", "SIZE", "UTF8"} {
			if _, ok := feats[f]; !ok {
				t.Errorf("Feat lacks %s: %v", f, feats)
			}
		}
		if feats["REST"] != "STREAM" {
			t.Errorf(`Feat["REST"] = %q`, feats["REST"])
		}
		if _, ok := feats["AUTH"]; ok {
			t.Error("a plain server offers AUTH")
		}

		e.put("f", "x")
		when := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
		if err := e.srv.SetModTime("f", when); err != nil {
			t.Fatal(err)
		}
		n := e.mark()
		got, err := e.c.ModTime(e.ctx, "f")
		if err != nil || !got.Equal(when) {
			t.Fatalf("ModTime = %v, %v; want %v", got, err, when)
		}
		later := time.Date(2024, 12, 31, 23, 59, 58, 0, time.FixedZone("X", 3600))
		if _, err := e.c.SetModTime(e.ctx, "f", later); err != nil {
			t.Fatalf("SetModTime: %v", err)
		}
		if fi, err := e.srv.Stat("f"); err != nil || !fi.ModTime().Equal(later) {
			t.Fatalf("server ModTime = %v, %v; want %v", fi.ModTime(), err, later)
		}
		if got, err := e.c.ModTime(e.ctx, "f"); err != nil || !got.Equal(later) {
			t.Fatalf("ModTime after SetModTime = %v, %v", got, err)
		}
		e.wantCmds(n, "MDTM f", "MFMT 20241231225958 f", "MDTM f")
		_, err = e.c.ModTime(e.ctx, "missing")
		wantErr(t, err, ftp.ErrPerm, 550)
	})
}

// --- Abort ---------------------------------------------------------------

func TestBlackboxAbort(t *testing.T) {
	forEachMode(t, func(t *testing.T, m netMode) {
		e := setup(t, m, nil)
		e.put("big", string(pattern(100_000)))
		// The server stops sending after 1000 bytes and waits: the
		// transfer is still running when ABOR arrives.
		e.srv.AddFault(ftptest.Fault{Command: "RETR", StallData: true, CutAfter: 1000})

		// Abort during a streaming Retr.
		r, err := e.c.Retr(e.ctx, "RETR big")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(r, make([]byte, 1000)); err != nil {
			t.Fatal(err)
		}
		n := e.mark()
		resp, err := e.c.Abort(e.ctx)
		if err != nil || !strings.HasPrefix(resp, "426 ") {
			t.Fatalf("Abort = %q, %v", resp, err)
		}
		if _, err := r.Read(make([]byte, 10)); err == nil {
			t.Error("Read after Abort succeeded")
		}
		// The download is short: Close must not report success.
		if err := r.Close(); err == nil {
			t.Error("Close after Abort returned nil")
		}
		e.wantCmds(n, "ABOR")
		e.checkTransfer("RETR big", 1000, true)
		e.alive()

		// Abort from another goroutine while RetrBinary blocks.
		started := make(chan struct{})
		var once sync.Once
		w := writerFunc(func(p []byte) (int, error) {
			once.Do(func() { close(started) })
			return len(p), nil
		})
		done := make(chan error, 1)
		go func() {
			_, err := e.c.RetrBinary(e.ctx, "RETR big", w)
			done <- err
		}()
		select {
		case <-started:
		case <-time.After(hangGuard):
			t.Fatal("no data arrived")
		}
		resp, err = e.c.Abort(e.ctx)
		if err != nil || !strings.HasPrefix(resp, "426 ") {
			t.Fatalf("Abort from another goroutine = %q, %v", resp, err)
		}
		select {
		case err := <-done:
			if err == nil {
				t.Fatal("aborted RetrBinary returned nil")
			}
		case <-time.After(hangGuard):
			t.Fatal("RetrBinary did not return after Abort")
		}
		e.alive()

		// Abort after TransferCmd, before VoidResp: both the transfer's
		// reply and the ABOR reply are read.
		conn, err := e.c.TransferCmd(e.ctx, "RETR big")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(conn, make([]byte, 1000)); err != nil {
			t.Fatal(err)
		}
		resp, err = e.c.Abort(e.ctx)
		conn.Close()
		if err != nil || !strings.HasPrefix(resp, "426 ") {
			t.Fatalf("Abort after TransferCmd = %q, %v", resp, err)
		}
		e.alive()

		// Abort with no transfer: 225.
		resp, err = e.c.Abort(e.ctx)
		if err != nil || !strings.HasPrefix(resp, "225 ") {
			t.Fatalf("Abort without a transfer = %q, %v", resp, err)
		}
		e.alive()
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// --- Ftpcp -----------------------------------------------------------------

func TestBlackboxFtpcp(t *testing.T) {
	forEachMode(t, func(t *testing.T, m netMode) {
		src := setup(t, m, nil)
		dst := setup(t, m, nil)
		data := pattern(70_000)
		src.put("from.bin", string(data))

		ns, nd := src.mark(), dst.mark()
		if err := ftp.Ftpcp(src.ctx, src.c, dst.c, "from.bin", "to.bin", ""); err != nil {
			t.Fatalf("Ftpcp: %v", err)
		}
		if got := dst.file("to.bin"); got != string(data) {
			t.Fatalf("copied %d bytes, want %d identical", len(got), len(data))
		}
		if m.ipv6 {
			src.wantCmds(ns, "TYPE I", "EPSV", "RETR from.bin")
			dst.wantCmds(nd, "TYPE I", "EPRT |2|::1|*", "STOR to.bin")
		} else {
			src.wantCmds(ns, "TYPE I", "PASV", "RETR from.bin")
			dst.wantCmds(nd, "TYPE I", "PORT 127,0,0,1,*", "STOR to.bin")
		}
		src.alive()
		dst.alive()

		if m.ipv6 {
			return // the PASV address rules below are IPv4 only
		}
		// Untrusted (the default): the 227 host is ignored.
		src.srv.AddFault(ftptest.Fault{Command: "PASV", PASVHost: "192.0.2.7"})
		nd = dst.mark()
		if err := ftp.Ftpcp(src.ctx, src.c, dst.c, "from.bin", "", "I"); err != nil {
			t.Fatalf("Ftpcp with a foreign PASV host: %v", err)
		}
		if got := dst.file("from.bin"); got != string(data) {
			t.Fatalf("copied %d bytes", len(got))
		}
		dst.wantCmds(nd, "TYPE I", "PORT 127,0,0,1,*", "STOR from.bin")

		// Trusted: the 227 host is used, and the target refuses a PORT to
		// an address that is not its client's.
		src.c.SetTrustServerPASVAddress(true)
		nd = dst.mark()
		err := ftp.Ftpcp(src.ctx, src.c, dst.c, "from.bin", "x.bin", "I")
		wantErr(t, err, ftp.ErrPerm, 500)
		dst.wantCmds(nd, "TYPE I", "PORT 192,0,2,7,*")
		src.srv.ClearFaults()
		// Trusted with the true address works.
		if err := ftp.Ftpcp(src.ctx, src.c, dst.c, "from.bin", "y.bin", "I"); err != nil {
			t.Fatalf("trusted Ftpcp: %v", err)
		}
		if got := dst.file("y.bin"); got != string(data) {
			t.Fatalf("copied %d bytes", len(got))
		}
		src.alive()
		dst.alive()
	})
}

// --- Failures ---------------------------------------------------------------

func TestBlackboxReplyClasses(t *testing.T) {
	forEachMode(t, func(t *testing.T, m netMode) {
		e := setup(t, m, nil)
		for _, tc := range []struct {
			name, verb, reply string
			call              func() error
			class             error
			code              int
			cmd               string // the command line the error names
		}{
			{"4xx", "DELE", "450 Busy, try later.", func() error { _, err := e.c.Delete(e.ctx, "a"); return err }, ftp.ErrTemp, 450, "DELE a"},
			{"4xx multi-line", "PWD", "421-Going down\r\n421 now.", func() error { _, err := e.c.Pwd(e.ctx); return err }, ftp.ErrTemp, 421, "PWD"},
			{"5xx", "MKD", "552 Quota exceeded.", func() error { _, err := e.c.Mkd(e.ctx, "d"); return err }, ftp.ErrPerm, 552, "MKD d"},
			{"unexpected 1xx", "RMD", "120 Wait a bit.", func() error { _, err := e.c.Rmd(e.ctx, "d"); return err }, ftp.ErrReply, 120, "RMD d"},
			{"unexpected 3xx", "NOOP", "331 Who are you?", func() error { _, err := e.c.Noop(e.ctx); return err }, ftp.ErrReply, 331, "NOOP"},
			{"garbage", "PWD", "hello there", func() error { _, err := e.c.Pwd(e.ctx); return err }, ftp.ErrProto, 0, "PWD"},
			{"code 600", "SYST", "600 What?", func() error { _, err := e.c.SendCmd(e.ctx, "SYST"); return err }, ftp.ErrProto, 600, "SYST"},
			{"4xx on RETR", "RETR", "425 No data connection.", func() error {
				_, err := e.c.RetrBinary(e.ctx, "RETR a", io.Discard)
				return err
			}, ftp.ErrTemp, 425, "RETR a"},
			{"3xx on RETR", "RETR", "350 Huh?", func() error {
				_, err := e.c.RetrBinary(e.ctx, "RETR a", io.Discard)
				return err
			}, ftp.ErrReply, 350, "RETR a"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e.srv.ClearFaults()
				e.srv.AddFault(ftptest.Fault{Command: tc.verb, Reply: tc.reply})
				err := tc.call()
				wantErr(t, err, tc.class, tc.code)
				var fe *ftp.Error
				errors.As(err, &fe)
				want := strings.ReplaceAll(tc.reply, "\r\n", "\n")
				if fe.Msg != want || fe.Cmd != tc.cmd || err.Error() != "ftp: "+tc.cmd+": "+want {
					t.Errorf("Msg = %q, Cmd = %q, Error() = %q; want %q, %q", fe.Msg, fe.Cmd, err.Error(), want, tc.cmd)
				}
				e.srv.ClearFaults()
				e.alive()
			})
		}
	})
}

func TestBlackboxWelcomeRefused(t *testing.T) {
	forEachMode(t, func(t *testing.T, m netMode) {
		ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
		defer cancel()
		srv := newServer(t, m, nil)
		srv.AddFault(ftptest.Fault{Command: "", Reply: "421 Too many users."})
		_, err := (&ftp.Dialer{Active: m.active}).Dial(ctx, srv.Addr)
		wantErr(t, err, ftp.ErrTemp, 421)
	})
}

func TestBlackboxLineTooLong(t *testing.T) {
	forEachMode(t, func(t *testing.T, m netMode) {
		e := setup(t, m, nil)
		// 8191 bytes of content is the most ftplib accepts.
		ok := "200 " + strings.Repeat("x", ftp.DefaultMaxLine-5)
		e.srv.AddFault(ftptest.Fault{Command: "NOOP", Reply: ok})
		if resp, err := e.c.Noop(e.ctx); err != nil || resp != ok {
			t.Fatalf("Noop with an 8191-byte reply: %d bytes, %v", len(resp), err)
		}
		e.srv.ClearFaults()
		e.srv.AddFault(ftptest.Fault{Command: "NOOP", Reply: ok + "x"})
		_, err := e.c.Noop(e.ctx)
		e.srv.ClearFaults()
		if !errors.Is(err, ftp.ErrLineTooLong) {
			t.Fatalf("Noop with an 8192-byte reply: %v", err)
		}
		// The reply stream is out of step now: the Conn says so.
		if _, err := e.c.Noop(e.ctx); !errors.Is(err, ftp.ErrClosed) || !errors.Is(err, ftp.ErrLineTooLong) {
			t.Fatalf("Noop after an over-long reply: %v", err)
		}

		// Dialer.MaxLine bounds replies too, and RetrLines lines.
		ctx := e.ctx
		c, err := (&ftp.Dialer{MaxLine: 100, Active: m.active}).Dial(ctx, e.srv.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
			t.Fatal(err)
		}
		e.put("long.txt", "short\n"+strings.Repeat("y", 150)+"\n")
		_, err = c.RetrLines(ctx, "RETR long.txt", func(string) error { return nil })
		if !errors.Is(err, ftp.ErrLineTooLong) {
			t.Fatalf("RetrLines with a 150-byte line and MaxLine 100: %v", err)
		}
		if _, err := c.Noop(ctx); err != nil {
			t.Fatalf("Noop after a long data line: %v", err)
		}
		e.srv.AddFault(ftptest.Fault{Command: "PWD", Reply: "257 \"/" + strings.Repeat("z", 120) + "\""})
		if _, err := c.Pwd(ctx); !errors.Is(err, ftp.ErrLineTooLong) {
			t.Fatalf("Pwd with a 125-byte reply and MaxLine 100: %v", err)
		}
	})
}

func TestBlackboxDataCut(t *testing.T) {
	forEachMode(t, func(t *testing.T, m netMode) {
		e := setup(t, m, nil)
		data := pattern(500_000)
		e.put("big", string(data))
		const cut = 10_000

		for _, final := range []string{"", "226 Transfer complete."} {
			name := "426"
			if final != "" {
				name = "lying 226"
			}
			t.Run(name, func(t *testing.T) {
				e.srv.ClearFaults()
				e.srv.AddFault(ftptest.Fault{Command: "RETR", Cut: true, CutAfter: cut, Final: final})

				// RetrBinary: never a nil error with short data.
				var buf bytes.Buffer
				resp, err := e.c.RetrBinary(e.ctx, "RETR big", &buf)
				if err == nil {
					t.Fatalf("RetrBinary returned %q, nil after %d of %d bytes", resp, buf.Len(), len(data))
				}
				if final == "" {
					wantErr(t, err, ftp.ErrTemp, 426)
				} else if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("RetrBinary with a lying 226: %v, want io.ErrUnexpectedEOF", err)
				}
				if buf.Len() != cut {
					t.Errorf("RetrBinary wrote %d bytes, want the %d sent", buf.Len(), cut)
				}
				e.alive()

				// Retr + io.Copy: the error shows at Close at the latest.
				r, err := e.c.Retr(e.ctx, "RETR big")
				if err != nil {
					t.Fatal(err)
				}
				buf.Reset()
				_, cerr := io.Copy(&buf, r)
				err = r.Close()
				if cerr == nil && err == nil {
					t.Fatalf("Retr + io.Copy: no error after %d of %d bytes", buf.Len(), len(data))
				}
				if final != "" && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("Close after a lying 226: %v, want io.ErrUnexpectedEOF", err)
				}
				e.alive()

				// RetrBinary with BlockSize takes the other copy path.
				buf.Reset()
				if _, err := e.c.RetrBinary(e.ctx, "RETR big", &buf, ftp.BlockSize(4096)); err == nil {
					t.Fatalf("RetrBinary(BlockSize) returned nil after %d bytes", buf.Len())
				}
				e.alive()
			})
		}

		t.Run("RetrLines", func(t *testing.T) {
			e.srv.ClearFaults()
			e.srv.AddFault(ftptest.Fault{Command: "RETR", Cut: true, CutAfter: 7})
			e.put("lines", "one\ntwo\nthree\n")
			_, err := e.c.RetrLines(e.ctx, "RETR lines", func(string) error { return nil })
			wantErr(t, err, ftp.ErrTemp, 426)
			e.alive()
		})

		t.Run("StorBinary", func(t *testing.T) {
			e.srv.ClearFaults()
			e.srv.AddFault(ftptest.Fault{Command: "STOR", Cut: true, CutAfter: cut})
			big := pattern(8 << 20) // far more than socket buffers hold
			_, err := e.c.StorBinary(e.ctx, "STOR up", bytes.NewReader(big))
			if err == nil {
				t.Fatal("StorBinary returned nil after the server cut the upload")
			}
			if got := e.file("up"); len(got) != cut {
				t.Errorf("server stored %d bytes, want %d", len(got), cut)
			}
			e.srv.ClearFaults()
			e.alive()
		})
	})
}

func TestBlackboxStall(t *testing.T) {
	forEachMode(t, func(t *testing.T, m netMode) {
		// A silent server: the ctx deadline ends the call, the error
		// wraps context.DeadlineExceeded, and the Conn is then closed.
		e := setup(t, m, nil)
		e.srv.AddFault(ftptest.Fault{Command: "PWD", Stall: true})
		ctx, cancel := context.WithTimeout(e.ctx, 100*time.Millisecond)
		defer cancel()
		_, err := returnsWithin(t, func() (string, error) { return e.c.Pwd(ctx) })
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Pwd on a stalled server: %v", err)
		}
		if _, err := e.c.Noop(e.ctx); !errors.Is(err, ftp.ErrClosed) {
			t.Fatalf("Noop after the deadline: %v", err)
		}

		// A stalled data connection.
		e = setup(t, m, nil)
		e.put("big", string(pattern(100_000)))
		e.srv.AddFault(ftptest.Fault{Command: "RETR", StallData: true, CutAfter: 5000})
		ctx2, cancel2 := context.WithTimeout(e.ctx, 200*time.Millisecond)
		defer cancel2()
		_, err = returnsWithin(t, func() (string, error) {
			return e.c.RetrBinary(ctx2, "RETR big", io.Discard)
		})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("RetrBinary on a stalled data connection: %v", err)
		}

		// A stalled welcome.
		srv := newServer(t, m, nil)
		srv.AddFault(ftptest.Fault{Command: "", Stall: true})
		ctx3, cancel3 := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel3()
		_, err = returnsWithin(t, func() (string, error) {
			c, err := ftp.Dial(ctx3, srv.Addr)
			if err == nil {
				c.Close()
			}
			return "", err
		})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Dial on a stalled welcome: %v", err)
		}

		// Dialer.Timeout: a per-operation network deadline.
		srv = newServer(t, m, nil)
		c, err := (&ftp.Dialer{Timeout: 500 * time.Millisecond, Active: m.active}).Dial(e.ctx, srv.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		srv.AddFault(ftptest.Fault{Command: "NOOP", Stall: true})
		_, err = returnsWithin(t, func() (string, error) { return c.Noop(e.ctx) })
		var ne net.Error
		if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("Noop with Dialer.Timeout on a stalled server: %v", err)
		}
	})
}

// returnsWithin runs f and fails the test if it hangs.
func returnsWithin(t *testing.T, f func() (string, error)) (string, error) {
	t.Helper()
	type result struct {
		s   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		s, err := f()
		ch <- result{s, err}
	}()
	select {
	case r := <-ch:
		return r.s, r.err
	case <-time.After(hangGuard):
		t.Fatal("the call did not return")
		return "", nil
	}
}

func TestBlackboxOddButValidReplies(t *testing.T) {
	forEachMode(t, func(t *testing.T, m netMode) {
		e := setup(t, m, nil)
		data := pattern(3000)
		e.put("f", string(data))

		// Occurrences are counted from when a fault is added: add them all.
		e.srv.AddFault(ftptest.Fault{Command: "RETR", Nth: 1, Before: "200 Early bird."})
		e.srv.AddFault(ftptest.Fault{
			Command: "RETR", Nth: 2,
			Prelim: "150-Here it comes\r\n150 Opening (3000 bytes).",
			Final:  "226-Transfer complete.\r\n226 Bye for now.",
		})
		e.srv.AddFault(ftptest.Fault{Command: "RETR", Nth: 3, Prelim: "125 Data connection already open."})

		// A 2xx before the 1xx of a transfer is accepted.
		var buf bytes.Buffer
		resp, err := e.c.RetrBinary(e.ctx, "RETR f", &buf)
		if err != nil || resp != "226 Transfer complete." || !bytes.Equal(buf.Bytes(), data) {
			t.Fatalf("2xx before 1xx: %q, %v, %d bytes", resp, err, buf.Len())
		}
		e.alive()

		// Multi-line 150 and 226 replies are accepted.
		r, err := e.c.Retr(e.ctx, "RETR f")
		if err != nil {
			t.Fatalf("Retr with a multi-line 150: %v", err)
		}
		// As in ftplib, a size is read only from a one-line "150 " reply.
		if r.Size() != -1 {
			t.Errorf("Size = %d, want -1", r.Size())
		}
		buf.Reset()
		if _, err := io.Copy(&buf, r); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Fatalf("Close with a multi-line 226: %v", err)
		}
		if r.Reply() != "226-Transfer complete.\n226 Bye for now." || !bytes.Equal(buf.Bytes(), data) {
			t.Errorf("Reply = %q, %d bytes", r.Reply(), buf.Len())
		}
		// A 125 preliminary reply (data connection already open) works.
		buf.Reset()
		if _, err := e.c.RetrBinary(e.ctx, "RETR f", &buf); err != nil || !bytes.Equal(buf.Bytes(), data) {
			t.Fatalf("125 preliminary: %v, %d bytes", err, buf.Len())
		}
		e.alive()
	})
}

// syncBuffer is a bytes.Buffer safe for the debug writer.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestBlackboxSettings(t *testing.T) {
	forEachMode(t, func(t *testing.T, m netMode) {
		ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
		defer cancel()
		srv := newServer(t, m, nil)
		var dbg syncBuffer
		c, err := (&ftp.Dialer{Active: m.active, DebugOutput: &dbg}).Dial(ctx, srv.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		e := &env{t: t, m: m, srv: srv, c: c, ctx: ctx}
		if c.RemoteAddr().String() != srv.Addr {
			t.Errorf("RemoteAddr = %v, want %s", c.RemoteAddr(), srv.Addr)
		}
		if ra, la := c.RemoteAddr().(*net.TCPAddr), c.LocalAddr().(*net.TCPAddr); !ra.IP.Equal(la.IP) {
			t.Errorf("LocalAddr = %v on a loopback connection to %v", la, ra)
		}

		// SetDebugLevel: commands and replies, the password masked.
		c.SetDebugLevel(1)
		if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
			t.Fatal(err)
		}
		c.SetDebugLevel(0)
		out := dbg.String()
		if !strings.Contains(out, "*cmd* 'USER user'") || !strings.Contains(out, "*cmd* 'PASS ****'") ||
			!strings.Contains(out, "*resp* '230 Login successful.'") || strings.Contains(out, "pass'") {
			t.Errorf("debug output:\n%s", out)
		}
		c.Noop(ctx)
		if dbg.String() != out {
			t.Error("debug output at level 0")
		}

		// SetPasv switches the mode of later transfers.
		e.put("f", "data")
		for _, passive := range []bool{!m.active, m.active} {
			c.SetPasv(passive)
			n := e.mark()
			var buf bytes.Buffer
			if _, err := c.RetrBinary(ctx, "RETR f", &buf); err != nil || buf.String() != "data" {
				t.Fatalf("RetrBinary with SetPasv(%v): %q, %v", passive, buf.String(), err)
			}
			got := e.since(n)
			isPassive := slices.Contains(got, "PASV") || slices.Contains(got, "EPSV")
			if isPassive != passive || e.lastTransfer().Active == passive {
				t.Errorf("SetPasv(%v): server received %q, transfer %+v", passive, got, e.lastTransfer())
			}
		}

		// SetDataLocalAddr binds data connections to the given IP.
		c.SetDataLocalAddr(&net.TCPAddr{IP: c.LocalAddr().(*net.TCPAddr).IP})
		var buf bytes.Buffer
		if _, err := c.RetrBinary(ctx, "RETR f", &buf); err != nil || buf.String() != "data" {
			t.Fatalf("RetrBinary with SetDataLocalAddr: %q, %v", buf.String(), err)
		}

		// Non-ASCII names go through as UTF-8.
		name := "café ünïcode.txt"
		if _, err := c.StorBinary(ctx, "STOR "+name, strings.NewReader("é")); err != nil {
			t.Fatal(err)
		}
		if e.file(name) != "é" {
			t.Error("stored content")
		}
		names, err := c.Nlst(ctx)
		if err != nil || !slices.Contains(names, name) {
			t.Errorf("Nlst = %q, %v; want it to hold %q", names, err, name)
		}
	})
}

func TestBlackboxControlClosed(t *testing.T) {
	forEachMode(t, func(t *testing.T, m netMode) {
		// The server hangs up instead of replying: an error wrapping
		// io.EOF, and the Conn is closed from then on.
		e := setup(t, m, nil)
		e.srv.AddFault(ftptest.Fault{Command: "MKD", CloseControl: true})
		_, err := e.c.Mkd(e.ctx, "d")
		if !errors.Is(err, io.EOF) {
			t.Fatalf("Mkd on a hung-up connection: %v", err)
		}
		if _, err := e.c.Noop(e.ctx); !errors.Is(err, ftp.ErrClosed) {
			t.Fatalf("Noop after the hang-up: %v", err)
		}

		// All the data arrives but the server hangs up before the 226:
		// the transfer is not reported complete.
		e = setup(t, m, nil)
		e.put("f", string(pattern(20_000)))
		e.srv.AddFault(ftptest.Fault{Command: "RETR", CloseAfterData: true})
		var buf bytes.Buffer
		resp, err := e.c.RetrBinary(e.ctx, "RETR f", &buf)
		if err == nil {
			t.Fatalf("RetrBinary without a final reply = %q, nil", resp)
		}
		e = setup(t, m, nil)
		e.srv.AddFault(ftptest.Fault{Command: "STOR", CloseAfterData: true})
		resp, err = e.c.StorBinary(e.ctx, "STOR g", strings.NewReader("data"))
		if err == nil {
			t.Fatalf("StorBinary without a final reply = %q, nil", resp)
		}
	})
}
