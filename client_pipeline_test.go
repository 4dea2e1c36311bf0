package ftp

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
	"time"

	"github.com/ftplib-go/ftp/ftptest"
)

// TestClientModTimes checks Client.ModTimes: times in order, a missing
// file as its own *fs.PathError, a path with CR LF refused without
// sending anything, and a connection cut in the middle resumed on a
// fresh one from the first file not answered.
func TestClientModTimes(t *testing.T) {
	checkLeaks(t)
	c, srv := newTestClient(t, nil)
	ctx := testCtx(t)
	var paths []string
	want := map[string]time.Time{}
	for i := 0; i < 10; i++ {
		p := fmt.Sprintf("d/f%d", i)
		srv.WriteFile(p, []byte("x"))
		tm := time.Date(2021, 5, 6, 7, 8, i, 0, time.UTC)
		srv.SetModTime(p, tm)
		paths = append(paths, p)
		want[p] = tm
	}
	paths = append(paths, "d/missing", "bad\r\nDELE d/f0")
	// The 4th MDTM closes the connection: the rest is asked again.
	srv.AddFault(ftptest.Fault{Command: "MDTM", Nth: 4, CloseControl: true})
	times, errs, err := c.ModTimes(ctx, paths)
	if err == nil {
		t.Error("ModTimes: no error for the missing file")
	}
	for i, p := range paths {
		switch {
		case p == "d/missing":
			var pe *fs.PathError
			if !errors.As(errs[i], &pe) || pe.Op != "modtime" || pe.Path != p || !errors.Is(errs[i], ErrPerm) {
				t.Errorf("%s: %v, want a modtime PathError around a 550", p, errs[i])
			}
		case i == len(paths)-1:
			if !errors.Is(errs[i], ErrIllegalNewline) {
				t.Errorf("path with CR LF: %v", errs[i])
			}
		case errs[i] != nil || !times[i].Equal(want[p]):
			t.Errorf("%s: %v %v, want %v", p, times[i], errs[i], want[p])
		}
	}
	if n := countCmds(srv, "DELE"); n != 0 {
		t.Errorf("%d DELE sent", n)
	}
	if n := countCmds(srv, "TYPE"); n != 2 {
		t.Errorf("%d TYPE, want 2 (TYPE I pipelined on each connection)", n)
	}
	if n := countCmds(srv, "USER"); n != 2 {
		t.Errorf("%d logins, want 2 (one after the cut)", n)
	}
	// The first connection got 11 (the server may log the ones it read
	// after the 4th), the second the 8 not answered.
	if n := countCmds(srv, "MDTM"); n < 4+8 || n > 11+8 {
		t.Errorf("%d MDTM, want 12 to 19 (the 3 answered before the cut not asked again)", n)
	}
}
