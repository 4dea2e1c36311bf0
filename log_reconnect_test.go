package ftp

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ftplib-go/ftp/ftptest"
)

// msgHandler keeps the level, message and err attribute of each record.
type msgHandler struct {
	mu   sync.Mutex
	recs []string
}

func (*msgHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *msgHandler) Handle(_ context.Context, r slog.Record) error {
	s := r.Level.String() + " " + r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "err" {
			s += " err=" + a.Value.String()
		}
		return true
	})
	h.mu.Lock()
	h.recs = append(h.recs, s)
	h.mu.Unlock()
	return nil
}

func (h *msgHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *msgHandler) WithGroup(string) slog.Handler      { return h }

// TestLogReconnect checks the Warn record of a Client whose idle pooled
// connection fails its NOOP check: the call goes on with a new one.
func TestLogReconnect(t *testing.T) {
	checkLeaks(t)
	srv := ftptest.NewServer()
	defer srv.Close()
	h := &msgHandler{}
	c := &Client{Addr: srv.Addr, User: "user", Password: "pass", IdleTimeout: -1, Dialer: &Dialer{Logger: slog.New(h)}}
	defer c.Close()
	ctx := testCtx(t)
	if err := c.Mkdir(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	// The idle connection is old enough to be checked, and the server
	// hangs up at the NOOP.
	c.pool.mu.Lock()
	n := len(c.pool.free)
	for _, pc := range c.pool.free {
		pc.used = pc.used.Add(-time.Hour)
	}
	c.pool.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d idle connections, want 1", n)
	}
	srv.AddFault(ftptest.Fault{Command: "NOOP", CloseControl: true})
	if err := c.Mkdir(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var found []string
	for _, r := range h.recs {
		if strings.HasPrefix(r, "WARN ") {
			found = append(found, r)
		}
	}
	if len(found) != 1 || !strings.HasPrefix(found[0], "WARN ftp reconnect err=") {
		t.Errorf("Warn records: %q", found)
	}
}
