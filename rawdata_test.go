package ftp

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/ftplib-go/ftp/ftptest"
)

// TestTransferCmdTimeout: the data connection NTransferCmd hands to its
// caller keeps Dialer.Timeout on each read, so a server that stops
// sending mid-file ends the read with a timeout instead of a hang; the
// bytes before the stall are all there.
func TestTransferCmdTimeout(t *testing.T) {
	for _, e := range []faultEnv{{}, {tls: true}, {active: true}} {
		t.Run(e.String(), func(t *testing.T) {
			checkLeaks(t)
			srv := newFaultServer(t, e)
			srv.AddFault(ftptest.Fault{Command: "RETR", StallData: true, CutAfter: 1000})
			c := dialFault(t, srv, e, &Dialer{Timeout: 300 * time.Millisecond})
			if _, err := c.VoidCmd(ctxT(t), "TYPE I"); err != nil {
				t.Fatal(err)
			}
			dc, err := c.TransferCmd(ctxT(t), "RETR f.bin")
			if err != nil {
				t.Fatal(err)
			}
			defer dc.Close()
			if e.tls {
				if _, ok := dc.(interface{ ConnectionState() tls.ConnectionState }); !ok {
					t.Errorf("TLS data connection %T has no ConnectionState", dc)
				}
			}
			type result struct {
				n   int
				err error
			}
			done := make(chan result, 1)
			go func() {
				b, err := io.ReadAll(dc)
				done <- result{len(b), err}
			}()
			select {
			case r := <-done:
				if !errors.Is(r.err, os.ErrDeadlineExceeded) {
					t.Fatalf("read: %v, want a timeout", r.err)
				}
				if r.n != 1000 {
					t.Errorf("read %d bytes before the stall, want 1000", r.n)
				}
			case <-time.After(guard):
				t.Fatal("read of a stalled data connection hung")
			}
		})
	}
}

// TestTimeoutConnOwnDeadline: without a deadline of the caller's, a read
// that gets nothing times out after the Dialer's Timeout; a deadline the
// caller sets replaces it, so a read may then wait longer.
func TestTimeoutConnOwnDeadline(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	dc := withTimeout(a, 20*time.Millisecond)
	if _, err := dc.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read with nothing sent: %v, want a timeout", err)
	}
	if err := dc.SetReadDeadline(time.Now().Add(guard)); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(100 * time.Millisecond) // five timeouts' worth
		b.Write([]byte("x"))
	}()
	buf := make([]byte, 1)
	if n, err := dc.Read(buf); err != nil || n != 1 || buf[0] != 'x' {
		t.Fatalf("read under the caller's deadline: %d %q, %v", n, buf[:n], err)
	}
	if withTimeout(a, 0) != a {
		t.Error("withTimeout(conn, 0) wrapped the connection")
	}
}
