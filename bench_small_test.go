package ftp_test

import (
	"context"
	"io"
	"testing"

	"github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/ftptest"
)

// smallBench is an ftptest server holding one 20-byte file, and a logged-in
// Conn to it: the per-file cost of small downloads on loopback, where
// round trips cost nearly nothing and any overhead of the overlaps would
// show.
func smallBench(b *testing.B) *ftp.Conn {
	srv := ftptest.NewServer()
	b.Cleanup(srv.Close)
	if err := srv.WriteFile("small", []byte("small file 000 ok!\n")); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	c, err := ftp.Dial(ctx, srv.Addr)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	if _, err := c.Login(ctx, "user", "pass", ""); err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkRetrBinarySmall is one RetrBinary of a 20-byte file per op.
func BenchmarkRetrBinarySmall(b *testing.B) {
	c := smallBench(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.RetrBinary(ctx, "RETR small", io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRetrManySmall is the same through RetrMany, in batches of 100.
func BenchmarkRetrManySmall(b *testing.B) {
	c := smallBench(b)
	ctx := context.Background()
	cmds := make([]string, 100)
	for i := range cmds {
		cmds[i] = "RETR small"
	}
	dst := func(int) (io.Writer, error) { return io.Discard, nil }
	b.ReportAllocs()
	b.ResetTimer()
	for left := b.N; left > 0; left -= len(cmds) {
		batch := cmds[:min(left, len(cmds))]
		if n, err := c.RetrMany(ctx, batch, dst); err != nil || n != len(batch) {
			b.Fatal(n, err)
		}
	}
}
