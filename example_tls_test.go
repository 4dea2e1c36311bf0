package ftp_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/ftptest"
)

func ExampleDialer_DialFTPS() {
	// A test server that, like vsftpd with require_ssl_reuse, refuses data
	// connections that do not resume the control connection's TLS session.
	srv := ftptest.NewUnstartedServer()
	srv.RequireSessionReuse = true
	srv.StartTLS()
	defer srv.Close()
	srv.WriteFile("hello.txt", []byte("hello, world\n"))

	ctx := context.Background()
	// TLSConfig trusts the test server's certificate; a nil TLSConfig
	// verifies against the system's roots.
	d := &ftp.Dialer{TLSConfig: srv.TLSConfig()}
	f, err := d.DialFTPS(ctx, srv.Addr)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	// Login sends AUTH TLS first, ProtP protects the data connections.
	if _, err := f.Login(ctx, "user", "pass", ""); err != nil {
		log.Fatal(err)
	}
	if _, err := f.ProtP(ctx); err != nil {
		log.Fatal(err)
	}
	var sb strings.Builder
	if _, err := f.RetrBinary(ctx, "RETR hello.txt", &sb); err != nil {
		log.Fatal(err)
	}
	fmt.Print(sb.String())
	st, _ := f.DataTLSConnectionState()
	fmt.Println("data connection resumed the session:", st.DidResume)
	if _, err := f.Quit(ctx); err != nil {
		log.Fatal(err)
	}
	// Output:
	// hello, world
	// data connection resumed the session: true
}
