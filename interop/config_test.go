package interop

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ftplib-go/ftp"
)

// Connection facts written by servers.sh (fixed values, see README.md).
const (
	host       = "127.0.0.1"
	user       = "ftptest"
	pass       = "ftptest-interop"
	caFile     = "/var/lib/ftp-interop/tls/ca.pem"
	homes      = "/srv/ftptest"
	seedSHA256 = "a55f7394328de0faa3e7d724960e89b0b858a93b029951cebf9447effc1757f6"

	// opTimeout bounds one operation (dial, login and the operation's
	// commands); dialTimeout is the Dialer's per-I/O deadline. Both are
	// hang guards, not performance assertions.
	opTimeout   = 3 * time.Minute
	dialTimeout = 30 * time.Second
)

// seedTime is the mtime of every file of the initial tree.
var seedTime = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

type tlsMode int

const (
	plainFTP    tlsMode = iota
	explicitTLS         // AUTH TLS after connecting
	implicitTLS         // TLS from the first byte
)

// asciiDown is what a server does to the bytes of a file sent in TYPE A
// (servers.md §9).
type asciiDown int

const (
	asciiVerbatim asciiDown = iota // vsftpd: ASCII mode ignored
	asciiBareLF                    // proftpd, pyftpdlib: bare LF -> CRLF
	asciiEveryLF                   // pure-ftpd: every LF -> CRLF (CRLF -> CRCRLF)
)

// server is one server configuration of the matrix and what it is
// expected to do where servers differ (references are to servers.md).
type server struct {
	name string // matrix column
	addr string
	home string // server-side root of the user's tree
	tls  tlsMode

	asciiDown    asciiDown // §9 TYPE A download conversion
	asciiUpCRLF  bool      // §9 TYPE A upload keeps CRLF (vsftpd) instead of storing LF
	sizeInASCII  bool      // SIZE answers in TYPE A (else 550, proftpd/pyftpdlib)
	mlsd         bool      // §11 MLSD/MLST implemented
	featMLSD     bool      // §11 FEAT lists MLSD on its own line
	mlsdDots     bool      // §11 MLSD lists type=cdir/pdir entries
	nlstPrefixed bool      // §13 NLST dir gives dir/name
	nlstDots     bool      // §13 NLST dir includes dir/. and dir/..
	nlstSorted   bool      // §13 NLST output sorted
	optsUTF8     int       // §10 reply code to OPTS UTF8 ON
	epsvAll      bool      // EPSV ALL makes the server refuse PASV
	reuse        bool      // §2.1 TLS data connections must resume the session
	dataResume   bool      // §2.6 TLS data connections do resume (pure-ftpd never)
	tlsRequired  bool      // a clear-text login is refused
	stress       bool      // in the TLS 1.3 upload stress
	listMissing  int       // reply to ReadDir (MLSD or LIST) of a missing dir; 0: empty listing; lsENOENT
	staleListing bool      // after an aborted listing, the next one starts with its rest

	// Where the servers added later (inetutils, netkit, Twisted) differ further.
	noFeat          bool     // FEAT refused (500): no extensions advertised
	featLacks       []string // FEAT keys that the others list (SIZE, MDTM, EPSV, UTF8, REST STREAM) and this one does not
	unknownCode     int      // reply to an unimplemented command (MLSD, MLST); 0: 500
	sizeDir         bool     // SIZE of a directory answers 213 (its size on disk)
	noEpsv          bool     // EPSV not implemented (refused with unknownCode)
	noRest          bool     // REST not implemented (refused with unknownCode)
	noAppe          bool     // APPE not implemented (refused with unknownCode)
	asciiRetrStalls bool     // RETR in TYPE A: a data connection that never carries a byte, 550 once the client closes it; STOR in TYPE A: 426
	noAbor          bool     // ABOR not implemented (refused with unknownCode)
	nlstNeedsArg    bool     // NLST without an argument refused (500)
	nlstDashGlob    bool     // NLST of a directory whose last name has '-' or a blank lists just that name (taken for a glob)
	sizeASCIIConv   bool     // SIZE in TYPE A gives the size after the ASCII conversion
	pasvKernel      bool     // passive ports come from the kernel's range (no setting)
	epsvAllRefused  int      // reply code refusing EPSV ALL (0: accepted)
	listBreakCloses bool     // the server ends the session when a listing's data connection is closed early
	abortMayClose   bool     // closing a RETR's data connection early may end the session (SIGPIPE)
	epsvAllTwice    bool     // EPSV ALL gets two 500 replies (a server bug)
	listSplitsArg   bool     // LIST's argument is split at blanks into several ls arguments
	noSetTime       bool     // no way to set a file's time (no MFMT, no "MDTM time path", no SITE UTIME)
}

// lsENOENT as listMissing: the server runs ls and sends its "No such file
// or directory" message as the listing, with 226; the client turns it into
// an error matching fs.ErrNotExist.
const lsENOENT = -1

var servers = []*server{
	{name: "vsftpd-plain", addr: "127.0.0.1:2121", home: "vsftpd-plain",
		asciiDown: asciiVerbatim, asciiUpCRLF: true, sizeInASCII: true,
		nlstPrefixed: true, nlstSorted: true, optsUTF8: 200, epsvAll: true,
		listMissing: 0},
	{name: "vsftpd-explicit", addr: "127.0.0.1:2122", home: "vsftpd-explicit", tls: explicitTLS,
		asciiDown: asciiVerbatim, asciiUpCRLF: true, sizeInASCII: true,
		nlstPrefixed: true, nlstSorted: true, optsUTF8: 200, epsvAll: true, reuse: true, dataResume: true, tlsRequired: true, stress: true,
		listMissing: 0},
	{name: "vsftpd-implicit", addr: "127.0.0.1:2123", home: "vsftpd-implicit", tls: implicitTLS,
		asciiDown: asciiVerbatim, asciiUpCRLF: true, sizeInASCII: true,
		nlstPrefixed: true, nlstSorted: true, optsUTF8: 200, epsvAll: true, reuse: true, dataResume: true, tlsRequired: true, stress: true,
		listMissing: 0},
	{name: "proftpd", addr: "127.0.0.1:2131", home: "proftpd",
		asciiDown: asciiBareLF, mlsd: true, mlsdDots: true,
		nlstPrefixed: true, optsUTF8: 200, epsvAll: true,
		listMissing: 550, staleListing: true},
	{name: "proftpd-tls", addr: "127.0.0.1:2131", home: "proftpd", tls: explicitTLS,
		asciiDown: asciiBareLF, mlsd: true, mlsdDots: true,
		nlstPrefixed: true, optsUTF8: 200, epsvAll: true, reuse: true, dataResume: true, stress: true,
		listMissing: 550, staleListing: true},
	{name: "pure-ftpd", addr: "127.0.0.1:2141", home: "pure-ftpd",
		asciiDown: asciiEveryLF, sizeInASCII: true, mlsd: true, featMLSD: true, mlsdDots: true,
		nlstPrefixed: true, nlstDots: true, optsUTF8: 504,
		listMissing: 550, staleListing: true},
	{name: "pure-ftpd-tls", addr: "127.0.0.1:2141", home: "pure-ftpd", tls: explicitTLS,
		asciiDown: asciiEveryLF, sizeInASCII: true, mlsd: true, featMLSD: true, mlsdDots: true,
		nlstPrefixed: true, nlstDots: true, optsUTF8: 504,
		listMissing: 550, staleListing: true},
	{name: "pyftpdlib-plain", addr: "127.0.0.1:2151", home: "pyftpdlib-plain",
		asciiDown: asciiBareLF, mlsd: true,
		nlstSorted: true, optsUTF8: 501, epsvAll: true,
		listMissing: 501},
	{name: "pyftpdlib-tls", addr: "127.0.0.1:2152", home: "pyftpdlib-tls", tls: explicitTLS,
		asciiDown: asciiBareLF, mlsd: true,
		nlstSorted: true, optsUTF8: 501, epsvAll: true, dataResume: true,
		listMissing: 501},
	{name: "inetutils-ftpd", addr: "127.0.0.1:2161", home: "inetutils-ftpd",
		asciiDown: asciiEveryLF, sizeInASCII: true, sizeASCIIConv: true,
		nlstPrefixed: true, optsUTF8: 501, featLacks: []string{"UTF8"},
		listMissing: lsENOENT, pasvKernel: true, epsvAllRefused: 500, listBreakCloses: true, noSetTime: true,
		abortMayClose: true, listSplitsArg: true},
	{name: "netkit-ftpd", addr: "127.0.0.1:2171", home: "netkit-ftpd",
		asciiDown: asciiEveryLF, sizeInASCII: true, sizeASCIIConv: true,
		nlstPrefixed: true, optsUTF8: 500, noFeat: true,
		listMissing: lsENOENT, pasvKernel: true, epsvAllRefused: 500, listBreakCloses: true, noSetTime: true,
		abortMayClose: true, epsvAllTwice: true, listSplitsArg: true},
	{name: "twisted", addr: "127.0.0.1:2191", home: "twisted",
		asciiDown: asciiVerbatim, sizeInASCII: true,
		optsUTF8: 502, noSetTime: true, featLacks: []string{"EPSV", "UTF8", "REST"}, unknownCode: 502,
		sizeDir: true, noEpsv: true, epsvAllRefused: 502, noRest: true, noAppe: true, asciiRetrStalls: true,
		noAbor: true, nlstNeedsArg: true, nlstDashGlob: true,
		listMissing: 550},
}

// enabled reports whether the interop tests run.
func enabled() bool { return os.Getenv("FTP_INTEROP") == "1" }

func needInterop(t *testing.T) {
	t.Helper()
	if !enabled() {
		t.Skip("set FTP_INTEROP=1 (and run interop/servers.sh up) to test against real servers")
	}
}

// runID makes scratch names unique per run, so reruns never collide.
var runID = fmt.Sprintf("it-%s-%d", time.Now().UTC().Format("150405"), os.Getpid())

// local returns the server-side path of p (absolute in the user's tree).
func (s *server) local(p string) string {
	return filepath.Join(homes, s.home, filepath.FromSlash(p))
}

// scratch returns the remote scratch directory of one operation:
// /<runID>-<server>-<op>. It is created by the caller with Mkd.
func (s *server) scratch(op string) string {
	return "/" + runID + "-" + s.name + "-" + op
}

var (
	caOnce sync.Once
	caPool *x509.CertPool
	caErr  error
)

// tlsConfig returns a client TLS configuration that trusts the servers'
// private CA (ServerName defaults to the dialled host, 127.0.0.1).
func tlsConfig(t *testing.T) *tls.Config {
	t.Helper()
	caOnce.Do(func() {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			caErr = err
			return
		}
		caPool = x509.NewCertPool()
		if !caPool.AppendCertsFromPEM(pem) {
			caErr = errors.New("no certificate in " + caFile)
		}
	})
	if caErr != nil {
		t.Fatalf("CA: %v", caErr)
	}
	return &tls.Config{RootCAs: caPool}
}

// syncBuffer is a goroutine-safe bytes.Buffer for debug output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// reset empties the buffer and returns what it held.
func (b *syncBuffer) reset() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.b.String()
	b.b.Reset()
	return s
}

// dialer returns the Dialer for s; mod may change it.
func (s *server) dialer(t *testing.T, mod func(*ftp.Dialer)) *ftp.Dialer {
	d := &ftp.Dialer{Timeout: dialTimeout}
	if s.tls != plainFTP {
		d.TLSConfig = tlsConfig(t)
	}
	if s.tls == implicitTLS {
		d.ImplicitTLS = true
	}
	if mod != nil {
		mod(d)
	}
	return d
}

// login dials s with the Dialer d and logs in, with TLS (and PROT P) for
// a TLS configuration. The connection is closed at the end of the test.
func (s *server) login(t *testing.T, ctx context.Context, d *ftp.Dialer) *ftp.Conn {
	t.Helper()
	c, err := s.dialLogin(ctx, d)
	if err != nil {
		t.Fatalf("%s: dial and login: %v", s.name, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// connect is login with s's default Dialer changed by mod.
func (s *server) connect(t *testing.T, ctx context.Context, mod func(*ftp.Dialer)) *ftp.Conn {
	t.Helper()
	return s.login(t, ctx, s.dialer(t, mod))
}

// within runs the operation's context: one deadline per operation.
func within(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	t.Cleanup(cancel)
	return ctx
}

// mkScratch creates the operation's scratch directory, removes it (on the
// server's disk, whatever the test left in it) at the end, and returns its
// remote path.
func (s *server) mkScratch(t *testing.T, ctx context.Context, c *ftp.Conn, op string) string {
	t.Helper()
	dir := s.scratch(op)
	if _, err := c.Mkd(ctx, dir); err != nil {
		t.Fatalf("MKD %s: %v", dir, err)
	}
	t.Cleanup(func() { os.RemoveAll(s.local(dir)) })
	return dir
}

// replyCode returns the code of an *ftp.Error in err's chain, or 0.
func replyCode(err error) int {
	var e *ftp.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

// wantReplyErr fails unless err is an *ftp.Error of class class with code
// code (0: any code of the class).
func wantReplyErr(t *testing.T, what string, err error, class error, code int) {
	t.Helper()
	var e *ftp.Error
	switch {
	case err == nil:
		t.Errorf("%s: no error, want %v", what, class)
	case !errors.As(err, &e):
		t.Errorf("%s: %v (%T), want an *ftp.Error", what, err, err)
	case !errors.Is(err, class):
		t.Errorf("%s: %q is not of class %v", what, e.Msg, class)
	case code != 0 && e.Code != code:
		t.Errorf("%s: code %d (%q), want %d", what, e.Code, e.Msg, code)
	}
}

func join(dir, name string) string { return path.Join(dir, name) }

// cmdsSent returns the commands of a Debug=1 transcript, in order.
func cmdsSent(transcript string) []string {
	var cmds []string
	for _, l := range strings.Split(transcript, "\n") {
		if rest, ok := strings.CutPrefix(l, "*cmd* "); ok {
			cmds = append(cmds, strings.Trim(rest, `'"`))
		}
	}
	return cmds
}

// unknown is the reply code of s to a command it does not implement.
func (s *server) unknown() int {
	if s.unknownCode != 0 {
		return s.unknownCode
	}
	return 500
}
