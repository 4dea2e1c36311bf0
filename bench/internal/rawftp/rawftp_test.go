package rawftp

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// serve runs a scripted server: for each command line received it
// calls answer, which writes the reply.
func serve(t *testing.T, greeting string, answer func(cmd string, w *bufio.Writer)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		r, w := bufio.NewReader(c), bufio.NewWriter(c)
		w.WriteString(greeting)
		w.Flush()
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			answer(strings.TrimRight(line, "\r\n"), w)
			w.Flush()
		}
	}()
	return ln.Addr().String()
}

func TestRetrMultilineReplies(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789"), 1000)
	var dataLn net.Listener
	addr := serve(t, "220-Welcome\r\n220-second line\r\n220 ready\r\n", func(cmd string, w *bufio.Writer) {
		switch {
		case strings.HasPrefix(cmd, "USER"):
			w.WriteString("331 password\r\n")
		case strings.HasPrefix(cmd, "PASS"):
			w.WriteString("230-hello\r\n230 ok\r\n")
		case cmd == "TYPE I":
			w.WriteString("200 binary\r\n")
		case cmd == "PASV":
			var err error
			dataLn, err = net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				w.WriteString("425 no\r\n")
				return
			}
			p := dataLn.Addr().(*net.TCPAddr).Port
			fmt.Fprintf(w, "227 Entering Passive Mode (127,0,0,1,%d,%d)\r\n", p>>8, p&255)
		case cmd == "RETR f":
			w.WriteString("150-Accepted data connection\r\n150 10 kbytes to download\r\n")
			w.Flush()
			dc, err := dataLn.Accept()
			if err != nil {
				return
			}
			dc.Write(payload)
			dc.Close()
			dataLn.Close()
			w.WriteString("226-File written\r\n226 done\r\n")
		case cmd == "QUIT":
			w.WriteString("221 bye\r\n")
		default:
			w.WriteString("500 what\r\n")
		}
	})
	c, err := Dial(addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("u", "p"); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	n, err := c.Retr("f", &got)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(payload)) || !bytes.Equal(got.Bytes(), payload) {
		t.Fatalf("got %d bytes, want %d", n, len(payload))
	}
	// The multi-line 226 was consumed whole: the next reply is QUIT's.
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
}

func TestBadReplies(t *testing.T) {
	for _, greeting := range []string{"xx\r\n", "abc ready\r\n", "530 go away\r\n"} {
		addr := serve(t, greeting, func(string, *bufio.Writer) {})
		if c, err := Dial(addr, 10*time.Second); err == nil {
			c.Close()
			t.Errorf("greeting %q: Dial succeeded", greeting)
		}
	}
}
