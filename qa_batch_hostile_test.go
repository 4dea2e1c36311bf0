package ftp

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"slices"
	"testing"
	"time"

	"github.com/ftplib-go/ftp/ftptest"
)

// Hostile replies in the middle of Client.DownloadMany, from ftptest's
// faults: a 1xx replaced by a 2xx or by garbage, a final reply that is
// not final or not a reply, a lying 226 after a cut, a malformed or
// unreachable 227 for the PASV sent ahead, a PASV ahead refused. Whatever
// happens, DownloadMany returns; a file without error holds exactly its
// data, a file with one holds a prefix of it (never other bytes), its
// error is a typed *fs.PathError, and the Client still works afterwards.

func TestQADownloadManyHostile(t *testing.T) {
	for _, tt := range []struct {
		name string
		f    ftptest.Fault
	}{
		{"2xx-instead-of-150", ftptest.Fault{Command: "RETR", Nth: 2, Prelim: "200 here it comes"}},
		{"garbage-instead-of-150", ftptest.Fault{Command: "RETR", Nth: 2, Prelim: "here it comes"}},
		{"5xx-after-150", ftptest.Fault{Command: "RETR", Nth: 2, Prelim: "150 ok\r\n550 changed my mind"}},
		{"final-1xx", ftptest.Fault{Command: "RETR", Nth: 2, Final: "150 not done"}},
		{"final-garbage", ftptest.Fault{Command: "RETR", Nth: 2, Final: "done!"}},
		{"final-3xx", ftptest.Fault{Command: "RETR", Nth: 2, Final: "350 more?"}},
		{"final-multiline-long", ftptest.Fault{Command: "RETR", Nth: 2, Final: "226-ok\r\n" + string(bytes.Repeat([]byte(" filler line\r\n"), 3000)) + "226 end"}},
		{"lying-226-after-cut", ftptest.Fault{Command: "RETR", Nth: 2, Cut: true, CutAfter: 5000, Final: "226 Transfer complete."}},
		{"lying-226-cut-at-0", ftptest.Fault{Command: "RETR", Nth: 2, Cut: true, CutAfter: 0, Final: "226 Transfer complete."}},
		{"extra-reply-after-final", ftptest.Fault{Command: "RETR", Nth: 2, After: "226 again"}},
		{"2xx-before-150", ftptest.Fault{Command: "RETR", Nth: 2, Before: "200 early"}},
		{"pasv-ahead-malformed", ftptest.Fault{Command: "PASV", Nth: 2, PASVHost: "1,2,3"}},
		{"pasv-ahead-unreachable", ftptest.Fault{Command: "PASV", Nth: 2, PASVHost: "127.0.0.2"}},
		{"pasv-ahead-refused", ftptest.Fault{Command: "PASV", Nth: 2, Reply: "500 no more"}},
		{"pasv-ahead-1xx", ftptest.Fault{Command: "PASV", Nth: 2, Reply: "150 what"}},
		{"pasv-ahead-garbage", ftptest.Fault{Command: "PASV", Nth: 2, Reply: "227 no address here"}},
		{"type-refused", ftptest.Fault{Command: "TYPE", Nth: 1, Reply: "504 no binary"}},
		{"retr-421-close", ftptest.Fault{Command: "RETR", Nth: 2, Reply: "421 bye", CloseAfterReply: true}},
		{"retr-stall", ftptest.Fault{Command: "RETR", Nth: 2, Stall: true}},
		{"data-stall", ftptest.Fault{Command: "RETR", Nth: 2, StallData: true, CutAfter: 100}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			// No Dialer.Timeout: a Conn out of step would hang until the
			// ctx, which the test takes for a hang.
			c, srv := newTestClient(t, func(c *Client) { c.MaxRetries = 1; c.Dialer = &Dialer{} })
			ctx := testCtx(t)
			names, data := batchFiles(t, srv, 4, 20000)
			srv.AddFault(tt.f)
			dst, bufs := collectDst(t, data)
			var res []BatchResult
			var err error
			stall := tt.f.Stall || tt.f.StallData
			bctx, cancel := context.WithTimeout(ctx, guard)
			defer cancel()
			if stall {
				// The stall is only ended by the ctx: a short one.
				bctx, cancel = context.WithTimeout(ctx, guard/20)
				defer cancel()
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				res, err = c.DownloadMany(bctx, names, dst)
			}()
			select {
			case <-done:
			case <-ctx.Done():
				t.Fatal("DownloadMany did not return")
			}
			if !stall && bctx.Err() != nil {
				t.Fatalf("DownloadMany hung until its ctx ended: %v", err)
			}
			if len(res) != len(names) {
				t.Fatalf("%d results for %d files", len(res), len(names))
			}
			failed := 0
			for i, r := range res {
				var got []byte
				if bufs[i] != nil {
					got = bufs[i].Bytes()
				}
				if int64(len(got)) != r.N {
					t.Errorf("file %d: N %d, %d bytes written", i, r.N, len(got))
				}
				if !bytes.HasPrefix(data[i], got) {
					t.Errorf("file %d: the writer got bytes that are not the file's", i)
				}
				if r.Err == nil {
					if !bytes.Equal(got, data[i]) {
						t.Errorf("file %d: no error but %d of %d bytes", i, len(got), len(data[i]))
					}
					continue
				}
				failed++
				var pe *fs.PathError
				if !errors.As(r.Err, &pe) || pe.Op != "download" || pe.Path != names[i] || !typed(r.Err) {
					t.Errorf("file %d: error %v (%T), want a typed *fs.PathError", i, r.Err, r.Err)
				}
			}
			if (failed > 0) != (err != nil) {
				t.Errorf("DownloadMany: %v with %d files failed", err, failed)
			}
			t.Logf("%d failed: %v", failed, err)
			// The Client works afterwards (its connections in step or
			// dropped).
			srv.ClearFaults()
			dst2, bufs2 := collectDst(t, data)
			res, err = c.DownloadMany(ctx, names, dst2)
			if err != nil {
				t.Fatalf("DownloadMany after the fault: %v", err)
			}
			for i := range res {
				if !bytes.Equal(bufs2[i].Bytes(), data[i]) {
					t.Errorf("after the fault, file %d: %d bytes", i, bufs2[i].Len())
				}
			}
		})
	}
}

// TestQADownloadManyHostileLogin: the pool's logins (dialled in the
// background) meet a hostile greeting or login. Every file fails with a
// typed *fs.PathError, DownloadMany returns before its ctx ends (unless
// the server stalls), and Close leaves no dial running (checkLeaks).
func TestQADownloadManyHostileLogin(t *testing.T) {
	for _, tt := range []struct {
		name  string
		f     ftptest.Fault
		stall bool
	}{
		{"greeting-421", ftptest.Fault{Command: "", Reply: "421 Too many users.", CloseAfterReply: true}, false},
		{"greeting-garbage", ftptest.Fault{Command: "", Reply: "hello"}, false},
		{"greeting-closed", ftptest.Fault{Command: "", CloseControl: true}, false},
		{"greeting-over-long", ftptest.Fault{Command: "", Reply: "220 " + string(bytes.Repeat([]byte("x"), 20000))}, false},
		{"greeting-endless", ftptest.Fault{Command: "", Reply: "220-" + string(bytes.Repeat([]byte("x\r\n"), 700000)) + "220 end"}, false},
		{"user-530", ftptest.Fault{Command: "USER", Reply: "530 Not allowed."}, false},
		{"user-1xx", ftptest.Fault{Command: "USER", Reply: "150 what"}, false},
		{"pass-421", ftptest.Fault{Command: "PASS", Reply: "421 Bye.", CloseAfterReply: true}, false},
		{"pass-garbage", ftptest.Fault{Command: "PASS", Reply: "logged in"}, false},
		{"pass-332", ftptest.Fault{Command: "PASS", Reply: "332 Need account."}, false},
		{"greeting-stall", ftptest.Fault{Command: "", Stall: true}, true},
		{"pass-stall", ftptest.Fault{Command: "PASS", Stall: true}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			c, srv := newTestClient(t, func(c *Client) { c.MaxRetries = 1; c.Dialer = &Dialer{} })
			ctx := testCtx(t)
			names, data := batchFiles(t, srv, 3, 100)
			srv.AddFault(tt.f)
			limit := guard
			if tt.stall {
				limit = guard / 20
			}
			bctx, cancel := context.WithTimeout(ctx, limit)
			defer cancel()
			dst, _ := collectDst(t, data)
			res, err := c.DownloadMany(bctx, names, dst)
			if !tt.stall && bctx.Err() != nil {
				t.Fatalf("DownloadMany hung until its ctx ended: %v", err)
			}
			if err == nil {
				t.Fatal("DownloadMany: no error")
			}
			for i, r := range res {
				var pe *fs.PathError
				if !errors.As(r.Err, &pe) || !typed(r.Err) {
					t.Errorf("file %d: %v (%T), want a typed *fs.PathError", i, r.Err, r.Err)
				}
			}
			t.Logf("%v", err)
			c.Close()
		})
	}
}

// TestQADownloadManyHostilePRET: a server that wants PRET (drftpd's
// refusal of a PASV without it) misbehaves on one PRET of a batch, some
// of them sent ahead with the next PASV. Each file is whole or has a
// typed error, nothing hangs, and the Client works afterwards.
func TestQADownloadManyHostilePRET(t *testing.T) {
	for _, tt := range []struct {
		name string
		f    ftptest.Fault
	}{
		{"refused", ftptest.Fault{Command: "PRET", Nth: 2, Reply: "550 PRET refused"}},
		{"1xx", ftptest.Fault{Command: "PRET", Nth: 2, Reply: "150 odd"}},
		{"1xx-then-final", ftptest.Fault{Command: "PRET", Nth: 2, Reply: "150 odd\r\n200 ok"}},
		{"garbage", ftptest.Fault{Command: "PRET", Nth: 2, Reply: "PRET?"}},
		{"two-replies", ftptest.Fault{Command: "PRET", Nth: 2, Reply: "200 ok\r\n200 again"}},
		{"421-close", ftptest.Fault{Command: "PRET", Nth: 2, Reply: "421 bye", CloseAfterReply: true}},
		{"closed", ftptest.Fault{Command: "PRET", Nth: 2, CloseControl: true}},
		{"first-refused", ftptest.Fault{Command: "PRET", Nth: 1, Reply: "500 no"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			ctx := testCtx(t)
			srv := ftptest.NewUnstartedServer()
			srv.Personality = ftptest.Personality{RequirePRET: true}
			srv.Start()
			t.Cleanup(srv.Close)
			c := &Client{Addr: srv.Addr, User: "user", Password: "pass", MaxRetries: 1, Dialer: &Dialer{PRET: true}}
			t.Cleanup(func() { c.Close() })
			names, data := batchFiles(t, srv, 4, 3000)
			srv.AddFault(tt.f)
			bctx, cancel := context.WithTimeout(ctx, guard)
			defer cancel()
			dst, bufs := collectDst(t, data)
			res, err := c.DownloadMany(bctx, names, dst)
			if bctx.Err() != nil {
				t.Fatalf("DownloadMany hung until its ctx ended: %v", err)
			}
			for i, r := range res {
				got := []byte(nil)
				if bufs[i] != nil {
					got = bufs[i].Bytes()
				}
				switch {
				case r.Err == nil && !bytes.Equal(got, data[i]):
					t.Errorf("file %d: no error but %d of %d bytes", i, len(got), len(data[i]))
				case r.Err != nil && !typed(r.Err):
					t.Errorf("file %d: untyped error %v", i, r.Err)
				case !bytes.HasPrefix(data[i], got):
					t.Errorf("file %d: bytes that are not the file's", i)
				}
			}
			t.Logf("%v", err)
			srv.ClearFaults()
			dst2, bufs2 := collectDst(t, data)
			if _, err := c.DownloadMany(ctx, names, dst2); err != nil {
				t.Fatalf("DownloadMany after the fault: %v", err)
			}
			for i := range names {
				if !bytes.Equal(bufs2[i].Bytes(), data[i]) {
					t.Errorf("after the fault, file %d: %d bytes", i, bufs2[i].Len())
				}
			}
		})
	}
}

// TestQAClientModTimesHostile: Client.ModTimes meets a 1xx, a 421, a
// hang-up or garbage in the middle of its pipelined MDTMs. A reply that
// breaks the connection costs a retry on a fresh one for the files not
// answered yet; every file ends with its own time or a typed error.
func TestQAClientModTimesHostile(t *testing.T) {
	for _, tt := range []struct {
		name string
		f    ftptest.Fault
		bad  []int // the files that get an error
	}{
		{"1xx", ftptest.Fault{Command: "MDTM", Nth: 2, Reply: "150 wait"}, nil},
		{"1xx-then-final", ftptest.Fault{Command: "MDTM", Nth: 2, Reply: "150 wait\r\n213 20010101000000"}, nil},
		{"421-close", ftptest.Fault{Command: "MDTM", Nth: 2, Reply: "421 bye", CloseAfterReply: true}, []int{1}},
		{"closed", ftptest.Fault{Command: "MDTM", Nth: 2, CloseControl: true}, nil},
		{"garbage", ftptest.Fault{Command: "MDTM", Nth: 2, Reply: "when?"}, []int{1}},
		// Not worth a retry: the Conn breaks, the files left fail.
		{"over-long", ftptest.Fault{Command: "MDTM", Nth: 2, Reply: "213 " + string(bytes.Repeat([]byte("9"), 10000))}, []int{1, 2, 3}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			c, srv := newTestClient(t, func(c *Client) { c.MaxRetries = 2; c.Dialer = &Dialer{} })
			ctx := testCtx(t)
			names, _ := batchFiles(t, srv, 4, 10)
			want := make([]time.Time, len(names))
			for i, n := range names {
				want[i] = time.Date(2020, 1, 2, 3, 4, i, 0, time.UTC)
				if err := srv.SetModTime(n, want[i]); err != nil {
					t.Fatal(err)
				}
			}
			srv.AddFault(tt.f)
			bctx, cancel := context.WithTimeout(ctx, guard)
			defer cancel()
			times, errs, err := c.ModTimes(bctx, names)
			if bctx.Err() != nil {
				t.Fatalf("ModTimes hung until its ctx ended: %v", err)
			}
			for i := range names {
				switch {
				case slices.Contains(tt.bad, i):
					if errs[i] == nil || !typed(errs[i]) {
						t.Errorf("file %d: %v, %v; want a typed error", i, times[i], errs[i])
					}
				case errs[i] != nil || !times[i].Equal(want[i]):
					t.Errorf("file %d: %v, %v; want %v", i, times[i], errs[i], want[i])
				}
			}
			if (len(tt.bad) > 0) != (err != nil) {
				t.Errorf("ModTimes: %v", err)
			}
		})
	}
}
