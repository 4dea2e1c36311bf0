package ftp

import (
	"context"
	"time"
)

// ModTimes returns the modification times of the files paths (MDTM, as
// ModTime does for one), with the commands pipelined on one pooled
// connection (Conn.ModTimes): about one round trip for them all instead
// of one each. times[i] is the time of paths[i] when errs[i] is nil;
// errs[i] is an *fs.PathError for "modtime" around the reply or the
// failure (unlike ModTime, a 550 is not checked further, so it does not
// match fs.ErrNotExist). When the connection fails before every reply
// was read, the files left are asked again on a fresh connection, up to
// MaxRetries times, as any call. The error is the first of errs, or nil.
//
// TYPE I goes first in the pipeline when the connection is not known to
// be in binary mode (MDTM does not depend on it, and it costs no round
// trip there), so that a download that follows on the connection, as in
// a mirror, does not have to send it.
func (c *Client) ModTimes(ctx context.Context, paths []string) (times []time.Time, errs []error, err error) {
	times = make([]time.Time, len(paths))
	errs = make([]error, len(paths))
	var ask []int // the files to ask for, in order
	for i, p := range paths {
		if err := checkPath(p); err != nil {
			errs[i] = pathErr("modtime", p, err)
			continue
		}
		ask = append(ask, i)
	}
	c.init()
	for attempt := 0; len(ask) > 0; attempt++ {
		var cerr error
		pc, gerr := c.pool.get(ctx)
		if gerr == nil {
			names := make([]string, len(ask))
			for k, i := range ask {
				names[k] = c.abs(paths[i])
			}
			ts := make([]time.Time, len(ask))
			es := make([]error, len(ask))
			var n int
			n, cerr = pc.c.modTimes(ctx, names, ts, es, pc.c.curType != "I")
			c.giveBack(ctx, pc, cerr)
			for k := 0; k < n; k++ {
				i := ask[k]
				times[i], errs[i] = ts[k], pathErr("modtime", paths[i], es[k])
			}
			ask = ask[n:]
		} else {
			cerr = gerr
		}
		if cerr == nil {
			continue
		}
		if attempt >= c.retries() || !c.retryable(ctx, cerr) || c.retryWait(ctx, "modtime", "", attempt, cerr) != nil {
			for _, i := range ask {
				errs[i] = pathErr("modtime", paths[i], cerr)
			}
			break
		}
	}
	for _, e := range errs {
		if e != nil {
			return times, errs, e
		}
	}
	return times, errs, nil
}
