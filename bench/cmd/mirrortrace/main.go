// Command mirrortrace shows where the time of a mirror goes: it runs
// mirror.Download (or mirror.Upload with -up) against a server, records
// every command sent and reply received on each control connection, with
// the time since the start, and prints per connection when it was dialled,
// when its login ended, and how many commands of each kind it sent, then
// the same counts for the whole run. Run it twice into the same directory
// to see the incremental run. Passwords are not printed.
//
//	mirrortrace -addr 10.200.0.1:2231 -user U -pass P -dir mirror200 -local /tmp/x
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/mirror"
)

type event struct {
	at   time.Duration
	conn int
	out  bool
	line string
}

type recorder struct {
	start  time.Time
	ctrl   string
	mu     sync.Mutex
	n      int
	events []event
	dials  map[int]time.Duration
	data   []time.Duration
}

func (r *recorder) add(conn int, out bool, b []byte) {
	at := time.Since(r.start)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range bytes.Split(b, []byte("\r\n")) {
		if len(l) == 0 {
			continue
		}
		s := string(l)
		if out && strings.HasPrefix(s, "PASS ") {
			s = "PASS ****"
		}
		r.events = append(r.events, event{at, conn, out, s})
	}
}

type tconn struct {
	net.Conn
	r  *recorder
	id int
}

func (c *tconn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.r.add(c.id, false, p[:n])
	}
	return n, err
}

func (c *tconn) Write(p []byte) (int, error) {
	c.r.add(c.id, true, p)
	return c.Conn.Write(p)
}

func main() {
	addr := flag.String("addr", "10.200.0.1:2231", "server")
	user := flag.String("user", "ftptest", "user")
	pass := flag.String("pass", "", "password")
	dir := flag.String("dir", "mirror200", "remote directory")
	local := flag.String("local", "", "local directory")
	par := flag.Int("parallel", 8, "connections")
	up := flag.Bool("up", false, "upload local onto dir")
	verbose := flag.Bool("v", false, "print every command and reply")
	flag.Parse()
	r := &recorder{start: time.Now(), ctrl: *addr, dials: map[int]time.Duration{}}
	var nd net.Dialer
	d := &ftp.Dialer{
		Timeout: 30 * time.Second,
		DialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
			at := time.Since(r.start)
			c, err := nd.DialContext(ctx, network, a)
			if err != nil {
				return nil, err
			}
			if a != *addr {
				r.mu.Lock()
				r.data = append(r.data, at)
				r.mu.Unlock()
				return c, nil
			}
			r.mu.Lock()
			r.n++
			id := r.n
			r.dials[id] = at
			r.mu.Unlock()
			return &tconn{Conn: c, r: r, id: id}, nil
		},
	}
	cl := &ftp.Client{Addr: *addr, User: *user, Password: *pass, Dialer: d, MaxConns: *par}
	ctx := context.Background()
	var res *mirror.Result
	var err error
	if *up {
		res, err = mirror.Upload(ctx, cl, *local, *dir, mirror.Options{Parallel: *par})
	} else {
		res, err = mirror.Download(ctx, cl, *dir, *local, mirror.Options{Parallel: *par})
	}
	end := time.Since(r.start)
	cl.Close()
	if err != nil {
		fmt.Println("error:", err)
	}
	fmt.Printf("total %.3f s: %d transferred, %d skipped, %d failed; %d control connections, %d data connections\n",
		end.Seconds(), len(res.Transferred), len(res.Skipped), len(res.Failed), r.n, len(r.data))
	r.mu.Lock()
	defer r.mu.Unlock()
	if *verbose {
		for _, e := range r.events {
			dir := "<"
			if e.out {
				dir = ">"
			}
			fmt.Printf("%8.3f #%d %s %s\n", e.at.Seconds(), e.conn, dir, e.line)
		}
	}
	total := map[string]int{}
	for id := 1; id <= r.n; id++ {
		cmds := map[string]int{}
		var login, first, last time.Duration
		passSeen := false
		for _, e := range r.events {
			if e.conn != id {
				continue
			}
			if e.out {
				verb, _, _ := strings.Cut(e.line, " ")
				cmds[verb]++
				total[verb]++
				if verb == "PASS" {
					passSeen = true
				}
				if first == 0 && verb != "USER" && verb != "PASS" && verb != "PWD" {
					first = e.at
				}
				last = e.at
			} else if passSeen && login == 0 && strings.HasPrefix(e.line, "230") {
				login = e.at
			}
		}
		fmt.Printf("conn %d: dial %.3f, login done %.3f (%.3f s), first work %.3f, last command %.3f; %s\n",
			id, r.dials[id].Seconds(), login.Seconds(), (login - r.dials[id]).Seconds(), first.Seconds(), last.Seconds(), counts(cmds))
	}
	fmt.Println("all:", counts(total))
}

func counts(m map[string]int) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var b strings.Builder
	for _, k := range ks {
		fmt.Fprintf(&b, "%s %d ", k, m[k])
	}
	return b.String()
}
