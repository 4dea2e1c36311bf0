package interop

import (
	"context"

	"github.com/ftplib-go/ftp"
)

// dialLogin connects to s with d and logs in; for a TLS configuration the
// control connection is protected before USER (AUTH TLS, or implicit TLS)
// and the data connections with PROT P.
func (s *server) dialLogin(ctx context.Context, d *ftp.Dialer) (*ftp.Conn, error) {
	return s.dialAs(ctx, d, user, pass)
}

// dialAs is dialLogin with the given credentials.
func (s *server) dialAs(ctx context.Context, d *ftp.Dialer, user, pass string) (*ftp.Conn, error) {
	if s.tls == plainFTP {
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
	f, err := d.DialFTPS(ctx, s.addr)
	if err != nil {
		return nil, err
	}
	if _, err := f.Login(ctx, user, pass, ""); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.ProtP(ctx); err != nil {
		f.Close()
		return nil, err
	}
	return f.Conn, nil
}
