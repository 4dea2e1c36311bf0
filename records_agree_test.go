package ftp_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/ftptest"
)

// These tests run sessions against ftptest with a Dialer.Logger and check
// that the client's records and the server's (ftptest.Server.Records)
// tell the same story: the same commands in the same order, the same
// reply codes, the same data connections (mode, address, TLS version,
// resumption) and the same transfers (command, bytes, offset, result,
// final code).

// clientLog is a slog.Handler that keeps the records of package ftp.
type clientLog struct {
	mu   sync.Mutex
	recs []clientRec
}

// clientRec is one record: its message and attributes.
type clientRec struct {
	msg   string
	attrs map[string]slog.Value
}

func (*clientLog) Enabled(context.Context, slog.Level) bool { return true }

func (h *clientLog) Handle(_ context.Context, r slog.Record) error {
	x := clientRec{msg: r.Message, attrs: map[string]slog.Value{}}
	r.Attrs(func(a slog.Attr) bool {
		x.attrs[a.Key] = a.Value.Resolve()
		return true
	})
	h.mu.Lock()
	h.recs = append(h.recs, x)
	h.mu.Unlock()
	return nil
}

func (h *clientLog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *clientLog) WithGroup(string) slog.Handler      { return h }

func (h *clientLog) records() []clientRec {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.recs)
}

// story is what both sides recorded, in comparable form.
type story struct {
	cmds      []string
	codes     []int
	data      []string // "cmd mode addr tls resumed"
	transfers []string // "cmd bytes=N offset=N tls resumed result code"
}

func (s story) String() string {
	return fmt.Sprintf("commands  %q\ncodes     %v\ndata      %q\ntransfers %q", s.cmds, s.codes, s.data, s.transfers)
}

func tlsField(version string, resumed bool) string {
	if version == "" {
		return "clear"
	}
	return fmt.Sprintf("%s resumed=%v", version, resumed)
}

// clientStory reads the client's records.
func clientStory(recs []clientRec) story {
	var s story
	for _, r := range recs {
		a := r.attrs
		str := func(k string) string {
			if v, ok := a[k]; ok {
				return v.String()
			}
			return ""
		}
		num := func(k string) int64 {
			if v, ok := a[k]; ok {
				return v.Int64()
			}
			return 0
		}
		resumed := a["resumed"].Kind() == slog.KindBool && a["resumed"].Bool()
		switch r.msg {
		case "ftp command":
			s.cmds = append(s.cmds, str("cmd"))
		case "ftp reply":
			s.codes = append(s.codes, int(num("code")))
		case "ftp data":
			s.data = append(s.data, fmt.Sprintf("%s %s %s %s", str("cmd"), str("mode"), str("addr"), tlsField(str("tls"), resumed)))
		case "ftp transfer":
			s.transfers = append(s.transfers, fmt.Sprintf("%s bytes=%d offset=%d %s %s %d",
				str("cmd"), num("bytes"), num("offset"), tlsField(str("tls"), resumed), str("result"), num("code")))
		}
	}
	return s
}

// serverStory reads the server's records.
func serverStory(recs []ftptest.Record) story {
	var s story
	for _, r := range recs {
		version := ""
		if r.TLSVersion != 0 {
			version = tls.VersionName(r.TLSVersion)
		}
		switch r.Kind {
		case ftptest.RecordCommand:
			s.cmds = append(s.cmds, r.Command)
		case ftptest.RecordReply:
			s.codes = append(s.codes, r.Code)
		case ftptest.RecordDataConn:
			mode := "passive"
			if r.Active {
				mode = "active"
			}
			s.data = append(s.data, fmt.Sprintf("%s %s %s %s", r.Command, mode, r.Addr, tlsField(version, r.Resumed)))
		case ftptest.RecordTransfer:
			s.transfers = append(s.transfers, fmt.Sprintf("%s bytes=%d offset=%d %s %s %d",
				r.Command, r.Bytes, r.Offset, tlsField(version, r.Resumed), r.Result, r.Code))
		}
	}
	return s
}

// agree checks that the client's and the server's records tell the same
// story; with unordered, as multisets (several connections at once).
func agree(t *testing.T, client []clientRec, server []ftptest.Record, unordered bool) story {
	t.Helper()
	c, s := clientStory(client), serverStory(server)
	if unordered {
		for _, x := range []*story{&c, &s} {
			slices.Sort(x.cmds)
			slices.Sort(x.codes)
			slices.Sort(x.data)
			slices.Sort(x.transfers)
		}
	}
	if !slices.Equal(c.cmds, s.cmds) || !slices.Equal(c.codes, s.codes) ||
		!slices.Equal(c.data, s.data) || !slices.Equal(c.transfers, s.transfers) {
		t.Errorf("client and server records disagree:\nclient:\n%v\nserver:\n%v", c, s)
	}
	if len(c.cmds) == 0 || len(c.transfers) == 0 {
		t.Errorf("nothing recorded:\n%v", c)
	}
	return c
}

// session runs logins and transfers of every kind on c.
func runSession(t *testing.T, ctx context.Context, c *ftp.Conn, login func() error) {
	t.Helper()
	if err := login(); err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	if _, err := c.StorBinary(ctx, "STOR up.bin", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := c.RetrBinary(ctx, "RETR up.bin", &b); err != nil || !bytes.Equal(b.Bytes(), data) {
		t.Fatalf("RETR: %d bytes, %v", b.Len(), err)
	}
	b.Reset()
	if _, err := c.RetrBinary(ctx, "RETR up.bin", &b, ftp.Rest(1000)); err != nil || b.Len() != len(data)-1000 {
		t.Fatalf("RETR from 1000: %d bytes, %v", b.Len(), err)
	}
	if _, err := c.RetrLines(ctx, "RETR notes.txt", func(string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Nlst(ctx); err != nil {
		t.Fatal(err)
	}
	for _, err := range c.Mlsd(ctx, "/") {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.RetrBinary(ctx, "RETR missing", io.Discard); err == nil {
		t.Fatal("RETR missing: no error")
	}
	if _, err := c.Quit(ctx); err != nil {
		t.Fatal(err)
	}
}

func newAgreeServer(t *testing.T, start func(*ftptest.Server)) *ftptest.Server {
	t.Helper()
	srv := ftptest.NewUnstartedServer()
	srv.RequireSessionReuse = true
	start(srv)
	t.Cleanup(srv.Close)
	srv.WriteFile("notes.txt", []byte("one\ntwo\nthree\n"))
	return srv
}

func TestRecordsAgreePlain(t *testing.T) {
	for _, active := range []bool{false, true} {
		t.Run(fmt.Sprintf("active=%v", active), func(t *testing.T) {
			ftp.CheckLeaks(t)
			srv := newAgreeServer(t, (*ftptest.Server).Start)
			h := new(clientLog)
			ctx := testCtx(t)
			c, err := (&ftp.Dialer{Logger: slog.New(h), Active: active}).Dial(ctx, srv.Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			runSession(t, ctx, c, func() error { _, err := c.Login(ctx, "user", "pass", ""); return err })
			s := agree(t, h.records(), srv.Records(), false)
			// RETR up.bin, from 1000, notes.txt, STOR, NLST, MLSD; RETR
			// missing opens no data connection on the server's side.
			if len(s.data) != 6 || !slices.Contains(s.cmds, "PASS ****") {
				t.Errorf("story:\n%v", s)
			}
		})
	}
}

func TestRecordsAgreeFTPS(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for _, implicit := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/implicit=%v", tls.VersionName(v), implicit), func(t *testing.T) {
				ftp.CheckLeaks(t)
				start := (*ftptest.Server).StartTLS
				if implicit {
					start = (*ftptest.Server).StartImplicitTLS
				}
				srv := newAgreeServer(t, start)
				cfg := srv.TLSConfig()
				cfg.MaxVersion = v
				h := new(clientLog)
				ctx := testCtx(t)
				f, err := (&ftp.Dialer{Logger: slog.New(h), TLSConfig: cfg, ImplicitTLS: implicit}).DialFTPS(ctx, srv.Addr)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				runSession(t, ctx, f.Conn, func() error {
					if _, err := f.Login(ctx, "user", "pass", ""); err != nil {
						return err
					}
					_, err := f.ProtP(ctx)
					return err
				})
				s := agree(t, h.records(), srv.Records(), false)
				// Every data connection resumed the control connection's
				// session (the server requires it), in the version asked.
				want := tls.VersionName(v) + " resumed=true"
				for _, d := range append(s.data, s.transfers...) {
					if !strings.Contains(d, want) {
						t.Errorf("%q: want %s", d, want)
					}
				}
				if len(s.data) != 6 {
					t.Errorf("story:\n%v", s)
				}
			})
		}
	}
}

// TestRecordsAgreeClient runs a pooled Client on two connections, with
// a download cut once and retried from where it broke, and a fallback
// from a refused EPSV to PASV. The records of the connections interleave,
// so both sides are compared as multisets.
func TestRecordsAgreeClient(t *testing.T) {
	ftp.CheckLeaks(t)
	srv := newAgreeServer(t, (*ftptest.Server).Start)
	data := bytes.Repeat([]byte("abcdefghij"), 10_000)
	for i := 0; i < 6; i++ {
		srv.WriteFile(fmt.Sprintf("f%d.bin", i), data)
	}
	srv.AddFault(ftptest.Fault{Command: "RETR", Nth: 2, Cut: true, CutAfter: 30_000})
	srv.AddFault(ftptest.Fault{Command: "EPSV", Reply: "502 EPSV not here."})
	h := new(clientLog)
	c := &ftp.Client{Addr: srv.Addr, User: "user", Password: "pass", MaxConns: 2,
		Dialer: &ftp.Dialer{Logger: slog.New(h), EPSV: true}}
	ctx := testCtx(t)
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b bytes.Buffer
			if _, err := c.Download(ctx, fmt.Sprintf("f%d.bin", i), &b); err != nil || !bytes.Equal(b.Bytes(), data) {
				errs <- fmt.Errorf("f%d.bin: %d bytes, %v", i, b.Len(), err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// Close sends QUIT to the idle connections: wait for their 221.
	pollUntil(t, "every QUIT answered", func() bool {
		n := 0
		for _, r := range srv.Records() {
			if r.Kind == ftptest.RecordReply && r.Code == 221 {
				n++
			}
		}
		return n == srv.TotalConns()
	})
	s := agree(t, h.records(), srv.Records(), true)
	var retried bool
	for _, x := range s.transfers {
		retried = retried || strings.Contains(x, "bytes=70000 offset=30000 clear ok 226")
	}
	if !retried || !slices.Contains(s.transfers, "RETR f1.bin bytes=30000 offset=0 clear failed 426") &&
		!slices.ContainsFunc(s.transfers, func(x string) bool { return strings.HasSuffix(x, "bytes=30000 offset=0 clear failed 426") }) {
		t.Errorf("no cut and resumed download:\n%v", s)
	}
	if !slices.Contains(s.cmds, "EPSV") || !slices.Contains(s.cmds, "PASV") {
		t.Errorf("no fallback:\n%v", s)
	}
}

// TestRecordsAgreeAbort aborts a download: both sides agree on the
// commands, the replies and the final code; the client records the
// transfer as aborted, the server as aborted or failed (when the data
// connection, closed right after ABOR is sent, fails its write before the
// ABOR is read), and counts at least the bytes the client read (the rest
// were in flight).
func TestRecordsAgreeAbort(t *testing.T) {
	ftp.CheckLeaks(t)
	srv := newAgreeServer(t, (*ftptest.Server).Start)
	srv.WriteFile("big", bytes.Repeat([]byte("y"), 4<<20))
	h := new(clientLog)
	ctx := testCtx(t)
	c, err := (&ftp.Dialer{Logger: slog.New(h)}).Dial(ctx, srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
		t.Fatal(err)
	}
	dc, err := c.Retr(ctx, "RETR big")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(dc, make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	if err := dc.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Quit(ctx); err != nil {
		t.Fatal(err)
	}
	cs, ss := clientStory(h.records()), serverStory(srv.Records())
	if !slices.Equal(cs.cmds, ss.cmds) || !slices.Equal(cs.codes, ss.codes) || !slices.Equal(cs.data, ss.data) {
		t.Errorf("client and server records disagree:\nclient:\n%v\nserver:\n%v", cs, ss)
	}
	var cb, sb int64
	var cres, sres string
	var ccode, scode int
	for _, r := range h.records() {
		if r.msg == "ftp transfer" {
			cb, cres, ccode = r.attrs["bytes"].Int64(), r.attrs["result"].String(), int(r.attrs["code"].Int64())
		}
	}
	for _, r := range srv.Records() {
		if r.Kind == ftptest.RecordTransfer {
			sb, sres, scode = r.Bytes, r.Result, r.Code
		}
	}
	if cres != "aborted" || sres != "aborted" && sres != "failed" || ccode != scode || cb < 10 || sb < cb {
		t.Errorf("aborted transfer: client %d bytes %s %d, server %d bytes %s %d", cb, cres, ccode, sb, sres, scode)
	}
}

// pollUntil waits for cond, failing the test if it does not hold within
// ten seconds (a bound on a hang, not a speed check).
func pollUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
