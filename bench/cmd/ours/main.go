// Command ours runs the benchmark jobs with this library
// (github.com/ftplib-go/ftp), used the documented way: Dialer.Dial, Login,
// RetrBinary into the destination and StorBinary from the source, so
// io.Copy's zero-copy paths are the library's to take. The Dialer is the
// zero value unless -timeout sets Dialer.Timeout.
package main

import (
	"context"
	"io"

	ftp "github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/bench/internal/runner"
)

type session struct{ c *ftp.Conn }

func (s session) Get(remote string, w io.Writer) error {
	_, err := s.c.RetrBinary(context.Background(), "RETR "+remote, w)
	return err
}

func (s session) Put(remote string, r io.Reader) error {
	_, err := s.c.StorBinary(context.Background(), "STOR "+remote, r)
	return err
}

func (s session) Close() error {
	_, err := s.c.Quit(context.Background())
	return err
}

func main() {
	runner.Main(func(j *runner.Job) (runner.Session, error) {
		ctx := context.Background()
		d := &ftp.Dialer{Timeout: j.Timeout}
		if j.TLS {
			return openTLS(ctx, d, j)
		}
		c, err := d.Dial(ctx, j.Addr)
		if err != nil {
			return nil, err
		}
		if _, err := c.Login(ctx, j.User, j.Pass, ""); err != nil {
			return nil, err
		}
		return session{c}, nil
	})
}

// GetMany downloads the files with Conn.RetrMany, which sends each next
// PASV while the previous final reply is on its way.
func (s session) GetMany(remotes []string, w io.Writer) error {
	cmds := make([]string, len(remotes))
	for i, r := range remotes {
		cmds[i] = "RETR " + r
	}
	_, err := s.c.RetrMany(context.Background(), cmds, func(int) (io.Writer, error) { return w, nil })
	return err
}
