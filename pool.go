package ftp

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// The pool of a Client: up to max logged-in control connections, open
// ones either idle (in idle, most recently used last), lent to one call,
// or being dialled. Its state is under one mutex. A call that finds no
// idle connection queues a waiter, after starting a dial in the
// background when a slot is free; a connection given back or newly logged
// in goes to the first waiter directly, in order. So a call is not tied to
// the login it started: it takes whichever connection is ready first, and
// a login that ends after its caller was served (or gave up) leaves an
// idle connection for the next call. A failed dial gives its error to the
// first waiter; when a slot is freed (a dial failed, a connection was
// thrown away) and more calls wait than dials are under way, another dial
// starts in it.

// noopAfter is how long a connection may sit idle before it is checked
// with NOOP when it is taken from the pool.
var noopAfter = 5 * time.Second

// noopWait bounds the wait for the reply to that NOOP.
const noopWait = 5 * time.Second

// pconn is one pooled control connection.
type pconn struct {
	c    *Conn
	used time.Time // when it was last given back
}

// grant is what a waiter receives: a connection, or an error (a dial
// failed, or the pool was closed).
type grant struct {
	pc  *pconn
	err error
}

// waiter is a call waiting for a connection. ctx is its context, whose
// values (and deadline) a dial started for it uses.
type waiter struct {
	ch  chan grant
	ctx context.Context
}

type pool struct {
	dial func(ctx context.Context) (*Conn, error)
	max  int
	idle time.Duration // IdleTimeout
	// stale, when set, is told of an idle connection that failed its
	// NOOP check (log.go): the call goes on with another one.
	stale func(ctx context.Context, err error)

	mu      sync.Mutex
	free    []*pconn // idle connections, most recently used last
	open    int      // connections open or being dialled
	dialing int      // dials under way (counted in open)
	waiters []*waiter
	timer   *time.Timer // closes connections idle for too long
	closed  bool
	peak    int // most connections open at once

	life  context.Context // ended by close: stops the dials under way
	end   context.CancelFunc
	dials sync.WaitGroup // the dials under way
}

// errClientClosed is returned by the calls of a closed Client.
var errClientClosed = fmt.Errorf("%w: client closed", ErrClosed)

// get returns a logged-in connection: an idle one (checked with NOOP when
// it has been idle for more than noopAfter), else the first one ready,
// waiting under ctx: a connection given back, or one dialled in the
// background (a dial starts when fewer than max are open).
func (p *pool) get(ctx context.Context) (*pconn, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("ftp: %w", err)
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, errClientClosed
		}
		if n := len(p.free); n > 0 {
			pc := p.free[n-1]
			p.free[n-1] = nil
			p.free = p.free[:n-1]
			p.mu.Unlock()
			if p.healthy(ctx, pc) {
				return pc, nil
			}
			p.discard(pc)
			continue
		}
		w := &waiter{ch: make(chan grant, 1), ctx: ctx}
		p.waiters = append(p.waiters, w)
		if p.open < p.max {
			p.open++
			if p.open > p.peak {
				p.peak = p.open
			}
			p.startDial(ctx)
		}
		p.mu.Unlock()
		select {
		case g := <-w.ch:
			if g.err != nil {
				return nil, g.err
			}
			return g.pc, nil
		case <-ctx.Done():
			p.mu.Lock()
			queued := false
			for i, x := range p.waiters {
				if x == w {
					p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
					queued = true
					break
				}
			}
			p.mu.Unlock()
			if !queued {
				// A grant was sent as ctx ended: pass a connection on.
				if g := <-w.ch; g.pc != nil {
					p.put(g.pc)
				}
			}
			return nil, fmt.Errorf("ftp: waiting for a connection: %w", ctx.Err())
		}
	}
}

// startDial dials a connection in the background, in a slot already
// counted in p.open, with the values and deadline of ctx (not its
// cancellation: the caller may be served by another connection and go,
// and the login is then kept for the next call); close stops it. The
// connection goes to the first waiter, or to the idle list. p.mu is held.
func (p *pool) startDial(ctx context.Context) {
	if p.life == nil {
		p.life, p.end = context.WithCancel(context.Background())
	}
	p.dialing++
	p.dials.Add(1)
	dctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	if dl, ok := ctx.Deadline(); ok {
		dctx, cancel = context.WithDeadline(context.WithoutCancel(ctx), dl)
	}
	unhook := context.AfterFunc(p.life, cancel)
	go func() {
		defer p.dials.Done()
		defer cancel()
		defer unhook()
		c, err := p.dial(dctx)
		p.mu.Lock()
		p.dialing--
		p.mu.Unlock()
		if err != nil {
			p.dialFailed(err)
			return
		}
		p.put(&pconn{c: c})
	}()
}

// dialFailed gives the error of a dial to the first waiter, and frees the
// dial's slot, or dials again in it when more calls wait than dials are
// under way.
func (p *pool) dialFailed(err error) {
	p.mu.Lock()
	if !p.closed && len(p.waiters) > 0 {
		w := p.waiters[0]
		p.waiters = p.waiters[1:]
		w.ch <- grant{err: err}
	}
	p.refillLocked()
	p.mu.Unlock()
}

// refillLocked uses a freed slot: a new dial when more calls wait than
// dials are under way, else the slot is forgotten. p.mu is held.
func (p *pool) refillLocked() {
	if !p.closed && len(p.waiters) > p.dialing {
		p.startDial(p.waiters[p.dialing].ctx)
		return
	}
	p.open--
}

// healthy checks an idle connection before it is lent: it must not be
// closed or broken, and one idle for more than noopAfter must answer NOOP.
func (p *pool) healthy(ctx context.Context, pc *pconn) bool {
	if !pc.c.reusable() {
		return false
	}
	if p.idle > 0 && time.Since(pc.used) >= p.idle {
		return false
	}
	if time.Since(pc.used) < noopAfter {
		return true
	}
	nctx, cancel := context.WithTimeout(ctx, noopWait)
	defer cancel()
	_, err := pc.c.Noop(nctx)
	if err != nil && p.stale != nil {
		p.stale(ctx, err)
	}
	return err == nil
}

// put gives a connection back: to the first waiter, or to the idle list.
func (p *pool) put(pc *pconn) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		p.discard(pc)
		return
	}
	if len(p.waiters) > 0 {
		w := p.waiters[0]
		p.waiters = p.waiters[1:]
		p.mu.Unlock()
		w.ch <- grant{pc: pc}
		return
	}
	pc.used = time.Now()
	p.free = append(p.free, pc)
	if p.idle > 0 && p.timer == nil {
		p.timer = time.AfterFunc(p.idle, p.sweep)
	}
	p.mu.Unlock()
}

// discard closes a connection that must not be used again and frees its
// slot.
func (p *pool) discard(pc *pconn) {
	pc.c.Close()
	p.freeSlot()
}

// freeSlot frees the slot of a connection closed: a waiting call gets a
// new dial in it (see refillLocked).
func (p *pool) freeSlot() {
	p.mu.Lock()
	p.refillLocked()
	p.mu.Unlock()
}

// sweep closes the connections idle for IdleTimeout or more, and runs
// again while idle connections remain.
func (p *pool) sweep() {
	p.mu.Lock()
	p.timer = nil
	if p.closed {
		p.mu.Unlock()
		return
	}
	now := time.Now()
	var old []*pconn
	keep := p.free[:0]
	var next time.Duration
	for _, pc := range p.free {
		if age := now.Sub(pc.used); age >= p.idle {
			old = append(old, pc)
		} else {
			keep = append(keep, pc)
			if left := p.idle - age; next == 0 || left < next {
				next = left
			}
		}
	}
	for i := len(keep); i < len(p.free); i++ {
		p.free[i] = nil
	}
	p.free = keep
	if len(keep) > 0 {
		p.timer = time.AfterFunc(next, p.sweep)
	}
	p.mu.Unlock()
	for _, pc := range old {
		quit(pc.c)
		p.freeSlot()
	}
}

// close stops the dials under way, closes the idle connections and makes
// later calls fail; a connection lent to a call is closed when it is
// given back.
func (p *pool) close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	free := p.free
	p.free = nil
	waiters := p.waiters
	p.waiters = nil
	p.open -= len(free)
	if p.end != nil {
		p.end()
	}
	p.mu.Unlock()
	for _, w := range waiters {
		w.ch <- grant{err: errClientClosed}
	}
	// The dials under way stop; a connection one of them completed
	// anyway is closed by put.
	p.dials.Wait()
	var wg sync.WaitGroup
	for _, pc := range free {
		wg.Add(1)
		go func() {
			defer wg.Done()
			quit(pc.c)
		}()
	}
	wg.Wait()
}

// quit ends a connection politely (QUIT, briefly waited for), then
// closes it.
func quit(c *Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, _ = c.Quit(ctx)
	c.Close()
}

// stats returns the number of open connections and the most ever open.
func (p *pool) stats() (open, peak int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.open, p.peak
}

// warm starts dials in the background until n connections are open or
// being dialled (at most max), with ctx's values and deadline. It returns
// how many it started.
func (p *pool) warm(ctx context.Context, n int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	started := 0
	for !p.closed && p.open < min(n, p.max) {
		p.open++
		if p.open > p.peak {
			p.peak = p.open
		}
		p.startDial(ctx)
		started++
	}
	return started
}
