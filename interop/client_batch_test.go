package interop

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"testing"

	"github.com/ftplib-go/ftp"
)

// clientDownloadMany: Client.DownloadMany on one connection (MaxConns 1):
// small files and a 1 MiB one, a missing file and a writer that fails in
// the middle of the 1 MiB file (ABOR on the real server), then the rest of
// the batch and another call on the same connection.
func clientDownloadMany(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	var dbg syncBuffer
	c := s.client(t, func(c *ftp.Client) {
		c.MaxConns = 1
		c.Dialer.Debug = 2
		c.Dialer.DebugOutput = &dbg
	})
	defer func() {
		if t.Failed() {
			t.Logf("transcript:\n%s", dbg.String())
		}
	}()
	big := seed(t, s, "random-1MiB.bin")
	paths := []string{"tree/f001.txt", "tree/f002.txt", "random-1MiB.bin", "tree/nosuch.txt",
		"tree/f005.txt", "random-1MiB.bin", "tree/f007.txt", "/tree/f008.txt"}
	const badWriter = 5 // fails after 300000 bytes of the second 1 MiB file
	wErr := errors.New("local disk full")
	bufs := make([]bytes.Buffer, len(paths))
	res, err := c.DownloadMany(ctx, paths, func(i int, p string) (io.Writer, error) {
		if i == badWriter {
			return &limitWriter{w: &bufs[i], left: 300000, err: wErr}, nil
		}
		return &bufs[i], nil
	})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("DownloadMany: %v, want the missing file's error first", err)
	}
	for i, res := range res {
		switch i {
		case 3:
			if !errors.Is(res.Err, fs.ErrNotExist) {
				t.Errorf("%s: %v, want fs.ErrNotExist", res.Path, res.Err)
			}
		case badWriter:
			if !errors.Is(res.Err, wErr) || res.N != 300000 {
				t.Errorf("%s with a failing writer: %+v", res.Path, res)
			}
		case 2:
			if res.Err != nil {
				t.Errorf("%s: %v", res.Path, res.Err)
			}
			sameBytes(t, res.Path, bufs[i].Bytes(), big)
		default:
			want := fmt.Sprintf("tree f%03d\n", i+1)
			if res.Err != nil || bufs[i].String() != want {
				t.Errorf("%s: %q, %v; want %q", res.Path, bufs[i].String(), res.Err, want)
			}
		}
	}
	ahead := pasvAheadCount(dbg.String())
	// The connection is still the one of the batch, and in step.
	if n, err := c.Size(ctx, "tree/f001.txt"); err != nil || n != 10 {
		t.Errorf("Size after the batch: %d, %v", n, err)
	}
	if s.tls != plainFTP {
		r.Note("FTPS (%v), data connections resume the session", c.TLS)
	}
	r.Note("one connection; %d PASV/EPSV sent before the previous 226; in step after a 550 and an ABOR mid-batch", ahead)
	if ahead < 3 {
		t.Errorf("%d PASV/EPSV sent ahead, want at least 3", ahead)
	}
}

// limitWriter accepts left bytes, then fails with err.
type limitWriter struct {
	w    io.Writer
	left int
	err  error
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if len(p) > l.left {
		n, _ := l.w.Write(p[:l.left])
		l.left = 0
		return n, l.err
	}
	l.left -= len(p)
	return l.w.Write(p)
}

// pasvAheadCount counts the PASV or EPSV commands of a debug transcript
// (Debug 2) sent while a transfer's final reply was still due.
func pasvAheadCount(tr string) int {
	ahead, due := 0, false
	for _, l := range strings.Split(tr, "\n") {
		// Debug quotes as Python's repr does: "..." when the text holds a '.
		l = strings.Replace(l, "*resp* \"", "*resp* '", 1)
		switch {
		case respCode(l, "150") || respCode(l, "125"):
			due = true
		case respCode(l, "2") || respCode(l, "4") || respCode(l, "5"):
			due = false
		case (l == "*cmd* 'PASV'" || l == "*cmd* 'EPSV'") && due:
			ahead++
		}
	}
	return ahead
}
