package interop

// The rows that use the streaming listings (Mlsd, Mlst, List, ReadDir).

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ftplib-go/ftp"
)

func opListStream(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.connect(t, ctx, nil)
	ents := listEntries(t, ctx, c, "tree")
	// The streaming form gives the entries Dir and ParseList give.
	var names []string
	for e, err := range c.List(ctx, "tree") {
		if err != nil {
			t.Fatalf("List tree: %v", err)
		}
		if !reflect.DeepEqual(e, ents[e.Name]) {
			t.Errorf("List entry %+v, Dir+ParseList gave %+v", e, ents[e.Name])
		}
		names = append(names, e.Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, treeNames) {
		t.Errorf("List tree = %q, want %q", names, treeNames)
	}
}

func opMlsd(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.connect(t, ctx, nil)
	var ents []ftp.Entry
	var err error
	for e, eerr := range c.Mlsd(ctx, "tree") {
		if eerr != nil {
			err = eerr
			break
		}
		ents = append(ents, e)
	}
	if !s.mlsd {
		wantReplyErr(t, "MLSD", err, ftp.ErrPerm, s.unknown())
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
	e, err := c.Mlst(ctx, "tree/f003.txt")
	if !s.mlsd {
		wantReplyErr(t, "MLST", err, ftp.ErrPerm, s.unknown())
		r.Note("refused as expected (§11): %v", err)
		return
	}
	if err != nil {
		t.Fatalf("MLST: %v", err)
	}
	if path.Base(e.Name) != "f003.txt" || e.Type != ftp.TypeFile || e.Size != 10 || !e.ModTime.Equal(seedTime) {
		t.Errorf("MLST entry %+v", e)
	}
	d, err := c.Mlst(ctx, "tree")
	if err != nil || d.Type != ftp.TypeDir {
		t.Errorf("MLST tree = %+v, %v; want a dir", d, err)
	}
	_, err = c.Mlst(ctx, "nosuch")
	wantReplyErr(t, "MLST of a missing file", err, ftp.ErrPerm, 550)
}

func opReadDir(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.connect(t, ctx, nil)
	ents, err := c.ReadDir(ctx, "tree")
	if err != nil {
		t.Fatalf("ReadDir tree: %v", err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name)
		if e.IsDir() != strings.HasPrefix(e.Name, "sub-") {
			t.Errorf("%s: type %v", e.Name, e.Type)
		}
		if !e.IsDir() && e.Size != 10 {
			t.Errorf("%s: size %d, want 10", e.Name, e.Size)
		}
		if got := e.Facts != nil; got != s.mlsd {
			t.Errorf("%s: MLSD facts present %v, want %v (%q)", e.Name, got, s.mlsd, e.Raw)
		}
	}
	if !slices.Equal(names, treeNames) {
		t.Errorf("ReadDir tree = %q, want %q", names, treeNames)
	}
	if !s.mlsd {
		r.Note("no MLST in FEAT: listed with LIST")
	}
	ents, err = c.ReadDir(ctx, "nosuch")
	if s.listMissing == lsENOENT {
		if !errors.Is(err, fs.ErrNotExist) || len(ents) != 0 {
			t.Errorf("ReadDir of a missing directory = %d entries, %v; want an error matching fs.ErrNotExist", len(ents), err)
		}
		r.Note("LIST of a missing directory: ls's message as the listing, with 226: %v", err)
	} else if s.listMissing == 0 {
		if err != nil || len(ents) != 0 {
			t.Errorf("ReadDir of a missing directory = %d entries, %v; want an empty listing", len(ents), err)
		}
		r.Note("a missing directory lists as empty (LIST gives 226)")
	} else {
		wantReplyErr(t, "ReadDir of a missing directory", err, map[bool]error{true: ftp.ErrTemp, false: ftp.ErrPerm}[s.listMissing < 500], s.listMissing)
	}
	if _, err := c.Noop(ctx); err != nil {
		t.Errorf("NOOP after ReadDir: %v", err)
	}
}

// opListBreak leaves List and Mlsd loops after the first entry of a big
// directory: the transfer is aborted and the connection stays usable.
// pure-ftpd and proftpd then send the unsent rest of the aborted LIST at
// the start of the next listing's data: the stale lines are counted and
// noted.
func opListBreak(t *testing.T, s *server, r *rec) {
	ctx := within(t)
	c := s.connect(t, ctx, nil)
	dir := s.mkScratch(t, ctx, c, "brk")
	// Enough entries that the listing is still being sent at the break.
	for i := 0; i < 2000; i++ {
		f := s.local(join(dir, fmt.Sprintf("entry-with-a-long-name-%04d.txt", i)))
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	kinds := []string{"LIST"}
	if s.mlsd {
		kinds = append(kinds, "MLSD")
	}
	for _, kind := range kinds {
		c := s.connect(t, ctx, nil)
		seq := c.List
		if kind == "MLSD" {
			seq = func(ctx context.Context, p string) iter.Seq2[ftp.Entry, error] { return c.Mlsd(ctx, p) }
		}
		n := 0
		for e, err := range seq(ctx, dir) {
			if err != nil {
				t.Fatalf("%s: %v", kind, err)
			}
			if !strings.HasPrefix(e.Name, "entry-") && e.Type != ftp.TypeCdir && e.Type != ftp.TypePdir {
				t.Errorf("%s: entry %q", kind, e.Raw)
			}
			n++
			break
		}
		if n != 1 {
			t.Errorf("%s: %d entries before the break", kind, n)
		}
		if s.listBreakCloses {
			// The daemon answers 426, writes the rest of its buffer,
			// dies of SIGPIPE: the next command finds the connection
			// gone, or, when it comes before the daemon's last write,
			// is still answered. Either way the session is not to be
			// used again; a reply other than NOOP's, or another error,
			// is a failure.
			reply, err := c.Noop(ctx)
			if err != nil && !errors.Is(err, ftp.ErrClosed) {
				t.Errorf("NOOP after breaking out of %s: %v, want ErrClosed (the server ends the session) or its 200", kind, err)
			}
			if err == nil && !strings.HasPrefix(reply, "200") {
				t.Errorf("NOOP after breaking out of %s: %q, want ErrClosed or a 200", kind, reply)
			}
			r.Note("%s: the server ends the session when the listing is cut (426, then SIGPIPE): NOOP gave %q, %v", kind, reply, err)
			c.Close()
			c = s.connect(t, ctx, nil)
			if kind == "MLSD" {
				seq = func(ctx context.Context, p string) iter.Seq2[ftp.Entry, error] { return c.Mlsd(ctx, p) }
			} else {
				seq = c.List
			}
		} else if _, err := c.Noop(ctx); err != nil {
			t.Fatalf("NOOP after breaking out of %s: %v", kind, err)
		}
		// The next listing on the same connection.
		var names []string
		stale := 0
		for e, err := range seq(ctx, "tree") {
			switch {
			case err == nil && (e.Type == ftp.TypeCdir || e.Type == ftp.TypePdir):
			case err == nil && slices.Contains(treeNames, e.Name):
				names = append(names, e.Name)
			case s.staleListing && len(names) == 0 && strings.HasSuffix(e.Raw, ".txt"):
				stale++ // a line, or the tail of a line, of the aborted listing
			default:
				t.Errorf("%s tree after the break: %+v, %v", kind, e, err)
			}
		}
		slices.Sort(names)
		if !slices.Equal(names, treeNames) {
			t.Errorf("%s tree after the break = %q, want %q", kind, names, treeNames)
		}
		if stale > 0 {
			r.Note("%s: the next listing began with %d stale lines of the aborted one (server bug)", kind, stale)
		}
	}
	ents, err := s.connect(t, ctx, nil).ReadDir(ctx, dir)
	if err != nil || len(ents) != 2000 {
		t.Errorf("ReadDir on a new connection: %d entries, %v", len(ents), err)
	}
}
