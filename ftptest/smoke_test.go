package ftptest

import "testing"

func TestSmoke(t *testing.T) {
	s := newServer(t, startPlain, nil)
	s.WriteFile("a.txt", []byte("hello\n"))
	c := dial(t, s)
	c.login()
	c.expect("TYPE I", "200 Switching to Binary mode.")
	d := c.pasv()
	c.expect("RETR a.txt", "150 Opening BINARY mode data connection for a.txt (6 bytes).")
	if got := string(readAll(t, d)); got != "hello\n" {
		t.Errorf("got %q", got)
	}
	c.want("226 Transfer complete.")
	c.expect("QUIT", "221 Goodbye.")
}
