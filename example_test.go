package ftp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/ftptest"
)

func ExampleParse227() {
	host, port, err := ftp.Parse227("227 Entering Passive Mode (192,168,1,20,195,80).")
	fmt.Println(host, port, err)
	// Output: 192.168.1.20 50000 <nil>
}

func ExampleParse229() {
	// The host always comes from the control connection.
	host, port, err := ftp.Parse229("229 Entering Extended Passive Mode (|||6446|)", "2001:db8::1")
	fmt.Println(host, port, err)
	// Output: 2001:db8::1 6446 <nil>
}

func ExampleParse257() {
	dir, err := ftp.Parse257(`257 "/home/""quoted""" is the current directory`)
	fmt.Println(dir, err)
	// Output: /home/"quoted" <nil>
}

func ExampleError() {
	_, err := ftp.Parse150("550 No such file")
	var e *ftp.Error
	if errors.As(err, &e) {
		fmt.Println(e.Code, errors.Is(err, ftp.ErrReply))
	}
	// Output: 550 true
}

// The examples below run against an in-process ftptest server, so they
// work (and are checked) without a network. Against a real server, dial
// "ftp.example.com" or "host:port" instead of srv.Addr.

// Example uploads a file, lists the directory and downloads the file again.
func Example() {
	srv := ftptest.NewServer() // user "user", password "pass"
	defer srv.Close()

	ctx := context.Background()
	c, err := ftp.Dial(ctx, srv.Addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
		log.Fatal(err)
	}

	// Upload (ftplib storbinary).
	if _, err := c.StorBinary(ctx, "STOR hello.txt", strings.NewReader("hello, world\n")); err != nil {
		log.Fatal(err)
	}
	// List (ftplib nlst).
	names, err := c.Nlst(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(names)
	// Download (ftplib retrbinary): a short download is always an error.
	var buf bytes.Buffer
	if _, err := c.RetrBinary(ctx, "RETR hello.txt", &buf); err != nil {
		log.Fatal(err)
	}
	fmt.Print(buf.String())

	if _, err := c.Quit(ctx); err != nil {
		log.Fatal(err)
	}
	// Output:
	// [hello.txt]
	// hello, world
}

// ExampleConn_Login logs in and lists a directory, as ftplib's login and
// nlst do.
func ExampleConn_Login() {
	srv := ftptest.NewServer()
	defer srv.Close()
	srv.WriteFile("pub/README", []byte("read me\n"))
	srv.WriteFile("pub/data.csv", []byte("a,b\n1,2\n"))
	srv.MkdirAll("pub/archive")

	ctx := context.Background()
	c, err := ftp.Dial(ctx, srv.Addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Println(c.Welcome())
	resp, err := c.Login(ctx, "anonymous", "", "") // PASS anonymous@
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp)

	if _, err := c.Cwd(ctx, "pub"); err != nil {
		log.Fatal(err)
	}
	dir, err := c.Pwd(ctx)
	if err != nil {
		log.Fatal(err)
	}
	names, err := c.Nlst(ctx)
	if err != nil {
		log.Fatal(err)
	}
	slices.Sort(names)
	fmt.Println(dir, names)
	// Output:
	// 220 ftptest ready.
	// 230 Login successful.
	// /pub [README archive data.csv]
}

// ExampleConn_Dir prints the server's LIST lines (ftplib dir).
func ExampleConn_Dir() {
	srv := ftptest.NewServer()
	defer srv.Close()
	srv.WriteFile("notes.txt", []byte("twelve bytes"))
	srv.SetModTime("notes.txt", time.Date(2020, 5, 17, 9, 30, 0, 0, time.UTC))

	ctx := context.Background()
	c, err := ftp.Dial(ctx, srv.Addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
		log.Fatal(err)
	}
	err = c.Dir(ctx, func(line string) error {
		fmt.Println(line)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// -rw-r--r--    1 ftp      ftp            12 May 17  2020 notes.txt
}

// ExampleConn_RetrBinary downloads a file into memory.
func ExampleConn_RetrBinary() {
	srv := ftptest.NewServer()
	defer srv.Close()
	srv.WriteFile("report.csv", []byte("id,total\n1,42\n"))

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
	resp, err := c.RetrBinary(ctx, "RETR report.csv", &buf)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp)
	fmt.Print(buf.String())
	// Output:
	// 226 Transfer complete.
	// id,total
	// 1,42
}

// ExampleConn_RetrBinary_resume resumes an interrupted download: Rest makes
// the server start at the given offset (REST), and the rest of the file is
// appended to what was already received.
func ExampleConn_RetrBinary_resume() {
	srv := ftptest.NewServer()
	defer srv.Close()
	srv.WriteFile("big.log", []byte("line 1\nline 2\nline 3\n"))

	ctx := context.Background()
	c, err := ftp.Dial(ctx, srv.Addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
		log.Fatal(err)
	}
	// The first 7 bytes arrived before the connection dropped.
	partial := bytes.NewBufferString("line 1\n")
	if _, err := c.RetrBinary(ctx, "RETR big.log", partial, ftp.Rest(int64(partial.Len()))); err != nil {
		log.Fatal(err)
	}
	fmt.Print(partial.String())
	fmt.Println(srv.Commands()[len(srv.Commands())-2:])
	// Output:
	// line 1
	// line 2
	// line 3
	// [REST 7 RETR big.log]
}

// ExampleConn_StorBinary uploads from an io.Reader, then resumes an upload
// with Rest.
func ExampleConn_StorBinary() {
	srv := ftptest.NewServer()
	defer srv.Close()

	ctx := context.Background()
	c, err := ftp.Dial(ctx, srv.Addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
		log.Fatal(err)
	}
	resp, err := c.StorBinary(ctx, "STOR greeting.txt", strings.NewReader("Hello"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp)
	// The server has 5 bytes: send the rest from offset 5.
	if _, err := c.StorBinary(ctx, "STOR greeting.txt", strings.NewReader(", world"), ftp.Rest(5)); err != nil {
		log.Fatal(err)
	}
	data, _ := srv.ReadFile("greeting.txt")
	fmt.Printf("%s\n", data)
	// Output:
	// 226 Transfer complete.
	// Hello, world
}

// ExampleConn_Retr streams a download with io.Copy; Close reads the final
// reply. With an *os.File as the destination the kernel copies the data.
func ExampleConn_Retr() {
	srv := ftptest.NewServer()
	defer srv.Close()
	srv.WriteFile("motd", []byte("Have a nice day.\n"))

	ctx := context.Background()
	c, err := ftp.Dial(ctx, srv.Addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
		log.Fatal(err)
	}
	r, err := c.Retr(ctx, "RETR motd")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("size:", r.Size())
	if _, err := io.Copy(os.Stdout, r); err != nil {
		r.Close()
		log.Fatal(err)
	}
	if err := r.Close(); err != nil { // a truncated transfer shows here
		log.Fatal(err)
	}
	fmt.Println(r.Reply())
	// Output:
	// size: 17
	// Have a nice day.
	// 226 Transfer complete.
}

// ExampleErrPerm tells a permanent failure (5xx) from a transient one
// (4xx) and reads the server's reply from the error.
func ExampleErrPerm() {
	srv := ftptest.NewServer()
	defer srv.Close()

	ctx := context.Background()
	c, err := ftp.Dial(ctx, srv.Addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
		log.Fatal(err)
	}
	_, err = c.RetrBinary(ctx, "RETR missing.txt", io.Discard)
	switch {
	case errors.Is(err, ftp.ErrPerm):
		fmt.Println("permanent:", err)
	case errors.Is(err, ftp.ErrTemp):
		fmt.Println("try again later:", err)
	case err != nil:
		fmt.Println("network or protocol error:", err)
	}
	var e *ftp.Error
	if errors.As(err, &e) {
		fmt.Printf("Cmd %q, Code %d, Msg %q\n", e.Cmd, e.Code, e.Msg)
	}
	// The connection is still usable after a reply error.
	resp, err := c.Noop(ctx)
	fmt.Println(resp, err)
	// Output:
	// permanent: ftp: RETR missing.txt: 550 Failed to open file.
	// Cmd "RETR missing.txt", Code 550, Msg "550 Failed to open file."
	// 200 NOOP ok. <nil>
}
