// Package ftp is an FTP and FTPS client: a port of Python's ftplib to Go,
// call for call, with context-aware I/O, streaming transfers and listings,
// and typed errors, plus a pooled, goroutine-safe Client for Go programs.
//
// # Start here
//
// Go programs start with [Client]: one value shared by any number of
// goroutines, naming files by path, keeping a pool of logged-in
// connections, retrying transient failures and resuming broken transfers,
// with FTPS set up from a URL in one step:
//
//	c, err := ftp.NewClient("ftpes://user:secret@ftp.example.com/")
//	if err != nil { ... }
//	defer c.Close()
//	n, err := c.Download(ctx, "reports/q1.csv", w)
//	entries, err := c.ReadDir(ctx, "reports")
//
// Its errors are *fs.PathError values wrapping the server's [*Error], so
// errors.Is(err, fs.ErrNotExist), errors.Is(err, ErrPerm) and errors.As
// all work.
//
// Code ported from Python uses [Conn] (and [FTPS]): Python's ftplib.FTP
// and ftplib.FTP_TLS call for call (Dial, Login, RetrBinary, StorBinary,
// Nlst, Mlsd, ...), sending the commands ftplib sends, with the
// differences the README lists (TYPE is sent only when not known to be in
// force, for one). [Client.Do]
// lends a pooled Conn to a Go program that needs a command Client does
// not cover.
//
// It implements RFC 959 (FTP), RFC 2228 (security extensions: AUTH, PBSZ,
// PROT, CCC), RFC 2389 (FEAT and OPTS), RFC 2428 (EPSV and EPRT for IPv6),
// RFC 3659 (SIZE, MDTM, REST in stream mode, MLST and MLSD), RFC 4217
// (FTP over TLS) and RFC 7151 (HOST), and connects through SOCKS5 proxies
// (RFC 1928, with RFC 1929 credentials) and HTTP CONNECT proxies
// (Dialer.Proxy).
//
// # Observing a session
//
// Beside ftplib's debug text (Dialer.Debug), a [Dialer.Logger] gets
// log/slog records of every command (passwords masked), reply, TLS
// handshake, data connection and transfer, and a [Trace] attached to a
// call's ctx with [WithTrace] gets hooks for the same steps, including
// each transfer's [TransferStats] (also given by [DataConn.Stats]).
//
// The package depends on the standard library only.
package ftp
