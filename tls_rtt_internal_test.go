package ftp

import (
	"crypto/tls"
	"slices"
	"testing"
)

func TestDataCurves(t *testing.T) {
	p256, x := tls.CurveP256, tls.X25519
	for _, tc := range []struct {
		negotiated tls.CurveID
		prefs      []tls.CurveID
		want       []tls.CurveID
	}{
		{p256, nil, []tls.CurveID{p256}},
		{x, nil, []tls.CurveID{x}},
		{p256, []tls.CurveID{x, p256}, []tls.CurveID{p256}},
		{p256, []tls.CurveID{x}, []tls.CurveID{x}}, // excluded by the caller: kept
		{0, nil, nil}, // no ECDHE: Go's defaults
		{0, []tls.CurveID{x}, []tls.CurveID{x}},
	} {
		if got := dataCurves(tc.negotiated, tc.prefs); !slices.Equal(got, tc.want) {
			t.Errorf("dataCurves(%v, %v) = %v, want %v", tc.negotiated, tc.prefs, got, tc.want)
		}
	}
}
