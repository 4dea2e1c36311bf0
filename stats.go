package ftp

import (
	"crypto/tls"
	"strconv"
	"time"
)

// TransferStats are the statistics of one transfer run through a
// [DataConn]: [DataConn.Stats] gives them, and so does
// [Trace.TransferDone] for every transfer, including those of a [Client]
// (attach a Trace to the call's ctx to have a call's own statistics,
// whatever other goroutines do with the same Client).
type TransferStats struct {
	// Cmd is the transfer command, such as "RETR f" or "LIST".
	Cmd string
	// Upload is true for STOR, APPE, STOU and the like.
	Upload bool
	// Bytes counts the data moved on the data connection (in ASCII mode,
	// the bytes on the wire, line ends included).
	Bytes int64
	// Offset is the offset the transfer resumed from (REST), 0 without
	// REST or with a marker that is not a number (RestMarker).
	Offset int64
	// Start is when the transfer began (before TYPE and PASV or PORT).
	Start time.Time
	// Duration is the time from Start until the final reply was read, or
	// until now while the transfer is open.
	Duration time.Duration
	// Passive tells the data connection's mode.
	Passive bool
	// TLSVersion is the TLS version of a protected data connection (such
	// as tls.VersionTLS13), 0 for a clear one; TLSResumed tells whether
	// its TLS session was resumed from the control connection's.
	TLSVersion uint16
	TLSResumed bool
	// Reply is the final reply ("" while open; for an aborted transfer,
	// the first reply read after ABOR).
	Reply string
	// Err is what Close returned, nil while open or on success.
	Err error
}

// Rate returns the transfer's throughput in bytes per second, 0 when its
// duration is zero.
func (s TransferStats) Rate() float64 {
	if s.Duration <= 0 {
		return 0
	}
	return float64(s.Bytes) / s.Duration.Seconds()
}

// Stats returns the statistics of the transfer: while it is open, so far
// (call it then from the goroutine that reads or writes the DataConn);
// after Close, final, from any goroutine.
func (d *DataConn) Stats() TransferStats {
	if d.closed.Load() {
		d.statsMu.Lock()
		defer d.statsMu.Unlock()
		if d.done {
			return d.stats
		}
	}
	return d.liveStats()
}

// liveStats builds the statistics from the transfer's state.
func (d *DataConn) liveStats() TransferStats {
	s := TransferStats{
		Cmd:      logCmd(d.cmd),
		Upload:   d.upload,
		Bytes:    d.n.Load(),
		Offset:   d.offset,
		Start:    d.start,
		Duration: time.Since(d.start),
		Passive:  d.passive,
	}
	if d.lr != nil {
		s.Bytes = d.wire.Load()
	}
	if tc, ok := d.conn.(*tls.Conn); ok {
		st := tc.ConnectionState()
		s.TLSVersion, s.TLSResumed = st.Version, st.DidResume
	}
	return s
}

// restOffset returns the offset of a REST argument, 0 for a marker that
// is not a decimal number.
func restOffset(o *transferOpts) int64 {
	if !o.hasRest {
		return 0
	}
	n, err := strconv.ParseInt(o.rest, 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}
