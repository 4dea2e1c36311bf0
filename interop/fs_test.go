package interop

import (
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ftplib-go/ftp"
)

// opFSInterleave reads files through Conn.FS and, with each half read,
// makes another FS call: a rest longer than what the FS keeps in memory
// (256 KiB) is aborted (ABOR) and downloaded again from its offset (REST)
// on the next Read; a short rest is kept. Both must read back byte for
// byte, and the Conn must stay in step.
func opFSInterleave(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c, buf := debugConn(t, ctx, s, false)
	fsys := c.FS(ctx)
	for _, tc := range []struct {
		name    string
		resumed bool
	}{{"random-1MiB.bin", true}, {"crlf.txt", false}} {
		want := seed(t, s, tc.name)
		f, err := fsys.Open(tc.name)
		if err != nil {
			t.Fatalf("Open %s: %v", tc.name, err)
		}
		head := make([]byte, 100)
		if _, err := io.ReadFull(f, head); err != nil {
			t.Fatalf("%s: reading the head: %v", tc.name, err)
		}
		buf.reset()
		if _, err := fs.Stat(fsys, "tree/f001.txt"); err != nil {
			t.Fatalf("Stat during the read of %s: %v", tc.name, err)
		}
		rest, err := io.ReadAll(f)
		if s.noRest && tc.resumed {
			// The read goes on with REST past the kept bytes: refused.
			wantReplyErr(t, tc.name+": reading the rest", err, ftp.ErrPerm, s.unknown())
			r.Note("no REST: a read interrupted by another call cannot go on: %v", err)
			f.Close()
			continue
		}
		if err != nil {
			t.Fatalf("%s: reading the rest: %v", tc.name, err)
		}
		if err := f.Close(); err != nil {
			t.Errorf("%s: Close: %v", tc.name, err)
		}
		sameBytes(t, tc.name+" through FS", append(head, rest...), want)
		tr := buf.reset()
		restarted := slices.ContainsFunc(cmdsSent(tr), func(cmd string) bool {
			n, err := strconv.Atoi(strings.TrimPrefix(cmd, "REST "))
			return err == nil && n > len(head) && n < len(want)
		})
		if aborted := strings.Contains(tr, "ABOR"); aborted != tc.resumed || restarted != tc.resumed {
			t.Errorf("%s: ABOR sent %v, REST past the kept bytes %v; want %v:\n%s", tc.name, aborted, restarted, tc.resumed, tr)
		}
	}
	if _, err := c.Noop(ctx); err != nil {
		t.Errorf("NOOP afterwards: %v", err)
	}
}
