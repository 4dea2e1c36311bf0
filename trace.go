package ftp

import (
	"context"
	"crypto/tls"
	"net"
	"net/http/httptrace"
	"net/netip"
	"time"
)

// Trace is a set of hooks that follow the steps of an FTP session, carried
// by a context as net/http/httptrace.ClientTrace is: attach it with
// [WithTrace] to the ctx given to [Dialer.Dial], a Conn method, a
// [DataConn] or a [Client] method, and the hooks are called during that
// call (for Retr and Stor, until the DataConn is closed). Every field is
// optional; a nil field, or no Trace at all, costs nothing.
//
// Hooks are called synchronously from the goroutine making the call,
// with these exceptions: a passive data connection is opened while the
// transfer command is sent, so its ConnectStart and ConnectDone (and,
// with some servers, its TLSHandshakeStart and TLSHandshakeDone) come
// from a goroutine of the package, concurrently with CommandSent and
// ReplyReceived; CommandSent for the keepalive NOOPs of
// Dialer.NoopInterval comes from the keepalive goroutine while a
// transfer is open; and Conn.Abort called from another goroutine calls
// the hooks of the ABOR exchange and of the transfer's end from there.
// Hooks must therefore be safe for concurrent use. A Trace shared by
// concurrent calls (a Client used from several goroutines) gets
// concurrent calls of its hooks too. Commands are given with
// the argument of PASS and ACCT masked ("PASS ****"): a hook never sees a
// password.
type Trace struct {
	// DNSStart and DNSDone are called around a host name lookup made by
	// the net.Dialer that opens the control connection or a passive data
	// connection (through net/http/httptrace's hooks, which a DialContext
	// built on net.Dialer honours too). No lookup happens for an IP
	// address.
	DNSStart func(host string)
	DNSDone  func(addrs []net.IPAddr, err error)

	// ConnectStart and ConnectDone are called around the opening of the
	// control connection and of each passive data connection, whatever
	// dials it (net.Dialer, Dialer.DialContext or a proxy). addr is the
	// server's "host:port" (not the proxy's).
	ConnectStart func(addr string)
	ConnectDone  func(addr string, err error)

	// TLSHandshakeStart and TLSHandshakeDone are called around each TLS
	// handshake: data is false for the control connection (AUTH TLS or
	// implicit FTPS), true for a protected data connection.
	// state.DidResume tells whether the handshake resumed a session, as
	// each data connection should (see DESIGN.md, decision 8).
	TLSHandshakeStart func(data bool)
	TLSHandshakeDone  func(data bool, state tls.ConnectionState, err error)

	// CommandSent is called after a command was written to the control
	// connection.
	CommandSent func(cmd string)

	// ReplyReceived is called after each whole reply was read.
	ReplyReceived func(ReplyInfo)

	// DataConnOpened is called when a data connection is ready for a
	// transfer (after its TLS handshake, if any); DataConnClosed when a
	// transfer run through a [DataConn] closed it. A data connection
	// handed to the caller by TransferCmd or NTransferCmd is the
	// caller's to close: only DataConnOpened is called for it.
	DataConnOpened func(DataConnInfo)
	DataConnClosed func(DataConnInfo)

	// TransferDone is called when a transfer run through a [DataConn]
	// (every RetrBinary, StorBinary, RetrLines, StorLines, listing,
	// Retr/Stor and Client transfer) has ended, successfully or not,
	// with its statistics. A Client call that resumed a broken transfer
	// reports each attempt: the later ones have Offset set.
	TransferDone func(TransferStats)

	// Retry is called by a [Client] before it waits to try a call again
	// after a transient failure.
	Retry func(RetryInfo)
}

// ReplyInfo describes a reply read on the control connection.
type ReplyInfo struct {
	// Cmd is the command the reply answers (PASS and ACCT masked), ""
	// for the welcome. A reply to a keepalive NOOP read with a
	// transfer's final reply carries the transfer's command.
	Cmd string
	// Code is the reply code, 0 when the reply does not start with one.
	Code int
	// Text is the whole reply, lines joined by "\n".
	Text string
	// Dur is the time since Cmd was sent (for the welcome, since the
	// control connection was opened).
	Dur time.Duration
}

// DataConnInfo describes a data connection.
type DataConnInfo struct {
	// Cmd is the transfer command it serves (such as "RETR f").
	Cmd string
	// Passive is true for a connection the client opened (PASV, EPSV),
	// false for one the server opened (PORT, EPRT).
	Passive bool
	// Addr is the server's end of the connection, "host:port".
	Addr string
	// TLS is the state of a protected (PROT P) connection, nil for a
	// clear one. TLS.DidResume tells whether its session was resumed.
	TLS *tls.ConnectionState
	// Dur is, when opened, the time from the first command of the
	// transfer's set-up (TYPE, PASV or PORT) until the connection was
	// ready; when closed, the time it was open.
	Dur time.Duration
	// Err is, when closed, the error the transfer ended with, if any.
	Err error
}

// RetryInfo describes a Client call about to be tried again.
type RetryInfo struct {
	Op      string        // the call, as in fs.PathError.Op ("download", "stat", ...)
	Path    string        // the path it was given
	Attempt int           // 1 for the first retry
	Wait    time.Duration // the backoff before it
	Err     error         // the transient failure
}

type traceKey struct{}

// WithTrace returns a copy of ctx that carries t: the calls given that
// ctx call t's hooks. A nil t returns ctx.
func WithTrace(ctx context.Context, t *Trace) context.Context {
	if t == nil {
		return ctx
	}
	return context.WithValue(ctx, traceKey{}, t)
}

// ContextTrace returns the Trace carried by ctx, or nil.
func ContextTrace(ctx context.Context) *Trace {
	t, _ := ctx.Value(traceKey{}).(*Trace)
	return t
}

// netTrace adds t's DNS hooks to ctx for the net.Dialer (through the hooks
// net/http/httptrace installs in the net package) when addr names a host
// to look up.
func netTrace(ctx context.Context, t *Trace, addr string) context.Context {
	if t == nil || (t.DNSStart == nil && t.DNSDone == nil) {
		return ctx
	}
	if host, _, err := net.SplitHostPort(addr); err == nil {
		if _, err := netip.ParseAddr(host); err == nil {
			return ctx
		}
	}
	ct := &httptrace.ClientTrace{}
	if t.DNSStart != nil {
		ct.DNSStart = func(i httptrace.DNSStartInfo) { t.DNSStart(i.Host) }
	}
	if t.DNSDone != nil {
		ct.DNSDone = func(i httptrace.DNSDoneInfo) { t.DNSDone(i.Addrs, i.Err) }
	}
	return httptrace.WithClientTrace(ctx, ct)
}
