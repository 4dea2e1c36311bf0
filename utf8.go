package ftp

import "strings"

// OPTS UTF8 ON (the UTF8 feature of RFC 2640, switched on as its draft
// successors and IIS, Serv-U and pure-ftpd document): a server that lists
// UTF8 in FEAT may still read names in a legacy character set until the
// client sends it. The Conn sends it once, right after the first FEAT whose
// reply lists UTF8, when its Encoding is UTF8 and Dialer.NoOptsUTF8 is
// false. FEAT itself is not sent at login (see features.go); so that a
// server that needs OPTS UTF8 ON gets it before the first name that is not
// ASCII, FEAT (and then OPTS) goes out before the first command holding
// such a name, unless the command must follow the previous one directly
// (after a 3xx reply, and after PASV, EPSV, PRET, PORT or EPRT).

// optsUTF8 sends OPTS UTF8 ON after a FEAT reply that listed UTF8, once.
// The reply, whatever it is, is only read: servers that are always in
// UTF-8 mode answer 200, 202 or even 501, and none of that is an error.
// Only an I/O error is returned, or the error of a 1xx reply, which
// breaks the Conn (outOfStep).
func (c *Conn) optsUTF8() error {
	if _, ok := c.fs.list["UTF8"]; !ok || c.enc != UTF8 || c.fs.noOpts || c.fs.utf8Sent {
		return nil
	}
	c.fs.utf8Sent = true
	resp, err := c.sendCmd("OPTS UTF8 ON")
	if err != nil && !isReplyErr(err) {
		return err
	}
	if err == nil && resp[0] == '1' {
		return c.outOfStep("OPTS UTF8 ON", resp)
	}
	return nil
}

// mustFollow reports whether the command line prev, whose reply was
// resp, must be followed directly by the next command, with nothing in
// between: it got a 3xx reply (USER, PASS, REST, RNFR and the like wait
// for the rest of their sequence), or it prepared a data connection.
func mustFollow(prev, resp string) bool {
	if strings.HasPrefix(resp, "3") {
		return true
	}
	verb, _, _ := strings.Cut(prev, " ")
	switch strings.ToUpper(verb) {
	case "PASV", "EPSV", "PRET", "PORT", "EPRT":
		return true
	}
	return false
}

// wantsProbe reports whether FEAT should be sent before line: the line
// holds a byte that is not ASCII, FEAT has not been read or tried, and
// OPTS UTF8 ON could follow it.
func (c *Conn) wantsProbe(line string) bool {
	if c.fs.known || c.fs.probed || c.enc != UTF8 || c.fs.noOpts {
		return false
	}
	for i := 0; i < len(line); i++ {
		if line[i] >= 0x80 {
			return true
		}
	}
	return false
}

// probeUTF8 sends FEAT (and OPTS UTF8 ON when it lists UTF8) before line
// when wantsProbe says so and nothing else is due on the control
// connection. Only an I/O error is returned.
func (c *Conn) probeUTF8(line string) error {
	if !c.wantsProbe(line) || c.pending || c.pasvDue != "" || c.fs.pretDue != "" || mustFollow(c.cmd, c.lastResp) {
		return nil
	}
	c.fs.probed = true
	if _, _, err := c.feat(); err != nil && !isReplyErr(err) {
		return err
	}
	return nil
}

// probeTransfer is probeUTF8 for a transfer command, before its PASV,
// PRET or REST: a PASV sent ahead (RetrMany) is settled first.
func (c *Conn) probeTransfer(cmd string) error {
	if !c.wantsProbe(cmd) || c.pending {
		return nil
	}
	if err := c.settle(); err != nil {
		return err
	}
	return c.probeUTF8(cmd)
}
