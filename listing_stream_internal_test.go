package ftp

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

// Transcript tests for the streaming listings on the scripted fake server:
// exact commands, lines the server sends that ftptest cannot produce
// (unparsable LIST lines, refused MLSD, odd MLST replies).

// got is one yielded pair, flattened for comparison.
type got struct {
	name, raw string
	typ       EntryType
	err       error
}

func drain(seq func(func(Entry, error) bool)) []got {
	var out []got
	for e, err := range seq {
		out = append(out, got{e.Name, e.Raw, e.Type, err})
	}
	return out
}

func TestListTranscriptUnparsableLine(t *testing.T) {
	data := "total 3\r\n" +
		"-rw-r--r--    1 ftp      ftp             5 Jan 02  2024 ok.txt\r\n" +
		"this is not a listing line\r\n" +
		"\r\n" +
		"drwxr-xr-x    2 ftp      ftp          4096 Jan 02  2024 a dir; x\r\n"
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE A", "200 ascii")
		ln := s.pasv()
		s.expect("LIST some dir")
		dc := s.accept(ln)
		s.send("150 here")
		sendData(t, dc, data)
		s.send("226 done")
		s.reply("NOOP", "200 in step")
	})
	c := dialFake(t, f, nil)
	ctx := ctxT(t)
	out := drain(c.List(ctx, "some dir"))
	if len(out) != 3 {
		t.Fatalf("List yielded %d pairs, want 3: %+v", len(out), out)
	}
	if out[0].name != "ok.txt" || out[0].err != nil || out[0].typ != TypeFile {
		t.Errorf("first = %+v", out[0])
	}
	var pe *ParseError
	if !errors.As(out[1].err, &pe) || !errors.Is(out[1].err, ErrProto) || out[1].raw != "this is not a listing line" || out[1].name != "" {
		t.Errorf("second = %+v, want a *ParseError with the line", out[1])
	}
	if out[2].name != "a dir; x" || out[2].typ != TypeDir || out[2].err != nil {
		t.Errorf("third = %+v", out[2])
	}
	if _, err := c.Noop(ctx); err != nil {
		t.Fatal(err)
	}
	f.wait()
	want := "TYPE A\r\nPASV\r\nLIST some dir\r\nNOOP\r\n"
	if f.received() != want {
		t.Errorf("sent %q, want %q", f.received(), want)
	}
}

func TestMlsdTranscriptFacts(t *testing.T) {
	data := "type=cdir;modify=20240102030405; .\r\n" +
		"type=pdir;modify=20240102030405; ..\r\n" +
		"Type=file;Size=3;Modify=20240102030405;UNIX.mode=0640; name with  spaces;x=y\r\n" +
		"type=dir; ünïcødé\r\n" +
		"size=notanumber; bad\r\n" +
		"\r\n"
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("OPTS MLST type;size;modify;UNIX.mode;", "200 MLST OPTS type;size;modify;UNIX.mode;")
		s.reply("TYPE A", "200 ascii")
		ln := s.pasv()
		s.expect("MLSD /pub")
		dc := s.accept(ln)
		s.send("150 here")
		sendData(t, dc, data)
		s.send("226-Options: none", "226 done")
	})
	c := dialFake(t, f, nil)
	out := drain(c.Mlsd(ctxT(t), "/pub", "type", "size", "modify", "UNIX.mode"))
	if len(out) != 5 {
		t.Fatalf("Mlsd yielded %d pairs, want 5: %+v", len(out), out)
	}
	if out[0].typ != TypeCdir || out[1].typ != TypePdir {
		t.Errorf("cdir/pdir = %+v %+v", out[0], out[1])
	}
	if out[2].name != "name with  spaces;x=y" || out[2].typ != TypeFile || out[2].err != nil {
		t.Errorf("file = %+v", out[2])
	}
	if out[3].name != "ünïcødé" || out[3].typ != TypeDir {
		t.Errorf("dir = %+v", out[3])
	}
	if !errors.Is(out[4].err, ErrProto) || out[4].raw != "size=notanumber; bad" {
		t.Errorf("bad line = %+v", out[4])
	}
	f.wait()
	want := "OPTS MLST type;size;modify;UNIX.mode;\r\nTYPE A\r\nPASV\r\nMLSD /pub\r\n"
	if f.received() != want {
		t.Errorf("sent %q, want %q", f.received(), want)
	}
}

func TestMlsdLazyAndRefused(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("NOOP", "200 first")
		s.reply("TYPE A", "200 ascii")
		ln := s.pasv()
		s.expect("MLSD")
		s.send("550 no such directory")
		ln.Close()
		s.reply("NOOP", "200 in step")
	})
	c := dialFake(t, f, nil)
	ctx := ctxT(t)
	seq := c.Mlsd(ctx, "")
	// Nothing is sent before the loop starts.
	if _, err := c.Noop(ctx); err != nil {
		t.Fatal(err)
	}
	out := drain(seq)
	var e *Error
	if len(out) != 1 || !errors.As(out[0].err, &e) || e.Code != 550 || !errors.Is(out[0].err, ErrPerm) {
		t.Fatalf("Mlsd = %+v, want one 550 error", out)
	}
	if _, err := c.Noop(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestListingFinalReplyError(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE A", "200 ascii")
		ln := s.pasv()
		s.expect("MLSD")
		dc := s.accept(ln)
		s.send("150 here")
		sendData(t, dc, "type=file;size=1; a\r\n")
		s.send("451 local error")
		s.reply("NOOP", "200 in step")
	})
	c := dialFake(t, f, nil)
	ctx := ctxT(t)
	out := drain(c.Mlsd(ctx, ""))
	if len(out) != 2 || out[0].name != "a" || out[0].err != nil || !errors.Is(out[1].err, ErrTemp) || out[1].name != "" {
		t.Fatalf("Mlsd = %+v, want a then a 451 error", out)
	}
	if _, err := c.Noop(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestMlsdIllegalNewlineSendsNothing(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.expectEOF()
	})
	c := dialFake(t, f, nil)
	ctx := ctxT(t)
	for _, seq := range []func(func(Entry, error) bool){
		c.Mlsd(ctx, "ok", "type\r\nDELE x"),
		c.Mlsd(ctx, "a\nb", "type"),
		c.List(ctx, "a\r\nDELE x"),
	} {
		out := drain(seq)
		if len(out) != 1 || !errors.Is(out[0].err, ErrIllegalNewline) {
			t.Errorf("got %+v, want ErrIllegalNewline", out)
		}
	}
	c.Close()
	f.wait()
	if f.received() != "" {
		t.Errorf("sent %q, want nothing", f.received())
	}
}

func TestMlstReplies(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("MLST a b", "250-Listing a b", " type=file;size=3;modify=20240102030405; /x/a b", "250 End")
		s.reply("MLST", "250-Listing", "  /factless", "250 End")
		s.reply("MLST gone", "550 No such file or directory.")
		s.reply("MLST odd", "250 no entry at all")
		s.reply("MLST bad", "250-Listing", " size=x; bad", "250 End")
		s.reply("MLST file.xml", "250-MLST listing for file.xml",
			"    size=892;type=file;create=20230504151245;modify=20230622143434; file.xml", "250 MLST end")
	})
	c := dialFake(t, f, nil)
	ctx := ctxT(t)
	e, err := c.Mlst(ctx, "a b")
	if err != nil || e.Name != "/x/a b" || e.Type != TypeFile || e.Size != 3 || e.ModTime.Year() != 2024 {
		t.Errorf("Mlst = %+v, %v", e, err)
	}
	e, err = c.Mlst(ctx, "")
	if err != nil || e.Name != "/factless" || e.Type != TypeOther {
		t.Errorf("Mlst factless = %+v, %v", e, err)
	}
	if _, err := c.Mlst(ctx, "gone"); !errors.Is(err, ErrPerm) {
		t.Errorf("Mlst gone = %v", err)
	}
	if _, err := c.Mlst(ctx, "odd"); !errors.Is(err, ErrProto) {
		t.Errorf("Mlst odd = %v, want ErrProto", err)
	}
	var pe *ParseError
	if _, err := c.Mlst(ctx, "bad"); !errors.As(err, &pe) {
		t.Errorf("Mlst bad = %v, want *ParseError", err)
	}
	e, err = c.Mlst(ctx, "file.xml")
	if err != nil || e.Name != "file.xml" || e.Type != TypeFile || e.Size != 892 || e.ModTime.Year() != 2023 {
		t.Errorf("Mlst with four spaces before the facts = %+v, %v", e, err)
	}
}

// TestReadDirFallbacks: FEAT lists MLST but MLSD is unknown (500) → LIST,
// remembered; a LIST with an unparsable line gives the good entries and
// an error; a stat without MLST lists the parent.
func TestReadDirFallbacks(t *testing.T) {
	list := "-rw-r--r--    1 ftp      ftp             5 Jan 02  2024 b\r\n" +
		"garbage\r\n" +
		"drwxr-xr-x    2 ftp      ftp          4096 Jan 02  2024 .\r\n" +
		"-rw-r--r--    1 ftp      ftp             7 Jan 02  2024 a\r\n"
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("FEAT", "211-Features:", " MLST type*;size*;", " SIZE", "211 End")
		s.reply("TYPE A", "200 ascii")
		ln := s.pasv()
		s.expect("MLSD d")
		s.send("500 Unknown command.")
		ln.Close()
		ln = s.pasv()
		s.expect("LIST d")
		dc := s.accept(ln)
		s.send("150 here")
		sendData(t, dc, list)
		s.send("226 done")
		// Second ReadDir: no FEAT, no MLSD.
		ln = s.pasv()
		s.expect("LIST d")
		dc = s.accept(ln)
		s.send("150 here")
		sendData(t, dc, list)
		s.send("226 done")
		// Walk of a file through LIST of its parent.
		ln = s.pasv()
		s.expect("LIST d")
		dc = s.accept(ln)
		s.send("150 here")
		sendData(t, dc, list)
		s.send("226 done")
	})
	c := dialFake(t, f, nil)
	ctx := ctxT(t)
	for i := 0; i < 2; i++ {
		entries, err := c.ReadDir(ctx, "d")
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line != "garbage" || !strings.Contains(err.Error(), "1 unparsable lines") {
			t.Errorf("ReadDir err = %v, want the ParseError", err)
		}
		if len(entries) != 2 || entries[0].Name != "a" || entries[1].Name != "b" {
			t.Errorf("ReadDir = %+v, want a, b sorted without .", entries)
		}
	}
	var seen []string
	err := c.Walk(ctx, "d/a", func(p string, e Entry, err error) error {
		seen = append(seen, p)
		if err != nil || e.Name != "a" || e.Size != 7 {
			t.Errorf("walk %s: %+v, %v", p, e, err)
		}
		return nil
	})
	if err != nil || strings.Join(seen, ",") != "d/a" {
		t.Errorf("Walk = %q, %v", seen, err)
	}
	f.wait()
}

func TestStatNotExist(t *testing.T) {
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("FEAT", "211-Features:", " MLST type*;", "211 End")
		s.reply("MLST nope", "550 No such file or directory.")
	})
	c := dialFake(t, f, nil)
	_, err := c.stat(ctxT(t), "nope")
	var e *Error
	if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &e) || e.Code != 550 {
		t.Errorf("stat = %v, want ErrNotExist and the 550", err)
	}
}

func TestSplitPath(t *testing.T) {
	for _, tc := range []struct{ in, dir, base string }{
		{"", "", "."},
		{"/", "/", "/"},
		{"//", "/", "/"},
		{"a", "", "a"},
		{"/a", "/", "a"},
		{"a/b", "a", "b"},
		{"/a/b/", "/a", "b"},
		{"a b/c d", "a b", "c d"},
		{".", "", "."},
	} {
		dir, base := splitPath(tc.in)
		if dir != tc.dir || base != tc.base {
			t.Errorf("splitPath(%q) = %q, %q; want %q, %q", tc.in, dir, base, tc.dir, tc.base)
		}
	}
}

// TestListTranscriptVMS: an OpenVMS listing through Conn.List, with an
// entry printed on two lines joined, a name-only line that is not
// continued, and one at the end of the listing, both yielded as errors.
func TestListTranscriptVMS(t *testing.T) {
	data := "\r\nDirectory DISK$USER:[SMITH]\r\n\r\n" +
		"A_VERY_LONG_FILE_NAME_THAT_DOES_NOT_FIT.DATA;3\r\n" +
		"                       5/6         1-JAN-2020 12:00:00  [GROUP,OWNER]  (RWED,RWED,RE,)\r\n" +
		"ALONE.TXT;1\r\n" +
		"DATA.DIR;1             1/3         2-FEB-2021 09:30     [SYSTEM]       (RWE,RWE,RE,E)\r\n" +
		"\r\nTotal of 2 files, 6/9 blocks.\r\n" +
		"LAST.TXT;2\r\n"
	f := newFake(t, func(s *session) {
		s.send("220 hi")
		s.reply("TYPE A", "200 ascii")
		ln := s.pasv()
		s.expect("LIST")
		dc := s.accept(ln)
		s.send("150 here")
		sendData(t, dc, data)
		s.send("226 done")
	})
	c := dialFake(t, f, nil)
	out := drain(c.List(ctxT(t), ""))
	if len(out) != 4 {
		t.Fatalf("List yielded %d pairs, want 4: %+v", len(out), out)
	}
	joined := "A_VERY_LONG_FILE_NAME_THAT_DOES_NOT_FIT.DATA;3 5/6         1-JAN-2020 12:00:00  [GROUP,OWNER]  (RWED,RWED,RE,)"
	if out[0].name != "A_VERY_LONG_FILE_NAME_THAT_DOES_NOT_FIT.DATA;3" || out[0].raw != joined || out[0].typ != TypeFile || out[0].err != nil {
		t.Errorf("first = %+v", out[0])
	}
	var pe *ParseError
	if !errors.As(out[1].err, &pe) || out[1].raw != "ALONE.TXT;1" || pe.Format != "VMS" {
		t.Errorf("second = %+v, want a *ParseError for the lone name", out[1])
	}
	if out[2].name != "DATA" || out[2].typ != TypeDir || out[2].err != nil {
		t.Errorf("third = %+v", out[2])
	}
	if !errors.As(out[3].err, &pe) || out[3].raw != "LAST.TXT;2" {
		t.Errorf("fourth = %+v, want a *ParseError for the lone name at the end", out[3])
	}
	f.wait()
}
