package ftp_test

import (
	"context"
	"fmt"
	"io/fs"
	"log"

	"github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/ftptest"
)

// exampleServer starts an in-process server holding a small tree and
// returns a logged-in connection to it.
func exampleServer() (*ftptest.Server, *ftp.Conn) {
	srv := ftptest.NewServer()
	for name, data := range map[string]string{
		"pub/a.txt":         "hello",
		"pub/b.txt":         "hi",
		"pub/sub/deep.txt":  "deep",
		"pub/sub/other.dat": "x",
	} {
		if err := srv.WriteFile(name, []byte(data)); err != nil {
			log.Fatal(err)
		}
	}
	ctx := context.Background()
	c, err := ftp.Dial(ctx, srv.Addr)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.Login(ctx, "anonymous", "", ""); err != nil {
		log.Fatal(err)
	}
	return srv, c
}

func ExampleConn_Mlsd() {
	srv, c := exampleServer()
	defer srv.Close()
	defer c.Close()
	ctx := context.Background()
	// Entries arrive one by one; the listing is never held whole.
	for e, err := range c.Mlsd(ctx, "pub", "type", "size") {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(e.Name, e.Type, e.Size)
	}
	// Output:
	// a.txt file 5
	// b.txt file 2
	// sub dir -1
}

func ExampleConn_Walk() {
	srv, c := exampleServer()
	defer srv.Close()
	defer c.Close()
	ctx := context.Background()
	err := c.Walk(ctx, "/pub", func(path string, e ftp.Entry, err error) error {
		if err != nil {
			return err
		}
		if e.Name == "b.txt" {
			return fs.SkipDir // skip the rest of /pub
		}
		fmt.Println(path, e.IsDir())
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// /pub true
	// /pub/a.txt false
}

func ExampleConn_FS() {
	srv, c := exampleServer()
	defer srv.Close()
	defer c.Close()
	fsys := c.FS(context.Background())
	matches, err := fs.Glob(fsys, "pub/sub/*.txt")
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range matches {
		data, err := fs.ReadFile(fsys, m)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %s\n", m, data)
	}
	// Output:
	// pub/sub/deep.txt: deep
}
