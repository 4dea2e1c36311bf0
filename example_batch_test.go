package ftp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/ftptest"
)

// ExampleClient_DownloadMany downloads a batch of files on one pooled
// connection; a missing file fails on its own and the batch goes on.
func ExampleClient_DownloadMany() {
	srv := ftptest.NewServer()
	defer srv.Close()
	srv.WriteFile("a.txt", []byte("contents of a.txt"))
	srv.WriteFile("c.txt", []byte("contents of c.txt"))

	c := &ftp.Client{Addr: srv.Addr, User: "user", Password: "pass"}
	defer c.Close()
	paths := []string{"a.txt", "b.txt", "c.txt"}
	bufs := make([]bytes.Buffer, len(paths))
	res, err := c.DownloadMany(context.Background(), paths, func(i int, path string) (io.Writer, error) {
		return &bufs[i], nil
	})
	fmt.Println("first error is missing:", errors.Is(err, fs.ErrNotExist))
	for i, r := range res {
		if r.Err != nil {
			fmt.Println(r.Path, "failed:", errors.Is(r.Err, fs.ErrNotExist))
			continue
		}
		fmt.Printf("%s %d bytes: %s\n", r.Path, r.N, bufs[i].String())
	}
	// Output:
	// first error is missing: true
	// a.txt 17 bytes: contents of a.txt
	// b.txt failed: true
	// c.txt 17 bytes: contents of c.txt
}
