package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"github.com/ftplib-go/ftp"
)

// session is a logged-in control connection to the server of a URL.
type session struct {
	*ftp.Conn
	t *target
}

// credentials returns the login for t (see resolveCredentials), reading
// the netrc file. A netrc file that exists but cannot be parsed is an
// error rather than a silent anonymous login.
func (c *cli) credentials(t *target) (credentials, error) {
	if t.HasPass {
		return resolveCredentials(t, nil, c.getenv), nil
	}
	entries, err := readNetrc(netrcPath(c.getenv), false, c.getenv("NETRC") == "")
	if err != nil {
		return credentials{}, fmt.Errorf("netrc: %w", err)
	}
	return resolveCredentials(t, entries, c.getenv), nil
}

// dialer returns the ftp.Dialer for the connection flags o and target t.
// A --cacert file that cannot be used is a usage error.
func (c *cli) dialer(t *target, o *options) (*ftp.Dialer, error) {
	roots := c.rootCAs
	if o.cacert != "" && t.TLS {
		pool, err := loadCACert(o.cacert)
		if err != nil {
			return nil, usagef("", "--cacert: %v", err)
		}
		roots = pool
	}
	debug := o.debug
	if o.verbose > 1 {
		debug = max(debug, 2) // -v -v: the raw lines too
	}
	d := &ftp.Dialer{
		Timeout:     o.timeout,
		Active:      o.active,
		PRET:        o.pret,
		Debug:       debug,
		DebugOutput: c.stderr,
	}
	if err := c.setLogger(d, o); err != nil {
		return nil, err
	}
	if c.getenv != nil {
		proxy, _, err := proxyFor(c.getenv, t.Scheme, t.Host)
		if err != nil {
			return nil, err
		}
		d.Proxy = proxy
	}
	if t.TLS {
		d.TLSConfig = &tls.Config{
			ServerName:         t.Host,
			RootCAs:            roots,
			InsecureSkipVerify: o.insecure,
		}
		d.ImplicitTLS = t.Implicit
	}
	return d, nil
}

// loadCACert reads the PEM certificates in file into a pool of trusted
// roots, which replaces the system's (as curl's --cacert does).
func loadCACert(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return pool, nil
}

// connect dials the server of t, secures the connection as t asks, and
// logs in with the credentials for t.
func (c *cli) connect(ctx context.Context, t *target, o *options) (*session, error) {
	cr, err := c.credentials(t)
	if err != nil {
		return nil, err
	}
	return c.login(ctx, t, o, cr)
}

// login dials the server of t, secures the connection as t asks, and logs
// in with cr.
func (c *cli) login(ctx context.Context, t *target, o *options, cr credentials) (*session, error) {
	d, err := c.dialer(t, o)
	if err != nil {
		return nil, err
	}
	if o.verbose > 0 || o.debug > 0 {
		mode := "plain FTP"
		switch {
		case t.Implicit:
			mode = "implicit FTPS"
		case t.TLS:
			mode = "explicit FTPS (AUTH TLS)"
		}
		who := cr.User
		if who == "" {
			who = "anonymous"
		}
		fmt.Fprintf(c.stderr, "%s: connecting to %s, %s, as %s (login from %s)\n", c.prog, t.Addr, mode, who, cr.Source)
	}
	var conn *ftp.Conn
	if t.TLS {
		conn, err = dialTLS(ctx, d, t, cr)
	} else {
		conn, err = d.Dial(ctx, t.Addr)
		if err != nil {
			err = fmt.Errorf("connect to %s: %w", t.Addr, err)
		} else {
			_, err = conn.Login(ctx, cr.User, cr.Pass, cr.Acct)
			if err != nil {
				conn.Close()
				err = loginError(cr, err)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	return &session{Conn: conn, t: t}, nil
}

// loginError adds who tried to log in to a login failure.
func loginError(cr credentials, err error) error {
	who := cr.User
	if who == "" {
		who = "anonymous"
	}
	return fmt.Errorf("login as %s (from %s): %w", who, cr.Source, err)
}

// close ends the session politely (QUIT, bounded to a few seconds) and
// closes the connection.
func (s *session) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.Quit(ctx)
	s.Close()
}
