package main

import (
	"context"
	"errors"

	"github.com/ftplib-go/ftp"
)

// ftpsReady is false until the client's FTPS type is merged.
const ftpsReady = false

// dialTLS connects with FTPS. Placeholder until the client's FTPS type
// is merged.
func dialTLS(ctx context.Context, d *ftp.Dialer, t *target, cr credentials) (*ftp.Conn, error) {
	return nil, errors.New("FTPS is not available yet")
}
