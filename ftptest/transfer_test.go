package ftptest

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func TestRetrStor(t *testing.T) {
	for _, mode := range []string{"PASV", "EPSV", "PORT", "EPRT"} {
		t.Run(mode, func(t *testing.T) {
			s := newServer(t, startPlain, nil)
			fixture(t, s)
			c := dial(t, s)
			c.login()
			// open returns the data connection for the next command; for
			// active modes it is accepted after the command is sent.
			open := func(line, prelim string) net.Conn {
				t.Helper()
				var conn net.Conn
				switch mode {
				case "PASV":
					conn = c.pasv()
				case "EPSV":
					conn = c.epsv()
				default:
					accept := c.active(mode == "EPRT")
					c.send(line)
					conn = accept()
					c.want(prelim)
					return conn
				}
				c.expect(line, prelim)
				return conn
			}

			// TYPE A: bare LF becomes CRLF, CRLF stays.
			d := open("RETR a.txt", "150 Opening ASCII mode data connection for a.txt (17 bytes).")
			if got := string(readAll(t, d)); got != "one\r\ntwo\r\nthree\r\n" {
				t.Errorf("RETR TYPE A: %q", got)
			}
			c.want("226 Transfer complete.")
			c.expect("TYPE I", "200 Switching to Binary mode.")
			d = open("RETR a.txt", "150 Opening BINARY mode data connection for a.txt (15 bytes).")
			if got := string(readAll(t, d)); got != "one\ntwo\r\nthree\n" {
				t.Errorf("RETR TYPE I: %q", got)
			}
			c.want("226 Transfer complete.")
			c.expect("REST 4", "350 Restart position accepted (4).")
			d = open("RETR a.txt", "150 Opening BINARY mode data connection for a.txt (11 bytes).")
			if got := string(readAll(t, d)); got != "two\r\nthree\n" {
				t.Errorf("RETR after REST: %q", got)
			}
			c.want("226 Transfer complete.")

			// Uploads.
			upload := func(line, prelim, data string) {
				t.Helper()
				d := open(line, prelim)
				io.WriteString(d, data)
				d.Close()
				c.want("226 Transfer complete.")
			}
			upload("STOR new file.bin", "150 Ok to send data.", "a\r\nb\n")
			upload("APPE new file.bin", "150 Ok to send data.", "+tail")
			c.expect("REST 2", "350 Restart position accepted (2).")
			upload("STOR new file.bin", "150 Ok to send data.", "XY")
			if got, _ := s.ReadFile("new file.bin"); string(got) != "a\rXY" {
				t.Errorf("after STOR/APPE/REST+STOR: %q", got)
			}
			c.expect("TYPE A", "200 Switching to ASCII mode.")
			upload("STOR text.txt", "150 Ok to send data.", "x\r\ny\r\r\nz\r")
			if got, _ := s.ReadFile("text.txt"); string(got) != "x\ny\r\nz\r" {
				t.Errorf("STOR TYPE A: %q", got)
			}
			c.expect("TYPE I", "200 Switching to Binary mode.")
			upload("STOU", "150 FILE: ftptest.upload", "u1")
			upload("STOU", "150 FILE: ftptest.upload.1", "u2")
			upload("STOU dir/b.bin", "150 FILE: b.bin.1", "u3")
			if got, _ := s.ReadFile("dir/b.bin.1"); string(got) != "u3" {
				t.Errorf("STOU: %q", got)
			}
			if got, _ := s.ReadFile("dir/b.bin"); string(got) != "\x00\x01\x02" {
				t.Errorf("STOU overwrote: %q", got)
			}

			// Listings.
			for _, name := range []string{"ftptest.upload", "ftptest.upload.1", "new file.bin", "text.txt", "dir/b.bin.1"} {
				s.SetModTime(name, stamp)
			}
			list := func(line, prelim, want string) {
				t.Helper()
				d := open(line, prelim)
				if got := string(readAll(t, d)); got != want {
					t.Errorf("%s:\n got %q\nwant %q", line, got, want)
				}
				c.want("226 Directory send OK.")
			}
			const here = "150 Here comes the directory listing."
			list("NLST", here, "a.txt\r\ndir\r\nfile with spaces.txt\r\nftptest.upload\r\nftptest.upload.1\r\nnaïve;x.txt\r\nnew file.bin\r\ntext.txt\r\n")
			list("NLST dir", here, "dir/b.bin\r\ndir/b.bin.1\r\n")
			list("NLST a.txt", here, "a.txt\r\n")
			list("LIST dir", here,
				"-rw-r--r--    1 ftp      ftp             3 Jan 02  2024 b.bin\r\n"+
					"-rw-r--r--    1 ftp      ftp             2 Jan 02  2024 b.bin.1\r\n")
			list("LIST -la /dir/b.bin", here, "-rw-r--r--    1 ftp      ftp             3 Jan 02  2024 b.bin\r\n")
			c.expect("CWD dir", "250 Directory successfully changed.")
			list("MLSD", here,
				"type=file;size=3;modify=20240102030405;perm=adfrw;unique=ebf77fbba0beabeb; b.bin\r\n"+
					"type=file;size=2;modify=20240102030405;perm=adfrw;unique=3c1d63132862de4a; b.bin.1\r\n")
			c.expect("OPTS MLST type;modify;", "200 MLST OPTS type;modify;")
			list("MLSD /", here,
				"type=file;modify=20240102030405; a.txt\r\n"+
					"type=dir;modify=20240102030405; dir\r\n"+
					"type=file;modify=20240102030405; file with spaces.txt\r\n"+
					"type=file;modify=20240102030405; ftptest.upload\r\n"+
					"type=file;modify=20240102030405; ftptest.upload.1\r\n"+
					"type=file;modify=20240102030405; naïve;x.txt\r\n"+
					"type=file;modify=20240102030405; new file.bin\r\n"+
					"type=file;modify=20240102030405; text.txt\r\n")
			c.expect("QUIT", "221 Goodbye.")

			ts := s.Transfers()
			if len(ts) != 17 {
				t.Fatalf("%d transfers logged: %+v", len(ts), ts)
			}
			if ts[0].Command != "RETR a.txt" || ts[0].Bytes != 17 || ts[0].Aborted || ts[0].TLS || ts[0].Active != (mode == "PORT" || mode == "EPRT") {
				t.Errorf("transfer 0: %+v", ts[0])
			}
		})
	}
}

func TestDataErrors(t *testing.T) {
	s := newServer(t, startPlain, nil)
	fixture(t, s)
	c := dial(t, s)
	c.login()
	for _, cmd := range []string{"RETR a.txt", "STOR x", "APPE x", "STOU", "LIST", "NLST", "MLSD"} {
		c.expect(cmd, "425 Use PORT or PASV first.")
	}
	c.pasv()
	c.expect("RETR nope", "550 Failed to open file.")
	c.expect("RETR nope", "425 Use PORT or PASV first.") // the PASV was used up
	c.pasv()
	c.expect("RETR dir", "550 Failed to open file.")
	c.pasv()
	c.expect("STOR nodir/x", "553 Could not create file.")
	c.pasv()
	c.expect("STOR dir", "553 Could not create file.")
	c.pasv()
	c.expect("LIST nope", "550 No such file or directory.")
	c.pasv()
	c.expect("MLSD a.txt", "501 Not a directory.")
	c.expect("MLSD", "425 Use PORT or PASV first.")
	// A PASV that nobody connects to: ABOR gives it up.
	c.cmd("PASV")
	c.expect("ABOR", "225 No transfer to ABOR.")
	c.expect("RETR a.txt", "425 Use PORT or PASV first.")

	// Bounce guard and syntax.
	c.expect("PORT 10,0,0,1,4,1", "500 Illegal PORT command.")
	c.expect("PORT 127,0,0,1,0,0", "500 Illegal PORT command.")
	c.expect("PORT 127,0,0,1,4", "501 Syntax error in parameters or arguments.")
	c.expect("PORT 127,0,0,1,4,256", "501 Syntax error in parameters or arguments.")
	c.expect("EPRT |1|10.0.0.1|1025|", "500 Illegal EPRT command.")
	c.expect("EPRT |2|::1|1025|", "522 Network protocol not supported, use (1)")
	c.expect("EPRT |3|x|1|", "522 Network protocol not supported, use (1)")
	c.expect("EPRT |1|::1|1025|", "501 Syntax error in parameters or arguments.")
	c.expect("EPRT |1|127.0.0.1|1025", "501 Syntax error in parameters or arguments.")
	c.expect("EPRT x", "501 Syntax error in parameters or arguments.")
	c.expect("EPSV 2", "522 Network protocol not supported, use (1)")
	c.expect("EPSV x", "501 Syntax error in parameters or arguments.")
	if r := c.cmd("EPSV 1"); !epsvRE.MatchString(r) {
		t.Errorf("EPSV 1: %q", r)
	}
	c.expect("EPSV ALL", "200 EPSV ALL ok.")
	c.expect("PASV", "503 EPSV ALL in effect; use EPSV.")
	c.expect("PORT 127,0,0,1,4,1", "503 EPSV ALL in effect; use EPSV.")
	c.expect("EPRT |1|127.0.0.1|1025|", "503 EPSV ALL in effect; use EPSV.")
	d := c.epsv()
	c.expect("RETR a.txt", "150 Opening ASCII mode data connection for a.txt (17 bytes).")
	readAll(t, d)
	c.want("226 Transfer complete.")

	// An active connection nobody listens on.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	c2 := dial(t, s)
	c2.login()
	c2.expect(fmt.Sprintf("PORT 127,0,0,1,%d,%d", port>>8, port&255), "200 PORT command successful. Consider using PASV.")
	c2.expect("RETR a.txt", "425 Failed to establish connection.")
}

// TestAbort aborts a transfer held open by a fault, with a plain ABOR
// and with the telnet IP/DM prefix clients send as urgent data.
func TestAbort(t *testing.T) {
	s := newServer(t, startPlain, nil)
	s.WriteFile("big", bytes.Repeat([]byte("x"), 1<<16))
	s.AddFault(Fault{Command: "RETR", StallData: true, CutAfter: 1000})
	s.AddFault(Fault{Command: "STOR", StallData: true, CutAfter: 0})
	c := dial(t, s)
	c.login()
	c.expect("TYPE I", "200 Switching to Binary mode.")
	for _, abor := range []string{"ABOR", "\xff\xf4\xff\xf2ABOR"} {
		d := c.pasv()
		c.expect("RETR big", "150 Opening BINARY mode data connection for big (65536 bytes).")
		buf := make([]byte, 1000)
		d.SetReadDeadline(time.Now().Add(hang))
		if _, err := io.ReadFull(d, buf); err != nil {
			t.Fatal(err)
		}
		c.expect("NOOP", "200 NOOP ok.")
		c.expect("STAT", "213 Status: 1000 bytes transferred.")
		c.send("PWD") // queued until the transfer ends
		c.expect(abor, "426 Failure writing network stream.")
		c.want("226 ABOR successful.")
		c.want(`257 "/" is the current directory`)
		if n, err := d.Read(buf); err == nil {
			t.Errorf("data connection still open after ABOR: read %d", n)
		}
	}
	d := c.pasv()
	c.expect("STOR up", "150 Ok to send data.")
	d.Write([]byte("data"))
	c.expect("ABOR", "426 Failure reading network stream.")
	c.want("226 ABOR successful.")
	c.expect("ABOR", "225 No transfer to ABOR.")
	ts := s.Transfers()
	if len(ts) != 3 || !ts[0].Aborted || !ts[2].Aborted || ts[0].Bytes != 1000 || ts[2].Bytes != 0 {
		t.Errorf("transfers: %+v", ts)
	}
	// QUIT during a transfer waits for it.
	s.ClearFaults()
	d = c.pasv()
	c.expect("RETR big", "150 Opening BINARY mode data connection for big (65536 bytes).")
	c.send("QUIT")
	if got := readAll(t, d); len(got) != 1<<16 {
		t.Errorf("read %d bytes", len(got))
	}
	c.want("226 Transfer complete.")
	c.want("221 Goodbye.")
	c.eof()
}

// TestUrgentAbort sends ABOR as TCP urgent data, as Python's ftplib does
// (sendall(b"ABOR\r\n", MSG_OOB)).
func TestUrgentAbort(t *testing.T) {
	if !canSendOOB {
		t.Skip("no MSG_OOB on this platform")
	}
	s := newServer(t, startPlain, nil)
	s.WriteFile("big", bytes.Repeat([]byte("x"), 1<<16))
	s.AddFault(Fault{Command: "RETR", StallData: true, CutAfter: 10})
	c := dial(t, s)
	c.login()
	d := c.pasv()
	c.expect("RETR big", "150 Opening ASCII mode data connection for big (65536 bytes).")
	if err := sendOOB(c.conn, []byte("ABOR\r\n")); err != nil {
		t.Fatal(err)
	}
	c.want("426 Failure writing network stream.")
	c.want("226 ABOR successful.")
	c.expect("NOOP", "200 NOOP ok.")
	readAll(t, d)
	if log := s.Commands(); log[len(log)-2] != "ABOR" {
		t.Errorf("log: %q", log)
	}
}

func TestIPv6(t *testing.T) {
	if ln, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skip("no IPv6 loopback:", err)
	} else {
		ln.Close()
	}
	s := newServer(t, startPlain, func(s *Server) { s.IPv6 = true })
	if !strings.HasPrefix(s.Addr, "[::1]:") {
		t.Fatalf("Addr %q", s.Addr)
	}
	fixture(t, s)
	c := dial(t, s)
	c.login()
	c.expect("PASV", "502 PASV is IPv4 only; use EPSV.")
	c.expect("PORT 127,0,0,1,4,1", "502 PORT is IPv4 only; use EPRT.")
	c.expect("EPSV 1", "522 Network protocol not supported, use (2)")
	c.expect("EPRT |1|127.0.0.1|1025|", "522 Network protocol not supported, use (2)")
	c.expect("EPRT |2|::2|1025|", "500 Illegal EPRT command.")
	c.expect("TYPE I", "200 Switching to Binary mode.")
	d := c.epsv()
	c.expect("RETR a.txt", "150 Opening BINARY mode data connection for a.txt (15 bytes).")
	if got := string(readAll(t, d)); got != "one\ntwo\r\nthree\n" {
		t.Errorf("got %q", got)
	}
	c.want("226 Transfer complete.")
	accept := c.active(true)
	c.expect("STOR up", "150 Ok to send data.")
	d = accept()
	d.Write([]byte("v6"))
	d.Close()
	c.want("226 Transfer complete.")
	if got, _ := s.ReadFile("up"); string(got) != "v6" {
		t.Errorf("got %q", got)
	}
	c.expect("STAT", "211-FTP server status:\n     Connected to ::1\n     Logged in as user\n     TYPE: BINARY\n     Data protection: Clear\n211 End of status")
}

func TestConcurrentSessions(t *testing.T) {
	s := newServer(t, startPlain, nil)
	const n = 20
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			errs <- func() (err error) {
				defer func() {
					if r := recover(); r != nil {
						err = fmt.Errorf("%v", r)
					}
				}()
				c := dial(&fatalTB{TB: t}, s)
				c.login()
				c.expect("TYPE I", "200 Switching to Binary mode.")
				name := fmt.Sprintf("f%d", i)
				data := bytes.Repeat([]byte{byte(i)}, 100000+i)
				d := c.pasv()
				c.expect("STOR "+name, "150 Ok to send data.")
				d.Write(data)
				d.Close()
				c.want("226 Transfer complete.")
				d = c.pasv()
				c.expect("RETR "+name, fmt.Sprintf("150 Opening BINARY mode data connection for %s (%d bytes).", name, len(data)))
				if got := readAll(c.t, d); !bytes.Equal(got, data) {
					return fmt.Errorf("%s: read back %d bytes", name, len(got))
				}
				c.want("226 Transfer complete.")
				c.expect("QUIT", "221 Goodbye.")
				return nil
			}()
		}()
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// fatalTB turns Fatal and Error into panics, for helpers used on
// goroutines other than the test's.
type fatalTB struct{ testing.TB }

func (f *fatalTB) Fatal(args ...any)                 { panic(fmt.Sprint(args...)) }
func (f *fatalTB) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (f *fatalTB) Errorf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (f *fatalTB) Helper()                           {}
