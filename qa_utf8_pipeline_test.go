package ftp

import (
	"slices"
	"testing"
	"time"

	"github.com/ftplib-go/ftp/ftptest"
)

// TestQAModTimesNonASCIIGetsOptsUTF8: a pipelined MDTM of a name that is
// not ASCII, as the first command holding one, gets FEAT and OPTS UTF8 ON
// first, as SendCmd would: a server in a legacy character set until then
// would not find the file.
func TestQAModTimesNonASCIIGetsOptsUTF8(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t)
	tree := map[string]string{"a.txt": "a", "ü.txt": "umlaut"}
	srv := personaServer(t, ftptest.Personality{LegacyCharset: true}, tree, time.Now())
	c := personaConn(t, ctx, srv, nil)
	_, errs, err := c.ModTimes(ctx, []string{"a.txt", "ü.txt"})
	if err != nil || errs[0] != nil || errs[1] != nil {
		t.Fatalf("ModTimes: %v, %v", err, errs)
	}
	want := []string{"FEAT", "OPTS UTF8 ON", "MDTM a.txt"}
	if got := featCmds(srv.Commands()); !slices.Equal(got[:min(3, len(got))], want) {
		t.Errorf("commands %q, want %q first", got, want)
	}
}
