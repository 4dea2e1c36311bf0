package mirror_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/ftptest"
	"github.com/ftplib-go/ftp/mirror"
)

// Mirror a server's tree into a local directory, twice: the second run
// finds everything up to date and transfers nothing.
func ExampleDownload() {
	srv := ftptest.NewServer() // a stand-in for a real server
	defer srv.Close()
	srv.WriteFile("pub/readme.txt", []byte("hello\n"))
	srv.WriteFile("pub/data/2024.csv", []byte("a,b\n1,2\n"))
	srv.SetModTime("pub/readme.txt", time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC))

	c := &ftp.Client{Addr: srv.Addr, User: "user", Password: "pass"}
	defer c.Close()
	dir, err := os.MkdirTemp("", "mirror")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	res, err := mirror.Download(ctx, c, "pub", dir, mirror.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("transferred:", res.Transferred, res.Bytes, "bytes")
	fi, _ := os.Stat(filepath.Join(dir, "readme.txt"))
	fmt.Println("readme.txt modified:", fi.ModTime().UTC())

	res, err = mirror.Download(ctx, c, "pub", dir, mirror.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("second run:", len(res.Transferred), "transferred,", len(res.Skipped), "up to date")
	// Output:
	// transferred: [data/2024.csv readme.txt] 14 bytes
	// readme.txt modified: 2024-05-06 07:08:09 +0000 UTC
	// second run: 0 transferred, 2 up to date
}
