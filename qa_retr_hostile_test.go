package ftp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Hostile servers against RetrMany (the PASV sent ahead), PRET and
// OPTS UTF8, on a lenient scripted server: each test overrides the
// commands it makes misbehave. Every call must end with a typed error
// (see typed), never a hang or a short file without error, and leave the
// Conn in step or broken (inStepOrBroken).

// qaServer answers a session with default replies, letting hook take
// any command first (hook returns true when it answered).
type qaServer struct {
	files map[string]string
	feat  []string // FEAT lines between "211-Features:" and "211 End"
	hook  func(s *session, st *qaState, verb, arg string) bool
}

// qaState is the state of one qaServer session.
type qaState struct {
	ln    net.Listener // the passive listener, nil when none
	count map[string]int
	done  bool // the hook ended the session
}

// hangUp closes the control connection and ends the session.
func (st *qaState) hangUp(s *session) {
	s.conn.Close()
	st.done = true
}

// listen opens the passive listener and returns the 227 reply for it.
func (st *qaState) listen(s *session) string {
	if st.ln != nil {
		st.ln.Close()
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(s.host, "0"))
	if err != nil {
		s.t.Errorf("fake: listen: %v", err)
		return "425 no"
	}
	st.ln = ln
	p := ln.Addr().(*net.TCPAddr).Port
	return fmt.Sprintf("227 Entering Passive Mode (%s,%d,%d).", strings.ReplaceAll(s.host, ".", ","), p>>8, p&0xff)
}

// takeData accepts the data connection of the listener.
func (st *qaState) takeData(s *session) net.Conn {
	ln := st.ln
	st.ln = nil
	return s.accept(ln)
}

func (q qaServer) start(t *testing.T) *fakeServer {
	return newFake(t, func(s *session) {
		st := &qaState{count: map[string]int{}}
		defer func() {
			if st.ln != nil {
				st.ln.Close()
			}
		}()
		sendQuiet(s, "220 hi")
		for {
			line := strings.TrimRight(s.readLine(), "\r\n")
			if line == "" {
				return
			}
			verb, arg, _ := strings.Cut(line, " ")
			verb = strings.ToUpper(verb)
			st.count[verb]++
			if q.hook != nil && q.hook(s, st, verb, arg) {
				if st.done {
					return
				}
				continue
			}
			switch verb {
			case "USER":
				sendQuiet(s, "331 password")
			case "PASS":
				sendQuiet(s, "230 in")
			case "TYPE", "PRET", "OPTS":
				sendQuiet(s, "200 ok")
			case "NOOP":
				sendQuiet(s, "200 noop-ok")
			case "FEAT":
				if q.feat == nil {
					sendQuiet(s, "500 no FEAT")
					continue
				}
				sendQuiet(s, "211-Features:")
				for _, f := range q.feat {
					sendQuiet(s, " "+f)
				}
				sendQuiet(s, "211 End")
			case "PASV":
				sendQuiet(s, st.listen(s))
			case "ABOR":
				sendQuiet(s, "225 nothing to abort")
			case "RETR":
				data, ok := q.files[arg]
				if !ok {
					sendQuiet(s, "550 no such file")
					continue
				}
				dc := st.takeData(s)
				sendQuiet(s, fmt.Sprintf("150 Opening BINARY mode data connection for %s (%d bytes).", arg, len(data)))
				sendData(s.t, dc, data)
				sendQuiet(s, "226 done")
			case "QUIT":
				sendQuiet(s, "221 bye")
				return
			default:
				sendQuiet(s, "500 unknown")
			}
		}
	})
}

// sendQuiet is session.send for a client that may hang up at any
// moment, as it does when a reply breaks the Conn: write errors end
// nothing, the session's next read sees the end.
func sendQuiet(s *session, lines ...string) {
	for _, l := range lines {
		if _, err := io.WriteString(s.conn, l+"\r\n"); err != nil {
			return
		}
	}
}

// everyHook returns a Trace with every hook set (whatever hooks Trace
// has), each counting its calls in calls, so that the hostile replies
// go through the code that reports them too.
func everyHook(calls *atomic.Int64) *Trace {
	tr := &Trace{}
	v := reflect.ValueOf(tr).Elem()
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); f.Kind() == reflect.Func {
			f.Set(reflect.MakeFunc(f.Type(), func([]reflect.Value) []reflect.Value {
				calls.Add(1)
				return nil
			}))
		}
	}
	return tr
}

// qaFiles are a, b and c, of 50000 bytes each, different.
func qaFiles() map[string]string {
	m := map[string]string{}
	for _, n := range []string{"a", "b", "c"} {
		m[n] = strings.Repeat(n+"0123456789", 5000)
	}
	return m
}

// retrAll runs RetrMany of a, b and c on c and checks that every file
// it reports done is whole, and a failed one a prefix.
func retrAll(t *testing.T, c *Conn, files map[string]string) (int, error) {
	t.Helper()
	names := []string{"a", "b", "c"}
	bufs := make([]bytes.Buffer, 3)
	var n int
	var hooks atomic.Int64
	err := returnsWithin(t, func() (err error) {
		ctx := WithTrace(ctxT(t), everyHook(&hooks))
		n, err = c.RetrMany(ctx, []string{"RETR a", "RETR b", "RETR c"}, func(i int) (io.Writer, error) { return &bufs[i], nil })
		return err
	})
	for i := range names {
		want := files[names[i]]
		switch {
		case i < n && bufs[i].String() != want:
			t.Errorf("file %d reported done with %d of %d bytes", i, bufs[i].Len(), len(want))
		case !strings.HasPrefix(want, bufs[i].String()):
			t.Errorf("file %d: bytes that are not the file's", i)
		}
	}
	if err != nil && !typed(err) {
		t.Errorf("RetrMany: untyped error %v", err)
	}
	if hooks.Load() == 0 {
		t.Error("no Trace hook was called")
	}
	return n, err
}

// errDataConn stands for the error of a data connection that could not be
// made: the dial's error or the server's 425.
var errDataConn = errors.New("dial error or 425")

// errLost stands for the error of a connection the server closed: EOF,
// or a reset.
var errLost = errors.New("EOF or reset")

func TestQARetrManyHostile(t *testing.T) {
	files := qaFiles()
	for _, tt := range []struct {
		name   string
		hook   func(s *session, st *qaState, verb, arg string) bool
		n      int   // files done
		class  error // nil: no error
		broken bool
	}{
		{"data-refused-425", func(s *session, st *qaState, verb, arg string) bool {
			if verb == "PASV" && st.count[verb] == 2 {
				sendQuiet(s, st.listen(s))
				st.ln.Close() // nobody listens there
				st.ln = nil
				return true
			}
			if verb == "RETR" && arg == "b" {
				sendQuiet(s, "425 Can't open data connection.")
				return true
			}
			return false
		}, 1, ErrTemp, false},
		{"data-refused-150-425", func(s *session, st *qaState, verb, arg string) bool {
			if verb == "PASV" && st.count[verb] == 2 {
				sendQuiet(s, st.listen(s))
				st.ln.Close()
				st.ln = nil
				return true
			}
			if verb == "RETR" && arg == "b" {
				sendQuiet(s, "150 here it comes", "425 Can't open data connection.")
				return true
			}
			return false
		}, 1, errDataConn, false},
		{"150-no-data-connection-made", func(s *session, st *qaState, verb, arg string) bool {
			if verb == "RETR" && arg == "b" {
				// The client connects, but the server never takes the
				// connection: it hangs up the control connection.
				sendQuiet(s, "150 here it comes")
				st.hangUp(s)
				return true
			}
			return false
		}, 1, errLost, true},
		{"short-data-lying-226", func(s *session, st *qaState, verb, arg string) bool {
			if verb == "RETR" && arg == "b" {
				dc := st.takeData(s)
				sendQuiet(s, fmt.Sprintf("150 Opening (%d bytes).", len(files[arg])))
				sendData(s.t, dc, files[arg][:20000])
				sendQuiet(s, "226 done")
				return true
			}
			return false
		}, 1, io.ErrUnexpectedEOF, false},
		{"control-closed-after-data", func(s *session, st *qaState, verb, arg string) bool {
			if verb == "RETR" && arg == "b" {
				dc := st.takeData(s)
				sendQuiet(s, "150 ok")
				sendData(s.t, dc, files[arg])
				st.hangUp(s)
				return true
			}
			return false
		}, 1, errLost, true},
		{"226-before-data-ends", func(s *session, st *qaState, verb, arg string) bool {
			if verb == "RETR" && arg == "b" {
				dc := st.takeData(s)
				sendQuiet(s, "150 ok", "226 done already")
				d := files[arg]
				slowData(s.t, dc, time.Millisecond, d[:10000], d[10000:30000], d[30000:])
				return true
			}
			return false
		}, 3, nil, false},
		{"421-after-pasv-ahead", func(s *session, st *qaState, verb, arg string) bool {
			if verb == "PASV" && st.count[verb] == 2 {
				sendQuiet(s, "421 Timeout.")
				st.hangUp(s)
				return true
			}
			return false
		}, 1, ErrTemp, true},
		{"first-pasv-226", func(s *session, st *qaState, verb, arg string) bool {
			if verb == "PASV" && st.count[verb] == 1 {
				sendQuiet(s, "226 stray")
				return true
			}
			return false
		}, 0, ErrReply, true},
		{"pasv-ahead-150", func(s *session, st *qaState, verb, arg string) bool {
			if verb == "PASV" && st.count[verb] == 2 {
				sendQuiet(s, "150 what", st.listen(s))
				return true
			}
			return false
		}, 1, ErrReply, true},
		{"final-2xx-twice", func(s *session, st *qaState, verb, arg string) bool {
			if verb == "RETR" && arg == "a" {
				dc := st.takeData(s)
				sendQuiet(s, "150 ok")
				sendData(s.t, dc, files[arg])
				sendQuiet(s, "226 done", "226 done again")
				return true
			}
			return false
		}, 1, ErrReply, true},
		{"retr-garbage", func(s *session, st *qaState, verb, arg string) bool {
			if verb == "RETR" && arg == "b" {
				st.takeData(s).Close()
				sendQuiet(s, "what?")
				return true
			}
			return false
		}, 1, ErrProto, false},
		{"retr-over-long", func(s *session, st *qaState, verb, arg string) bool {
			if verb == "RETR" && arg == "b" {
				st.takeData(s).Close()
				sendQuiet(s, "150 "+strings.Repeat("x", 10000))
				return true
			}
			return false
		}, 1, ErrLineTooLong, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			f := qaServer{files: files, hook: tt.hook}.start(t)
			c := dialFake(t, f, nil)
			n, err := retrAll(t, c, files)
			if n != tt.n {
				t.Errorf("RetrMany: %d files done, want %d (%v)", n, tt.n, err)
			}
			switch {
			case tt.class == nil && err != nil:
				t.Errorf("RetrMany: %v", err)
			case tt.class == errDataConn:
				var ne *net.OpError
				if !errors.As(err, &ne) && !errors.Is(err, ErrTemp) {
					t.Errorf("RetrMany: %v, want the dial's error or the 425", err)
				}
			case tt.class == errLost:
				var ne *net.OpError
				if !errors.As(err, &ne) && !errors.Is(err, io.EOF) {
					t.Errorf("RetrMany: %v, want EOF or a reset", err)
				}
			case tt.class != nil && !errors.Is(err, tt.class):
				t.Errorf("RetrMany: %v, want %v", err, tt.class)
			}
			if inStep := inStepOrBroken(t, c); inStep == tt.broken {
				t.Errorf("in step = %v, want %v", inStep, !tt.broken)
			}
			c.Close()
			f.wait()
		})
	}
}

// TestQAPRETHostile: PRET (Dialer.PRET) refused or answered oddly, for
// the first transfer or for one whose PRET RetrMany sent ahead.
func TestQAPRETHostile(t *testing.T) {
	files := qaFiles()
	for _, tt := range []struct {
		name   string
		nth    int      // which PRET
		reply  []string // its replies
		close  bool     // then the server hangs up
		n      int
		class  error
		broken bool
	}{
		{"first-refused", 1, []string{"550 PRET not understood"}, false, 0, ErrPerm, false},
		// A PRET sent ahead whose PASV works is not needed: its refusal
		// is an error only when the PASV fails too.
		{"ahead-refused", 2, []string{"550 PRET not understood"}, false, 3, nil, false},
		{"first-4xx", 1, []string{"451 try later"}, false, 0, ErrTemp, false},
		{"ahead-garbage", 2, []string{"PRET what"}, false, 3, nil, false},
		// A 1xx: a final reply may follow or not, so the Conn cannot
		// know which reply answers the next command and breaks.
		{"first-1xx", 1, []string{"150 odd"}, false, 0, ErrReply, true},
		{"first-1xx-then-final", 1, []string{"150 odd", "200 ok"}, false, 0, ErrReply, true},
		{"ahead-1xx", 2, []string{"150 odd"}, false, 3, nil, false},
		{"first-3xx", 1, []string{"350 go on"}, false, 0, ErrReply, false},
		{"ahead-multi-line", 2, []string{"200-fine", "200 fine"}, false, 3, nil, false},
		{"ahead-421", 2, []string{"421 bye"}, true, 1, errLost, true}, // the PASV's EOF
		{"first-closed", 1, nil, true, 0, errLost, true},
		{"ahead-closed", 2, nil, true, 1, errLost, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			f := qaServer{files: files, hook: func(s *session, st *qaState, verb, arg string) bool {
				if verb != "PRET" || st.count[verb] != tt.nth {
					return false
				}
				sendQuiet(s, tt.reply...)
				if tt.close {
					st.hangUp(s)
				}
				return true
			}}.start(t)
			c := dialFake(t, f, &Dialer{PRET: true})
			n, err := retrAll(t, c, files)
			if n != tt.n {
				t.Errorf("RetrMany: %d files done, want %d (%v)", n, tt.n, err)
			}
			var ne *net.OpError
			switch {
			case tt.class == nil && err != nil:
				t.Errorf("RetrMany: %v", err)
			case tt.class == errLost:
				if !errors.As(err, &ne) && !errors.Is(err, io.EOF) {
					t.Errorf("RetrMany: %v, want EOF or a reset", err)
				}
			case tt.class != nil && !errors.Is(err, tt.class):
				t.Errorf("RetrMany: %v, want %v", err, tt.class)
			}
			if tt.class != nil && tt.class != errLost && !strings.Contains(fmt.Sprint(err), "PRET") {
				t.Errorf("RetrMany: %v does not name PRET", err)
			}
			if inStep := inStepOrBroken(t, c); inStep == tt.broken {
				t.Errorf("in step = %v, want %v", inStep, !tt.broken)
			}
			c.Close()
			f.wait()
		})
	}
}

// TestQAOptsUTF8Hostile: OPTS UTF8 ON (after a FEAT that lists UTF8)
// refused or answered oddly. Its reply is only read: a refusal is not an
// error and the session goes on in step.
func TestQAOptsUTF8Hostile(t *testing.T) {
	for _, tt := range []struct {
		name   string
		reply  []string
		close  bool
		broken bool
	}{
		{"501", []string{"501 no such option"}, false, false},
		{"502", []string{"502 not implemented"}, false, false},
		{"garbage", []string{"OPTS what"}, false, false},
		{"multi-line", []string{"200-UTF8 set", "200 ok"}, false, false},
		// A 1xx, followed by a final reply or not: the Conn breaks.
		{"1xx", []string{"150 odd"}, false, true},
		{"1xx-then-final", []string{"150 odd", "200 ok"}, false, true},
		{"over-long", []string{"200 " + strings.Repeat("x", 10000)}, false, true},
		{"421", []string{"421 bye"}, true, true},
		{"closed", nil, true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			f := qaServer{feat: []string{"UTF8", "SIZE"}, hook: func(s *session, st *qaState, verb, arg string) bool {
				switch verb {
				case "OPTS":
					if arg != "UTF8 ON" {
						s.t.Errorf("fake: OPTS %s", arg)
					}
					sendQuiet(s, tt.reply...)
					if tt.close {
						st.hangUp(s)
					}
					return true
				case "SIZE":
					sendQuiet(s, "213 5")
					return true
				}
				return false
			}}.start(t)
			c := dialFake(t, f, nil)
			// A name that is not ASCII makes FEAT and OPTS go first.
			var size int64
			err := returnsWithin(t, func() (err error) {
				size, err = c.Size(ctxT(t), "é.txt")
				return err
			})
			if tt.broken {
				if err == nil || !typed(err) {
					t.Errorf("Size: %d, %v; want a typed error", size, err)
				}
			} else if err != nil || size != 5 {
				t.Errorf("Size: %d, %v; want 5", size, err)
			}
			if inStep := inStepOrBroken(t, c); inStep == tt.broken {
				t.Errorf("in step = %v, want %v", inStep, !tt.broken)
			}
			c.Close()
			f.wait()
		})
	}
}
