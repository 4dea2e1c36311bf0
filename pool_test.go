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

// TestClientWarm checks that Warm logs in connections in the background
// up to MaxConns, that calls then use them without logging in again, and
// that Close stops a login under way.
func TestClientWarm(t *testing.T) {
	checkLeaks(t)
	c, srv := newTestClient(t, func(c *Client) { c.MaxConns = 3 })
	ctx := testCtx(t)
	c.Warm(ctx, 10)
	for countCmds(srv, "PWD") < 1 || srv.MaxConcurrentConns() < 3 {
		time.Sleep(5 * time.Millisecond)
	}
	if open, peak := c.pool.stats(); open != 3 || peak != 3 {
		t.Errorf("open %d, peak %d after Warm; want 3 and 3", open, peak)
	}
	errs := make(chan error, 3)
	for i := 0; i < 3; i++ {
		go func() {
			_, err := c.Stat(ctx, "/")
			errs <- err
		}()
	}
	for i := 0; i < 3; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := countCmds(srv, "USER"); n != 3 {
		t.Errorf("%d logins, want 3", n)
	}
	// A login that hangs is stopped by Close.
	c2, srv2 := newTestClient(t, nil)
	srv2.AddFault(ftptest.Fault{Command: "PASS", Stall: true})
	c2.Warm(ctx, 1)
	for countCmds(srv2, "PASS") < 1 {
		time.Sleep(5 * time.Millisecond)
	}
	c2.Close()
	if open, _ := c2.pool.stats(); open != 0 {
		t.Errorf("%d connections open after Close", open)
	}
}
