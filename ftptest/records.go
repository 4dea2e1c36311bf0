package ftptest

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A RecordKind says what a [Record] describes.
type RecordKind int

// The kinds of [Record].
const (
	// RecordCommand is a command line the server received.
	RecordCommand RecordKind = iota + 1
	// RecordReply is a reply the server sent.
	RecordReply
	// RecordDataConn is a data connection the server accepted (passive)
	// or dialled (active), once its 1xx reply is sent and its TLS
	// handshake, if any, is done.
	RecordDataConn
	// RecordTransfer is a transfer that ended: a RETR, STOR, APPE, STOU,
	// LIST, NLST or MLSD whose data connection was claimed.
	RecordTransfer
)

// String returns the message a [Server.Logger] record of this kind
// carries: "ftp command", "ftp reply", "ftp data" or "ftp transfer", the
// messages of package ftp's Dialer.Logger for the same facts.
func (k RecordKind) String() string {
	switch k {
	case RecordCommand:
		return msgCommand
	case RecordReply:
		return msgReply
	case RecordDataConn:
		return msgDataConn
	case RecordTransfer:
		return msgTransfer
	}
	return "RecordKind(" + strconv.Itoa(int(k)) + ")"
}

// The messages and attribute keys of the records given to Server.Logger:
// those of package ftp's Dialer.Logger, plus session, peer and path.
const (
	msgCommand  = "ftp command"
	msgReply    = "ftp reply"
	msgDataConn = "ftp data"
	msgTransfer = "ftp transfer"

	keySession = "session"
	keyCmd     = "cmd"
	keyCode    = "code"
	keyText    = "text"
	keyMode    = "mode"
	keyAddr    = "addr"
	keyPeer    = "peer"
	keyTLS     = "tls"
	keyResumed = "resumed"
	keyDur     = "dur"
	keyErr     = "err"
	keyPath    = "path"
	keyBytes   = "bytes"
	keyRate    = "rate"
	keyOffset  = "offset"
	keyResult  = "result"
)

// The results of a transfer record.
const (
	// ResultOK is the Result of a transfer that completed.
	ResultOK = "ok"
	// ResultAborted is the Result of a transfer the client aborted with
	// ABOR, or that was still running when its session ended. A client
	// that closes the data connection as soon as it has sent ABOR (as
	// package ftp does) may make the server's write fail before the ABOR
	// is read: the transfer is then ResultFailed.
	ResultAborted = "aborted"
	// ResultFailed is the Result of a transfer that failed otherwise: no
	// data connection, a failed or refused TLS handshake, a network
	// error, a fault, or a file that could not be written.
	ResultFailed = "failed"
)

// A Record is one fact of the server's side of a session, as returned by
// [Server.Records] and logged to [Server.Logger]. Which fields are set
// depends on Kind. No Record holds a password: a command line that starts
// with PASS or ACCT, in any letter case, is recorded as "PASS ****" or
// "ACCT ****", as package ftp logs it.
type Record struct {
	// Kind says what the record describes.
	Kind RecordKind
	// Time is when the server recorded it: for a command, once the line
	// was read; for a reply, just before it was written.
	Time time.Time
	// Session numbers the control connection, from 1, in the order the
	// server accepted them.
	Session int

	// Command is the command line received (RecordCommand), or the one
	// that opened the data connection (RecordDataConn, RecordTransfer),
	// without its CRLF and with PASS and ACCT arguments masked.
	Command string

	// Code is the reply code (RecordReply), or the code of a transfer's
	// final reply (RecordTransfer: 226, or 425, 426, 451, 522). It is 0
	// for a reply line that is not a reply (a malformed reply scripted
	// with [Server.AddFault]), and for a transfer whose session ended
	// without a final reply.
	Code int
	// Text is the reply as sent (RecordReply), every line with its code,
	// lines separated by "\n", without the final line end.
	Text string

	// Active is true for a data connection the server dialled
	// (PORT/EPRT), false for one it accepted (PASV/EPSV)
	// (RecordDataConn, RecordTransfer).
	Active bool
	// Addr is the server's end of the data connection: its passive
	// address, or the address it dialled from in active mode
	// (RecordDataConn). It is the address package ftp logs for the
	// connection.
	Addr string
	// Peer is the client's end of the data connection (RecordDataConn).
	Peer string
	// TLS is true if the data connection was protected (PROT P)
	// (RecordDataConn, RecordTransfer).
	TLS bool
	// TLSVersion is the negotiated TLS version, 0 without TLS or when
	// the handshake failed (RecordDataConn, RecordTransfer).
	TLSVersion uint16
	// Resumed is true if the data connection's TLS handshake resumed a
	// session of the same control connection (RecordDataConn,
	// RecordTransfer).
	Resumed bool
	// Err is the reason a data connection's TLS handshake failed
	// (RecordDataConn), or "" if it did not.
	Err string

	// Path is the file a transfer read or wrote ("/dir/a.txt"), "" for
	// listings (RecordTransfer).
	Path string
	// Bytes counts the data bytes sent or received (RecordTransfer), as
	// [Transfer.Bytes] does.
	Bytes int64
	// Offset is the REST offset the transfer started from, 0 for none
	// (RecordTransfer).
	Offset int64
	// Duration is how long the transfer took, from the command that
	// started it to its final reply (RecordTransfer), or how long the
	// data connection took to set up, TLS handshake included
	// (RecordDataConn).
	Duration time.Duration
	// Result is [ResultOK], [ResultAborted] or [ResultFailed]
	// (RecordTransfer).
	Result string
}

// attrs returns the record's attributes as logged to Server.Logger,
// with the keys package ftp uses for the same facts.
func (r *Record) attrs() []slog.Attr {
	a := make([]slog.Attr, 0, 12)
	a = append(a, slog.Int(keySession, r.Session))
	switch r.Kind {
	case RecordCommand:
		a = append(a, slog.String(keyCmd, r.Command))
	case RecordReply:
		a = append(a, slog.Int(keyCode, r.Code), slog.String(keyText, r.Text))
	case RecordDataConn:
		a = append(a, slog.String(keyCmd, r.Command), slog.String(keyMode, mode(r.Active)),
			slog.String(keyAddr, r.Addr), slog.String(keyPeer, r.Peer))
		if r.TLSVersion != 0 {
			a = append(a, slog.String(keyTLS, tls.VersionName(r.TLSVersion)), slog.Bool(keyResumed, r.Resumed))
		}
		a = append(a, slog.Duration(keyDur, r.Duration))
		if r.Err != "" {
			a = append(a, slog.String(keyErr, r.Err))
		}
	case RecordTransfer:
		a = append(a, slog.String(keyCmd, r.Command), slog.String(keyMode, mode(r.Active)))
		if r.Path != "" {
			a = append(a, slog.String(keyPath, r.Path))
		}
		rate := 0.0
		if r.Duration > 0 {
			rate = float64(r.Bytes) / r.Duration.Seconds()
		}
		a = append(a, slog.Int64(keyBytes, r.Bytes), slog.Duration(keyDur, r.Duration), slog.Float64(keyRate, rate))
		if r.Offset > 0 {
			a = append(a, slog.Int64(keyOffset, r.Offset))
		}
		if r.TLSVersion != 0 {
			a = append(a, slog.String(keyTLS, tls.VersionName(r.TLSVersion)), slog.Bool(keyResumed, r.Resumed))
		}
		a = append(a, slog.String(keyResult, r.Result))
		if r.Code != 0 {
			a = append(a, slog.Int(keyCode, r.Code))
		}
	}
	return a
}

func mode(active bool) string {
	if active {
		return "active"
	}
	return "passive"
}

// level returns the level of the record's Logger record: Debug for the
// dialogue and data connections, Info for transfers.
func (r *Record) level() slog.Level {
	if r.Kind == RecordTransfer {
		return slog.LevelInfo
	}
	return slog.LevelDebug
}

// recorder keeps the records of a Server.
type recorder struct {
	mu   sync.Mutex
	recs []Record
}

// Records returns a copy of every record so far, across all sessions, in
// the order they were made. Within a session, a command comes before its
// reply, and a transfer's records come in the order 1xx reply, data
// connection, transfer, final reply. Records are kept whether or not
// [Server.Logger] is set.
func (s *Server) Records() []Record {
	s.rec.mu.Lock()
	defer s.rec.mu.Unlock()
	return append([]Record(nil), s.rec.recs...)
}

// record stamps r, keeps it and logs it to Logger, if any. It is called
// before the fact is visible to the client (a reply is recorded before it
// is written), so that the order of Records follows the dialogue.
func (s *Server) record(r Record) {
	r.Time = time.Now()
	s.rec.mu.Lock()
	s.rec.recs = append(s.rec.recs, r)
	s.rec.mu.Unlock()
	if l := s.Logger; l != nil {
		l.LogAttrs(context.Background(), r.level(), r.Kind.String(), r.attrs()...)
	}
}

// maskCommand returns the command line as a record shows it, by package
// ftp's rule: a line that starts with PASS or ACCT, in any letter case and
// after any spaces or tabs, becomes "PASS ****" or "ACCT ****" (the verb
// upper-cased), whatever follows; the bare verb is kept as it is.
func maskCommand(line string) string {
	v := strings.TrimLeft(line, " \t")
	if len(v) >= 4 && (strings.EqualFold(v[:4], "PASS") || strings.EqualFold(v[:4], "ACCT")) {
		if len(v) == 4 {
			return v
		}
		return strings.ToUpper(v[:4]) + " ****"
	}
	return line
}

// recordCommand records a command line the session received.
func (s *session) recordCommand(line string) {
	s.srv.record(Record{Kind: RecordCommand, Session: s.id, Command: maskCommand(line)})
}

// replyParser splits what a session writes on its control connection
// into replies; the state carries a multi-line reply over writes (a
// fault's Before text can open one that the normal reply ends).
type replyParser struct {
	code  string   // the code of the open multi-line reply, "" for none
	lines []string // its lines so far
}

// recordReplies records each reply that text, complete lines, ends. It
// is called with s.wmu held.
func (s *session) recordReplies(text string) {
	p := &s.replies
	for _, line := range strings.SplitAfter(text, "\n") {
		if line == "" {
			continue
		}
		line = strings.TrimRight(line, "\r\n")
		if p.code != "" {
			p.lines = append(p.lines, line)
			if len(line) >= 4 && line[:3] == p.code && line[3] == ' ' || line == p.code {
				s.recordReply(p.code, p.lines)
				p.code, p.lines = "", nil
			}
			continue
		}
		code := replyCode(line)
		if code != "" && len(line) > 3 && line[3] == '-' {
			p.code, p.lines = code, []string{line}
			continue
		}
		s.recordReply(code, []string{line})
	}
}

func (s *session) recordReply(code string, lines []string) {
	n, _ := strconv.Atoi(code)
	s.srv.record(Record{Kind: RecordReply, Session: s.id, Code: n, Text: strings.Join(lines, "\n")})
}

// replyCode returns the three digits that start a reply line, or "".
func replyCode(line string) string {
	if len(line) < 3 || len(line) > 3 && line[3] != ' ' && line[3] != '-' {
		return ""
	}
	for i := 0; i < 3; i++ {
		if line[i] < '0' || line[i] > '9' {
			return ""
		}
	}
	return line[:3]
}

// recordConn records the transfer's data connection once it is set up:
// tc is its TLS connection, nil without PROT P, and err the handshake's
// error.
func (x *xfer) recordConn(conn net.Conn, tc *tls.Conn, err error, start time.Time) {
	r := Record{Kind: RecordDataConn, Session: x.s.id, Command: maskCommand(x.line),
		Active: x.ln == nil, Duration: time.Since(start)}
	r.Addr, r.Peer = conn.LocalAddr().String(), conn.RemoteAddr().String()
	if tc != nil {
		r.TLS = true
		if err != nil {
			r.Err = err.Error()
		} else {
			cs := tc.ConnectionState()
			r.TLSVersion, r.Resumed = cs.Version, cs.DidResume
		}
	}
	x.s.srv.record(r)
}

// recordTransfer records the end of a transfer, t as logged for
// Server.Transfers, text its final reply. It is called with x.mu held.
func (x *xfer) recordTransfer(t Transfer, text string, start time.Time) {
	r := Record{Kind: RecordTransfer, Session: x.s.id, Command: maskCommand(t.Command),
		Active: t.Active, TLS: t.TLS, TLSVersion: t.TLSVersion, Resumed: t.DidResume, Path: t.Path,
		Bytes: t.Bytes, Offset: x.offset, Duration: time.Since(start), Result: ResultOK}
	if f := x.f; f != nil && (f.CloseAfterData || f.CloseBeforeReply) && !x.aborted {
		text = "" // the session ends instead
	}
	if c, err := strconv.Atoi(replyCode(text)); err == nil {
		r.Code = c
	}
	switch {
	case x.aborted:
		r.Result = ResultAborted
	case t.Aborted:
		r.Result = ResultFailed
	}
	x.s.srv.record(r)
}
