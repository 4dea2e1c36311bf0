package ftp

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ftplib-go/ftp/ftptest"
)

// passiveCommands returns the PASV and EPSV commands in srv's log.
func passiveCommands(srv *ftptest.Server) []string {
	var out []string
	for _, cmd := range srv.Commands() {
		if strings.HasPrefix(cmd, "PASV") || strings.HasPrefix(cmd, "EPSV") {
			out = append(out, cmd)
		}
	}
	return out
}

func TestDialerEPSV(t *testing.T) {
	for _, tc := range []struct {
		name   string
		epsv   bool
		refuse bool     // the server answers EPSV with 500
		want   []string // passive commands for two downloads
	}{
		{"ftplib default on IPv4", false, false, []string{"PASV", "PASV"}},
		{"EPSV on IPv4", true, false, []string{"EPSV", "EPSV"}},
		{"EPSV refused, PASV kept", true, true, []string{"EPSV", "PASV", "PASV"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			srv := ftptest.NewServer()
			t.Cleanup(srv.Close)
			if err := srv.WriteFile("f", []byte("payload")); err != nil {
				t.Fatal(err)
			}
			if tc.refuse {
				srv.AddFault(ftptest.Fault{Command: "EPSV", Reply: "500 EPSV not understood."})
			}
			c, err := (&Dialer{EPSV: tc.epsv}).Dial(ctxT(t), srv.Addr)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			if _, err := c.Login(ctxT(t), "user", "pass", ""); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 2; i++ {
				var buf bytes.Buffer
				if _, err := c.RetrBinary(ctxT(t), "RETR f", &buf); err != nil {
					t.Fatalf("RetrBinary %d: %v", i, err)
				}
				if buf.String() != "payload" {
					t.Fatalf("got %q", buf.String())
				}
			}
			got := passiveCommands(srv)
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("passive commands %q, want %q", got, tc.want)
			}
		})
	}
}
