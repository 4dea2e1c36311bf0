package ftptest

import (
	"strings"
	"time"
)

// A Fault scripts misbehaviour for one command, for testing how a client
// copes. Register faults with [Server.AddFault]. When a command arrives,
// the first registered fault that matches it applies; its fields combine
// in this order: Delay, then Stall or CloseControl or Reply (each replaces
// the normal handling), else Before, the normal handling (shaped by
// PASVHost, Prelim, Final, Cut, StallData, NoCloseNotify, CloseAfterData),
// and After; CloseBeforeReply and CloseAfterReply then end the control
// connection.
//
// For example, a server that answers 421 and hangs up at the third RETR:
//
//	srv.AddFault(ftptest.Fault{Command: "RETR", Nth: 3,
//		Reply: "421 Service not available, closing control connection.",
//		CloseAfterReply: true})
//
// Raw reply texts (Reply, Before, After, Prelim, Final) are sent as
// given, followed by CRLF unless they already end with "\n"; they may
// hold several lines, malformed codes, or over-long lines.
type Fault struct {
	// Command is the command verb to match, case-insensitive ("RETR").
	// The empty string matches the greeting sent when a client connects.
	// For a verb the server does not implement (say "SITE"), only Reply
	// has effect: it answers instead of "500 Unknown command.".
	Command string

	// Nth restricts the fault to the Nth occurrence of Command across all
	// sessions of the server, counting from 1 (occurrences are counted
	// from the time the fault is added). Zero matches every occurrence.
	Nth int

	// Delay is a pause before the first reply.
	Delay time.Duration

	// Stall sends nothing and holds the session until the server is
	// closed or the client disconnects (for timeout tests). Commands
	// still arrive and are logged.
	Stall bool

	// CloseControl closes the control connection instead of replying:
	// the command has no effect.
	CloseControl bool

	// CloseBeforeReply lets the command take effect (a rename is done, a
	// file removed, a directory made) but closes the control connection
	// instead of sending its reply, so the client cannot tell whether it
	// happened. For a transfer command the 1xx reply and the data
	// connection go ahead and only the final reply is lost, as with
	// CloseAfterData.
	CloseBeforeReply bool

	// CloseAfterReply closes the control connection once the command's
	// replies have been sent: after Reply (with Reply "421 ..." this is a
	// server that answers 421 and hangs up), or after the normal handling
	// and After (for a transfer command, after its final reply). On the
	// greeting (Command "") it closes the connection after the 220 or
	// Reply.
	CloseAfterReply bool

	// Reply is sent instead of the normal handling: the command has no
	// other effect (a transfer command opens no data connection).
	Reply string

	// Before is an extra reply sent before the normal handling, for
	// example "200 early" before a 150 (2xx-before-1xx).
	Before string

	// After is an extra, unsolicited reply sent after the normal
	// handling (after the final reply of a transfer).
	After string

	// PASVHost, for PASV, is the IPv4 address advertised in the 227
	// reply instead of the real one; the server still listens on its own
	// address. A value that is not an IPv4 address is sent verbatim with
	// "." replaced by ",", so PASVHost "1,2,3" makes a malformed reply.
	PASVHost string

	// Prelim replaces the 1xx reply of a transfer command (RETR, STOR,
	// APPE, STOU, LIST, NLST, MLSD); the transfer proceeds.
	Prelim string

	// Final replaces the final reply of a transfer command, whatever the
	// outcome; for example a lying "226 Transfer complete." after Cut.
	Final string

	// Cut closes the data connection after CutAfter bytes, without a
	// TLS close_notify, and the final reply is "426 Connection closed;
	// transfer aborted." (unless Final says otherwise). For an upload the
	// bytes received up to the cut are stored.
	Cut bool

	// CutAfter is the number of data bytes after which Cut or StallData
	// takes effect (0 means before any byte).
	CutAfter int64

	// StallData stops the transfer after CutAfter bytes and holds the
	// data connection open, sending and reading nothing more, until ABOR,
	// the end of the control connection, or Close. The final reply is
	// then 426.
	StallData bool

	// NoCloseNotify ends the protected data connection of a download
	// (PROT P: RETR and the listings) with a TCP close but no TLS
	// close_notify, after all the data; the final reply is the normal
	// one (unless Final says otherwise). Without PROT P it has no effect.
	NoCloseNotify bool

	// CloseAfterData closes the control connection after the data
	// connection of a transfer command, instead of the final reply.
	CloseAfterData bool
}

type faultState struct {
	Fault
	seen int
}

// AddFault registers f. Faults apply to sessions opened before and after
// the call; see [Fault] for how a fault is chosen and applied.
func (s *Server) AddFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f.Command = strings.ToUpper(f.Command)
	s.faults = append(s.faults, &faultState{Fault: f})
}

// ClearFaults removes every registered fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// fault returns the fault that applies to this occurrence of verb, or nil.
// Every fault for verb counts the occurrence.
func (s *Server) fault(verb string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	var hit *Fault
	for _, f := range s.faults {
		if f.Command != verb {
			continue
		}
		f.seen++
		if hit == nil && (f.Nth == 0 || f.Nth == f.seen) {
			c := f.Fault
			hit = &c
		}
	}
	return hit
}

// raw terminates a raw reply text with CRLF unless it ends with "\n".
func raw(text string) string {
	if strings.HasSuffix(text, "\n") {
		return text
	}
	return text + "\r\n"
}
