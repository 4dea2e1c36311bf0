package ftp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"strings"
	"sync"

	"github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/ftptest"
)

// ExampleClient uploads a file, lists its directory and downloads it
// again through a Client, the pooled, goroutine-safe layer.
func ExampleClient() {
	srv := ftptest.NewServer() // user "user", password "pass"
	defer srv.Close()

	c, err := ftp.NewClient("ftp://user:pass@" + srv.Addr + "/")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	if err := c.MkdirAll(ctx, "reports/2024"); err != nil {
		log.Fatal(err)
	}
	if _, err := c.Upload(ctx, "reports/2024/q1 summary.txt", strings.NewReader("revenue: up\n")); err != nil {
		log.Fatal(err)
	}
	entries, err := c.ReadDir(ctx, "reports/2024")
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range entries {
		fmt.Println(e.Name, e.Size)
	}
	var b bytes.Buffer
	if _, err := c.Download(ctx, "reports/2024/q1 summary.txt", &b); err != nil {
		log.Fatal(err)
	}
	fmt.Print(b.String())
	// Output:
	// q1 summary.txt 12
	// revenue: up
}

// Any number of goroutines share one Client; it opens at most MaxConns
// connections and makes the other calls wait for a free one.
func ExampleClient_concurrent() {
	srv := ftptest.NewServer()
	defer srv.Close()

	c := &ftp.Client{Addr: srv.Addr, User: "user", Password: "pass", MaxConns: 2}
	defer c.Close()
	ctx := context.Background()

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("file-%d.txt", i)
			if _, err := c.Upload(ctx, name, strings.NewReader(name)); err != nil {
				log.Print(err)
			}
		}()
	}
	wg.Wait()
	entries, err := c.ReadDir(ctx, "")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(entries), "files")
	// Output: 8 files
}

// Errors name the operation and the path, and keep the server's reply.
func ExampleClient_errors() {
	srv := ftptest.NewServer()
	defer srv.Close()

	c := &ftp.Client{Addr: srv.Addr, User: "user", Password: "pass"}
	defer c.Close()

	_, err := c.Stat(context.Background(), "no/such/file")
	var pe *fs.PathError
	var reply *ftp.Error
	if errors.As(err, &pe) && errors.As(err, &reply) {
		fmt.Println(pe.Op, pe.Path, reply.Code)
	}
	fmt.Println(errors.Is(err, fs.ErrNotExist), errors.Is(err, ftp.ErrPerm))
	// Output:
	// stat no/such/file 550
	// true true
}

// Do lends a logged-in connection of the pool for anything the Client
// does not cover.
func ExampleClient_Do() {
	srv := ftptest.NewServer()
	defer srv.Close()

	c := &ftp.Client{Addr: srv.Addr, User: "user", Password: "pass"}
	defer c.Close()
	ctx := context.Background()

	err := c.Do(ctx, func(conn *ftp.Conn) error {
		feats, err := conn.Feat(ctx)
		if err != nil {
			return err
		}
		_, mlst := feats["MLST"]
		fmt.Println("MLST:", mlst)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output: MLST: true
}

// NewClient reads the scheme (ftp, ftpes for explicit FTPS, ftps for
// implicit FTPS), the login and a starting directory from a URL. String
// never shows the password.
func ExampleNewClient() {
	c, err := ftp.NewClient("ftpes://alice:s3cr%40t@ftp.example.com/incoming")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.TLS, c.Addr, c.User, c.Dir)
	fmt.Println(c)
	// Output:
	// ExplicitTLS ftp.example.com:21 alice incoming
	// ftpes://alice@ftp.example.com:21/incoming
}

// FS gives the server's files to io/fs functions through the pool.
func ExampleClient_FS() {
	srv := ftptest.NewServer()
	defer srv.Close()
	srv.WriteFile("docs/a.md", []byte("# A"))
	srv.WriteFile("docs/b.md", []byte("# B"))
	srv.WriteFile("docs/c.txt", []byte("C"))

	c := &ftp.Client{Addr: srv.Addr, User: "user", Password: "pass"}
	defer c.Close()

	matches, err := fs.Glob(c.FS(context.Background()), "docs/*.md")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(matches)
	// Output: [docs/a.md docs/b.md]
}
