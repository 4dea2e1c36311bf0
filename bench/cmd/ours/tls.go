package main

import (
	"context"

	ftp "github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/bench/internal/runner"
)

// openTLS will use Dialer.DialFTPS, Login (AUTH TLS first) and ProtP once
// the library's FTPS code is merged.
func openTLS(ctx context.Context, d *ftp.Dialer, j *runner.Job) (runner.Session, error) {
	return nil, runner.ErrPending
}
