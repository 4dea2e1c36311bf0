package ftptest_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"

	"github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/ftptest"
)

// ExampleServer_Records downloads a file with package ftp and prints what
// the server recorded: each command (the password masked), each reply's
// code, the data connection and the transfer.
func ExampleServer_Records() {
	srv := ftptest.NewServer()
	defer srv.Close()
	srv.WriteFile("hello.txt", []byte("Hello, FTP!\n"))

	ctx := context.Background()
	c, err := ftp.Dial(ctx, srv.Addr)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
		log.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := c.RetrBinary(ctx, "RETR hello.txt", &buf); err != nil {
		log.Fatal(err)
	}
	c.Quit(ctx)

	for _, r := range srv.Records() {
		switch r.Kind {
		case ftptest.RecordCommand:
			fmt.Println("command ", r.Command)
		case ftptest.RecordReply:
			fmt.Println("reply   ", r.Code)
		case ftptest.RecordDataConn:
			fmt.Println("data    ", r.Command, "active:", r.Active, "tls:", r.TLS)
		case ftptest.RecordTransfer:
			fmt.Println("transfer", r.Command, r.Bytes, "bytes", r.Result)
		}
	}
	// Output:
	// reply    220
	// command  USER user
	// reply    331
	// command  PASS ****
	// reply    230
	// command  TYPE I
	// reply    200
	// command  PASV
	// reply    227
	// command  RETR hello.txt
	// reply    150
	// data     RETR hello.txt active: false tls: false
	// transfer RETR hello.txt 12 bytes ok
	// reply    226
	// command  QUIT
	// reply    221
}

// ExampleServer_Logger logs the server's transfers as JSON lines; a
// handler at Debug level would get commands, replies and data
// connections too.
func ExampleServer_Logger() {
	srv := ftptest.NewUnstartedServer()
	srv.Logger = slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "dur" || a.Key == "rate" {
				return slog.Attr{} // they change from run to run
			}
			return a
		},
	}))
	srv.Start()
	defer srv.Close()
	srv.WriteFile("hello.txt", []byte("Hello, FTP!\n"))

	ctx := context.Background()
	c, err := ftp.Dial(ctx, srv.Addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
		log.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := c.RetrBinary(ctx, "RETR hello.txt", &buf); err != nil {
		log.Fatal(err)
	}
	// Output:
	// {"level":"INFO","msg":"ftp transfer","session":1,"cmd":"RETR hello.txt","mode":"passive","path":"/hello.txt","bytes":12,"result":"ok","code":226}
}
