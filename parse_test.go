package ftp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParse150(t *testing.T) {
	tests := []struct {
		in    string
		want  int64
		class error
	}{
		{"150 Opening BINARY mode data connection for f (1024 bytes)", 1024, nil},
		{"150 Opening (12 BYTES)", 12, nil},
		{"150 x (1 bytes) y (2 bytes)", 2, nil},
		{"150  (7 bytes)", 7, nil},
		{"150 (7 bytes)", -1, nil},
		{"150 no size", -1, nil},
		{"150 (5 bytes", -1, nil},
		{"150-multi (5 bytes)\n150 end", -1, nil},
		{"150 first (5 bytes)\nsecond (6 bytes)", 5, nil},
		{"150", -1, nil},
		{"125 data connection open (5 bytes)", -1, ErrReply},
		{"150 x (99999999999999999999 bytes)", -1, ErrProto},
	}
	for _, tt := range tests {
		n, err := Parse150(tt.in)
		if tt.class != nil {
			if !errors.Is(err, tt.class) {
				t.Errorf("Parse150(%q) error = %v, want %v", tt.in, err, tt.class)
			}
			continue
		}
		if err != nil || n != tt.want {
			t.Errorf("Parse150(%q) = %d, %v; want %d", tt.in, n, err, tt.want)
		}
	}
}

func TestParse227(t *testing.T) {
	tests := []struct {
		in    string
		host  string
		port  int
		class error
	}{
		{"227 Entering Passive Mode (127,0,0,1,4,1).", "127.0.0.1", 1025, nil},
		{"227 =127,0,0,1,4,1", "127.0.0.1", 1025, nil},
		{"227 Entering passive mode (10,0,0,1,255,255)", "10.0.0.1", 65535, nil},
		{"227 x 1,2,3 (9,8,7,6,0,21)", "9.8.7.6", 21, nil},
		{"227 (001,002,003,004,0,21)", "1.2.3.4", 21, nil},
		{"227 no numbers", "", 0, ErrProto},
		{"227 (1,2,3,4,5)", "", 0, ErrProto},
		{"227 (256,1,1,1,1,1)", "", 0, ErrProto},
		{"227 (1,1,1,1,1,999999999999999999999)", "", 0, ErrProto},
		{"200 (1,2,3,4,5,6)", "", 0, ErrReply},
	}
	for _, tt := range tests {
		h, p, err := Parse227(tt.in)
		if tt.class != nil {
			if !errors.Is(err, tt.class) {
				t.Errorf("Parse227(%q) error = %v, want %v", tt.in, err, tt.class)
			}
			continue
		}
		if err != nil || h != tt.host || p != tt.port {
			t.Errorf("Parse227(%q) = %q, %d, %v", tt.in, h, p, err)
		}
	}
}

func TestParse229(t *testing.T) {
	tests := []struct {
		in    string
		port  int
		class error
	}{
		{"229 Entering Extended Passive Mode (|||6446|)", 6446, nil},
		{"229 (!!!21!)", 21, nil},
		{"229 )(|||1|)", 1, nil},
		{"229 (||| 80 |)", 80, nil},
		{"229 (|||6446)", 0, ErrProto},
		{"229 no parens", 0, ErrProto},
		{"229 (|||6446|", 0, ErrProto},
		{"229 ()", 0, ErrProto},
		{"229 (|||abc|)", 0, ErrProto},
		{"229 (|||-1|)", 0, ErrProto},
		{"229 (|||70000|)", 0, ErrProto},
		{"229 (||||)", 0, ErrProto},
		{"229 (|1|2|3|4|5|)", 0, ErrProto},
		{"227 (|||1|)", 0, ErrReply},
	}
	for _, tt := range tests {
		h, p, err := Parse229(tt.in, "peer")
		if tt.class != nil {
			if !errors.Is(err, tt.class) {
				t.Errorf("Parse229(%q) error = %v, want %v", tt.in, err, tt.class)
			}
			continue
		}
		if err != nil || h != "peer" || p != tt.port {
			t.Errorf("Parse229(%q) = %q, %d, %v", tt.in, h, p, err)
		}
	}
}

func TestParse257(t *testing.T) {
	tests := []struct {
		in, want string
		class    error
	}{
		{`257 "/a ""b"" c" created`, `/a "b" c`, nil},
		{`257 "/unterminated`, "/unterminated", nil},
		{`257 "/ends with quote"""`, `/ends with quote"`, nil},
		{`257 /no-quote`, "", nil},
		{`257`, "", nil},
		{`257 ""`, "", nil},
		{`257-"/multi"` + "\n257 end", "", nil},
		{`250 "/x"`, "", ErrReply},
	}
	for _, tt := range tests {
		got, err := Parse257(tt.in)
		if tt.class != nil {
			if !errors.Is(err, tt.class) {
				t.Errorf("Parse257(%q) error = %v, want %v", tt.in, err, tt.class)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Parse257(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// ftplib's regular expressions, as an oracle for the hand-written parsers.
var (
	re150 = regexp.MustCompile(`(?i)^150 .* \(([0-9]+) bytes\)`)
	re227 = regexp.MustCompile(`([0-9]+),([0-9]+),([0-9]+),([0-9]+),([0-9]+),([0-9]+)`)
)

func FuzzParse150(f *testing.F) {
	for _, s := range []string{"150 x (10 bytes)", "150 a (1 bytes) (2 BYTES)", "150-x\n150 y", "150 (", "125 x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse150(s)
		if !strings.HasPrefix(s, "150") {
			if !errors.Is(err, ErrReply) {
				t.Fatalf("non-150 %q: %v", s, err)
			}
			return
		}
		m := re150.FindStringSubmatch(s)
		switch {
		case m == nil:
			if n != -1 || err != nil {
				t.Fatalf("%q: got %d, %v; regexp finds no size", s, n, err)
			}
		default:
			want, perr := strconv.ParseInt(m[1], 10, 64)
			if perr != nil {
				if !errors.Is(err, ErrProto) {
					t.Fatalf("%q: overflow gave %d, %v", s, n, err)
				}
			} else if n != want || err != nil {
				t.Fatalf("%q: got %d, %v; regexp says %d", s, n, err, want)
			}
		}
	})
}

// TestParse227DigitRun gives Parse227 a reply with a long run of digits
// (a hostile server's), before and without a valid address: the answer
// must be right, and the error must not quote the whole reply.
func TestParse227DigitRun(t *testing.T) {
	run := strings.Repeat("7", 1<<17)
	h, p, err := Parse227("227 " + run + " (10,1,2,3,4,5)")
	if err != nil || h != "10.1.2.3" || p != 4*256+5 {
		t.Errorf("address after a digit run: got %q, %d, %v", h, p, err)
	}
	h, p, err = Parse227("227 " + run + ",1,2,3,4,5")
	if !errors.Is(err, ErrProto) {
		t.Errorf("digit run as first number: got %q, %d, %v; want ErrProto", h, p, err)
	}
	// Shorter runs, then one that matches: "1,2,3,4,5" is five numbers.
	resp := "227 " + strings.Repeat("1,2,3,4,5 ", 1<<12) + "0,0,0,0,0,1"
	h, p, err = Parse227(resp)
	if err != nil || h != "0.0.0.0" || p != 1 {
		t.Errorf("many five-number runs: got %q, %d, %v", h, p, err)
	}
	_, _, err = Parse227("227 " + run)
	var fe *Error
	if !errors.As(err, &fe) || !errors.Is(err, ErrProto) {
		t.Fatalf("digit run alone: %v, want an *Error of class ErrProto", err)
	}
	if fe.Msg != "227 "+run {
		t.Errorf("Msg holds %d bytes, want the whole reply (%d)", len(fe.Msg), 4+len(run))
	}
	if msg := err.Error(); len(msg) > 320 || !strings.HasPrefix(msg, "ftp: reply: 227 777") || !strings.HasSuffix(msg, "... (131076 bytes)") {
		t.Errorf("Error() is %d bytes: %.80q...%q", len(msg), msg, msg[max(0, len(msg)-40):])
	}
}

func TestClipReply(t *testing.T) {
	short := strings.Repeat("x", maxErrReply)
	if got := clipReply(short); got != short {
		t.Errorf("clipReply of %d bytes changed it to %q", len(short), got)
	}
	// A multi-byte character across the cut is not split.
	s := strings.Repeat("x", maxErrReply-1) + "é" + "tail"
	got := clipReply(s)
	want := strings.Repeat("x", maxErrReply-1) + "... (" + strconv.Itoa(len(s)) + " bytes)"
	if got != want {
		t.Errorf("clipReply = %q, want %q", got, want)
	}
	e := newError(ErrPerm, "550 "+strings.Repeat("y", 1<<20))
	if msg := e.Error(); len(msg) > 320 || !strings.HasPrefix(msg, "ftp: reply: 550 yyy") {
		t.Errorf("Error() of a 1 MiB reply is %d bytes", len(msg))
	}
}

// BenchmarkParse227DigitRun measures Parse227 on replies holding one run
// of n digits: the time per byte must not grow with n.
func BenchmarkParse227DigitRun(b *testing.B) {
	for _, n := range []int{1 << 10, 1 << 14, 1 << 17} {
		resp := "227 " + strings.Repeat("9", n) + " (1,2,3,4,5,6)"
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(int64(len(resp)))
			for i := 0; i < b.N; i++ {
				if _, _, err := Parse227(resp); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func FuzzParse227(f *testing.F) {
	for _, s := range []string{"227 (127,0,0,1,4,1)", "227 1,2,3,4,5", "227 9,9,9,9,9,9,9", "227 (300,1,1,1,1,1)", "227", "227 99999999999,1,2,3,4,5 (1,2,3,4,5,6)", "227 0001,2,3,4,5,00006"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		host, port, err := Parse227(s)
		if !strings.HasPrefix(s, "227") {
			if !errors.Is(err, ErrReply) {
				t.Fatalf("non-227 %q: %v", s, err)
			}
			return
		}
		m := re227.FindStringSubmatch(s)
		if m == nil {
			if !errors.Is(err, ErrProto) {
				t.Fatalf("%q: got %q, %d, %v; regexp finds nothing", s, host, port, err)
			}
			return
		}
		var nums [6]int
		valid := true
		for i := range nums {
			v, perr := strconv.Atoi(m[i+1])
			if perr != nil || v > 255 {
				valid = false
			}
			nums[i] = v
		}
		if !valid {
			if !errors.Is(err, ErrProto) {
				t.Fatalf("%q: out of range accepted: %q %d %v", s, host, port, err)
			}
			return
		}
		if err != nil || port != nums[4]*256+nums[5] || net.ParseIP(host).To4() == nil {
			t.Fatalf("%q: got %q, %d, %v; regexp says %v", s, host, port, err, nums)
		}
	})
}

func FuzzParse229(f *testing.F) {
	for _, s := range []string{"229 (|||21|)", "229 (!!!1!)", "229 ()", "229 (|||x|)", "229 )("} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		host, port, err := Parse229(s, "peer")
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Msg != s {
				t.Fatalf("%q: error %v is not an *Error with the reply", s, err)
			}
			return
		}
		if host != "peer" || port < 0 || port > 65535 {
			t.Fatalf("%q: got %q, %d", s, host, port)
		}
	})
}

func FuzzParse257(f *testing.F) {
	for _, s := range []string{`257 "/a""b"`, `257 "x`, `257 x`, `257`, `257 """"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		dir, err := Parse257(s)
		if err != nil {
			if strings.HasPrefix(s, "257") || !errors.Is(err, ErrReply) {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		if len(dir) > len(s) {
			t.Fatalf("%q: result %q longer than the reply", s, dir)
		}
		// Quoting the result again and parsing it gives it back.
		again, err := Parse257(`257 "` + strings.ReplaceAll(dir, `"`, `""`) + `" x`)
		if err != nil || again != dir {
			t.Fatalf("%q: round trip %q -> %q, %v", s, dir, again, err)
		}
	})
}

// readConn is a net.Conn that reads from a byte slice; writes are
// accepted and dropped.
type readConn struct{ r *bytes.Reader }

func (c readConn) Read(p []byte) (int, error)         { return c.r.Read(p) }
func (c readConn) Write(p []byte) (int, error)        { return len(p), nil }
func (c readConn) Close() error                       { return nil }
func (c readConn) LocalAddr() net.Addr                { return &net.TCPAddr{} }
func (c readConn) RemoteAddr() net.Addr               { return &net.TCPAddr{} }
func (c readConn) SetDeadline(time.Time) error        { return nil }
func (c readConn) SetReadDeadline(t time.Time) error  { return nil }
func (c readConn) SetWriteDeadline(t time.Time) error { return nil }

// replyConn returns a Conn whose control connection reads data.
func replyConn(data []byte, maxLine int, enc Encoding) *Conn {
	c := newConn(&Dialer{MaxLine: maxLine, Encoding: enc, DebugOutput: io.Discard}, "fuzz")
	nc := readConn{bytes.NewReader(data)}
	c.raw = nc
	c.setCtrl(nc)
	return c
}

func FuzzReplyReader(f *testing.F) {
	for _, s := range []string{
		"220 hi\r\n",
		"211-a\r\n211-b\n 211 x\r\n211 end\r\n",
		"150-x\r\n150\r\n226 ok\r\n",
		"garbage\r\n",
		"200 no newline",
		"211-open\r\n",
		"\r\n\n\r",
		"200 \xff\xfe\r\n",
	} {
		f.Add([]byte(s), uint8(16))
	}
	f.Fuzz(func(t *testing.T, data []byte, max uint8) {
		maxLine := int(max%64) + 4
		for _, enc := range []Encoding{UTF8, Latin1} {
			c := replyConn(data, maxLine, enc)
			for i := 0; ; i++ {
				if i > len(data)+1 {
					t.Fatalf("more replies than input bytes")
				}
				resp, err := c.getResp()
				if err != nil {
					var e *Error
					if errors.As(err, &e) {
						if e.Code != replyCode(e.Msg) {
							t.Fatalf("code %d for %q", e.Code, e.Msg)
						}
						continue // a whole reply was read: still in step
					}
					if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, ErrLineTooLong) {
						t.Fatalf("unexpected error class: %v", err)
					}
					c.mu.Lock()
					broken := c.broken
					c.mu.Unlock()
					if broken == nil {
						t.Fatalf("%v did not mark the Conn broken", err)
					}
					break
				}
				if resp[0] < '1' || resp[0] > '3' {
					t.Fatalf("accepted %q", resp)
				}
				// A CR before the CRLF is content (a bare CR is not a
				// line end): only then may a CRLF show in the reply.
				if strings.Contains(resp, "\r\n") && !bytes.Contains(data, []byte("\r\r\n")) {
					t.Fatalf("CRLF left in %q", resp)
				}
			}
		}
	})
}

func TestLineReaderBounds(t *testing.T) {
	// Content of max-1 bytes passes with LF or CRLF; max bytes fails.
	for _, eol := range []string{"\n", "\r\n"} {
		for _, n := range []int{7, 8} {
			lr := lineReader{br: bufio.NewReaderSize(strings.NewReader(strings.Repeat("x", n)+eol), 16), max: 8}
			_, err := lr.readLine()
			if (n == 7) != (err == nil) {
				t.Errorf("content %d %q: %v", n, eol, err)
			}
		}
	}
	// Lines longer than bufio's buffer are accumulated.
	long := strings.Repeat("y", 100)
	lr := lineReader{br: bufio.NewReaderSize(strings.NewReader(long+"\r\n"+long), 16), max: 200}
	if b, err := lr.readLine(); err != nil || string(b) != long {
		t.Fatalf("long line: %q, %v", b, err)
	}
	if b, err := lr.readLine(); err != io.EOF || string(b) != long {
		t.Fatalf("last line: %q, %v", b, err)
	}
	if _, err := lr.readLine(); err != io.EOF {
		t.Fatalf("after the end: %v", err)
	}
}
