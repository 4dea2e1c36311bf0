package ftp_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"

	"github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/ftptest"
)

// A Dialer's Logger gets one record per command, reply, data connection
// and transfer. The handler here drops the attributes that change from
// run to run (time, durations, rate, addresses, reply texts with ports).
func ExampleDialer_Logger() {
	srv := ftptest.NewServer()
	defer srv.Close()
	srv.WriteFile("hello.txt", []byte("hello, world\n"))

	drop := map[string]bool{"time": true, "dur": true, "rate": true, "addr": true, "text": true}
	h := slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if drop[a.Key] {
				return slog.Attr{}
			}
			return a
		},
	})
	d := &ftp.Dialer{Logger: slog.New(h)}

	ctx := context.Background()
	c, err := d.Dial(ctx, srv.Addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
		log.Fatal(err)
	}
	if _, err := c.RetrBinary(ctx, "RETR hello.txt", io.Discard); err != nil {
		log.Fatal(err)
	}
	if _, err := c.Quit(ctx); err != nil {
		log.Fatal(err)
	}
	// Output:
	// level=DEBUG msg="ftp connect"
	// level=DEBUG msg="ftp reply" cmd="" code=220
	// level=DEBUG msg="ftp command" cmd="USER user"
	// level=DEBUG msg="ftp reply" cmd="USER user" code=331
	// level=DEBUG msg="ftp command" cmd="PASS ****"
	// level=DEBUG msg="ftp reply" cmd="PASS ****" code=230
	// level=DEBUG msg="ftp command" cmd="TYPE I"
	// level=DEBUG msg="ftp reply" cmd="TYPE I" code=200
	// level=DEBUG msg="ftp command" cmd=PASV
	// level=DEBUG msg="ftp reply" cmd=PASV code=227
	// level=DEBUG msg="ftp command" cmd="RETR hello.txt"
	// level=DEBUG msg="ftp reply" cmd="RETR hello.txt" code=150
	// level=DEBUG msg="ftp data" cmd="RETR hello.txt" mode=passive
	// level=DEBUG msg="ftp reply" cmd="RETR hello.txt" code=226
	// level=INFO msg="ftp transfer" cmd="RETR hello.txt" bytes=13 result=ok code=226
	// level=DEBUG msg="ftp command" cmd=QUIT
	// level=DEBUG msg="ftp reply" cmd=QUIT code=221
}

// A Trace carried by the ctx of a call reports what it does; here, the
// commands of a Client download (the first call also dials and logs in)
// and the statistics of its transfer. A download resumed after a broken
// connection would report each attempt, the later ones with an Offset.
func ExampleWithTrace() {
	srv := ftptest.NewServer()
	defer srv.Close()
	srv.WriteFile("hello.txt", []byte("hello, world\n"))

	c := &ftp.Client{Addr: srv.Addr, User: "user", Password: "pass"}
	defer c.Close()
	trace := &ftp.Trace{
		CommandSent: func(cmd string) { fmt.Println("sent:", cmd) },
		TransferDone: func(s ftp.TransferStats) {
			fmt.Printf("%s: %d bytes from offset %d, reply %.3s, err %v\n", s.Cmd, s.Bytes, s.Offset, s.Reply, s.Err)
		},
	}
	ctx := ftp.WithTrace(context.Background(), trace)
	if _, err := c.Download(ctx, "hello.txt", io.Discard); err != nil {
		log.Fatal(err)
	}
	// Output:
	// sent: USER user
	// sent: PASS ****
	// sent: PWD
	// sent: TYPE I
	// sent: PASV
	// sent: RETR /hello.txt
	// RETR /hello.txt: 13 bytes from offset 0, reply 226, err <nil>
}
