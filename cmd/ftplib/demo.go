package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/ftplib-go/ftp/ftptest"
)

// demoPassword is the demo user's password. It reaches the tool through
// $FTP_PASSWORD, so the printed command lines never show it.
const demoPassword = "demo-secret"

// demo is one run of the demo command.
type demo struct {
	c    *cli
	out  io.Writer
	work string // scratch directory
	step int
}

// cmdDemo starts ftptest servers on loopback with a sample tree and runs
// a visible session against them with the tool itself.
func (c *cli) cmdDemo(ctx context.Context, args []string) error {
	if _, err := parseCommand("demo", args, nil, nil, 0, 0); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "ftplib-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	d := &demo{c: c, out: c.stdout, work: work}
	if err := d.run(ctx); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(d.out, "\nAll %d steps succeeded.\n", d.step)
	return nil
}

// sampleTree writes the demo files into srv and returns the big one.
func sampleTree(srv *ftptest.Server) ([]byte, error) {
	big := make([]byte, 1<<20)
	rand.NewChaCha8([32]byte{'f', 't', 'p'}).Read(big)
	files := map[string][]byte{
		"README.txt":         []byte("Welcome to the ftplib demo server.\n"),
		"pub/big.bin":        big,
		"pub/report.csv":     []byte("month,downloads\n2026-01,1200\n2026-02,1350\n"),
		"pub/docs/notes.txt": []byte("Notes live here.\n"),
	}
	for name, data := range files {
		if err := srv.WriteFile(name, data); err != nil {
			return nil, err
		}
	}
	return big, srv.MkdirAll("incoming")
}

// tool returns a cli that runs in-process like the real command, with its
// output indented under the demo's text, its login taken from the
// environment (never printed) and, when pool is not nil, trusting only
// pool's certificates.
func (d *demo) tool(pool *x509.CertPool) *cli {
	ind := &indentWriter{w: d.out, prefix: "     "}
	env := map[string]string{
		"FTP_USER":     "demo",
		"FTP_PASSWORD": demoPassword,
		"NETRC":        filepath.Join(d.work, "no-netrc"),
	}
	return &cli{
		stdin:   strings.NewReader(""),
		stdout:  ind,
		stderr:  ind,
		getenv:  func(k string) string { return env[k] },
		rootCAs: pool,
		prog:    "ftplib",
	}
}

// say starts a new step.
func (d *demo) say(format string, args ...any) {
	d.step++
	fmt.Fprintf(d.out, "\n%d. %s\n", d.step, fmt.Sprintf(format, args...))
}

// note prints a line of explanation inside a step.
func (d *demo) note(format string, args ...any) {
	fmt.Fprintf(d.out, "   %s\n", fmt.Sprintf(format, args...))
}

// exec runs the tool with args, shows the command line, and returns its
// exit code.
func (d *demo) exec(ctx context.Context, pool *x509.CertPool, args ...string) int {
	shown := make([]string, len(args))
	for i, a := range args {
		shown[i] = strings.ReplaceAll(a, d.work, "$TMP")
	}
	fmt.Fprintf(d.out, "   $ ftplib %s\n", strings.Join(shown, " "))
	return d.tool(pool).main(ctx, args)
}

// must runs the tool and fails the demo unless it exits 0.
func (d *demo) must(ctx context.Context, pool *x509.CertPool, args ...string) error {
	if code := d.exec(ctx, pool, args...); code != exitOK {
		return fmt.Errorf("step %d: ftplib %s exited %d", d.step, args[0], code)
	}
	return nil
}

func sameFile(name string, want []byte) (bool, error) {
	got, err := os.ReadFile(name)
	if err != nil {
		return false, err
	}
	return sha256.Sum256(got) == sha256.Sum256(want), nil
}

func (d *demo) run(ctx context.Context) error {
	srv := ftptest.NewUnstartedServer()
	srv.Users = map[string]string{"demo": demoPassword}
	srv.Anonymous = false
	srv.Welcome = "ftptest demo server ready."
	srv.Start()
	defer srv.Close()
	big, err := sampleTree(srv)
	if err != nil {
		return err
	}
	base := "ftp://demo@" + srv.Addr + "/"
	fmt.Fprintf(d.out, "ftplib demo: an in-process FTP server (package ftptest) is listening on %s.\n", srv.Addr)
	fmt.Fprintf(d.out, "The login is user \"demo\" with the password in $FTP_PASSWORD, so it never appears below.\n")

	d.say("Log in and list the top directory; -v logs each command, reply, data connection and transfer (PASS is masked):")
	if err := d.must(ctx, nil, "ls", "-v", base); err != nil {
		return err
	}

	d.say("List pub/ as the server formats it (LIST):")
	if err := d.must(ctx, nil, "ls", "-l", base+"pub/"); err != nil {
		return err
	}

	d.say("Download pub/big.bin (%s); it goes to a temporary file, renamed when complete:", formatBytes(int64(len(big))))
	local := filepath.Join(d.work, "big.bin")
	if err := d.must(ctx, nil, "get", base+"pub/big.bin", local); err != nil {
		return err
	}
	if ok, err := sameFile(local, big); err != nil || !ok {
		return fmt.Errorf("step %d: the downloaded file differs (%v)", d.step, err)
	}
	d.note("-> %d bytes, SHA-256 identical to the server's copy.", len(big))

	d.say("Upload a file into incoming/ (a URL ending in / keeps the local name):")
	up := filepath.Join(d.work, "hello.txt")
	upData := []byte("Hello from ftplib.\n")
	if err := os.WriteFile(up, upData, 0o644); err != nil {
		return err
	}
	if err := d.must(ctx, nil, "put", up, base+"incoming/"); err != nil {
		return err
	}
	if got, err := srv.ReadFile("incoming/hello.txt"); err != nil || !bytes.Equal(got, upData) {
		return fmt.Errorf("step %d: the server holds %q (%v)", d.step, got, err)
	}
	d.note("-> the server now holds incoming/hello.txt: %q", upData)

	cut := int64(300 << 10)
	d.say("Resume: the server is told to cut the next download after %s; -c keeps the part:", formatBytes(cut))
	srv.AddFault(ftptest.Fault{Command: "RETR", Nth: 1, Cut: true, CutAfter: cut})
	part := filepath.Join(d.work, "resumed.bin")
	if code := d.exec(ctx, nil, "get", "-c", base+"pub/big.bin", part); code != exitFail {
		return fmt.Errorf("step %d: the cut download exited %d, want %d", d.step, code, exitFail)
	}
	fi, err := os.Stat(part)
	if err != nil {
		return err
	}
	d.note("-> exit status 1, as expected; %s kept.", formatBytes(fi.Size()))
	if err := d.must(ctx, nil, "get", "-c", base+"pub/big.bin", part); err != nil {
		return err
	}
	rest := fmt.Sprintf("REST %d", fi.Size())
	sawRest := false
	for _, cmd := range srv.Commands() {
		sawRest = sawRest || cmd == rest
	}
	if ok, err := sameFile(part, big); err != nil || !ok || !sawRest {
		return fmt.Errorf("step %d: resume failed (same %v, %s sent %v, %v)", d.step, ok, rest, sawRest, err)
	}
	d.note("-> the tool sent %q and only fetched the rest; the file is complete and identical.", rest)

	return d.ftps(ctx)
}

// ftps runs the FTPS step against a server that requires TLS, on the
// control and data connections, and TLS session reuse.
func (d *demo) ftps(ctx context.Context) error {
	srv := ftptest.NewUnstartedServer()
	srv.Users = map[string]string{"demo": demoPassword}
	srv.Anonymous = false
	srv.RequireTLS = true
	srv.RequireSessionReuse = true
	srv.StartTLS()
	defer srv.Close()
	data := []byte("This file only travels encrypted.\n")
	if err := srv.WriteFile("secret.txt", data); err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	base := "ftp://demo@" + srv.Addr + "/"

	d.say("FTPS (AUTH TLS) against a second server on %s that, like vsftpd with", srv.Addr)
	d.note("require_ssl_reuse=YES, refuses data connections that do not resume the")
	d.note("control connection's TLS session. Its certificate is verified.")
	if err := d.must(ctx, pool, "ls", "--explicit-tls", base); err != nil {
		return err
	}
	local := filepath.Join(d.work, "secret.txt")
	if err := d.must(ctx, pool, "get", "--explicit-tls", base+"secret.txt", local); err != nil {
		return err
	}
	if ok, err := sameFile(local, data); err != nil || !ok {
		return fmt.Errorf("step %d: the downloaded file differs (%v)", d.step, err)
	}
	var sent []string
	for _, cmd := range srv.Commands() {
		if strings.HasPrefix(cmd, "PASS ") {
			cmd = "PASS ****"
		}
		sent = append(sent, cmd)
		if cmd == "PROT P" {
			break
		}
	}
	d.note("The server's record of the first session: %s.", strings.Join(sent, ", "))
	d.note("Its record of the data connections:")
	for _, tr := range srv.Transfers() {
		if !tr.TLS || !tr.DidResume || tr.Aborted {
			return fmt.Errorf("step %d: data connection %q: TLS %v, resumed %v, aborted %v", d.step, tr.Command, tr.TLS, tr.DidResume, tr.Aborted)
		}
		d.note("   %-16s %s, TLS session resumed", tr.Command, tls.VersionName(tr.TLSVersion))
	}
	return nil
}

// indentWriter writes to w with prefix at the start of every line.
type indentWriter struct {
	w       io.Writer
	prefix  string
	midLine bool
}

func (iw *indentWriter) Write(p []byte) (int, error) {
	var buf bytes.Buffer
	for _, b := range p {
		if !iw.midLine {
			buf.WriteString(iw.prefix)
			iw.midLine = true
		}
		buf.WriteByte(b)
		if b == '\n' {
			iw.midLine = false
		}
	}
	if _, err := iw.w.Write(buf.Bytes()); err != nil {
		return 0, err
	}
	return len(p), nil
}
