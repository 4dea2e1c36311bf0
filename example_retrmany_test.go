package ftp_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"

	"github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/ftptest"
)

// ExampleConn_RetrMany downloads several files over one connection, each
// transfer's PASV sent while the previous transfer's final reply is on its
// way.
func ExampleConn_RetrMany() {
	srv := ftptest.NewServer()
	defer srv.Close()
	for _, name := range []string{"a.txt", "b.txt", "c.txt"} {
		srv.WriteFile(name, []byte("contents of "+name))
	}

	ctx := context.Background()
	c, err := ftp.Dial(ctx, srv.Addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
		log.Fatal(err)
	}
	names := []string{"a.txt", "b.txt", "c.txt"}
	cmds := make([]string, len(names))
	for i, name := range names {
		cmds[i] = "RETR " + name
	}
	bufs := make([]bytes.Buffer, len(names))
	n, err := c.RetrMany(ctx, cmds, func(i int) (io.Writer, error) { return &bufs[i], nil })
	fmt.Println(n, err)
	for i := range bufs {
		fmt.Println(bufs[i].String())
	}
	// Output:
	// 3 <nil>
	// contents of a.txt
	// contents of b.txt
	// contents of c.txt
}
