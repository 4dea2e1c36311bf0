package ftp

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

const benchSize = 16 << 20

// benchServer serves n RETR (or STOR) transfers of benchSize bytes.
func benchServer(b *testing.B, n int, upload bool) *fakeServer {
	payload := bytes.Repeat([]byte("0123456789abcdef"), benchSize/16)
	return newFake(b, func(s *session) {
		s.send("220 bench")
		s.reply("TYPE I", "200 binary")
		for i := 0; i < n; i++ {
			s.conn.SetDeadline(time.Now().Add(guard))
			ln := s.pasv()
			if upload {
				s.expect("STOR f")
			} else {
				s.expect("RETR f")
			}
			dc := s.accept(ln)
			if dc == nil {
				return
			}
			s.send("150 go (16777216 bytes)")
			if upload {
				io.Copy(io.Discard, dc)
				dc.Close()
			} else {
				dc.Write(payload)
				dc.Close()
			}
			s.send("226 ok")
		}
	})
}

func benchDial(b *testing.B, f *fakeServer, d *Dialer) *Conn {
	c, err := d.Dial(ctxT(b), f.addr)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

func BenchmarkRetrBinaryDiscard(b *testing.B) {
	f := benchServer(b, b.N, false)
	c := benchDial(b, f, &Dialer{})
	b.SetBytes(benchSize)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.RetrBinary(ctxT(b), "RETR f", io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRetrBinaryFile(b *testing.B) { benchRetrFile(b, &Dialer{}) }

// BenchmarkRetrBinaryFileTimeout is BenchmarkRetrBinaryFile with a
// Dialer.Timeout (kernel copies in slices, each under a deadline).
func BenchmarkRetrBinaryFileTimeout(b *testing.B) {
	benchRetrFile(b, &Dialer{Timeout: 30 * time.Second})
}

func benchRetrFile(b *testing.B, d *Dialer) {
	f := benchServer(b, b.N, false)
	c := benchDial(b, f, d)
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

func BenchmarkStorBinaryFile(b *testing.B) { benchStorFile(b, &Dialer{}) }

// BenchmarkStorBinaryFileTimeout is BenchmarkStorBinaryFile with a
// Dialer.Timeout.
func BenchmarkStorBinaryFileTimeout(b *testing.B) {
	benchStorFile(b, &Dialer{Timeout: 30 * time.Second})
}

func benchStorFile(b *testing.B, d *Dialer) {
	path := filepath.Join(b.TempDir(), "in")
	if err := os.WriteFile(path, bytes.Repeat([]byte("x"), benchSize), 0o600); err != nil {
		b.Fatal(err)
	}
	f := benchServer(b, b.N, true)
	c := benchDial(b, f, d)
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
