// Package interop holds the tests of package ftp against real FTP servers
// (vsftpd, proftpd, pure-ftpd, pyftpdlib) run by servers.sh on 127.0.0.1.
//
// The tests run only when FTP_INTEROP=1; otherwise they skip, so that
// "go test ./..." passes on a machine without the servers:
//
//	bash interop/servers.sh up
//	FTP_INTEROP=1 go test -race -count=1 ./interop/...
//
// A run writes the result matrix (server x operation) as Markdown to
// $TMPDIR/ftp-interop-matrix.md, and to MATRIX.md in this directory when
// FTP_INTEROP_WRITE_MATRIX=1. The package has no non-test code.
package interop
