package interop

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ftplib-go/ftp"
)

// eofConn is a socket dialled through Dialer.DialContext that records
// whether its TCP stream reached its end. Under TLS the client stops
// reading at the server's close_notify, so a protected data connection
// whose socket saw the end had none.
type eofConn struct {
	net.Conn
	eof atomic.Bool
}

func (c *eofConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err == io.EOF {
		c.eof.Store(true)
	}
	return n, err
}

// dialLog collects the sockets a Conn dials (control first, then one per
// passive data connection).
type dialLog struct {
	mu    sync.Mutex
	conns []*eofConn
}

func (l *dialLog) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	ec := &eofConn{Conn: nc}
	l.mu.Lock()
	l.conns = append(l.conns, ec)
	l.mu.Unlock()
	return ec, nil
}

func (l *dialLog) last() *eofConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.conns[len(l.conns)-1]
}

// opCloseNotify downloads a file, an empty file, a file from an offset and
// the listings over PROT P (passive, so the data sockets can be watched)
// and notes, for each, whether the server ended the data connection with
// a TLS close_notify and whether its 150 reply announced a size. Every
// transfer must succeed: the client takes a data connection that ends
// without close_notify as truncated unless an announced size shows it
// complete.
func opCloseNotify(t *testing.T, s *server, r *rec) {
	if s.tls == plainFTP {
		r.NA(t, "plain FTP")
	}
	ctx := within(t)
	log := &dialLog{}
	c := s.connect(t, ctx, func(d *ftp.Dialer) { d.DialContext = log.dial })
	var yes, no []string
	probe := func(what string, run func() (size int64, err error)) {
		t.Helper()
		size, err := run()
		if err != nil {
			t.Errorf("%s: %v", what, err)
			return
		}
		ended := log.last().eof.Load()
		desc := what
		if size >= 0 {
			desc += " (size announced)"
		}
		if ended {
			no = append(no, desc)
		} else {
			yes = append(yes, desc)
		}
	}
	retr := func(cmd string, opts ...ftp.TransferOption) func() (int64, error) {
		return func() (int64, error) {
			d, err := c.Retr(ctx, cmd, opts...)
			if err != nil {
				return -1, err
			}
			if _, err := io.Copy(io.Discard, d); err != nil {
				d.Close()
				return -1, err
			}
			return d.Size(), d.Close()
		}
	}
	probe("RETR", retr("RETR random-1MiB.bin"))
	probe("RETR 0 B", retr("RETR empty.bin"))
	probe("REST+RETR", retr("RETR random-1MiB.bin", ftp.Rest(1000)))
	probe("RetrLines", func() (int64, error) {
		_, err := c.RetrLines(ctx, "RETR crlf.txt", func(string) error { return nil })
		return -1, err
	})
	probe("LIST", func() (int64, error) { return -1, c.Dir(ctx, func(string) error { return nil }, "tree") })
	probe("NLST", func() (int64, error) { _, err := c.Nlst(ctx, "tree"); return -1, err })
	if s.mlsd {
		probe("MLSD", func() (int64, error) {
			for _, err := range c.Mlsd(ctx, "tree") {
				if err != nil {
					return -1, err
				}
			}
			return -1, nil
		})
	}
	switch {
	case len(no) == 0:
		r.Note("close_notify on every data connection: %s", strings.Join(yes, ", "))
	case len(yes) == 0:
		r.Note("no close_notify on any data connection: %s", strings.Join(no, ", "))
	default:
		r.Note("close_notify: %s; none: %s", strings.Join(yes, ", "), strings.Join(no, ", "))
	}
	t.Log(fmt.Sprint(s.name, ": yes ", yes, " no ", no))
}
