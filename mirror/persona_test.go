package mirror_test

import (
	"context"
	"testing"

	"github.com/ftplib-go/ftp/ftptest"
	"github.com/ftplib-go/ftp/mirror"
)

// A mirror from a server that lists IIS-style (no MLSD: sizes and minutes
// from LIST), needs PRET before PASV, and announces a private address in
// its 227 replies, through the batched downloads; then a second run that
// finds everything up to date.
func TestDownloadPersonalities(t *testing.T) {
	srv := ftptest.NewUnstartedServer()
	srv.Personality = ftptest.Personality{IIS: true, RequirePRET: true, NATAddress: "10.1.2.3"}
	srv.Start()
	t.Cleanup(srv.Close)
	for p, data := range tree {
		if err := srv.WriteFile(p, []byte(data)); err != nil {
			t.Fatal(err)
		}
		if err := srv.SetModTime(p, mtimeOf(p)); err != nil {
			t.Fatal(err)
		}
	}
	c := client(t, srv)
	dir := t.TempDir()
	ctx := context.Background()
	res, err := mirror.Download(ctx, c, "/", dir, mirror.Options{})
	if err != nil || len(res.Failed) > 0 {
		t.Fatalf("Download: %v %+v", err, res.Failed)
	}
	checkLocal(t, dir, tree, false)
	if len(res.Transferred) != len(tree) {
		t.Errorf("transferred %d files, want %d", len(res.Transferred), len(tree))
	}
	res, err = mirror.Download(ctx, c, "/", dir, mirror.Options{})
	if err != nil || len(res.Transferred) != 0 || len(res.Skipped) != len(tree) {
		t.Fatalf("second Download: %v, transferred %q, skipped %d", err, res.Transferred, len(res.Skipped))
	}
	if n := countVerb(srv.Commands(), "MLSD"); n != 0 {
		t.Errorf("%d MLSD sent to IIS", n)
	}
}

func countVerb(cmds []string, verb string) int {
	n := 0
	for _, c := range cmds {
		if len(c) >= len(verb) && c[:len(verb)] == verb {
			n++
		}
	}
	return n
}
