package interop

// serverVersions names the servers behind the matrix's columns.
const serverVersions = "Debian 12: vsftpd 3.0.3, proftpd 1.3.8, pure-ftpd 1.0.50, pyftpdlib 1.5.7, " +
	"GNU inetutils ftpd 2.4, netkit ftpd-ssl 0.17, Twisted 22.4 (UTF-8 names)"

// notRun closes MATRIX.md: the configurations that cannot be run here,
// and why.
const notRun = `
## Configurations that cannot run

- **netkit-ftpd with TLS** (Debian's ftpd-ssl 0.17.36+really0.17-2): it answers
  ` + "`AUTH TLS`" + ` with ` + "`234 AUTH TLS OK.`" + `, then fails every handshake with a
  handshake_failure alert (` + "`421 ftpd: SSL_accept error`" + `, session closed): the
  daemon never loads a certificate. Its start-up code loads the certificate
  (` + "`-z cert=`" + `, default ` + "`/etc/ftpd-ssl/ftpd.pem`" + `) only when a flag is set that is
  set by a successful ` + "`SSL_accept`" + `, so no option or file makes TLS work (seen
  with strace: no certificate file is ever opened). Its plain configuration is
  the netkit-ftpd column.

- **ftp-srv** (Node, 4.6.3 from the npm registry, on Node.js 20): ` + "`servers.sh up ftp-srv ftp-srv-implicit`" + `
  runs it (ports 2181 plain, 2182 implicit TLS), but it is not a column: the
  default ` + "`up`" + ` leaves it out and the tests do not list it. Against the
  plain configuration the matrix found, besides refusals the tests can
  assert (no EPSV or REST STREAM in FEAT, 502 for MLSD/MLST/MFMT, SIZE of a
  directory answered): ABOR during a download is never answered (the control
  socket is paused while a transfer runs), so a client closing a download
  early waits for its timeout and loses the connection; REST + STOR
  truncates the file and writes the rest at the offset, leaving zeros before
  it (a resumed upload corrupts the file); SIZE of an empty file answers
  ` + "`213 File status`" + ` (no number); MKD answers with the server-side path
  (` + "`257 /srv/ftptest/ftp-srv/...`" + `) and succeeds on an existing directory; a
  double quote is dropped from stored names (` + "`quote\"d.txt`" + ` becomes
  ` + "`quoted.txt`" + `); a missing file gets 551, a missing directory 451 (so
  "does it exist" logic sees a transient error); pipelined commands (SendCmds,
  ModTimes) may be answered out of order (MDTM replies swapped); after a
  listing cut short, one reply too many arrives (the next PASV reads a 200).
  The first group is assertable; the last ones are not deterministic, which
  is why ftp-srv stays out of the matrix. Its explicit TLS cannot work
  with a prompt client: after ` + "`234`" + ` it wraps the control socket in TLS one
  event-loop turn later, so a ClientHello sent at once (Go, Python's ssl) is
  read as FTP commands (WRONG_VERSION_NUMBER at the client); a client that
  waits a moment gets through. Hence implicit TLS for its second
  configuration.

## How the BSD-style daemons are run

inetutils ftpd and netkit ftpd run one process per connection under
` + "`interop/inetd.py`" + ` (their own daemon modes bind every address and take the
port from /etc/services), each in a private mount namespace whose /etc has
the user's home set to the server's tree (chroot by ` + "`/etc/ftpchroot`" + `). LIST
runs /bin/ls inside that chroot, so the tree's root also holds bin, lib and
lib64 (ls and its libraries, owned by root). Both daemons take passive ports
from the kernel (no setting for a range).
`
