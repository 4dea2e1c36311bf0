//go:build !go1.25

package ftp

import "crypto/tls"

// negotiatedCurve returns 0: before Go 1.25 the connection state does not
// tell the key exchange, and the data connections keep the caller's
// curve preferences.
func negotiatedCurve(*tls.Conn) tls.CurveID { return 0 }
