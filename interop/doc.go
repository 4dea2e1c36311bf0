// Package interop holds the tests of package ftp against real FTP servers
// (vsftpd, proftpd, pure-ftpd, pyftpdlib) that servers.sh runs on
// 127.0.0.1; it has no non-test code.
//
// The tests run only when FTP_INTEROP=1; otherwise they skip, so that
// "go test ./..." passes on a machine without the servers:
//
//	bash interop/servers.sh up
//	FTP_INTEROP=1 go test -race -count=1 -run Interop ./interop/...
//
// TestInteropMatrix runs every operation (a row) on every server
// configuration (a column: nine in all, proftpd and pure-ftpd both in clear
// text and with AUTH TLS), each with its own connection and scratch
// directory; where servers differ, the expected behaviour of each is in its
// configuration (config_test.go), and a refusal is asserted as its typed
// error. TestInteropTLS13UploadStress uploads 100 files of 300001 bytes
// over TLS 1.3 to each server that requires session reuse
// (FTP_INTEROP_STRESS changes the count). TestInteropClientStress has 64
// goroutines share one ftp.Client with MaxConns 4 on each configuration
// (500 mixed operations each, FTP_INTEROP_CLIENT_OPS changes the count),
// checking every byte and, from /proc/net/tcp, that the server never holds
// more than 4 of its control connections.
//
// A run writes the matrix as Markdown to $TMPDIR/ftp-interop-matrix.md,
// and to MATRIX.md in this directory when FTP_INTEROP_WRITE_MATRIX=1.
package interop
