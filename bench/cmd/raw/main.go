// Command raw is the benchmark's ceiling: a hand-written FTP exchange
// (internal/rawftp) whose data path is a bare io.Copy between the passive
// data socket and the local file.
package main

import (
	"io"
	"time"

	"github.com/ftplib-go/ftp/bench/internal/rawftp"
	"github.com/ftplib-go/ftp/bench/internal/runner"
)

type session struct{ c *rawftp.Conn }

func (s session) Get(remote string, w io.Writer) error {
	_, err := s.c.Retr(remote, w)
	return err
}

func (s session) Put(remote string, r io.Reader) error {
	_, err := s.c.Stor(remote, r)
	return err
}

func (s session) Close() error { return s.c.Quit() }

func main() {
	runner.Main(func(j *runner.Job) (runner.Session, error) {
		c, err := rawftp.Dial(j.Addr, 60*time.Second)
		if err != nil {
			return nil, err
		}
		if j.TLS {
			conf, err := j.TLSConfig()
			if err != nil {
				return nil, err
			}
			if err := c.AuthTLS(conf); err != nil {
				return nil, err
			}
		}
		if err := c.Login(j.User, j.Pass); err != nil {
			return nil, err
		}
		if j.TLS {
			if err := c.ProtP(); err != nil {
				return nil, err
			}
		}
		return session{c}, nil
	})
}
