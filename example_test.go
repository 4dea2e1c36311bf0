package ftp_test

import (
	"errors"
	"fmt"

	"github.com/ftplib-go/ftp"
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
