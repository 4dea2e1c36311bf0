package interop

import (
	"context"
	"errors"

	"github.com/ftplib-go/ftp"
)

// errNoFTPS: the client has no FTPS yet (the TLS rows are TODO).
var errNoFTPS = errors.New("FTPS is not in the client yet")

// dialLogin connects to s with d and logs in; for a TLS configuration the
// control connection is protected before USER and data connections use
// PROT P.
func (s *server) dialLogin(ctx context.Context, d *ftp.Dialer) (*ftp.Conn, error) {
	return s.dialAs(ctx, d, user, pass)
}

// dialAs is dialLogin with the given credentials.
func (s *server) dialAs(ctx context.Context, d *ftp.Dialer, user, pass string) (*ftp.Conn, error) {
	if s.tls != plainFTP {
		return nil, errNoFTPS
	}
	c, err := d.Dial(ctx, s.addr)
	if err != nil {
		return nil, err
	}
	if _, err := c.Login(ctx, user, pass, ""); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}
