package ftptest

import (
	"sync"
	"sync/atomic"
)

// connStats counts control connections for [Server.OpenConns] and its
// companions. It has its own lock so that counting never waits for the
// server's main lock.
type connStats struct {
	mu    sync.Mutex
	open  int
	max   int
	total int

	// bytes sent (RETR) and received (STOR, APPE, STOU) on data
	// connections, per file path in the served tree.
	sent, received map[string]*atomic.Int64
}

func (c *connStats) opened() {
	c.mu.Lock()
	c.open++
	c.total++
	c.max = max(c.max, c.open)
	c.mu.Unlock()
}

func (c *connStats) closed() {
	c.mu.Lock()
	c.open--
	c.mu.Unlock()
}

// counter returns the byte counter of the file p, for a download or an
// upload; transfers add to it as the bytes move.
func (c *connStats) counter(p string, upload bool) *atomic.Int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := &c.sent
	if upload {
		m = &c.received
	}
	if *m == nil {
		*m = map[string]*atomic.Int64{}
	}
	n := (*m)[p]
	if n == nil {
		n = new(atomic.Int64)
		(*m)[p] = n
	}
	return n
}

// bytes returns the count of the file p (zero if nothing moved).
func (c *connStats) bytes(p string, upload bool) int64 {
	c.mu.Lock()
	m := c.sent
	if upload {
		m = c.received
	}
	n := m[p]
	c.mu.Unlock()
	if n == nil {
		return 0
	}
	return n.Load()
}

// OpenConns returns the number of control connections open now. A
// connection counts from the moment the server accepts it until the
// server has seen its end: QUIT (counted as closed before the 221 reply
// goes out), the end of the client's stream, or the server closing it.
// Data connections are not counted.
func (s *Server) OpenConns() int {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	return s.stats.open
}

// MaxConcurrentConns returns the largest number of control connections
// that were open at the same time since the server started or since the
// last [Server.ResetConnStats], as counted by [Server.OpenConns].
func (s *Server) MaxConcurrentConns() int {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	return s.stats.max
}

// TotalConns returns the number of control connections accepted since
// the server started or since the last [Server.ResetConnStats].
func (s *Server) TotalConns() int {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	return s.stats.total
}

// ResetConnStats sets TotalConns to zero and MaxConcurrentConns to the
// number of connections open now, so that a test can measure one phase
// of its run. The byte counters of [Server.BytesSent] and
// [Server.BytesReceived] are not reset.
func (s *Server) ResetConnStats() {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	s.stats.total = 0
	s.stats.max = s.stats.open
}

// BytesSent returns the number of data bytes the server has written on
// the data connections of RETR commands for the file name (a path
// relative to the root of the served tree, as for [Server.WriteFile]),
// across all sessions, including those of transfers that were cut or
// aborted. A client that resumes an interrupted download with REST makes
// the count equal the file's size; one that starts again from the
// beginning makes it larger by the bytes sent twice. In TYPE A the bytes
// are counted after the conversion to CRLF.
func (s *Server) BytesSent(name string) int64 {
	return s.stats.bytes(vpath("/", name), false)
}

// BytesReceived returns the number of data bytes the server has read on
// the data connections of STOR, APPE and STOU commands that wrote the
// file name (as for [Server.BytesSent]), across all sessions, including
// transfers that were cut or aborted; in TYPE A they are counted before
// the conversion from CRLF.
func (s *Server) BytesReceived(name string) int64 {
	return s.stats.bytes(vpath("/", name), true)
}
