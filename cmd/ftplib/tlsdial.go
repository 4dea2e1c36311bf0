package main

import (
	"context"
	"fmt"

	"github.com/ftplib-go/ftp"
)

// dialTLS connects to the server of t with FTPS: implicit (TLS from the
// first byte) when t.Implicit, else explicit (AUTH TLS before the login).
// It then logs in with cr and protects the data connections (PBSZ 0, PROT
// P), which resume the control connection's TLS session.
func dialTLS(ctx context.Context, d *ftp.Dialer, t *target, cr credentials) (*ftp.Conn, error) {
	s, err := d.DialFTPS(ctx, t.Addr)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", t.Addr, err)
	}
	if !t.Implicit {
		if _, err := s.Auth(ctx); err != nil {
			s.Close()
			return nil, fmt.Errorf("AUTH TLS with %s: %w", t.Addr, err)
		}
	}
	if _, err := s.Login(ctx, cr.User, cr.Pass, cr.Acct); err != nil {
		s.Close()
		return nil, loginError(cr, err)
	}
	if _, err := s.ProtP(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("protecting data connections (PROT P): %w", err)
	}
	return s.Conn, nil
}
