package ftptest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"net"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	argNone     = iota // any argument is ignored
	argOptional        // the argument may be empty
	argRequired        // an empty argument gets 501
)

type command struct {
	fn    func(s *session, arg string) bool // false ends the session
	login bool                              // needs a logged-in user
	arg   int
}

var commands map[string]command

func init() {
	commands = map[string]command{
		"USER": {(*session).cmdUSER, false, argRequired},
		"PASS": {(*session).cmdPASS, false, argOptional},
		"ACCT": {(*session).cmdACCT, false, argRequired},
		"HOST": {(*session).cmdHOST, false, argRequired},
		"QUIT": {(*session).cmdQUIT, false, argNone},
		"NOOP": {(*session).cmdNOOP, false, argNone},
		"SYST": {(*session).cmdSYST, false, argNone},
		"FEAT": {(*session).cmdFEAT, false, argNone},
		"OPTS": {(*session).cmdOPTS, false, argRequired},
		"HELP": {(*session).cmdHELP, false, argOptional},
		"STAT": {(*session).cmdSTAT, true, argOptional},
		"ALLO": {(*session).cmdALLO, true, argOptional},
		"TYPE": {(*session).cmdTYPE, true, argRequired},
		"MODE": {(*session).cmdMODE, true, argRequired},
		"STRU": {(*session).cmdSTRU, true, argRequired},
		"PWD":  {(*session).cmdPWD, true, argNone},
		"XPWD": {(*session).cmdPWD, true, argNone},
		"CWD":  {(*session).cmdCWD, true, argRequired},
		"XCWD": {(*session).cmdCWD, true, argRequired},
		"CDUP": {(*session).cmdCDUP, true, argNone},
		"XCUP": {(*session).cmdCDUP, true, argNone},
		"MKD":  {(*session).cmdMKD, true, argRequired},
		"XMKD": {(*session).cmdMKD, true, argRequired},
		"RMD":  {(*session).cmdRMD, true, argRequired},
		"XRMD": {(*session).cmdRMD, true, argRequired},
		"DELE": {(*session).cmdDELE, true, argRequired},
		"RNFR": {(*session).cmdRNFR, true, argRequired},
		"RNTO": {(*session).cmdRNTO, true, argRequired},
		"SIZE": {(*session).cmdSIZE, true, argRequired},
		"MDTM": {(*session).cmdMDTM, true, argRequired},
		"MFMT": {(*session).cmdMFMT, true, argRequired},
		"REST": {(*session).cmdREST, true, argRequired},
		"RETR": {(*session).cmdRETR, true, argRequired},
		"STOR": {(*session).cmdSTOR, true, argRequired},
		"APPE": {(*session).cmdAPPE, true, argRequired},
		"STOU": {(*session).cmdSTOU, true, argOptional},
		"LIST": {(*session).cmdLIST, true, argOptional},
		"NLST": {(*session).cmdNLST, true, argOptional},
		"MLSD": {(*session).cmdMLSD, true, argOptional},
		"MLST": {(*session).cmdMLST, true, argOptional},
		"PASV": {(*session).cmdPASV, true, argNone},
		"EPSV": {(*session).cmdEPSV, true, argOptional},
		"PORT": {(*session).cmdPORT, true, argRequired},
		"EPRT": {(*session).cmdEPRT, true, argRequired},
		"ABOR": {(*session).cmdABOR, true, argNone},
		"AUTH": {(*session).cmdAUTH, false, argRequired},
		"PBSZ": {(*session).cmdPBSZ, false, argRequired},
		"PROT": {(*session).cmdPROT, false, argRequired},
		"CCC":  {(*session).cmdCCC, false, argNone},
	}
}

// quote doubles the quotes in a path for a 257 reply (RFC 959).
func quote(p string) string { return strings.ReplaceAll(p, `"`, `""`) }

func (s *session) path(arg string) string { return vpath(s.cwd, arg) }

func (s *session) tlsOffered() bool { return s.srv.mode != startPlain }

// --- Login -----------------------------------------------------------

func (s *session) cmdUSER(arg string) bool {
	switch {
	case s.loggedIn:
		s.reply("530 Can't change to another user.")
	case s.srv.RequireTLS && s.tlsOffered() && s.tc == nil:
		s.reply("530 Non-anonymous sessions must use encryption.")
	default:
		s.userGiven, s.user = true, arg
		s.reply("331 Please specify the password.")
	}
	return true
}

func (s *session) cmdPASS(arg string) bool {
	switch {
	case s.loggedIn:
		s.reply("230 Already logged in.")
		return true
	case !s.userGiven:
		s.reply("503 Login with USER first.")
		return true
	}
	s.userGiven = false
	anon := s.user == "anonymous" || s.user == "ftp"
	pw, ok := s.srv.Users[s.user]
	if (anon && s.srv.Anonymous) || (ok && pw == arg) {
		s.loggedIn = true
		s.reply("230 Login successful.")
	} else {
		s.reply("530 Login incorrect.")
	}
	return true
}

func (s *session) cmdACCT(string) bool {
	s.reply("202 Command not implemented, superfluous at this site.")
	return true
}

// cmdHOST selects a virtual host (RFC 7151). It is accepted before the
// login only, and recorded (Server.VirtualHosts); the file tree is the
// same for every host.
func (s *session) cmdHOST(arg string) bool {
	switch {
	case s.loggedIn || s.userGiven:
		s.reply("503 HOST must come before USER.")
	default:
		s.srv.logHost(arg)
		s.reply("220 Host accepted.")
	}
	return true
}

func (s *session) cmdQUIT(string) bool {
	s.release() // before the client can see the reply
	s.reply("221 Goodbye.")
	s.wmu.Lock()
	s.ctl.Close() // a TLS control connection sends close_notify first
	s.wmu.Unlock()
	return false
}

// --- Informational ---------------------------------------------------

func (s *session) cmdNOOP(string) bool { s.reply("200 NOOP ok."); return true }
func (s *session) cmdSYST(string) bool { s.reply("215 UNIX Type: L8"); return true }
func (s *session) cmdALLO(string) bool { s.reply("202 ALLO command ignored."); return true }

func (s *session) cmdFEAT(string) bool {
	var b strings.Builder
	b.WriteString("211-Features:\r\n")
	if s.srv.mode == startTLS {
		b.WriteString(" AUTH TLS\r\n")
	}
	if s.tlsOffered() {
		b.WriteString(" CCC\r\n")
	}
	b.WriteString(" EPRT\r\n EPSV\r\n HOST\r\n MDTM\r\n MFMT\r\n MLST ")
	for _, f := range allFacts {
		b.WriteString(f)
		for _, on := range s.facts {
			if on == f {
				b.WriteByte('*')
			}
		}
		b.WriteByte(';')
	}
	b.WriteString("\r\n PASV\r\n")
	if s.tlsOffered() {
		b.WriteString(" PBSZ\r\n PROT\r\n")
	}
	b.WriteString(" REST STREAM\r\n SIZE\r\n TVFS\r\n UTF8\r\n211 End")
	s.reply(b.String())
	return true
}

func (s *session) cmdOPTS(arg string) bool {
	name, val, _ := strings.Cut(arg, " ")
	switch strings.ToUpper(name) {
	case "UTF8", "UTF-8":
		if strings.EqualFold(val, "ON") || val == "" {
			s.reply("200 Always in UTF8 mode.")
		} else {
			s.reply("501 Option not understood.")
		}
	case "MLST":
		var on []string
		for _, f := range strings.Split(val, ";") {
			for _, known := range allFacts {
				if strings.EqualFold(f, known) {
					on = append(on, known)
				}
			}
		}
		s.facts = on
		var b strings.Builder
		for _, f := range on {
			b.WriteString(f + ";")
		}
		if b.Len() == 0 {
			s.reply("200 MLST OPTS")
		} else {
			s.reply("200 MLST OPTS " + b.String())
		}
	default:
		s.reply("501 Option not understood.")
	}
	return true
}

func (s *session) cmdHELP(string) bool {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("214-The following commands are recognized.")
	for i, n := range names {
		if i%12 == 0 {
			b.WriteString("\r\n")
		}
		fmt.Fprintf(&b, " %-4s", n)
	}
	b.WriteString("\r\n214 Help OK.")
	s.reply(b.String())
	return true
}

func (s *session) cmdSTAT(arg string) bool {
	if s.busy() {
		s.replyf("213 Status: %d bytes transferred.", s.x.n.Load())
		return true
	}
	if arg == "" {
		mode := "BINARY"
		if s.ascii {
			mode = "ASCII"
		}
		prot := "Clear"
		if s.protP {
			prot = "Private"
		}
		host, _, _ := net.SplitHostPort(s.raw.RemoteAddr().String())
		s.replyf("211-FTP server status:\r\n"+
			"     Connected to %s\r\n"+
			"     Logged in as %s\r\n"+
			"     TYPE: %s\r\n"+
			"     Data protection: %s\r\n"+
			"211 End of status", host, s.user, mode, prot)
		return true
	}
	listing, err := s.listing(arg, listLong)
	if err != nil {
		s.reply("550 No such file or directory.")
		return true
	}
	s.reply("213-Status follows:\r\n" + string(listing) + "213 End of status")
	return true
}

// --- Parameters ------------------------------------------------------

const notForParam = "504 Command not implemented for that parameter."

func (s *session) cmdTYPE(arg string) bool {
	switch strings.Join(strings.Fields(strings.ToUpper(arg)), " ") {
	case "A", "A N":
		s.ascii = true
		s.reply("200 Switching to ASCII mode.")
	case "I", "L 8":
		s.ascii = false
		s.reply("200 Switching to Binary mode.")
	default:
		s.reply(notForParam)
	}
	return true
}

func (s *session) cmdMODE(arg string) bool {
	if strings.EqualFold(arg, "S") {
		s.reply("200 Mode set to S.")
	} else {
		s.reply(notForParam)
	}
	return true
}

func (s *session) cmdSTRU(arg string) bool {
	if strings.EqualFold(arg, "F") {
		s.reply("200 Structure set to F.")
	} else {
		s.reply(notForParam)
	}
	return true
}

// --- Directories and files -------------------------------------------

func (s *session) cmdPWD(string) bool {
	s.replyf(`257 "%s" is the current directory`, quote(s.cwd))
	return true
}

func (s *session) chdir(arg string) {
	p := s.path(arg)
	if fi, err := s.srv.tree.Stat(p); err == nil && fi.IsDir() {
		s.cwd = p
		s.reply("250 Directory successfully changed.")
	} else {
		s.reply("550 Failed to change directory.")
	}
}

func (s *session) cmdCWD(arg string) bool { s.chdir(arg); return true }
func (s *session) cmdCDUP(string) bool    { s.chdir(".."); return true }
func (s *session) cmdMKD(arg string) bool {
	p := s.path(arg)
	if err := s.srv.tree.Mkdir(p); err != nil {
		s.reply("550 Create directory operation failed.")
	} else {
		s.replyf(`257 "%s" created`, quote(p))
	}
	return true
}

func (s *session) cmdRMD(arg string) bool {
	if err := s.srv.tree.Rmdir(s.path(arg)); err != nil {
		s.reply("550 Remove directory operation failed.")
	} else {
		s.reply("250 Remove directory operation successful.")
	}
	return true
}

func (s *session) cmdDELE(arg string) bool {
	if err := s.srv.tree.Remove(s.path(arg)); err != nil {
		s.reply("550 Delete operation failed.")
	} else {
		s.reply("250 Delete operation successful.")
	}
	return true
}

func (s *session) cmdRNFR(arg string) bool {
	p := s.path(arg)
	if _, err := s.srv.tree.Stat(p); err != nil || p == "/" {
		s.rnfr = ""
		s.reply("550 RNFR command failed.")
	} else {
		s.rnfr = p
		s.reply("350 Ready for RNTO.")
	}
	return true
}

func (s *session) cmdRNTO(arg string) bool {
	from := s.rnfr
	s.rnfr = ""
	switch {
	case from == "":
		s.reply("503 RNFR required first.")
	case s.srv.tree.Rename(from, s.path(arg)) != nil:
		s.reply("550 Rename failed.")
	default:
		s.reply("250 Rename successful.")
	}
	return true
}

func (s *session) cmdSIZE(arg string) bool {
	p := s.path(arg)
	fi, err := s.srv.tree.Stat(p)
	if err != nil || !fi.Mode().IsRegular() {
		s.reply("550 Could not get file size.")
		return true
	}
	size := fi.Size()
	if s.ascii {
		data, err := s.readAll(p, 0)
		if err != nil {
			s.reply("550 Could not get file size.")
			return true
		}
		size = int64(len(toCRLF(data)))
	}
	s.replyf("213 %d", size)
	return true
}

const mdtmLayout = "20060102150405"

func (s *session) cmdMDTM(arg string) bool {
	fi, err := s.srv.tree.Stat(s.path(arg))
	if err != nil || !fi.Mode().IsRegular() {
		s.reply("550 Could not get file modification time.")
		return true
	}
	s.reply("213 " + fi.ModTime().UTC().Format(mdtmLayout))
	return true
}

// parseTime parses an RFC 3659 time-val: YYYYMMDDHHMMSS[.sss], UTC.
func parseTime(v string) (time.Time, bool) {
	whole, frac, hasFrac := strings.Cut(v, ".")
	if len(whole) != 14 || (hasFrac && (frac == "" || len(frac) > 9)) {
		return time.Time{}, false
	}
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			return time.Time{}, false
		}
	}
	t, err := time.ParseInLocation(mdtmLayout, whole, time.UTC)
	if err != nil {
		return time.Time{}, false
	}
	if hasFrac {
		ns, _ := strconv.Atoi((frac + "000000000")[:9])
		t = t.Add(time.Duration(ns))
	}
	return t, true
}

func (s *session) cmdMFMT(arg string) bool {
	val, name, ok := strings.Cut(arg, " ")
	t, valid := parseTime(val)
	if !ok || name == "" || !valid {
		s.reply(syntaxError)
		return true
	}
	if err := s.srv.tree.Chtimes(s.path(name), t); err != nil {
		s.reply("550 Could not set file modification time.")
		return true
	}
	s.replyf("213 Modify=%s; %s", t.UTC().Format(mdtmLayout), name)
	return true
}

func (s *session) cmdREST(arg string) bool {
	n, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || n < 0 {
		s.reply(syntaxError)
		return true
	}
	s.rest = n
	s.replyf("350 Restart position accepted (%d).", n)
	return true
}

// --- Listings --------------------------------------------------------

type listKind int

const (
	listLong  listKind = iota // LIST, STAT path
	listNames                 // NLST
	listFacts                 // MLSD
)

// listing renders the listing of arg (a directory, or a file) for LIST,
// NLST or MLSD. Leading "-" options (as in "LIST -la") are ignored, except
// that -a adds "." and ".." to LIST.
func (s *session) listing(arg string, kind listKind) ([]byte, error) {
	all := false
	if kind != listFacts {
		for strings.HasPrefix(arg, "-") {
			opt, rest, _ := strings.Cut(arg, " ")
			all = all || strings.Contains(opt, "a")
			arg = strings.TrimLeft(rest, " ")
		}
	}
	p := s.path(arg)
	fi, err := s.srv.tree.Stat(p)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	now := s.now()
	if !fi.IsDir() {
		switch kind {
		case listFacts:
			return nil, errors.New("not a directory")
		case listNames:
			b.WriteString(arg + "\r\n")
		default:
			b.WriteString(s.lsLine(fi, fi.Name(), now))
		}
		return b.Bytes(), nil
	}
	infos, err := s.srv.tree.ReadDir(p)
	if err != nil {
		return nil, err
	}
	if all && kind == listLong {
		b.WriteString(s.lsLine(fi, ".", now))
		if up, err := s.srv.tree.Stat(path.Dir(p)); err == nil {
			b.WriteString(s.lsLine(up, "..", now))
		}
	}
	for _, e := range infos {
		switch kind {
		case listLong:
			b.WriteString(s.lsLine(e, e.Name(), now))
		case listNames:
			if arg == "" {
				b.WriteString(e.Name() + "\r\n")
			} else {
				b.WriteString(strings.TrimSuffix(arg, "/") + "/" + e.Name() + "\r\n")
			}
		case listFacts:
			b.WriteString(s.factLine(e, path.Join(p, e.Name())) + " " + e.Name() + "\r\n")
		}
	}
	return b.Bytes(), nil
}

// longLine formats an "ls -l" line the way vsftpd does.
func longLine(fi fs.FileInfo, name string, now time.Time) string {
	mode, size := "-rw-r--r--", fi.Size()
	if fi.IsDir() {
		mode, size = "drwxr-xr-x", 4096
	}
	t := fi.ModTime().UTC()
	date := t.Format("Jan 02  2006")
	if t.After(now.AddDate(0, -6, 0)) && t.Before(now.Add(24*time.Hour)) {
		date = t.Format("Jan 02 15:04")
	}
	return fmt.Sprintf("%s    1 %-8s %-8s %8d %s %s\r\n", mode, "ftp", "ftp", size, date, name)
}

// factLine formats the facts of an MLSD or MLST entry, ending with ';'.
func (s *session) factLine(fi fs.FileInfo, vp string) string {
	var b strings.Builder
	for _, f := range s.facts {
		switch f {
		case "type":
			if fi.IsDir() {
				b.WriteString("type=dir;")
			} else {
				b.WriteString("type=file;")
			}
		case "size":
			if !fi.IsDir() {
				fmt.Fprintf(&b, "size=%d;", fi.Size())
			}
		case "modify":
			b.WriteString("modify=" + fi.ModTime().UTC().Format(mdtmLayout) + ";")
		case "perm":
			if fi.IsDir() {
				b.WriteString("perm=flcdmpe;")
			} else {
				b.WriteString("perm=adfrw;")
			}
		case "unique":
			h := fnv.New64a()
			h.Write([]byte(vp))
			fmt.Fprintf(&b, "unique=%x;", h.Sum64())
		}
	}
	return b.String()
}

func (s *session) cmdMLST(arg string) bool {
	p := s.path(arg)
	fi, err := s.srv.tree.Stat(p)
	if err != nil {
		s.reply("550 No such file or directory.")
		return true
	}
	s.replyf("250-Listing %s\r\n %s %s\r\n250 End", p, s.factLine(fi, p), p)
	return true
}

// --- Data connection setup -------------------------------------------

func (s *session) controlHost() net.IP {
	if a, ok := s.raw.LocalAddr().(*net.TCPAddr); ok {
		return a.IP
	}
	return net.IPv4(127, 0, 0, 1)
}

func (s *session) peerIP() net.IP {
	if a, ok := s.raw.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP
	}
	return nil
}

// listen opens the passive listener, replacing any earlier one.
func (s *session) listen() (int, bool) {
	s.closeData()
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: s.controlHost()})
	if err != nil || !s.srv.track(ln) {
		if ln != nil {
			ln.Close()
		}
		s.reply("425 Could not open passive connection.")
		return 0, false
	}
	s.pasv = ln
	return ln.Addr().(*net.TCPAddr).Port, true
}

func (s *session) cmdPASV(string) bool {
	switch {
	case s.epsvAll:
		s.reply("503 EPSV ALL in effect; use EPSV.")
		return true
	case s.ipv6:
		s.reply("502 PASV is IPv4 only; use EPSV.")
		return true
	}
	port, ok := s.listen()
	if !ok {
		return true
	}
	host := strings.ReplaceAll(s.controlHost().To4().String(), ".", ",")
	if h := s.natHost(); h != "" {
		host = strings.ReplaceAll(h, ".", ",")
	}
	if s.cur != nil && s.cur.PASVHost != "" {
		host = strings.ReplaceAll(s.cur.PASVHost, ".", ",")
	}
	s.replyf("227 Entering Passive Mode (%s,%d,%d).", host, port>>8, port&0xFF)
	return true
}

// family returns the RFC 2428 network protocol number of the control
// connection: 1 for IPv4, 2 for IPv6.
func (s *session) family() string {
	if s.ipv6 {
		return "2"
	}
	return "1"
}

func (s *session) cmdEPSV(arg string) bool {
	switch strings.ToUpper(arg) {
	case "ALL":
		s.epsvAll = true
		s.reply("200 EPSV ALL ok.")
		return true
	case "", s.family():
	case "1", "2":
		s.replyf("522 Network protocol not supported, use (%s)", s.family())
		return true
	default:
		s.reply(syntaxError)
		return true
	}
	port, ok := s.listen()
	if ok {
		s.replyf("229 Entering Extended Passive Mode (|||%d|)", port)
	}
	return true
}

// activeAddr checks a PORT/EPRT target: it must be the client's own
// address (no FTP bounce) and a non-zero port.
func (s *session) activeAddr(ip net.IP, port int) (string, bool) {
	if ip == nil || !ip.Equal(s.peerIP()) || port <= 0 || port > 65535 {
		return "", false
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(port)), true
}

func (s *session) cmdPORT(arg string) bool {
	switch {
	case s.epsvAll:
		s.reply("503 EPSV ALL in effect; use EPSV.")
		return true
	case s.ipv6:
		s.reply("502 PORT is IPv4 only; use EPRT.")
		return true
	}
	parts := strings.Split(arg, ",")
	var n [6]int
	if len(parts) != 6 {
		s.reply(syntaxError)
		return true
	}
	for i, p := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v < 0 || v > 255 {
			s.reply(syntaxError)
			return true
		}
		n[i] = v
	}
	ip := net.IPv4(byte(n[0]), byte(n[1]), byte(n[2]), byte(n[3]))
	addr, ok := s.activeAddr(ip, n[4]<<8|n[5])
	if !ok {
		s.reply("500 Illegal PORT command.")
		return true
	}
	s.closeData()
	s.port = addr
	s.reply("200 PORT command successful. Consider using PASV.")
	return true
}

func (s *session) cmdEPRT(arg string) bool {
	if s.epsvAll {
		s.reply("503 EPSV ALL in effect; use EPSV.")
		return true
	}
	if len(arg) < 2 || arg[0] < 33 || arg[0] > 126 {
		s.reply(syntaxError)
		return true
	}
	f := strings.Split(arg, arg[:1])
	if len(f) != 5 || f[0] != "" || f[4] != "" {
		s.reply(syntaxError)
		return true
	}
	if f[1] != "1" && f[1] != "2" {
		s.replyf("522 Network protocol not supported, use (%s)", s.family())
		return true
	}
	if f[1] != s.family() {
		s.replyf("522 Network protocol not supported, use (%s)", s.family())
		return true
	}
	ip := net.ParseIP(f[2])
	port, err := strconv.Atoi(f[3])
	if ip == nil || err != nil || (f[1] == "1") != (ip.To4() != nil) {
		s.reply(syntaxError)
		return true
	}
	addr, ok := s.activeAddr(ip, port)
	if !ok {
		s.reply("500 Illegal EPRT command.")
		return true
	}
	s.closeData()
	s.port = addr
	s.reply("200 EPRT command successful. Consider using EPSV.")
	return true
}

func (s *session) cmdABOR(string) bool {
	if s.x != nil {
		aborted := s.x.abort()
		s.x = nil
		if aborted {
			s.reply("226 ABOR successful.")
			return true
		}
	}
	s.closeData()
	s.reply("225 No transfer to ABOR.")
	return true
}

// --- Security (RFC 2228, 4217) ---------------------------------------

func (s *session) cmdAUTH(arg string) bool {
	switch {
	case !s.tlsOffered():
		s.reply("502 TLS not available.")
		return true
	case s.tc != nil:
		s.reply("503 Already using TLS.")
		return true
	}
	switch strings.ToUpper(arg) {
	case "TLS", "TLS-C", "SSL", "TLS-P":
	default:
		s.reply("504 Unknown AUTH type.")
		return true
	}
	s.reply("234 Proceed with negotiation.")
	conn := s.raw
	if n := s.br.Buffered(); n > 0 { // bytes of the handshake read ahead
		pre, _ := s.br.Peek(n)
		conn = &prefixConn{Conn: s.raw, r: io.MultiReader(bytes.NewReader(bytes.Clone(pre)), s.raw)}
	}
	tc := tls.Server(conn, s.controlTLS())
	s.raw.SetDeadline(time.Now().Add(dataTimeout))
	err := tc.Handshake()
	s.raw.SetDeadline(time.Time{})
	if err != nil {
		return false
	}
	s.wmu.Lock()
	s.ctl, s.tc = tc, tc
	s.wmu.Unlock()
	s.pbsz, s.protP = false, false
	s.next = bufio.NewReader(tc)
	return true
}

func (s *session) cmdPBSZ(arg string) bool {
	if s.tc == nil {
		s.reply("503 PBSZ not allowed on insecure control connection.")
		return true
	}
	if _, err := strconv.ParseUint(arg, 10, 32); err != nil {
		s.reply(syntaxError)
		return true
	}
	s.pbsz = true
	s.reply("200 PBSZ=0")
	return true
}

func (s *session) cmdPROT(arg string) bool {
	switch {
	case s.tc == nil && !s.cleared():
		s.reply("503 PROT not allowed on insecure control connection.")
		return true
	case !s.pbsz:
		s.reply("503 PBSZ required first.")
		return true
	}
	switch strings.ToUpper(arg) {
	case "P":
		s.protP = true
		s.reply("200 PROT now Private.")
	case "C":
		s.protP = false
		s.reply("200 PROT now Clear.")
	case "S", "E":
		s.reply("536 PROT level not supported.")
	default:
		s.reply(notForParam)
	}
	return true
}

// cleared reports whether the control connection was protected and then
// cleared with CCC: PBSZ was accepted, so PROT may still change.
func (s *session) cleared() bool { return s.tc == nil && s.pbsz }

func (s *session) cmdCCC(string) bool {
	if s.tc == nil {
		s.reply("533 Command channel is not protected.")
		return true
	}
	s.reply("200 CCC command successful.")
	// Read up to the client's close_notify, answer with ours, and go on
	// in clear text on the same socket. The client must wait for our
	// close_notify before it sends clear text (as Python's unwrap does).
	s.raw.SetDeadline(time.Now().Add(dataTimeout))
	_, err := io.Copy(io.Discard, s.br)
	if err == nil {
		err = s.tc.CloseWrite()
	}
	s.raw.SetDeadline(time.Time{})
	if err != nil {
		return false
	}
	s.wmu.Lock()
	s.ctl, s.tc = s.raw, nil
	s.wmu.Unlock()
	s.next = bufio.NewReader(s.raw)
	return true
}
