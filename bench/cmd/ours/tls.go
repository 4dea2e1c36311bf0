package main

import (
	"context"

	ftp "github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/bench/internal/runner"
)

// openTLS connects with Dialer.DialFTPS, logs in (Login runs AUTH TLS
// first) and sends PBSZ 0 + PROT P, as ftplib's FTP_TLS.login + prot_p.
func openTLS(ctx context.Context, d *ftp.Dialer, j *runner.Job) (runner.Session, error) {
	conf, err := j.TLSConfig()
	if err != nil {
		return nil, err
	}
	d.TLSConfig = conf
	f, err := d.DialFTPS(ctx, j.Addr)
	if err != nil {
		return nil, err
	}
	if _, err := f.Login(ctx, j.User, j.Pass, ""); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.ProtP(ctx); err != nil {
		f.Close()
		return nil, err
	}
	return session{f.Conn}, nil
}
