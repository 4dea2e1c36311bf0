package ftptest

import (
	"bytes"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestPythonFtplib runs a scripted session of CPython's ftplib against
// the server: plain, FTP_TLS with PROT P, an FTP_TLS that resumes the TLS
// session against RequireSessionReuse, and stock FTP_TLS (which does not
// resume) against RequireSessionReuse, which must fail with 522.
func TestPythonFtplib(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	hello := []byte("hello, ftplib\n\x00\xff")
	for _, tc := range []struct {
		mode  string
		reuse bool
		max   uint16
	}{
		{"plain", false, 0},
		{"tls", false, 0},
		{"tls", false, tls.VersionTLS12},
		{"tls-reuse", true, 0},
		{"tls-reuse", true, tls.VersionTLS12},
		{"tls-stock", true, 0},
	} {
		name := tc.mode
		if tc.max != 0 {
			name += "-" + tls.VersionName(tc.max)
		}
		t.Run(name, func(t *testing.T) {
			s := newServer(t, startTLS, func(s *Server) {
				s.RequireSessionReuse = tc.reuse
				if tc.max != 0 {
					s.TLS = &tls.Config{MaxVersion: tc.max}
				}
			})
			s.WriteFile("hello.bin", hello)
			ca := filepath.Join(t.TempDir(), "ca.pem")
			if err := os.WriteFile(ca, s.CertificatePEM(), 0o644); err != nil {
				t.Fatal(err)
			}
			host, port, _ := strings.Cut(s.Addr, ":")
			cmd := exec.Command(py, "testdata/ftplib_session.py", host, port, tc.mode, ca)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			stdout, err := cmd.Output()
			if err != nil {
				t.Fatalf("python: %v\n%s\ncommands: %q", err, stderr.Bytes(), s.Commands())
			}
			var out map[string]any
			if err := json.Unmarshal(stdout, &out); err != nil {
				t.Fatalf("output %q: %v", stdout, err)
			}
			check := func(key string, want any) {
				t.Helper()
				if got := out[key]; !reflect.DeepEqual(got, want) {
					t.Errorf("%s: got %#v, want %#v", key, got, want)
				}
			}
			check("welcome", "220 ftptest ready.")
			check("login", "230 Login successful.")
			if tc.mode != "plain" {
				check("prot", "200 PROT now Private.")
			}
			if tc.mode == "tls-stock" {
				check("error", "522 SSL connection failed: session reuse required")
				check("after", "EOFError")
				return
			}
			check("pwd", "/")
			check("retr_reply", "226 Transfer complete.")
			check("retr", hex.EncodeToString(hello))
			check("stor_reply", "226 Transfer complete.")
			check("size", float64(256000))
			check("mlsd", []any{
				[]any{"hello.bin", map[string]any{"type": "file", "size": "16"}},
				[]any{"up load.bin", map[string]any{"type": "file", "size": "256000"}},
			})
			check("nlst", []any{"hello.bin", "up load.bin"})
			check("rename", "250 Rename successful.")
			if l, _ := out["list"].([]any); len(l) != 2 ||
				!strings.HasPrefix(l[1].(string), "-rw-r--r--    1 ftp      ftp        256000 ") ||
				!strings.HasSuffix(l[1].(string), " renamed ü;x.bin") {
				t.Errorf("list: %q", out["list"])
			}
			check("retrlines", []any{"a", "b", "c"})
			check("mkd", `/new "dir"`)
			check("pwd2", `/new "dir"`)
			check("delete", "250 Delete operation successful.")
			check("retr_active", hex.EncodeToString(hello))
			check("quit", "221 Goodbye.")
			if got, _ := s.ReadFile("text.txt"); string(got) != "a\nb\nc\ntail" {
				t.Errorf("text.txt: %q", got)
			}
			if _, err := s.Stat("renamed ü;x.bin"); err == nil {
				t.Error("deleted file still there")
			}
			log := strings.Join(s.Commands(), "\n")
			for _, want := range []string{"USER user\nPASS pass", "RNFR up load.bin\nRNTO renamed ü;x.bin", "DELE renamed ü;x.bin", "PORT 127,0,0,1,"} {
				if !strings.Contains(log, want) {
					t.Errorf("log lacks %q:\n%s", want, log)
				}
			}
			for _, tr := range s.Transfers() {
				if tr.Aborted || tr.TLS != (tc.mode != "plain") || tr.DidResume != tc.reuse {
					t.Errorf("transfer %+v", tr)
				}
				if tr.TLS && strings.HasPrefix(tr.Command, "STOR") && !tr.CloseNotify {
					t.Errorf("upload without close_notify: %+v", tr)
				}
			}
		})
	}
}
