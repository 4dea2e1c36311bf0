package ftp_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"reflect"
	"testing"
	"time"

	"github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/ftptest"
)

func hostCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestHostBeforeLogin checks that Dialer.Host sends HOST right after the
// welcome, before USER, and that the server records the virtual host.
func TestHostBeforeLogin(t *testing.T) {
	srv := ftptest.NewServer()
	defer srv.Close()
	ctx := hostCtx(t)
	c, err := (&ftp.Dialer{Host: "ftp.example.com"}).Dial(ctx, srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
		t.Fatal(err)
	}
	want := []string{"HOST ftp.example.com", "USER user", "PASS pass"}
	if cmds := srv.Commands(); !reflect.DeepEqual(cmds, want) {
		t.Fatalf("commands %q, want %q", cmds, want)
	}
	if got := srv.VirtualHosts(); !reflect.DeepEqual(got, []string{"ftp.example.com"}) {
		t.Fatalf("VirtualHosts = %q", got)
	}
	// Without Host, nothing is sent before USER.
	c2, err := ftp.Dial(ctx, srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if _, err := c2.Login(ctx, "user", "pass", ""); err != nil {
		t.Fatal(err)
	}
	if cmds := srv.Commands()[3:]; !reflect.DeepEqual(cmds, []string{"USER user", "PASS pass"}) {
		t.Fatalf("commands without Host: %q", cmds)
	}
}

// TestHostTLS checks where HOST goes with FTPS: before AUTH TLS with
// explicit TLS (RFC 7151), after the handshake with implicit TLS.
func TestHostTLS(t *testing.T) {
	for _, implicit := range []bool{false, true} {
		srv := ftptest.NewUnstartedServer()
		if implicit {
			srv.StartImplicitTLS()
		} else {
			srv.StartTLS()
		}
		defer srv.Close()
		ctx := hostCtx(t)
		f, err := (&ftp.Dialer{Host: "vhost.test", TLSConfig: srv.TLSConfig(), ImplicitTLS: implicit}).DialFTPS(ctx, srv.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.Login(ctx, "user", "pass", ""); err != nil {
			t.Fatal(err)
		}
		want := []string{"HOST vhost.test", "AUTH TLS", "USER user", "PASS pass"}
		if implicit {
			want = []string{"HOST vhost.test", "USER user", "PASS pass"}
		}
		if cmds := srv.Commands(); !reflect.DeepEqual(cmds, want) {
			t.Errorf("implicit %v: commands %q, want %q", implicit, cmds, want)
		}
		if got := srv.VirtualHosts(); !reflect.DeepEqual(got, []string{"vhost.test"}) {
			t.Errorf("implicit %v: VirtualHosts = %q", implicit, got)
		}
	}
}

// TestHostReplies checks that a server without HOST (500, 502) does not
// stop Dial, and that a refusal does.
func TestHostReplies(t *testing.T) {
	for _, tc := range []struct {
		reply string
		class error // nil: Dial succeeds
	}{
		{"500 Unknown command.", nil},
		{"502 Command not implemented.", nil},
		{"530 Please login with USER and PASS.", nil}, // vsftpd, pure-ftpd
		{"504 Not for this host.", ftp.ErrPerm},
		{"501 Bad host name.", ftp.ErrPerm},
		{"421 Try later.", ftp.ErrTemp},
		{"331 What?", ftp.ErrReply},
	} {
		t.Run(tc.reply[:3], func(t *testing.T) {
			srv := ftptest.NewServer()
			defer srv.Close()
			srv.AddFault(ftptest.Fault{Command: "HOST", Reply: tc.reply})
			ctx := hostCtx(t)
			c, err := (&ftp.Dialer{Host: "h.example"}).Dial(ctx, srv.Addr)
			if tc.class == nil {
				if err != nil {
					t.Fatalf("Dial: %v", err)
				}
				defer c.Close()
				if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
					t.Fatalf("Login after %q: %v", tc.reply, err)
				}
				return
			}
			if err == nil {
				c.Close()
				t.Fatalf("Dial succeeded after %q", tc.reply)
			}
			var e *ftp.Error
			if !errors.Is(err, tc.class) || !errors.As(err, &e) || e.Cmd != "HOST h.example" {
				t.Fatalf("Dial error %v (%#v), want class %v naming HOST", err, e, tc.class)
			}
			if want := "ftp: HOST h.example: " + tc.reply; err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
		})
	}
}

// TestHostNewline checks that a Host with CR or LF is refused before
// anything is sent.
func TestHostNewline(t *testing.T) {
	srv := ftptest.NewServer()
	defer srv.Close()
	_, err := (&ftp.Dialer{Host: "a\r\nDELE x"}).Dial(hostCtx(t), srv.Addr)
	if !errors.Is(err, ftp.ErrIllegalNewline) {
		t.Fatalf("Dial: %v, want ErrIllegalNewline", err)
	}
	if cmds := srv.Commands(); len(cmds) != 0 {
		t.Fatalf("commands sent: %q", cmds)
	}
}

// TestFtptestHostAfterLogin checks that ftptest refuses HOST after USER,
// as RFC 7151 says.
func TestFtptestHostAfterLogin(t *testing.T) {
	srv := ftptest.NewServer()
	defer srv.Close()
	ctx := hostCtx(t)
	c, err := ftp.Dial(ctx, srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
		t.Fatal(err)
	}
	_, err = c.SendCmd(ctx, "HOST late.example")
	if !errors.Is(err, ftp.ErrPerm) {
		t.Fatalf("HOST after login: %v, want ErrPerm (503)", err)
	}
	if got := srv.VirtualHosts(); len(got) != 0 {
		t.Fatalf("VirtualHosts = %q", got)
	}
}

// ExampleDialer_host selects a virtual host with HOST (RFC 7151) before
// logging in.
func ExampleDialer_host() {
	srv := ftptest.NewServer()
	defer srv.Close()

	ctx := context.Background()
	d := &ftp.Dialer{Host: "ftp.example.com"}
	c, err := d.Dial(ctx, srv.Addr) // sends HOST ftp.example.com
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
		log.Fatal(err)
	}
	fmt.Println(srv.Commands())
	fmt.Println(srv.VirtualHosts())
	// Output:
	// [HOST ftp.example.com USER user PASS pass]
	// [ftp.example.com]
}
