package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/ftplib-go/ftp"
)

// logJSONFlag is the value of --log-json: absent, given alone (JSON lines
// on stderr), or given a file (--log-json=FILE, appended to).
type logJSONFlag struct {
	set  bool
	file string // "" for stderr
}

func (f *logJSONFlag) String() string {
	if !f.set {
		return ""
	}
	if f.file == "" {
		return "-"
	}
	return f.file
}

// IsBoolFlag lets --log-json stand alone; a file must then be given with
// "=" (--log-json=FILE).
func (f *logJSONFlag) IsBoolFlag() bool { return true }

func (f *logJSONFlag) Set(s string) error {
	switch s {
	case "":
		return errors.New("want --log-json or --log-json=FILE")
	case "-":
		f.set, f.file = true, ""
		return nil
	}
	// flag passes "true" for the bare flag; ParseBool's other words are
	// taken as such too, so that --log-json=false turns it off.
	if b, err := strconv.ParseBool(s); err == nil {
		f.set, f.file = b, ""
		return nil
	}
	f.set, f.file = true, s
	return nil
}

// logger returns the *slog.Logger for the records of package ftp (one per
// command, reply, data connection and transfer): with -v, a text handler
// on stderr; with --log-json, a JSON handler on stderr or on the file it
// names; both when both are given; nil when neither is. Every record is
// kept, from Debug level up. The logger is built once per run; the file,
// opened for appending (created with mode 0600), is closed by
// closeLog.
func (c *cli) logger(o *options) (*slog.Logger, error) {
	if c.log != nil || (o.verbose == 0 && !o.logJSON.set) {
		return c.log, nil
	}
	var hs []slog.Handler
	if o.verbose > 0 {
		hs = append(hs, slog.NewTextHandler(c.stderr, &slog.HandlerOptions{
			Level:       slog.LevelDebug,
			ReplaceAttr: shortTime,
		}))
	}
	if o.logJSON.set {
		w := c.stderr
		if o.logJSON.file != "" {
			f, err := os.OpenFile(o.logJSON.file, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
			if err != nil {
				return nil, fmt.Errorf("--log-json: %w", err)
			}
			c.logFile = f
			w = f
		}
		hs = append(hs, slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if len(hs) == 1 {
		c.log = slog.New(hs[0])
	} else {
		c.log = slog.New(teeHandler(hs))
	}
	return c.log, nil
}

// closeLog closes the --log-json file, if any; an error writing it is
// reported.
func (c *cli) closeLog() error {
	if c.logFile == nil {
		return nil
	}
	err := c.logFile.Close()
	c.logFile = nil
	if err != nil {
		return fmt.Errorf("--log-json: %w", err)
	}
	return nil
}

// shortTime shows the time of a -v record as a clock time to the
// millisecond: the day is the day the tool runs.
func shortTime(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && len(groups) == 0 && a.Value.Kind() == slog.KindTime {
		return slog.String(slog.TimeKey, a.Value.Time().Format(time.TimeOnly+".000"))
	}
	return a
}

// teeHandler sends each record to every handler that wants it.
type teeHandler []slog.Handler

func (t teeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range t {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (t teeHandler) Handle(ctx context.Context, r slog.Record) error {
	var errs []error
	for _, h := range t {
		if h.Enabled(ctx, r.Level) {
			errs = append(errs, h.Handle(ctx, r.Clone()))
		}
	}
	return errors.Join(errs...)
}

func (t teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make(teeHandler, len(t))
	for i, h := range t {
		out[i] = h.WithAttrs(as)
	}
	return out
}

func (t teeHandler) WithGroup(name string) slog.Handler {
	out := make(teeHandler, len(t))
	for i, h := range t {
		out[i] = h.WithGroup(name)
	}
	return out
}

// setLogger gives d the logger of -v and --log-json.
func (c *cli) setLogger(d *ftp.Dialer, o *options) error {
	l, err := c.logger(o)
	if err != nil {
		return err
	}
	d.Logger = l
	return nil
}
