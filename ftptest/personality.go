package ftptest

import (
	"fmt"
	"io/fs"
	"strings"
	"time"
	"unicode/utf8"
)

// A Personality makes a [Server] answer like a kind of server that tests
// cannot run here, from that server's documented behaviour. Set it in
// [Server.Personality] before the server starts; the fields combine (an
// IIS server behind a NAT is {IIS: true, NATAddress: "10.0.0.7"}). The
// zero value changes nothing.
//
// A [Fault] that applies to a command takes precedence over the
// personality for that command: a test can still script FEAT's reply on
// an IIS server, or refuse a PRET.
type Personality struct {
	// IIS answers as Microsoft IIS FTP (7.5 and later) does with its
	// default settings: the greeting is "220 Microsoft FTP Service"
	// (unless Server.Welcome is set), SYST is "215 Windows_NT", FEAT
	// lists IIS's features ("211-Extended features supported:" ...
	// "211 END", with LANG EN*, UTF8, SIZE, MDTM, REST STREAM, HOST and,
	// on a TLS server, AUTH TLS;TLS-C;SSL;TLS-P;, PBSZ, PROT C;P; and
	// CCC), "OPTS UTF8 ON" gets "200 OPTS UTF8 command successful - UTF8
	// encoding now ON.", MLSD and MLST are unknown commands (500), and
	// LIST is in the MS-DOS style:
	//
	//	12-02-26  03:04PM       <DIR>          name
	//	12-02-26  03:04PM                 1234 name
	//
	// (date MM-DD-YY, 12-hour time, "<DIR>" or the size right-aligned in
	// 20 columns). A passive transfer starts with "125 Data connection
	// already open; Transfer starting." (no size), an active one with
	// "150 Opening data connection.". NLST and the other commands are
	// unchanged.
	IIS bool

	// NATAddress, when not empty, makes the server behave as one behind a
	// NAT that was not told its public address: every 227 reply to PASV
	// announces NATAddress (an IPv4 address, typically a private one such
	// as "10.0.0.7" or "192.168.1.20") while the server still listens on
	// its own address, and EPSV, whose reply would carry no address, is
	// refused with "502 EPSV not implemented.", as NAT helpers that only
	// understand PASV force. A client reaches the data port only if it
	// connects to the control connection's peer instead of the address
	// announced.
	NATAddress string

	// RequirePRET makes the server require PRET (a pre-transfer command
	// of distributed servers such as drftpd, which use it to pick the
	// machine that will serve the transfer) before every PASV and EPSV:
	// FEAT lists PRET, "PRET <transfer command>" (RETR, STOR, APPE, STOU,
	// LIST, NLST or MLSD, with its argument) gets "200 OK, will use
	// master for upcoming transfer", and a PASV or EPSV not preceded by a
	// PRET is refused as drftpd refuses it, with "500 You need to use a
	// client supporting PRET (PRE Transfer) to use PASV". The transfer
	// command that follows must be the one PRET announced; another gets
	// "503 Bad sequence of commands: PRET announced <command>.". Active
	// mode (PORT, EPRT) does not need PRET.
	RequirePRET bool

	// ClockOffset sets the server's clock ahead of the machine's (behind
	// when negative). It decides, as ls does, which LIST dates are
	// printed with a time of day (those less than six months old by the
	// server's clock) and which with a year. Stored modification times
	// are not changed: use [Server.SetModTime].
	ClockOffset time.Duration

	// LegacyCharset reads command arguments as ISO 8859-1 until the
	// client sends "OPTS UTF8 ON", as servers that convert a local
	// character set do: a UTF-8 name sent before it names another file.
	// Replies and listings are not converted.
	LegacyCharset bool
}

// personaState is a session's state for its server's Personality.
type personaState struct {
	utf8  bool   // OPTS UTF8 ON received (LegacyCharset)
	pret  string // the transfer command the last PRET announced, "" none
	armed string // the PRET a PASV or EPSV used: the next transfer must match
}

// now returns the time by the server's clock (Personality.ClockOffset).
func (s *session) now() time.Time {
	return time.Now().Add(s.srv.Personality.ClockOffset)
}

// pretVerbs are the transfer commands PRET may announce.
var pretVerbs = map[string]bool{"RETR": true, "STOR": true, "APPE": true, "STOU": true,
	"LIST": true, "NLST": true, "MLSD": true}

// persona handles m as the server's personality wants, before the normal
// handling. It may rewrite m.line (LegacyCharset). handled reports that
// the command was answered; keep is then handle's result.
func (s *session) persona(m *lineMsg) (keep, handled bool) {
	p := &s.srv.Personality
	if m.tooLong {
		return true, false
	}
	verb, arg := split(m.line)
	if p.LegacyCharset && !s.ps.utf8 && !isASCII(arg) {
		m.line = m.line[:len(m.line)-len(arg)] + latin1ToUTF8(arg)
		arg = latin1ToUTF8(arg)
	}
	if s.srv.faultDue(verb) {
		return true, false
	}
	answer := func(text string) (bool, bool) { s.reply(text); return true, true }
	switch verb {
	case "SYST":
		if p.IIS {
			return answer("215 Windows_NT")
		}
	case "FEAT":
		if p.IIS || p.RequirePRET {
			return answer(s.personaFeat())
		}
	case "OPTS":
		name, val, _ := strings.Cut(arg, " ")
		if strings.EqualFold(name, "UTF8") && strings.EqualFold(val, "ON") {
			s.ps.utf8 = true
			if p.IIS {
				return answer("200 OPTS UTF8 command successful - UTF8 encoding now ON.")
			}
		}
	case "MLSD", "MLST":
		if p.IIS {
			s.reply("500 Command not understood.")
			return s.badCommand(), true
		}
	case "PRET":
		if !p.RequirePRET {
			return false, false // unknown, as without a personality
		}
		if !s.loggedIn {
			return answer("530 Please login with USER and PASS.")
		}
		v, _ := split(arg)
		if !pretVerbs[v] {
			return answer("501 PRET needs a transfer command.")
		}
		s.ps.pret = arg
		return answer("200 OK, will use master for upcoming transfer")
	case "PASV", "EPSV":
		if verb == "EPSV" && p.NATAddress != "" && s.loggedIn {
			return answer("502 EPSV not implemented.")
		}
		if p.RequirePRET && s.loggedIn && !strings.EqualFold(arg, "ALL") {
			if s.ps.pret == "" {
				return answer("500 You need to use a client supporting PRET (PRE Transfer) to use PASV")
			}
			s.ps.armed, s.ps.pret = s.ps.pret, ""
		}
	case "PORT", "EPRT":
		s.ps.armed = ""
	default:
		if p.RequirePRET && pretVerbs[verb] && s.ps.armed != "" {
			want := s.ps.armed
			s.ps.armed = ""
			if !sameTransfer(want, m.line) {
				s.closeData()
				return answer("503 Bad sequence of commands: PRET announced " + want + ".")
			}
		}
	}
	return true, false
}

// sameTransfer reports whether the command line cmd is the transfer
// command a PRET announced: the same verb (in any case) and argument.
func sameTransfer(announced, cmd string) bool {
	v1, a1 := split(announced)
	v2, a2 := split(cmd)
	return v1 == v2 && a1 == a2
}

// personaFeat is the FEAT reply of an IIS or PRET personality.
func (s *session) personaFeat() string {
	var b strings.Builder
	if s.srv.Personality.IIS {
		b.WriteString("211-Extended features supported:\r\n LANG EN*\r\n UTF8\r\n")
		if s.srv.mode == startTLS {
			b.WriteString(" AUTH TLS;TLS-C;SSL;TLS-P;\r\n")
		}
		if s.tlsOffered() {
			b.WriteString(" PBSZ\r\n PROT C;P;\r\n CCC\r\n")
		}
		b.WriteString(" HOST\r\n SIZE\r\n MDTM\r\n REST STREAM\r\n")
		if s.srv.Personality.RequirePRET {
			b.WriteString(" PRET\r\n")
		}
		b.WriteString("211 END")
		return b.String()
	}
	// The ordinary feature list, with PRET.
	b.WriteString("211-Features:\r\n")
	if s.srv.mode == startTLS {
		b.WriteString(" AUTH TLS\r\n")
	}
	b.WriteString(" EPSV\r\n MDTM\r\n MLST type*;size*;modify*;\r\n PASV\r\n")
	if s.tlsOffered() {
		b.WriteString(" PBSZ\r\n PROT\r\n")
	}
	b.WriteString(" PRET\r\n REST STREAM\r\n SIZE\r\n UTF8\r\n211 End")
	return b.String()
}

// personaPrelim is the 1xx reply of the transfer x: IIS's when the
// personality is IIS, else the normal one.
func (s *session) personaPrelim(x *xfer) string {
	switch {
	case !s.srv.Personality.IIS:
		return x.prelim
	case x.ln != nil:
		return "125 Data connection already open; Transfer starting."
	}
	return "150 Opening data connection."
}

// natHost returns the address a 227 reply announces behind a NAT, or "".
func (s *session) natHost() string { return s.srv.Personality.NATAddress }

// lsLine formats one LIST line: as vsftpd does, or as IIS does.
func (s *session) lsLine(fi fs.FileInfo, name string, now time.Time) string {
	if !s.srv.Personality.IIS {
		return longLine(fi, name, now)
	}
	t := fi.ModTime().UTC()
	col := "      <DIR>         "
	if !fi.IsDir() {
		col = fmt.Sprintf("%20d", fi.Size())
	}
	return fmt.Sprintf("%s  %s %s %s\r\n", t.Format("01-02-06"), t.Format("03:04PM"), col, name)
}

// isASCII reports whether s holds only ASCII bytes.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// latin1ToUTF8 reads each byte of s as an ISO 8859-1 character.
func latin1ToUTF8(s string) string {
	b := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		b = utf8.AppendRune(b, rune(s[i]))
	}
	return string(b)
}

// faultDue reports whether a fault will apply to the next occurrence of
// verb (as Server.fault would find it), without counting the occurrence.
func (s *Server) faultDue(verb string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if f.Command == verb && (f.Nth == 0 || f.Nth == f.seen+1) {
			return true
		}
	}
	return false
}
