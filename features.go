package ftp

import (
	"errors"
	"strings"
)

// What the Conn knows of the server's features, and the two things it
// does with them besides choosing MLSD (listing_stream.go): PRET before a
// passive data port is asked for, and OPTS UTF8 ON (utf8.go).
//
// FEAT is not sent at login: it would cost every connection a round trip
// that most never need (benchmarks of issues 16 and 17 count them). It is
// sent once, when a feature first matters: ReadDir, Stat and Walk (MLSD or
// LIST?), Feat itself, a PASV or EPSV refused with a 5xx (is PRET needed?),
// and the first command carrying a name that is not ASCII (does the server
// want OPTS UTF8 ON first?). Its answer is kept for the Conn's life.
type featState struct {
	known   bool              // a FEAT reply (or its 5xx refusal) was read
	list    map[string]string // the features, nil when FEAT was refused
	pret    bool              // PRET is sent before PASV and EPSV
	xferCmd string            // the transfer the next PASV or EPSV is for
	pretDue string            // PRET sent ahead (RetrMany) for this transfer, reply not read

	noOpts   bool // Dialer.NoOptsUTF8 (utf8.go)
	utf8Sent bool // OPTS UTF8 ON was sent
	probed   bool // FEAT was tried before a name that is not ASCII
}

// feat sends FEAT and notes its answer, within a call. A 5xx reply is
// noted as "no features"; a 4xx is returned and not noted.
func (c *Conn) feat() (map[string]string, string, error) {
	resp, err := c.sendCmd("FEAT")
	if err != nil {
		if isReplyErr(err) && errors.Is(err, ErrPerm) {
			c.noteFeat(nil)
		}
		return nil, "", err
	}
	if resp[0] == '1' {
		return nil, "", c.outOfStep("FEAT", resp)
	}
	if !strings.HasPrefix(resp, "211") {
		return nil, "", newError(ErrReply, resp)
	}
	feats := parseFeat(resp)
	c.noteFeat(feats)
	if err := c.optsUTF8(); err != nil {
		return nil, "", err
	}
	return feats, resp, nil
}

// noteFeat keeps the features of a FEAT reply (nil: FEAT refused).
func (c *Conn) noteFeat(feats map[string]string) {
	c.fs.known, c.fs.list = true, feats
	if _, ok := feats["PRET"]; ok {
		c.fs.pret = true
	}
	_, mlst := feats["MLST"]
	_, mlsd := feats["MLSD"]
	// A verdict already reached (MLSD refused although listed) stands.
	if mlst || mlsd {
		c.mlst.CompareAndSwap(0, 1)
	} else {
		c.mlst.CompareAndSwap(0, -1)
	}
}

// pretFor makes the next PASV or EPSV be for the transfer command cmd
// ("" when unknown, as for MakePasv: no PRET is sent then).
func (c *Conn) pretFor(cmd string) { c.fs.xferCmd = cmd }

// sendPRET sends "PRET <transfer command>" before a PASV or EPSV when the
// server wants it; the reply must be 2xx.
func (c *Conn) sendPRET() error {
	if !c.fs.pret || c.fs.xferCmd == "" {
		return nil
	}
	_, err := c.voidCmdFinal("PRET " + c.fs.xferCmd)
	return err
}

// asksPRET reports whether err, the answer to a PASV or EPSV, is a 5xx
// refusal that mentions PRET, as drftpd's "500 You need to use a client
// supporting PRET (PRE Transfer) to use PASV" does. Other refusals (a
// server that does not do EPSV, say) do not cost a FEAT.
func (c *Conn) asksPRET(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code/100 == 5 && strings.Contains(strings.ToUpper(e.Msg), "PRET")
}

// learnPRET is called when PASV or EPSV was refused in a way that asks
// for PRET: if the features are not known yet, it sends FEAT, and it
// reports whether PRET has just been found to be listed (the refused
// command is then worth sending again, after PRET). A server that needs
// PRET but does not list it in FEAT needs Dialer.PRET.
func (c *Conn) learnPRET() bool {
	if c.fs.known || c.fs.pret || c.fs.xferCmd == "" {
		return false
	}
	if _, _, err := c.feat(); err != nil {
		return false
	}
	return c.fs.pret
}

// aheadOK reports whether the PASV or EPSV sent ahead (c.pasvDue) serves
// the transfer now being opened: the same command, and the PRET sent with
// it, if any, announced this transfer.
func (c *Conn) aheadOK(first string) bool {
	if c.pasvDue != first {
		return false
	}
	if c.fs.pretDue == "" {
		return !c.fs.pret
	}
	return c.fs.pretDue == c.fs.xferCmd
}

// readPRETAhead reads the reply to a PRET sent ahead, if one is due. A
// reply error is returned; c.pretDue is cleared either way.
func (c *Conn) readPRETAhead() error {
	if c.fs.pretDue == "" {
		return nil
	}
	cmd := "PRET " + c.fs.pretDue
	c.fs.pretDue = ""
	c.cmd = cmd
	_, err := c.voidResp()
	return err
}

// sendAhead sends, at the end of a download's data, the PASV or EPSV
// (pasv) of the next transfer, next, preceded by its PRET when the server
// wants one; their replies are read by the next makePasv or by settle.
// Nothing is sent ahead for a PRET server when next is unknown.
func (c *Conn) sendAhead(pasv, next string) {
	if c.fs.pret {
		if next == "" || c.putCmd("PRET "+next) != nil {
			return
		}
		c.fs.pretDue = next
	}
	if c.putCmd(pasv) == nil {
		c.pasvDue = pasv
	}
}
