package ftp

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"testing"
)

// BenchmarkRetrBinaryObserved is BenchmarkRetrBinaryDiscard (16 MiB per
// transfer; -benchtime=64x moves 1 GiB) without and with a Logger and a
// Trace, through the socket's WriteTo and through 32 KiB blocks (512 per
// transfer): what observing costs is per transfer and per command, never
// per block, so allocs/op differ by a constant between the variants and
// not with the number of blocks.
func BenchmarkRetrBinaryObserved(b *testing.B) {
	all := &Trace{
		DNSStart:          func(string) {},
		DNSDone:           func([]net.IPAddr, error) {},
		ConnectStart:      func(string) {},
		ConnectDone:       func(string, error) {},
		TLSHandshakeStart: func(bool) {},
		TLSHandshakeDone:  func(bool, tls.ConnectionState, error) {},
		CommandSent:       func(string) {},
		ReplyReceived:     func(ReplyInfo) {},
		DataConnOpened:    func(DataConnInfo) {},
		DataConnClosed:    func(DataConnInfo) {},
		TransferDone:      func(TransferStats) {},
	}
	text := func(level slog.Level) *slog.Logger {
		return slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: level}))
	}
	cases := []struct {
		name  string
		log   *slog.Logger
		trace *Trace
	}{
		{"none", nil, nil},
		{"logger-warn", text(slog.LevelWarn), nil},
		{"logger-info", text(slog.LevelInfo), nil},
		{"logger-debug", text(slog.LevelDebug), nil},
		{"trace", nil, all},
	}
	for _, blocks := range []bool{false, true} {
		for _, bc := range cases {
			name := bc.name
			if blocks {
				name = "blocks-" + name
			}
			b.Run(name, func(b *testing.B) {
				f := benchServer(b, b.N+1, false)
				c := benchDial(b, f, &Dialer{Logger: bc.log})
				ctx := WithTrace(ctxT(b), bc.trace)
				var opts []TransferOption
				if blocks {
					opts = append(opts, BlockSize(32<<10))
				}
				// The first transfer sends TYPE I; the others do not.
				if _, err := c.RetrBinary(ctx, "RETR f", io.Discard, opts...); err != nil {
					b.Fatal(err)
				}
				b.SetBytes(benchSize)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := c.RetrBinary(ctx, "RETR f", io.Discard, opts...); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkWithTrace measures what looking a Trace up costs a call whose
// ctx carries none, and one that does.
func BenchmarkWithTrace(b *testing.B) {
	ctx := context.Background()
	tctx := WithTrace(ctx, &Trace{})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if ContextTrace(ctx) != nil || ContextTrace(tctx) == nil {
			b.Fatal("ContextTrace")
		}
	}
}
