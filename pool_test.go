package ftp

import (
	"errors"
	"testing"
	"time"

	"github.com/ftplib-go/ftp/ftptest"
)

// TestPoolCallNotTiedToItsDial checks that a call which started a dial
// takes the first connection ready: the second login hangs (the server
// never answers its PASS), and the call that started it is served by the
// connection given back meanwhile. Close then stops the hung login.
func TestPoolCallNotTiedToItsDial(t *testing.T) {
	checkLeaks(t)
	c, srv := newTestClient(t, func(c *Client) { c.MaxConns = 2 })
	ctx := testCtx(t)
	srv.WriteFile("f", []byte("abc"))
	r, err := c.Open(ctx, "f") // holds the first connection
	if err != nil {
		t.Fatal(err)
	}
	srv.AddFault(ftptest.Fault{Command: "PASS", Nth: 1, Stall: true})
	done := make(chan error, 1)
	go func() {
		_, err := c.Stat(ctx, "f")
		done <- err
	}()
	// The second connection's login has reached PASS: the Stat waits.
	for countCmds(srv, "PASS") < 2 {
		select {
		case err := <-done:
			t.Fatalf("Stat returned before a connection was free: %v", err)
		default:
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.Close()
	if err := <-done; err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if open, peak := c.pool.stats(); open != 2 || peak != 2 {
		t.Errorf("open %d, peak %d; want 2 and 2 (one idle, one logging in)", open, peak)
	}
	c.Close()
	if open, _ := c.pool.stats(); open != 0 {
		t.Errorf("%d connections open after Close", open)
	}
}

// TestPoolDialErrorReachesWaiter checks that a failed login is the error
// of the call waiting, and that every call waiting gets a dial of its own
// when logins keep failing: none waits for ever.
func TestPoolDialErrorReachesWaiter(t *testing.T) {
	checkLeaks(t)
	c, srv := newTestClient(t, func(c *Client) { c.MaxConns = 1; c.MaxRetries = -1 })
	ctx := testCtx(t)
	srv.AddFault(ftptest.Fault{Command: "PASS", Reply: "530 Login incorrect."})
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		go func() {
			_, err := c.Stat(ctx, "/")
			errs <- err
		}()
	}
	for i := 0; i < 4; i++ {
		if err := <-errs; !errors.Is(err, ErrPerm) {
			t.Errorf("Stat with a refused login: %v, want the 530", err)
		}
	}
	if open, peak := c.pool.stats(); open != 0 || peak != 1 {
		t.Errorf("open %d, peak %d; want 0 and 1", open, peak)
	}
}
