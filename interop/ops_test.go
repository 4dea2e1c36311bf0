package interop

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ftplib-go/ftp"
)

// op is one row of the matrix.
type op struct {
	name string
	fn   func(t *testing.T, s *server, r *rec)
}

// ops are the rows run on every server configuration, in matrix order.
var ops = []op{
	{"login", opLogin},
	{"login, wrong password -> 530 ErrPerm", opBadLogin},
	{"FEAT", opFeat},
	{"OPTS UTF8 ON", opOptsUTF8},
	{"PWD/CWD", opPwdCwd},
	{"MKD/RMD", opMkdRmd},
	{"STOR+RETR 0 B", opEmpty},
	{"STOR+RETR 1 MiB random (sha256)", opRoundTrip},
	{"RETR seed 1 MiB (sha256)", opRetrSeed},
	{"REST resume download", opRestDownload},
	{"REST resume upload", opRestUpload},
	{"APPE", opAppe},
	{"RNFR/RNTO + DELE", opRenameDelete},
	{"SIZE/MDTM", opSizeMdtm},
	{"NLST", opNlst},
	{"LIST parsed", opList},
	{"List (streaming)", opListStream},
	{"MLSD", opMlsd},
	{"MLST", opMlst},
	{"ReadDir (MLSD, else LIST)", opReadDir},
	{"listing: break out early", opListBreak},
	{"UTF-8 and space names", opNames},
	{"TYPE A RETR bytes", opASCIIBytes},
	{"RetrLines (ASCII)", opRetrLines},
	{"StorLines (ASCII)", opStorLines},
	{"passive (PASV)", opPasv},
	{"passive (EPSV)", opEpsv},
	{"active (PORT)", opActive},
	{"550 missing file -> ErrPerm", opErrors},
	{"HOST (RFC 7151) before login", opHost},
	{"close mid-RETR (ABOR)", opAbort},
	{"FS: read interrupted by another call (ABOR + REST)", opFSInterleave},
	{"QUIT", opQuit},
}

func TestInteropMatrix(t *testing.T) {
	needInterop(t)
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			for _, o := range slices.Concat(ops, tlsOps, rttOps) {
				run(t, s, o.name, func(t *testing.T, r *rec) { o.fn(t, s, r) })
			}
		})
	}
}

// ---------------------------------------------------------------- helpers

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func stor(t *testing.T, ctx context.Context, c *ftp.Conn, cmd string, data []byte, opts ...ftp.TransferOption) {
	t.Helper()
	if _, err := c.StorBinary(ctx, cmd, bytes.NewReader(data), opts...); err != nil {
		t.Fatalf("%s (%d bytes): %v", cmd, len(data), err)
	}
}

func retr(t *testing.T, ctx context.Context, c *ftp.Conn, name string, opts ...ftp.TransferOption) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := c.RetrBinary(ctx, "RETR "+name, &buf, opts...); err != nil {
		t.Fatalf("RETR %s: %v", name, err)
	}
	return buf.Bytes()
}

// sameBytes compares got with want by length and sha256.
func sameBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if len(got) != len(want) || sum(got) != sum(want) {
		t.Errorf("%s: %d bytes sha256 %.12s, want %d bytes sha256 %.12s", what, len(got), sum(got), len(want), sum(want))
	}
}

// onDisk checks the server-side file remote (a remote absolute path).
func onDisk(t *testing.T, s *server, remote string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(s.local(remote))
	if err != nil {
		t.Errorf("server side: %v", err)
		return
	}
	sameBytes(t, "server-side "+remote, got, want)
}

func seed(t *testing.T, s *server, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(s.local("/" + name))
	if err != nil {
		t.Fatalf("seed file: %v", err)
	}
	return b
}

// debugConn connects with Debug=1 into a buffer, to see the commands sent.
func debugConn(t *testing.T, ctx context.Context, s *server, active bool) (*ftp.Conn, *syncBuffer) {
	t.Helper()
	buf := &syncBuffer{}
	c := s.connect(t, ctx, func(d *ftp.Dialer) {
		d.Debug = 2
		d.DebugOutput = buf
		d.Active = active
	})
	buf.reset()
	return c, buf
}

// ---------------------------------------------------------------- rows

func opLogin(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.connect(t, ctx, nil)
	if w := c.Welcome(); !strings.HasPrefix(w, "220") {
		t.Errorf("welcome %q, want 220", w)
	}
	want := "230" // USER, PASS
	if s.tls != plainFTP {
		want = "200" // then PBSZ, PROT
	}
	if got := c.LastResp(); got != want {
		t.Errorf("last reply after login %q, want %s", got, want)
	}
	if _, err := c.Noop(ctx); err != nil {
		t.Errorf("NOOP after login: %v", err)
	}
}

func opBadLogin(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	d := s.dialer(t, nil)
	c, err := s.dialAs(ctx, d, user, "wrong-password")
	if c != nil {
		c.Close()
	}
	wantReplyErr(t, "login with a wrong password", err, ftp.ErrPerm, 530)
}

func opFeat(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.connect(t, ctx, nil)
	f, err := c.Feat(ctx)
	if s.noFeat {
		wantReplyErr(t, "FEAT", err, ftp.ErrPerm, 500)
		r.Note("refused: %v", err)
		return
	}
	if err != nil {
		t.Fatalf("FEAT: %v", err)
	}
	for _, k := range []string{"SIZE", "MDTM", "EPSV", "UTF8", "REST"} {
		_, ok := f[k]
		if k == "REST" {
			ok = f[k] == "STREAM"
		}
		if slices.Contains(s.featLacks, k) {
			if ok {
				t.Errorf("FEAT lists %s", k)
			}
			continue
		}
		if !ok {
			t.Errorf("FEAT lacks %s: %v", k, f)
		}
	}
	if len(s.featLacks) > 0 {
		r.Note("not in FEAT: %s", strings.Join(s.featLacks, ", "))
	}
	if _, ok := f["MLST"]; ok != s.mlsd {
		t.Errorf("FEAT lists MLST: %v, want %v", ok, s.mlsd)
	}
	if _, ok := f["MLSD"]; ok != s.featMLSD {
		t.Errorf("FEAT lists MLSD: %v, want %v", ok, s.featMLSD)
	}
	if s.tls == explicitTLS {
		if f["AUTH"] != "TLS" {
			t.Errorf("FEAT AUTH = %q, want TLS", f["AUTH"])
		}
		for _, k := range []string{"PBSZ", "PROT"} {
			if _, ok := f[k]; !ok {
				t.Errorf("FEAT lacks %s", k)
			}
		}
	}
	if !s.mlsd {
		r.Note("no MLST in FEAT (§11)")
	} else if !s.featMLSD {
		r.Note("MLST listed, MLSD not (§11)")
	}
}

func opOptsUTF8(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.connect(t, ctx, nil)
	resp, err := c.SendCmd(ctx, "OPTS UTF8 ON")
	if s.optsUTF8 == 200 {
		if err != nil || !strings.HasPrefix(resp, "200") {
			t.Errorf("OPTS UTF8 ON: %q, %v; want 200", resp, err)
		}
	} else {
		wantReplyErr(t, "OPTS UTF8 ON", err, ftp.ErrPerm, s.optsUTF8)
		r.Note("refused as expected (§10): %v", err)
	}
	if _, err := c.Noop(ctx); err != nil {
		t.Errorf("NOOP after OPTS UTF8: %v", err)
	}
}

func opPwdCwd(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.connect(t, ctx, nil)
	pwd := func(want string) {
		t.Helper()
		got, err := c.Pwd(ctx)
		if err != nil || got != want {
			t.Errorf("PWD = %q, %v; want %q", got, err, want)
		}
	}
	cwd := func(dir string) {
		t.Helper()
		if _, err := c.Cwd(ctx, dir); err != nil {
			t.Errorf("CWD %s: %v", dir, err)
		}
	}
	pwd("/")
	cwd("tree")
	pwd("/tree")
	cwd("sub-1/deep-1")
	pwd("/tree/sub-1/deep-1")
	cwd("..") // CDUP
	pwd("/tree/sub-1")
	cwd("/")
	pwd("/")
}

func opMkdRmd(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.connect(t, ctx, nil)
	dir := s.scratch("mkd")
	t.Cleanup(func() { os.RemoveAll(s.local(dir)) })
	got, err := c.Mkd(ctx, dir)
	if err != nil {
		t.Fatalf("MKD %s: %v", dir, err)
	}
	if got != dir {
		t.Errorf("MKD returned %q, want %q", got, dir)
	}
	if fi, err := os.Stat(s.local(dir)); err != nil || !fi.IsDir() {
		t.Errorf("server side: %v", err)
	}
	_, err = c.Mkd(ctx, dir)
	wantReplyErr(t, "MKD of an existing directory", err, ftp.ErrPerm, 550)
	sub := join(dir, "sub")
	if _, err := c.Mkd(ctx, sub); err != nil {
		t.Fatalf("MKD %s: %v", sub, err)
	}
	_, err = c.Rmd(ctx, dir)
	wantReplyErr(t, "RMD of a non-empty directory", err, ftp.ErrPerm, 550)
	if _, err := c.Rmd(ctx, sub); err != nil {
		t.Errorf("RMD %s: %v", sub, err)
	}
	if _, err := c.Rmd(ctx, dir); err != nil {
		t.Errorf("RMD %s: %v", dir, err)
	}
	if _, err := os.Stat(s.local(dir)); !os.IsNotExist(err) {
		t.Errorf("server side after RMD: %v", err)
	}
	_, err = c.Cwd(ctx, dir)
	wantReplyErr(t, "CWD to the removed directory", err, ftp.ErrPerm, 550)
}

func opEmpty(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.connect(t, ctx, nil)
	dir := s.mkScratch(t, ctx, c, "empty")
	p := join(dir, "empty.bin")
	stor(t, ctx, c, "STOR "+p, nil)
	onDisk(t, s, p, nil)
	if got := retr(t, ctx, c, p); len(got) != 0 {
		t.Errorf("RETR of the empty file: %d bytes", len(got))
	}
	if got := retr(t, ctx, c, "/empty.bin"); len(got) != 0 {
		t.Errorf("RETR of the seed empty file: %d bytes", len(got))
	}
	if n, err := c.Size(ctx, p); err != nil || n != 0 {
		t.Errorf("SIZE = %d, %v; want 0", n, err)
	}
}

func opRoundTrip(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.connect(t, ctx, nil)
	dir := s.mkScratch(t, ctx, c, "rt")
	data := randomBytes(t, 1<<20)
	p := join(dir, "random.bin")
	stor(t, ctx, c, "STOR "+p, data)
	onDisk(t, s, p, data)
	sameBytes(t, "RETR", retr(t, ctx, c, p), data)
	// The streaming forms.
	w, err := c.Stor(ctx, "STOR "+p+".2")
	if err != nil {
		t.Fatalf("Stor: %v", err)
	}
	if _, err := io.Copy(w, bytes.NewReader(data)); err != nil {
		t.Fatalf("Stor copy: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Stor close: %v", err)
	}
	rd, err := c.Retr(ctx, "RETR "+p+".2")
	if err != nil {
		t.Fatalf("Retr: %v", err)
	}
	got, err := io.ReadAll(rd)
	if cerr := rd.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("Retr: %v", err)
	}
	sameBytes(t, "Retr (streaming)", got, data)
	onDisk(t, s, p+".2", data)
}

func opRetrSeed(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.connect(t, ctx, nil)
	got := retr(t, ctx, c, "random-1MiB.bin")
	if len(got) != 1<<20 || sum(got) != seedSHA256 {
		t.Errorf("random-1MiB.bin: %d bytes, sha256 %s; want 1048576, %s", len(got), sum(got), seedSHA256)
	}
}

func opRestDownload(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.connect(t, ctx, nil)
	want := seed(t, s, "random-1MiB.bin")
	if s.noRest {
		_, err := c.RetrBinary(ctx, "RETR random-1MiB.bin", io.Discard, ftp.Rest(300001))
		wantReplyErr(t, "RETR with REST", err, ftp.ErrPerm, s.unknown())
		r.Note("no REST: %v", err)
		sameBytes(t, "RETR after the refusal", retr(t, ctx, c, "random-1MiB.bin"), want)
		return
	}
	for _, off := range []int64{300001, 1 << 20, 0} {
		got := retr(t, ctx, c, "random-1MiB.bin", ftp.Rest(off))
		sameBytes(t, "RETR from "+strconv.FormatInt(off, 10), got, want[off:])
	}
}

func opRestUpload(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.connect(t, ctx, nil)
	dir := s.mkScratch(t, ctx, c, "restup")
	data := randomBytes(t, 1<<20)
	p := join(dir, "resumed.bin")
	const cut = 400000
	stor(t, ctx, c, "STOR "+p, data[:cut])
	if s.noRest {
		_, err := c.StorBinary(ctx, "STOR "+p, bytes.NewReader(data[cut:]), ftp.Rest(cut))
		wantReplyErr(t, "STOR with REST", err, ftp.ErrPerm, s.unknown())
		r.Note("no REST: %v", err)
		onDisk(t, s, p, data[:cut])
		return
	}
	stor(t, ctx, c, "STOR "+p, data[cut:], ftp.Rest(cut))
	onDisk(t, s, p, data)
	sameBytes(t, "RETR after resumed upload", retr(t, ctx, c, p), data)
}

func opAppe(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.connect(t, ctx, nil)
	dir := s.mkScratch(t, ctx, c, "appe")
	data := randomBytes(t, 700001)
	p := join(dir, "appended.bin")
	if s.noAppe {
		_, err := c.StorBinary(ctx, "APPE "+p, bytes.NewReader(data))
		wantReplyErr(t, "APPE", err, ftp.ErrPerm, s.unknown())
		r.Note("no APPE: %v", err)
		if _, err := c.Noop(ctx); err != nil {
			t.Errorf("NOOP after the refusal: %v", err)
		}
		return
	}
	stor(t, ctx, c, "APPE "+p, data[:100]) // creates the file
	stor(t, ctx, c, "APPE "+p, data[100:300000])
	stor(t, ctx, c, "APPE "+p, data[300000:])
	onDisk(t, s, p, data)
	sameBytes(t, "RETR after APPE", retr(t, ctx, c, p), data)
}

func opRenameDelete(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.connect(t, ctx, nil)
	dir := s.mkScratch(t, ctx, c, "ren")
	data := randomBytes(t, 4096)
	from, to := join(dir, "from.bin"), join(dir, "to.bin")
	stor(t, ctx, c, "STOR "+from, data)
	if _, err := c.Rename(ctx, from, to); err != nil {
		t.Fatalf("RENAME: %v", err)
	}
	_, err := c.Size(ctx, from)
	wantReplyErr(t, "SIZE of the old name", err, ftp.ErrPerm, 550)
	if n, err := c.Size(ctx, to); err != nil || n != int64(len(data)) {
		t.Errorf("SIZE of the new name = %d, %v", n, err)
	}
	onDisk(t, s, to, data)
	_, err = c.Rename(ctx, join(dir, "nosuch"), join(dir, "x"))
	wantReplyErr(t, "RNFR of a missing file", err, ftp.ErrPerm, 550)
	if _, err := c.Delete(ctx, to); err != nil {
		t.Fatalf("DELE: %v", err)
	}
	if _, err := os.Stat(s.local(to)); !os.IsNotExist(err) {
		t.Errorf("server side after DELE: %v", err)
	}
	_, err = c.Delete(ctx, to)
	wantReplyErr(t, "DELE of a deleted file", err, ftp.ErrPerm, 550)
}

func opSizeMdtm(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.connect(t, ctx, nil)
	// Fresh session: TYPE A is in force (§9), and some servers refuse SIZE then.
	n, err := c.Size(ctx, "random-1MiB.bin")
	if s.sizeASCIIConv {
		want := int64(len(asciiConvert(s.asciiDown, seed(t, s, "random-1MiB.bin"))))
		if err != nil || n != want {
			t.Errorf("SIZE in TYPE A = %d, %v; want %d (the size sent in TYPE A)", n, err, want)
		}
		r.Note("SIZE in TYPE A counts the ASCII conversion: %d", n)
	} else if s.sizeInASCII {
		if err != nil || n != 1<<20 {
			t.Errorf("SIZE in TYPE A = %d, %v; want 1048576", n, err)
		}
	} else {
		wantReplyErr(t, "SIZE in TYPE A", err, ftp.ErrPerm, 550)
		r.Note("SIZE refused in TYPE A as expected: %v", err)
	}
	if _, err := c.VoidCmd(ctx, "TYPE I"); err != nil {
		t.Fatalf("TYPE I: %v", err)
	}
	for name, want := range map[string]int64{"random-1MiB.bin": 1 << 20, "/empty.bin": 0, "tree/f001.txt": 10, "file with spaces.txt": 34} {
		if n, err := c.Size(ctx, name); err != nil || n != want {
			t.Errorf("SIZE %s = %d, %v; want %d", name, n, err, want)
		}
	}
	n, err = c.Size(ctx, "tree")
	if s.sizeDir {
		if err != nil || n <= 0 {
			t.Errorf("SIZE of a directory = %d, %v; want its size on disk", n, err)
		}
		r.Note("SIZE of a directory answers 213 %d (its size on disk)", n)
	} else {
		wantReplyErr(t, "SIZE of a directory (§15)", err, ftp.ErrPerm, 550)
	}
	for _, name := range []string{"random-1MiB.bin", "/tree/sub-2/deep-2/leaf.txt"} {
		mt, err := c.ModTime(ctx, name)
		if err != nil || !mt.Equal(seedTime) {
			t.Errorf("MDTM %s = %v, %v; want %v", name, mt, err, seedTime)
		}
	}
	_, err = c.ModTime(ctx, "nosuch")
	wantReplyErr(t, "MDTM of a missing file", err, ftp.ErrPerm, 550)
}

// treeNames are the entries of the seed directory tree.
var treeNames = []string{"f001.txt", "f002.txt", "f003.txt", "f004.txt", "f005.txt", "f006.txt", "f007.txt", "f008.txt", "sub-1", "sub-2"}

// seedNames are some entries of the seed root.
var seedNames = []string{"crlf.txt", "empty.bin", "file with spaces.txt", "naïve-日本.txt", "random-1MiB.bin", "tree"}

func opNlst(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.connect(t, ctx, nil)
	got, err := c.Nlst(ctx, "tree")
	if err != nil {
		t.Fatalf("NLST tree: %v", err)
	}
	var want []string
	prefix := ""
	if s.nlstPrefixed {
		prefix = "tree/"
	}
	for _, n := range treeNames {
		want = append(want, prefix+n)
	}
	if s.nlstDots {
		want = append(want, "tree/.", "tree/..")
	}
	if s.nlstSorted && !slices.IsSorted(got) {
		t.Errorf("NLST tree not sorted: %q", got)
	}
	sorted := slices.Clone(got)
	slices.Sort(sorted)
	slices.Sort(want)
	if !slices.Equal(sorted, want) {
		t.Errorf("NLST tree = %q, want (in any order) %q", got, want)
	}
	var shape []string
	if s.nlstPrefixed {
		shape = append(shape, "names prefixed with the argument")
	} else {
		shape = append(shape, "bare names")
	}
	if s.nlstDots {
		shape = append(shape, "with tree/. and tree/..")
	}
	if !s.nlstSorted {
		shape = append(shape, "directory order")
	}
	r.Note("NLST tree: %s (§13)", strings.Join(shape, ", "))
	root, err := c.Nlst(ctx)
	if s.nlstNeedsArg {
		wantReplyErr(t, "NLST without an argument", err, ftp.ErrPerm, 500)
		r.Note("NLST without an argument refused: %v", err)
		root, err = c.Nlst(ctx, ".")
	}
	if err != nil {
		t.Fatalf("NLST: %v", err)
	}
	for _, n := range seedNames {
		if !slices.Contains(root, n) {
			t.Errorf("NLST of / lacks %q: %q", n, root)
		}
	}
}

// listEntries runs LIST args and parses every line.
func listEntries(t *testing.T, ctx context.Context, c *ftp.Conn, args ...string) map[string]ftp.Entry {
	t.Helper()
	now := time.Now()
	m := map[string]ftp.Entry{}
	err := c.Dir(ctx, func(line string) error {
		e, err := ftp.ParseList(line, now)
		if errors.Is(err, ftp.ErrNotEntry) {
			return nil
		}
		if err != nil {
			t.Errorf("LIST line %q: %v", line, err)
			return nil
		}
		m[e.Name] = e
		return nil
	}, args...)
	if err != nil {
		t.Fatalf("LIST %v: %v", args, err)
	}
	return m
}

func opList(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.connect(t, ctx, nil)
	ents := listEntries(t, ctx, c, "tree")
	day := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC) // year-form dates give no time
	for _, n := range treeNames {
		e, ok := ents[n]
		if !ok {
			t.Errorf("LIST tree lacks %q", n)
			continue
		}
		if strings.HasPrefix(n, "sub-") {
			if e.Type != ftp.TypeDir {
				t.Errorf("%s: type %v, want dir", n, e.Type)
			}
		} else if e.Type != ftp.TypeFile || e.Size != 10 || !e.ModTime.Equal(day) || e.Mode.Perm() != 0o644 {
			t.Errorf("%s: %v size %d time %v mode %v; want file, 10, %v, 0644", n, e.Type, e.Size, e.ModTime, e.Mode, day)
		}
	}
	if len(ents) != len(treeNames) {
		t.Errorf("LIST tree has %d entries, want %d", len(ents), len(treeNames))
	}
	root := listEntries(t, ctx, c)
	for name, size := range map[string]int64{"file with spaces.txt": 34, "naïve-日本.txt": 26, "empty.bin": 0, "random-1MiB.bin": 1 << 20, "crlf.txt": 700} {
		if e, ok := root[name]; !ok || e.Size != size || e.Type != ftp.TypeFile {
			t.Errorf("LIST / entry %q = %+v (found %v), want a file of %d bytes", name, e, ok, size)
		}
	}
	if e := root["tree"]; !e.IsDir() {
		t.Errorf("LIST / entry tree = %+v, want a directory", e)
	}
}

func checkMLSD(t *testing.T, s *server, ents []ftp.Entry) {
	t.Helper()
	seen := map[string]bool{}
	var dots int
	for _, e := range ents {
		switch e.Type {
		case ftp.TypeCdir, ftp.TypePdir:
			dots++
			continue
		}
		seen[e.Name] = true
		if strings.HasPrefix(e.Name, "sub-") {
			if e.Type != ftp.TypeDir {
				t.Errorf("%s: type %v, want dir", e.Name, e.Type)
			}
			continue
		}
		if e.Type != ftp.TypeFile || e.Size != 10 || !e.ModTime.Equal(seedTime) {
			t.Errorf("%s: %v size %d modify %v; want file, 10, %v (%q)", e.Name, e.Type, e.Size, e.ModTime, seedTime, e.Raw)
		}
	}
	for _, n := range treeNames {
		if !seen[n] {
			t.Errorf("MLSD tree lacks %q", n)
		}
	}
	if len(seen) != len(treeNames) {
		t.Errorf("MLSD tree has %d entries besides cdir/pdir, want %d", len(seen), len(treeNames))
	}
	if want := map[bool]int{true: 2, false: 0}[s.mlsdDots]; dots != want {
		t.Errorf("MLSD tree has %d cdir/pdir entries, want %d (§11)", dots, want)
	}
}

func opNames(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.connect(t, ctx, nil)
	for _, n := range []string{"file with spaces.txt", "naïve-日本.txt"} {
		sameBytes(t, "RETR "+n, retr(t, ctx, c, n), seed(t, s, n))
	}
	dir := s.mkScratch(t, ctx, c, "names")
	sub := join(dir, "dir with  spaces é")
	if _, err := c.Mkd(ctx, sub); err != nil {
		t.Fatalf("MKD %q: %v", sub, err)
	}
	if _, err := c.Cwd(ctx, sub); err != nil {
		t.Fatalf("CWD %q: %v", sub, err)
	}
	if got, err := c.Pwd(ctx); err != nil || got != sub {
		t.Errorf("PWD = %q, %v; want %q", got, err, sub)
	}
	names := []string{"a b  c.txt", "ünï 名前 ✓.bin", `quote"d.txt`}
	for i, n := range names {
		data := []byte(strings.Repeat(n, i+1))
		stor(t, ctx, c, "STOR "+n, data)
		onDisk(t, s, join(sub, n), data)
		sameBytes(t, "RETR "+n, retr(t, ctx, c, n), data)
	}
	var got []string
	var err error
	if s.nlstNeedsArg {
		got, err = c.Nlst(ctx, ".")
	} else {
		got, err = c.Nlst(ctx)
	}
	if err != nil {
		t.Fatalf("NLST: %v", err)
	}
	if s.nlstDashGlob {
		// "." is the current directory, whose name has blanks: taken
		// for a glob, NLST lists that name in its parent.
		if !slices.Equal(got, []string{path.Base(sub)}) {
			t.Errorf("NLST . = %q, want [%q]", got, path.Base(sub))
		}
		r.Note("NLST of the current directory %q lists its name only (blanks make it a glob pattern)", path.Base(sub))
		got = slices.Clone(names)
	}
	if s.nlstDots {
		got = withoutDots(got)
	}
	slices.Sort(got)
	want := slices.Clone(names)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("NLST = %q, want %q", got, want)
	}
	ents := listEntries(t, ctx, c)
	for i, n := range names {
		if e, ok := ents[n]; !ok || e.Size != int64(len(n)*(i+1)) {
			t.Errorf("LIST entry %q = %+v (found %v)", n, e, ok)
		}
	}
	// The directory listed by its path, which has blanks.
	byPath, err := c.ReadDir(ctx, sub)
	if s.listSplitsArg {
		// "LIST /d/dir with  spaces é" runs ls on "/d/dir", "with",
		// "spaces", "é": none exists, and the listing is ls's four
		// complaints.
		var pe *ftp.ParseError
		if !errors.As(err, &pe) || len(byPath) != 0 {
			t.Errorf("ReadDir %q = %d entries, %v; want a *ParseError (LIST splits its argument)", sub, len(byPath), err)
		}
		r.Note("LIST of a path with blanks: the server splits it into several ls arguments; ReadDir fails with %v (listing after CWD works)", err)
	} else if err != nil || len(byPath) != len(names) {
		t.Errorf("ReadDir %q = %d entries, %v; want %d", sub, len(byPath), err, len(names))
	}
	to := "renamed ü 2.bin"
	if _, err := c.Rename(ctx, names[1], to); err != nil {
		t.Errorf("RENAME %q %q: %v", names[1], to, err)
	}
	if _, err := os.Stat(s.local(join(sub, to))); err != nil {
		t.Errorf("server side after RENAME: %v", err)
	}
	if _, err := c.Delete(ctx, to); err != nil {
		t.Errorf("DELE %q: %v", to, err)
	}
}

// asciiConvert applies a server's TYPE A download conversion to b.
func asciiConvert(mode asciiDown, b []byte) []byte {
	switch mode {
	case asciiEveryLF:
		return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
	case asciiBareLF:
		var out []byte
		for i, x := range b {
			if x == '\n' && (i == 0 || b[i-1] != '\r') {
				out = append(out, '\r')
			}
			out = append(out, x)
		}
		return out
	}
	return b
}

func opASCIIBytes(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.connect(t, ctx, nil)
	if _, err := c.VoidCmd(ctx, "TYPE A"); err != nil {
		t.Fatalf("TYPE A: %v", err)
	}
	dc, err := c.TransferCmd(ctx, "RETR random-1MiB.bin")
	if err != nil {
		t.Fatalf("RETR in TYPE A: %v", err)
	}
	if s.asciiRetrStalls {
		asciiStall(t, ctx, c, dc, r)
		return
	}
	got, rerr := io.ReadAll(dc)
	dc.Close()
	if _, err := c.VoidResp(ctx); err != nil {
		t.Fatalf("final reply: %v", err)
	}
	if rerr != nil {
		t.Fatalf("reading: %v", rerr)
	}
	want := asciiConvert(s.asciiDown, seed(t, s, "random-1MiB.bin"))
	sameBytes(t, "TYPE A RETR of the 1 MiB file", got, want)
	r.Note("%d bytes (§9: %s)", len(got), map[asciiDown]string{
		asciiVerbatim: "ASCII mode ignored",
		asciiBareLF:   "bare LF -> CRLF",
		asciiEveryLF:  "every LF -> CRLF, CRLF -> CRCRLF",
	}[s.asciiDown])
}

// asciiStall checks a TYPE A download from a server that opens the data
// connection and never sends on it (Twisted 22.4 on Python 3: its ASCII
// conversion raises TypeError): nothing arrives within a short deadline
// set here, and once the client closes, the final reply is a 550.
func asciiStall(t *testing.T, ctx context.Context, c *ftp.Conn, dc net.Conn, r *rec) {
	t.Helper()
	dc.SetReadDeadline(time.Now().Add(2 * time.Second))
	got, rerr := io.ReadAll(dc)
	dc.Close()
	if len(got) != 0 || !errors.Is(rerr, os.ErrDeadlineExceeded) {
		t.Errorf("TYPE A RETR: %d bytes, %v; want none and the deadline", len(got), rerr)
	}
	_, err := c.VoidResp(ctx)
	wantReplyErr(t, "final reply of a stalled TYPE A RETR", err, ftp.ErrPerm, 550)
	r.Note("TYPE A downloads broken: the data connection stays open and silent (server-side TypeError), then %v", err)
}

func opRetrLines(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.connect(t, ctx, nil)
	if s.asciiRetrStalls {
		// RetrLines would wait for its Dialer.Timeout: the same check
		// through TransferCmd, with a short deadline of its own.
		if _, err := c.VoidCmd(ctx, "TYPE A"); err != nil {
			t.Fatalf("TYPE A: %v", err)
		}
		dc, err := c.TransferCmd(ctx, "RETR crlf.txt")
		if err != nil {
			t.Fatalf("RETR in TYPE A: %v", err)
		}
		asciiStall(t, ctx, c, dc, r)
		return
	}
	lines := func(name string) []string {
		t.Helper()
		var got []string
		if _, err := c.RetrLines(ctx, "RETR "+name, func(l string) error {
			got = append(got, l)
			return nil
		}); err != nil {
			t.Fatalf("RetrLines %s: %v", name, err)
		}
		return got
	}
	// Expected lines: what the server sends (asciiConvert), split as
	// RetrLines does (LF ends a line; one CR before it is removed).
	split := func(b []byte) []string {
		conv := string(asciiConvert(s.asciiDown, b))
		parts := strings.SplitAfter(conv, "\n")
		if parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
		for i, p := range parts {
			p = strings.TrimSuffix(p, "\n")
			parts[i] = strings.TrimSuffix(p, "\r")
		}
		return parts
	}
	crlf := seed(t, s, "crlf.txt")
	got := lines("crlf.txt")
	if want := split(crlf); !slices.Equal(got, want) {
		t.Errorf("RetrLines crlf.txt: %d lines %q..., want %d %q...", len(got), first(got), len(want), first(want))
	}
	if s.asciiDown == asciiEveryLF && len(got) > 0 && !strings.HasSuffix(got[0], "\r") {
		t.Errorf("pure-ftpd sends CRCRLF, the lines should end in CR: %q", got[0])
	}
	dir := s.mkScratch(t, ctx, c, "rlines")
	mixed := []byte("one\ntwo\r\nthree\n\nlast without newline")
	p := join(dir, "mixed.txt")
	stor(t, ctx, c, "STOR "+p, mixed)
	got = lines(p)
	if want := split(mixed); !slices.Equal(got, want) {
		t.Errorf("RetrLines of %q = %q, want %q", mixed, got, want)
	}
	if s.asciiDown == asciiEveryLF {
		r.Note("CRLF lines come back with a trailing CR (CRCRLF on the wire, §9)")
	}
}

// withoutDots removes the "." and ".." entries (possibly prefixed) that
// pure-ftpd's NLST includes (§13).
func withoutDots(names []string) []string {
	return slices.DeleteFunc(names, func(n string) bool {
		b := path.Base(n)
		return b == "." || b == ".."
	})
}

func first(l []string) string {
	if len(l) == 0 {
		return ""
	}
	return l[0]
}

func opStorLines(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.connect(t, ctx, nil)
	dir := s.mkScratch(t, ctx, c, "slines")
	p := join(dir, "lines.txt")
	_, err := c.StorLines(ctx, "STOR "+p, strings.NewReader("a\nb\r\nc"))
	if s.asciiRetrStalls {
		wantReplyErr(t, "StorLines", err, ftp.ErrTemp, 426)
		r.Note("TYPE A uploads broken: %v", err)
		return
	}
	if err != nil {
		t.Fatalf("StorLines: %v", err)
	}
	want := []byte("a\nb\nc\n")
	if s.asciiUpCRLF {
		want = []byte("a\r\nb\r\nc\r\n")
		r.Note("stored with CRLF: ASCII upload conversion off (§9)")
	}
	onDisk(t, s, p, want)
	sameBytes(t, "RETR after StorLines", retr(t, ctx, c, p), want)
}

// pasvUsed counts the PASV and EPSV commands in cmds.
func pasvUsed(cmds []string) (pasv, epsv int) {
	for _, c := range cmds {
		switch c {
		case "PASV":
			pasv++
		case "EPSV":
			epsv++
		}
	}
	return
}

func opPasv(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c, buf := debugConn(t, ctx, s, false)
	sameBytes(t, "RETR", retr(t, ctx, c, "random-1MiB.bin"), seed(t, s, "random-1MiB.bin"))
	tr := buf.reset()
	if p, e := pasvUsed(cmdsSent(tr)); p != 1 || e != 0 {
		t.Errorf("sent PASV %d times, EPSV %d times; want 1, 0:\n%s", p, e, tr)
	}
	resp, err := c.SendCmd(ctx, "PASV")
	if err != nil {
		t.Fatalf("PASV: %v", err)
	}
	h, port, err := ftp.Parse227(resp)
	lo, hi := 30000, 31999
	if s.pasvKernel {
		lo, hi = 1024, 65535
	}
	if err != nil || h != host || port < lo || port > hi {
		t.Errorf("Parse227(%q) = %s, %d, %v; want a port in %d-%d", resp, h, port, err, lo, hi)
	}
}

func opEpsv(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c, buf := debugConn(t, ctx, s, false)
	want := seed(t, s, "random-1MiB.bin")
	resp, err := c.SendCmd(ctx, "EPSV ALL")
	if s.epsvAllRefused != 0 {
		wantReplyErr(t, "EPSV ALL", err, ftp.ErrPerm, s.epsvAllRefused)
		if err != nil {
			resp = "refused: " + err.Error()
		}
		if s.epsvAllTwice {
			// A second reply to the same command: read it, or every
			// later reply would be one behind.
			_, err := c.GetResp(ctx)
			wantReplyErr(t, "EPSV ALL, second reply", err, ftp.ErrPerm, s.epsvAllRefused)
			resp += " (twice: two 500 replies to one command)"
		}
	} else if err != nil {
		t.Fatalf("EPSV ALL: %v", err)
	}
	buf.reset()
	if !s.epsvAll {
		// pure-ftpd answers "220 Active mode is disabled" and keeps
		// accepting PASV, so the client never falls back to EPSV on IPv4:
		// test EPSV with a transfer made by hand from the client's
		// exported pieces.
		sameBytes(t, "RETR after EPSV ALL", retr(t, ctx, c, "random-1MiB.bin"), want)
		if p, e := pasvUsed(cmdsSent(buf.reset())); p != 1 || e != 0 {
			t.Errorf("after an ignored EPSV ALL: PASV %d, EPSV %d; want 1, 0", p, e)
		}
		if s.noEpsv {
			_, err := c.SendCmd(ctx, "EPSV")
			wantReplyErr(t, "EPSV", err, ftp.ErrPerm, s.unknown())
			r.Note("no EPSV (%v): PASV only", err)
			return
		}
		sameBytes(t, "hand-made EPSV RETR", epsvByHand(t, ctx, s, c, "random-1MiB.bin"), want)
		r.Note("EPSV ALL not in force (%q, PASV still accepted); EPSV checked by a hand-made transfer (SendCmd EPSV, Parse229, RETR, VoidResp)", resp)
		return
	}
	sameBytes(t, "RETR after EPSV ALL", retr(t, ctx, c, "random-1MiB.bin"), want)
	tr := buf.reset()
	cmds := cmdsSent(tr)
	if p, e := pasvUsed(cmds); p != 1 || e != 1 || slices.Index(cmds, "PASV") > slices.Index(cmds, "EPSV") {
		t.Errorf("first transfer after EPSV ALL: want PASV (refused) then EPSV:\n%s", tr)
	}
	sameBytes(t, "second RETR", retr(t, ctx, c, "random-1MiB.bin"), want)
	if _, err := c.Nlst(ctx, "tree"); err != nil {
		t.Errorf("NLST over EPSV: %v", err)
	}
	tr = buf.reset()
	if p, e := pasvUsed(cmdsSent(tr)); p != 0 || e != 2 {
		t.Errorf("later transfers: PASV %d, EPSV %d; want 0, 2:\n%s", p, e, tr)
	}
	r.Note("EPSV forced with EPSV ALL: PASV refused, the client falls back to EPSV and keeps it")
}

// epsvByHand downloads name over an EPSV data connection set up with
// SendCmd and Parse229, wrapped in TLS for a TLS configuration.
func epsvByHand(t *testing.T, ctx context.Context, s *server, c *ftp.Conn, name string) []byte {
	t.Helper()
	resp, err := c.SendCmd(ctx, "EPSV")
	if err != nil {
		t.Fatalf("EPSV: %v", err)
	}
	h, port, err := ftp.Parse229(resp, host)
	if err != nil {
		t.Fatalf("Parse229(%q): %v", resp, err)
	}
	var nd net.Dialer
	raw, err := nd.DialContext(ctx, "tcp", net.JoinHostPort(h, strconv.Itoa(port)))
	if err != nil {
		t.Fatalf("data connection: %v", err)
	}
	defer raw.Close()
	if _, err := c.VoidCmd(ctx, "TYPE I"); err != nil {
		t.Fatalf("TYPE I: %v", err)
	}
	if resp, err := c.SendCmd(ctx, "RETR "+name); err != nil || resp[0] != '1' {
		t.Fatalf("RETR: %q, %v", resp, err)
	}
	var data net.Conn = raw
	if s.tls != plainFTP {
		cfg := tlsConfig(t)
		cfg.ServerName = host
		data = tls.Client(raw, cfg) // pure-ftpd does not require session reuse
	}
	_ = raw.SetDeadline(time.Now().Add(dialTimeout))
	got, err := io.ReadAll(data)
	if err != nil {
		t.Fatalf("reading: %v", err)
	}
	data.Close()
	if _, err := c.VoidResp(ctx); err != nil {
		t.Fatalf("final reply: %v", err)
	}
	return got
}

func opActive(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c, buf := debugConn(t, ctx, s, true)
	dir := s.mkScratch(t, ctx, c, "active")
	data := randomBytes(t, 1<<20)
	p := join(dir, "active.bin")
	stor(t, ctx, c, "STOR "+p, data)
	onDisk(t, s, p, data)
	sameBytes(t, "RETR (active)", retr(t, ctx, c, p), data)
	names, err := c.Nlst(ctx, dir)
	if s.nlstDots {
		names = withoutDots(names)
	}
	want := "active.bin"
	if s.nlstDashGlob {
		// The directory's name has '-': taken for a glob, it lists itself.
		want = path.Base(dir)
		r.Note("NLST of a directory named with '-' lists that name only (taken for a glob pattern)")
	}
	if err != nil || len(names) != 1 || path.Base(names[0]) != want {
		t.Errorf("NLST (active) = %q, %v; want [%s]", names, err, want)
	}
	tr := buf.reset()
	var port int
	for _, c := range cmdsSent(tr) {
		if strings.HasPrefix(c, "PORT ") {
			port++
		}
	}
	if p, e := pasvUsed(cmdsSent(tr)); port != 3 || p != 0 || e != 0 {
		t.Errorf("active mode sent PORT %d times, PASV %d, EPSV %d; want 3, 0, 0:\n%s", port, p, e, tr)
	}
}

func opErrors(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.connect(t, ctx, nil)
	var buf bytes.Buffer
	_, err := c.RetrBinary(ctx, "RETR nosuch.bin", &buf)
	wantReplyErr(t, "RETR of a missing file", err, ftp.ErrPerm, 550)
	_, err = c.Size(ctx, "nosuch.bin")
	wantReplyErr(t, "SIZE of a missing file", err, ftp.ErrPerm, 550)
	_, err = c.Cwd(ctx, "nosuch")
	wantReplyErr(t, "CWD to a missing directory", err, ftp.ErrPerm, 550)
	_, err = c.Delete(ctx, "nosuch.bin")
	wantReplyErr(t, "DELE of a missing file", err, ftp.ErrPerm, 550)
	_, err = c.Rmd(ctx, "nosuch")
	wantReplyErr(t, "RMD of a missing directory", err, ftp.ErrPerm, 550)
	var e *ftp.Error
	if errors.As(err, &e) && (errors.Is(err, ftp.ErrTemp) || errors.Is(err, ftp.ErrReply)) {
		t.Errorf("%q has more than one class", e.Msg)
	}
	// The connection is still usable after the refusals.
	if got := retr(t, ctx, c, "tree/f001.txt"); len(got) != 10 {
		t.Errorf("RETR after the errors: %d bytes", len(got))
	}
}

func opAbort(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c, buf := debugConn(t, ctx, s, false)
	defer func() {
		if t.Failed() {
			t.Logf("transcript:\n%s", buf.String())
		}
	}()
	dir := s.mkScratch(t, ctx, c, "abort")
	// Big enough that the transfer is still running when it is closed.
	big := randomBytes(t, 16<<20)
	p := join(dir, "big.bin")
	stor(t, ctx, c, "STOR "+p, big)
	d, err := c.Retr(ctx, "RETR "+p)
	if err != nil {
		t.Fatalf("Retr: %v", err)
	}
	head := make([]byte, 64<<10)
	if _, err := io.ReadFull(d, head); err != nil {
		t.Fatalf("reading the start: %v", err)
	}
	closeErr := d.Close()
	if s.noAbor {
		wantReplyErr(t, "Close before the end (ABOR)", closeErr, ftp.ErrProto, s.unknown())
		r.Note("no ABOR: Close returns the refusal (%v); the connection stays in step", closeErr)
		closeErr = nil
	}
	if closeErr != nil && !s.abortMayClose {
		t.Errorf("Close before the end (ABOR): %v", closeErr)
	}
	if !bytes.Equal(head, big[:len(head)]) {
		t.Errorf("the first 64 KiB differ")
	}
	r.Note("final replies: %s", strings.ReplaceAll(d.Reply(), "\n", " / "))
	if _, err := c.Noop(ctx); err != nil {
		if !s.abortMayClose || !errors.Is(err, ftp.ErrClosed) {
			t.Fatalf("NOOP after the abort: %v", err)
		}
		// The daemon died of SIGPIPE writing to the closed data
		// connection (in-band ABOR: it was not reading the control
		// connection): a new session works.
		r.Note("this time the server ended the session (SIGPIPE on the cut data connection): Close: %v", closeErr)
		c = s.connect(t, ctx, nil)
	}
	sameBytes(t, "RETR after the abort", retr(t, ctx, c, "random-1MiB.bin"), seed(t, s, "random-1MiB.bin"))
}

func opQuit(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.connect(t, ctx, nil)
	resp, err := c.Quit(ctx)
	if err != nil || !strings.HasPrefix(resp, "221") {
		t.Errorf("QUIT: %q, %v", resp, err)
	}
	if _, err := c.Noop(ctx); !errors.Is(err, ftp.ErrClosed) {
		t.Errorf("NOOP after QUIT: %v, want ErrClosed", err)
	}
}
