package ftp

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Classes of server reply errors, matching Python's ftplib exceptions.
// An *Error is one of them through errors.Is:
//
//	if errors.Is(err, ftp.ErrPerm) { ... } // a 5xx reply
var (
	// ErrReply is the class of a reply the client did not expect, such as
	// a 1xx or 3xx where a 2xx was required, or a 2xx other than the
	// one a command needs (ftplib's error_reply).
	ErrReply = errors.New("ftp: unexpected reply")

	// ErrTemp is the class of a transient negative reply, code 4xx
	// (ftplib's error_temp).
	ErrTemp = errors.New("ftp: transient negative reply")

	// ErrPerm is the class of a permanent negative reply, code 5xx
	// (ftplib's error_perm).
	ErrPerm = errors.New("ftp: permanent negative reply")

	// ErrProto is the class of a reply that breaks the protocol: no valid
	// reply code, or a 150/227/229/257 reply whose text cannot be parsed
	// (ftplib's error_proto).
	ErrProto = errors.New("ftp: protocol error")
)

// Client-side errors. They are returned as they are or wrapped with
// context; test them with errors.Is.
var (
	// ErrLineTooLong reports a reply line, or a line of a RetrLines or
	// StorLines transfer, longer than the configured maximum line length.
	ErrLineTooLong = errors.New("ftp: line too long")

	// ErrIllegalNewline reports a command or argument holding a CR or LF.
	// Nothing is sent to the server when it is returned.
	ErrIllegalNewline = errors.New("ftp: illegal newline character in command")

	// ErrClosed reports a call on a connection that was closed, or that was
	// marked broken because an earlier failure left its state unknown.
	ErrClosed = errors.New("ftp: connection closed")

	// ErrBusy reports a call made while another call, or an open data
	// transfer, holds the connection.
	ErrBusy = errors.New("ftp: connection busy")

	// ErrAlreadyTLS reports an AUTH on a control connection that is
	// already protected by TLS.
	ErrAlreadyTLS = errors.New("ftp: already using TLS")

	// ErrNotTLS reports a call that needs TLS (CCC, PROT) on a control
	// connection that is not protected.
	ErrNotTLS = errors.New("ftp: not using TLS")
)

// Error is a reply from the server that the client did not accept. Its
// class (ErrReply, ErrTemp, ErrPerm or ErrProto) is reachable through
// errors.Is.
//
// Its fields hold, for "550 No such file" in reply to "DELE a.txt":
//
//	Code: 550                 the reply code alone
//	Msg:  "550 No such file"  the whole reply, code included
//	Cmd:  "DELE a.txt"        the command that got the reply
//
// Error joins them as "ftp: DELE a.txt: 550 No such file". Since Msg
// holds the code, print Msg (or the error) rather than Code and Msg
// together, which would show the code twice.
type Error struct {
	// Code is the three-digit reply code, or 0 when the reply had none.
	Code int
	// Msg is the whole reply text as received, code included, lines
	// joined by "\n" without a trailing newline; Python's str(exc).
	Msg string
	// Cmd is the command line whose reply this is, with the argument of
	// PASS and ACCT (in any letter case) replaced by "****". It is "" for
	// a reply that answered no command of the call: the welcome read by
	// Dial, a reply read by GetResp or VoidResp, or a reply given to one
	// of the Parse functions.
	Cmd string

	class  error
	tagged bool   // Cmd was set (possibly to ""): see cmdError
	broke  bool   // the reply left the Conn out of step: see Conn.outOfStep
	origin string // what the reply was when Cmd is "", such as "welcome"
}

// Error returns "ftp: ", the command (or "welcome" for the welcome, or
// "reply" for a reply to no command) and the reply text, as in
// "ftp: DELE a.txt: 550 No such file". A reply text longer than 256 bytes
// is cut there (then "..." and the full length), so that a hostile server
// cannot fill logs with a huge reply; Msg keeps the whole text.
func (e *Error) Error() string {
	what := e.Cmd
	if what == "" {
		what = e.origin
	}
	if what == "" {
		what = "reply"
	}
	return "ftp: " + what + ": " + clipReply(e.Msg)
}

// Is reports whether target is the class of e: ErrReply, ErrTemp, ErrPerm
// or ErrProto.
func (e *Error) Is(target error) bool { return target != nil && target == e.class }

// Temporary reports whether the reply was a transient negative one (4xx).
func (e *Error) Temporary() bool { return e.class == ErrTemp }

// maskCmd returns the command line cmd as an error may show it: the
// argument of PASS or ACCT, in any letter case, is replaced by "****"
// (whatever its length), leading spaces and tabs included in the test,
// and a tab after the verb too (some servers split on any blank).
func maskCmd(cmd string) string {
	verb := strings.TrimLeft(cmd, " \t")
	if len(verb) >= 4 && (strings.EqualFold(verb[:4], "PASS") || strings.EqualFold(verb[:4], "ACCT")) &&
		(len(verb) == 4 || verb[4] == ' ' || verb[4] == '\t') {
		return verb[:4] + " ****"
	}
	return cmd
}

// cmdError marks every *Error in err's tree that has no command yet as the
// reply to cmd (masked), and returns err. Errors already marked, such as
// a welcome, keep theirs.
func cmdError(err error, cmd string) error {
	switch e := err.(type) {
	case nil:
		return nil
	case *Error:
		if !e.tagged {
			e.tagged = true
			e.Cmd = maskCmd(cmd)
		}
	case interface{ Unwrap() error }:
		cmdError(e.Unwrap(), cmd)
	case interface{ Unwrap() []error }:
		for _, x := range e.Unwrap() {
			cmdError(x, cmd)
		}
	}
	return err
}

// welcomeError marks err, returned while reading the welcome, as such.
func welcomeError(err error) error {
	var e *Error
	if errors.As(err, &e) && e.Cmd == "" {
		e.tagged = true
		e.origin = "welcome"
	}
	return err
}

// newError returns an *Error of the given class for the reply text resp.
// The code is taken from the first three characters when they are digits.
func newError(class error, resp string) *Error {
	return &Error{Code: replyCode(resp), Msg: resp, class: class}
}

// maxErrReply is how many bytes of a reply an error message quotes.
const maxErrReply = 256

// clipReply returns s, or its first maxErrReply bytes (cut back to a UTF-8
// character boundary) followed by "..." and the length of s when s is
// longer. Every error message that quotes server text uses it.
func clipReply(s string) string {
	if len(s) <= maxErrReply {
		return s
	}
	cut := maxErrReply
	for cut > maxErrReply-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "... (" + strconv.Itoa(len(s)) + " bytes)"
}

// replyError classifies resp as ftplib's getresp does: 4xx is ErrTemp, 5xx
// is ErrPerm, 1xx to 3xx is ErrReply (the caller did not expect it), and
// anything else is ErrProto.
func replyError(resp string) *Error {
	var class error
	switch {
	case len(resp) > 0 && resp[0] == '4':
		class = ErrTemp
	case len(resp) > 0 && resp[0] == '5':
		class = ErrPerm
	case len(resp) > 0 && resp[0] >= '1' && resp[0] <= '3':
		class = ErrReply
	default:
		class = ErrProto
	}
	return newError(class, resp)
}

// replyCode returns the numeric code of resp, or 0 if resp does not start
// with three digits.
func replyCode(resp string) int {
	if len(resp) < 3 {
		return 0
	}
	for i := 0; i < 3; i++ {
		if resp[i] < '0' || resp[i] > '9' {
			return 0
		}
	}
	n, _ := strconv.Atoi(resp[:3])
	return n
}
