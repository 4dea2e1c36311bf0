package ftp

import "time"

// listNow is the time against which the year of an ls -l date printed
// without one is resolved: the server's clock from Dialer.ServerNow when
// set, else the client's.
//
// Nothing in FTP tells a client the server's time cheaply: no reply of
// RFC 959, 2389 or 3659 carries it (MDTM and MLST give files' times, STAT
// and the welcome are free text, and the "Local time is now 14:05" of
// pure-ftpd's welcome is a time of day without a date, which cannot tell
// a year). Learning it would mean writing a file and reading its time
// back. So the Conn does not guess: a caller who knows the server's clock
// is off (a device whose clock was never set, a server a day ahead)
// says so with Dialer.ServerNow.
func (c *Conn) listNow() time.Time {
	if c.serverNow != nil {
		return c.serverNow()
	}
	return time.Now()
}
