package ftp

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// The pool of a Client: up to max logged-in control connections, open
// ones either idle (in idle, most recently used last) or lent to one call.
// Its state is under one mutex. A call that finds no idle connection and
// no free slot queues a waiter; a connection given back, or the slot of
// one thrown away, goes to the first waiter directly, in order.

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

// grant is what a waiter receives: a connection, an error (the pool was
// closed), or neither: the right to dial one in a freed slot.
type grant struct {
	pc  *pconn
	err error
}

type pool struct {
	dial func(ctx context.Context) (*Conn, error)
	max  int
	idle time.Duration // IdleTimeout

	mu      sync.Mutex
	free    []*pconn // idle connections, most recently used last
	open    int      // connections open or being dialled
	waiters []chan grant
	timer   *time.Timer // closes connections idle for too long
	closed  bool
	peak    int // most connections open at once
}

// errClientClosed is returned by the calls of a closed Client.
var errClientClosed = fmt.Errorf("%w: client closed", ErrClosed)

// get returns a logged-in connection: an idle one (checked with NOOP when
// it has been idle for more than noopAfter), a new one when fewer than max
// are open, or the first one given back otherwise, waiting under ctx.
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
		if p.open < p.max {
			p.open++
			if p.open > p.peak {
				p.peak = p.open
			}
			p.mu.Unlock()
			return p.dialSlot(ctx)
		}
		ch := make(chan grant, 1)
		p.waiters = append(p.waiters, ch)
		p.mu.Unlock()
		select {
		case g := <-ch:
			switch {
			case g.err != nil:
				return nil, g.err
			case g.pc == nil:
				return p.dialSlot(ctx)
			}
			return g.pc, nil
		case <-ctx.Done():
			p.mu.Lock()
			queued := false
			for i, w := range p.waiters {
				if w == ch {
					p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
					queued = true
					break
				}
			}
			p.mu.Unlock()
			if !queued {
				// A grant was sent as ctx ended: pass it on.
				switch g := <-ch; {
				case g.pc != nil:
					p.put(g.pc)
				case g.err == nil:
					p.freeSlot()
				}
			}
			return nil, fmt.Errorf("ftp: waiting for a connection: %w", ctx.Err())
		}
	}
}

// dialSlot dials a connection in a slot already counted in p.open, and
// frees the slot when that fails.
func (p *pool) dialSlot(ctx context.Context) (*pconn, error) {
	c, err := p.dial(ctx)
	if err != nil {
		p.freeSlot()
		return nil, err
	}
	return &pconn{c: c}, nil
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
		ch := p.waiters[0]
		p.waiters = p.waiters[1:]
		p.mu.Unlock()
		ch <- grant{pc: pc}
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

// freeSlot hands a slot to the first waiter (which then dials), or
// forgets it.
func (p *pool) freeSlot() {
	p.mu.Lock()
	if len(p.waiters) > 0 && !p.closed {
		ch := p.waiters[0]
		p.waiters = p.waiters[1:]
		p.mu.Unlock()
		ch <- grant{}
		return
	}
	p.open--
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

// close closes the idle connections and makes later calls fail; a
// connection lent to a call is closed when it is given back.
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
	p.mu.Unlock()
	for _, ch := range waiters {
		ch <- grant{err: errClientClosed}
	}
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
