package ftptest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/ftptest"
)

// ExamplePersonality tests a client against a server it cannot run: one
// that lists like IIS, needs PRET before PASV, and sits behind a NAT that
// puts a private address in its 227 replies.
func ExamplePersonality() {
	srv := ftptest.NewUnstartedServer()
	srv.Personality = ftptest.Personality{IIS: true, RequirePRET: true, NATAddress: "192.168.1.20"}
	srv.Start()
	defer srv.Close()
	srv.WriteFile("pub/report.txt", []byte("quarterly\n"))
	srv.SetModTime("pub/report.txt", time.Date(2026, 2, 12, 15, 4, 0, 0, time.UTC))

	ctx := context.Background()
	c, err := ftp.Dial(ctx, srv.Addr)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
		panic(err)
	}
	entries, err := c.ReadDir(ctx, "pub")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		fmt.Println(e.Raw)
		fmt.Println(e.Name, e.Size, e.ModTime)
	}
	for _, line := range srv.Commands()[2:] {
		fmt.Println(line)
	}
	// Output:
	// 02-12-26  03:04PM                   10 report.txt
	// report.txt 10 2026-02-12 15:04:00 +0000 UTC
	// FEAT
	// OPTS UTF8 ON
	// TYPE A
	// PRET LIST pub
	// PASV
	// LIST pub
}
