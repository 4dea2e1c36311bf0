package ftptest

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// TestCloseReleasesEverything closes a server whose sessions are in
// every waiting state; Close must return and leave no goroutine behind
// (newServer's cleanup counts them).
func TestCloseReleasesEverything(t *testing.T) {
	s := newServer(t, startTLS, nil)
	s.WriteFile("big", bytes.Repeat([]byte("x"), 1<<20))
	s.AddFault(Fault{Command: "PWD", Stall: true})
	s.AddFault(Fault{Command: "RETR", Nth: 1, StallData: true, CutAfter: 10})
	s.AddFault(Fault{Command: "SYST", Delay: time.Hour})

	stalled := dial(t, s)
	stalled.login()
	stalled.send("PWD")

	delayed := dial(t, s)
	delayed.send("SYST")

	stalledData := dial(t, s)
	stalledData.login()
	d := stalledData.pasv()
	stalledData.expect("RETR big", "150 Opening ASCII mode data connection for big (1048576 bytes).")
	io.ReadFull(d, make([]byte, 10))

	waitingAccept := dial(t, s)
	waitingAccept.login()
	waitingAccept.cmd("PASV")
	waitingAccept.send("LIST") // no reply until a connection comes

	blockedWrite := dial(t, s)
	blockedWrite.login()
	d = blockedWrite.pasv()
	blockedWrite.expect("RETR big", "150 Opening ASCII mode data connection for big (1048576 bytes).")
	// nothing read: the server blocks writing

	upload := dial(t, s)
	upload.login()
	d = upload.pasv()
	upload.expect("STOR part", "150 Ok to send data.")
	d.Write([]byte("partial"))
	for deadline := time.Now().Add(hang); ; time.Sleep(time.Millisecond) {
		if upload.cmd("STAT") == "213 Status: 7 bytes transferred.\r\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("upload bytes never counted")
		}
	}

	midAuth := dial(t, s)
	midAuth.expect("AUTH TLS", "234 Proceed with negotiation.")
	// no ClientHello: the server waits in the handshake

	idle, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()

	done := make(chan struct{})
	go func() {
		s.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(hang):
		t.Fatal("Close did not return")
	}
	for _, c := range []*client{stalled, delayed, stalledData, waitingAccept, blockedWrite, upload, midAuth} {
		c.conn.SetReadDeadline(time.Now().Add(hang))
		if _, err := io.Copy(io.Discard, c.r); err != nil && !isReset(err) {
			t.Errorf("control connection not closed: %v", err)
		}
	}
	if _, err := net.Dial("tcp", s.Addr); err == nil {
		t.Error("still listening after Close")
	}
	if got, _ := s.ReadFile("part"); string(got) != "partial" {
		t.Errorf("interrupted upload stored %q", got)
	}
}
