package ftp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ftplib-go/ftp/ftptest"
)

// The fault-injection matrix: every fault, for download and upload,
// passive and active, plain and TLS, against ftptest. Each case asserts
// the exact error, that no short data is ever reported as success, and
// whether the Conn is still in step afterwards or reports ErrClosed.

// faultEnv is one point of the matrix.
type faultEnv struct {
	upload, active, tls, ipv6 bool
}

func (e faultEnv) String() string {
	s := "download"
	if e.upload {
		s = "upload"
	}
	if e.active {
		s += "/active"
	} else {
		s += "/passive"
	}
	if e.tls {
		s += "/tls"
	} else {
		s += "/plain"
	}
	if e.ipv6 {
		s += "/ipv6"
	}
	return s
}

// cmd returns the transfer command of e.
func (e faultEnv) cmd() string {
	if e.upload {
		return "STOR"
	}
	return "RETR"
}

// dialFTPSHook, set by fault_tls_test.go, connects to a StartTLS server
// and protects the control and data connections. Nil skips TLS cases.
var dialFTPSHook func(t *testing.T, srv *ftptest.Server, d *Dialer) *Conn

// faultPayload is the file every case transfers.
var faultPayload = func() []byte {
	b := make([]byte, 256<<10)
	rand.New(rand.NewSource(1)).Read(b)
	return b
}()

// bigPayload is an upload too large to fit in the socket buffers, so
// that a cut data connection is seen by the writer.
var bigPayload = bytes.Repeat(faultPayload, 64)

// newFaultServer starts an ftptest server for e holding f.bin.
func newFaultServer(t *testing.T, e faultEnv) *ftptest.Server {
	t.Helper()
	srv := ftptest.NewUnstartedServer()
	srv.IPv6 = e.ipv6
	if e.ipv6 {
		if ln, err := net.Listen("tcp6", "[::1]:0"); err != nil {
			t.Skipf("no IPv6 loopback: %v", err)
		} else {
			ln.Close()
		}
	}
	if e.tls {
		if dialFTPSHook == nil {
			t.Skip("FTPS is not in this tree")
		}
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	if err := srv.WriteFile("f.bin", faultPayload); err != nil {
		t.Fatal(err)
	}
	return srv
}

// dialFault connects to srv as e says, logs in, and closes the Conn at
// the end of the test.
func dialFault(t *testing.T, srv *ftptest.Server, e faultEnv, d *Dialer) *Conn {
	t.Helper()
	if d == nil {
		d = &Dialer{}
	}
	d.Active = e.active
	var c *Conn
	if e.tls {
		c = dialFTPSHook(t, srv, d)
	} else {
		var err error
		c, err = d.Dial(ctxT(t), srv.Addr)
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		t.Cleanup(func() { c.Close() })
		if _, err := c.Login(ctxT(t), "user", "pass", ""); err != nil {
			t.Fatalf("Login: %v", err)
		}
	}
	return c
}

// runTransfer makes e's transfer and checks that it never reports
// success with short data: a download that succeeds returned the whole
// file, an upload that succeeds stored it.
func runTransfer(t *testing.T, ctx context.Context, c *Conn, srv *ftptest.Server, e faultEnv, payload []byte) error {
	t.Helper()
	if e.upload {
		_, err := c.StorBinary(ctx, "STOR up.bin", bytes.NewReader(payload))
		if err == nil {
			got, rerr := srv.ReadFile("up.bin")
			if rerr != nil || !bytes.Equal(got, payload) {
				t.Fatalf("upload reported success, server holds %d of %d bytes (%v)", len(got), len(payload), rerr)
			}
		}
		return err
	}
	var buf bytes.Buffer
	_, err := c.RetrBinary(ctx, "RETR f.bin", &buf)
	if err == nil && !bytes.Equal(buf.Bytes(), faultPayload) {
		t.Fatalf("download reported success with %d of %d bytes", buf.Len(), len(faultPayload))
	}
	return err
}

// after says what the Conn must be after a fault.
type after int

const (
	inStep after = iota // the next command gets its own reply
	closed              // the next call reports ErrClosed
)

func checkAfter(t *testing.T, c *Conn, srv *ftptest.Server, want after) {
	t.Helper()
	resp, err := c.SendCmd(ctxT(t), "SYST")
	switch want {
	case inStep:
		if err != nil || resp != "215 UNIX Type: L8" {
			t.Fatalf("SYST after the fault = %q, %v: the Conn is not in step", resp, err)
		}
	case closed:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("SYST after the fault = %q, %v: want ErrClosed", resp, err)
		}
	}
}

// isReply reports whether err is an *Error with the given code and class.
func isReply(err error, class error, code int) bool {
	var e *Error
	return errors.Is(err, class) && errors.As(err, &e) && e.Code == code
}

// isConnCut reports whether err is what a writer or reader sees when
// the peer closes a connection under it.
func isConnCut(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// trickleConn returns at most 3 bytes per Read, so that every reply
// reaches the client split across many reads.
type trickleConn struct{ net.Conn }

func (c trickleConn) Read(p []byte) (int, error) {
	if len(p) > 3 {
		p = p[:3]
	}
	return c.Conn.Read(p)
}

// trickleControl returns a DialContext hook that wraps the first
// connection it opens (the control connection) in a trickleConn.
func trickleControl() func(ctx context.Context, network, addr string) (net.Conn, error) {
	first := true
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		nc, err := d.DialContext(ctx, network, addr)
		if err != nil || !first {
			return nc, err
		}
		first = false
		return trickleConn{nc}, nil
	}
}

type faultCase struct {
	name        string
	passiveOnly bool
	ipv6        bool
	// setup registers the faults and adjusts the Dialer.
	setup func(srv *ftptest.Server, e faultEnv, d *Dialer)
	// ctxTimeout, when not zero, bounds the transfer's ctx.
	ctxTimeout time.Duration
	// big uploads bigPayload instead of faultPayload.
	big bool
	// check asserts the transfer's error (nil: success).
	check func(t *testing.T, e faultEnv, err error)
	after after
}

func wantSuccess(t *testing.T, e faultEnv, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("transfer failed: %v", err)
	}
}

var faultCases = []faultCase{
	{
		name: "cut",
		big:  true,
		setup: func(srv *ftptest.Server, e faultEnv, d *Dialer) {
			srv.AddFault(ftptest.Fault{Command: e.cmd(), Cut: true, CutAfter: 10000})
		},
		check: func(t *testing.T, e faultEnv, err error) {
			// The server's 426, together with the connection error when
			// the cut is seen first on the data connection (as with TLS
			// or a blocked writer): neither hides the other.
			if !isReply(err, ErrTemp, 426) {
				t.Fatalf("got %v, want the 426 (and the cut connection, if seen)", err)
			}
		},
		after: inStep,
	},
	{
		name: "cut-lying-226",
		setup: func(srv *ftptest.Server, e faultEnv, d *Dialer) {
			srv.AddFault(ftptest.Fault{Command: e.cmd(), Cut: true, CutAfter: 10000, Final: "226 Transfer complete."})
		},
		check: func(t *testing.T, e faultEnv, err error) {
			// The 150 announced the size: the short download is caught.
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("got %v, want io.ErrUnexpectedEOF", err)
			}
		},
		after: inStep,
	},
	{
		name: "426-instead-of-226",
		setup: func(srv *ftptest.Server, e faultEnv, d *Dialer) {
			srv.AddFault(ftptest.Fault{Command: e.cmd(), Final: "426 Failure writing network stream."})
		},
		check: func(t *testing.T, e faultEnv, err error) {
			if !isReply(err, ErrTemp, 426) {
				t.Fatalf("got %v, want the 426", err)
			}
		},
		after: inStep,
	},
	{
		name: "control-closed",
		setup: func(srv *ftptest.Server, e faultEnv, d *Dialer) {
			srv.AddFault(ftptest.Fault{Command: e.cmd(), CloseAfterData: true})
		},
		check: func(t *testing.T, e faultEnv, err error) {
			if !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("got %v, want io.EOF or ECONNRESET on the control connection", err)
			}
		},
		after: closed,
	},
	{
		name: "data-stall-timeout",
		setup: func(srv *ftptest.Server, e faultEnv, d *Dialer) {
			srv.AddFault(ftptest.Fault{Command: e.cmd(), StallData: true, CutAfter: 10000})
			d.Timeout = 750 * time.Millisecond // room for a TLS handshake on a loaded machine
		},
		big: true,
		check: func(t *testing.T, e faultEnv, err error) {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("got %v, want a timeout", err)
			}
		},
		after: inStep,
	},
	{
		name: "data-stall-ctx",
		setup: func(srv *ftptest.Server, e faultEnv, d *Dialer) {
			srv.AddFault(ftptest.Fault{Command: e.cmd(), StallData: true, CutAfter: 10000})
		},
		big:        true,
		ctxTimeout: 300 * time.Millisecond,
		check: func(t *testing.T, e faultEnv, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("got %v, want context.DeadlineExceeded", err)
			}
		},
		after: inStep,
	},
	{
		name: "reply-stall-timeout",
		setup: func(srv *ftptest.Server, e faultEnv, d *Dialer) {
			srv.AddFault(ftptest.Fault{Command: e.cmd(), Stall: true})
			d.Timeout = 750 * time.Millisecond // room for a TLS handshake on a loaded machine
		},
		check: func(t *testing.T, e faultEnv, err error) {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("got %v, want a timeout", err)
			}
		},
		after: closed,
	},
	{
		name: "reply-stall-ctx",
		setup: func(srv *ftptest.Server, e faultEnv, d *Dialer) {
			srv.AddFault(ftptest.Fault{Command: e.cmd(), Stall: true})
		},
		ctxTimeout: 300 * time.Millisecond,
		check: func(t *testing.T, e faultEnv, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("got %v, want context.DeadlineExceeded", err)
			}
		},
		after: closed,
	},
	{
		name: "2xx-before-1xx",
		setup: func(srv *ftptest.Server, e faultEnv, d *Dialer) {
			srv.AddFault(ftptest.Fault{Command: e.cmd(), Before: "200 Early reply."})
		},
		check: wantSuccess,
		after: inStep,
	},
	{
		name: "multiline-150-226",
		setup: func(srv *ftptest.Server, e faultEnv, d *Dialer) {
			srv.AddFault(ftptest.Fault{
				Command: e.cmd(),
				Prelim:  "150-Opening data connection\r\n150-for the file\r\n150 now.",
				Final:   "226-Transfer complete.\r\n 226 indented line\r\n226 Bye.",
			})
		},
		check: wantSuccess,
		after: inStep,
	},
	{
		name: "replies-split",
		setup: func(srv *ftptest.Server, e faultEnv, d *Dialer) {
			srv.AddFault(ftptest.Fault{Command: e.cmd(), Final: "226-Transfer\r\n226 complete."})
			d.DialContext = trickleControl()
		},
		check: wantSuccess,
		after: inStep,
	},
	{
		name: "over-long-line",
		setup: func(srv *ftptest.Server, e faultEnv, d *Dialer) {
			srv.AddFault(ftptest.Fault{Command: e.cmd(), Final: "226 " + strings.Repeat("x", 600)})
			d.MaxLine = 256
		},
		check: func(t *testing.T, e faultEnv, err error) {
			if !errors.Is(err, ErrLineTooLong) {
				t.Fatalf("got %v, want ErrLineTooLong", err)
			}
		},
		after: closed,
	},
	{
		name: "over-long-reply",
		setup: func(srv *ftptest.Server, e faultEnv, d *Dialer) {
			srv.AddFault(ftptest.Fault{Command: e.cmd(), Final: "226-start\r\n" +
				strings.Repeat(strings.Repeat("y", 100)+"\r\n", 400) + "226 end"})
			d.MaxLine = 256
		},
		check: func(t *testing.T, e faultEnv, err error) {
			if !errors.Is(err, ErrLineTooLong) {
				t.Fatalf("got %v, want ErrLineTooLong", err)
			}
		},
		after: closed,
	},
	{
		name:        "malformed-PASV",
		passiveOnly: true,
		setup: func(srv *ftptest.Server, e faultEnv, d *Dialer) {
			srv.AddFault(ftptest.Fault{Command: "PASV", PASVHost: "1,2,3"})
		},
		check: func(t *testing.T, e faultEnv, err error) {
			if !errors.Is(err, ErrProto) {
				t.Fatalf("got %v, want ErrProto", err)
			}
		},
		after: inStep,
	},
	{
		name:        "PASV-port-out-of-range",
		passiveOnly: true,
		setup: func(srv *ftptest.Server, e faultEnv, d *Dialer) {
			srv.AddFault(ftptest.Fault{Command: "PASV", Reply: "227 Entering Passive Mode (127,0,0,1,256,1)."})
		},
		check: func(t *testing.T, e faultEnv, err error) {
			if !isReply(err, ErrProto, 227) {
				t.Fatalf("got %v, want ErrProto for the 227", err)
			}
		},
		after: inStep,
	},
	{
		name:        "malformed-EPSV",
		passiveOnly: true,
		ipv6:        true,
		setup: func(srv *ftptest.Server, e faultEnv, d *Dialer) {
			srv.AddFault(ftptest.Fault{Command: "EPSV", Reply: "229 Entering Extended Passive Mode (|||99999|)"})
		},
		check: func(t *testing.T, e faultEnv, err error) {
			if !isReply(err, ErrProto, 229) {
				t.Fatalf("got %v, want ErrProto for the 229", err)
			}
		},
		after: inStep,
	},
	{
		name:        "PASV-foreign-address",
		passiveOnly: true,
		setup: func(srv *ftptest.Server, e faultEnv, d *Dialer) {
			// An address that does not answer: following it would hang
			// until the timeout.
			srv.AddFault(ftptest.Fault{Command: "PASV", PASVHost: "192.0.2.1"})
			d.Timeout = 5 * time.Second
		},
		check: wantSuccess,
		after: inStep,
	},
}

func TestFaultMatrix(t *testing.T) {
	for _, fc := range faultCases {
		for _, sec := range []bool{false, true} {
			for _, upload := range []bool{false, true} {
				for _, active := range []bool{false, true} {
					e := faultEnv{upload: upload, active: active, tls: sec, ipv6: fc.ipv6}
					if fc.passiveOnly && active {
						continue
					}
					if fc.name == "cut-lying-226" && upload {
						// Only a download can catch it (by the size in
						// the 150): an upload's short file is the
						// server's word against nobody's.
						continue
					}
					fc := fc
					t.Run(fc.name+"/"+e.String(), func(t *testing.T) {
						checkLeaks(t)
						runFaultCase(t, fc, e)
					})
				}
			}
		}
	}
}

func runFaultCase(t *testing.T, fc faultCase, e faultEnv) {
	srv := newFaultServer(t, e)
	d := &Dialer{}
	fc.setup(srv, e, d)
	c := dialFault(t, srv, e, d)
	ctx := ctxT(t)
	if fc.ctxTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, fc.ctxTimeout)
		defer cancel()
	}
	payload := faultPayload
	if fc.big && e.upload {
		payload = bigPayload
	}
	done := make(chan error, 1)
	go func() { done <- runTransfer(t, ctx, c, srv, e, payload) }()
	var err error
	select {
	case err = <-done:
	case <-time.After(guard):
		t.Fatal("transfer hung")
	}
	fc.check(t, e, err)
	checkAfter(t, c, srv, fc.after)
	if fc.name == "PASV-foreign-address" {
		tr := srv.Transfers()
		if len(tr) != 1 || tr[0].Aborted {
			t.Fatalf("server transfers %+v, want one complete transfer", tr)
		}
	}
}

// TestFaultKeepAlive runs long transfers with a NOOP interval: the server
// receives NOOPs during the transfer, the final reply is the transfer's,
// and the Conn is in step afterwards.
func TestFaultKeepAlive(t *testing.T) {
	for _, e := range []faultEnv{
		{}, {active: true}, {upload: true}, {upload: true, active: true},
		{tls: true}, {tls: true, upload: true, active: true},
	} {
		upload := e.upload
		t.Run(e.String(), func(t *testing.T) {
			checkLeaks(t)
			srv := newFaultServer(t, e)
			c := dialFault(t, srv, e, &Dialer{NoopInterval: 10 * time.Millisecond})
			var resp string
			var err error
			if upload {
				r := &pacedReader{r: bytes.NewReader(faultPayload)}
				resp, err = c.StorBinary(ctxT(t), "STOR up.bin", r)
			} else {
				var buf bytes.Buffer
				w := writerFunc(func(p []byte) (int, error) {
					time.Sleep(5 * time.Millisecond)
					return buf.Write(p)
				})
				resp, err = c.RetrBinary(ctxT(t), "RETR f.bin", w, BlockSize(16<<10))
				if err == nil && !bytes.Equal(buf.Bytes(), faultPayload) {
					t.Fatalf("download: %d of %d bytes", buf.Len(), len(faultPayload))
				}
			}
			if err != nil || !strings.HasPrefix(resp, "226 ") {
				t.Fatalf("transfer = %q, %v", resp, err)
			}
			checkAfter(t, c, srv, inStep)
			cmds := srv.Commands()
			start, noops := -1, 0
			for i, cmd := range cmds {
				switch {
				case strings.HasPrefix(cmd, e.cmd()+" "):
					start = i
				case cmd == "NOOP" && start >= 0:
					noops++
				}
			}
			if noops == 0 {
				t.Fatalf("no NOOP during the transfer; commands %q", cmds)
			}
		})
	}
}

// pacedReader reads at most 16 KiB at a time, pausing before each read.
type pacedReader struct{ r io.Reader }

func (p *pacedReader) Read(b []byte) (int, error) {
	time.Sleep(5 * time.Millisecond)
	if len(b) > 16<<10 {
		b = b[:16<<10]
	}
	return p.r.Read(b)
}

// TestFaultListingLineTooLong: a listing line over MaxLine aborts the
// listing with ErrLineTooLong and leaves the Conn in step.
func TestFaultListingLineTooLong(t *testing.T) {
	for _, active := range []bool{false, true} {
		e := faultEnv{active: active}
		t.Run(e.String(), func(t *testing.T) {
			checkLeaks(t)
			srv := newFaultServer(t, e)
			if err := srv.WriteFile(strings.Repeat("n", 300), []byte("x")); err != nil {
				t.Fatal(err)
			}
			c := dialFault(t, srv, e, &Dialer{MaxLine: 256})
			var lines []string
			_, err := c.RetrLines(ctxT(t), "NLST", func(l string) error {
				lines = append(lines, l)
				return nil
			})
			if !errors.Is(err, ErrLineTooLong) {
				t.Fatalf("NLST = %v (lines %q), want ErrLineTooLong", err, lines)
			}
			checkAfter(t, c, srv, inStep)
		})
	}
}

// TestFaultCRLFInjection: a command argument with CR or LF is refused and
// nothing reaches the server.
func TestFaultCRLFInjection(t *testing.T) {
	checkLeaks(t)
	e := faultEnv{}
	srv := newFaultServer(t, e)
	c := dialFault(t, srv, e, nil)
	n := len(srv.Commands())
	calls := map[string]func() error{
		"Cwd":        func() error { _, err := c.Cwd(ctxT(t), "x\r\nDELE f.bin"); return err },
		"RetrBinary": func() error { _, err := c.RetrBinary(ctxT(t), "RETR f.bin\nDELE f.bin", io.Discard); return err },
		"StorBinary": func() error { _, err := c.StorBinary(ctxT(t), "STOR a\rb", strings.NewReader("x")); return err },
		"Rename":     func() error { _, err := c.Rename(ctxT(t), "f.bin", "g\n"); return err },
		"Login":      func() error { _, err := c.Login(ctxT(t), "user", "pass\r\nDELE f.bin", ""); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, ErrIllegalNewline) {
			t.Errorf("%s: %v, want ErrIllegalNewline", name, err)
		}
	}
	if cmds := srv.Commands(); len(cmds) != n {
		t.Errorf("commands reached the server: %q", cmds[n:])
	}
	checkAfter(t, c, srv, inStep)
	if _, err := srv.ReadFile("f.bin"); err != nil {
		t.Errorf("f.bin: %v", err)
	}
}

// Ensure the fault matrix names stay unique (a typo would hide a case).
func TestFaultCaseNames(t *testing.T) {
	seen := map[string]bool{}
	for _, fc := range faultCases {
		if seen[fc.name] {
			t.Errorf("duplicate case %q", fc.name)
		}
		seen[fc.name] = true
	}
	if len(seen) < 15 {
		t.Errorf("only %d fault cases", len(seen))
	}
	_ = fmt.Sprint
}

// TestFaultListingStalls: a listing whose data stalls, cut by its ctx or
// by the Dialer's Timeout, ends the iteration with that error, and the
// Conn is in step afterwards (ABOR answered).
func TestFaultListingStalls(t *testing.T) {
	for _, byCtx := range []bool{false, true} {
		for _, e := range []faultEnv{{}, {active: true}, {tls: true}} {
			name := e.String() + "/timeout"
			if byCtx {
				name = e.String() + "/ctx"
			}
			t.Run(name, func(t *testing.T) {
				checkLeaks(t)
				srv := newFaultServer(t, e)
				for i := 0; i < 50; i++ {
					if err := srv.WriteFile(fmt.Sprintf("file%02d", i), []byte("x")); err != nil {
						t.Fatal(err)
					}
				}
				srv.AddFault(ftptest.Fault{Command: "MLSD", StallData: true, CutAfter: 500})
				// The bound must leave room for the data connection's TLS
				// handshake on a loaded machine: the entries before the
				// stall have to arrive first.
				const bound = time.Second
				d := &Dialer{}
				if !byCtx {
					d.Timeout = bound
				}
				c := dialFault(t, srv, e, d)
				ctx := ctxT(t)
				if byCtx { // started after the dial and login, which it does not cover
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, bound)
					defer cancel()
				}
				n := 0
				var err error
				for _, ierr := range c.Mlsd(ctx, "/") {
					if ierr != nil {
						err = ierr
						break
					}
					n++
				}
				want := os.ErrDeadlineExceeded
				if byCtx {
					want = context.DeadlineExceeded
				}
				if !errors.Is(err, want) || n == 0 || n >= 50 {
					t.Fatalf("Mlsd: %d entries, error %v; want some entries then %v", n, err, want)
				}
				checkAfter(t, c, srv, inStep)
			})
		}
	}
}

// TestFaultKeepAliveAbort: a stalled transfer with keepalive NOOPs
// outstanding is aborted (by the Timeout, by its ctx, or by a failing
// writer); the NOOP replies are read along with the ABOR exchange and
// the Conn is in step afterwards.
func TestFaultKeepAliveAbort(t *testing.T) {
	for _, how := range []string{"timeout", "ctx", "writer"} {
		for _, e := range []faultEnv{{}, {upload: true}, {tls: true}, {tls: true, upload: true, active: true}} {
			if how == "writer" && e.upload {
				continue
			}
			t.Run(how+"/"+e.String(), func(t *testing.T) {
				checkLeaks(t)
				srv := newFaultServer(t, e)
				srv.AddFault(ftptest.Fault{Command: e.cmd(), StallData: true, CutAfter: 10000})
				d := &Dialer{NoopInterval: 20 * time.Millisecond}
				if how == "timeout" {
					d.Timeout = 750 * time.Millisecond // room for a TLS handshake on a loaded machine
				}
				c := dialFault(t, srv, e, d)
				ctx := ctxT(t)
				if how == "ctx" { // started after the dial and login
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, 300*time.Millisecond)
					defer cancel()
				}
				var err error
				if how == "writer" {
					// The writer fails once NOOPs have been sent.
					start := time.Now()
					w := writerFunc(func(p []byte) (int, error) {
						if time.Since(start) > 150*time.Millisecond {
							return 0, errors.New("disk full")
						}
						time.Sleep(10 * time.Millisecond)
						return len(p), nil
					})
					srv.ClearFaults()
					_, err = c.RetrBinary(ctx, "RETR f.bin", w, BlockSize(1024))
					if err == nil || err.Error() != "disk full" {
						t.Fatalf("RetrBinary: %v, want the writer's error", err)
					}
				} else {
					err = runTransfer(t, ctx, c, srv, e, bigPayload)
					want := os.ErrDeadlineExceeded
					if how == "ctx" {
						want = context.DeadlineExceeded
					}
					if !errors.Is(err, want) {
						t.Fatalf("transfer: %v, want %v", err, want)
					}
				}
				checkAfter(t, c, srv, inStep)
				noops := 0
				for _, cmd := range srv.Commands() {
					if cmd == "NOOP" {
						noops++
					}
				}
				if noops == 0 {
					t.Fatalf("no NOOP was sent; commands %q", srv.Commands())
				}
			})
		}
	}
}

// TestCutUploadKeepsServerReply: an upload whose data connection the
// server cuts, answering 451, fails with both the connection error and the
// 451 (errors.Join), so errors.Is finds either.
func TestCutUploadKeepsServerReply(t *testing.T) {
	for _, e := range []faultEnv{{upload: true}, {upload: true, active: true}, {upload: true, tls: true}} {
		t.Run(e.String(), func(t *testing.T) {
			srv := newFaultServer(t, e)
			srv.AddFault(ftptest.Fault{Command: "STOR", Cut: true, CutAfter: 10000,
				Final: "451 Failure writing to local file."})
			c := dialFault(t, srv, e, nil)
			_, err := c.StorBinary(ctxT(t), "STOR up.bin", bytes.NewReader(bigPayload))
			// The 451, or the 426 when the server sees the ABOR before
			// it ends the transfer.
			if !isConnCut(err) || !(isReply(err, ErrTemp, 451) || isReply(err, ErrTemp, 426)) {
				t.Fatalf("StorBinary: %v; want the cut connection and the 451", err)
			}
			var fe *Error
			if errors.As(err, &fe); fe.Cmd != "STOR up.bin" {
				t.Errorf("the reply's command is %q, want STOR up.bin", fe.Cmd)
			}
			checkAfter(t, c, srv, inStep)
		})
	}
}

// TestRetrReadErrorKeepsServerReply: a download read through Retr whose
// data connection fails (here it stalls past Dialer.Timeout) is an error
// at Close as well, joined with the server's 426.
func TestRetrReadErrorKeepsServerReply(t *testing.T) {
	e := faultEnv{}
	srv := newFaultServer(t, e)
	srv.AddFault(ftptest.Fault{Command: "RETR", StallData: true, CutAfter: 10000})
	c := dialFault(t, srv, e, &Dialer{Timeout: 300 * time.Millisecond})
	d, err := c.Retr(ctxT(t), "RETR f.bin")
	if err != nil {
		t.Fatal(err)
	}
	_, rerr := io.Copy(io.Discard, d)
	if !errors.Is(rerr, os.ErrDeadlineExceeded) {
		t.Fatalf("reading: %v, want a timeout", rerr)
	}
	if err := d.Close(); !errors.Is(err, os.ErrDeadlineExceeded) || !isReply(err, ErrTemp, 426) {
		t.Fatalf("Close: %v; want the timeout and the 426", err)
	}
	checkAfter(t, c, srv, inStep)
}
