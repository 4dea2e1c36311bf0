package ftp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
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

// When the passive command refused and its fallback both fail, both
// errors come back: neither class hides the other.
func TestPassiveFallbackBothFail(t *testing.T) {
	closedPort := func(t *testing.T) int {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		return port
	}
	for _, tc := range []struct {
		name   string
		epsv   bool
		faults func(t *testing.T) []ftptest.Fault
		want   []error
		text   []string
	}{
		{"PASV refused, malformed 229", false, func(*testing.T) []ftptest.Fault {
			return []ftptest.Fault{
				{Command: "PASV", Reply: "500 PASV not understood."},
				{Command: "EPSV", Reply: "229 Entering Extended Passive Mode (|||x|)"},
			}
		}, []error{ErrPerm, ErrProto}, []string{"500 PASV", "229 Entering"}},
		{"EPSV refused, malformed 227", true, func(*testing.T) []ftptest.Fault {
			return []ftptest.Fault{
				{Command: "EPSV", Reply: "500 EPSV not understood."},
				{Command: "PASV", Reply: "227 Entering Passive Mode (1,2,3)."},
			}
		}, []error{ErrPerm, ErrProto}, []string{"500 EPSV", "227 Entering"}},
		{"EPSV port unreachable, PASV refused", true, func(t *testing.T) []ftptest.Fault {
			return []ftptest.Fault{
				{Command: "EPSV", Reply: fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", closedPort(t))},
				{Command: "PASV", Reply: "502 PASV not implemented."},
			}
		}, []error{syscall.ECONNREFUSED, ErrPerm}, []string{"refused", "502 PASV"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			srv := ftptest.NewServer()
			t.Cleanup(srv.Close)
			if err := srv.WriteFile("f", []byte("payload")); err != nil {
				t.Fatal(err)
			}
			for _, f := range tc.faults(t) {
				srv.AddFault(f)
			}
			c, err := (&Dialer{EPSV: tc.epsv}).Dial(ctxT(t), srv.Addr)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			if _, err := c.Login(ctxT(t), "user", "pass", ""); err != nil {
				t.Fatal(err)
			}
			_, err = c.RetrBinary(ctxT(t), "RETR f", io.Discard)
			for _, want := range tc.want {
				if !errors.Is(err, want) {
					t.Errorf("RetrBinary: %v; want errors.Is %v", err, want)
				}
			}
			for _, s := range tc.text {
				if err == nil || !strings.Contains(err.Error(), s) {
					t.Errorf("RetrBinary: %v; want it to say %q", err, s)
				}
			}
			// The Conn is still in step.
			if _, err := c.Pwd(ctxT(t)); err != nil {
				t.Fatalf("Pwd after the failure: %v", err)
			}
		})
	}
}
