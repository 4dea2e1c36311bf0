// Command jlaffaye runs the benchmark jobs with github.com/jlaffaye/ftp,
// used as its README shows: Dial, Login, Retr + io.Copy, Stor.
package main

import (
	"io"
	"time"

	"github.com/ftplib-go/ftp/bench/internal/runner"
	"github.com/jlaffaye/ftp"
)

type session struct{ c *ftp.ServerConn }

func (s session) Get(remote string, w io.Writer) error {
	r, err := s.c.Retr(remote)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, r)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	return err
}

func (s session) Put(remote string, r io.Reader) error { return s.c.Stor(remote, r) }

func (s session) Close() error { return s.c.Quit() }

func main() {
	runner.Main(func(j *runner.Job) (runner.Session, error) {
		opts := []ftp.DialOption{ftp.DialWithTimeout(60 * time.Second)}
		if j.TLS {
			conf, err := j.TLSConfig()
			if err != nil {
				return nil, err
			}
			opts = append(opts, ftp.DialWithExplicitTLS(conf))
		}
		c, err := ftp.Dial(j.Addr, opts...)
		if err != nil {
			return nil, err
		}
		if err := c.Login(j.User, j.Pass); err != nil {
			return nil, err
		}
		return session{c}, nil
	})
}
