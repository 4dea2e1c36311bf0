package ftp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// FuzzModTimesReplies feeds arbitrary reply streams to ModTimes (SendCmds
// pipelining n MDTMs): fn is called for the commands in order, each at
// most once; every file gets a time or an error; an error of the call
// marks the Conn broken and is the error of every file left unanswered;
// a file's own error is an *Error naming its command; and a reply stream
// that ends before every command is answered is such a failure.
func FuzzModTimesReplies(f *testing.F) {
	for _, s := range []string{
		"213 20240102030405\r\n213 20240102030406\r\n",
		"213 20240102030405\r\n150 wait\r\n213 20240102030406\r\n",
		"550 no\r\n213-x\r\n213 y\r\n421 bye\r\n",
		"garbage\r\n213 1\r\n",
		"213 20240102030405.123\r\n",
		"",
	} {
		f.Add([]byte(s), uint8(2))
	}
	f.Fuzz(func(t *testing.T, data []byte, n uint8) {
		names := make([]string, int(n%8)+1)
		for i := range names {
			names[i] = fmt.Sprintf("f%d", i)
		}
		c := replyConn(data, 64, UTF8)
		times, errs, err := c.ModTimes(context.Background(), names)
		if len(times) != len(names) || len(errs) != len(names) {
			t.Fatalf("%d times, %d errors for %d files", len(times), len(errs), len(names))
		}
		c.mu.Lock()
		broken := c.broken
		c.mu.Unlock()
		if (err != nil) != (broken != nil) {
			t.Fatalf("error %v, broken %v", err, broken)
		}
		if err != nil {
			if !errors.Is(err, errs[len(errs)-1]) {
				t.Fatalf("the last file's error %v is not the call's %v", errs[len(errs)-1], err)
			}
			return
		}
		for i, e := range errs {
			if e == nil {
				if times[i].IsZero() {
					t.Fatalf("file %d: no time and no error", i)
				}
				continue
			}
			var fe *Error
			if !errors.As(e, &fe) || fe.Cmd != "MDTM "+names[i] {
				t.Fatalf("file %d: error %v, want an *Error for MDTM %s", i, e, names[i])
			}
			if strings.HasPrefix(fe.Msg, "1") {
				t.Fatalf("file %d: a 1xx reply %q did not break the Conn", i, fe.Msg)
			}
		}
	})
}
