package ftp

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"strings"
	"time"
)

// Structured records (Dialer.Logger): their messages and attribute keys.
// They are part of the API: programs filter and parse them.
const (
	msgConnect   = "ftp connect"
	msgTLS       = "ftp tls"
	msgCommand   = "ftp command"
	msgReply     = "ftp reply"
	msgData      = "ftp data"
	msgTransfer  = "ftp transfer"
	msgFallback  = "ftp fallback"
	msgRetry     = "ftp retry"
	msgReconnect = "ftp reconnect"

	keyAddr    = "addr"
	keyDur     = "dur"
	keyErr     = "err"
	keyConn    = "conn"
	keyTLS     = "tls"
	keyResumed = "resumed"
	keyCmd     = "cmd"
	keyCode    = "code"
	keyText    = "text"
	keyMode    = "mode"
	keyBytes   = "bytes"
	keyRate    = "rate"
	keyOffset  = "offset"
	keyResult  = "result"
	keyFrom    = "from"
	keyTo      = "to"
	keyOp      = "op"
	keyPath    = "path"
	keyAttempt = "attempt"
	keyWait    = "wait"
)

// testLogger, when set (by the package's own tests), gives the logger of
// each Conn and Client from the Dialer's Logger (nil for none). It lets
// the tests see every record of a whole test run.
var testLogger func(*slog.Logger) *slog.Logger

// testSecret, when set (by the package's own tests), is given every PASS
// and ACCT command sent, so that the tests know the secrets that no
// record may hold.
var testSecret func(line string)

// logger returns the Dialer's Logger (nil for none; d may be nil).
func (d *Dialer) logger() *slog.Logger {
	var l *slog.Logger
	if d != nil {
		l = d.Logger
	}
	if testLogger != nil {
		l = testLogger(l)
	}
	return l
}

// logCmd masks the argument of a PASS or ACCT command for a record or a
// hook, whatever its letter case and what follows the verb: "PASS ****"
// (the verb upper-cased).
// It is stricter than maskCmd, which masks only a well-formed command.
func logCmd(cmd string) string {
	v := strings.TrimLeft(cmd, " \t")
	if len(v) >= 4 && (strings.EqualFold(v[:4], "PASS") || strings.EqualFold(v[:4], "ACCT")) {
		if len(v) == 4 {
			return v
		}
		return strings.ToUpper(v[:4]) + " ****"
	}
	return cmd
}

// observe makes ctx the context of the records and hooks of the call
// starting (acquire, Dial); unobserve ends it (release).
func (c *Conn) observe(ctx context.Context) {
	c.octx = ctx
	c.trace = ContextTrace(ctx)
}

func (c *Conn) unobserve() {
	c.octx = nil
	c.trace = nil
}

// observed reports whether anything watches the Conn's dialogue.
func (c *Conn) observed() bool { return c.log != nil || c.trace != nil }

// logCtx returns the context of the call in progress.
func (c *Conn) logCtx() context.Context {
	if c.octx == nil {
		return context.Background()
	}
	return c.octx
}

// logOn reports whether a record of level would be written.
func (c *Conn) logOn(level slog.Level) bool {
	return c.log != nil && c.log.Enabled(c.logCtx(), level)
}

// noteConnect reports the opening of the control connection to addr,
// which started at t0.
func (c *Conn) noteConnect(addr string, t0 time.Time, err error) {
	c.sentAt = time.Now()
	if !c.logOn(slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{slog.String(keyAddr, addr), slog.Duration(keyDur, c.sentAt.Sub(t0))}
	if err != nil {
		attrs = append(attrs, slog.Any(keyErr, err))
	}
	c.log.LogAttrs(c.logCtx(), slog.LevelDebug, msgConnect, attrs...)
}

// tlsStart and tlsDone surround a TLS handshake (data tells which
// connection) that started at t0.
func (c *Conn) tlsStart(data bool) {
	if t := c.trace; t != nil && t.TLSHandshakeStart != nil {
		t.TLSHandshakeStart(data)
	}
}

func (c *Conn) tlsDone(data bool, tc *tls.Conn, t0 time.Time, err error) {
	if !c.observed() {
		return
	}
	st := tc.ConnectionState()
	if t := c.trace; t != nil && t.TLSHandshakeDone != nil {
		t.TLSHandshakeDone(data, st, err)
	}
	if !c.logOn(slog.LevelDebug) {
		return
	}
	conn := "control"
	if data {
		conn = "data"
	}
	attrs := []slog.Attr{slog.String(keyConn, conn)}
	if err == nil {
		attrs = append(attrs, slog.String(keyTLS, tls.VersionName(st.Version)), slog.Bool(keyResumed, st.DidResume))
	}
	attrs = append(attrs, slog.Duration(keyDur, time.Since(t0)))
	if err != nil {
		attrs = append(attrs, slog.Any(keyErr, err))
	}
	c.log.LogAttrs(c.logCtx(), slog.LevelDebug, msgTLS, attrs...)
}

// noteCmd reports the command line just sent. keepalive is set for a NOOP
// sent by the keepalive goroutine, which must leave sentAt alone.
func (c *Conn) noteCmd(line string, keepalive bool) {
	if !keepalive {
		c.sentAt = time.Now()
	}
	masked := logCmd(line)
	if testSecret != nil && masked != line {
		testSecret(line)
	}
	if t := c.trace; t != nil && t.CommandSent != nil {
		t.CommandSent(masked)
	}
	if c.logOn(slog.LevelDebug) {
		c.log.LogAttrs(c.logCtx(), slog.LevelDebug, msgCommand, slog.String(keyCmd, masked))
	}
}

// noteReply reports the reply just read.
func (c *Conn) noteReply(resp string) {
	info := ReplyInfo{Cmd: logCmd(c.cmd), Code: replyCode(resp), Text: resp, Dur: time.Since(c.sentAt)}
	if t := c.trace; t != nil && t.ReplyReceived != nil {
		t.ReplyReceived(info)
	}
	if c.logOn(slog.LevelDebug) {
		c.log.LogAttrs(c.logCtx(), slog.LevelDebug, msgReply,
			slog.String(keyCmd, info.Cmd), slog.Int(keyCode, info.Code),
			slog.String(keyText, info.Text), slog.Duration(keyDur, info.Dur))
	}
}

// noteDataOpen reports the data connection conn (socket raw) opened for
// cmd, whose set-up started at t0.
func (c *Conn) noteDataOpen(cmd string, conn, raw net.Conn, t0 time.Time) {
	hook := c.trace != nil && c.trace.DataConnOpened != nil
	if !hook && !c.logOn(slog.LevelDebug) {
		return
	}
	info := c.dataInfo(cmd, conn, raw)
	info.Dur = time.Since(t0)
	if hook {
		c.trace.DataConnOpened(info)
	}
	if c.logOn(slog.LevelDebug) {
		attrs := dataAttrs(info, 6)
		attrs = append(attrs, slog.Duration(keyDur, info.Dur))
		c.log.LogAttrs(c.logCtx(), slog.LevelDebug, msgData, attrs...)
	}
}

func (c *Conn) dataInfo(cmd string, conn, raw net.Conn) DataConnInfo {
	info := DataConnInfo{Cmd: logCmd(cmd), Passive: c.passive}
	if a := raw.RemoteAddr(); a != nil {
		info.Addr = a.String()
	}
	if tc, ok := conn.(*tls.Conn); ok {
		st := tc.ConnectionState()
		info.TLS = &st
	}
	return info
}

// dataAttrs returns a data connection's attributes, with room for extra
// more.
func dataAttrs(info DataConnInfo, extra int) []slog.Attr {
	mode := "active"
	if info.Passive {
		mode = "passive"
	}
	attrs := make([]slog.Attr, 0, 4+extra)
	attrs = append(attrs, slog.String(keyCmd, info.Cmd), slog.String(keyMode, mode), slog.String(keyAddr, info.Addr))
	if info.TLS != nil {
		attrs = append(attrs, slog.String(keyTLS, tls.VersionName(info.TLS.Version)), slog.Bool(keyResumed, info.TLS.DidResume))
	}
	return attrs
}

// noteFallback reports that the passive command from failed (refused, or
// its port could not be reached) and to is tried instead.
func (c *Conn) noteFallback(from, to string, err error) {
	if c.logOn(slog.LevelWarn) {
		c.log.LogAttrs(c.logCtx(), slog.LevelWarn, msgFallback,
			slog.String(keyFrom, from), slog.String(keyTo, to), slog.Any(keyErr, err))
	}
}

// transferDone records the end of the transfer: its final statistics
// (under statsMu), then the hooks and the record. trace, log and ctx are
// the ones of the call that opened it (the Conn may be another call's by
// then).
func (d *DataConn) transferDone() {
	s := d.liveStats()
	s.Reply = d.reply
	s.Err = d.err
	if d.cause != nil {
		s.Err = d.cause
	}
	d.statsMu.Lock()
	d.stats = s
	d.done = true
	d.statsMu.Unlock()
	t, log := d.trace, d.c.log
	if t == nil && log == nil {
		return
	}
	if t != nil && t.DataConnClosed != nil {
		info := DataConnInfo{Cmd: s.Cmd, Passive: s.Passive, Dur: s.Duration, Err: s.Err}
		if d.raw != nil && d.raw.RemoteAddr() != nil {
			info.Addr = d.raw.RemoteAddr().String()
		}
		if tc, ok := d.conn.(*tls.Conn); ok {
			st := tc.ConnectionState()
			info.TLS = &st
		}
		t.DataConnClosed(info)
	}
	if t != nil && t.TransferDone != nil {
		t.TransferDone(s)
	}
	if log == nil || !log.Enabled(d.ctx, slog.LevelInfo) {
		return
	}
	result := "ok"
	switch {
	case d.aborted.Load() && (s.Err == nil || s.Err == errAborted):
		result = "aborted"
	case s.Err != nil:
		result = "failed"
	}
	attrs := make([]slog.Attr, 0, 10)
	attrs = append(attrs, slog.String(keyCmd, s.Cmd), slog.Int64(keyBytes, s.Bytes),
		slog.Duration(keyDur, s.Duration), slog.Float64(keyRate, s.Rate()))
	if s.Offset > 0 {
		attrs = append(attrs, slog.Int64(keyOffset, s.Offset))
	}
	if s.TLSVersion != 0 {
		attrs = append(attrs, slog.String(keyTLS, tls.VersionName(s.TLSVersion)), slog.Bool(keyResumed, s.TLSResumed))
	}
	attrs = append(attrs, slog.String(keyResult, result))
	if code := replyCode(s.Reply); code != 0 {
		attrs = append(attrs, slog.Int(keyCode, code))
	}
	if s.Err != nil {
		attrs = append(attrs, slog.Any(keyErr, s.Err))
	}
	log.LogAttrs(d.ctx, slog.LevelInfo, msgTransfer, attrs...)
}

// retryWait reports that the call op on path failed with the transient
// err and is tried again (attempt counts from 0 for the first retry),
// then waits the backoff; it returns early with ctx's error.
func (c *Client) retryWait(ctx context.Context, op, path string, attempt int, err error) error {
	wait := retryDelay(attempt)
	c.noteRetry(ctx, op, path, attempt, wait, err)
	return backoff(ctx, attempt)
}

// noteReconnect reports that an idle pooled connection failed its NOOP
// check with err and is replaced.
func (c *Client) noteReconnect(ctx context.Context, err error) {
	log := c.Dialer.logger()
	if log == nil || !log.Enabled(ctx, slog.LevelWarn) {
		return
	}
	log.LogAttrs(ctx, slog.LevelWarn, msgReconnect, slog.Any(keyErr, err))
}

// noteRetry reports a retry of op on path after err, in wait.
func (c *Client) noteRetry(ctx context.Context, op, path string, attempt int, wait time.Duration, err error) {
	info := RetryInfo{Op: op, Path: path, Attempt: attempt + 1, Wait: wait, Err: err}
	if t := ContextTrace(ctx); t != nil && t.Retry != nil {
		t.Retry(info)
	}
	log := c.Dialer.logger()
	if log == nil || !log.Enabled(ctx, slog.LevelWarn) {
		return
	}
	log.LogAttrs(ctx, slog.LevelWarn, msgRetry,
		slog.String(keyOp, info.Op), slog.String(keyPath, info.Path),
		slog.Int(keyAttempt, info.Attempt), slog.Duration(keyWait, info.Wait),
		slog.Any(keyErr, info.Err))
}
