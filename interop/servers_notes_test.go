package interop

// serverVersions names the servers behind the matrix's columns.
const serverVersions = "Debian 12: vsftpd 3.0.3, proftpd 1.3.8, pure-ftpd 1.0.50, pyftpdlib 1.5.7, " +
	"GNU inetutils ftpd 2.4, netkit ftpd-ssl 0.17"

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

## How the BSD-style daemons are run

inetutils ftpd and netkit ftpd run one process per connection under
` + "`interop/inetd.py`" + ` (their own daemon modes bind every address and take the
port from /etc/services), each in a private mount namespace whose /etc has
the user's home set to the server's tree (chroot by ` + "`/etc/ftpchroot`" + `). LIST
runs /bin/ls inside that chroot, so the tree's root also holds bin, lib and
lib64 (ls and its libraries, owned by root). Both daemons take passive ports
from the kernel (no setting for a range).
`
