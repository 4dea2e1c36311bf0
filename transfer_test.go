package ftp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func TestRetrBinaryTranscript(t *testing.T) {
	payload := strings.Repeat("0123456789", 1000)
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		s.expect("REST 10")
		s.send("350 restarting")
		s.expect("RETR f")
		dc := s.accept(ln)
		s.send("150 Opening BINARY mode data connection for f (99990 bytes)")
		sendData(t, dc, payload[10:])
		s.send("226 done")
		// TYPE I is in force: not sent again.
		ln = s.pasv()
		s.expect("RETR g")
		dc = s.accept(ln)
		s.send("125 go")
		sendData(t, dc, "")
		s.send("226 empty")
		s.expectEOF()
	})
	c := dialFake(t, f, nil)
	ctx := ctxT(t)
	var buf bytes.Buffer
	resp, err := c.RetrBinary(ctx, "RETR f", &buf, Rest(10))
	if err != nil || resp != "226 done" || buf.String() != payload[10:] {
		t.Fatalf("RetrBinary = %q, %v (%d bytes)", resp, err, buf.Len())
	}
	buf.Reset()
	if resp, err := c.RetrBinary(ctx, "RETR g", &buf); err != nil || resp != "226 empty" || buf.Len() != 0 {
		t.Fatalf("second RetrBinary = %q, %v", resp, err)
	}
	c.Close()
	f.wait()
	want := "TYPE I\r\nPASV\r\nREST 10\r\nRETR f\r\nPASV\r\nRETR g\r\n"
	if got := f.received(); got != want {
		t.Errorf("wire = %q, want %q", got, want)
	}
}

func TestRestZeroIsSent(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		s.reply("REST 0", "350 ok")
		s.expect("STOR f")
		dc := s.accept(ln)
		s.send("150 go")
		if got := recvData(t, dc); got != "abc" {
			t.Errorf("stored %q", got)
		}
		s.send("226 stored")
	})
	c := dialFake(t, f, nil)
	if resp, err := c.StorBinary(ctxT(t), "STOR f", strings.NewReader("abc"), Rest(0)); err != nil || resp != "226 stored" {
		t.Fatalf("StorBinary = %q, %v", resp, err)
	}
}

func TestMultiline150And226And2xxFirst(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		s.expect("RETR f")
		dc := s.accept(ln)
		s.send("200 odd server speaks first", "150-Accepted data connection", "150 3 bytes to download")
		sendData(t, dc, "xyz")
		s.send("226-File successfully transferred", "226 0.000 seconds")
		s.reply("NOOP", "200 in step")
	})
	c := dialFake(t, f, nil)
	ctx := ctxT(t)
	var buf bytes.Buffer
	resp, err := c.RetrBinary(ctx, "RETR f", &buf)
	if err != nil || resp != "226-File successfully transferred\n226 0.000 seconds" || buf.String() != "xyz" {
		t.Fatalf("RetrBinary = %q, %v, %q", resp, err, buf.String())
	}
	if _, err := c.Noop(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestTransferRefused(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		s.expect("RETR missing")
		if dc := s.accept(ln); dc != nil {
			dc.Close()
		}
		s.send("550 No such file")
		ln = s.pasv()
		s.expect("RETR weird")
		if dc := s.accept(ln); dc != nil {
			dc.Close()
		}
		s.send("250 a 2xx first", "350 then no 1xx")
		s.reply("NOOP", "200 in step")
	})
	c := dialFake(t, f, nil)
	ctx := ctxT(t)
	_, err := c.RetrBinary(ctx, "RETR missing", io.Discard)
	var e *Error
	if !errors.Is(err, ErrPerm) || !errors.As(err, &e) || e.Code != 550 {
		t.Fatalf("got %v", err)
	}
	_, err = c.RetrBinary(ctx, "RETR weird", io.Discard)
	if !errors.Is(err, ErrReply) || !errors.As(err, &e) || e.Code != 350 {
		t.Fatalf("got %v, want ErrReply for the 350", err)
	}
	if _, err := c.Noop(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestDataCutMidTransfer(t *testing.T) {
	t.Run("426", func(t *testing.T) {
		f := newFake(t, func(s *session) {
			s.send("220 hi")
			s.reply("TYPE I", "200 binary")
			ln := s.pasv()
			s.expect("RETR f")
			dc := s.accept(ln)
			s.send("150 Opening (100 bytes)")
			sendData(t, dc, strings.Repeat("x", 50))
			s.send("426 Connection closed; transfer aborted.")
			s.reply("NOOP", "200 in step")
		})
		c := dialFake(t, f, nil)
		var buf bytes.Buffer
		_, err := c.RetrBinary(ctxT(t), "RETR f", &buf)
		if !errors.Is(err, ErrTemp) {
			t.Fatalf("got %v, want ErrTemp (426)", err)
		}
		if _, err := c.Noop(ctxT(t)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("226 but short", func(t *testing.T) {
		f := newFake(t, func(s *session) {
			s.send("220 hi")
			s.reply("TYPE I", "200 binary")
			ln := s.pasv()
			s.expect("RETR f")
			dc := s.accept(ln)
			s.send("150 Opening BINARY mode data connection for f (100 bytes)")
			sendData(t, dc, strings.Repeat("x", 50))
			s.send("226 done")
			s.reply("NOOP", "200 in step")
		})
		c := dialFake(t, f, nil)
		_, err := c.RetrBinary(ctxT(t), "RETR f", io.Discard)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("got %v, want io.ErrUnexpectedEOF", err)
		}
		if _, err := c.Noop(ctxT(t)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("reset", func(t *testing.T) {
		f := newFake(t, func(s *session) {
			s.send("220 hi")
			s.reply("TYPE I", "200 binary")
			ln := s.pasv()
			s.expect("RETR f")
			dc := s.accept(ln)
			s.send("150 Opening")
			io.WriteString(dc, "partial")
			dc.(*net.TCPConn).SetLinger(0)
			dc.Close() // RST
			s.send("426 broken")
			// The client aborts to stay in step after a read error. The
			// data connection is dialled while RETR is sent, so the reset
			// may also end the connect itself: the client then takes the
			// 426 as the transfer's final reply, with no ABOR.
			if line := s.readLine(); line == "ABOR\r\n" {
				s.send("226 abort ok")
				s.reply("NOOP", "200 in step")
			} else if line == "NOOP\r\n" {
				s.send("200 in step")
			} else {
				t.Errorf("fake: got command %q, want ABOR or NOOP", line)
			}
		})
		c := dialFake(t, f, nil)
		_, err := c.RetrBinary(ctxT(t), "RETR f", io.Discard)
		if err == nil {
			t.Fatal("cut transfer reported success")
		}
		if _, err := c.Noop(ctxT(t)); err != nil {
			t.Fatal(err)
		}
	})
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n -= len(p); w.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestWriterErrorAbortsAndResyncs(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		s.expect("RETR f")
		dc := s.accept(ln)
		s.send("150 go")
		go io.Copy(dc, strings.NewReader(strings.Repeat("y", 1<<20)))
		s.expect("ABOR")
		dc.Close()
		s.send("426 aborted", "226 ABOR ok")
		s.reply("NOOP", "200 in step")
	})
	c := dialFake(t, f, nil)
	_, err := c.RetrBinary(ctxT(t), "RETR f", &failWriter{n: 1000}, BlockSize(100))
	if err == nil || err.Error() != "disk full" {
		t.Fatalf("got %v, want the writer's error", err)
	}
	if _, err := c.Noop(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}

func TestRetrEarlyCloseAborts(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		s.expect("RETR big")
		dc := s.accept(ln)
		s.send("150 go (1048576 bytes)")
		go io.Copy(dc, strings.NewReader(strings.Repeat("z", 1<<20)))
		s.expect("ABOR")
		dc.Close()
		s.send("426 Transfer aborted", "226 Abort successful")
		s.reply("NOOP", "200 in step")
	})
	c := dialFake(t, f, nil)
	ctx := ctxT(t)
	d, err := c.Retr(ctx, "RETR big")
	if err != nil {
		t.Fatal(err)
	}
	if d.Size() != 1<<20 {
		t.Errorf("Size = %d", d.Size())
	}
	if _, err := io.ReadFull(d, make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Noop(ctx); !errors.Is(err, ErrBusy) {
		t.Fatalf("call during transfer: %v, want ErrBusy", err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("early Close: %v", err)
	}
	if d.Reply() != "426 Transfer aborted" {
		t.Errorf("Reply = %q", d.Reply())
	}
	if err := d.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := d.Read(make([]byte, 1)); err == nil {
		t.Fatal("Read after Close succeeded")
	}
	if _, err := c.Noop(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestAbortFromAnotherGoroutine(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		s.expect("RETR big")
		dc := s.accept(ln)
		s.send("150 go")
		go io.Copy(dc, strings.NewReader(strings.Repeat("z", 1<<24)))
		s.expect("ABOR")
		dc.Close()
		s.send("426 Transfer aborted", "226 Abort successful")
		s.reply("NOOP", "200 in step")
	})
	c := dialFake(t, f, nil)
	ctx := ctxT(t)
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := c.RetrBinary(ctx, "RETR big", writerFunc(func(p []byte) (int, error) {
			select {
			case <-started:
			default:
				close(started)
			}
			return len(p), nil
		}))
		done <- err
	}()
	<-started
	resp, err := c.Abort(ctx)
	if err != nil || resp != "426 Transfer aborted" {
		t.Fatalf("Abort = %q, %v", resp, err)
	}
	if err := <-done; err == nil {
		t.Fatal("aborted RetrBinary reported success")
	}
	if _, err := c.Noop(ctx); err != nil {
		t.Fatal(err)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestAbortWithoutTransfer(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("ABOR", "225 No transfer to ABOR")
		s.reply("ABOR", "500 what")
		s.reply("NOOP", "200 in step")
	})
	c := dialFake(t, f, nil)
	ctx := ctxT(t)
	if resp, err := c.Abort(ctx); err != nil || resp != "225 No transfer to ABOR" {
		t.Fatalf("Abort = %q, %v", resp, err)
	}
	if _, err := c.Abort(ctx); !errors.Is(err, ErrProto) {
		t.Fatalf("Abort 500 = %v, want ErrProto", err)
	}
	if _, err := c.Noop(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestNTransferCmdAndVoidResp(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		ln := s.pasv()
		s.expect("REST 5")
		s.send("350 ok")
		s.expect("RETR f")
		dc := s.accept(ln)
		s.send("150 Opening BINARY mode data connection for f (7 bytes)")
		sendData(t, dc, "abcdefg")
		s.send("226 done")
		// Abort after TransferCmd but before VoidResp reads both replies.
		ln = s.pasv()
		s.expect("LIST")
		dc = s.accept(ln)
		s.send("150 here")
		sendData(t, dc, "x\r\n")
		s.send("226 listed")
		s.expect("ABOR")
		s.send("225 nothing to abort")
		s.reply("NOOP", "200 sync") // the client's NOOP after a 2xx to ABOR
		s.reply("NOOP", "200 in step")
	})
	c := dialFake(t, f, nil)
	ctx := ctxT(t)
	conn, size, err := c.NTransferCmd(ctx, "RETR f", Rest(5))
	if err != nil || size != 7 {
		t.Fatalf("NTransferCmd = %v, %d, %v", conn, size, err)
	}
	b, _ := io.ReadAll(conn)
	conn.Close()
	if string(b) != "abcdefg" {
		t.Errorf("data %q", b)
	}
	if resp, err := c.VoidResp(ctx); err != nil || resp != "226 done" {
		t.Fatalf("VoidResp = %q, %v", resp, err)
	}
	conn, err = c.TransferCmd(ctx, "LIST")
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(conn)
	conn.Close()
	if resp, err := c.Abort(ctx); err != nil || resp != "226 listed" {
		t.Fatalf("Abort = %q, %v", resp, err)
	}
	if _, err := c.Noop(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestRetrLinesNlstDir(t *testing.T) {
	long := strings.Repeat("L", 63)
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE A", "200 ascii")
		ln := s.pasv()
		s.expect("NLST a ")
		dc := s.accept(ln)
		s.send("150 list")
		sendData(t, dc, "one\r\ntwo\nthree\r\nlast-no-newline")
		s.send("226 ok")
		ln = s.pasv()
		s.expect("LIST -a x")
		dc = s.accept(ln)
		s.send("125 list")
		sendData(t, dc, "drwx a\r\n"+long+"\r\n")
		s.send("226 ok")
		ln = s.pasv()
		s.expect("RETR long")
		dc = s.accept(ln)
		s.send("150 go")
		go func() { io.WriteString(dc, "ok\r\n"+long+"X\r\nmore\r\n"); dc.Close() }()
		s.expect("ABOR")
		s.send("226 transfer complete", "225 nothing to abort")
		s.reply("NOOP", "200 sync") // the client's NOOP after a 2xx to ABOR
		s.reply("NOOP", "200 in step")
	})
	c := dialFake(t, f, &Dialer{MaxLine: 64})
	ctx := ctxT(t)
	names, err := c.Nlst(ctx, "a", "")
	if err != nil || strings.Join(names, "|") != "one|two|three|last-no-newline" {
		t.Fatalf("Nlst = %q, %v", names, err)
	}
	var lines []string
	err = c.Dir(ctx, func(l string) error { lines = append(lines, l); return nil }, "-a", "", "x")
	if err != nil || len(lines) != 2 || lines[1] != long {
		t.Fatalf("Dir = %q, %v", lines, err)
	}
	_, err = c.RetrLines(ctx, "RETR long", func(string) error { return nil })
	if !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("RetrLines long = %v", err)
	}
	if _, err := c.Noop(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestStorLines(t *testing.T) {
	in := "a\r\nb\nc\rd\r\r\nlast"
	want := "a\r\nb\r\nc\rd\r\r\nlast\r\n"
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE A", "200 ascii")
		ln := s.pasv()
		s.expect("STOR t")
		dc := s.accept(ln)
		s.send("150 go")
		if got := recvData(t, dc); got != want {
			t.Errorf("stored %q, want %q", got, want)
		}
		s.send("226 ok")
		ln = s.pasv()
		s.expect("STOR long")
		dc = s.accept(ln)
		s.send("150 go")
		s.expect("ABOR")
		recvData(t, dc)
		s.send("426 aborted", "226 ok")
		s.reply("NOOP", "200 in step")
	})
	c := dialFake(t, f, &Dialer{MaxLine: 64})
	ctx := ctxT(t)
	var seen []string
	resp, err := c.StorLines(ctx, "STOR t", strings.NewReader(in), OnBlock(func(b []byte) { seen = append(seen, string(b)) }))
	if err != nil || resp != "226 ok" {
		t.Fatalf("StorLines = %q, %v", resp, err)
	}
	if strings.Join(seen, "") != want || len(seen) != 4 {
		t.Errorf("callback saw %q", seen)
	}
	// 64 bytes with the LF is accepted by ftplib's rule; 65 is not.
	_, err = c.StorLines(ctx, "STOR long", strings.NewReader(strings.Repeat("o", 63)+"\n"+strings.Repeat("x", 64)+"\n"))
	if !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("StorLines long = %v", err)
	}
	if _, err := c.Noop(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestStorBinaryBlocks(t *testing.T) {
	data := strings.Repeat("q", 1000)
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		s.expect("APPE f")
		dc := s.accept(ln)
		s.send("150 go")
		if got := recvData(t, dc); got != data {
			t.Errorf("stored %d bytes", len(got))
		}
		s.send("226 ok")
	})
	c := dialFake(t, f, nil)
	var sizes []int
	resp, err := c.StorBinary(ctxT(t), "APPE f", strings.NewReader(data), BlockSize(300), OnBlock(func(b []byte) { sizes = append(sizes, len(b)) }))
	if err != nil || resp != "226 ok" {
		t.Fatalf("StorBinary = %q, %v", resp, err)
	}
	if fmt.Sprint(sizes) != "[300 300 300 100]" {
		t.Errorf("blocks %v", sizes)
	}
}

type failReader struct{ sent bool }

var errSourceBroke = errors.New("source broke")

func (r *failReader) Read(p []byte) (int, error) {
	if !r.sent {
		r.sent = true
		return copy(p, "head"), nil
	}
	return 0, errSourceBroke
}

func TestStorReaderErrorAborts(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		s.expect("STOR f")
		dc := s.accept(ln)
		s.send("150 go")
		s.expect("ABOR")
		recvData(t, dc)
		s.send("426 aborted", "226 ok")
		s.reply("NOOP", "200 in step")
	})
	c := dialFake(t, f, nil)
	_, err := c.StorBinary(ctxT(t), "STOR f", &failReader{})
	if !errors.Is(err, errSourceBroke) {
		t.Fatalf("got %v", err)
	}
	if _, err := c.Noop(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}

func TestStorStreaming(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		s.expect("STOR f")
		dc := s.accept(ln)
		s.send("150 go")
		if got := recvData(t, dc); got != "hello world" {
			t.Errorf("stored %q", got)
		}
		s.send("226 stored")
	})
	c := dialFake(t, f, nil)
	d, err := c.Stor(ctxT(t), "STOR f")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(d, "hello ")
	io.Copy(d, strings.NewReader("world"))
	if err := d.Close(); err != nil || d.Reply() != "226 stored" {
		t.Fatalf("Close = %v, %q", err, d.Reply())
	}
}

func TestPASVForeignAddressIgnored(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		// Advertise an address nobody listens on; listen on the peer.
		ln := s.pasvAt("10.255.255.1", "127.0.0.1")
		s.expect("RETR f")
		dc := s.accept(ln)
		s.send("150 go")
		sendData(t, dc, "safe")
		s.send("226 ok")
	})
	c := dialFake(t, f, nil)
	var buf bytes.Buffer
	if _, err := c.RetrBinary(ctxT(t), "RETR f", &buf); err != nil || buf.String() != "safe" {
		t.Fatalf("RetrBinary = %v, %q", err, buf.String())
	}
}

func TestPASVTrusted(t *testing.T) {
	probe, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skip("127.0.0.2 unavailable")
	}
	probe.Close()
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		ln := s.pasvAt("127.0.0.2", "127.0.0.2")
		if ln == nil {
			return
		}
		defer ln.Close()
		s.reply("NOOP", "200 ok")
	})
	c := dialFake(t, f, &Dialer{TrustPASVAddress: true})
	host, port, err := c.MakePasv(ctxT(t))
	if err != nil || host != "127.0.0.2" || port == 0 {
		t.Fatalf("MakePasv = %q, %d, %v", host, port, err)
	}
	c.SetTrustServerPASVAddress(false)
	if _, err := c.Noop(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}

func TestActiveModeAcceptsOnlyPeer(t *testing.T) {
	probe, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skip("127.0.0.2 unavailable")
	}
	probe.Close()
	foreignClosed := make(chan bool, 1)
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		line := s.readLine()
		if !strings.HasPrefix(line, "PORT 127,0,0,1,") {
			t.Errorf("got %q, want PORT on the control connection's local IP", line)
			return
		}
		addr, err := parsePORT(line)
		if err != nil {
			t.Error(err)
			return
		}
		s.send("200 PORT ok")
		s.expect("RETR f")
		s.send("150 connecting")
		// An intruder from another IP first.
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
		if bad, err := d.Dial("tcp", addr); err == nil {
			bad.SetDeadline(timeNowGuard())
			_, rerr := bad.Read(make([]byte, 1))
			foreignClosed <- rerr != nil
			bad.Close()
		} else {
			foreignClosed <- true
		}
		dc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Error(err)
			return
		}
		sendData(t, dc, "active data")
		s.send("226 ok")
	})
	c := dialFake(t, f, &Dialer{Active: true})
	var buf bytes.Buffer
	if _, err := c.RetrBinary(ctxT(t), "RETR f", &buf); err != nil || buf.String() != "active data" {
		t.Fatalf("RetrBinary = %v, %q", err, buf.String())
	}
	if !<-foreignClosed {
		t.Error("connection from a foreign IP was not closed")
	}
}

func TestEPSVOnIPv6WithFallback(t *testing.T) {
	f := newFakeNet(t, "tcp6", func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.epsv()
		s.expect("RETR a")
		dc := s.accept(ln)
		s.send("150 go")
		sendData(t, dc, "v6")
		s.send("226 ok")
		// Now the server refuses EPSV: PASV is tried, then remembered.
		s.reply("EPSV", "500 EPSV not understood")
		ln = s.pasvAt("127.0.0.1", "::1")
		s.expect("RETR b")
		dc = s.accept(ln)
		s.send("150 go")
		sendData(t, dc, "v4ish")
		s.send("226 ok")
		ln = s.pasvAt("127.0.0.1", "::1")
		s.expect("RETR c")
		dc = s.accept(ln)
		s.send("150 go")
		sendData(t, dc, "again")
		s.send("226 ok")
	})
	c := dialFake(t, f, nil)
	ctx := ctxT(t)
	for _, name := range []string{"a", "b", "c"} {
		if _, err := c.RetrBinary(ctx, "RETR "+name, io.Discard); err != nil {
			t.Fatalf("RETR %s: %v", name, err)
		}
	}
}

func TestActiveIPv6UsesEPRT(t *testing.T) {
	f := newFakeNet(t, "tcp6", func(s *session) {
		s.send("220 hi")
		line := s.readLine()
		if !strings.HasPrefix(line, "EPRT |2|::1|") {
			t.Errorf("got %q", line)
			return
		}
		port := strings.TrimSuffix(strings.TrimPrefix(line, "EPRT |2|::1|"), "|\r\n")
		s.send("200 ok")
		s.expect("LIST")
		s.send("150 here")
		dc, err := net.Dial("tcp", net.JoinHostPort("::1", port))
		if err != nil {
			t.Error(err)
			return
		}
		sendData(t, dc, "x\r\n")
		s.send("226 ok")
	})
	c := dialFake(t, f, nil)
	c.SetPasv(false)
	conn, err := c.TransferCmd(ctxT(t), "LIST")
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(conn)
	conn.Close()
	if _, err := c.VoidResp(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}

func TestFtpcpTrustRule(t *testing.T) {
	src := newFake(t, func(s *session) {
		s.send("220 src")
		s.reply("TYPE I", "200 ok")
		s.reply("PASV", "227 Entering Passive Mode (10,9,8,7,4,1).")
		s.reply("RETR a", "150 sending")
		s.send("226 sent")
	})
	dst := newFake(t, func(s *session) {
		s.send("220 dst")
		s.reply("TYPE I", "200 ok")
		s.reply("PORT 127,0,0,1,4,1", "200 port ok")
		s.reply("STOR b", "150 receiving")
		s.send("226 stored")
	})
	cs := dialFake(t, src, nil)
	cd := dialFake(t, dst, nil)
	if err := Ftpcp(ctxT(t), cs, cd, "a", "b", ""); err != nil {
		t.Fatal(err)
	}
}

func TestFtpcpRefusedRETRAbortsTarget(t *testing.T) {
	src := newFake(t, func(s *session) {
		s.send("220 src")
		s.reply("TYPE A", "200 ok")
		s.reply("PASV", "227 Entering Passive Mode (127,0,0,1,4,1).")
		s.reply("RETR a", "550 nope")
	})
	dst := newFake(t, func(s *session) {
		s.send("220 dst")
		s.reply("TYPE A", "200 ok")
		s.reply("PORT 127,0,0,1,4,1", "200 port ok")
		s.reply("STOR a", "125 receiving")
		s.reply("ABOR", "426 aborted", "226 abort ok")
		s.reply("NOOP", "200 in step")
	})
	cs := dialFake(t, src, nil)
	cd := dialFake(t, dst, nil)
	if err := Ftpcp(ctxT(t), cs, cd, "a", "", "A"); !errors.Is(err, ErrPerm) {
		t.Fatalf("got %v", err)
	}
	if _, err := cd.Noop(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}

func TestBusy(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		s.expect("RETR f")
		dc := s.accept(ln)
		s.send("150 go")
		sendData(t, dc, "data")
		s.send("226 ok")
		s.reply("NOOP", "200 ok")
	})
	c := dialFake(t, f, nil)
	ctx := ctxT(t)
	d, err := c.Retr(ctx, "RETR f")
	if err != nil {
		t.Fatal(err)
	}
	calls := []func() error{
		func() error { _, err := c.Noop(ctx); return err },
		func() error { _, err := c.RetrBinary(ctx, "RETR g", io.Discard); return err },
		func() error { _, err := c.Stor(ctx, "STOR g"); return err },
		func() error { _, _, err := c.MakePasv(ctx); return err },
	}
	for i, call := range calls {
		if err := call(); !errors.Is(err, ErrBusy) {
			t.Errorf("call %d: %v, want ErrBusy", i, err)
		}
	}
	b, err := io.ReadAll(d)
	if err != nil || string(b) != "data" {
		t.Fatalf("ReadAll = %q, %v", b, err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Noop(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestRetrExactSizeNeedsNoAbort(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		s.expect("RETR f")
		dc := s.accept(ln)
		s.send("150 Opening BINARY mode data connection for f (5 bytes)")
		sendData(t, dc, "12345")
		s.send("226 ok")
		s.reply("NOOP", "200 in step")
	})
	c := dialFake(t, f, nil)
	ctx := ctxT(t)
	d, err := c.Retr(ctx, "RETR f")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(d, make([]byte, 5)); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil || d.Reply() != "226 ok" {
		t.Fatalf("Close = %v, %q", err, d.Reply())
	}
	if _, err := c.Noop(ctx); err != nil {
		t.Fatal(err)
	}
	c.Close()
	f.wait()
	if strings.Contains(f.received(), "ABOR") {
		t.Errorf("ABOR sent: %q", f.received())
	}
}

func TestRetrLinesLatin1AndDebug(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE A", "200 ascii")
		ln := s.pasv()
		s.expect("LIST")
		dc := s.accept(ln)
		s.send("150 here")
		sendData(t, dc, "caf\xe9\r\n")
		s.send("226 ok")
	})
	var out bytes.Buffer
	c := dialFake(t, f, &Dialer{Encoding: Latin1, Debug: 3, DebugOutput: &out})
	var lines []string
	if _, err := c.RetrLines(ctxT(t), "LIST", func(l string) error { lines = append(lines, l); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 || lines[0] != "café" {
		t.Fatalf("lines %q", lines)
	}
	if !strings.Contains(out.String(), "*retr* 'café\\n'\n") {
		t.Errorf("debug output lacks *retr*:\n%s", out.String())
	}
}

func TestDataTimeoutAbortsAndStaysInStep(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		s.expect("RETR slow")
		dc := s.accept(ln)
		s.send("150 go")
		// No data: the client's per-operation timeout fires.
		s.expect("ABOR")
		if dc != nil {
			dc.Close()
		}
		s.send("426 aborted", "226 abort ok")
		s.reply("NOOP", "200 in step")
	})
	c := dialFake(t, f, &Dialer{Timeout: 200 * time.Millisecond})
	_, err := c.RetrBinary(ctxT(t), "RETR slow", io.Discard)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("got %v, want a timeout", err)
	}
	if _, err := c.Noop(ctxT(t)); err != nil {
		t.Fatalf("Conn not in step after a data timeout: %v", err)
	}
}

func TestCancelDuringTransferAborts(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		s.expect("RETR slow")
		dc := s.accept(ln)
		s.send("150 go")
		s.expect("ABOR")
		if dc != nil {
			dc.Close()
		}
		s.send("426 aborted", "226 abort ok")
		s.reply("NOOP", "200 in step")
	})
	c := dialFake(t, f, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.RetrBinary(ctx, "RETR slow", io.Discard)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want DeadlineExceeded", err)
	}
	if _, err := c.Noop(ctxT(t)); err != nil {
		t.Fatalf("next call: %v, want the Conn in step after ABOR", err)
	}
}

func TestCancelDuringTransferBreaksConn(t *testing.T) {
	release := make(chan struct{})
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE I", "200 binary")
		ln := s.pasv()
		s.expect("RETR slow")
		dc := s.accept(ln)
		s.send("150 go")
		<-release // ABOR is never answered
		if dc != nil {
			dc.Close()
		}
	})
	defer close(release)
	c := dialFake(t, f, &Dialer{Timeout: 300 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := c.RetrBinary(ctx, "RETR slow", io.Discard)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want Canceled", err)
	}
	if _, err := c.Noop(ctxT(t)); !errors.Is(err, ErrClosed) {
		t.Fatalf("next call: %v, want ErrClosed", err)
	}
}

func TestActiveAcceptTimeoutReadsFinalReply(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		line := s.readLine()
		if !strings.HasPrefix(line, "PORT ") {
			t.Errorf("got %q", line)
			return
		}
		s.send("200 ok")
		s.expect("LIST")
		// Never connects: the client's accept times out, then it reads
		// the final reply so that it stays in step.
		s.send("150 will connect", "425 Can't open data connection")
		s.reply("NOOP", "200 in step")
	})
	c := dialFake(t, f, &Dialer{Active: true, Timeout: time.Second})
	_, err := c.TransferCmd(ctxT(t), "LIST")
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("got %v, want an accept timeout", err)
	}
	if _, err := c.Noop(ctxT(t)); err != nil {
		t.Fatalf("Conn not in step: %v", err)
	}
}

func TestSendPortEPRTMakePasv(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("PORT 10,0,0,1,4,1", "200 ok")
		s.reply("EPRT |2|2001:db8::1|1025|", "200 ok")
		s.reply("EPRT |1|10.0.0.1|21|", "500 no")
		s.reply("PASV", "227 Entering Passive Mode (10,1,2,3,0,99).")
		s.reply("PASV", "500 PASV disabled")
		s.reply("EPSV", "229 ok (|||2021|)")
		s.reply("EPSV", "229 ok (|||2022|)")
	})
	c := dialFake(t, f, nil)
	ctx := ctxT(t)
	if _, err := c.SendPort(ctx, "10.0.0.1", 1025); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendEPRT(ctx, "2001:db8::1", 1025); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendEPRT(ctx, "10.0.0.1", 21); !errors.Is(err, ErrPerm) {
		t.Fatalf("EPRT 500: %v", err)
	}
	host, port, err := c.MakePasv(ctx)
	if err != nil || host != "127.0.0.1" || port != 99 {
		t.Fatalf("MakePasv = %q, %d, %v (the 227 host must be ignored)", host, port, err)
	}
	// PASV refused: EPSV is tried and then used directly.
	if host, port, err = c.MakePasv(ctx); err != nil || host != "127.0.0.1" || port != 2021 {
		t.Fatalf("MakePasv fallback = %q, %d, %v", host, port, err)
	}
	if host, port, err = c.MakePasv(ctx); err != nil || port != 2022 {
		t.Fatalf("MakePasv remembered = %q, %d, %v", host, port, err)
	}
}

func TestFtpcpTrustedSource(t *testing.T) {
	src := newFake(t, func(s *session) {
		s.send("220 src")
		s.reply("TYPE I", "200 ok")
		s.reply("PASV", "227 Entering Passive Mode (10,9,8,7,4,1).")
		s.reply("RETR a", "150 sending")
		s.send("226 sent")
	})
	dst := newFake(t, func(s *session) {
		s.send("220 dst")
		s.reply("TYPE I", "200 ok")
		s.reply("PORT 10,9,8,7,4,1", "200 port ok")
		s.reply("STOR a", "150 receiving")
		s.send("226 stored")
	})
	cs := dialFake(t, src, &Dialer{TrustPASVAddress: true})
	cd := dialFake(t, dst, nil)
	if err := Ftpcp(ctxT(t), cs, cd, "a", "", ""); err != nil {
		t.Fatal(err)
	}
}
