package mirror

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPickChecksum(t *testing.T) {
	for _, c := range []struct {
		feat     map[string]string
		cmd, alg string
	}{
		{map[string]string{"HASH": "SHA-1;SHA-256*;MD5", "XMD5": ""}, "HASH", "SHA-256"},
		{map[string]string{"HASH": "SHA-512*;MD5", "XSHA1": "", "XCRC": ""}, "XSHA1", "SHA-1"},
		{map[string]string{"XCRC": "", "XMD5": ""}, "XMD5", "MD5"},
		{map[string]string{"MLST": "size*;"}, "", ""},
	} {
		if cmd, alg := pickChecksum(c.feat); cmd != c.cmd || alg != c.alg {
			t.Errorf("%v: %s %s, want %s %s", c.feat, cmd, alg, c.cmd, c.alg)
		}
	}
}

func TestParseSum(t *testing.T) {
	sha := strings.Repeat("ab", 32)
	for _, c := range []struct{ reply, cmd, alg, want string }{
		{"213 SHA-256 0-49 " + sha + " file name.txt", "HASH", "SHA-256", sha},
		{"213 sha-256 0-49 " + strings.ToUpper(sha) + " f", "HASH", "SHA-256", sha},
		{"250 " + sha, "XSHA256", "SHA-256", sha},
		{"213 d41d8cd98f00b204e9800998ecf8427e", "XMD5", "MD5", "d41d8cd98f00b204e9800998ecf8427e"},
		{"250 1a2b3c", "XCRC", "CRC32", "001a2b3c"},
		{"250-here\r\n250 " + sha + "\r\n", "XSHA256", "SHA-256", sha},
	} {
		got, err := parseSum(c.reply, c.cmd, c.alg)
		if err != nil || got != c.want {
			t.Errorf("%q: %q, %v; want %q", c.reply, got, err, c.want)
		}
	}
	for _, c := range []struct{ reply, cmd, alg string }{
		{"213 MD5 0-49 " + sha + " f", "HASH", "SHA-256"},
		{"213 SHA-256 0-49", "HASH", "SHA-256"},
		{"250 nothex", "XSHA256", "SHA-256"},
		{"250 abcd", "XSHA256", "SHA-256"},
		{"550 no", "XMD5", "MD5"},
		{"", "XMD5", "MD5"},
	} {
		if got, err := parseSum(c.reply, c.cmd, c.alg); !errors.Is(err, ErrChecksumReply) {
			t.Errorf("%q: %q, %v; want ErrChecksumReply", c.reply, got, err)
		}
	}
}

func FuzzParseSum(f *testing.F) {
	f.Add("213 SHA-256 0-49 "+strings.Repeat("ab", 32)+" f", 0)
	f.Add("250 1a2b3c", 4)
	f.Add("250-x\r\n250 d41d8cd98f00b204e9800998ecf8427e", 3)
	f.Fuzz(func(t *testing.T, reply string, k int) {
		cmds := []struct{ cmd, alg string }{{"HASH", "SHA-256"}, {"HASH", "MD5"}, {"XSHA256", "SHA-256"}, {"XMD5", "MD5"}, {"XCRC", "CRC32"}}
		if k < 0 {
			k = -k
		}
		c := cmds[k%len(cmds)]
		got, err := parseSum(reply, c.cmd, c.alg)
		if err != nil {
			if !errors.Is(err, ErrChecksumReply) {
				t.Fatalf("error %v", err)
			}
			return
		}
		if len(got) != sumAlgs[c.alg].hex || !isHex(got) {
			t.Fatalf("%q: sum %q", reply, got)
		}
	})
}

func TestTempNames(t *testing.T) {
	for _, n := range []string{"a", "file.txt", ".hidden", strings.Repeat("x", 300), "a.ftpmirror-0123456789abcdef.part"} {
		tmp := tmpName(n, 12, t0)
		p, ok := tmpParse(tmp)
		if !ok || p != tmpPrefix(n) || len(tmp) > 255 {
			t.Errorf("%q: temp %q parses as %q, %v", n, tmp, p, ok)
		}
		if tmpName(n, 13, t0) == tmp || tmpName(n, 12, t0.Add(1e9)) == tmp {
			t.Errorf("%q: temp name does not depend on the version", n)
		}
	}
	for _, n := range []string{"a.part", ".ftpmirror-.part", "x.ftpmirror-0123456789abcdeg.part", ".ftpmirror-0123456789abcdef.part"} {
		if _, ok := tmpParse(n); ok {
			t.Errorf("%q parsed as a temporary", n)
		}
	}
}

var t0 = time.Date(2023, 4, 5, 6, 7, 8, 0, time.UTC)
