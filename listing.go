package ftp

import (
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"time"
)

// This file holds the directory-listing parsers: RFC 3659 MLSD/MLST lines
// and the LIST formats real servers emit (Unix "ls -l", DOS/IIS, EPLF; the
// OpenVMS, IBM i and z/OS formats are in listing_more.go).
// They are pure functions of one line, called once per line of a streamed
// listing, so they avoid regular expressions and allocate nothing beyond
// the Facts map of an MLSx entry (an Entry's strings are substrings of the
// line).

// EntryType is the kind of a directory entry.
type EntryType int

const (
	// TypeFile is a regular file (MLSx type=file, LIST mode "-").
	TypeFile EntryType = iota
	// TypeDir is a directory (MLSx type=dir, LIST mode "d").
	TypeDir
	// TypeCdir is the listed directory itself (MLSx type=cdir, or a LIST
	// directory named ".").
	TypeCdir
	// TypePdir is the parent of the listed directory (MLSx type=pdir, or
	// a LIST directory named "..").
	TypePdir
	// TypeLink is a symbolic link (MLSx type=OS.unix=slink:target or
	// type=OS.unix=symlink, LIST mode "l").
	TypeLink
	// TypeOther is anything else: devices, pipes, sockets, OS-specific
	// MLSx types, an MLSx entry without a type fact, or an EPLF entry
	// that is neither retrievable nor a directory. Entry.Mode and
	// Entry.Facts["type"] tell more when the server said more.
	TypeOther
)

// String returns the lower-case name of t as MLSx spells it ("file", "dir",
// "cdir", "pdir"), or "link", "other", or "EntryType(n)" for an unknown
// value.
func (t EntryType) String() string {
	switch t {
	case TypeFile:
		return "file"
	case TypeDir:
		return "dir"
	case TypeCdir:
		return "cdir"
	case TypePdir:
		return "pdir"
	case TypeLink:
		return "link"
	case TypeOther:
		return "other"
	}
	return "EntryType(" + strconv.Itoa(int(t)) + ")"
}

// Entry is one line of a directory listing, parsed by [ParseMLSx] or
// [ParseList]. Name, Target, Raw and the fact values are substrings of
// the line it came from.
type Entry struct {
	// Name is the entry's name exactly as the server sent it: it may hold
	// spaces (leading ones too), ';', '=' and UTF-8. A LIST symlink's
	// Name has no " -> target" suffix. It is never empty.
	Name string
	// Type is the kind of entry.
	Type EntryType
	// Size is the size in bytes (MLSx size or sizd, the LIST size
	// column), or -1 when the listing gives none (device files, DOS
	// directories, facts without a size).
	Size int64
	// ModTime is the modification time in UTC, or the zero time when the
	// listing gives none. LIST times carry no zone and are taken as UTC;
	// LIST gives minutes (a year-form date: midnight), MLSx gives seconds
	// and possibly fractions.
	ModTime time.Time
	// Mode holds the type bits (fs.ModeDir, fs.ModeSymlink, device, pipe,
	// socket) and the permission bits where the listing gives them (MLSx
	// UNIX.mode, the LIST permission column, EPLF "up"). Mode.Perm() is 0
	// when permissions are unknown; Mode is 0 for a regular file whose
	// permissions are unknown.
	Mode fs.FileMode
	// Target is the target of a symbolic link (LIST "name -> target",
	// MLSx type=OS.unix=slink:target), or "" when unknown or not a link.
	Target string
	// Facts holds the MLSx facts, names lower-cased (ASCII), values
	// verbatim, e.g. Facts["unix.mode"] = "0644". A repeated fact keeps
	// its last value. It is nil for LIST entries, and empty but not nil
	// for an MLSx line without facts.
	Facts map[string]string
	// Raw is the line the entry was parsed from, without the line
	// terminator (for an OpenVMS entry printed on two lines, which
	// [Conn.List] joins, the two lines joined by one space).
	Raw string
}

// IsDir reports whether e is a directory: TypeDir, TypeCdir or TypePdir.
func (e Entry) IsDir() bool {
	return e.Type == TypeDir || e.Type == TypeCdir || e.Type == TypePdir
}

// ErrNotEntry is returned by the parsers for a line that is well formed but
// names no entry: an empty or blank line (some servers end MLSD with one),
// the "total N" line that ls -l prints first, or a header or trailer line
// of an OpenVMS or z/OS listing. A caller streaming a
// listing skips such lines; every other line is an entry or a
// *ParseError. It is not an ErrProto: it is not a failure.
var ErrNotEntry = errors.New("ftp: listing line is not an entry")

// ParseError reports a listing line that no parser accepts. It is of class
// ErrProto: errors.Is(err, ErrProto) is true.
type ParseError struct {
	// Format is the format the line was parsed as: "MLSx", "Unix",
	// "DOS", "EPLF", "VMS", "OS/400" or "MVS".
	Format string
	// Line is the whole line, without its line terminator.
	Line string
	// Reason says what is wrong with it.
	Reason string
}

// maxErrLine is how much of a line ParseError.Error quotes.
const maxErrLine = 120

// Error describes the error, quoting the line (cut to 120 bytes when it is
// longer).
func (e *ParseError) Error() string {
	line := e.Line
	more := ""
	if len(line) > maxErrLine {
		line, more = line[:maxErrLine], "..."
	}
	return "ftp: cannot parse " + e.Format + " listing line " + strconv.Quote(line) + more + ": " + e.Reason
}

// Is reports whether target is ErrProto, the class of every ParseError.
func (e *ParseError) Is(target error) bool { return target == ErrProto }

// quoteCut quotes s for an error reason, cut to 40 bytes.
func quoteCut(s string) string {
	if len(s) > 40 {
		return strconv.Quote(s[:40]) + "..."
	}
	return strconv.Quote(s)
}

func parseErr(format, line, reason string) error {
	return &ParseError{Format: format, Line: line, Reason: reason}
}

// trimLineEnd removes the line terminator: every trailing CR and LF (a server
// in ASCII mode may send CR CR LF).
func trimLineEnd(line string) string {
	for len(line) > 0 && (line[len(line)-1] == '\n' || line[len(line)-1] == '\r') {
		line = line[:len(line)-1]
	}
	return line
}

// isBlank reports whether s holds nothing but spaces and tabs.
func isBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' && s[i] != '\t' {
			return false
		}
	}
	return true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// atoi parses a non-empty string of ASCII digits as a non-negative int64.
func atoi(s string) (int64, bool) {
	if s == "" || len(s) > 19 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) {
			return 0, false
		}
		d := int64(c - '0')
		if n > (1<<63-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// atoiN parses s, which must be exactly n ASCII digits.
func atoiN(s string, n int) (int, bool) {
	if len(s) != n {
		return 0, false
	}
	v := 0
	for i := 0; i < n; i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		v = v*10 + int(s[i]-'0')
	}
	return v, true
}

// daysIn returns the number of days of month m in year y.
func daysIn(m time.Month, y int) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// asciiEqualFold reports whether a and b are equal under ASCII case
// folding (unlike strings.EqualFold, no Unicode folding such as the
// Kelvin sign to 'k').
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && asciiEqualFold(s[:len(prefix)], prefix)
}

// dirType returns the type of a LIST directory called name: "." and ".."
// get the MLSx types cdir and pdir.
func dirType(name string) EntryType {
	switch name {
	case ".":
		return TypeCdir
	case "..":
		return TypePdir
	}
	return TypeDir
}

// unixPerm converts the low 12 bits of a Unix st_mode to fs.FileMode
// permission and special bits.
func unixPerm(m int64) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	if m&0o4000 != 0 {
		mode |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		mode |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}

// parseOctal parses 1 to 7 octal digits.
func parseOctal(s string) (int64, bool) {
	if s == "" || len(s) > 7 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '7' {
			return 0, false
		}
		n = n*8 + int64(s[i]-'0')
	}
	return n, true
}

// ---------------------------------------------------------------- MLSx

// knownFacts are the lower-case fact names of RFC 3659 and the common
// UNIX.* extensions; factKey returns these constants rather than
// allocating a lower-cased copy.
var knownFacts = [...]string{
	"type", "size", "sizd", "modify", "create", "perm", "lang",
	"media-type", "charset", "unique",
	"unix.mode", "unix.owner", "unix.group", "unix.ownername",
	"unix.groupname", "unix.uid", "unix.gid",
}

// factKey lower-cases an ASCII fact name, without allocating when it is
// already lower case or a known fact.
func factKey(k string) string {
	upper := false
	for i := 0; i < len(k); i++ {
		if 'A' <= k[i] && k[i] <= 'Z' {
			upper = true
			break
		}
	}
	if !upper {
		return k
	}
	for _, f := range knownFacts {
		if asciiEqualFold(k, f) {
			return f
		}
	}
	b := []byte(k)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// ParseMLSx parses one line of an MLSD listing or of an MLST reply (RFC
// 3659): facts, each "name=value;", then one space, then the name, which
// runs to the end of the line and may hold spaces, ';' and '='. A line
// with no facts is a space followed by the name. Trailing CR and LF are
// removed first; no I/O happens.
//
// MLST reply lines start with a space before the facts, and some servers
// send several. ParseMLSx accepts that form too: when a line starts with
// spaces, they are all skipped, and the rest is read as facts and a name if
// it starts with facts followed by "; "; otherwise the rest is a name
// without facts. So " a=b; c" and "    a=b; c" are the entry "c" with fact
// a=b, never the factless entry "a=b; c", and " x" and "  x" are the
// factless entry "x".
//
// The entry's Type comes from the type fact (case-insensitive), Size from
// size or else sizd, ModTime from modify (YYYYMMDDHHMMSS[.fraction], UTC),
// the permission bits of Mode from UNIX.mode (octal), Target from
// type=OS.unix=slink:target. A size, sizd, modify or UNIX.mode fact that
// is malformed makes the line a *ParseError rather than an entry with a
// wrong field. An empty or blank line returns ErrNotEntry.
func ParseMLSx(line string) (Entry, error) {
	line = trimLineEnd(line)
	if isBlank(line) {
		return Entry{}, ErrNotEntry
	}
	if line[0] == ' ' {
		// MLST form, or a name without facts. The line is not blank, so
		// rest is not empty.
		rest := strings.TrimLeft(line, " ")
		if hasFactShape(rest) {
			return parseMLSxFacts(line, rest)
		}
		return Entry{Name: rest, Type: TypeOther, Size: -1, Facts: map[string]string{}, Raw: line}, nil
	}
	return parseMLSxFacts(line, line)
}

// hasFactShape reports whether s starts with at least one fact, name=value
// ended by ';', and has "; " after its facts.
func hasFactShape(s string) bool {
	p := 0
	for p < len(s) && s[p] != ' ' {
		semi := strings.IndexByte(s[p:], ';')
		if semi < 0 {
			return false
		}
		eq := strings.IndexByte(s[p:p+semi], '=')
		if eq <= 0 || strings.IndexByte(s[p:p+eq], ' ') >= 0 {
			return false
		}
		p += semi + 1
	}
	return p > 0 && p < len(s)
}

// parseMLSxFacts parses s, facts then a space then a name. raw is the
// whole line, for Entry.Raw and errors.
func parseMLSxFacts(raw, s string) (Entry, error) {
	// Count the facts first so the map is allocated once at its size.
	n := 0
	p := 0
	for p < len(s) && s[p] != ' ' {
		semi := strings.IndexByte(s[p:], ';')
		if semi < 0 {
			return Entry{}, parseErr("MLSx", raw, "no \"; \" before the name")
		}
		n++
		p += semi + 1
	}
	if p >= len(s) {
		return Entry{}, parseErr("MLSx", raw, "no space before the name")
	}
	name := s[p+1:]
	if name == "" {
		return Entry{}, parseErr("MLSx", raw, "empty name")
	}
	facts := make(map[string]string, n)
	var tf typedFacts
	for q := 0; q < p; {
		semi := q + strings.IndexByte(s[q:], ';')
		fact := s[q:semi]
		q = semi + 1
		eq := strings.IndexByte(fact, '=')
		if eq <= 0 {
			return Entry{}, parseErr("MLSx", raw, "fact without name=value: "+quoteCut(fact))
		}
		if strings.IndexByte(fact[:eq], ' ') >= 0 {
			return Entry{}, parseErr("MLSx", raw, "space in fact name "+quoteCut(fact[:eq]))
		}
		k, v := factKey(fact[:eq]), fact[eq+1:]
		facts[k] = v
		tf.note(k, v)
	}
	e := Entry{Name: name, Type: TypeOther, Size: -1, Facts: facts, Raw: raw}
	if err := e.applyFacts(&tf); err != "" {
		return Entry{}, parseErr("MLSx", raw, err)
	}
	return e, nil
}

// typedFacts holds the last value of each fact that sets a typed Entry
// field, so that applyFacts needs no map lookups.
type typedFacts struct {
	typ, size, sizd, modify, mode                 string
	hasType, hasSize, hasSizd, hasModify, hasMode bool
}

// note records fact k=v if k names a typed fact; k is lower case.
func (tf *typedFacts) note(k, v string) {
	switch k {
	case "type":
		tf.typ, tf.hasType = v, true
	case "size":
		tf.size, tf.hasSize = v, true
	case "sizd":
		tf.sizd, tf.hasSizd = v, true
	case "modify":
		tf.modify, tf.hasModify = v, true
	case "unix.mode":
		tf.mode, tf.hasMode = v, true
	}
}

// applyFacts sets the typed fields of e from the facts in tf. It returns a
// reason when a fact is malformed.
func (e *Entry) applyFacts(tf *typedFacts) string {
	if tf.hasType {
		switch t := tf.typ; {
		case asciiEqualFold(t, "file"):
			e.Type = TypeFile
		case asciiEqualFold(t, "dir"):
			e.Type, e.Mode = TypeDir, fs.ModeDir
		case asciiEqualFold(t, "cdir"):
			e.Type, e.Mode = TypeCdir, fs.ModeDir
		case asciiEqualFold(t, "pdir"):
			e.Type, e.Mode = TypePdir, fs.ModeDir
		case hasPrefixFold(t, "OS.unix="):
			switch v := t[len("OS.unix="):]; {
			case hasPrefixFold(v, "slink:"):
				e.Type, e.Mode, e.Target = TypeLink, fs.ModeSymlink, v[len("slink:"):]
			case asciiEqualFold(v, "slink"), asciiEqualFold(v, "symlink"):
				e.Type, e.Mode = TypeLink, fs.ModeSymlink
			case hasPrefixFold(v, "chr-"):
				e.Mode = fs.ModeDevice | fs.ModeCharDevice
			case hasPrefixFold(v, "blk-"):
				e.Mode = fs.ModeDevice
			}
		}
	}
	if v := tf.size; tf.hasSize {
		n, ok := atoi(v)
		if !ok {
			return "bad size fact " + quoteCut(v)
		}
		e.Size = n
	} else if v := tf.sizd; tf.hasSizd {
		n, ok := atoi(v)
		if !ok {
			return "bad sizd fact " + quoteCut(v)
		}
		e.Size = n
	}
	if v := tf.modify; tf.hasModify {
		t, ok := parseMLSxTime(v)
		if !ok {
			return "bad modify fact " + quoteCut(v)
		}
		e.ModTime = t
	}
	if v := tf.mode; tf.hasMode {
		m, ok := parseOctal(v)
		if !ok {
			return "bad UNIX.mode fact " + quoteCut(v)
		}
		e.Mode |= unixPerm(m)
	}
	return ""
}

// parseMLSxTime parses an RFC 3659 time-val, YYYYMMDDHHMMSS[.fraction], in
// UTC. Fraction digits past nanoseconds are checked and dropped.
func parseMLSxTime(s string) (time.Time, bool) {
	if len(s) < 14 {
		return time.Time{}, false
	}
	year, ok1 := atoiN(s[0:4], 4)
	month, ok2 := atoiN(s[4:6], 2)
	day, ok3 := atoiN(s[6:8], 2)
	hour, ok4 := atoiN(s[8:10], 2)
	min, ok5 := atoiN(s[10:12], 2)
	sec, ok6 := atoiN(s[12:14], 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return time.Time{}, false
	}
	// Second 60 is a leap second (RFC 3659 allows it); time.Date
	// normalises it into the next minute.
	if month < 1 || month > 12 || day < 1 || day > daysIn(time.Month(month), year) ||
		hour > 23 || min > 59 || sec > 60 {
		return time.Time{}, false
	}
	nsec := 0
	if frac := s[14:]; frac != "" {
		if frac[0] != '.' || len(frac) == 1 {
			return time.Time{}, false
		}
		scale := 100000000
		for i := 1; i < len(frac); i++ {
			if !isDigit(frac[i]) {
				return time.Time{}, false
			}
			nsec += int(frac[i]-'0') * scale
			scale /= 10
		}
	}
	return time.Date(year, time.Month(month), day, hour, min, sec, nsec, time.UTC), true
}

// ---------------------------------------------------------------- LIST

// ParseList parses one line of a LIST reply in any of the formats servers
// emit, chosen by the line's shape, in this order: a line starting with
// '+' is EPLF ([ParseEPLF]); one starting with a DOS date (MM-DD-YY) is
// DOS/IIS ([ParseDOSList]); one starting with a ten-letter Unix mode or
// NetWare's "d [RWCEAFMS]" is Unix ls -l ([ParseUnixList]); one whose
// first field is NAME;VERSION, or an OpenVMS header or trailer line, is
// OpenVMS ([ParseVMSList]); a z/OS header, data set or member line is MVS
// ([ParseMVSList]); owner, size, date, time and a '*' object type is IBM
// i ([ParseOS400List]); anything else is parsed as Unix, or as DOS when it
// starts with a digit, for the error. now resolves Unix dates printed
// without a year, as described at ParseUnixList. Trailing CR and LF are
// removed first; no I/O happens.
//
// An empty or blank line, a "total N" line and the header and trailer
// lines of the OpenVMS and z/OS formats return ErrNotEntry; a line that is
// not an entry in the chosen format returns a *ParseError.
func ParseList(line string, now time.Time) (Entry, error) {
	line = trimLineEnd(line)
	if isBlank(line) {
		return Entry{}, ErrNotEntry
	}
	if line[0] == '+' {
		return ParseEPLF(line)
	}
	if dosDate(line) {
		return ParseDOSList(line)
	}
	if len(line) >= 10 || netWareRights(line) > 0 {
		if netWareRights(line) > 0 {
			return ParseUnixList(line, now)
		}
		if _, _, ok := unixMode(line[:10]); ok {
			return ParseUnixList(line, now)
		}
	}
	switch first := firstField(line); {
	case isVMSNotice(line) || (!isSpace(line[0]) && vmsName(first)):
		return ParseVMSList(line)
	case isMVSHeader(line) || mvsLine(line):
		return ParseMVSList(line)
	case os400Line(line):
		return ParseOS400List(line)
	case isDigit(line[0]):
		return ParseDOSList(line)
	}
	return ParseUnixList(line, now)
}

// dosDate reports whether line starts with a DOS/IIS date, MM-DD-YY or
// MM-DD-YYYY ('/' for '-' too), and a blank.
func dosDate(line string) bool {
	for _, n := range [...]int{8, 10} {
		if len(line) > n && isSpace(line[n]) && (line[2] == '-' || line[2] == '/') && line[5] == line[2] {
			_, ok1 := atoiN(line[:2], 2)
			_, ok2 := atoiN(line[3:5], 2)
			_, ok3 := atoiN(line[6:n], n-6)
			if ok1 && ok2 && ok3 {
				return true
			}
		}
	}
	return false
}

// months maps the English three-letter month abbreviations ls prints.
var months = [12]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

func parseMonth(s string) (time.Month, bool) {
	if len(s) != 3 {
		return 0, false
	}
	for i, m := range months {
		if asciiEqualFold(s, m) {
			return time.Month(i + 1), true
		}
	}
	return 0, false
}

// span is a field of a line: line[start:end].
type span struct{ start, end int }

// maxUnixFields is how many space-separated fields after the mode
// ParseUnixList looks at to find the date: links, owner, group, size or
// "major, minor", then month, day and year or time, with room to spare.
const maxUnixFields = 12

// ParseUnixList parses one line of Unix "ls -l" output as LIST sends it:
//
//	-rw-r--r--   1 owner group   1234 Jan  2  2024 name
//	drwxr-xr-x+  2 1001  1001    4096 Nov 24 21:18 dir with  spaces
//	lrwxrwxrwx   1 owner group      7 Jan  2  2024 link -> target
//	crw-rw-rw-   1 root  root    1,   3 Jan  2  2024 null
//	-rw-r--r--   1 owner         1234 Jan  2  2024 no group column
//	-rw-r--r--   1 owner group   1234 2024-01-02 03:04 long-iso dates
//	d [RWCEAFMS] owner            512 Jan 01 12:00 NetWare
//
// The mode is ten characters: a type letter (- d l c b p s D) and nine
// permission letters (r w x - s S t T, and l L for mandatory locking), then
// optionally an ACL or extended-attribute marker (+ . @). The fields
// before the size (link count, owner, group) are not interpreted, so
// numeric owners and a missing group column are fine. Device files have
// "major, minor" in place of the size, and get Size -1. NetWare servers
// print a type letter (d or -) and the NetWare rights in brackets in place
// of the mode; such entries get no permission bits. Dates may also be
// numeric, YYYY-MM-DD and HH:MM[:SS], as ls --time-style=long-iso prints
// them.
//
// The name is everything after the single space that follows the year or
// time column, kept exactly, leading and repeated spaces included; for a
// symlink it stops before the first " -> ", and the rest is Target. A
// directory named "." or ".." is TypeCdir or TypePdir.
//
// Dates are taken as UTC. A date with a time instead of a year ("Nov 24
// 21:18") is, as ls prints it, within the last six months: it gets the
// latest year that does not put it more than one day (clock skew) after
// now. Year-form dates get midnight.
//
// A "total N" line or a blank line returns ErrNotEntry; a line that does
// not fit returns a *ParseError. Trailing CR and LF are removed first; no
// I/O happens.
func ParseUnixList(line string, now time.Time) (Entry, error) {
	line = trimLineEnd(line)
	if isBlank(line) || isTotalLine(line) {
		return Entry{}, ErrNotEntry
	}
	if len(line) < 11 {
		return Entry{}, parseErr("Unix", line, "too short")
	}
	e := Entry{Raw: line, Size: -1}
	var p int
	if k := netWareRights(line); k > 0 {
		if line[0] == 'd' {
			e.Type, e.Mode = TypeDir, fs.ModeDir
		} else {
			e.Type = TypeFile
		}
		p = k
	} else {
		var ok bool
		e.Type, e.Mode, ok = unixMode(line[:10])
		if !ok {
			return Entry{}, parseErr("Unix", line, "bad mode "+quoteCut(line[:10]))
		}
		p = 10
		if c := line[p]; c == '+' || c == '.' || c == '@' {
			p++
		}
	}
	if p >= len(line) || !isSpace(line[p]) {
		return Entry{}, parseErr("Unix", line, "bad mode "+quoteCut(line[:p]))
	}

	var f [maxUnixFields]span
	n := 0
	for n < len(f) {
		for p < len(line) && isSpace(line[p]) {
			p++
		}
		if p == len(line) {
			break
		}
		start := p
		for p < len(line) && !isSpace(line[p]) {
			p++
		}
		f[n] = span{start, p}
		n++
	}
	field := func(i int) string { return line[f[i].start:f[i].end] }

	device := line[0] == 'c' || line[0] == 'b'
	// Find the month: the first field that is a month name, preceded by a
	// size and followed by a day, a year or time, and a name.
	for i := 1; i+2 < n; i++ {
		month, ok := parseMonth(field(i))
		if !ok {
			if t, ok := isoDateTime(field(i), field(i+1)); ok {
				size, ok := unixSize(field(i-1), "", device)
				if ok && f[i+1].end+1 < len(line) {
					e.Size, e.ModTime = size, t
					e.Name = line[f[i+1].end+1:]
					e.finishUnix()
					return e, nil
				}
			}
			continue
		}
		prev := ""
		if i >= 2 {
			prev = field(i - 2)
		}
		size, ok := unixSize(field(i-1), prev, device)
		if !ok {
			continue
		}
		day, ok := parseDay(field(i + 1))
		if !ok {
			continue
		}
		yt := f[i+2]
		if yt.end+1 >= len(line) { // no name after the separator
			continue
		}
		t, ok := unixTime(month, day, line[yt.start:yt.end], now)
		if !ok {
			continue
		}
		e.Size = size
		e.ModTime = t
		e.Name = line[yt.end+1:]
		e.finishUnix()
		return e, nil
	}
	return Entry{}, parseErr("Unix", line, "no size and date columns")
}

// finishUnix splits a symlink's name from its target and types "." and
// "..".
func (e *Entry) finishUnix() {
	switch e.Type {
	case TypeLink:
		if k := strings.Index(e.Name, " -> "); k > 0 {
			e.Name, e.Target = e.Name[:k], e.Name[k+len(" -> "):]
		}
	case TypeDir:
		e.Type = dirType(e.Name)
	}
}

// netWareRights returns the index after the type and rights columns of a
// NetWare LIST line, "d [RWCEAFMS]" or "- [R----F--]", or 0 when line does
// not start so.
func netWareRights(line string) int {
	if len(line) < 5 || (line[0] != 'd' && line[0] != '-') || line[1] != ' ' || line[2] != '[' {
		return 0
	}
	for i := 3; i < len(line) && i < 3+16; i++ {
		switch c := line[i]; {
		case c == ']':
			if i == 3 {
				return 0
			}
			return i + 1
		case c == '-' || strings.IndexByte("RWCEAFMS", c) >= 0:
		default:
			return 0
		}
	}
	return 0
}

// isoDateTime parses the date and time columns of ls -l
// --time-style=long-iso or iso: "2024-01-02" and "15:04" (or
// "15:04:05").
func isoDateTime(date, clock string) (time.Time, bool) {
	if len(date) != 10 || date[4] != '-' || date[7] != '-' {
		return time.Time{}, false
	}
	year, ok1 := atoiN(date[:4], 4)
	month, ok2 := atoiN(date[5:7], 2)
	day, ok3 := atoiN(date[8:], 2)
	if !(ok1 && ok2 && ok3) || month < 1 || month > 12 || day < 1 || day > daysIn(time.Month(month), year) {
		return time.Time{}, false
	}
	hour, min, sec, ok := parseClock(clock)
	if !ok {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, min, sec, 0, time.UTC), true
}

// isTotalLine reports whether line is the "total N" line of ls -l: "total",
// blanks, and a block count (digits, possibly with '.' or ',' and a unit
// letter as ls -h prints).
func isTotalLine(line string) bool {
	if !strings.HasPrefix(line, "total") || len(line) < 7 || !isSpace(line[5]) {
		return false
	}
	rest := strings.TrimRight(strings.TrimLeft(line[5:], " \t"), " \t")
	if rest == "" || !isDigit(rest[0]) {
		return false
	}
	for i := 1; i < len(rest); i++ {
		c := rest[i]
		switch {
		case isDigit(c) || c == '.' || c == ',':
		case i == len(rest)-1 && strings.IndexByte("KMGTPEkmgtpe", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// unixMode parses the ten-character mode column of ls -l.
func unixMode(s string) (EntryType, fs.FileMode, bool) {
	var t EntryType
	var mode fs.FileMode
	switch s[0] {
	case '-':
		t = TypeFile
	case 'd':
		t, mode = TypeDir, fs.ModeDir
	case 'l':
		t, mode = TypeLink, fs.ModeSymlink
	case 'c':
		t, mode = TypeOther, fs.ModeDevice|fs.ModeCharDevice
	case 'b':
		t, mode = TypeOther, fs.ModeDevice
	case 'p':
		t, mode = TypeOther, fs.ModeNamedPipe
	case 's':
		t, mode = TypeOther, fs.ModeSocket
	case 'D': // Solaris door
		t, mode = TypeOther, fs.ModeIrregular
	default:
		return 0, 0, false
	}
	for i := 0; i < 9; i++ {
		c := s[1+i]
		bit := fs.FileMode(1) << (8 - i)
		switch i % 3 {
		case 0:
			if c == 'r' {
				mode |= bit
			} else if c != '-' {
				return 0, 0, false
			}
		case 1:
			if c == 'w' {
				mode |= bit
			} else if c != '-' {
				return 0, 0, false
			}
		case 2:
			var special fs.FileMode
			switch i {
			case 2:
				special = fs.ModeSetuid
			case 5:
				special = fs.ModeSetgid
			case 8:
				special = fs.ModeSticky
			}
			switch {
			case c == 'x':
				mode |= bit
			case c == '-':
			case (c == 's' && i != 8) || (c == 't' && i == 8):
				mode |= bit | special
			case (c == 'S' && i != 8) || (c == 'T' && i == 8):
				mode |= special
			case (c == 'l' || c == 'L') && i == 5:
				// Mandatory locking (setgid without group execute).
			default:
				return 0, 0, false
			}
		}
	}
	return t, mode, true
}

// unixSize parses the size column s of ls -l; prev is the field before it.
// For a device file it also accepts "major,minor" in s, or "major," in prev
// and "minor" in s, and then returns -1.
func unixSize(s, prev string, device bool) (int64, bool) {
	if device {
		if k := strings.IndexByte(s, ','); k > 0 {
			_, ok1 := atoi(s[:k])
			_, ok2 := atoi(s[k+1:])
			return -1, ok1 && ok2
		}
		if len(prev) > 1 && prev[len(prev)-1] == ',' {
			_, ok1 := atoi(prev[:len(prev)-1])
			_, ok2 := atoi(s)
			return -1, ok1 && ok2
		}
	}
	return atoi(s)
}

// parseDay parses a day of the month, 1 or 2 digits, 1 to 31.
func parseDay(s string) (int, bool) {
	if len(s) == 0 || len(s) > 2 {
		return 0, false
	}
	d, ok := atoi(s)
	return int(d), ok && d >= 1 && d <= 31
}

// parseClock parses "H:MM" or "HH:MM", optionally followed by ":SS".
func parseClock(s string) (hour, min, sec int, ok bool) {
	c := strings.IndexByte(s, ':')
	if c < 1 || c > 2 {
		return 0, 0, 0, false
	}
	h, ok1 := atoiN(s[:c], c)
	rest := s[c+1:]
	if len(rest) != 2 && len(rest) != 5 {
		return 0, 0, 0, false
	}
	m, ok2 := atoiN(rest[:2], 2)
	sec, ok3 := 0, true
	if len(rest) == 5 {
		if rest[2] != ':' {
			return 0, 0, 0, false
		}
		sec, ok3 = atoiN(rest[3:], 2)
	}
	if !(ok1 && ok2 && ok3) || h > 23 || m > 59 || sec > 59 {
		return 0, 0, 0, false
	}
	return h, m, sec, true
}

// skew is how far in the future of now a year-less ls date may lie before
// it is taken to belong to an earlier year.
const skew = 24 * time.Hour

// unixTime resolves an ls -l date: month, day, and yt, a year ("2024") or
// a time of day ("21:18").
func unixTime(month time.Month, day int, yt string, now time.Time) (time.Time, bool) {
	if year, ok := atoiN(yt, 4); ok {
		if day > daysIn(month, year) {
			return time.Time{}, false
		}
		return time.Date(year, month, day, 0, 0, 0, 0, time.UTC), true
	}
	hour, min, sec, ok := parseClock(yt)
	if !ok {
		return time.Time{}, false
	}
	limit := now.UTC().Add(skew)
	// The latest year that keeps the date at most skew after now. Only
	// Feb 29 needs more than two tries.
	for y := limit.Year(); y > limit.Year()-9; y-- {
		if day > daysIn(month, y) {
			continue
		}
		t := time.Date(y, month, day, hour, min, sec, 0, time.UTC)
		if !t.After(limit) {
			return t, true
		}
	}
	return time.Time{}, false
}

// ParseDOSList parses one line of a DOS-style (Microsoft IIS) LIST:
//
//	01-02-24  03:04AM       <DIR>          tree
//	01-02-2024  15:04             1234 file name.txt
//
// The date is MM-DD-YY or MM-DD-YYYY ('/' is accepted in place of '-');
// two-digit years 70 to 99 are 19xx, the others 20xx. The time is 24-hour
// "15:04" or 12-hour "03:04PM" (AM/PM possibly after a space). A "<DIR>"
// entry is a directory with Size -1 (TypeCdir or TypePdir for "." and
// ".."). The name is the rest of the line after the blanks that follow the
// size or <DIR> column (the format pads with blanks, so leading blanks of a
// name cannot be told apart). Times are taken as UTC; Mode holds only the
// type bits. Trailing CR and LF are removed first; no I/O happens.
func ParseDOSList(line string) (Entry, error) {
	line = trimLineEnd(line)
	if isBlank(line) {
		return Entry{}, ErrNotEntry
	}
	bad := func(reason string) (Entry, error) { return Entry{}, parseErr("DOS", line, reason) }
	p := 0
	next := func() string {
		for p < len(line) && isSpace(line[p]) {
			p++
		}
		start := p
		for p < len(line) && !isSpace(line[p]) {
			p++
		}
		return line[start:p]
	}
	date := next()
	if len(date) != 8 && len(date) != 10 || (date[2] != '-' && date[2] != '/') || date[5] != date[2] {
		return bad("bad date")
	}
	month, ok1 := atoiN(date[0:2], 2)
	day, ok2 := atoiN(date[3:5], 2)
	year, ok3 := atoiN(date[6:], len(date)-6)
	if !(ok1 && ok2 && ok3) || month < 1 || month > 12 {
		return bad("bad date")
	}
	if len(date) == 8 {
		if year >= 70 {
			year += 1900
		} else {
			year += 2000
		}
	}
	if day < 1 || day > daysIn(time.Month(month), year) {
		return bad("bad date")
	}

	clock := next()
	ampm := ""
	if n := len(clock); n > 2 && (clock[n-1] == 'M' || clock[n-1] == 'm') {
		clock, ampm = clock[:n-2], clock[n-2:]
	} else {
		save := p
		if w := next(); asciiEqualFold(w, "AM") || asciiEqualFold(w, "PM") {
			ampm = w
		} else {
			p = save
		}
	}
	hour, min, sec, ok := parseClock(clock)
	if !ok {
		return bad("bad time")
	}
	switch {
	case ampm == "":
	case hour < 1 || hour > 12:
		return bad("bad time")
	case asciiEqualFold(ampm, "AM"):
		if hour == 12 {
			hour = 0
		}
	case asciiEqualFold(ampm, "PM"):
		if hour != 12 {
			hour += 12
		}
	default:
		return bad("bad time")
	}

	e := Entry{Raw: line, Size: -1,
		ModTime: time.Date(year, time.Month(month), day, hour, min, sec, 0, time.UTC)}
	switch sz := next(); {
	case sz == "<DIR>":
		e.Type, e.Mode = TypeDir, fs.ModeDir
	case sz == "":
		return bad("no size")
	default:
		n, ok := atoi(sz)
		if !ok {
			return bad("bad size " + quoteCut(sz))
		}
		e.Type, e.Size = TypeFile, n
	}
	for p < len(line) && isSpace(line[p]) {
		p++
	}
	if p == len(line) {
		return bad("no name")
	}
	e.Name = line[p:]
	if e.Type == TypeDir {
		e.Type = dirType(e.Name)
	}
	return e, nil
}

// ParseEPLF parses one line of an EPLF listing
// (https://cr.yp.to/ftp/list/eplf.html): '+', facts each ended by ',', a
// tab, and the name:
//
//	+i8388621.29609,m824255902,/,\tdev
//	+i8388621.44468,m839956783,r,s10376,\tRFCEPLF
//
// Fact "/" makes a directory (TypeCdir or TypePdir for "." and ".."), "r"
// a file, neither TypeOther; "s" gives the size, "m" the modification time
// in seconds since 1970 (UTC), "up" octal permission bits. Other facts
// ("i", the identifier, and unknown ones) are ignored and Facts stays nil;
// the whole line is in Raw. Trailing CR and LF are removed first; no I/O
// happens.
func ParseEPLF(line string) (Entry, error) {
	line = trimLineEnd(line)
	if isBlank(line) {
		return Entry{}, ErrNotEntry
	}
	if line[0] != '+' {
		return Entry{}, parseErr("EPLF", line, "no leading '+'")
	}
	tab := strings.IndexByte(line, '\t')
	if tab < 0 {
		return Entry{}, parseErr("EPLF", line, "no tab before the name")
	}
	if tab+1 == len(line) {
		return Entry{}, parseErr("EPLF", line, "empty name")
	}
	e := Entry{Name: line[tab+1:], Type: TypeOther, Size: -1, Raw: line}
	dir, file := false, false
	facts := line[1:tab]
	for facts != "" {
		var fact string
		if k := strings.IndexByte(facts, ','); k >= 0 {
			fact, facts = facts[:k], facts[k+1:]
		} else {
			fact, facts = facts, ""
		}
		if fact == "" {
			continue
		}
		switch fact[0] {
		case '/':
			dir = true
		case 'r':
			file = true
		case 's':
			n, ok := atoi(fact[1:])
			if !ok {
				return Entry{}, parseErr("EPLF", line, "bad size fact "+quoteCut(fact))
			}
			e.Size = n
		case 'm':
			n, ok := atoi(fact[1:])
			if !ok {
				return Entry{}, parseErr("EPLF", line, "bad time fact "+quoteCut(fact))
			}
			e.ModTime = time.Unix(n, 0).UTC()
		case 'u':
			if len(fact) > 1 && fact[1] == 'p' {
				m, ok := parseOctal(fact[2:])
				if !ok {
					return Entry{}, parseErr("EPLF", line, "bad permission fact "+quoteCut(fact))
				}
				e.Mode |= unixPerm(m)
			}
		}
	}
	switch {
	case dir:
		e.Type = dirType(e.Name)
		e.Mode |= fs.ModeDir
	case file:
		e.Type = TypeFile
	}
	return e, nil
}
