package ftp

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// TestErrorNamesCommand checks that a reply error names the command that
// got the reply, keeps the reply text in Msg and shows the code once.
func TestErrorNamesCommand(t *testing.T) {
	tests := []struct {
		name    string
		script  func(s *session)
		call    func(c *Conn) error
		class   error
		code    int
		cmd     string
		msg     string
		wantErr string
	}{
		{
			name:   "DELE",
			script: func(s *session) { s.reply("DELE a.txt", "550 No such file") },
			call:   func(c *Conn) error { _, err := c.Delete(ctxT(t), "a.txt"); return err },
			class:  ErrPerm, code: 550, cmd: "DELE a.txt", msg: "550 No such file",
			wantErr: "ftp: DELE a.txt: 550 No such file",
		},
		{
			name:   "multi-line 4xx",
			script: func(s *session) { s.reply("MKD d", "450-Busy", "450 try later") },
			call:   func(c *Conn) error { _, err := c.Mkd(ctxT(t), "d"); return err },
			class:  ErrTemp, code: 450, cmd: "MKD d", msg: "450-Busy\n450 try later",
			wantErr: "ftp: MKD d: 450-Busy\n450 try later",
		},
		{
			name:   "RNFR of a rename",
			script: func(s *session) { s.reply("RNFR a", "550 no a") },
			call:   func(c *Conn) error { _, err := c.Rename(ctxT(t), "a", "b"); return err },
			class:  ErrPerm, code: 550, cmd: "RNFR a", msg: "550 no a",
			wantErr: "ftp: RNFR a: 550 no a",
		},
		{
			name: "RNTO of a rename",
			script: func(s *session) {
				s.reply("RNFR a", "350 go on")
				s.reply("RNTO b", "553 no b")
			},
			call:  func(c *Conn) error { _, err := c.Rename(ctxT(t), "a", "b"); return err },
			class: ErrPerm, code: 553, cmd: "RNTO b", msg: "553 no b",
			wantErr: "ftp: RNTO b: 553 no b",
		},
		{
			name:   "unexpected positive reply",
			script: func(s *session) { s.reply("SIZE f", "200 what size") },
			call:   func(c *Conn) error { _, err := c.Size(ctxT(t), "f"); return err },
			class:  ErrReply, code: 200, cmd: "SIZE f", msg: "200 what size",
			wantErr: "ftp: SIZE f: 200 what size",
		},
		{
			name:   "unparsable reply to PASV",
			script: func(s *session) { s.reply("PASV", "227 no numbers") },
			call: func(c *Conn) error {
				c.curType = "I"
				_, err := c.RetrBinary(ctxT(t), "RETR f", io.Discard)
				return err
			},
			class: ErrProto, code: 227, cmd: "PASV", msg: "227 no numbers",
			wantErr: "ftp: PASV: 227 no numbers",
		},
		{
			name: "final reply of a transfer",
			script: func(s *session) {
				ln := s.pasv()
				s.expect("RETR big.bin")
				s.send("150 here it comes")
				dc := s.accept(ln)
				dc.Write([]byte("data"))
				dc.Close()
				s.send("451 local error")
			},
			call: func(c *Conn) error {
				c.curType = "I"
				_, err := c.RetrBinary(ctxT(t), "RETR big.bin", io.Discard)
				return err
			},
			class: ErrTemp, code: 451, cmd: "RETR big.bin", msg: "451 local error",
			wantErr: "ftp: RETR big.bin: 451 local error",
		},
		{
			name:   "PASS in lower case is masked",
			script: func(s *session) { s.reply("pass hunter2", "530 nope") },
			call:   func(c *Conn) error { _, err := c.SendCmd(ctxT(t), "pass hunter2"); return err },
			class:  ErrPerm, code: 530, cmd: "pass ****", msg: "530 nope",
			wantErr: "ftp: pass ****: 530 nope",
		},
		{
			name:   "reply read by GetResp",
			script: func(s *session) { s.send("421 shutting down") },
			call:   func(c *Conn) error { _, err := c.GetResp(ctxT(t)); return err },
			class:  ErrTemp, code: 421, cmd: "", msg: "421 shutting down",
			wantErr: "ftp: reply: 421 shutting down",
		},
		{
			name: "reply read by VoidResp after a command",
			script: func(s *session) {
				s.reply("NOOP", "200 ok")
				s.send("226-late", "226 end")
			},
			call: func(c *Conn) error {
				if _, err := c.Noop(ctxT(t)); err != nil {
					return err
				}
				_, err := c.VoidResp(ctxT(t))
				return err
			},
			class: nil,
		},
		{
			name: "reply read by VoidResp",
			script: func(s *session) {
				s.reply("NOOP", "200 ok")
				s.send("331 what")
			},
			call: func(c *Conn) error {
				if _, err := c.Noop(ctxT(t)); err != nil {
					return err
				}
				_, err := c.VoidResp(ctxT(t))
				return err
			},
			class: ErrReply, code: 331, cmd: "", msg: "331 what",
			wantErr: "ftp: reply: 331 what",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(s *session) {
				s.send("220 hello")
				tt.script(s)
			})
			c := dialFake(t, f, nil)
			err := tt.call(c)
			if tt.class == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, tt.class) {
				t.Fatalf("err = %#v, want an *Error of class %v", err, tt.class)
			}
			if e.Code != tt.code || e.Cmd != tt.cmd || e.Msg != tt.msg {
				t.Errorf("Code, Cmd, Msg = %d, %q, %q; want %d, %q, %q", e.Code, e.Cmd, e.Msg, tt.code, tt.cmd, tt.msg)
			}
			if got := err.Error(); got != tt.wantErr {
				t.Errorf("Error() = %q, want %q", got, tt.wantErr)
			}
			if n := strings.Count(err.Error(), fmt.Sprint(tt.code)); tt.code != 0 && strings.Count(tt.msg, fmt.Sprint(tt.code)) == 1 && n != 1 {
				t.Errorf("Error() = %q shows the code %d times", err.Error(), n)
			}
		})
	}
}

// TestErrorWelcome checks that a refused welcome says it was the welcome.
func TestErrorWelcome(t *testing.T) {
	f := newFake(t, func(s *session) { s.send("421 too many users") })
	_, err := Dial(ctxT(t), f.addr)
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrTemp) {
		t.Fatalf("Dial error = %#v", err)
	}
	if e.Cmd != "" || e.Msg != "421 too many users" || err.Error() != "ftp: welcome: 421 too many users" {
		t.Errorf("Cmd %q, Msg %q, Error() %q", e.Cmd, e.Msg, err.Error())
	}
}

// TestErrorParseFunctions checks the errors of the Parse functions, which
// know no command.
func TestErrorParseFunctions(t *testing.T) {
	_, _, err := Parse227("500 no")
	if err == nil || err.Error() != "ftp: reply: 500 no" || !errors.Is(err, ErrReply) {
		t.Errorf("Parse227 error = %v", err)
	}
	_, err = Parse150("150 Opening f (99999999999999999999999 bytes)")
	if err == nil || !strings.HasPrefix(err.Error(), "ftp: reply: 150 ") || !errors.Is(err, ErrProto) {
		t.Errorf("Parse150 error = %v", err)
	}
}

func TestMaskCmd(t *testing.T) {
	for in, want := range map[string]string{
		"PASS secret":  "PASS ****",
		"pass secret":  "pass ****",
		"PaSs a b c":   "PaSs ****",
		"PASS":         "PASS ****",
		"ACCT money":   "ACCT ****",
		"acct money":   "acct ****",
		" PASS secret": "PASS ****",
		"PASSWORD x":   "PASSWORD x",
		"USER bob":     "USER bob",
		"DELE pass x":  "DELE pass x",
	} {
		if got := maskCmd(in); got != want {
			t.Errorf("maskCmd(%q) = %q, want %q", in, got, want)
		}
	}
}

// errorTexts returns every way err may be printed, with the Cmd and Msg of
// each *Error in its tree.
func errorTexts(err error) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v\n%+v\n%s\n%q\n", err, err, err, err)
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case *Error:
			fmt.Fprintf(&b, "%#v %s %s\n", *e, e.Cmd, e.Msg)
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		case interface{ Unwrap() []error }:
			for _, x := range e.Unwrap() {
				walk(x)
			}
		}
	}
	walk(err)
	return b.String()
}

// TestErrorNoPassword checks every error of a failed login, account or
// PASS command for the password and account used.
func TestErrorNoPassword(t *testing.T) {
	const pw, acct = "Pw-s3cr3t", "Acct-s3cr3t"
	tests := []struct {
		name   string
		script func(s *session)
		call   func(c *Conn) error
	}{
		{
			name: "530 to PASS",
			script: func(s *session) {
				s.reply("USER bob", "331 pw")
				s.reply("PASS "+pw, "530 Login incorrect.")
			},
			call: func(c *Conn) error { _, err := c.Login(ctxT(t), "bob", pw, acct); return err },
		},
		{
			name: "421 to PASS",
			script: func(s *session) {
				s.reply("USER bob", "331 pw")
				s.reply("PASS "+pw, "421 bye")
			},
			call: func(c *Conn) error { _, err := c.Login(ctxT(t), "bob", pw, acct); return err },
		},
		{
			name: "garbage reply to PASS",
			script: func(s *session) {
				s.reply("USER bob", "331 pw")
				s.reply("PASS "+pw, "what?")
			},
			call: func(c *Conn) error { _, err := c.Login(ctxT(t), "bob", pw, acct); return err },
		},
		{
			name: "530 to ACCT",
			script: func(s *session) {
				s.reply("USER bob", "331 pw")
				s.reply("PASS "+pw, "332 account?")
				s.reply("ACCT "+acct, "530 bad account")
			},
			call: func(c *Conn) error { _, err := c.Login(ctxT(t), "bob", pw, acct); return err },
		},
		{
			name: "3xx to ACCT",
			script: func(s *session) {
				s.reply("USER bob", "331 pw")
				s.reply("PASS "+pw, "332 account?")
				s.reply("ACCT "+acct, "332 still not")
			},
			call: func(c *Conn) error { _, err := c.Login(ctxT(t), "bob", pw, acct); return err },
		},
		{
			name:   "Acct",
			script: func(s *session) { s.reply("ACCT "+acct, "331 huh") },
			call:   func(c *Conn) error { _, err := c.Acct(ctxT(t), acct); return err },
		},
		{
			name:   "PASS sent by SendCmd in mixed case",
			script: func(s *session) { s.reply("pAsS "+pw, "503 login with USER first") },
			call:   func(c *Conn) error { _, err := c.SendCmd(ctxT(t), "pAsS "+pw); return err },
		},
		{
			name:   "PASS sent by VoidCmd",
			script: func(s *session) { s.reply("PASS "+pw, "332 account?") },
			call:   func(c *Conn) error { _, err := c.VoidCmd(ctxT(t), "PASS "+pw); return err },
		},
		{
			name: "connection closed at PASS",
			script: func(s *session) {
				s.reply("USER bob", "331 pw")
				s.expect("PASS " + pw)
			},
			call: func(c *Conn) error { _, err := c.Login(ctxT(t), "bob", pw, acct); return err },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(s *session) {
				s.send("220 hello")
				tt.script(s)
			})
			c := dialFake(t, f, nil)
			err := tt.call(c)
			if err == nil {
				t.Fatal("no error")
			}
			text := errorTexts(err)
			if strings.Contains(text, pw) || strings.Contains(text, acct) {
				t.Errorf("error shows a secret:\n%s", text)
			}
			// The next call reports the broken connection, cause included.
			if _, err2 := c.Noop(ctxT(t)); err2 != nil {
				if text := errorTexts(err2); strings.Contains(text, pw) || strings.Contains(text, acct) {
					t.Errorf("later error shows a secret:\n%s", text)
				}
			}
		})
	}
}
