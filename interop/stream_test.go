package interop

// The rows that use the streaming listings (Mlsd, Mlst, List, ReadDir).
// TODO(liststream): until Conn.Mlsd, Mlst, List and ReadDir are merged,
// MLSD and MLST go through RetrLines/SendCmd and ParseMLSx, and the other
// rows are TODO.

import (
	"context"
	"errors"
	"path"
	"strings"
	"testing"

	"github.com/ftplib-go/ftp"
)

const noStream = "Conn.List/Mlsd/ReadDir not merged yet (liststream)"

func opListStream(t *testing.T, s *server, r *rec) { todo(t, noStream) }

func opReadDir(t *testing.T, s *server, r *rec) { todo(t, noStream) }

func opListBreak(t *testing.T, s *server, r *rec) { todo(t, noStream) }

// mlsdLines runs MLSD through RetrLines and parses each line.
func mlsdLines(ctx context.Context, c *ftp.Conn, dir string) ([]ftp.Entry, error) {
	var ents []ftp.Entry
	var perr error
	_, err := c.RetrLines(ctx, "MLSD "+dir, func(line string) error {
		e, err := ftp.ParseMLSx(line)
		if errors.Is(err, ftp.ErrNotEntry) {
			return nil
		}
		if err != nil && perr == nil {
			perr = err
		}
		ents = append(ents, e)
		return nil
	})
	if err == nil {
		err = perr
	}
	return ents, err
}

func opMlsd(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.connect(t, ctx, nil)
	ents, err := mlsdLines(ctx, c, "tree")
	if !s.mlsd {
		wantReplyErr(t, "MLSD", err, ftp.ErrPerm, 500)
		r.Note("refused as expected (§11): %v", err)
		if _, err := c.Noop(ctx); err != nil {
			t.Errorf("NOOP after the refused MLSD: %v", err)
		}
		return
	}
	if err != nil {
		t.Fatalf("MLSD tree: %v", err)
	}
	checkMLSD(t, s, ents)
}

func opMlst(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.connect(t, ctx, nil)
	resp, err := c.SendCmd(ctx, "MLST tree/f003.txt")
	if !s.mlsd {
		wantReplyErr(t, "MLST", err, ftp.ErrPerm, 500)
		r.Note("refused as expected (§11): %v", err)
		return
	}
	if err != nil {
		t.Fatalf("MLST: %v", err)
	}
	lines := strings.Split(resp, "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "250-") || !strings.HasPrefix(lines[2], "250") {
		t.Fatalf("MLST reply %q, want 3 lines of 250", resp)
	}
	e, err := ftp.ParseMLSx(lines[1])
	if err != nil {
		t.Fatalf("MLST entry %q: %v", lines[1], err)
	}
	if path.Base(e.Name) != "f003.txt" || e.Type != ftp.TypeFile || e.Size != 10 || !e.ModTime.Equal(seedTime) {
		t.Errorf("MLST entry %+v", e)
	}
}
