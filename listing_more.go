package ftp

import (
	"io/fs"
	"strings"
	"time"
)

// This file holds the LIST parsers for the formats of non-Unix systems:
// OpenVMS, IBM i (OS/400) and z/OS MVS data sets, and the NetWare variant
// of the Unix format. Like the others they are pure functions of one line
// that allocate nothing.

// fields splits s on blanks into at most len(f) spans and returns how many
// it found; more reports whether text is left after the last one.
func fields(s string, f []span) (n int, more bool) {
	p := 0
	for {
		for p < len(s) && isSpace(s[p]) {
			p++
		}
		if p == len(s) {
			return n, false
		}
		if n == len(f) {
			return n, true
		}
		start := p
		for p < len(s) && !isSpace(s[p]) {
			p++
		}
		f[n] = span{start, p}
		n++
	}
}

// firstField returns the first blank-separated field of s.
func firstField(s string) string {
	s = strings.TrimLeft(s, " \t")
	if k := strings.IndexAny(s, " \t"); k >= 0 {
		return s[:k]
	}
	return s
}

// ---------------------------------------------------------------- VMS

// vmsName reports whether s, one field, is an OpenVMS file name with a
// version: "NAME.TYPE;N".
func vmsName(s string) bool {
	k := strings.LastIndexByte(s, ';')
	if k <= 0 || k == len(s)-1 {
		return false
	}
	for i := k + 1; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// isVMSNotice reports whether line is one of the lines around an OpenVMS
// DIRECTORY listing that name no entry: "Directory DEV:[DIR]", "Total of
// N files, U/A blocks." and "Grand total of ...".
func isVMSNotice(line string) bool {
	return (strings.HasPrefix(line, "Directory ") && strings.Contains(line, "[") && strings.HasSuffix(line, "]")) ||
		(strings.HasPrefix(line, "Total of ") || strings.HasPrefix(line, "Grand total of ")) && strings.HasSuffix(line, ".")
}

// vmsNameOnly reports whether line holds nothing but an OpenVMS file name
// with a version: the first line of an entry whose name is too long for
// its column, continued on the next line (see [Conn.List]).
func vmsNameOnly(line string) bool {
	t := strings.TrimRight(line, " \t")
	return t != "" && !isSpace(t[0]) && strings.IndexAny(t, " \t") < 0 && vmsName(t)
}

// ParseVMSList parses one line of an OpenVMS LIST (the DIRECTORY/FULL
// layout that VMS FTP servers send):
//
//	BUILD.COM;1          2/4    1-JAN-2020 12:00:00  [GROUP,OWNER]  (RWED,RWED,RE,)
//	DATA.DIR;1           1/3    2-FEB-2021 09:30     [SYSTEM]       (RWE,RWE,RE,E)
//	NOTES.TXT;12         7      3-MAR-2022 23:59:59.99
//
// The fields are the name with its version, the size in 512-byte blocks
// ("used" or "used/allocated"), the date (D-MMM-YYYY), the time (HH:MM,
// with optional seconds and hundredths), then optionally the owner in
// brackets and the protection in parentheses. A file's Name keeps its
// ";version" (it is unique in the listing and retrievable as such); a
// directory, NAME.DIR;N, is named NAME, as CWD and LIST take it. Size is
// the used blocks times 512, an upper bound of the byte size (VMS lists no
// bytes). The protection's owner, group and world parts give the user,
// group and other permission bits (R read, W write, E execute; D, delete,
// has no Unix bit). Times are taken as UTC.
//
// The header and trailer lines ("Directory DISK$USER:[SMITH]", "Total of
// 3 files, 7/12 blocks.", "Grand total of ...") and blank lines return
// ErrNotEntry. A name that is too long for its column is printed alone on
// a line and the other fields follow on the next: [Conn.List] joins the
// two lines with a space before parsing; ParseVMSList called on the name
// line alone returns a *ParseError. Trailing CR and LF are removed first;
// no I/O happens.
func ParseVMSList(line string) (Entry, error) {
	line = trimLineEnd(line)
	if isBlank(line) || isVMSNotice(line) {
		return Entry{}, ErrNotEntry
	}
	bad := func(reason string) (Entry, error) { return Entry{}, parseErr("VMS", line, reason) }
	var f [7]span
	n, more := fields(line, f[:])
	field := func(i int) string { return line[f[i].start:f[i].end] }
	if n == 0 || f[0].start != 0 || !vmsName(field(0)) {
		return bad("no NAME;VERSION field")
	}
	if n == 1 {
		return bad("name without the other fields (an entry on two lines?)")
	}
	if n < 4 || more {
		return bad("not name, size, date and time")
	}
	name := field(0)
	e := Entry{Raw: line, Type: TypeFile}
	size := field(1)
	if k := strings.IndexByte(size, '/'); k >= 0 {
		if _, ok := atoi(size[k+1:]); !ok {
			return bad("bad size " + quoteCut(size))
		}
		size = size[:k]
	}
	blocks, ok := atoi(size)
	if !ok || blocks > (1<<63-1)/512 {
		return bad("bad size " + quoteCut(field(1)))
	}
	e.Size = blocks * 512

	date := field(2)
	d1 := strings.IndexByte(date, '-')
	d2 := strings.LastIndexByte(date, '-')
	if d1 < 0 || d2 != d1+4 {
		return bad("bad date " + quoteCut(date))
	}
	day, ok1 := parseDay(date[:d1])
	month, ok2 := parseMonth(date[d1+1 : d2])
	year, ok3 := atoiN(date[d2+1:], 4)
	if !(ok1 && ok2 && ok3) || day > daysIn(month, year) {
		return bad("bad date " + quoteCut(date))
	}
	clock := field(3)
	if k := strings.IndexByte(clock, '.'); k >= 0 {
		if _, ok := atoiN(clock[k+1:], 2); !ok {
			return bad("bad time " + quoteCut(clock))
		}
		clock = clock[:k]
	}
	hour, min, sec, ok := parseClock(clock)
	if !ok {
		return bad("bad time " + quoteCut(field(3)))
	}
	e.ModTime = time.Date(year, month, day, hour, min, sec, 0, time.UTC)

	i := 4
	if i < n && field(i)[0] == '[' {
		if o := field(i); o[len(o)-1] != ']' || len(o) < 3 {
			return bad("bad owner " + quoteCut(o))
		}
		i++
	}
	if i < n && field(i)[0] == '(' {
		perm, ok := vmsProtection(field(i))
		if !ok {
			return bad("bad protection " + quoteCut(field(i)))
		}
		e.Mode = perm
		i++
	}
	if i < n {
		return bad("unexpected field " + quoteCut(field(i)))
	}

	base := name[:strings.LastIndexByte(name, ';')]
	if len(base) > 4 && asciiEqualFold(base[len(base)-4:], ".DIR") {
		e.Type, e.Mode, e.Size = TypeDir, e.Mode|fs.ModeDir, -1
		e.Name = base[:len(base)-4]
		if e.Name == "" {
			return bad("empty directory name")
		}
		return e, nil
	}
	e.Name = name
	return e, nil
}

// vmsProtection parses "(S,O,G,W)", each part letters of RWED, into
// permission bits: owner → user, group → group, world → other.
func vmsProtection(s string) (fs.FileMode, bool) {
	if len(s) < 2 || s[0] != '(' || s[len(s)-1] != ')' {
		return 0, false
	}
	parts := s[1 : len(s)-1]
	var mode fs.FileMode
	for i := 0; i < 4; i++ {
		part := parts
		if k := strings.IndexByte(parts, ','); k >= 0 {
			part, parts = parts[:k], parts[k+1:]
		} else if i != 3 {
			return 0, false
		} else {
			parts = ""
		}
		var bits fs.FileMode
		for j := 0; j < len(part); j++ {
			switch part[j] {
			case 'R':
				bits |= 4
			case 'W':
				bits |= 2
			case 'E':
				bits |= 1
			case 'D':
			default:
				return 0, false
			}
		}
		if i > 0 { // the system part has no Unix counterpart
			mode |= bits << (3 * (3 - i))
		}
	}
	if parts != "" || strings.Contains(s, ",)") && strings.Count(s, ",") != 3 {
		return 0, false
	}
	return mode, true
}

// ---------------------------------------------------------------- OS/400

// os400Line reports whether line has the shape of an IBM i (OS/400) LIST
// line: owner, size, date, time and an object type starting with '*', or
// blanks, "*MEM" and a name.
func os400Line(line string) bool {
	var f [5]span
	n, _ := fields(line, f[:])
	if n >= 2 && line[f[0].start] == '*' && isSpace(line[0]) {
		return true
	}
	return n == 5 && line[f[4].start] == '*' && strings.IndexByte(line[f[2].start:f[2].end], '/') > 0 &&
		strings.IndexByte(line[f[3].start:f[3].end], ':') > 0
}

// ParseOS400List parses one line of an IBM i (OS/400, AS/400) LIST in the
// server's default format (LISTFMT 0):
//
//	QSYS           77824 02/23/00 15:09:55 *DIR       QOPENSYS/
//	USER1          26624 02/23/00 15:09:55 *STMF      notes.txt
//	USER1         102400 12/05/19 10:30:00 *FILE      MYFILE.FILE
//	                                       *MEM       MYFILE.FILE/MBR1.MBR
//
// The fields are the owner, the size in bytes, the date (MM/DD/YY, the
// system's default; a two-digit year below 40 is 20xx, the others 19xx,
// as IBM i resolves them; four-digit years are accepted), the time
// (HH:MM:SS), the object type and the name, which runs to the end of the
// line. A member line has only the type *MEM and the name; it gets Size -1
// and no time. Types *DIR, *LIB and *FLR are directories; *STMF, *DSTMF,
// *DOC, *MEM and *FILE are files; *SYMLNK is a link (without target);
// other object types (*PGM, *USRPRF, ...) are TypeOther. A name ending in
// '/' is a directory whatever its type, and is given without the '/'. A
// member is named FILE.FILE/MEMBER.MBR as the server sends it, so
// [Conn.ReadDir] leaves it out as an unsafe name; [Conn.List] yields it.
// Times are taken as UTC. Servers configured for another date order
// (YY/MM/DD, DD/MM/YY) are not told apart: their dates are misread or
// rejected. Trailing CR and LF are removed first; no I/O happens.
func ParseOS400List(line string) (Entry, error) {
	line = trimLineEnd(line)
	if isBlank(line) {
		return Entry{}, ErrNotEntry
	}
	bad := func(reason string) (Entry, error) { return Entry{}, parseErr("OS/400", line, reason) }
	var f [5]span
	n, _ := fields(line, f[:])
	field := func(i int) string { return line[f[i].start:f[i].end] }
	e := Entry{Raw: line, Size: -1}
	var typ string
	var nameAt int
	if n >= 2 && field(0) == "*MEM" {
		typ, nameAt = "*MEM", f[1].start
	} else {
		if n < 5 {
			return bad("not owner, size, date, time, type and name")
		}
		size, ok := atoi(field(1))
		if !ok {
			return bad("bad size " + quoteCut(field(1)))
		}
		e.Size = size
		date := field(2)
		if len(date) != 8 && len(date) != 10 || date[2] != '/' || date[5] != '/' {
			return bad("bad date " + quoteCut(date))
		}
		month, ok1 := atoiN(date[0:2], 2)
		day, ok2 := atoiN(date[3:5], 2)
		year, ok3 := atoiN(date[6:], len(date)-6)
		if len(date) == 8 {
			if year < 40 {
				year += 2000
			} else {
				year += 1900
			}
		}
		if !(ok1 && ok2 && ok3) || month < 1 || month > 12 || day < 1 || day > daysIn(time.Month(month), year) {
			return bad("bad date " + quoteCut(date))
		}
		hour, min, sec, ok := parseClock(field(3))
		if !ok {
			return bad("bad time " + quoteCut(field(3)))
		}
		e.ModTime = time.Date(year, time.Month(month), day, hour, min, sec, 0, time.UTC)
		typ = field(4)
		if typ[0] != '*' || len(typ) < 2 {
			return bad("bad object type " + quoteCut(typ))
		}
		p := f[4].end
		for p < len(line) && isSpace(line[p]) {
			p++
		}
		nameAt = p
	}
	if nameAt >= len(line) {
		return bad("no name")
	}
	e.Name = line[nameAt:]
	switch typ {
	case "*DIR", "*LIB", "*FLR":
		e.Type, e.Mode = TypeDir, fs.ModeDir
	case "*STMF", "*DSTMF", "*DOC", "*MEM", "*FILE":
		e.Type = TypeFile
	case "*SYMLNK":
		e.Type, e.Mode = TypeLink, fs.ModeSymlink
	default:
		e.Type = TypeOther
	}
	if strings.HasSuffix(e.Name, "/") {
		e.Name = strings.TrimSuffix(e.Name, "/")
		e.Type, e.Mode = TypeDir, fs.ModeDir
	}
	if e.Name == "" || isBlank(e.Name) {
		return bad("no name")
	}
	if e.Type == TypeDir {
		e.Type = dirType(e.Name)
	}
	return e, nil
}

// ---------------------------------------------------------------- MVS

// isMVSHeader reports whether line is the header of a z/OS data set list
// ("Volume Unit Referred Ext Used Recfm Lrecl BlkSz Dsorg Dsname") or of a
// partitioned data set's member list (" Name     VV.MM   Created ...").
func isMVSHeader(line string) bool {
	t := strings.TrimLeft(line, " ")
	return (strings.HasPrefix(t, "Volume ") && strings.HasSuffix(t, " Dsname")) ||
		(strings.HasPrefix(t, "Name ") && strings.Contains(t, " VV.MM ") && strings.Contains(t, " Changed "))
}

// mvsSlashDate parses YYYY/MM/DD.
func mvsSlashDate(s string) (year, month, day int, ok bool) {
	if len(s) != 10 || s[4] != '/' || s[7] != '/' {
		return 0, 0, 0, false
	}
	year, ok1 := atoiN(s[:4], 4)
	month, ok2 := atoiN(s[5:7], 2)
	day, ok3 := atoiN(s[8:], 2)
	if !(ok1 && ok2 && ok3) || month < 1 || month > 12 || day < 1 || day > daysIn(time.Month(month), year) {
		return 0, 0, 0, false
	}
	return year, month, day, true
}

// mvsLine reports whether line has the shape of a z/OS data set or member
// line.
func mvsLine(line string) bool {
	if strings.HasPrefix(line, "Migrated ") || strings.HasPrefix(line, "Pseudo Directory ") {
		return true
	}
	var f [4]span
	n, _ := fields(line, f[:])
	if n >= 3 {
		if d := line[f[2].start:f[2].end]; len(d) == 10 && d[4] == '/' && d[7] == '/' || d == "**NONE**" {
			return true
		}
	}
	return n == 1 && mvsMember(line[f[0].start:f[0].end]) && f[0].start == 0
}

// mvsMember reports whether s is a PDS member name: 1 to 8 characters,
// upper-case letters, digits and # @ $, not starting with a digit.
func mvsMember(s string) bool {
	if len(s) == 0 || len(s) > 8 || isDigit(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || isDigit(c) || c == '#' || c == '@' || c == '$') {
			return false
		}
	}
	return true
}

// ParseMVSList parses one line of a z/OS LIST of MVS data sets or of the
// members of a partitioned data set:
//
//	Volume Unit    Referred Ext Used Recfm Lrecl BlkSz Dsorg Dsname
//	WYNK01 3390   2014/05/30  1   15  FB      80  3120  PS  DATA.SET
//	WYNK02 3390   2014/05/30  1    1  FB      80 27920  PO  SOURCE.LIB
//	Migrated                                                HSM.OLD.DATA
//	Pseudo Directory                                        USER1.PREFIX
//	 Name     VV.MM   Created       Changed      Size  Init   Mod   Id
//	 MEMBER1   01.03 2004/06/04 2004/06/04 14:43    15    15     0 USER1
//	MEMBER2
//
// A data set line gives the volume, unit, date last referred (YYYY/MM/DD),
// extents, tracks used, record format, record length, block size, data
// set organization and name. PO and PO-E data sets (partitioned, their
// members listed by LIST of the name) are directories, the others (PS,
// DA, ...) files. Size is -1: tracks do not give
// bytes. ModTime is the date last referred, the only date listed (a read
// counts as a reference), at midnight UTC. A migrated data set (no
// attributes until it is recalled) is a file without size or time; a
// pseudo directory (a qualifier prefix) is a directory.
//
// A member line gives the name, version, creation date, change date and
// time, and line counts; it is a file whose ModTime is the change time. A
// line holding only a member name (a member without ISPF statistics) is a
// file without size or time.
//
// The header lines and blank lines return ErrNotEntry. Times are taken
// as UTC. Trailing CR and LF are removed first; no I/O happens.
func ParseMVSList(line string) (Entry, error) {
	line = trimLineEnd(line)
	if isBlank(line) || isMVSHeader(line) {
		return Entry{}, ErrNotEntry
	}
	bad := func(reason string) (Entry, error) { return Entry{}, parseErr("MVS", line, reason) }
	var f [11]span
	n, more := fields(line, f[:])
	field := func(i int) string { return line[f[i].start:f[i].end] }
	e := Entry{Raw: line, Size: -1, Type: TypeFile}
	switch {
	case strings.HasPrefix(line, "Migrated "):
		if n != 2 {
			return bad("not \"Migrated\" and a data set name")
		}
		e.Name = field(1)
		return e, nil
	case strings.HasPrefix(line, "Pseudo Directory "):
		if n != 3 {
			return bad("not \"Pseudo Directory\" and a name")
		}
		e.Name, e.Type, e.Mode = field(2), TypeDir, fs.ModeDir
		return e, nil
	case n == 1 && mvsMember(field(0)):
		e.Name = field(0)
		return e, nil
	case n < 3 || more:
		return bad("not a data set or member line")
	}
	if n == 9 && strings.IndexByte(field(1), '.') > 0 {
		// A member line: name, VV.MM, created, changed, time, size, init,
		// mod, id.
		if !mvsMember(field(0)) {
			return bad("bad member name " + quoteCut(field(0)))
		}
		if _, _, _, ok := mvsSlashDate(field(2)); !ok {
			return bad("bad creation date " + quoteCut(field(2)))
		}
		year, month, day, ok := mvsSlashDate(field(3))
		if !ok {
			return bad("bad change date " + quoteCut(field(3)))
		}
		hour, min, sec, ok := parseClock(field(4))
		if !ok {
			return bad("bad change time " + quoteCut(field(4)))
		}
		for i := 5; i < 8; i++ {
			if _, ok := atoi(field(i)); !ok {
				return bad("bad line count " + quoteCut(field(i)))
			}
		}
		e.Name = field(0)
		e.ModTime = time.Date(year, time.Month(month), day, hour, min, sec, 0, time.UTC)
		return e, nil
	}
	// A data set line: volume, unit, referred, ext, used, recfm, lrecl,
	// blksz, dsorg, dsname.
	if n != 10 {
		return bad("not the ten columns of a data set line")
	}
	if ref := field(2); ref != "**NONE**" {
		year, month, day, ok := mvsSlashDate(ref)
		if !ok {
			return bad("bad date " + quoteCut(ref))
		}
		e.ModTime = time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	}
	for _, i := range [...]int{3, 4, 6, 7} {
		if _, ok := atoi(field(i)); !ok {
			return bad("bad number " + quoteCut(field(i)))
		}
	}
	e.Name = field(9)
	switch dsorg := field(8); dsorg {
	case "PO", "PO-E":
		e.Type, e.Mode = TypeDir, fs.ModeDir
	}
	return e, nil
}

// vmsJoiner puts back together the OpenVMS entries printed on two lines: a
// line holding only NAME.TYPE;N, then a line starting with blanks that
// holds the other fields. [Conn.List] feeds it every line.
type vmsJoiner struct {
	pending string
	has     bool
}

// feed takes the next line of a listing and stores in out the lines to
// parse now, in order; it returns how many (0, 1 or 2). A name-only line
// is held until the next line: joined to it with one space when that line
// continues it, else given back alone before it.
func (j *vmsJoiner) feed(line string, out *[2]string) int {
	n := 0
	if j.has {
		j.has = false
		l := trimLineEnd(line)
		if l != "" && isSpace(l[0]) && !isBlank(l) {
			out[0] = trimLineEnd(j.pending) + " " + strings.TrimLeft(l, " \t")
			j.pending = ""
			return 1
		}
		out[0] = j.pending
		j.pending = ""
		n = 1
	}
	if vmsNameOnly(trimLineEnd(line)) {
		j.pending, j.has = line, true
		return n
	}
	out[n] = line
	return n + 1
}

// flush returns the line held at the end of the listing, if any.
func (j *vmsJoiner) flush() (string, bool) {
	l, ok := j.pending, j.has
	j.pending, j.has = "", false
	return l, ok
}
