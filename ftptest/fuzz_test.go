package ftptest

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzSession feeds arbitrary bytes to a control connection, after a
// login, and checks that the server neither crashes nor stops serving.
func FuzzSession(f *testing.F) {
	for _, seed := range []string{
		"NOOP\r\n",
		"PWD\r\nCWD ../../..\r\nPWD\r\nMKD a\"b\r\nRMD a\"b\r\n",
		"PASV\r\nRETR f\r\nABOR\r\n",
		"EPSV\r\nLIST -la\r\nNLST\r\nMLSD\r\nMLST f\r\nQUIT\r\n",
		"TYPE A\r\nSIZE f\r\nREST 3\r\nPASV\r\nSTOR g\r\n",
		"PORT 127,0,0,1,0,1\r\nEPRT |1|127.0.0.1|1|\r\nEPRT |2|::1|1|\r\nRETR f\r\n",
		"AUTH TLS\r\n\x16\x03\x01\x00\x10garbage",
		"CCC\r\nPBSZ 0\r\nPROT P\r\nOPTS MLST size;\r\nFEAT\r\nHELP\r\nSTAT\r\nSTAT /\r\n",
		"RNFR f\r\nRNTO /../g\r\nDELE g\r\nMFMT 20240102030405 f\r\nMDTM f\r\n",
		"\xff\xf4\xff\xf2ABOR\r\n\xff\xff\xff\xfb\x01\r\n",
		strings.Repeat("A", 5000) + "\r\nNOOP\r\n",
		"\x00\x01\x02\n\n\r\r\n",
	} {
		f.Add([]byte(seed))
	}
	s := NewServer()
	f.Cleanup(s.Close)
	s.WriteFile("f", []byte("line one\nline two\n"))

	session := func(t *testing.T, input []byte) {
		conn, err := net.DialTimeout("tcp", s.Addr, hang)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(hang))
		go func() {
			conn.Write(append([]byte("USER user\r\nPASS pass\r\n"), input...))
			conn.(*net.TCPConn).CloseWrite()
		}()
		out, err := io.ReadAll(conn)
		if err != nil && !isReset(err) {
			t.Fatalf("reading replies: %v (after %q)", err, out)
		}
		if !bytes.HasPrefix(out, []byte("220 ftptest ready.\r\n331 ")) {
			t.Fatalf("replies %q", out)
		}
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		session(t, input)
		// The server still serves a fresh session.
		conn, err := net.DialTimeout("tcp", s.Addr, hang)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(hang))
		r := bufio.NewReader(conn)
		io.WriteString(conn, "NOOP\r\n")
		for _, want := range []string{"220 ftptest ready.\r\n", "200 NOOP ok.\r\n"} {
			if line, err := r.ReadString('\n'); line != want {
				t.Fatalf("after fuzz input: %q, %v", line, err)
			}
		}
	})
}

// FuzzReadLine checks the command line reader's bounds.
func FuzzReadLine(f *testing.F) {
	f.Add([]byte("USER x\r\nPASS y\r\n"))
	f.Add([]byte("\xff\xf4\xff\xf2ABOR\r\n"))
	f.Add([]byte("\xff\xff\xff"))
	f.Add(bytes.Repeat([]byte("x"), MaxLine+10))
	f.Fuzz(func(t *testing.T, input []byte) {
		br := bufio.NewReader(bytes.NewReader(input))
		for {
			line, tooLong, err := readLine(br)
			if err != nil {
				return
			}
			if len(line) > MaxLine-1 || strings.Contains(line, "\n") {
				t.Fatalf("line %q (tooLong %v)", line, tooLong)
			}
			if !tooLong && strings.HasSuffix(line, "\r") && !bytes.Contains(input, []byte("\r\r")) && !bytes.Contains(input, []byte("\r\xff")) {
				t.Fatalf("CR kept in %q", line)
			}
		}
	})
}

// FuzzPath checks that no argument resolves outside the served tree,
// in memory or on disk.
func FuzzPath(f *testing.F) {
	for _, seed := range []string{"..", "../../etc/passwd", "/a/../../b", "a/./b//c/", "..\\..\\x", "\x00", "~", "link/../../x"} {
		f.Add("/sub", seed)
	}
	root := f.TempDir()
	os.MkdirAll(filepath.Join(root, "sub"), 0o755)
	os.Symlink(filepath.Dir(root), filepath.Join(root, "sub", "link")) // points outside
	d, err := newDiskTree(root)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, cwd, arg string) {
		cwd = vpath("/", cwd)
		p := vpath(cwd, arg)
		if !strings.HasPrefix(p, "/") || strings.Contains(p+"/", "/../") || (p != "/" && strings.HasSuffix(p, "/")) {
			t.Fatalf("vpath(%q, %q) = %q", cwd, arg, p)
		}
		if real, err := d.real(p); err == nil && !d.inside(real) && real != d.root {
			t.Fatalf("%q resolves to %q, outside %q", p, real, d.root)
		}
	})
}
