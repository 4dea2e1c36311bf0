package ftp

import "context"

// Warm starts logging in connections in the background until n are open
// or being opened (at most MaxConns), and returns at once, so that the
// calls that follow find them ready instead of each waiting for a login;
// a call takes whichever connection is ready first. The logins use ctx's
// values and deadline, not its cancellation; Close stops them. A login
// that fails is the error of a call waiting for a connection then, if
// any, as for a login a call started itself.
func (c *Client) Warm(ctx context.Context, n int) {
	c.init()
	c.pool.warm(ctx, n)
}
