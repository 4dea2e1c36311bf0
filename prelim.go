package ftp

// A 1xx reply says that another reply follows (RFC 959, 4.2). A command
// that opens no data connection should never get one; when it does, the
// server may send a final reply after it or not, so which command each
// later reply answers cannot be known. The commands this package sends on
// its own (PRET, FEAT, OPTS UTF8 ON) and those SendCmds pipelines break
// the Conn then, rather than give a later command an earlier command's
// reply. SendCmd, VoidCmd and the ftplib-style calls return the 1xx reply
// as ftplib does.

// outOfStep breaks the Conn after resp, a reply to cmd after which the
// replies may be out of step with the commands, and returns the reply as
// an *Error of class ErrReply. isReplyErr is false for it: unlike other
// reply errors it does not leave the Conn in step.
func (c *Conn) outOfStep(cmd, resp string) error {
	e := newError(ErrReply, resp)
	e.broke = true
	return c.fail(cmdError(e, cmd))
}

// voidCmdFinal is voidCmd for a command that opens no data connection:
// a 1xx reply breaks the Conn (outOfStep).
func (c *Conn) voidCmdFinal(line string) (string, error) {
	resp, err := c.sendCmd(line)
	if err != nil {
		return "", err
	}
	if resp[0] == '1' {
		return "", c.outOfStep(line, resp)
	}
	if resp[0] != '2' {
		return "", cmdError(newError(ErrReply, resp), line)
	}
	return resp, nil
}
