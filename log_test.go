package ftp_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/ftptest"
)

// rec is one captured record: its level, message and attributes.
type rec struct {
	level slog.Level
	msg   string
	attrs map[string]slog.Value
}

func (r rec) str(k string) string { return r.attrs[k].String() }

func (r rec) has(k string) bool { _, ok := r.attrs[k]; return ok }

// recorder is a slog.Handler that keeps every record.
type recorder struct {
	mu   sync.Mutex
	recs []rec
}

func newRecorder() (*slog.Logger, *recorder) {
	r := &recorder{}
	return slog.New(r), r
}

func (*recorder) Enabled(context.Context, slog.Level) bool { return true }

func (h *recorder) Handle(_ context.Context, r slog.Record) error {
	x := rec{level: r.Level, msg: r.Message, attrs: map[string]slog.Value{}}
	r.Attrs(func(a slog.Attr) bool {
		x.attrs[a.Key] = a.Value.Resolve()
		return true
	})
	h.mu.Lock()
	h.recs = append(h.recs, x)
	h.mu.Unlock()
	return nil
}

func (h *recorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recorder) WithGroup(string) slog.Handler      { return h }

// all returns the records with message msg.
func (h *recorder) all(msg string) []rec {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []rec
	for _, r := range h.recs {
		if r.msg == msg {
			out = append(out, r)
		}
	}
	return out
}

// one returns the only record with message msg whose attribute k is v
// (k "" for any), failing the test unless there is exactly one.
func (h *recorder) one(t *testing.T, msg, k, v string) rec {
	t.Helper()
	var found []rec
	for _, r := range h.all(msg) {
		if k == "" || r.str(k) == v {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d records %q with %s=%q, want 1; all: %v", len(found), msg, k, v, h.dump())
	}
	return found[0]
}

func (h *recorder) dump() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b strings.Builder
	for _, r := range h.recs {
		fmt.Fprintf(&b, "\n  %s %q", r.level, r.msg)
		for k, v := range r.attrs {
			fmt.Fprintf(&b, " %s=%q", k, v.String())
		}
	}
	return b.String()
}

// traceLog is a Trace whose hooks write what they see, one line each.
type traceLog struct {
	mu    sync.Mutex
	lines []string
	stats []ftp.TransferStats
	data  []ftp.DataConnInfo
	tls   []tls.ConnectionState // data handshakes
	retry []ftp.RetryInfo
}

func (l *traceLog) add(format string, args ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func (l *traceLog) trace() *ftp.Trace {
	return &ftp.Trace{
		DNSStart:          func(host string) { l.add("dns start %s", host) },
		DNSDone:           func(addrs []net.IPAddr, err error) { l.add("dns done %v", err) },
		ConnectStart:      func(addr string) { l.add("connect start %s", addr) },
		ConnectDone:       func(addr string, err error) { l.add("connect done %s %v", addr, err) },
		TLSHandshakeStart: func(data bool) { l.add("tls start data=%v", data) },
		TLSHandshakeDone: func(data bool, st tls.ConnectionState, err error) {
			l.add("tls done data=%v resumed=%v %v", data, st.DidResume, err)
			if data {
				l.mu.Lock()
				l.tls = append(l.tls, st)
				l.mu.Unlock()
			}
		},
		CommandSent:   func(cmd string) { l.add("cmd %s", cmd) },
		ReplyReceived: func(r ftp.ReplyInfo) { l.add("reply %d to %q", r.Code, r.Cmd) },
		DataConnOpened: func(i ftp.DataConnInfo) {
			l.add("data open %s passive=%v", i.Cmd, i.Passive)
			l.mu.Lock()
			l.data = append(l.data, i)
			l.mu.Unlock()
		},
		DataConnClosed: func(i ftp.DataConnInfo) { l.add("data closed %s", i.Cmd) },
		TransferDone: func(s ftp.TransferStats) {
			l.add("transfer %s", s.Cmd)
			l.mu.Lock()
			l.stats = append(l.stats, s)
			l.mu.Unlock()
		},
		Retry: func(r ftp.RetryInfo) {
			l.add("retry %s %s", r.Op, r.Path)
			l.mu.Lock()
			l.retry = append(l.retry, r)
			l.mu.Unlock()
		},
	}
}

func (l *traceLog) has(line string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, x := range l.lines {
		if x == line {
			return true
		}
	}
	return false
}

func (l *traceLog) wantLines(t *testing.T, lines ...string) {
	t.Helper()
	for _, x := range lines {
		if !l.has(x) {
			l.mu.Lock()
			t.Errorf("trace has no %q; got:\n%s", x, strings.Join(l.lines, "\n"))
			l.mu.Unlock()
		}
	}
}

// TestLogPlainSession reads the records and hooks of a plain session:
// dial, welcome, login (PASS masked), a download and a resumed one.
func TestLogPlainSession(t *testing.T) {
	ftp.CheckLeaks(t)
	srv := ftptest.NewServer()
	defer srv.Close()
	data := bytes.Repeat([]byte("0123456789"), 100)
	srv.WriteFile("a.bin", data)

	logger, h := newRecorder()
	var tl traceLog
	ctx := ftp.WithTrace(testCtx(t), tl.trace())
	d := &ftp.Dialer{Logger: logger}
	c, err := d.Dial(ctx, srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := c.RetrBinary(ctx, "RETR a.bin", &b); err != nil || !bytes.Equal(b.Bytes(), data) {
		t.Fatalf("RetrBinary: %d bytes, %v", b.Len(), err)
	}
	b.Reset()
	if _, err := c.RetrBinary(ctx, "RETR a.bin", &b, ftp.Rest(400)); err != nil || b.Len() != 600 {
		t.Fatalf("RetrBinary from 400: %d bytes, %v", b.Len(), err)
	}
	if _, err := c.Quit(ctx); err != nil {
		t.Fatal(err)
	}

	conn := h.one(t, "ftp connect", "", "")
	if conn.level != slog.LevelDebug || conn.str("addr") != srv.Addr || !conn.has("dur") {
		t.Errorf("connect record: %v", conn)
	}
	if w := h.one(t, "ftp reply", "cmd", ""); w.attrs["code"].Int64() != 220 {
		t.Errorf("welcome record: %v", w)
	}
	h.one(t, "ftp command", "cmd", "USER user")
	h.one(t, "ftp command", "cmd", "PASS ****")
	if r := h.one(t, "ftp reply", "cmd", "PASS ****"); r.attrs["code"].Int64() != 230 || r.level != slog.LevelDebug || !r.has("dur") {
		t.Errorf("reply to PASS: %v", r)
	}
	h.one(t, "ftp command", "cmd", "REST 400")
	for _, r := range h.all("ftp data") {
		if r.str("mode") != "passive" || r.str("cmd") != "RETR a.bin" || r.has("tls") || !strings.HasPrefix(r.str("addr"), "127.0.0.1:") {
			t.Errorf("data record: %v", r)
		}
	}
	tr := h.all("ftp transfer")
	if len(tr) != 2 {
		t.Fatalf("%d transfer records, want 2: %s", len(tr), h.dump())
	}
	for i, want := range []int64{1000, 600} {
		r := tr[i]
		if r.level != slog.LevelInfo || r.str("cmd") != "RETR a.bin" || r.attrs["bytes"].Int64() != want ||
			r.str("result") != "ok" || r.attrs["code"].Int64() != 226 || r.has("err") || r.attrs["rate"].Float64() <= 0 {
			t.Errorf("transfer record %d: %v", i, r)
		}
	}
	if tr[0].has("offset") || tr[1].attrs["offset"].Int64() != 400 {
		t.Errorf("offsets: %v, %v", tr[0], tr[1])
	}

	tl.wantLines(t,
		"connect start "+srv.Addr, "connect done "+srv.Addr+" <nil>",
		`reply 220 to ""`, "cmd USER user", "cmd PASS ****", `reply 230 to "PASS ****"`,
		"data open RETR a.bin passive=true", "data closed RETR a.bin", "transfer RETR a.bin",
		"cmd QUIT", `reply 221 to "QUIT"`)
	if tl.has("tls start data=false") || tl.has("dns start 127.0.0.1") {
		t.Errorf("unexpected hooks: %q", tl.lines)
	}
	if len(tl.stats) != 2 {
		t.Fatalf("%d TransferDone, want 2", len(tl.stats))
	}
	s0, s1 := tl.stats[0], tl.stats[1]
	if s0.Bytes != 1000 || s0.Offset != 0 || s1.Bytes != 600 || s1.Offset != 400 || s0.Upload || !s0.Passive ||
		s0.TLSVersion != 0 || !strings.HasPrefix(s0.Reply, "226") || s0.Err != nil || s0.Duration <= 0 || s0.Rate() <= 0 {
		t.Errorf("stats: %+v, %+v", s0, s1)
	}
}

// TestLogActiveAndUpload checks the data record of an active-mode upload
// and DataConn.Stats.
func TestLogActiveAndUpload(t *testing.T) {
	ftp.CheckLeaks(t)
	srv := ftptest.NewServer()
	defer srv.Close()
	logger, h := newRecorder()
	ctx := testCtx(t)
	c, err := (&ftp.Dialer{Logger: logger, Active: true}).Dial(ctx, srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
		t.Fatal(err)
	}
	dc, err := c.Stor(ctx, "STOR up.bin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dc.Write(make([]byte, 777)); err != nil {
		t.Fatal(err)
	}
	if s := dc.Stats(); s.Bytes != 777 || !s.Upload || s.Passive || s.Reply != "" || s.Cmd != "STOR up.bin" {
		t.Errorf("Stats while open: %+v", s)
	}
	if err := dc.Close(); err != nil {
		t.Fatal(err)
	}
	s := dc.Stats()
	if s.Bytes != 777 || !strings.HasPrefix(s.Reply, "226") || s.Err != nil {
		t.Errorf("Stats after Close: %+v", s)
	}
	if s2 := dc.Stats(); s2 != s {
		t.Errorf("Stats changed after Close: %+v, then %+v", s, s2)
	}
	r := h.one(t, "ftp data", "", "")
	if r.str("mode") != "active" || r.str("cmd") != "STOR up.bin" {
		t.Errorf("data record: %v", r)
	}
	if r := h.one(t, "ftp transfer", "", ""); r.attrs["bytes"].Int64() != 777 || r.str("result") != "ok" {
		t.Errorf("transfer record: %v", r)
	}
}

// TestLogFTPS reads the records and hooks of an explicit FTPS session on
// a server that requires the data connections to resume the control
// connection's TLS session.
func TestLogFTPS(t *testing.T) {
	ftp.CheckLeaks(t)
	srv := ftptest.NewUnstartedServer()
	srv.RequireSessionReuse = true
	srv.StartTLS()
	defer srv.Close()
	srv.WriteFile("a.txt", []byte("hello, world\n"))

	logger, h := newRecorder()
	var tl traceLog
	ctx := ftp.WithTrace(testCtx(t), tl.trace())
	f, err := (&ftp.Dialer{TLSConfig: srv.TLSConfig(), Logger: logger}).DialFTPS(ctx, srv.Addr)
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
	dc, err := f.Retr(ctx, "RETR a.txt")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(dc); err != nil || string(b) != "hello, world\n" {
		t.Fatalf("ReadAll: %q, %v", b, err)
	}
	if err := dc.Close(); err != nil {
		t.Fatal(err)
	}
	s := dc.Stats()
	if s.Bytes != 13 || s.TLSVersion == 0 || !s.TLSResumed || s.Cmd != "RETR a.txt" || !strings.HasPrefix(s.Reply, "226") {
		t.Errorf("Stats: %+v", s)
	}

	ctl := h.one(t, "ftp tls", "conn", "control")
	if ctl.str("tls") == "" || ctl.attrs["resumed"].Bool() || !ctl.has("dur") {
		t.Errorf("control handshake record: %v", ctl)
	}
	dt := h.one(t, "ftp tls", "conn", "data")
	if !dt.attrs["resumed"].Bool() || dt.str("tls") != ctl.str("tls") {
		t.Errorf("data handshake record: %v", dt)
	}
	dr := h.one(t, "ftp data", "", "")
	if dr.str("tls") != ctl.str("tls") || !dr.attrs["resumed"].Bool() || dr.str("mode") != "passive" {
		t.Errorf("data record: %v", dr)
	}
	tr := h.one(t, "ftp transfer", "", "")
	if !tr.attrs["resumed"].Bool() || tr.attrs["bytes"].Int64() != 13 || tr.str("result") != "ok" {
		t.Errorf("transfer record: %v", tr)
	}
	h.one(t, "ftp command", "cmd", "AUTH TLS")
	h.one(t, "ftp command", "cmd", "PASS ****")

	tl.wantLines(t, "tls start data=false", "tls done data=false resumed=false <nil>",
		"tls start data=true", "tls done data=true resumed=true <nil>", "transfer RETR a.txt")
	if len(tl.tls) != 1 || !tl.tls[0].DidResume || len(tl.data) != 1 || tl.data[0].TLS == nil || !tl.data[0].TLS.DidResume {
		t.Errorf("data TLS seen by hooks: %d handshakes, %+v", len(tl.tls), tl.data)
	}
}

// TestLogClientRetry reads the Warn record and the hooks of a Client
// download whose data connection is cut once: it is resumed with REST.
func TestLogClientRetry(t *testing.T) {
	ftp.CheckLeaks(t)
	srv := ftptest.NewServer()
	defer srv.Close()
	data := bytes.Repeat([]byte("abcdefghij"), 100)
	srv.WriteFile("f.bin", data)
	srv.AddFault(ftptest.Fault{Command: "RETR", Nth: 1, Cut: true, CutAfter: 300})

	logger, h := newRecorder()
	c := &ftp.Client{Addr: srv.Addr, User: "user", Password: "pass", Dialer: &ftp.Dialer{Logger: logger}}
	defer c.Close()
	var tl traceLog
	ctx := ftp.WithTrace(testCtx(t), tl.trace())
	var b bytes.Buffer
	if n, err := c.Download(ctx, "f.bin", &b); err != nil || n != 1000 || !bytes.Equal(b.Bytes(), data) {
		t.Fatalf("Download = %d, %v", n, err)
	}
	r := h.one(t, "ftp retry", "", "")
	if r.level != slog.LevelWarn || r.str("op") != "download" || r.str("path") != "f.bin" ||
		r.attrs["attempt"].Int64() != 1 || !r.has("wait") || !strings.Contains(r.str("err"), "426") {
		t.Errorf("retry record: %v", r)
	}
	tr := h.all("ftp transfer")
	if len(tr) != 2 || tr[0].str("result") != "failed" || !tr[0].has("err") || tr[1].str("result") != "ok" ||
		tr[1].attrs["offset"].Int64() != 300 || tr[1].attrs["bytes"].Int64() != 700 {
		t.Errorf("transfer records: %s", h.dump())
	}
	if len(tl.retry) != 1 || tl.retry[0].Attempt != 1 || tl.retry[0].Op != "download" || tl.retry[0].Err == nil {
		t.Errorf("Retry hook: %+v", tl.retry)
	}
	if len(tl.stats) != 2 || tl.stats[0].Err == nil || tl.stats[1].Offset != 300 || tl.stats[1].Bytes != 700 {
		t.Errorf("TransferDone: %+v", tl.stats)
	}
}

// TestLogEPSVFallback reads the Warn record of a fallback from a refused
// EPSV to PASV.
func TestLogEPSVFallback(t *testing.T) {
	ftp.CheckLeaks(t)
	srv := ftptest.NewServer()
	defer srv.Close()
	srv.WriteFile("a", []byte("x"))
	srv.AddFault(ftptest.Fault{Command: "EPSV", Reply: "502 EPSV not here."})
	logger, h := newRecorder()
	ctx := testCtx(t)
	c, err := (&ftp.Dialer{Logger: logger, EPSV: true}).Dial(ctx, srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := c.RetrBinary(ctx, "RETR a", io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	// Once: PASV is then kept.
	r := h.one(t, "ftp fallback", "", "")
	if r.level != slog.LevelWarn || r.str("from") != "EPSV" || r.str("to") != "PASV" || !strings.Contains(r.str("err"), "502") {
		t.Errorf("fallback record: %v", r)
	}
}

// TestLogNoSecrets sends passwords and accounts in every letter case and
// through every path (Login, SendCmd, Client URL) and checks that no
// record, hook or error attribute holds them.
func TestLogNoSecrets(t *testing.T) {
	ftp.CheckLeaks(t)
	srv := ftptest.NewServer()
	defer srv.Close()
	secrets := []string{"Wrong-s3cret", "Lower-s3cret", "Mixed-s3cret", "Acct-s3cret", "Tab-s3cret", "Url-s3cret"}
	logger, h := newRecorder()
	var tl traceLog
	ctx := ftp.WithTrace(testCtx(t), tl.trace())
	c, err := (&ftp.Dialer{Logger: logger}).Dial(ctx, srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var errs []error
	_, err = c.Login(ctx, "user", "Wrong-s3cret", "")
	errs = append(errs, err)
	for _, cmd := range []string{"USER user", "pass Lower-s3cret", "USER user", "PaSs Mixed-s3cret", "acct Acct-s3cret", " PASS\tTab-s3cret"} {
		_, err := c.SendCmd(ctx, cmd)
		errs = append(errs, err)
	}
	cl, err := ftp.NewClient("ftp://user:Url-s3cret@" + srv.Addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	cl.Dialer = &ftp.Dialer{Logger: logger}
	defer cl.Close()
	_, err = cl.Stat(ctx, "x")
	errs = append(errs, err, errors.New(cl.String()))
	if len(h.all("ftp command")) < 8 {
		t.Fatalf("too few records: %s", h.dump())
	}
	all := h.dump() + strings.Join(tl.lines, "\n")
	for _, err := range errs {
		if err != nil {
			all += "\n" + err.Error()
		}
	}
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("%q appears in:%s", s, all)
		}
	}
	for _, want := range []string{"PASS ****", "ACCT ****"} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q in:%s", want, all)
		}
	}
}

// TestTraceNilCosts checks that WithTrace(nil) adds nothing and that a
// ctx without a Trace gives nil.
func TestTraceNilCosts(t *testing.T) {
	ctx := context.Background()
	if ftp.WithTrace(ctx, nil) != ctx || ftp.ContextTrace(ctx) != nil {
		t.Fatal("WithTrace(nil) or ContextTrace on a bare ctx")
	}
	tr := &ftp.Trace{}
	if ftp.ContextTrace(ftp.WithTrace(ctx, tr)) != tr {
		t.Fatal("ContextTrace does not return the Trace given")
	}
}

// TestLogPipelinedAndAborted reads the records of pipelined commands
// (each command and the reply to it) and of a download closed before the
// end of its data (result "aborted").
func TestLogPipelinedAndAborted(t *testing.T) {
	ftp.CheckLeaks(t)
	srv := ftptest.NewServer()
	defer srv.Close()
	srv.WriteFile("a", []byte("x"))
	srv.WriteFile("big", bytes.Repeat([]byte("y"), 4<<20))
	logger, h := newRecorder()
	ctx := testCtx(t)
	c, err := (&ftp.Dialer{Logger: logger}).Dial(ctx, srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ModTimes(ctx, []string{"a", "nope"}); err != nil {
		t.Fatal(err)
	}
	h.one(t, "ftp command", "cmd", "MDTM a")
	h.one(t, "ftp command", "cmd", "MDTM nope")
	if r := h.one(t, "ftp reply", "cmd", "MDTM a"); r.attrs["code"].Int64() != 213 {
		t.Errorf("reply to MDTM a: %v", r)
	}
	if r := h.one(t, "ftp reply", "cmd", "MDTM nope"); r.attrs["code"].Int64() != 550 {
		t.Errorf("reply to MDTM nope: %v", r)
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
	s := dc.Stats()
	if s.Bytes < 10 || s.Bytes >= 4<<20 || s.Reply == "" || s.Err != nil {
		t.Errorf("Stats of the aborted download: %+v", s)
	}
	r := h.one(t, "ftp transfer", "cmd", "RETR big")
	if r.str("result") != "aborted" || r.attrs["bytes"].Int64() != s.Bytes || r.has("err") {
		t.Errorf("transfer record: %v", r)
	}
	h.one(t, "ftp command", "cmd", "ABOR")
	if _, err := c.Noop(ctx); err != nil {
		t.Fatalf("Conn after the abort: %v", err)
	}
}
