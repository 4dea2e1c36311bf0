package ftptest_test

import (
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strings"
	"time"

	"github.com/ftplib-go/ftp/ftptest"
)

// Example downloads a file with a hand-written FTP session over
// net/textproto, then shows what the server recorded.
func Example() {
	s := ftptest.NewServer()
	defer s.Close()
	if err := s.WriteFile("docs/hello.txt", []byte("Hello, FTP!\n")); err != nil {
		panic(err)
	}

	c, err := textproto.Dial("tcp", s.Addr)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	reply := func() string {
		code, msg, err := c.ReadResponse(0)
		if err != nil {
			panic(err)
		}
		if code == 229 { // the port changes from run to run
			fmt.Println(code, msg[:strings.Index(msg, "(")]+"(|||port|)")
		} else {
			fmt.Println(code, msg)
		}
		return msg
	}
	cmd := func(line string) string {
		if _, err := c.Cmd("%s", line); err != nil {
			panic(err)
		}
		return reply()
	}

	reply()
	cmd("USER user")
	cmd("PASS pass")
	cmd("TYPE I")
	msg := cmd("EPSV") // 229 Entering Extended Passive Mode (|||port|)
	port := strings.Trim(msg[strings.Index(msg, "|||"):], "|()")
	host, _, _ := net.SplitHostPort(s.Addr)
	data, err := net.Dial("tcp", net.JoinHostPort(host, port))
	if err != nil {
		panic(err)
	}
	cmd("RETR docs/hello.txt")
	body, _ := io.ReadAll(data)
	data.Close()
	fmt.Printf("data: %q\n", body)
	reply()
	cmd("QUIT")

	fmt.Println(len(s.Commands()), "commands, first:", s.Commands()[0])
	fmt.Println(s.Transfers()[0].Command, s.Transfers()[0].Bytes)
	// Output:
	// 220 ftptest ready.
	// 331 Please specify the password.
	// 230 Login successful.
	// 200 Switching to Binary mode.
	// 229 Entering Extended Passive Mode (|||port|)
	// 150 Opening BINARY mode data connection for docs/hello.txt (12 bytes).
	// data: "Hello, FTP!\n"
	// 226 Transfer complete.
	// 221 Goodbye.
	// 6 commands, first: USER user
	// RETR docs/hello.txt 12
}

// ExampleServer_AddFault makes the first PWD fail with a canned reply and
// delays the greeting of every session.
func ExampleServer_AddFault() {
	s := ftptest.NewUnstartedServer()
	s.AddFault(ftptest.Fault{Command: "PWD", Nth: 1, Reply: "451-Disk trouble,\r\n451 try again."})
	s.AddFault(ftptest.Fault{Command: "", Delay: time.Millisecond})
	s.Start()
	defer s.Close()

	c, err := textproto.Dial("tcp", s.Addr)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	for _, line := range []string{"", "USER anonymous", "PASS guest@", "PWD", "PWD"} {
		if line != "" {
			c.PrintfLine("%s", line)
		}
		code, msg, _ := c.ReadResponse(0)
		fmt.Printf("%d %q\n", code, msg)
	}
	// Output:
	// 220 "ftptest ready."
	// 331 "Please specify the password."
	// 230 "Login successful."
	// 451 "Disk trouble,\ntry again."
	// 257 "\"/\" is the current directory"
}
