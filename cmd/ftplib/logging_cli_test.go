package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ftplib-go/ftp/ftptest"
)

// logSecret is the password of the tests below: no output may hold it,
// nor any part of it that is distinctive.
const (
	logSecret = "Pw-s3cret-42"
	logMark   = "s3cret"
)

// jsonRecords parses JSON lines (other lines are skipped) and fails the
// test if none is a record of package ftp.
func jsonRecords(t *testing.T, out string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("bad JSON line %q: %v", line, err)
		}
		recs = append(recs, m)
	}
	if len(recs) == 0 {
		t.Fatalf("no JSON records in:\n%s", out)
	}
	return recs
}

// TestLogNoPassword runs the tool with -v and --log-json in every way a
// password reaches it (URL, $FTP_PASSWORD, netrc, the Python interface,
// a pooled Client, FTPS, a failed login) and greps everything it wrote
// for the password.
func TestLogNoPassword(t *testing.T) {
	srv := newServer(t)
	srv.Users = map[string]string{"user": logSecret}
	tlsSrv := ftptest.NewUnstartedServer()
	tlsSrv.Users = map[string]string{"user": logSecret}
	tlsSrv.RequireSessionReuse = true
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	mustWrite(t, tlsSrv, "secret.txt", []byte("top secret\n"))

	r := newRunner(t)
	logFile := filepath.Join(r.dir, "log.jsonl")
	os.WriteFile(filepath.Join(r.dir, "up.txt"), []byte("up\n"), 0o644)
	rc := filepath.Join(r.dir, "rc")
	host, port, _ := strings.Cut(srv.Addr, ":")
	os.WriteFile(rc, []byte("machine "+host+" login user password "+logSecret+"\n"), 0o600)
	u := "ftp://user:" + logSecret + "@" + srv.Addr + "/"

	runs := []struct {
		name string
		env  map[string]string
		args []string
		code int
	}{
		{"ls URL", nil, []string{"ls", "-v", "--log-json", u}, 0},
		{"get FTP_PASSWORD", map[string]string{"FTP_USER": "user", "FTP_PASSWORD": logSecret},
			[]string{"get", "-v", "--log-json=" + logFile, "ftp://" + srv.Addr + "/hello.txt", "-"}, 0},
		{"put retries", nil, []string{"put", "-v", "-v", "--log-json", "--retries", "1", "up.txt", u}, 0},
		{"mirror parallel", nil, []string{"mirror", "--parallel", "2", "-v", "--log-json=" + logFile, u + "pub/", "copy"}, 0},
		{"python netrc", nil, []string{"-v", "--log-json", "-d", "-d", "-r" + rc, host + ":" + port, "-l"}, 0},
		{"ftps", nil, []string{"get", "--explicit-tls", "--insecure", "-v", "--log-json",
			"ftps://user:" + logSecret + "@" + tlsSrv.Addr + "/secret.txt", "-"}, 0},
		{"wrong password", nil, []string{"ls", "-v", "--log-json", "ftp://user:Wrong-" + logSecret + "@" + srv.Addr + "/"}, 1},
	}
	for _, run := range runs {
		for k, v := range run.env {
			r.env[k] = v
		}
		res := r.run(run.args...)
		for k := range run.env {
			delete(r.env, k)
		}
		res.want(t, run.code)
		out := res.stdout + res.stderr
		if strings.Contains(out, logMark) {
			t.Errorf("%s: the output holds the password:\n%s", run.name, out)
		}
		if !strings.Contains(res.stderr, `msg="ftp command" cmd="PASS ****"`) {
			t.Errorf("%s: no -v record of PASS:\n%s", run.name, res.stderr)
		}
		if !slices.Contains(run.args, "--log-json") {
			continue
		}
		var sawPass bool
		for _, m := range jsonRecords(t, res.stderr) {
			sawPass = sawPass || m["msg"] == "ftp command" && m["cmd"] == "PASS ****"
		}
		if !sawPass {
			t.Errorf("%s: no JSON record of PASS:\n%s", run.name, res.stderr)
		}
	}
	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), logMark) {
		t.Errorf("the --log-json file holds the password:\n%s", b)
	}
	var transfers int
	for _, m := range jsonRecords(t, string(b)) {
		if m["msg"] == "ftp transfer" {
			transfers++
		}
	}
	// get hello.txt, then mirror's listings and its two files.
	if transfers < 3 {
		t.Errorf("%d transfers in the --log-json file:\n%s", transfers, b)
	}
	// The Python interface's -d still prints ftplib's debug text.
	res := r.run("-d", "-r"+rc, host+":"+port, "-l")
	res.want(t, 0, "*cmd* 'PASS ************'")
	if strings.Contains(res.stderr, "msg=") || strings.Contains(res.stderr, logMark) {
		t.Errorf("-d alone:\n%s", res.stderr)
	}
}

// TestLogJSONMatchesServer checks that what --log-json records agrees
// with what the server recorded: the commands in order, every reply code,
// and the bytes of the transfer.
func TestLogJSONMatchesServer(t *testing.T) {
	srv := newServer(t)
	r := newRunner(t)
	res := r.run("get", "--log-json", ftpURL(srv, "pub/data.bin"), "-")
	res.want(t, 0)
	var cmds, srvCmds []string
	var codes, srvCodes []int
	var bytes, srvBytes []float64
	for _, m := range jsonRecords(t, res.stderr) {
		switch m["msg"] {
		case "ftp command":
			cmds = append(cmds, m["cmd"].(string))
		case "ftp reply":
			codes = append(codes, int(m["code"].(float64)))
		case "ftp transfer":
			bytes = append(bytes, m["bytes"].(float64))
			if m["result"] != "ok" || m["code"] != 226.0 {
				t.Errorf("transfer record %v", m)
			}
		}
	}
	for _, rec := range srv.Records() {
		switch rec.Kind {
		case ftptest.RecordCommand:
			srvCmds = append(srvCmds, rec.Command)
		case ftptest.RecordReply:
			srvCodes = append(srvCodes, rec.Code)
		case ftptest.RecordTransfer:
			srvBytes = append(srvBytes, float64(rec.Bytes))
		}
	}
	if !slices.Equal(cmds, srvCmds) || !slices.Equal(codes, srvCodes) || !slices.Equal(bytes, srvBytes) || len(bytes) != 1 || bytes[0] != float64(len(res.stdout)) {
		t.Errorf("client and server disagree:\ncommands %q\n  server %q\ncodes %v\n  server %v\nbytes %v\n  server %v (stdout %d)",
			cmds, srvCmds, codes, srvCodes, bytes, srvBytes, len(res.stdout))
	}
	if !slices.Contains(cmds, "PASS ****") {
		t.Errorf("commands %q", cmds)
	}
}
