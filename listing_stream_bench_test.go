package ftp

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
)

// streamServer is a minimal FTP server for the listing benchmarks: it
// generates each listing line by line into one reused buffer, allocating
// nothing per entry, so that the bytes/op of a benchmark are the client's.
func streamServer(b *testing.B, n int) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Skip(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		br := bufio.NewReader(nc)
		fmt.Fprintf(nc, "220 bench\r\n")
		var dl net.Listener
		buf := make([]byte, 0, 64<<10)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			verb, _, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
			switch verb {
			case "PASV":
				dl, err = net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					return
				}
				p := dl.Addr().(*net.TCPAddr).Port
				fmt.Fprintf(nc, "227 Entering Passive Mode (127,0,0,1,%d,%d).\r\n", p>>8, p&0xff)
			case "MLSD", "LIST":
				dc, err := dl.Accept()
				dl.Close()
				if err != nil {
					return
				}
				fmt.Fprintf(nc, "150 here\r\n")
				prefix := "type=file;size=1234;modify=20240102030405;perm=adfrw; file-"
				if verb == "LIST" {
					prefix = "-rw-r--r--    1 ftp      ftp          1234 Jan 02  2024 file-"
				}
				for i := range n {
					buf = append(buf, prefix...)
					buf = strconv.AppendInt(buf, int64(i), 10)
					buf = append(buf, ".dat\r\n"...)
					if len(buf) > cap(buf)-200 || i == n-1 {
						if _, err := dc.Write(buf); err != nil {
							break
						}
						buf = buf[:0]
					}
				}
				dc.Close()
				fmt.Fprintf(nc, "226 done\r\n")
			default:
				fmt.Fprintf(nc, "200 ok\r\n")
			}
		}
	}()
	return ln.Addr().String()
}

// benchStream lists n entries per op; bytes/op are the client's alone
// (the server allocates nothing per entry), so B/entry is what one entry
// costs the client while it is yielded, not what the listing holds.
func benchStream(b *testing.B, n int, mlsd bool) {
	addr := streamServer(b, n)
	ctx := context.Background()
	c, err := Dial(ctx, addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		seq := c.List(ctx, "")
		if mlsd {
			seq = c.Mlsd(ctx, "")
		}
		count := 0
		for _, err := range seq {
			if err != nil {
				b.Fatal(err)
			}
			count++
		}
		if count != n {
			b.Fatalf("%d entries, want %d", count, n)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(n), "entries/op")
}

func BenchmarkMlsdStream(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) { benchStream(b, n, true) })
	}
}

func BenchmarkListStream(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) { benchStream(b, n, false) })
	}
}
