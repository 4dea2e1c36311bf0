//go:build go1.25

package ftp

import "crypto/tls"

// negotiatedCurve returns the key exchange tc negotiated (0 for none).
func negotiatedCurve(tc *tls.Conn) tls.CurveID { return tc.ConnectionState().CurveID }
