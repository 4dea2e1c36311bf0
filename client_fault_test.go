package ftp

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ftplib-go/ftp/ftptest"
)

// Fault tests of the Client: connections cut, 421 replies, data
// connections cut after N bytes. Each checks that the operation's result
// is right, that transfers resumed rather than restarted (the server's
// byte counters), and that non-idempotent commands took effect once.

func randomData(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// cutFaults are the ways a connection can fail around one command.
var cutFaults = []struct {
	name string
	f    ftptest.Fault
}{
	{"close", ftptest.Fault{CloseControl: true}},
	{"close-before-reply", ftptest.Fault{CloseBeforeReply: true}},
	{"421", ftptest.Fault{Reply: "421 Service not available, closing control connection.", CloseAfterReply: true}},
}

func TestClientDownloadResumes(t *testing.T) {
	checkLeaks(t)
	data := randomData(t, 1<<20)
	for _, tt := range []struct {
		name    string
		f       ftptest.Fault
		resumed bool // bytes were delivered before the failure
	}{
		{"data-cut", ftptest.Fault{Command: "RETR", Cut: true, CutAfter: 300000}, true},
		{"data-cut-at-0", ftptest.Fault{Command: "RETR", Cut: true, CutAfter: 0}, false},
		{"control-closed-after-data", ftptest.Fault{Command: "RETR", CloseAfterData: true}, true},
		{"final-reply-lost", ftptest.Fault{Command: "RETR", CloseBeforeReply: true}, true},
		{"421-and-close", ftptest.Fault{Command: "RETR", Reply: "421 Timeout.", CloseAfterReply: true}, false},
		{"425", ftptest.Fault{Command: "RETR", Reply: "425 Can't open data connection."}, false},
		{"pasv-closed", ftptest.Fault{Command: "PASV", CloseControl: true}, false},
		{"type-closed", ftptest.Fault{Command: "TYPE", CloseControl: true}, false},
		{"greeting-421", ftptest.Fault{Command: "", Reply: "421 Too many users.", CloseAfterReply: true}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, srv := newTestClient(t, nil)
			ctx := testCtx(t)
			srv.WriteFile("f.bin", data)
			f := tt.f
			f.Nth = 1
			srv.AddFault(f)
			var b bytes.Buffer
			n, err := c.Download(ctx, "f.bin", &b)
			if err != nil || n != int64(len(data)) || !bytes.Equal(b.Bytes(), data) {
				t.Fatalf("Download = %d, %v; identical %v", n, err, bytes.Equal(b.Bytes(), data))
			}
			sent := srv.BytesSent("f.bin")
			if tt.resumed {
				if sent != int64(len(data)) {
					t.Errorf("server sent %d bytes for a %d-byte file: restarted, not resumed", sent, len(data))
				}
				if countCmds(srv, "REST") != 1 {
					t.Errorf("no REST: %q", srv.Commands())
				}
			}
		})
	}
}

func TestClientOpenResumes(t *testing.T) {
	checkLeaks(t)
	data := randomData(t, 256<<10)
	c, srv := newTestClient(t, nil)
	ctx := testCtx(t)
	srv.WriteFile("f.bin", data)
	srv.AddFault(ftptest.Fault{Command: "RETR", Nth: 1, Cut: true, CutAfter: 100000})
	srv.AddFault(ftptest.Fault{Command: "RETR", Nth: 2, CloseBeforeReply: true})
	r, err := c.Open(ctx, "f.bin")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("ReadAll: %d bytes, %v", len(got), err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if sent := srv.BytesSent("f.bin"); sent != int64(len(data)) {
		t.Errorf("server sent %d bytes, want %d", sent, len(data))
	}
}

func TestClientUploadResumes(t *testing.T) {
	checkLeaks(t)
	data := randomData(t, 1<<20)
	for _, tt := range []struct {
		name    string
		f       ftptest.Fault
		resumed bool
	}{
		{"data-cut", ftptest.Fault{Command: "STOR", Cut: true, CutAfter: 400000}, true},
		{"final-reply-lost", ftptest.Fault{Command: "STOR", CloseBeforeReply: true}, true},
		{"421-and-close", ftptest.Fault{Command: "STOR", Reply: "421 Timeout.", CloseAfterReply: true}, false},
		{"pasv-closed", ftptest.Fault{Command: "PASV", CloseControl: true}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, srv := newTestClient(t, nil)
			ctx := testCtx(t)
			srv.WriteFile("up.bin", []byte("an old, longer file that must not survive in any part of the new one"))
			f := tt.f
			f.Nth = 1
			srv.AddFault(f)
			n, err := c.Upload(ctx, "up.bin", bytes.NewReader(data))
			if err != nil || n != int64(len(data)) {
				t.Fatalf("Upload = %d, %v", n, err)
			}
			if got, _ := srv.ReadFile("up.bin"); !bytes.Equal(got, data) {
				t.Fatalf("server file differs (%d bytes, want %d)", len(got), len(data))
			}
			if tt.resumed {
				if got := srv.BytesReceived("up.bin"); got != int64(len(data)) {
					t.Errorf("server received %d bytes for %d: restarted, not resumed", got, len(data))
				}
			}
		})
	}
}

// notSeeker hides the Seek of a reader.
type notSeeker struct{ io.Reader }

func TestClientUploadNotSeekable(t *testing.T) {
	checkLeaks(t)
	data := randomData(t, 256<<10)
	c, srv := newTestClient(t, nil)
	ctx := testCtx(t)
	// A failure before the upload started is retried from the start.
	srv.AddFault(ftptest.Fault{Command: "PASV", Nth: 1, CloseControl: true})
	if _, err := c.Upload(ctx, "a.bin", notSeeker{bytes.NewReader(data)}); err != nil {
		t.Fatal(err)
	}
	if got, _ := srv.ReadFile("a.bin"); !bytes.Equal(got, data) {
		t.Fatal("a.bin differs")
	}
	// A failure once data was read cannot be repaired: it is reported.
	srv.AddFault(ftptest.Fault{Command: "STOR", Nth: 1, Cut: true, CutAfter: 1000})
	stors := countCmds(srv, "STOR")
	_, err := c.Upload(ctx, "b.bin", notSeeker{bytes.NewReader(data)})
	if err == nil {
		t.Fatal("no error for a broken upload from a reader that cannot seek")
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Op != "upload" {
		t.Errorf("error %v is not a PathError for upload", err)
	}
	if n := countCmds(srv, "STOR") - stors; n != 1 {
		t.Errorf("STOR sent %d times, want 1", n)
	}
}

func TestClientAppendResumes(t *testing.T) {
	checkLeaks(t)
	old := []byte("existing content\n")
	data := randomData(t, 512<<10)
	c, srv := newTestClient(t, nil)
	ctx := testCtx(t)
	srv.WriteFile("log.bin", old)
	srv.AddFault(ftptest.Fault{Command: "APPE", Nth: 1, Cut: true, CutAfter: 200000})
	if _, err := c.Append(ctx, "log.bin", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	want := append(append([]byte(nil), old...), data...)
	if got, _ := srv.ReadFile("log.bin"); !bytes.Equal(got, want) {
		t.Fatalf("log.bin: %d bytes, want %d", len(got), len(want))
	}
	if got := srv.BytesReceived("log.bin"); got != int64(len(data)) {
		t.Errorf("server received %d bytes, want %d", got, len(data))
	}
	// Not seekable: reported, never appended twice.
	srv.WriteFile("log2.bin", old)
	srv.AddFault(ftptest.Fault{Command: "APPE", Nth: 1, Cut: true, CutAfter: 1000})
	appes := countCmds(srv, "APPE")
	if _, err := c.Append(ctx, "log2.bin", notSeeker{bytes.NewReader(data)}); err == nil {
		t.Fatal("no error")
	}
	if n := countCmds(srv, "APPE") - appes; n != 1 {
		t.Errorf("APPE sent %d times, want 1", n)
	}
}

func TestClientExactlyOnce(t *testing.T) {
	checkLeaks(t)
	for _, cf := range cutFaults {
		t.Run("rename/"+cf.name, func(t *testing.T) {
			c, srv := newTestClient(t, nil)
			ctx := testCtx(t)
			srv.WriteFile("from.txt", []byte("payload"))
			f := cf.f
			f.Command, f.Nth = "RNTO", 1
			srv.AddFault(f)
			if err := c.Rename(ctx, "from.txt", "to.txt"); err != nil {
				t.Fatal(err)
			}
			if got, err := srv.ReadFile("to.txt"); err != nil || string(got) != "payload" {
				t.Fatalf("to.txt: %q, %v", got, err)
			}
			if _, err := srv.Stat("from.txt"); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("from.txt still there: %v", err)
			}
			wantRNTO := 2 // the first had no effect: sent again
			if f.CloseBeforeReply {
				wantRNTO = 1 // it took effect: verified, not repeated
			}
			if n := countCmds(srv, "RNTO"); n != wantRNTO {
				t.Errorf("RNTO sent %d times, want %d", n, wantRNTO)
			}
		})
		t.Run("remove/"+cf.name, func(t *testing.T) {
			c, srv := newTestClient(t, nil)
			ctx := testCtx(t)
			srv.WriteFile("gone.txt", []byte("x"))
			f := cf.f
			f.Command, f.Nth = "DELE", 1
			srv.AddFault(f)
			if err := c.Remove(ctx, "gone.txt"); err != nil {
				t.Fatal(err)
			}
			if _, err := srv.Stat("gone.txt"); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("gone.txt still there: %v", err)
			}
			want := 2
			if f.CloseBeforeReply {
				want = 1
			}
			if n := countCmds(srv, "DELE"); n != want {
				t.Errorf("DELE sent %d times, want %d", n, want)
			}
		})
		t.Run("mkdir/"+cf.name, func(t *testing.T) {
			c, srv := newTestClient(t, nil)
			ctx := testCtx(t)
			f := cf.f
			f.Command, f.Nth = "MKD", 1
			srv.AddFault(f)
			if err := c.Mkdir(ctx, "newdir"); err != nil {
				t.Fatal(err)
			}
			if fi, err := srv.Stat("newdir"); err != nil || !fi.IsDir() {
				t.Fatalf("newdir: %v", err)
			}
			want := 2
			if f.CloseBeforeReply {
				want = 1
			}
			if n := countCmds(srv, "MKD"); n != want {
				t.Errorf("MKD sent %d times, want %d", n, want)
			}
		})
	}
}

// TestClientCutEverywhere records the commands of each operation on a
// clean run, then replays the operation with the control connection cut
// at each of those commands in turn (before its effect, or after its
// effect but before its reply), and checks the outcome each time.
func TestClientCutEverywhere(t *testing.T) {
	checkLeaks(t)
	data := randomData(t, 100<<10)
	type op struct {
		name  string
		setup func(srv *ftptest.Server)
		run   func(ctx context.Context, c *Client) error
		check func(srv *ftptest.Server) error
	}
	same := func(srv *ftptest.Server, name string, want []byte) error {
		got, err := srv.ReadFile(name)
		if err != nil || !bytes.Equal(got, want) {
			return fmt.Errorf("%s: %d bytes, %v; want %d bytes", name, len(got), err, len(want))
		}
		return nil
	}
	ops := []op{
		{"download", func(srv *ftptest.Server) { srv.WriteFile("f", data) },
			func(ctx context.Context, c *Client) error {
				var b bytes.Buffer
				if _, err := c.Download(ctx, "f", &b); err != nil {
					return err
				}
				if !bytes.Equal(b.Bytes(), data) {
					return errors.New("downloaded bytes differ")
				}
				return nil
			},
			func(srv *ftptest.Server) error {
				if n := srv.BytesSent("f"); n > int64(len(data)) {
					return fmt.Errorf("%d bytes sent: some twice", n)
				}
				return nil
			}},
		{"upload", func(srv *ftptest.Server) { srv.WriteFile("f", []byte("old")) },
			func(ctx context.Context, c *Client) error {
				_, err := c.Upload(ctx, "f", bytes.NewReader(data))
				return err
			},
			func(srv *ftptest.Server) error { return same(srv, "f", data) }},
		{"append", func(srv *ftptest.Server) { srv.WriteFile("f", []byte("old")) },
			func(ctx context.Context, c *Client) error {
				_, err := c.Append(ctx, "f", bytes.NewReader(data))
				return err
			},
			func(srv *ftptest.Server) error { return same(srv, "f", append([]byte("old"), data...)) }},
		{"rename", func(srv *ftptest.Server) { srv.WriteFile("a", data) },
			func(ctx context.Context, c *Client) error { return c.Rename(ctx, "a", "b") },
			func(srv *ftptest.Server) error {
				if _, err := srv.Stat("a"); !errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("a still there")
				}
				return same(srv, "b", data)
			}},
		{"remove", func(srv *ftptest.Server) { srv.WriteFile("a", data) },
			func(ctx context.Context, c *Client) error { return c.Remove(ctx, "a") },
			func(srv *ftptest.Server) error {
				if _, err := srv.Stat("a"); !errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("a still there")
				}
				return nil
			}},
		{"mkdir", func(srv *ftptest.Server) {},
			func(ctx context.Context, c *Client) error { return c.Mkdir(ctx, "d") },
			func(srv *ftptest.Server) error {
				if fi, err := srv.Stat("d"); err != nil || !fi.IsDir() {
					return fmt.Errorf("d missing: %v", err)
				}
				return nil
			}},
		{"readdir", func(srv *ftptest.Server) { srv.WriteFile("d/x", data); srv.WriteFile("d/y", nil) },
			func(ctx context.Context, c *Client) error {
				ents, err := c.ReadDir(ctx, "d")
				if err == nil && (len(ents) != 2 || ents[0].Name != "x" || ents[1].Name != "y") {
					err = fmt.Errorf("entries %v", ents)
				}
				return err
			}, nil},
		{"size", func(srv *ftptest.Server) { srv.WriteFile("f", data) },
			func(ctx context.Context, c *Client) error {
				n, err := c.Size(ctx, "f")
				if err == nil && n != int64(len(data)) {
					err = fmt.Errorf("size %d", n)
				}
				return err
			}, nil},
	}
	for _, o := range ops {
		// The clean run: which commands does the operation send?
		var cmds []string
		func() {
			c, srv := newTestClient(t, nil)
			o.setup(srv)
			if err := o.run(testCtx(t), c); err != nil {
				t.Fatalf("%s: clean run: %v", o.name, err)
			}
			cmds = srv.Commands()
		}()
		seen := map[string]int{}
		for _, line := range cmds {
			verb, _, _ := strings.Cut(line, " ")
			verb = strings.ToUpper(verb)
			seen[verb]++
			nth := seen[verb]
			for _, cf := range cutFaults {
				name := fmt.Sprintf("%s/%s#%d/%s", o.name, verb, nth, cf.name)
				t.Run(name, func(t *testing.T) {
					c, srv := newTestClient(t, nil)
					o.setup(srv)
					f := cf.f
					f.Command, f.Nth = verb, nth
					srv.AddFault(f)
					if err := o.run(testCtx(t), c); err != nil {
						t.Fatalf("%v (commands %q)", err, srv.Commands())
					}
					if o.check != nil {
						if err := o.check(srv); err != nil {
							t.Fatalf("%v (commands %q)", err, srv.Commands())
						}
					}
				})
			}
		}
	}
}

func TestClientRetryLimit(t *testing.T) {
	checkLeaks(t)
	c, srv := newTestClient(t, func(c *Client) { c.MaxRetries = 2 })
	ctx := testCtx(t)
	srv.WriteFile("f", []byte("x"))
	srv.AddFault(ftptest.Fault{Command: "RETR", Reply: "421 Go away.", CloseAfterReply: true})
	_, err := c.Download(ctx, "f", io.Discard)
	if !errors.Is(err, ErrTemp) || replyCodeOf(err) != 421 {
		t.Fatalf("Download: %v", err)
	}
	if n := countCmds(srv, "RETR"); n != 3 {
		t.Errorf("RETR sent %d times, want 3 (1 + MaxRetries)", n)
	}
	// No retries at all with a negative MaxRetries.
	c2 := &Client{Addr: srv.Addr, User: "user", Password: "pass", MaxRetries: -1}
	defer c2.Close()
	before := countCmds(srv, "RETR")
	if _, err := c2.Download(ctx, "f", io.Discard); err == nil {
		t.Fatal("no error")
	}
	if n := countCmds(srv, "RETR") - before; n != 1 {
		t.Errorf("RETR sent %d times, want 1", n)
	}
}

func TestClientDialRetry(t *testing.T) {
	checkLeaks(t)
	var dials atomic.Int32
	c, srv := newTestClient(t, func(c *Client) {
		c.Dialer.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			if dials.Add(1) <= 2 {
				return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
			}
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}
	})
	ctx := testCtx(t)
	srv.WriteFile("f", []byte("abc"))
	var b bytes.Buffer
	if _, err := c.Download(ctx, "f", &b); err != nil || b.String() != "abc" {
		t.Fatalf("Download: %q, %v", b.String(), err)
	}
}

func TestClientRetryHonoursCtx(t *testing.T) {
	checkLeaks(t)
	c, _ := newTestClient(t, func(c *Client) {
		c.MaxRetries = 100
		c.Dialer.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Stat(ctx, "f")
	if err == nil || !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stat: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Stat took %v after its ctx ended", d)
	}
}

// limitWriter fails once it has accepted limit bytes.
type limitWriter struct {
	n, limit int
}

var errDiskFull = errors.New("disk full")

func (w *limitWriter) Write(p []byte) (int, error) {
	if w.n+len(p) > w.limit {
		k := w.limit - w.n
		w.n = w.limit
		return k, errDiskFull
	}
	w.n += len(p)
	return len(p), nil
}

func TestClientWriterErrorNotRetried(t *testing.T) {
	checkLeaks(t)
	c, srv := newTestClient(t, nil)
	ctx := testCtx(t)
	srv.WriteFile("f", randomData(t, 200<<10))
	w := &limitWriter{limit: 50000}
	n, err := c.Download(ctx, "f", w)
	if !errors.Is(err, errDiskFull) || n != 50000 {
		t.Fatalf("Download = %d, %v", n, err)
	}
	if got := countCmds(srv, "RETR"); got != 1 {
		t.Errorf("RETR sent %d times, want 1", got)
	}
	// The connection was aborted cleanly and reused.
	if _, err := c.Size(ctx, "f"); err != nil {
		t.Fatal(err)
	}
	if got := countCmds(srv, "USER"); got != 1 {
		t.Errorf("%d logins, want 1", got)
	}
}

func TestIsTransient(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{replyError("421 bye"), true},
		{replyError("425 no data"), true},
		{replyError("426 aborted"), true},
		{replyError("450 busy"), false},
		{replyError("550 nope"), false},
		{replyError("530 login"), false},
		{io.EOF, true},
		{fmt.Errorf("x: %w", io.ErrUnexpectedEOF), true},
		{&net.OpError{Op: "read", Err: syscall.ECONNRESET}, true},
		{fmt.Errorf("%w: %w", ErrClosed, io.EOF), true},
		{ErrIllegalNewline, false},
		{errClientClosed, false},
		{permanent{io.EOF}, false},
		{newError(ErrProto, "garbage"), false},
		// A listing cut with its control connection: the control's EOF
		// joined with the truncated line's parse error.
		{fmt.Errorf("%w (and %w)", fmt.Errorf("ftp: reading reply: %w", io.EOF), parseErr("MLSx", "type=fil", "cut")), true},
		{fmt.Errorf("%w (and %w)", &net.OpError{Op: "read", Err: syscall.ECONNRESET}, parseErr("Unix", "-rw", "cut")), true},
		{fmt.Errorf("%w (and %w)", parseErr("MLSx", "x", "bad"), net.ErrClosed), true},
		// Protocol errors on a connection that still works.
		{parseErr("MLSx", "type=fil", "no name"), false},
		{fmt.Errorf("%w (and %w)", parseErr("MLSx", "x", "bad"), parseErr("MLSx", "y", "bad")), false},
		{fmt.Errorf("%w (and %w)", parseErr("MLSx", "x", "bad"), nameErrors{&NameError{Dir: "/d", Entry: Entry{Name: "a/b"}}}), false},
		{ErrLineTooLong, false},
		{context.Canceled, false},
	} {
		if got := isTransient(tt.err); got != tt.want {
			t.Errorf("isTransient(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
