package interop

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/ftplib-go/ftp"
)

// TestInteropObserve reads the Logger's records (as JSON lines) and the
// Trace's hooks of a session on every server: login with PASS masked, a
// binary download and a listing with their transfer records, and on the
// TLS configurations the data connection's TLS version and whether it
// resumed the session, which must agree with what the server is known to
// do. No record holds the password.
func TestInteropObserve(t *testing.T) {
	needInterop(t)
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			run(t, s, "Logger/Trace: records, hooks, transfer statistics", func(t *testing.T, r *rec) { opObserve(t, s, r) })
		})
	}
}

func opObserve(t *testing.T, s *server, r *rec) {
	buf := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var mu sync.Mutex
	var stats []ftp.TransferStats
	var dataTLS []tls.ConnectionState
	trace := &ftp.Trace{
		TLSHandshakeDone: func(data bool, st tls.ConnectionState, err error) {
			if data && err == nil {
				mu.Lock()
				dataTLS = append(dataTLS, st)
				mu.Unlock()
			}
		},
		TransferDone: func(st ftp.TransferStats) {
			mu.Lock()
			stats = append(stats, st)
			mu.Unlock()
		},
	}
	ctx := ftp.WithTrace(within(t), trace)
	c := s.login(t, ctx, s.dialer(t, func(d *ftp.Dialer) { d.Logger = logger }))
	if _, err := c.RetrBinary(ctx, "RETR tree/f001.txt", io.Discard); err != nil {
		t.Fatalf("RETR: %v", err)
	}
	if _, err := c.Nlst(ctx, "tree"); err != nil {
		t.Fatalf("NLST: %v", err)
	}

	out := buf.String()
	if strings.Contains(out, pass) {
		t.Errorf("a record holds the password:\n%s", out)
	}
	type record struct {
		Msg     string `json:"msg"`
		Level   string `json:"level"`
		Cmd     string `json:"cmd"`
		Code    int    `json:"code"`
		Bytes   int64  `json:"bytes"`
		Result  string `json:"result"`
		TLS     string `json:"tls"`
		Resumed *bool  `json:"resumed"`
		Mode    string `json:"mode"`
	}
	var recs []record
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var x record
		if err := json.Unmarshal(sc.Bytes(), &x); err != nil {
			t.Fatalf("record %q: %v", sc.Text(), err)
		}
		recs = append(recs, x)
	}
	find := func(msg, cmd string) []record {
		var res []record
		for _, x := range recs {
			if x.Msg == msg && (cmd == "" || x.Cmd == cmd) {
				res = append(res, x)
			}
		}
		return res
	}
	if len(find("ftp command", "PASS ****")) != 1 || len(find("ftp reply", "PASS ****")) != 1 {
		t.Errorf("no masked PASS command and reply in:\n%s", out)
	}
	tr := find("ftp transfer", "RETR tree/f001.txt")
	if len(tr) != 1 || tr[0].Bytes != 10 || tr[0].Result != "ok" || tr[0].Code != 226 || tr[0].Level != "INFO" {
		t.Errorf("RETR transfer record: %+v", tr)
	}
	if ls := find("ftp transfer", "NLST tree"); len(ls) != 1 || ls[0].Result != "ok" || ls[0].Bytes == 0 {
		t.Errorf("NLST transfer record: %+v", ls)
	}
	data := find("ftp data", "")
	if len(data) != 2 {
		t.Fatalf("%d data records, want 2:\n%s", len(data), out)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(stats) != 2 || stats[0].Bytes != 10 || stats[0].Err != nil {
		t.Errorf("TransferDone: %+v", stats)
	}
	if s.tls == plainFTP {
		if data[0].TLS != "" || len(dataTLS) != 0 || stats[0].TLSVersion != 0 {
			t.Errorf("plain session with data TLS: %+v, %d handshakes", data[0], len(dataTLS))
		}
		return
	}
	for i, d := range data {
		if d.TLS == "" || d.Resumed == nil || *d.Resumed != s.dataResume {
			t.Errorf("data record %d: tls %q resumed %v, want resumed %v", i, d.TLS, d.Resumed, s.dataResume)
		}
	}
	if len(dataTLS) != 2 || dataTLS[0].DidResume != s.dataResume || stats[0].TLSResumed != s.dataResume {
		t.Errorf("hooks: %d data handshakes, stats %+v; want resumed %v", len(dataTLS), stats, s.dataResume)
	}
	r.Note("data connections: %s, resumed %v", data[0].TLS, s.dataResume)
}
