package ftp_test

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ftplib-go/ftp"
	"github.com/ftplib-go/ftp/ftptest"
)

// bigFile returns n bytes of a pattern whose period (a prime) is not a
// multiple of any buffer size, so that a restart at a wrong offset shows.
func bigFile(n int) []byte {
	period := make([]byte, 65521)
	for i := range period {
		period[i] = byte(i*7 + i>>8)
	}
	return bytes.Repeat(period, n/len(period)+1)[:n]
}

// allocDuring returns the bytes allocated (by the whole process) while f
// runs.
func allocDuring(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestFSInterleaveBounded: an FS operation made while a large file is
// half read does not read the rest of it into memory: the download is
// aborted and the file goes on later with REST, byte for byte.
func TestFSInterleaveBounded(t *testing.T) {
	for _, size := range []int{4 << 20, 16 << 20} {
		t.Run(strconv.Itoa(size>>20)+"MiB", func(t *testing.T) {
			srv := newListServer(t)
			data := bigFile(size)
			if err := srv.WriteFile("big.bin", data); err != nil {
				t.Fatal(err)
			}
			if err := srv.WriteFile("small.txt", []byte("small")); err != nil {
				t.Fatal(err)
			}
			c := listLogin(t, srv)
			fsys := c.FS(testCtx(t))
			f, err := fsys.Open("big.bin")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			head := make([]byte, 1000)
			if _, err := io.ReadFull(f, head); err != nil {
				t.Fatal(err)
			}
			var serr error
			alloc := allocDuring(func() { _, serr = fs.Stat(fsys, "small.txt") })
			if serr != nil {
				t.Fatal(serr)
			}
			// The bound is the spill buffer (256 KiB) and the
			// exchange's small change, not the file.
			if alloc > 1<<20 {
				t.Errorf("Stat during a half-read %d-byte file allocated %d bytes", size, alloc)
			}
			if !slices.Contains(srv.Commands(), "ABOR") {
				t.Errorf("the download was not aborted: %q", srv.Commands())
			}
			rest, err := io.ReadAll(f)
			if err != nil {
				t.Fatalf("reading the rest: %v", err)
			}
			if !bytes.Equal(append(head, rest...), data) {
				t.Fatalf("file read back differs (%d bytes, want %d)", len(head)+len(rest), len(data))
			}
			var rest0 string
			for _, cmd := range srv.Commands() {
				if strings.HasPrefix(cmd, "REST ") {
					rest0 = cmd
				}
			}
			if n, _ := strconv.Atoi(strings.TrimPrefix(rest0, "REST ")); n <= 1000 || n >= size {
				t.Errorf("restart %q, want REST past what was kept", rest0)
			}
		})
	}
}

// TestFSInterleaveSmallRest: a file whose rest fits the spill buffer is
// kept in memory and its download ended normally (no ABOR, no REST).
func TestFSInterleaveSmallRest(t *testing.T) {
	srv := newListServer(t)
	data := bigFile(200 << 10)
	if err := srv.WriteFile("mid.bin", data); err != nil {
		t.Fatal(err)
	}
	c := listLogin(t, srv)
	fsys := c.FS(testCtx(t))
	f, err := fsys.Open("mid.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	head := make([]byte, 10)
	if _, err := io.ReadFull(f, head); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat(fsys, "."); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(append(head, rest...), data) {
		t.Fatalf("read back %d bytes, %v", len(head)+len(rest), err)
	}
	for _, cmd := range srv.Commands() {
		if cmd == "ABOR" || strings.HasPrefix(cmd, "REST") {
			t.Errorf("unexpected %q: %q", cmd, srv.Commands())
		}
	}
}

// BenchmarkFSInterleave opens a file, reads 1 KiB, makes another FS call
// (which must take the Conn from the download) and closes the file. Its
// B/op stays the same whatever the file's size.
func BenchmarkFSInterleave(b *testing.B) {
	for _, size := range []int{1 << 20, 16 << 20, 64 << 20} {
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) {
			srv := ftptest.NewServer()
			b.Cleanup(srv.Close)
			if err := srv.WriteFile("big.bin", bigFile(size)); err != nil {
				b.Fatal(err)
			}
			c := listLogin(b, srv)
			fsys := c.FS(testCtx(b))
			buf := make([]byte, 1024)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				f, err := fsys.Open("big.bin")
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(f, buf); err != nil {
					b.Fatal(err)
				}
				if _, err := fs.Stat(fsys, "."); err != nil {
					b.Fatal(err)
				}
				if err := f.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

var _ = ftp.ErrBusy
