package ftp

import (
	"testing"
	"time"

	"github.com/ftplib-go/ftp/ftptest"
)

// A server whose clock is off prints ls dates without a year for files
// recent by its clock: the year comes out right only against that clock.
func TestServerNowYear(t *testing.T) {
	ctx := testCtx(t)
	for _, offset := range []time.Duration{200 * 24 * time.Hour, -400 * 24 * time.Hour} {
		srv := ftptest.NewUnstartedServer()
		srv.Personality.ClockOffset = offset
		srv.Start()
		defer srv.Close()
		// Modified an hour ago by the server's clock.
		fresh := time.Now().Add(offset - time.Hour).UTC().Truncate(time.Minute)
		// A month ago by the server's clock.
		month := time.Now().Add(offset - 30*24*time.Hour).UTC().Truncate(time.Minute)
		for name, when := range map[string]time.Time{"fresh": fresh, "month": month} {
			srv.WriteFile(name, nil)
			srv.SetModTime(name, when)
		}
		list := func(d *Dialer) map[string]time.Time {
			c := personaConn(t, ctx, srv, d)
			defer c.Close()
			got := map[string]time.Time{}
			for e, err := range c.List(ctx, "") {
				if err != nil {
					t.Fatal(err)
				}
				got[e.Name] = e.ModTime
			}
			return got
		}
		// The client's clock: a year off (the reason for ServerNow).
		got := list(nil)
		if got["fresh"].Equal(fresh) {
			t.Errorf("offset %v: fresh right without ServerNow: the test proves nothing", offset)
		}
		got = list(&Dialer{ServerNow: func() time.Time { return time.Now().Add(offset) }})
		if !got["fresh"].Equal(fresh) || !got["month"].Equal(month) {
			t.Errorf("offset %v: with ServerNow fresh %v (want %v), month %v (want %v)", offset, got["fresh"], fresh, got["month"], month)
		}
		// ListLocation and ServerNow together: the server's wall clock in
		// its zone.
		zone := time.FixedZone("UTC+10", 10*3600)
		got = list(&Dialer{ListLocation: zone, ServerNow: func() time.Time { return time.Now().Add(offset) }})
		// ftptest prints UTC wall times, read here as UTC+10: ten hours
		// earlier, same year.
		if want := fresh.Add(-10 * time.Hour); !got["fresh"].Equal(want) {
			t.Errorf("offset %v: ListLocation: fresh %v, want %v", offset, got["fresh"], want)
		}
	}
}
