package interop

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/ftplib-go/ftp"
)

// respCode reports whether the transcript line l is a reply starting with
// prefix; the reply is quoted with ' or, when it holds a ', with ".
func respCode(l, prefix string) bool {
	return strings.HasPrefix(l, "*resp* '"+prefix) || strings.HasPrefix(l, `*resp* "`+prefix)
}

// rttOps check the round-trip overlaps (DESIGN.md decision 16) on the
// real servers: every passive transfer of the matrix already sends its
// command while the data connection opens; these rows add RetrMany, whose
// next PASV goes out before the previous final reply is read.
var rttOps = []op{
	{"RetrMany: PASV pipelined, 550 mid-batch", opRetrMany},
}

func opRetrMany(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c, buf := debugConn(t, ctx, s, false)
	defer func() {
		if t.Failed() {
			t.Logf("transcript:\n%s", buf.String())
		}
	}()
	names := []string{"tree/f001.txt", "tree/f002.txt", "tree/f003.txt", "tree/nosuch.txt", "tree/f005.txt", "tree/f006.txt"}
	var cmds []string
	for _, n := range names {
		cmds = append(cmds, "RETR "+n)
	}
	bufs := make([]bytes.Buffer, len(names))
	dst := func(off int) func(i int) (io.Writer, error) {
		return func(i int) (io.Writer, error) { return &bufs[off+i], nil }
	}
	n, err := c.RetrMany(ctx, cmds, dst(0))
	if n != 3 {
		t.Fatalf("RetrMany: %d files before the error, want 3 (%v)", n, err)
	}
	wantReplyErr(t, "RetrMany's missing file", err, ftp.ErrPerm, 550)
	tr := buf.reset()
	// The connection is in step: the rest of the batch, then a command.
	if n, err := c.RetrMany(ctx, cmds[4:], dst(4)); n != 2 || err != nil {
		t.Fatalf("RetrMany of the rest: %d, %v", n, err)
	}
	tr += buf.reset()
	if _, err := c.Noop(ctx); err != nil {
		t.Fatalf("NOOP after the batches: %v", err)
	}
	for i, n := range names {
		if i == 3 {
			continue
		}
		want := fmt.Sprintf("tree f%03d\n", i+1)
		if got := bufs[i].String(); got != want {
			t.Errorf("%s: %q, want %q", n, got, want)
		}
	}
	if s.tls != plainFTP {
		if st, ok := c.DataTLSConnectionState(); !ok || st.DidResume != s.dataResume {
			t.Errorf("last data connection: TLS %v, resumed %v, want resumed %v", ok, st.DidResume, s.dataResume)
		}
	}
	// Where did each PASV go out? Count those sent while a final reply
	// was still due (after a RETR's 150, before its 226).
	ahead, due := 0, false
	for _, l := range strings.Split(tr, "\n") {
		switch {
		case respCode(l, "150") || respCode(l, "125"):
			due = true
		case respCode(l, "226") || respCode(l, "250") || respCode(l, "4") || respCode(l, "5"):
			due = false
		case (l == "*cmd* 'PASV'" || l == "*cmd* 'EPSV'") && due:
			ahead++
		}
	}
	// 6 transfers in batches of 4 (the 4th refused) and 2: 3 + 1 PASV
	// sent ahead.
	if ahead != 4 {
		t.Errorf("%d PASV sent before the previous final reply, want 4", ahead)
	}
	what := "RETR sent while the data connection connects"
	if s.tls != plainFTP {
		what = "RETR sent while the data connection connects (TLS handshake after the 150)"
		if strings.HasPrefix(c.Welcome(), "220 (vsFTPd ") {
			what = "RETR sent while the data connection connects, TLS handshake at once (before the 150), close_notify of a download right after it (TLS 1.3)"
		}
	}
	r.Note("overlapped: %s; next PASV sent after the end of the data, before the 226 (%d of 4); in step after a 550 mid-batch", what, ahead)
}
