package main

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
)

// rawServer is a scripted FTP server for what ftptest cannot be made to
// do: it serves listings exactly as given, hostile names included, and
// the files of a map. It knows USER, PASS, FEAT (MLST), TYPE, PASV, MLSD,
// RETR and QUIT, answers 502 to anything else, and records the commands.
type rawServer struct {
	Addr     string
	listings map[string]string // MLSD argument -> the listing's bytes
	files    map[string]string // RETR argument -> content

	ln   net.Listener
	mu   sync.Mutex
	cmds []string
	wg   sync.WaitGroup
}

func newRawServer(t *testing.T, listings, files map[string]string) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{Addr: ln.Addr().String(), listings: listings, files: files, ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

// commands returns the commands received so far.
func (s *rawServer) commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.cmds...)
}

func (s *rawServer) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	reply := func(format string, args ...any) { fmt.Fprintf(c, format+"\r\n", args...) }
	var data net.Listener
	defer func() {
		if data != nil {
			data.Close()
		}
	}()
	// send serves one transfer on the data connection of the last PASV.
	send := func(body string) {
		if data == nil {
			reply("425 Use PASV first.")
			return
		}
		reply("150 Here it comes.")
		dc, err := data.Accept()
		data.Close()
		data = nil
		if err != nil {
			reply("425 No data connection.")
			return
		}
		dc.Write([]byte(body))
		dc.Close()
		reply("226 Done.")
	}
	reply("220 raw test server")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		s.mu.Lock()
		s.cmds = append(s.cmds, line)
		s.mu.Unlock()
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "USER":
			reply("331 Password please.")
		case "PASS":
			reply("230 Logged in.")
		case "FEAT":
			reply("211-Features:\r\n MLST type*;size*;\r\n211 End")
		case "TYPE":
			reply("200 Type set.")
		case "PASV":
			if data != nil {
				data.Close()
			}
			data, err = net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				reply("425 Cannot listen.")
				continue
			}
			p := data.Addr().(*net.TCPAddr).Port
			reply("227 Entering Passive Mode (127,0,0,1,%d,%d).", p>>8, p&0xff)
		case "MLSD":
			l, ok := s.listings[arg]
			if !ok {
				reply("550 No such directory.")
				continue
			}
			send(l)
		case "RETR":
			f, ok := s.files[arg]
			if !ok {
				reply("550 No such file.")
				continue
			}
			send(f)
		case "QUIT":
			reply("221 Bye.")
			return
		default:
			reply("502 Not implemented.")
		}
	}
}
