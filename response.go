package ftp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// lineReader reads lines ending in LF or CRLF from a bufio.Reader, with
// ftplib's bound: the content of a line (without its terminator) may hold
// at most max-1 bytes, so the terminator counts as one byte toward max, as
// it does in ftplib's text-mode readline(maxline+1).
type lineReader struct {
	br  *bufio.Reader
	max int
	acc []byte // holds a line that did not fit in br's buffer
}

// errTooLong returns ErrLineTooLong wrapped with the limit, in ftplib's words.
func errTooLong(max int) error {
	return fmt.Errorf("%w: got more than %d bytes", ErrLineTooLong, max)
}

// readLine returns the next line without its CRLF or LF. The slice is only
// valid until the next call. At the end of the stream, a final line without
// a terminator is returned with the error io.EOF (the caller decides whether
// that is a complete line); no data at all gives (nil, io.EOF). A bare CR is
// ordinary content (see DESIGN: ftplib's universal newlines are not copied).
func (lr *lineReader) readLine() ([]byte, error) {
	lr.acc = lr.acc[:0]
	for {
		frag, err := lr.br.ReadSlice('\n')
		switch err {
		case nil:
			line := frag
			if len(lr.acc) > 0 {
				lr.acc = append(lr.acc, frag...)
				line = lr.acc
			}
			line = trimEOL(line)
			if len(line) >= lr.max {
				return nil, errTooLong(lr.max)
			}
			return line, nil
		case bufio.ErrBufferFull:
			// A content of max-1 bytes may be followed by "\r\n": at most
			// max bytes can come before the "\n".
			if len(lr.acc)+len(frag) > lr.max {
				return nil, errTooLong(lr.max)
			}
			lr.acc = append(lr.acc, frag...)
		default:
			line := frag
			if len(lr.acc) > 0 {
				lr.acc = append(lr.acc, frag...)
				line = lr.acc
			}
			// Without a terminator the whole of max may be content.
			if len(line) > lr.max {
				return nil, errTooLong(lr.max)
			}
			if len(line) == 0 {
				return nil, err
			}
			return line, err
		}
	}
}

// trimEOL removes one trailing "\r\n" or "\n".
func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}

// decode turns received bytes into a string according to enc.
func decode(enc Encoding, b []byte) string {
	if enc != Latin1 {
		return string(b)
	}
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b)
	}
	buf := make([]byte, 0, len(b)*2)
	for _, c := range b {
		buf = utf8.AppendRune(buf, rune(c))
	}
	return string(buf)
}

// appendEncoded appends s to dst in the encoding enc. With Latin1 a rune
// above U+00FF (or invalid UTF-8) is an error and nothing is appended.
func appendEncoded(dst []byte, enc Encoding, s string) ([]byte, error) {
	if enc != Latin1 {
		return append(dst, s...), nil
	}
	start := len(dst)
	for _, r := range s {
		// Invalid UTF-8 decodes as U+FFFD, which is refused too.
		if r > 0xFF {
			return dst[:start], fmt.Errorf("ftp: %q cannot be encoded in Latin-1", r)
		}
		dst = append(dst, byte(r))
	}
	return dst, nil
}

// getLine reads one control line (ftplib getline).
func (c *Conn) getLine() (string, error) {
	c.armCtrl()
	b, err := c.ctrlLR.readLine()
	if err != nil {
		if errors.Is(err, io.EOF) && len(b) > 0 {
			err = io.ErrUnexpectedEOF
		}
		switch {
		case errors.Is(err, ErrLineTooLong):
		case !c.interrupted():
			// A stall caught by Dialer.Timeout, or the connection lost.
			err = opError(c.replyTo(), "reading reply", err)
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			err = fmt.Errorf("ftp: reading reply: %w", err)
		}
		return "", c.fail(err)
	}
	line := decode(c.enc, b)
	if c.debug > 1 {
		c.debugLine("*get*", line+"\n", false)
	}
	return line, nil
}

// getMultiline reads a whole reply, multi-line replies included, and
// returns its lines joined by "\n" (ftplib getmultiline). The total size
// is bounded by 128*MaxLine.
func (c *Conn) getMultiline() (string, error) {
	resp, err := c.readMultiline()
	if err == nil && c.observed() {
		c.noteReply(resp)
	}
	return resp, err
}

// readMultiline is getMultiline without the record and hook.
func (c *Conn) readMultiline() (string, error) {
	line, err := c.getLine()
	if err != nil {
		return "", err
	}
	if len(line) < 4 || line[3] != '-' {
		return line, nil
	}
	code := line[:3]
	var sb strings.Builder
	sb.WriteString(line)
	limit := 128 * c.maxLine
	for {
		next, err := c.getLine()
		if err != nil {
			return "", err
		}
		if sb.Len()+1+len(next) > limit {
			return "", c.fail(fmt.Errorf("%w: reply of more than %d bytes", ErrLineTooLong, limit))
		}
		sb.WriteByte('\n')
		sb.WriteString(next)
		if strings.HasPrefix(next, code) && (len(next) < 4 || next[3] != '-') {
			return sb.String(), nil
		}
	}
}

// getResp reads a reply and classifies it (ftplib getresp): 1xx, 2xx and
// 3xx are returned, 4xx is ErrTemp, 5xx ErrPerm, anything else ErrProto.
func (c *Conn) getResp() (string, error) {
	resp, err := c.getMultiline()
	if err != nil {
		return "", err
	}
	c.pending = false
	if c.debug > 0 {
		c.debugLine("*resp*", resp, false)
	}
	if len(resp) >= 3 {
		c.lastResp = resp[:3]
	} else {
		c.lastResp = resp
	}
	if len(resp) > 0 && resp[0] >= '1' && resp[0] <= '3' {
		return resp, nil
	}
	return "", cmdError(replyError(resp), c.cmd)
}

// voidResp reads a reply that must be 2xx (ftplib voidresp).
func (c *Conn) voidResp() (string, error) {
	resp, err := c.getResp()
	if err != nil {
		return "", err
	}
	if resp[0] != '2' {
		return "", cmdError(newError(ErrReply, resp), c.cmd)
	}
	return resp, nil
}

// checkLine refuses a command holding CR or LF (ftplib putline).
func checkLine(line string) error {
	if strings.ContainsAny(line, "\r\n") {
		return ErrIllegalNewline
	}
	return nil
}

// putCmd sends one command line (ftplib putcmd + putline). Nothing is sent
// when the line holds CR or LF or cannot be encoded.
func (c *Conn) putCmd(line string) error {
	if err := checkLine(line); err != nil {
		return err
	}
	if err := c.probeUTF8(line); err != nil { // utf8.go
		return err
	}
	buf, err := appendEncoded(c.wbuf[:0], c.enc, line)
	if err != nil {
		return err
	}
	buf = append(buf, '\r', '\n')
	c.wbuf = buf
	if err := c.settle(); err != nil {
		return err
	}
	c.cmd = line
	if c.debug > 0 {
		c.debugLine("*cmd*", line, true)
	}
	if c.debug > 1 {
		c.debugLine("*put*", line+"\r\n", true)
	}
	c.armCtrl()
	if _, err := c.ctrl.Write(buf); err != nil {
		if !c.interrupted() {
			err = opError(line, "sending command", err)
		}
		return c.fail(err)
	}
	if c.observed() {
		c.noteCmd(line, false)
	}
	return nil
}

// replyTo returns what the reply being read answers, for an error: the
// command, "welcome" while Dial waits for it, or "" when unknown.
func (c *Conn) replyTo() string {
	if c.cmd == "" && c.welcome == "" {
		return "welcome"
	}
	return c.cmd
}

// opError names what was going on when the I/O error err happened: the
// command (its PASS or ACCT argument masked) or "" for none, and the step,
// as in "ftp: RETR big.bin: reading reply: read tcp ...: i/o timeout".
// err stays reachable through errors.Is and errors.As.
func opError(cmd, step string, err error) error {
	if cmd == "" {
		return fmt.Errorf("ftp: %s: %w", step, err)
	}
	return fmt.Errorf("ftp: %s: %s: %w", maskCmd(cmd), step, err)
}

// sendCmd sends a command and returns its reply (ftplib sendcmd).
func (c *Conn) sendCmd(line string) (string, error) {
	if err := c.putCmd(line); err != nil {
		return "", err
	}
	resp, err := c.getResp()
	if err == nil || isReplyErr(err) {
		c.noteType(line, resp)
	}
	return resp, err
}

// voidCmd sends a command whose reply must be 2xx (ftplib voidcmd).
func (c *Conn) voidCmd(line string) (string, error) {
	resp, err := c.sendCmd(line)
	if err != nil {
		return "", err
	}
	if resp[0] != '2' {
		return "", cmdError(newError(ErrReply, resp), c.cmd)
	}
	return resp, nil
}

// isReplyErr reports whether err is a server reply error (the reply was
// read in full, so the connection is still in step), and not one that
// broke the connection (outOfStep).
func isReplyErr(err error) bool {
	var e *Error
	return errors.As(err, &e) && !e.broke
}

// noteType keeps the cached representation type in step with TYPE and
// REIN commands sent through any path.
func (c *Conn) noteType(line, resp string) {
	u := strings.ToUpper(line)
	switch {
	case strings.HasPrefix(u, "TYPE "):
		if strings.HasPrefix(resp, "2") {
			c.curType = strings.TrimSpace(u[5:])
		} else {
			c.curType = ""
		}
	case u == "REIN" || strings.HasPrefix(u, "USER "):
		c.curType = ""
	}
}

// debugLine writes one line of debug output in ftplib's format: the tag,
// a space, and Python's repr of s (PASS masked when sanitize is set).
func (c *Conn) debugLine(tag, s string, sanitize bool) {
	if sanitize {
		s = sanitizeLine(s)
	}
	c.debugMu.Lock()
	defer c.debugMu.Unlock()
	fmt.Fprintf(c.debugOut, "%s %s\n", tag, pyRepr(s))
}

// sanitizeLine masks the argument of a PASS command as ftplib's sanitize
// does: "PASS " followed by one '*' per character, a trailing CRLF kept.
// Unlike ftplib, which masks only "PASS " and "pass ", any letter case is
// masked, since servers read commands without regard to case; so is the
// argument of ACCT (often a second password), and a verb after leading
// blanks or followed by a tab, which some servers also accept.
func sanitizeLine(s string) string {
	body := strings.TrimRight(s, "\r\n")
	verb := strings.TrimLeft(body, " \t")
	start := len(body) - len(verb) + 4 // end of the verb
	if len(verb) < 5 || (verb[4] != ' ' && verb[4] != '\t') ||
		!(strings.EqualFold(verb[:4], "PASS") || strings.EqualFold(verb[:4], "ACCT")) {
		return s
	}
	start++ // the separator stays
	n := utf8.RuneCountInString(body[start:])
	return s[:start] + strings.Repeat("*", n) + s[len(body):]
}

// pyRepr quotes s as Python's repr() quotes a str.
func pyRepr(s string) string {
	q := '\''
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		q = '"'
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteRune(q)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			// Not valid UTF-8: Python would have surrogate-escaped it.
			fmt.Fprintf(&b, `\udc%02x`, s[i])
			i++
			continue
		}
		i += size
		switch {
		case r == '\\' || r == q:
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x7f:
			b.WriteRune(r)
		case !unicode.IsPrint(r):
			switch {
			case r <= 0xff:
				fmt.Fprintf(&b, `\x%02x`, r)
			case r <= 0xffff:
				fmt.Fprintf(&b, `\u%04x`, r)
			default:
				fmt.Fprintf(&b, `\U%08x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteRune(q)
	return b.String()
}

// Parse150 returns the size announced in a 150 reply such as
// "150 Opening BINARY mode data connection for f (1024 bytes)", or -1 when
// the reply names none (ftplib parse150). A reply that is not 150 is an
// *Error of class ErrReply; a size too large for int64 is ErrProto.
// No I/O happens.
func Parse150(resp string) (int64, error) {
	if !strings.HasPrefix(resp, "150") {
		return -1, newError(ErrReply, resp)
	}
	line := resp
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	if !strings.HasPrefix(line, "150 ") {
		return -1, nil
	}
	// ftplib matches r"150 .* \((\d+) bytes\)" (case-insensitive): the
	// greedy ".*" picks the rightmost " (digits bytes)" after "150 ".
	for i := len(line) - 1; i >= 4; i-- {
		if line[i] != ' ' || i+1 >= len(line) || line[i+1] != '(' {
			continue
		}
		j := i + 2
		k := j
		for k < len(line) && line[k] >= '0' && line[k] <= '9' {
			k++
		}
		if k == j || len(line)-k < 7 || !strings.EqualFold(line[k:k+7], " bytes)") {
			continue
		}
		n, err := strconv.ParseInt(line[j:k], 10, 64)
		if err != nil {
			return -1, newError(ErrProto, resp)
		}
		return n, nil
	}
	return -1, nil
}

// Parse257 returns the directory name quoted in a 257 reply, with doubled
// quotes undone (ftplib parse257). A 257 reply without ` "` after the code
// gives "". A reply that is not 257 is an *Error of class ErrReply.
// No I/O happens.
func Parse257(resp string) (string, error) {
	if !strings.HasPrefix(resp, "257") {
		return "", newError(ErrReply, resp)
	}
	if len(resp) < 5 || resp[3:5] != ` "` {
		return "", nil
	}
	var b strings.Builder
	for i := 5; i < len(resp); i++ {
		ch := resp[i]
		if ch == '"' {
			if i+1 >= len(resp) || resp[i+1] != '"' {
				break
			}
			i++
		}
		b.WriteByte(ch)
	}
	return b.String(), nil
}
