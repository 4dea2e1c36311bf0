package ftp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// Hostile servers against the pipelined commands (SendCmds, ModTimes):
// fewer replies than commands, a 1xx where none is due, multi-line and
// malformed replies, a 421 midway, an over-long reply. Whatever the
// server does, the call ends with a typed error (an *Error or a sentinel
// of the package, or the ctx's), no reply is ever given to the wrong
// command, and the Conn is either in step (a NOOP after it gets its own
// reply) or broken (ErrClosed).

// readN reads n command lines and returns them without CRLF.
func (s *session) readN(n int) []string {
	var got []string
	for i := 0; i < n; i++ {
		l := strings.TrimRight(s.readLine(), "\r\n")
		if l == "" {
			break
		}
		got = append(got, l)
	}
	return got
}

// answerNoops answers "200 noop-ok" to every command until the client
// hangs up (for inStepOrBroken).
func (s *session) answerNoops() {
	for s.readLine() != "" {
		s.send("200 noop-ok")
	}
}

// inStepOrBroken checks that c is in step (a NOOP gets the fake's
// "200 noop-ok", which the script must send when it reads NOOP) or broken
// (ErrClosed, or the EOF or reset of a connection the server closed).
// It returns true when it was in step.
func inStepOrBroken(t *testing.T, c *Conn) bool {
	t.Helper()
	resp, err := c.Noop(ctxT(t))
	switch {
	case brokenConn(err):
		// Marked broken (ErrClosed), or found closed by the server after
		// a 421 (EOF, reset): either way no stale reply is taken.
		return false
	case err != nil:
		t.Errorf("NOOP after the hostile reply: %v, want 200 noop-ok or ErrClosed", err)
	case resp != "200 noop-ok":
		t.Errorf("NOOP after the hostile reply got %q: out of step", resp)
	}
	return true
}

// modTime is the time of "213 2024010203040<i>".
func modTime(i int) time.Time { return time.Date(2024, 1, 2, 3, 4, i, 0, time.UTC) }

// TestQAModTimesFewerRepliesThenSilence: the server answers two of three
// MDTMs and then waits. The ctx ends the call with its error, the third
// file gets that error, the first two their times, and the Conn is broken
// (a late reply would be read by the next command).
func TestQAModTimesFewerRepliesThenSilence(t *testing.T) {
	checkLeaks(t)
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.readN(3)
		s.send("213 20240102030400", "213 20240102030401")
		s.expectEOF()
	})
	c := dialFake(t, f, nil)
	ctx, cancel := context.WithTimeout(ctxT(t), 300*time.Millisecond)
	defer cancel()
	var times []time.Time
	var errs []error
	err := returnsWithin(t, func() (err error) {
		times, errs, err = c.ModTimes(ctx, []string{"a", "b", "c"})
		return err
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ModTimes: %v, want the ctx's deadline", err)
	}
	for i := 0; i < 2; i++ {
		if errs[i] != nil || !times[i].Equal(modTime(i)) {
			t.Errorf("file %d: %v, %v", i, times[i], errs[i])
		}
	}
	if errs[2] != err {
		t.Errorf("file 2: %v, want %v", errs[2], err)
	}
	if _, err := c.Noop(ctxT(t)); !errors.Is(err, ErrClosed) {
		t.Errorf("NOOP: %v, want ErrClosed", err)
	}
	c.Close()
	f.wait()
}

// TestQAModTimesPreliminaryReply: a 1xx reply to a pipelined MDTM (which
// RFC 959 says a final reply follows) must not shift the replies: the
// 1xx is not the next command's answer.
func TestQAModTimesPreliminaryReply(t *testing.T) {
	for _, final := range []bool{true, false} {
		t.Run(fmt.Sprintf("final=%v", final), func(t *testing.T) {
			checkLeaks(t)
			f := newFake(t, func(s *session) {
				s.send("220 hi")
				s.readN(3)
				s.send("213 20240102030400", "150 wait for it")
				if final {
					s.send("213 20240102030401")
				}
				s.send("213 20240102030402")
				s.answerNoops()
			})
			c := dialFake(t, f, nil)
			var times []time.Time
			var errs []error
			err := returnsWithin(t, func() (err error) {
				times, errs, err = c.ModTimes(ctxT(t), []string{"a", "b", "c"})
				return err
			})
			if errs[0] != nil || !times[0].Equal(modTime(0)) {
				t.Errorf("file 0: %v, %v", times[0], errs[0])
			}
			for i := 1; i < 3; i++ {
				if errs[i] == nil && !times[i].Equal(modTime(i)) {
					t.Errorf("file %d: got %v, the time of another file", i, times[i])
				}
				if errs[i] != nil && !typed(errs[i]) {
					t.Errorf("file %d: untyped error %v", i, errs[i])
				}
			}
			if errs[1] == nil && final && err != nil {
				t.Errorf("ModTimes: %v", err)
			}
			if inStepOrBroken(t, c) && err != nil {
				t.Errorf("ModTimes failed (%v) but the Conn is not broken", err)
			}
			c.Close()
			f.wait()
		})
	}
}

// typed reports whether err is one of the package's errors: an *Error,
// a sentinel, a ctx error, or the io or net error of a lost connection.
func typed(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return true
	}
	for _, s := range []error{ErrClosed, ErrLineTooLong, ErrBusy, ErrProto, ErrReply, ErrTemp, ErrPerm, context.DeadlineExceeded, context.Canceled} {
		if errors.Is(err, s) {
			return true
		}
	}
	// The connection lost: the io or net error says so.
	var ne *net.OpError
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &ne)
}

// TestQASendCmdsMultiline: multi-line replies, with inner lines that look
// like other replies, each answer their own command.
func TestQASendCmdsMultiline(t *testing.T) {
	checkLeaks(t)
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.readN(4)
		s.send("211-status of a:", "213 not the end", " 211 indented", "211 End")
		s.send("213 5")
		s.send("550-no such file:", "550-b", "550 End")
		s.send("214-help", "214")
		s.reply("NOOP", "200 noop-ok")
		s.expectEOF()
	})
	c := dialFake(t, f, nil)
	var got []string
	err := c.SendCmds(ctxT(t), []string{"STAT a", "SIZE a", "SIZE b", "HELP"}, func(i int, resp string, err error) {
		if err != nil {
			resp = err.Error()
		}
		got = append(got, fmt.Sprintf("%d:%s", i, resp))
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"0:211-status of a:\n213 not the end\n 211 indented\n211 End",
		"1:213 5",
		"2:ftp: SIZE b: 550-no such file:\n550-b\n550 End",
		"3:214-help\n214",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("replies\n%q\nwant\n%q", got, want)
	}
	if !inStepOrBroken(t, c) {
		t.Error("the Conn broke on valid multi-line replies")
	}
	c.Close()
	f.wait()
}

// TestQAModTimes421Midway: a 421 answers its own command as a transient
// *Error; the server then hangs up, and the files left get the
// connection's error; the Conn is broken.
func TestQAModTimes421Midway(t *testing.T) {
	checkLeaks(t)
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.readN(4)
		s.send("213 20240102030400", "421 Timeout, closing control connection.")
	})
	c := dialFake(t, f, nil)
	var errs []error
	err := returnsWithin(t, func() (err error) {
		_, errs, err = c.ModTimes(ctxT(t), []string{"a", "b", "c", "d"})
		return err
	})
	if err == nil || !typed(err) {
		t.Fatalf("ModTimes: %v, want the connection's failure", err)
	}
	var e *Error
	if !errors.As(errs[1], &e) || e.Code != 421 || !errors.Is(errs[1], ErrTemp) || e.Cmd != "MDTM b" {
		t.Errorf("file 1: %v, want the 421 for MDTM b", errs[1])
	}
	if errs[0] != nil || errs[2] != err || errs[3] != err {
		t.Errorf("errs %v", errs)
	}
	if _, err := c.Noop(ctxT(t)); !errors.Is(err, ErrClosed) {
		t.Errorf("NOOP: %v, want ErrClosed", err)
	}
	f.wait()
}

// TestQAModTimesMalformed: replies without a code, with the wrong code,
// with a bad time, or with an over-long line.
func TestQAModTimesMalformed(t *testing.T) {
	for _, tt := range []struct {
		name    string
		reply   []string
		class   error // of file 1's error
		broken  bool
		connErr error // of the call
	}{
		{"no-code", []string{"hello there"}, ErrProto, false, nil},
		{"short", []string{"21"}, ErrReply, false, nil}, // a 2 is all ftplib looks at
		{"wrong-2xx", []string{"250 ok"}, ErrReply, false, nil},
		{"bad-time", []string{"213 2024-01-02"}, ErrProto, false, nil},
		{"multi-line-213", []string{"213-20240102030401", "213 end"}, ErrProto, false, nil},
		{"3xx", []string{"350 go on"}, ErrReply, false, nil},
		{"over-long", []string{"213 " + strings.Repeat("9", 20000)}, nil, true, ErrLineTooLong},
		{"endless-multi-line", nil, nil, true, ErrLineTooLong},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			f := newFake(t, func(s *session) {
				s.send("220 hi")
				s.readN(3)
				s.send("213 20240102030400")
				if tt.reply == nil {
					s.send("213-start")
					for i := 0; i < 20000; i++ {
						if _, err := s.conn.Write([]byte(" 213 line line line line line line\r\n")); err != nil {
							return
						}
					}
					return
				}
				// The client may have hung up already (over-long).
				for _, l := range append(tt.reply, "213 20240102030402") {
					if _, err := io.WriteString(s.conn, l+"\r\n"); err != nil {
						return
					}
				}
				s.answerNoops()
			})
			c := dialFake(t, f, &Dialer{MaxLine: 1024})
			var times []time.Time
			var errs []error
			err := returnsWithin(t, func() (err error) {
				times, errs, err = c.ModTimes(ctxT(t), []string{"a", "b", "c"})
				return err
			})
			if errs[0] != nil || !times[0].Equal(modTime(0)) {
				t.Errorf("file 0: %v, %v", times[0], errs[0])
			}
			if tt.connErr != nil {
				if !errors.Is(err, tt.connErr) || errs[1] != err || errs[2] != err {
					t.Errorf("ModTimes: %v (files %v), want %v", err, errs, tt.connErr)
				}
			} else {
				var e *Error
				if err != nil || !errors.As(errs[1], &e) || !errors.Is(errs[1], tt.class) || e.Cmd != "MDTM b" {
					t.Errorf("ModTimes: %v; file 1: %v, want an *Error of class %v for MDTM b", err, errs[1], tt.class)
				}
				if errs[2] != nil || !times[2].Equal(modTime(2)) {
					t.Errorf("file 2: %v, %v", times[2], errs[2])
				}
			}
			if inStep := inStepOrBroken(t, c); inStep == tt.broken {
				t.Errorf("in step = %v, want %v", inStep, !tt.broken)
			}
			c.Close()
			f.wait()
		})
	}
}

// TestQASendCmdsPartialLineThenClose: the server sends half a reply line
// and hangs up.
func TestQASendCmdsPartialLineThenClose(t *testing.T) {
	checkLeaks(t)
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.readN(2)
		s.send("200 one")
		_, _ = s.conn.Write([]byte("200 tw"))
	})
	c := dialFake(t, f, nil)
	var got []string
	err := returnsWithin(t, func() error {
		return c.SendCmds(ctxT(t), []string{"NOOP", "NOOP"}, func(i int, resp string, err error) {
			got = append(got, resp)
		})
	})
	if err == nil || !typed(err) {
		t.Errorf("SendCmds: %v, want a typed error", err)
	}
	if len(got) != 1 || got[0] != "200 one" {
		t.Errorf("replies %q, want only the first", got)
	}
	if _, err := c.Noop(ctxT(t)); !errors.Is(err, ErrClosed) {
		t.Errorf("NOOP: %v, want ErrClosed", err)
	}
	f.wait()
}
