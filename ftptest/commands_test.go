package ftptest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var stamp = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// fixture fills a server's tree with files of known times.
func fixture(t testing.TB, s *Server) {
	t.Helper()
	files := map[string]string{
		"a.txt":                "one\ntwo\r\nthree\n",
		"file with spaces.txt": "spaces",
		"naïve;x.txt":          "utf8",
		"dir/b.bin":            "\x00\x01\x02",
	}
	for name, data := range files {
		if err := s.WriteFile(name, []byte(data)); err != nil {
			t.Fatal(err)
		}
		if err := s.SetModTime(name, stamp); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetModTime("dir", stamp); err != nil {
		t.Fatal(err)
	}
}

func TestLogin(t *testing.T) {
	s := newServer(t, startPlain, func(s *Server) { s.Users["alice"] = "s3cret" })
	c := dial(t, s)
	c.expect("PASS x", "503 Login with USER first.")
	c.expect("PWD", "530 Please login with USER and PASS.")
	c.expect("RETR a", "530 Please login with USER and PASS.")
	c.expect("USER", "501 Syntax error in parameters or arguments.")
	c.expect("USER alice", "331 Please specify the password.")
	c.expect("PASS wrong", "530 Login incorrect.")
	c.expect("PASS s3cret", "503 Login with USER first.")
	c.expect("USER alice", "331 Please specify the password.")
	c.expect("PASS s3cret", "230 Login successful.")
	c.expect("PASS s3cret", "230 Already logged in.")
	c.expect("USER bob", "530 Can't change to another user.")
	c.expect("ACCT x", "202 Command not implemented, superfluous at this site.")
	c.expect("QUIT", "221 Goodbye.")
	c.eof()

	c = dial(t, s)
	c.expect("USER anonymous", "331 Please specify the password.")
	c.expect("PASS", "230 Login successful.")

	s2 := newServer(t, startPlain, func(s *Server) { s.Anonymous = false })
	c = dial(t, s2)
	c.expect("USER ftp", "331 Please specify the password.")
	c.expect("PASS guest@", "530 Login incorrect.")
}

func TestInfoCommands(t *testing.T) {
	s := newServer(t, startPlain, nil)
	c := dial(t, s)
	c.expect("NOOP", "200 NOOP ok.")
	c.expect("SYST", "215 UNIX Type: L8")
	c.expect("FEAT", "211-Features:\n EPRT\n EPSV\n HOST\n MDTM\n MFMT\n MLST type*;size*;modify*;perm*;unique*;\n PASV\n REST STREAM\n SIZE\n TVFS\n UTF8\n211 End")
	c.expect("HELP", "214-The following commands are recognized.\n"+
		" ABOR ACCT ALLO APPE AUTH CCC  CDUP CWD  DELE EPRT EPSV FEAT\n"+
		" HELP HOST LIST MDTM MFMT MKD  MLSD MLST MODE NLST NOOP OPTS\n"+
		" PASS PASV PBSZ PORT PROT PWD  QUIT REST RETR RMD  RNFR RNTO\n"+
		" SIZE STAT STOR STOU STRU SYST TYPE USER XCUP XCWD XMKD XPWD\n"+
		" XRMD\n"+
		"214 Help OK.")
	c.expect("OPTS UTF8 ON", "200 Always in UTF8 mode.")
	c.expect("OPTS UTF8 OFF", "501 Option not understood.")
	c.expect("OPTS FOO", "501 Option not understood.")
	c.expect("OPTS", "501 Syntax error in parameters or arguments.")
	c.expect("OPTS MLST size;Type;bogus;", "200 MLST OPTS size;type;")
	c.expect("FEAT", "211-Features:\n EPRT\n EPSV\n HOST\n MDTM\n MFMT\n MLST type*;size*;modify;perm;unique;\n PASV\n REST STREAM\n SIZE\n TVFS\n UTF8\n211 End")
	c.expect("OPTS MLST", "200 MLST OPTS")
	c.login()
	c.expect("STAT", "211-FTP server status:\n     Connected to 127.0.0.1\n     Logged in as user\n     TYPE: ASCII\n     Data protection: Clear\n211 End of status")
	c.expect("ALLO 100", "202 ALLO command ignored.")
}

func TestParameters(t *testing.T) {
	s := newServer(t, startPlain, nil)
	c := dial(t, s)
	c.login()
	for _, tc := range []struct{ line, want string }{
		{"TYPE A", "200 Switching to ASCII mode."},
		{"TYPE a n", "200 Switching to ASCII mode."},
		{"TYPE I", "200 Switching to Binary mode."},
		{"TYPE L 8", "200 Switching to Binary mode."},
		{"TYPE E", "504 Command not implemented for that parameter."},
		{"TYPE A T", "504 Command not implemented for that parameter."},
		{"TYPE", "501 Syntax error in parameters or arguments."},
		{"MODE S", "200 Mode set to S."},
		{"MODE B", "504 Command not implemented for that parameter."},
		{"MODE", "501 Syntax error in parameters or arguments."},
		{"STRU F", "200 Structure set to F."},
		{"STRU R", "504 Command not implemented for that parameter."},
		{"REST x", "501 Syntax error in parameters or arguments."},
		{"REST -1", "501 Syntax error in parameters or arguments."},
		{"REST 10", "350 Restart position accepted (10)."},
	} {
		c.expect(tc.line, tc.want)
	}
}

func TestDirectories(t *testing.T) {
	for _, disk := range []bool{false, true} {
		t.Run(fmt.Sprint("disk=", disk), func(t *testing.T) {
			s := newServer(t, startPlain, func(s *Server) {
				if disk {
					s.Root = t.TempDir()
				}
			})
			fixture(t, s)
			c := dial(t, s)
			c.login()
			c.expect("PWD", `257 "/" is the current directory`)
			c.expect(`MKD say "hi"`, `257 "/say ""hi""" created`)
			c.expect(`CWD say "hi"`, "250 Directory successfully changed.")
			c.expect("PWD", `257 "/say ""hi""" is the current directory`)
			c.expect("MKD sub dir", `257 "/say ""hi""/sub dir" created`)
			c.expect("MKD sub dir", "550 Create directory operation failed.")
			c.expect("CDUP", "250 Directory successfully changed.")
			c.expect("PWD", `257 "/" is the current directory`)
			// ".." never climbs above the root.
			c.expect("CWD ../../..", "250 Directory successfully changed.")
			c.expect("PWD", `257 "/" is the current directory`)
			c.expect("CWD /dir/../../../dir", "250 Directory successfully changed.")
			c.expect("PWD", `257 "/dir" is the current directory`)
			c.expect("SIZE ../../../../a.txt", "213 17") // TYPE A: 2 bare LFs added
			c.expect("CWD /nope", "550 Failed to change directory.")
			c.expect("CWD /a.txt", "550 Failed to change directory.")
			c.expect("CWD", "501 Syntax error in parameters or arguments.")
			c.expect("CWD /", "250 Directory successfully changed.")
			c.expect(`RMD say "hi"`, "550 Remove directory operation failed.") // not empty
			c.expect(`RMD say "hi"/sub dir`, "250 Remove directory operation successful.")
			c.expect(`RMD say "hi"`, "250 Remove directory operation successful.")
			c.expect("RMD /", "550 Remove directory operation failed.")
			c.expect("RMD ..", "550 Remove directory operation failed.")
			c.expect("DELE naïve;x.txt", "250 Delete operation successful.")
			c.expect("DELE naïve;x.txt", "550 Delete operation failed.")
			c.expect("DELE dir", "550 Delete operation failed.")
			c.expect("RNTO x", "503 RNFR required first.")
			c.expect("RNFR nope", "550 RNFR command failed.")
			c.expect("RNFR file with spaces.txt", "350 Ready for RNTO.")
			c.expect("RNTO dir/ünï code.txt", "250 Rename successful.")
			c.expect("RNFR dir", "350 Ready for RNTO.")
			c.expect("NOOP", "200 NOOP ok.")
			c.expect("RNTO dir2", "503 RNFR required first.") // RNFR must come right before
			c.expect("RNFR dir", "350 Ready for RNTO.")
			c.expect("RNTO dir2", "250 Rename successful.")
			c.expect("RNFR /", "550 RNFR command failed.")
			c.expect("RNFR dir2", "350 Ready for RNTO.")
			c.expect("RNTO dir2/inside", "550 Rename failed.")
			got, err := s.ReadFile("dir2/ünï code.txt")
			if err != nil || string(got) != "spaces" {
				t.Errorf("renamed file: %q, %v", got, err)
			}
			if _, err := s.Stat("dir"); err == nil {
				t.Error("dir still exists after RNTO")
			}
		})
	}
}

func TestSizeAndTimes(t *testing.T) {
	s := newServer(t, startPlain, nil)
	fixture(t, s)
	c := dial(t, s)
	c.login()
	c.expect("SIZE a.txt", "213 17")
	c.expect("TYPE I", "200 Switching to Binary mode.")
	c.expect("SIZE a.txt", "213 15")
	c.expect("SIZE dir", "550 Could not get file size.")
	c.expect("SIZE nope", "550 Could not get file size.")
	c.expect("MDTM a.txt", "213 20240102030405")
	c.expect("MDTM dir", "550 Could not get file modification time.")
	c.expect("MFMT 20200304050607 a.txt", "213 Modify=20200304050607; a.txt")
	c.expect("MDTM a.txt", "213 20200304050607")
	c.expect("MFMT 20200304050607.5 file with spaces.txt", "213 Modify=20200304050607; file with spaces.txt")
	c.expect("MFMT 2020 a.txt", "501 Syntax error in parameters or arguments.")
	c.expect("MFMT 20201304050607 a.txt", "501 Syntax error in parameters or arguments.")
	c.expect("MFMT 20200304050607", "501 Syntax error in parameters or arguments.")
	c.expect("MFMT 20200304050607 nope", "550 Could not set file modification time.")
	c.expect("MLST a.txt", "250-Listing /a.txt\n type=file;size=15;modify=20200304050607;perm=adfrw;unique=77efdd7a08390f0b; /a.txt\n250 End")
	c.expect("MLST", "250-Listing /\n type=dir;modify="+mustStat(t, s, "/").ModTime().UTC().Format(mdtmLayout)+";perm=flcdmpe;unique=af63a24c860189fe; /\n250 End")
	c.expect("MLST nope", "550 No such file or directory.")
}

func mustStat(t testing.TB, s *Server, name string) interface{ ModTime() time.Time } {
	fi, err := s.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

func TestBadInput(t *testing.T) {
	s := newServer(t, startPlain, nil)
	c := dial(t, s)
	c.expect("FROB", "500 Unknown command.")
	c.expect("", "500 Unknown command.")
	c.expect("frob x y", "500 Unknown command.")
	c.login()
	c.expect("MKD", "501 Syntax error in parameters or arguments.")
	c.expect("RETR", "501 Syntax error in parameters or arguments.")
	c.expect("RETR ../../../../etc/passwd", "425 Use PORT or PASV first.")
	c.pasv()
	c.expect("RETR ../../../../etc/passwd", "550 Failed to open file.")
	// A line of exactly MaxLine bytes (CRLF included) is fine.
	c.expect("NOOP "+strings.Repeat("x", MaxLine-7), "200 NOOP ok.")
	c.expect("NOOP "+strings.Repeat("x", MaxLine-6), "500 Command line too long.")
	c.expect("NOOP "+strings.Repeat("x", 1<<20), "500 Command line too long.")
	c.expect("NOOP", "200 NOOP ok.")
	// Telnet IAC sequences are dropped; IAC IAC is a 0xFF byte.
	c.expect("\xff\xf4\xff\xf2NO\xff\xfb\x01OP", "200 NOOP ok.")
	for i := 0; i < MaxErrors; i++ {
		c.expect("BAD", "500 Unknown command.")
	}
	c.want("421 Too many errors; closing control connection.")
	c.eof()
	log := s.Commands()
	if log[len(log)-MaxErrors-1] != "NOOP" || log[len(log)-MaxErrors-2] != "NOOP" || log[len(log)-1] != "BAD" {
		t.Errorf("log tail: %q", log[len(log)-MaxErrors-2:])
	}
	if !bytes.Contains([]byte(strings.Join(log, "\n")), []byte("PASS pass")) {
		t.Error("PASS not logged verbatim")
	}
	// The server still serves.
	c = dial(t, s)
	c.login()
}

// TestDiskConfinement serves a directory holding symbolic links: one to
// a file inside the root works, one leading outside behaves as missing.
func TestDiskConfinement(t *testing.T) {
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o644)
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "inside"), []byte("inside"), 0o644)
	if err := os.Symlink(filepath.Join(root, "inside"), filepath.Join(root, "good")); err != nil {
		t.Skip("no symbolic links:", err)
	}
	os.Symlink(outside, filepath.Join(root, "out"))
	os.Symlink(filepath.Join(outside, "secret"), filepath.Join(root, "leak"))
	os.Symlink(filepath.Join(outside, "new"), filepath.Join(root, "dangling"))
	s := newServer(t, startPlain, func(s *Server) { s.Root = root })
	c := dial(t, s)
	c.login()
	c.expect("TYPE I", "200 Switching to Binary mode.")
	c.expect("SIZE good", "213 6")
	c.expect("SIZE leak", "550 Could not get file size.")
	c.expect("SIZE out/secret", "550 Could not get file size.")
	c.expect("CWD out", "550 Failed to change directory.")
	c.expect("MKD out/new", "550 Create directory operation failed.")
	c.expect("DELE leak", "550 Delete operation failed.")
	c.expect("RNFR inside", "350 Ready for RNTO.")
	c.expect("RNTO out/stolen", "550 Rename failed.")
	c.expect("RNFR ../../../../../../../..", "550 RNFR command failed.")
	c.pasv()
	c.expect("RETR leak", "550 Failed to open file.")
	c.pasv()
	c.expect("STOR out/x", "553 Could not create file.")
	c.pasv()
	c.expect("STOR dangling", "553 Could not create file.")
	d := c.pasv()
	c.expect("NLST", "150 Here comes the directory listing.")
	if got := string(readAll(t, d)); got != "good\r\ninside\r\n" {
		t.Errorf("NLST: %q", got)
	}
	c.want("226 Directory send OK.")
	for _, name := range []string{"x", "new"} {
		if _, err := os.Stat(filepath.Join(outside, name)); err == nil {
			t.Errorf("%s was created outside the root", name)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "inside")); err != nil {
		t.Error(err)
	}
}
