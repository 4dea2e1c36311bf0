package ftp

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// untilEOF reads commands until the client closes the control connection.
func untilEOF(s *session) {
	for s.readLine() != "" {
	}
}

// wantStall checks that err is a stall caught by Dialer.Timeout, names
// what stalled with prefix, and still wraps the deadline error.
func wantStall(t *testing.T, err error, prefix string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if !strings.HasPrefix(err.Error(), prefix) {
		t.Errorf("error = %q, want it to start with %q", err.Error(), prefix)
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("error %q does not wrap os.ErrDeadlineExceeded", err)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("error %q is not a net.Error with Timeout()", err)
	}
}

// TestTimeoutNamesWhatStalled checks that a stall caught by Dialer.Timeout
// says which command or transfer stalled.
func TestTimeoutNamesWhatStalled(t *testing.T) {
	const pw = "Pw-s3cr3t"
	dataStall := func(s *session) {
		ln := s.pasv()
		s.expect("RETR big.bin")
		s.send("150 here it comes")
		dc := s.accept(ln)
		if dc != nil {
			defer dc.Close()
			dc.Write([]byte("some data"))
		}
		untilEOF(s)
	}
	tests := []struct {
		name   string
		script func(s *session)
		call   func(c *Conn) error
		prefix string
	}{
		{
			name:   "reply to a command",
			script: func(s *session) { untilEOF(s) },
			call:   func(c *Conn) error { _, err := c.Mkd(ctxT(t), "d"); return err },
			prefix: "ftp: MKD d: reading reply: ",
		},
		{
			name: "reply to PASS",
			script: func(s *session) {
				s.reply("USER bob", "331 pw")
				untilEOF(s)
			},
			call:   func(c *Conn) error { _, err := c.Login(ctxT(t), "bob", pw, ""); return err },
			prefix: "ftp: PASS ****: reading reply: ",
		},
		{
			name: "reply to a transfer command",
			script: func(s *session) {
				ln := s.pasv()
				defer ln.Close()
				untilEOF(s)
			},
			call: func(c *Conn) error {
				c.curType = "I"
				_, err := c.RetrBinary(ctxT(t), "RETR big.bin", io.Discard)
				return err
			},
			prefix: "ftp: RETR big.bin: reading reply: ",
		},
		{
			name: "final reply of a transfer",
			script: func(s *session) {
				ln := s.pasv()
				s.expect("RETR big.bin")
				s.send("150 here it comes")
				sendData(t, s.accept(ln), "all of it")
				untilEOF(s)
			},
			call: func(c *Conn) error {
				c.curType = "I"
				_, err := c.RetrBinary(ctxT(t), "RETR big.bin", io.Discard)
				return err
			},
			prefix: "ftp: RETR big.bin: reading reply: ",
		},
		{
			name:   "data of a download",
			script: dataStall,
			call: func(c *Conn) error {
				c.curType = "I"
				_, err := c.RetrBinary(ctxT(t), "RETR big.bin", io.Discard)
				return err
			},
			prefix: "ftp: RETR big.bin: data: ",
		},
		{
			name:   "data of a download to a file (kernel copy)",
			script: dataStall,
			call: func(c *Conn) error {
				f, err := os.Create(filepath.Join(t.TempDir(), "big.bin"))
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				c.curType = "I"
				_, err = c.RetrBinary(ctxT(t), "RETR big.bin", f)
				return err
			},
			prefix: "ftp: RETR big.bin: data: ",
		},
		{
			name:   "data of a download read by hand",
			script: dataStall,
			call: func(c *Conn) error {
				c.curType = "I"
				d, err := c.Retr(ctxT(t), "RETR big.bin")
				if err != nil {
					return err
				}
				defer d.Close()
				_, err = io.ReadAll(d)
				return err
			},
			prefix: "ftp: RETR big.bin: data: ",
		},
		{
			name: "active-mode data connection never made",
			script: func(s *session) {
				if l := s.readLine(); !strings.HasPrefix(l, "PORT ") {
					t.Errorf("got %q, want PORT", l)
				}
				s.send("200 ok")
				s.expect("RETR big.bin")
				s.send("150 here it comes")
				untilEOF(s)
			},
			call: func(c *Conn) error {
				c.SetPasv(false)
				c.curType = "I"
				_, err := c.RetrBinary(ctxT(t), "RETR big.bin", io.Discard)
				return err
			},
			prefix: "ftp: RETR big.bin: data connection: ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(s *session) {
				s.send("220 hello")
				tt.script(s)
			})
			c := dialFake(t, f, &Dialer{Timeout: 200 * time.Millisecond})
			err := tt.call(c)
			wantStall(t, err, tt.prefix)
			if strings.Contains(errorTexts(err), pw) {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

// TestTimeoutWelcome checks a welcome that never comes.
func TestTimeoutWelcome(t *testing.T) {
	f := newFake(t, func(s *session) { untilEOF(s) })
	_, err := (&Dialer{Timeout: 200 * time.Millisecond}).Dial(ctxT(t), f.addr)
	wantStall(t, err, "ftp: welcome: reading reply: ")
}
