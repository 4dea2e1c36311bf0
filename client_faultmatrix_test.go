package ftp

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ftplib-go/ftp/ftptest"
)

// The fault matrix of issue 12: every kind of Client operation (Download,
// Open, Upload, Append, ReadDir, Stat, Rename, Remove, RemoveAll, Mkdir,
// MkdirAll, SetModTime), with the
// control connection cut at every command it sends (before the command
// takes effect, after it took effect but before the reply, and after the
// reply), a 421 reply and a hang-up at every command, and data
// connections cut after a random number of bytes (alone, and together
// with the control connection). Each case checks that the operation
// succeeds, that a download ends byte-identical with every byte sent
// once (resumed, not restarted: the server counts the bytes it sent), that
// an upload or append from a seekable reader ends identical and resumed
// (an append lands exactly once), that a rename, remove or mkdir happened
// exactly once, and that nothing leaked. Cases that hit a reported Client
// bug are skipped by fmKnownBug.
//
// The commands of an operation are found by running it once on a probe
// server; FTP_FAULT_SEED fixes the random cut offsets.

// fmPayload is the file downloaded and uploaded by the matrix.
var fmPayload = func() []byte {
	b := make([]byte, 192<<10)
	r := rand.New(rand.NewPCG(7, 7))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}()

// fmOp is one kind of Client operation in the matrix.
type fmOp struct {
	name   string
	setup  func(srv *ftptest.Server) error
	run    func(ctx context.Context, c *Client) error
	check  func(srv *ftptest.Server) error // the server's state afterwards
	effect string                          // the command that must take effect exactly once
	xfer   string                          // "download", "upload": check the byte counts of fmFile
}

const fmFile = "/d/data.bin"

var fmOps = []fmOp{
	{name: "download", xfer: "download",
		setup: func(srv *ftptest.Server) error { return srv.WriteFile(fmFile, fmPayload) },
		run: func(ctx context.Context, c *Client) error {
			var buf bytes.Buffer
			n, err := c.Download(ctx, fmFile, &buf)
			if err != nil {
				return err
			}
			if n != int64(len(fmPayload)) || !bytes.Equal(buf.Bytes(), fmPayload) {
				return fmt.Errorf("downloaded %d bytes (%d reported), %d corrupted, want %d", buf.Len(), n, corruptBytes(buf.Bytes(), fmPayload), len(fmPayload))
			}
			return nil
		}},
	{name: "upload", xfer: "upload",
		setup: func(srv *ftptest.Server) error { return srv.MkdirAll("/d") },
		run: func(ctx context.Context, c *Client) error {
			n, err := c.Upload(ctx, fmFile, bytes.NewReader(fmPayload))
			if err == nil && n != int64(len(fmPayload)) {
				err = fmt.Errorf("Upload reported %d bytes, want %d", n, len(fmPayload))
			}
			return err
		},
		check: func(srv *ftptest.Server) error {
			got, err := srv.ReadFile(fmFile)
			if err != nil || !bytes.Equal(got, fmPayload) {
				return fmt.Errorf("server has %d bytes (%d corrupted), %v; want %d", len(got), corruptBytes(got, fmPayload), err, len(fmPayload))
			}
			return nil
		}},
	{name: "list",
		setup: fmFiles("/d/a", "/d/b b", "/d/-c", "/d/ü"),
		run: func(ctx context.Context, c *Client) error {
			entries, err := c.ReadDir(ctx, "/d")
			if err != nil {
				return err
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name)
			}
			slices.Sort(names)
			if want := []string{"-c", "a", "b b", "ü"}; !slices.Equal(names, want) {
				return fmt.Errorf("ReadDir: %q, want %q", names, want)
			}
			return nil
		}},
	{name: "stat",
		setup: func(srv *ftptest.Server) error { return srv.WriteFile(fmFile, fmPayload) },
		run: func(ctx context.Context, c *Client) error {
			e, err := c.Stat(ctx, fmFile)
			if err == nil && (e.IsDir() || e.Size != int64(len(fmPayload))) {
				err = fmt.Errorf("Stat: %+v", e)
			}
			return err
		}},
	{name: "rename", effect: "RNTO",
		setup: fmFiles("/d/old name"),
		run:   func(ctx context.Context, c *Client) error { return c.Rename(ctx, "/d/old name", "/d/new name") },
		check: func(srv *ftptest.Server) error {
			if _, err := srv.Stat("/d/old name"); err == nil {
				return fmt.Errorf("the old name is still there")
			}
			if got, err := srv.ReadFile("/d/new name"); err != nil || string(got) != "/d/old name" {
				return fmt.Errorf("the new name holds %q, %v", got, err)
			}
			return nil
		}},
	{name: "remove", effect: "DELE",
		setup: fmFiles("/d/gone"),
		run:   func(ctx context.Context, c *Client) error { return c.Remove(ctx, "/d/gone") },
		check: func(srv *ftptest.Server) error {
			if _, err := srv.Stat("/d/gone"); err == nil {
				return fmt.Errorf("the file is still there")
			}
			return nil
		}},
	{name: "open", xfer: "download",
		setup: func(srv *ftptest.Server) error { return srv.WriteFile(fmFile, fmPayload) },
		run: func(ctx context.Context, c *Client) error {
			rc, err := c.Open(ctx, fmFile)
			if err != nil {
				return err
			}
			got, err := io.ReadAll(rc)
			if cerr := rc.Close(); err == nil {
				err = cerr
			}
			if err == nil && !bytes.Equal(got, fmPayload) {
				err = fmt.Errorf("read %d bytes, %d corrupted, want %d", len(got), corruptBytes(got, fmPayload), len(fmPayload))
			}
			return err
		}},
	{name: "append", xfer: "upload",
		setup: fmFiles(fmFile),
		run: func(ctx context.Context, c *Client) error {
			n, err := c.Append(ctx, fmFile, bytes.NewReader(fmPayload))
			if err == nil && n != int64(len(fmPayload)) {
				err = fmt.Errorf("Append reported %d bytes, want %d", n, len(fmPayload))
			}
			return err
		},
		check: func(srv *ftptest.Server) error {
			// Appended exactly once: the old contents, then the payload.
			want := append([]byte(fmFile), fmPayload...)
			got, err := srv.ReadFile(fmFile)
			if err != nil || !bytes.Equal(got, want) {
				return fmt.Errorf("server has %d bytes (%d corrupted), %v; want %d", len(got), corruptBytes(got, want), err, len(want))
			}
			return nil
		}},
	{name: "setmodtime",
		setup: fmFiles("/d/t"),
		run: func(ctx context.Context, c *Client) error {
			return c.SetModTime(ctx, "/d/t", time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC))
		},
		check: func(srv *ftptest.Server) error {
			fi, err := srv.Stat("/d/t")
			if err != nil || !fi.ModTime().Equal(time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)) {
				return fmt.Errorf("modification time %v, %v", fi.ModTime(), err)
			}
			return nil
		}},
	{name: "mkdirall",
		setup: func(srv *ftptest.Server) error { return srv.MkdirAll("/d") },
		run:   func(ctx context.Context, c *Client) error { return c.MkdirAll(ctx, "/d/x/y z") },
		check: func(srv *ftptest.Server) error {
			if fi, err := srv.Stat("/d/x/y z"); err != nil || !fi.IsDir() {
				return fmt.Errorf("no directory: %v", err)
			}
			return nil
		}},
	{name: "removeall",
		setup: fmFiles("/d/r/a", "/d/r/s/b", "/d/r/s/c c"),
		run:   func(ctx context.Context, c *Client) error { return c.RemoveAll(ctx, "/d/r") },
		check: func(srv *ftptest.Server) error {
			if _, err := srv.Stat("/d/r"); err == nil {
				return fmt.Errorf("the tree is still there")
			}
			if _, err := srv.Stat("/d"); err != nil {
				return fmt.Errorf("its parent is gone: %v", err)
			}
			return nil
		}},
	{name: "mkdir", effect: "MKD",
		setup: func(srv *ftptest.Server) error { return srv.MkdirAll("/d") },
		run:   func(ctx context.Context, c *Client) error { return c.Mkdir(ctx, "/d/new dir") },
		check: func(srv *ftptest.Server) error {
			if fi, err := srv.Stat("/d/new dir"); err != nil || !fi.IsDir() {
				return fmt.Errorf("no directory: %v", err)
			}
			return nil
		}},
}

// fmFiles returns a setup writing each name with its own name as content.
func fmFiles(names ...string) func(*ftptest.Server) error {
	return func(srv *ftptest.Server) error {
		for _, n := range names {
			if err := srv.WriteFile(n, []byte(n)); err != nil {
				return err
			}
		}
		return nil
	}
}

// fmEnv is a fresh server and Client for one case, with the pool warmed
// up (one connection logged in) unless cold.
type fmEnv struct {
	srv    *ftptest.Server
	c      *Client
	first  int // index in srv.Commands() of the operation's first command
	hfirst int // index in srv.Handled() of the operation's first command
}

func newFMEnv(t *testing.T, op fmOp, cold bool) *fmEnv {
	t.Helper()
	srv := ftptest.NewServer()
	t.Cleanup(srv.Close)
	if err := op.setup(srv); err != nil {
		t.Fatal(err)
	}
	c := &Client{Addr: srv.Addr, User: "user", Password: "pass", MaxConns: 2,
		Dialer: &Dialer{Timeout: 10 * time.Second}}
	t.Cleanup(func() { c.Close() })
	if !cold {
		if err := c.Do(fmCtx(t), func(*Conn) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	return &fmEnv{srv: srv, c: c, first: len(srv.Commands()), hfirst: len(srv.Handled())}
}

func fmCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// verbs returns the verbs of the commands since the operation started.
func (e *fmEnv) verbs() []string {
	var vs []string
	// Handled, not Commands: a line the client sent after the server
	// closed the connection (a CloseAfterReply fault) never took effect.
	for _, l := range e.srv.Handled()[e.hfirst:] {
		v, _, _ := strings.Cut(l, " ")
		vs = append(vs, strings.ToUpper(v))
	}
	return vs
}

// fmPoint is one place to inject a fault: the nth occurrence (from 1) of
// verb among the operation's commands.
type fmPoint struct {
	verb string
	nth  int
}

// points returns every command of a probe run of op, in order.
func fmProbe(t *testing.T, op fmOp) (points []fmPoint, xferBytes map[string]int64) {
	t.Helper()
	e := newFMEnv(t, op, false)
	if err := op.run(fmCtx(t), e.c); err != nil {
		t.Fatalf("probe: %v", err)
	}
	seen := map[string]int{}
	for _, v := range e.verbs() {
		seen[v]++
		points = append(points, fmPoint{v, seen[v]})
	}
	xferBytes = map[string]int64{}
	for _, x := range e.srv.Transfers() {
		v, _, _ := strings.Cut(x.Command, " ")
		xferBytes[strings.ToUpper(v)] = x.Bytes
	}
	e.c.Close()
	e.srv.Close()
	return points, xferBytes
}

// fmMode is a way to break the control connection at a point.
type fmMode struct {
	name   string
	fault  func(p fmPoint) ftptest.Fault
	effect bool // the command at the point takes effect
}

var fmModes = []fmMode{
	{"cut", func(p fmPoint) ftptest.Fault {
		return ftptest.Fault{Command: p.verb, Nth: p.nth, CloseControl: true}
	}, false},
	{"lost-reply", func(p fmPoint) ftptest.Fault {
		return ftptest.Fault{Command: p.verb, Nth: p.nth, CloseBeforeReply: true}
	}, true},
	{"after-reply", func(p fmPoint) ftptest.Fault {
		return ftptest.Fault{Command: p.verb, Nth: p.nth, CloseAfterReply: true}
	}, true},
	{"421", func(p fmPoint) ftptest.Fault {
		return ftptest.Fault{Command: p.verb, Nth: p.nth, Reply: "421 Service not available, closing control connection.", CloseAfterReply: true}
	}, false},
}

func isTransferVerb(v string) bool {
	switch v {
	case "RETR", "STOR", "APPE", "STOU", "LIST", "NLST", "MLSD":
		return true
	}
	return false
}

// fmRun runs op in a fresh environment with the faults, and checks
// everything the matrix promises. cutVerb is the verb whose one
// occurrence was refused without effect (cut or 421), or "".
func fmRun(t *testing.T, op fmOp, cold bool, noEffect string, faults ...ftptest.Fault) {
	checkLeaks(t)
	e := newFMEnv(t, op, cold)
	for _, f := range faults {
		e.srv.AddFault(f)
	}
	if err := op.run(fmCtx(t), e.c); err != nil {
		t.Fatalf("%s with %+v: %v\ncommands: %q", op.name, faults, err, e.srv.Commands()[e.first:])
	}
	if op.check != nil {
		if err := op.check(e.srv); err != nil {
			t.Errorf("%s with %+v: %v\ncommands: %q", op.name, faults, err, e.srv.Commands()[e.first:])
		}
	}
	size := int64(len(fmPayload))
	switch op.xfer {
	case "download":
		if n := e.srv.BytesSent(fmFile); n != size {
			t.Errorf("the server sent %d bytes of a %d-byte file: %d sent again (not resumed)\ncommands: %q", n, size, n-size, e.srv.Commands()[e.first:])
		}
	case "upload":
		if n := e.srv.BytesReceived(fmFile); n != size {
			t.Errorf("the server received %d bytes of a %d-byte upload: %d sent again (not resumed)\ncommands: %q", n, size, n-size, e.srv.Commands()[e.first:])
		}
	}
	if op.effect != "" {
		n := 0
		for _, v := range e.verbs() {
			if v == op.effect {
				n++
			}
		}
		if noEffect == op.effect {
			n-- // that one was refused before it took effect
		}
		if n != 1 {
			t.Errorf("%s took effect %d times, want exactly once\ncommands: %q", op.effect, n, e.srv.Commands()[e.first:])
		}
	}
}

func fmSeed(t *testing.T) uint64 {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("FTP_FAULT_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("FTP_FAULT_SEED: %v", err)
		}
		seed = v
	}
	t.Logf("FTP_FAULT_SEED=%d", seed)
	return seed
}

// fmKnownBug returns why a case is skipped: a Client bug that is
// reported and not fixed yet, matched on f. There is none at present;
// add a case when one is reported and delete it with the fix.
func fmKnownBug(f ftptest.Fault) string {
	return ""
}

// TestClientFaultControl breaks the control connection at every command
// of every operation, in every way.
func TestClientFaultControl(t *testing.T) {
	for _, op := range fmOps {
		points, _ := fmProbe(t, op)
		if len(points) == 0 {
			t.Fatalf("%s sent no command", op.name)
		}
		for _, p := range points {
			for _, m := range fmModes {
				t.Run(fmt.Sprintf("%s/%s%d/%s", op.name, p.verb, p.nth, m.name), func(t *testing.T) {
					noEffect := ""
					if !m.effect {
						noEffect = p.verb
					}
					if why := fmKnownBug(m.fault(p)); why != "" {
						t.Skip(why)
					}
					fmRun(t, op, false, noEffect, m.fault(p))
				})
			}
		}
	}
}

// TestClientFaultConnect breaks the login of the first connection.
func TestClientFaultConnect(t *testing.T) {
	for _, f := range []ftptest.Fault{
		{Command: "", Nth: 1, Reply: "421 Too many connections.", CloseAfterReply: true},
		{Command: "", Nth: 1, CloseControl: true},
		{Command: "USER", Nth: 1, Reply: "421 Try later.", CloseAfterReply: true},
		{Command: "PASS", Nth: 1, CloseControl: true},
		{Command: "PASS", Nth: 1, CloseAfterReply: true},
	} {
		for _, op := range fmOps {
			t.Run(fmt.Sprintf("%q/%s", f.Command, op.name), func(t *testing.T) {
				fmRun(t, op, true, "", f)
			})
		}
	}
}

// TestClientFaultData cuts data connections after a random number of
// bytes: alone (426), with the control connection closed right after
// the cut, and twice in a row.
func TestClientFaultData(t *testing.T) {
	rng := rand.New(rand.NewPCG(fmSeed(t), 0))
	for _, op := range fmOps {
		points, xfer := fmProbe(t, op)
		for _, p := range points {
			if !isTransferVerb(p.verb) {
				continue
			}
			total := xfer[p.verb]
			if total < 2 {
				continue
			}
			for _, closeCtl := range []bool{false, true} {
				n := 1 + rng.Int64N(total-1)
				name := fmt.Sprintf("%s/%s/after%d", op.name, p.verb, n)
				if closeCtl {
					name += "/control-closed"
				}
				t.Run(name, func(t *testing.T) {
					f := ftptest.Fault{Command: p.verb, Nth: p.nth, Cut: true, CutAfter: n, CloseAfterData: closeCtl}
					if why := fmKnownBug(f); why != "" {
						t.Skip(why)
					}
					fmRun(t, op, false, "", f)
				})
			}
			n1 := 1 + rng.Int64N(total/2)
			n2 := 1 + rng.Int64N(total/2)
			t.Run(fmt.Sprintf("%s/%s/twice-after%d-%d", op.name, p.verb, n1, n2), func(t *testing.T) {
				fmRun(t, op, false, "",
					ftptest.Fault{Command: p.verb, Nth: p.nth, Cut: true, CutAfter: n1},
					ftptest.Fault{Command: p.verb, Nth: p.nth + 1, Cut: true, CutAfter: n2})
			})
		}
	}
}
