package ftp

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Benchmarks of transfers with a Dialer.Timeout, to compare with the
// zero-timeout ones in bench_test.go (the zero-copy paths).

func benchDialTimeout(b *testing.B, f *fakeServer) *Conn {
	c, err := (&Dialer{Timeout: 30 * time.Second}).Dial(ctxT(b), f.addr)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

func BenchmarkRetrBinaryFileTimeout(b *testing.B) {
	f := benchServer(b, b.N, false)
	c := benchDialTimeout(b, f)
	out, err := os.Create(filepath.Join(b.TempDir(), "out"))
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	b.SetBytes(benchSize)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out.Seek(0, 0)
		if _, err := c.RetrBinary(ctxT(b), "RETR f", out); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStorBinaryFileTimeout(b *testing.B) {
	path := filepath.Join(b.TempDir(), "in")
	if err := os.WriteFile(path, bytes.Repeat([]byte("x"), benchSize), 0o600); err != nil {
		b.Fatal(err)
	}
	f := benchServer(b, b.N, true)
	c := benchDialTimeout(b, f)
	in, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	b.SetBytes(benchSize)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		in.Seek(0, 0)
		if _, err := c.StorBinary(ctxT(b), "STOR f", in); err != nil {
			b.Fatal(err)
		}
	}
}
