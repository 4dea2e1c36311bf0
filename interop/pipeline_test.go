package interop

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ftplib-go/ftp"
)

// TestInteropPipeline checks Conn.SendCmds and Conn.ModTimes (commands
// written several at a time, replies read in order) on every server: the
// replies match the commands one for one, a refusal in the middle answers
// its own command only, a run longer than the window keeps going, and the
// connection is in step afterwards for a transfer and a command.
func TestInteropPipeline(t *testing.T) {
	needInterop(t)
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			run(t, s, "SendCmds/ModTimes: pipelined commands", func(t *testing.T, r *rec) { opPipeline(t, s, r) })
		})
	}
}

func opPipeline(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c, buf := debugConn(t, ctx, s, false)
	defer func() {
		if t.Failed() {
			t.Logf("transcript:\n%s", buf.String())
		}
	}()
	// A mix of commands, a refusal in the middle.
	cmds := []string{"NOOP", "PWD", "TYPE I", "SIZE tree/f001.txt", "MDTM tree/nosuch.txt", "SIZE tree/f002.txt", "CWD tree", "SIZE f003.txt", "CDUP", "NOOP"}
	want := []string{"200", "257", "200", "213", "550", "213", "250", "213", "2", "200"}
	got := make([]string, len(cmds))
	err := c.SendCmds(ctx, cmds, func(i int, resp string, err error) {
		if err != nil {
			var fe *ftp.Error
			if !strings.Contains(err.Error(), cmds[i]) {
				t.Errorf("%s: error %q does not name the command", cmds[i], err)
			}
			if errors.As(err, &fe) {
				resp = fmt.Sprint(fe.Code)
			}
		}
		got[i] = resp
	})
	if err != nil {
		t.Fatalf("SendCmds: %v", err)
	}
	for i := range cmds {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("reply %d to %q: %q, want %s", i, cmds[i], got[i], want[i])
		}
	}
	if strings.HasPrefix(got[3], "213") && strings.TrimSpace(got[3][3:]) != "10" {
		t.Errorf("SIZE tree/f001.txt: %q, want 10", got[3])
	}
	// More MDTMs than the window, compared with one-by-one MDTM.
	var names []string
	for i := 0; i < 600; i++ {
		names = append(names, fmt.Sprintf("tree/f%03d.txt", i%8+1))
	}
	names[77] = "tree/missing.txt"
	times, errs, err := c.ModTimes(ctx, names)
	if err != nil {
		t.Fatalf("ModTimes: %v", err)
	}
	for i, n := range names {
		if i == 77 {
			if errs[i] == nil || replyCode(errs[i]) != 550 {
				t.Errorf("ModTimes of a missing file: %v, want a 550", errs[i])
			}
			continue
		}
		if i >= 8 {
			if errs[i] != nil || !times[i].Equal(times[i%8]) {
				t.Errorf("ModTimes %s (#%d): %v %v, want %v", n, i, times[i], errs[i], times[i%8])
			}
			continue
		}
		one, err := c.ModTime(ctx, n)
		if err != nil || errs[i] != nil || !one.Equal(times[i]) {
			t.Errorf("%s: pipelined %v (%v), alone %v (%v)", n, times[i], errs[i], one, err)
		}
	}
	// Lines of every length mod 20, so that wherever a server's reads
	// end, some line ends there (proftpd joins two commands when a read
	// ends between CR and LF; SendCmds keeps its reads whole).
	var odd []string
	for i := 0; i < 400; i++ {
		odd = append(odd, "tree/"+strings.Repeat("./", i%20)+fmt.Sprintf("f%03d.txt", i%8+1))
	}
	times2, errs2, err := c.ModTimes(ctx, odd)
	if err != nil {
		t.Fatalf("ModTimes of paths of every length: %v", err)
	}
	for i, n := range odd {
		if errs2[i] != nil || !times2[i].Equal(times[i%8]) {
			t.Errorf("ModTimes %s (#%d): %v %v, want %v", n, i, times2[i], errs2[i], times[i%8])
		}
	}
	// In step: a transfer, then a command.
	var b bytes.Buffer
	if _, err := c.RetrBinary(ctx, "RETR tree/f004.txt", &b); err != nil {
		t.Fatalf("RETR after the pipelined commands: %v", err)
	}
	if b.String() != "tree f004\n" {
		t.Errorf("RETR tree/f004.txt: %q", b.String())
	}
	if _, err := c.Noop(ctx); err != nil {
		t.Fatalf("NOOP at the end: %v", err)
	}
	r.Note("%d + %d + %d commands pipelined, replies in order, 550 mid-run answers its own command", len(cmds), len(names), len(odd))
}
