package ftp

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestSendCmdsPipelines checks that SendCmds writes the commands before
// reading their replies: the fake server reads every command of the
// window before it answers any, which would deadlock a client that waits
// for each reply. Replies come back matched to their commands, a refusal
// answers its own command only, and the connection is in step after.
func TestSendCmdsPipelines(t *testing.T) {
	const n = 600
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		read := 0
		for read < n {
			// The first time, what the first write holds before any
			// reply; then what the client has sent ahead (at least
			// one command).
			var got []string
			first := pipeWrite / len("MDTM f000\r\n")
			for len(got) < first && read == 0 || len(got) == 0 || s.br.Buffered() > 0 {
				got = append(got, s.readLine())
			}
			batch := len(got)
			for i, l := range got {
				k := read + i
				if l != fmt.Sprintf("MDTM f%d\r\n", k) {
					s.t.Errorf("fake: command %d: %q", k, l)
					return
				}
				if k == 7 {
					s.send("550 no such file")
				} else {
					s.send(fmt.Sprintf("213 2024010203%02d%02d", k/60, k%60))
				}
			}
			read += batch
		}
		s.reply("NOOP", "200 ok")
	})
	c := dialFake(t, f, nil)
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("f%d", i)
	}
	times, errs, err := c.ModTimes(ctxT(t), names)
	if err != nil {
		t.Fatalf("ModTimes: %v", err)
	}
	for i := range names {
		if i == 7 {
			if !errors.Is(errs[i], ErrPerm) || !strings.Contains(errs[i].Error(), "MDTM f7") {
				t.Errorf("f7: %v, want a 550 naming MDTM f7", errs[i])
			}
			continue
		}
		want := time.Date(2024, 1, 2, 3, i/60, i%60, 0, time.UTC)
		if errs[i] != nil || !times[i].Equal(want) {
			t.Errorf("f%d: %v, %v; want %v", i, times[i], errs[i], want)
		}
	}
	if _, err := c.Noop(ctxT(t)); err != nil {
		t.Fatalf("NOOP after ModTimes: %v", err)
	}
	f.wait()
}

// TestSendCmdsRefuses checks that nothing is sent when one command cannot
// be pipelined or holds a newline.
func TestSendCmdsRefuses(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("NOOP", "200 ok")
		s.expectEOF()
	})
	c := dialFake(t, f, nil)
	for _, cmds := range [][]string{
		{"NOOP", "PASV"},
		{"SIZE a", "retr a"},
		{"NOOP", " REST 5"},
		{"PASS secret"},
		{"NOOP", "SIZE a\r\nDELE b"},
	} {
		calls := 0
		err := c.SendCmds(ctxT(t), cmds, func(int, string, error) { calls++ })
		if err == nil || calls != 0 {
			t.Errorf("SendCmds(%q): %v, %d replies", cmds, err, calls)
		}
		if strings.Contains(fmt.Sprint(err), "secret") {
			t.Errorf("SendCmds(%q): the error shows the password: %v", cmds, err)
		}
		if !errors.Is(err, ErrNotPipelined) && !errors.Is(err, ErrIllegalNewline) {
			t.Errorf("SendCmds(%q): %v, want ErrNotPipelined or ErrIllegalNewline", cmds, err)
		}
	}
	if _, err := c.Noop(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	c.Close()
	f.wait()
}

// TestModTimesCut checks a control connection lost in the middle: the
// replies read are kept, the rest get the connection's error, and the Conn
// is broken.
func TestModTimesCut(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		for i := 0; i < 3; i++ {
			s.readLine()
		}
		s.send("213 20240102030405", "213 20240102030406")
	})
	c := dialFake(t, f, nil)
	times, errs, err := c.ModTimes(ctxT(t), []string{"a", "b", "c"})
	if err == nil {
		t.Fatal("ModTimes: no error after the connection was cut")
	}
	if errs[0] != nil || errs[1] != nil || times[1].Second() != 6 {
		t.Errorf("replies before the cut: %v %v, %v %v", times[0], errs[0], times[1], errs[1])
	}
	if errs[2] != err {
		t.Errorf("the unanswered file: %v, want the connection's error %v", errs[2], err)
	}
	if _, err := c.Noop(ctxT(t)); !errors.Is(err, ErrClosed) {
		t.Errorf("NOOP after the cut: %v, want ErrClosed", err)
	}
	f.wait()
}
