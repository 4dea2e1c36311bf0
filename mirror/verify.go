package mirror

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"strings"

	"github.com/ftplib-go/ftp"
)

// ErrChecksumReply reports a reply to a checksum command that holds no
// checksum of the expected form.
var ErrChecksumReply = errors.New("mirror: malformed checksum reply")

// checksum algorithms, by the names of the HASH command.
var sumAlgs = map[string]struct {
	new func() hash.Hash
	hex int // hex digits of the sum
}{
	"SHA-256": {sha256.New, 64},
	"SHA-1":   {sha1.New, 40},
	"MD5":     {md5.New, 32},
	"CRC32":   {func() hash.Hash { return crc32.NewIEEE() }, 8},
}

// xCommands are the older one-algorithm commands, best first.
var xCommands = []struct{ cmd, alg string }{
	{"XSHA256", "SHA-256"}, {"XSHA1", "SHA-1"}, {"XMD5", "MD5"}, {"XCRC", "CRC32"},
}

// pickChecksum chooses the checksum command from a FEAT answer: HASH with
// its selected algorithm (marked '*') when that is one we compute, else the
// best X command listed. It returns "" when there is none.
func pickChecksum(feat map[string]string) (cmd, alg string) {
	if v, ok := feat["HASH"]; ok {
		for _, a := range strings.Split(v, ";") {
			a = strings.ToUpper(strings.TrimSpace(a))
			if strings.HasSuffix(a, "*") {
				if _, ok := sumAlgs[strings.TrimSuffix(a, "*")]; ok {
					return "HASH", strings.TrimSuffix(a, "*")
				}
			}
		}
	}
	for _, x := range xCommands {
		if _, ok := feat[x.cmd]; ok {
			return x.cmd, x.alg
		}
	}
	return "", ""
}

// parseSum returns the checksum, in lower-case hex, from a reply to a
// checksum command: "213 SHA-256 0-1234 <hex> name" for HASH (RFC draft
// ietf-ftpext2-hash), "250 <hex>" or "213 <hex>" for the X commands.
func parseSum(reply, cmd, alg string) (string, error) {
	a, ok := sumAlgs[alg]
	if !ok {
		return "", fmt.Errorf("mirror: unknown checksum algorithm %q", alg)
	}
	line := reply
	if i := strings.LastIndexByte(strings.TrimRight(line, "\r\n"), '\n'); i >= 0 {
		line = line[i+1:] // the last line of a multi-line reply
	}
	f := strings.Fields(line)
	if len(f) < 2 || len(f[0]) != 3 || f[0][0] != '2' {
		return "", fmt.Errorf("%w: %q", ErrChecksumReply, clip(reply))
	}
	f = f[1:]
	if cmd == "HASH" {
		if len(f) < 3 || !strings.EqualFold(f[0], alg) {
			return "", fmt.Errorf("%w: %q", ErrChecksumReply, clip(reply))
		}
		f = f[2:3]
	}
	for _, w := range f {
		w = strings.ToLower(w)
		if !isHex(w) {
			continue
		}
		if alg == "CRC32" && len(w) < 8 {
			w = strings.Repeat("0", 8-len(w)) + w
		}
		if len(w) == a.hex {
			return w, nil
		}
	}
	return "", fmt.Errorf("%w: %q", ErrChecksumReply, clip(reply))
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for _, b := range []byte(s) {
		if !('0' <= b && b <= '9' || 'a' <= b && b <= 'f') {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "..."
	}
	return s
}

// localSum returns the checksum of r in lower-case hex.
func localSum(r io.Reader, alg string) (string, error) {
	h := sumAlgs[alg].new()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return fmt.Sprintf("%x", h.Sum(nil)), nil
}

// checksum returns the server's checksum command, asking FEAT once.
func (r *run) checksum() (cmd, alg string) {
	r.hashOnce.Do(func() {
		var feat map[string]string
		err := r.c.Do(r.ctx, func(cn *ftp.Conn) error {
			var err error
			feat, err = cn.Feat(r.ctx)
			return err
		})
		if err == nil {
			r.hashCmd, r.hashAlg = pickChecksum(feat)
		}
	})
	return r.hashCmd, r.hashAlg
}

// remoteSum asks the server for the checksum of the file rel.
func (r *run) remoteSum(rel, cmd, alg string) (string, error) {
	p, err := r.abs(rel)
	if err != nil {
		return "", err
	}
	var reply string
	err = r.c.Do(r.ctx, func(cn *ftp.Conn) error {
		var err error
		reply, err = cn.SendCmd(r.ctx, cmd+" "+p)
		return err
	})
	if err != nil {
		return "", err
	}
	return parseSum(reply, cmd, alg)
}

// verifySum compares the server's checksum of rel with the local one
// computed by open. It returns nil, with done false, when the server
// has no checksum command.
func (r *run) verifySum(rel string, open func() (io.ReadCloser, error)) (done bool, err error) {
	cmd, alg := r.checksum()
	if cmd == "" {
		return false, nil
	}
	want, err := r.remoteSum(rel, cmd, alg)
	if err != nil {
		return true, err
	}
	f, err := open()
	if err != nil {
		return true, err
	}
	defer f.Close()
	got, err := localSum(f, alg)
	if err != nil {
		return true, err
	}
	if got != want {
		return true, fmt.Errorf("%w: %s %s on the server, %s here", ErrVerify, alg, want, got)
	}
	return true, nil
}
