package ftp_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// docPackages are the directories, relative to the module root, of the
// library's public packages: every exported name in their non-test files
// must carry a doc comment. cmd/ and internal/ packages are not API.
var docPackages = []string{".", "ftptest", "mirror", "interop"}

// TestExportedNamesHaveDocs fails for every exported identifier of the
// library packages declared without a doc comment: top-level types, funcs,
// consts and vars, methods on exported types, exported fields of exported
// structs and methods of exported interfaces. A const or var in a
// parenthesised group may rely on the group's comment; a field or a value
// may use a trailing line comment instead.
func TestExportedNamesHaveDocs(t *testing.T) {
	var missing []string
	for _, dir := range docPackages {
		missing = append(missing, undocumented(t, dir)...)
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("no doc comment: %s", m)
	}
}

// TestUndocumentedFinds checks the checker itself on a small source: it
// must report exactly the names left without a comment.
func TestUndocumentedFinds(t *testing.T) {
	src := `package p

// T is documented.
type T struct {
	// A is documented.
	A int
	B int // B is documented by its line comment.
	C int
	d int
	// E and F are documented together.
	E int
	F int
	// G is documented, but not H.
	G int
	Hh int
}

type U int

// F is documented.
func F() {}

// Documents W badly.
func W() {}

func G() {}

func (T) M() {}

// N is documented.
func (*T) N() {}

func (u) X() {}

type u int

// Group doc.
const (
	K1 = 1
	K2 = 2
)

var V = 1

// I is documented.
type I interface {
	Do()
}
`
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	got := undocumented(t, dir)
	for i := range got {
		got[i] = got[i][strings.Index(got[i], " ")+1:] // drop file:line
	}
	sort.Strings(got)
	want := []string{"func G", "func T.M", "interface method I.Do", "field T.C", "field T.Hh", "func W (doc does not start with its name)", "type U", "var V"}
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("undocumented = %q, want %q", got, want)
	}
}

// undocumented parses the non-test Go files of dir and returns one
// "file:line kind name" entry per exported name without a doc comment.
func undocumented(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var out []string
	report := func(pos token.Pos, what string) {
		p := fset.Position(pos)
		out = append(out, filepath.ToSlash(filepath.Join(dir, filepath.Base(p.Filename)))+":"+strconv.Itoa(p.Line)+" "+what)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		if f.Name.Name == "main" {
			continue
		}
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				what := "func " + d.Name.Name
				if d.Recv != nil {
					recv := recvTypeName(d.Recv.List[0].Type)
					if !ast.IsExported(recv) {
						continue
					}
					what = "func " + recv + "." + d.Name.Name
				}
				if !hasText(d.Doc) {
					report(d.Pos(), what)
				} else if !startsWithName(d.Doc, d.Name.Name) {
					report(d.Pos(), what+" (doc does not start with its name)")
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch s := spec.(type) {
					case *ast.TypeSpec:
						if !s.Name.IsExported() {
							continue
						}
						doc := s.Doc
						if !hasText(doc) && len(d.Specs) == 1 {
							doc = d.Doc
						}
						if !hasText(doc) {
							report(s.Pos(), "type "+s.Name.Name)
						} else if !startsWithName(doc, s.Name.Name) {
							report(s.Pos(), "type "+s.Name.Name+" (doc does not start with its name)")
						}
						checkMembers(s, report)
					case *ast.ValueSpec:
						documented := hasText(s.Doc) || hasText(s.Comment) || hasText(d.Doc)
						for _, n := range s.Names {
							if n.IsExported() && !documented {
								report(n.Pos(), d.Tok.String()+" "+n.Name)
							}
						}
					}
				}
			}
		}
	}
	return out
}

// checkMembers reports the exported fields of an exported struct type and
// the methods of an exported interface type that have no comment.
func checkMembers(s *ast.TypeSpec, report func(token.Pos, string)) {
	var list *ast.FieldList
	kind := "field "
	switch ty := s.Type.(type) {
	case *ast.StructType:
		list = ty.Fields
	case *ast.InterfaceType:
		list, kind = ty.Methods, "interface method "
	default:
		return
	}
	var prev *ast.Field
	for _, fld := range list.List {
		shared := sharesDoc(prev, fld)
		prev = fld
		if hasText(fld.Doc) || hasText(fld.Comment) || shared {
			continue
		}
		for _, n := range fld.Names {
			if n.IsExported() {
				report(n.Pos(), kind+s.Name.Name+"."+n.Name)
			}
		}
	}
}

// sharesDoc reports whether fld, declared without a comment, is covered by
// the doc comment of prev, the field declared just before it: "A and B
// are ..." documents both A and B when the comment names each of fld's
// names as a word.
func sharesDoc(prev, fld *ast.Field) bool {
	if prev == nil || !hasText(prev.Doc) || len(fld.Names) == 0 {
		return false
	}
	text := prev.Doc.Text()
	for _, n := range fld.Names {
		found := false
		for _, w := range strings.FieldsFunc(text, func(r rune) bool {
			return !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
		}) {
			if w == n.Name {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// recvTypeName is the name of a method receiver's base type: T for T, *T,
// T[P] and *T[P].
func recvTypeName(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.StarExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.ParenExpr:
			e = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}

// startsWithName reports whether the doc comment doc starts with name, as
// Go doc comments do ("Dial connects ...", "A Conn is ..."): an article
// may come first, and a deprecation notice is accepted as it is.
func startsWithName(doc *ast.CommentGroup, name string) bool {
	words := strings.Fields(doc.Text())
	if len(words) > 1 && (words[0] == "A" || words[0] == "An" || words[0] == "The") {
		words = words[1:]
	}
	if len(words) == 0 {
		return false
	}
	w := strings.TrimRight(words[0], ".,:;")
	return w == name || strings.HasPrefix(words[0], "Deprecated:")
}

// hasText reports whether a comment group holds any text.
func hasText(g *ast.CommentGroup) bool {
	return g != nil && strings.TrimSpace(g.Text()) != ""
}
