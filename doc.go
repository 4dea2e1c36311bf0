// Package ftp is an FTP and FTPS client: a port of Python's ftplib to Go,
// call for call, with context-aware I/O, streaming transfers and listings,
// and typed errors.
//
// It implements RFC 959 (FTP), RFC 2228 (security extensions: AUTH, PBSZ,
// PROT, CCC), RFC 2389 (FEAT and OPTS), RFC 2428 (EPSV and EPRT for IPv6),
// RFC 3659 (SIZE, MDTM, REST in stream mode, MLST and MLSD), RFC 4217
// (FTP over TLS) and RFC 7151 (HOST).
//
// The package depends on the standard library only.
package ftp
