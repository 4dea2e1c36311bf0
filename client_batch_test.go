package ftp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ftplib-go/ftp/ftptest"
)

// lockedBuffer is a bytes.Buffer safe for concurrent use (debug output).
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// pasvAhead counts the PASV or EPSV commands of a debug transcript
// (Debug 2) sent while a transfer's final reply was still due.
func pasvAhead(tr string) int {
	ahead, due := 0, false
	for _, l := range strings.Split(tr, "\n") {
		// Debug quotes as Python's repr does: "..." when the text holds a '.
		l = strings.Replace(l, "*resp* \"", "*resp* '", 1)
		switch {
		case strings.HasPrefix(l, "*resp* '150") || strings.HasPrefix(l, "*resp* '125"):
			due = true
		case strings.HasPrefix(l, "*resp* '2") || strings.HasPrefix(l, "*resp* '4") || strings.HasPrefix(l, "*resp* '5"):
			due = false
		case (l == "*cmd* 'PASV'" || l == "*cmd* 'EPSV'") && due:
			ahead++
		}
	}
	return ahead
}

// batchFiles writes n files b00..b(n-1) of different sizes to srv and
// returns their names and contents.
func batchFiles(t *testing.T, srv *ftptest.Server, n, size int) ([]string, [][]byte) {
	t.Helper()
	names := make([]string, n)
	data := make([][]byte, n)
	for i := range names {
		names[i] = fmt.Sprintf("b%02d.bin", i)
		data[i] = randomData(t, size+i)
		if err := srv.WriteFile(names[i], data[i]); err != nil {
			t.Fatal(err)
		}
	}
	return names, data
}

// collectDst returns a dst for DownloadMany that gives a fresh buffer per
// file, and checks that dst is called once per file, in order, and only
// once the previous file is finished.
func collectDst(t *testing.T, want [][]byte) (func(int, string) (io.Writer, error), []*bytes.Buffer) {
	bufs := make([]*bytes.Buffer, len(want))
	last := -1
	return func(i int, path string) (io.Writer, error) {
		if bufs[i] != nil {
			t.Errorf("dst(%d, %q) called twice", i, path)
		}
		if i <= last {
			t.Errorf("dst(%d) after dst(%d)", i, last)
		}
		last = i
		bufs[i] = &bytes.Buffer{}
		return bufs[i], nil
	}, bufs
}

func TestClientDownloadMany(t *testing.T) {
	checkLeaks(t)
	var dbg lockedBuffer
	c, srv := newTestClient(t, func(c *Client) {
		c.Dialer.Debug = 2
		c.Dialer.DebugOutput = &dbg
	})
	ctx := testCtx(t)
	names, data := batchFiles(t, srv, 12, 3000)
	dst, bufs := collectDst(t, data)
	res, err := c.DownloadMany(ctx, names, dst)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(names) {
		t.Fatalf("%d results for %d paths", len(res), len(names))
	}
	for i, r := range res {
		if r.Path != names[i] || r.Err != nil || r.N != int64(len(data[i])) || !bytes.Equal(bufs[i].Bytes(), data[i]) {
			t.Errorf("file %d: %+v, %d bytes in its writer, want %d", i, r, bufs[i].Len(), len(data[i]))
		}
	}
	if n := srv.TotalConns(); n != 1 {
		t.Errorf("%d control connections, want 1", n)
	}
	if n := pasvAhead(dbg.String()); n != len(names)-1 {
		t.Errorf("%d PASV sent ahead, want %d:\n%s", n, len(names)-1, dbg.String())
	}
	// The connection went back to the pool in step.
	if _, err := c.Size(ctx, names[0]); err != nil {
		t.Fatal(err)
	}
	if n := srv.TotalConns(); n != 1 {
		t.Errorf("%d control connections after Size, want 1", n)
	}
	// Nothing to do: no connection, no call of dst.
	res, err = c.DownloadMany(ctx, nil, nil)
	if len(res) != 0 || err != nil {
		t.Errorf("DownloadMany(nil) = %v, %v", res, err)
	}
}

// Files that fail on their own (missing, refused by dst, a writer that
// fails, a path with a newline) fail alone; the batch goes on, on the
// same connection.
func TestClientDownloadManyFileErrors(t *testing.T) {
	checkLeaks(t)
	c, srv := newTestClient(t, nil)
	ctx := testCtx(t)
	names, data := batchFiles(t, srv, 8, 100000)
	names[1] = "missing.bin"
	names[3] = "bad\r\nDELE b00.bin"
	dstErr := errors.New("no room")
	wErr := errors.New("disk full")
	bufs := make([]*bytes.Buffer, len(names))
	calls := make([]int, len(names))
	res, err := c.DownloadMany(ctx, names, func(i int, p string) (io.Writer, error) {
		calls[i]++
		bufs[i] = &bytes.Buffer{}
		switch i {
		case 4:
			return nil, dstErr
		case 6:
			return &batchFailWriter{w: bufs[i], after: 5000, err: wErr}, nil
		}
		return bufs[i], nil
	})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v, want the first failure (missing.bin)", err)
	}
	for i, r := range res {
		var pe *fs.PathError
		switch i {
		case 1:
			if !errors.Is(r.Err, fs.ErrNotExist) || !errors.As(r.Err, &pe) || pe.Path != names[1] || pe.Op != "download" {
				t.Errorf("missing file: %v", r.Err)
			}
		case 3:
			if !errors.Is(r.Err, ErrIllegalNewline) || calls[i] != 0 {
				t.Errorf("path with CRLF: %v, dst called %d times", r.Err, calls[i])
			}
		case 4:
			if !errors.Is(r.Err, dstErr) || r.N != 0 {
				t.Errorf("dst failed: %+v", r)
			}
		case 6:
			if !errors.Is(r.Err, wErr) || r.N != 5000 {
				t.Errorf("writer failed: %+v", r)
			}
		default:
			if r.Err != nil || !bytes.Equal(bufs[i].Bytes(), data[i]) {
				t.Errorf("file %d: %+v", i, r)
			}
		}
		if i != 3 && calls[i] != 1 {
			t.Errorf("dst called %d times for file %d", calls[i], i)
		}
	}
	if n := countCmds(srv, "DELE"); n != 0 {
		t.Errorf("%d DELE sent", n)
	}
	// The writer's failure is not retried: one RETR per file sent.
	if n := countCmds(srv, "RETR"); n != 6 {
		t.Errorf("%d RETR, want 6: %q", n, srv.Commands())
	}
	if n := srv.TotalConns(); n != 1 {
		t.Errorf("%d control connections, want 1", n)
	}
}

// batchFailWriter fails after accepting after bytes.
type batchFailWriter struct {
	w     io.Writer
	after int
	err   error
}

func (f *batchFailWriter) Write(p []byte) (int, error) {
	if len(p) > f.after {
		n, _ := f.w.Write(p[:f.after])
		f.after = 0
		return n, f.err
	}
	f.after -= len(p)
	return f.w.Write(p)
}

// Faults in the middle of a batch: each file is complete, a broken
// transfer is resumed (REST) rather than restarted, and the files after
// it are still batched.
func TestClientDownloadManyFaults(t *testing.T) {
	faults := []struct {
		name    string
		f       ftptest.Fault
		resumed bool // bytes were delivered before the failure
	}{
		{"data-cut", ftptest.Fault{Command: "RETR", Cut: true, CutAfter: 30000}, true},
		{"data-cut-at-0", ftptest.Fault{Command: "RETR", Cut: true, CutAfter: 0}, false},
		{"control-closed-after-data", ftptest.Fault{Command: "RETR", CloseAfterData: true}, true},
		{"final-reply-lost", ftptest.Fault{Command: "RETR", CloseBeforeReply: true}, true},
		{"421-and-close", ftptest.Fault{Command: "RETR", Reply: "421 Timeout.", CloseAfterReply: true}, false},
		{"425", ftptest.Fault{Command: "RETR", Reply: "425 Can't open data connection."}, false},
		{"426-after-data", ftptest.Fault{Command: "RETR", Final: "426 Failure writing network stream."}, true},
		{"data-stalled-then-closed", ftptest.Fault{Command: "RETR", Cut: true, CutAfter: 70000}, true},
		// The PASV sent ahead (while file 2's final reply is due) is
		// the one the server hangs up on.
		{"pasv-ahead-closed", ftptest.Fault{Command: "PASV", CloseControl: true}, false},
		{"pasv-ahead-421", ftptest.Fault{Command: "PASV", Reply: "421 Bye.", CloseAfterReply: true}, false},
		{"type-closed", ftptest.Fault{Command: "TYPE", CloseControl: true}, false},
	}
	for _, tt := range faults {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			c, srv := newTestClient(t, nil)
			ctx := testCtx(t)
			names, data := batchFiles(t, srv, 6, 100000)
			f := tt.f
			f.Nth = 3 // the third RETR, PASV or TYPE: file 2 (PASV: file 2's, sent ahead)
			if f.Command == "TYPE" {
				f.Nth = 1
			}
			srv.AddFault(f)
			dst, bufs := collectDst(t, data)
			res, err := c.DownloadMany(ctx, names, dst)
			if err != nil {
				t.Fatalf("DownloadMany: %v (commands %q)", err, srv.Commands())
			}
			for i, r := range res {
				if r.Err != nil || r.N != int64(len(data[i])) || !bytes.Equal(bufs[i].Bytes(), data[i]) {
					t.Errorf("file %d: %+v, %d bytes in its writer", i, r, bufs[i].Len())
				}
				if sent := srv.BytesSent(names[i]); tt.resumed && sent != int64(len(data[i])) {
					t.Errorf("file %d: server sent %d bytes for %d: restarted, not resumed", i, sent, len(data[i]))
				}
			}
			if tt.resumed && countCmds(srv, "REST") != 1 {
				t.Errorf("REST sent %d times, want 1: %q", countCmds(srv, "REST"), srv.Commands())
			}
			if n := countCmds(srv, "RETR"); n > len(names)+1 {
				t.Errorf("%d RETR for %d files", n, len(names))
			}
		})
	}
}

// A file that keeps failing is given up after MaxRetries retries; the
// batch goes on with the next file.
func TestClientDownloadManyRetriesPerFile(t *testing.T) {
	checkLeaks(t)
	c, srv := newTestClient(t, func(c *Client) { c.MaxRetries = 1 })
	ctx := testCtx(t)
	names, data := batchFiles(t, srv, 4, 1000)
	srv.AddFault(ftptest.Fault{Command: "RETR", Nth: 2, Reply: "425 No data connection."})
	srv.AddFault(ftptest.Fault{Command: "RETR", Nth: 3, Reply: "425 No data connection."})
	dst, bufs := collectDst(t, data)
	res, err := c.DownloadMany(ctx, names, dst)
	if replyCodeOf(err) != 425 || res[1].Err != err {
		t.Fatalf("error %v, want file 1's 425", err)
	}
	for _, i := range []int{0, 2, 3} {
		if res[i].Err != nil || !bytes.Equal(bufs[i].Bytes(), data[i]) {
			t.Errorf("file %d: %+v", i, res[i])
		}
	}
	if n := countCmds(srv, "RETR"); n != 5 {
		t.Errorf("%d RETR, want 5", n)
	}
}

// When no connection can be had, every file left fails, with no call of
// dst; a ctx cancelled in the middle fails the files after it.
func TestClientDownloadManyNoConnection(t *testing.T) {
	checkLeaks(t)
	c, srv := newTestClient(t, func(c *Client) { c.MaxRetries = 2 })
	ctx := testCtx(t)
	names, data := batchFiles(t, srv, 5, 100)
	srv.AddFault(ftptest.Fault{Command: "", Reply: "421 Too many users.", CloseAfterReply: true})
	called := 0
	res, err := c.DownloadMany(ctx, names, func(int, string) (io.Writer, error) { called++; return io.Discard, nil })
	if replyCodeOf(err) != 421 || called != 0 {
		t.Fatalf("error %v, dst called %d times", err, called)
	}
	for i, r := range res {
		if replyCodeOf(r.Err) != 421 {
			t.Errorf("file %d: %v", i, r.Err)
		}
	}
	if n := srv.TotalConns(); n != 3 {
		t.Errorf("%d connections tried, want 3 (MaxRetries 2)", n)
	}
	srv.ClearFaults()

	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	bufs := make([]*bytes.Buffer, len(names))
	res, err = c.DownloadMany(cctx, names, func(i int, _ string) (io.Writer, error) {
		if i == 2 {
			cancel()
		}
		bufs[i] = &bytes.Buffer{}
		return bufs[i], nil
	})
	if !errors.Is(err, context.Canceled) || res[2].Err != err {
		t.Fatalf("error %v, want file 2's context.Canceled", err)
	}
	for i, r := range res {
		switch {
		case i < 2:
			if r.Err != nil || !bytes.Equal(bufs[i].Bytes(), data[i]) {
				t.Errorf("file %d: %+v", i, r)
			}
		case !errors.Is(r.Err, context.Canceled):
			t.Errorf("file %d: %v, want context.Canceled", i, r.Err)
		}
	}
	if bufs[3] != nil || bufs[4] != nil {
		t.Error("dst called after the ctx was cancelled")
	}
}

// Over explicit FTPS with session reuse required: one connection, every
// data connection resumed, PASV sent ahead.
func TestClientDownloadManyTLS(t *testing.T) {
	checkLeaks(t)
	srv := ftptest.NewUnstartedServer()
	srv.RequireTLS = true
	srv.RequireSessionReuse = true
	srv.StartTLS()
	defer srv.Close()
	var dbg lockedBuffer
	c := &Client{Addr: srv.Addr, User: "user", Password: "pass", TLS: ExplicitTLS,
		Dialer: &Dialer{TLSConfig: srv.TLSConfig(), Timeout: 10 * time.Second, Debug: 2, DebugOutput: &dbg}}
	defer c.Close()
	ctx := testCtx(t)
	names, data := batchFiles(t, srv, 6, 20000)
	srv.AddFault(ftptest.Fault{Command: "RETR", Nth: 4, Cut: true, CutAfter: 7000})
	dst, bufs := collectDst(t, data)
	res, err := c.DownloadMany(ctx, names, dst)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil || !bytes.Equal(bufs[i].Bytes(), data[i]) {
			t.Errorf("file %d: %+v", i, r)
		}
	}
	for _, tr := range srv.Transfers() {
		if !tr.TLS || !tr.DidResume {
			t.Errorf("transfer %+v not protected or not resumed", tr)
		}
	}
	if n := pasvAhead(dbg.String()); n < len(names)-2 {
		t.Errorf("%d PASV sent ahead, want at least %d", n, len(names)-2)
	}
}
