package ftptest

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// tree is the file tree a Server serves. Every name is a clean absolute
// virtual path ("/", "/a/b"), as produced by vpath.
type tree interface {
	Stat(name string) (fs.FileInfo, error)
	ReadDir(name string) ([]fs.FileInfo, error) // sorted by name
	Open(name string, offset int64) (io.ReadCloser, error)
	Create(name string, how createMode, offset int64) (io.WriteCloser, error)
	Mkdir(name string) error
	Remove(name string) error // a file
	Rmdir(name string) error  // an empty directory
	Rename(from, to string) error
	Chtimes(name string, t time.Time) error
}

type createMode int

const (
	createTrunc  createMode = iota // keep the first offset bytes, replace the rest
	createAppend                   // append to the end
	createExcl                     // fail if the name exists
)

// vpath resolves arg against the working directory cwd. The result is a
// clean absolute path: ".." at the root stays at the root, so no argument
// can name anything outside the tree.
func vpath(cwd, arg string) string {
	if !strings.HasPrefix(arg, "/") {
		arg = cwd + "/" + arg
	}
	return path.Clean(arg)
}

// memTree is the in-memory tree: one map entry per file or directory.
type memTree struct {
	mu    sync.RWMutex
	nodes map[string]*memNode
}

type memNode struct {
	dir  bool
	data []byte // never modified in place: writers replace it
	mod  time.Time
}

func newMemTree() *memTree {
	return &memTree{nodes: map[string]*memNode{"/": {dir: true, mod: time.Now()}}}
}

type memInfo struct {
	name string
	n    memNode
}

func (i memInfo) Name() string       { return i.name }
func (i memInfo) Size() int64        { return int64(len(i.n.data)) }
func (i memInfo) ModTime() time.Time { return i.n.mod }
func (i memInfo) IsDir() bool        { return i.n.dir }
func (i memInfo) Sys() any           { return nil }
func (i memInfo) Mode() fs.FileMode {
	if i.n.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}

func pathErr(op, name string, err error) error {
	return &fs.PathError{Op: op, Path: name, Err: err}
}

func (t *memTree) Stat(name string) (fs.FileInfo, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := t.nodes[name]
	if n == nil {
		return nil, pathErr("stat", name, fs.ErrNotExist)
	}
	return memInfo{path.Base(name), *n}, nil
}

// children returns the names directly below dir, unsorted. t.mu is held.
func (t *memTree) children(dir string) []string {
	prefix := dir + "/"
	if dir == "/" {
		prefix = "/"
	}
	var names []string
	for p := range t.nodes {
		if p != "/" && strings.HasPrefix(p, prefix) && !strings.Contains(p[len(prefix):], "/") {
			names = append(names, p)
		}
	}
	return names
}

func (t *memTree) ReadDir(name string) ([]fs.FileInfo, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := t.nodes[name]
	if n == nil {
		return nil, pathErr("readdir", name, fs.ErrNotExist)
	}
	if !n.dir {
		return nil, pathErr("readdir", name, errors.New("not a directory"))
	}
	var infos []fs.FileInfo
	for _, p := range t.children(name) {
		infos = append(infos, memInfo{path.Base(p), *t.nodes[p]})
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].Name() < infos[j].Name() })
	return infos, nil
}

func (t *memTree) Open(name string, offset int64) (io.ReadCloser, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := t.nodes[name]
	if n == nil {
		return nil, pathErr("open", name, fs.ErrNotExist)
	}
	if n.dir {
		return nil, pathErr("open", name, errors.New("is a directory"))
	}
	data := n.data
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	return io.NopCloser(bytes.NewReader(data[offset:])), nil
}

// parentDir reports whether the parent of name exists and is a directory.
// t.mu is held.
func (t *memTree) parentDir(name string) bool {
	p := t.nodes[path.Dir(name)]
	return p != nil && p.dir
}

func (t *memTree) Create(name string, how createMode, offset int64) (io.WriteCloser, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if name == "/" || !t.parentDir(name) {
		return nil, pathErr("create", name, fs.ErrNotExist)
	}
	n := t.nodes[name]
	switch {
	case n != nil && n.dir:
		return nil, pathErr("create", name, errors.New("is a directory"))
	case n != nil && how == createExcl:
		return nil, pathErr("create", name, fs.ErrExist)
	case how == createTrunc && offset > 0 && (n == nil || offset > int64(len(n.data))):
		return nil, pathErr("create", name, errors.New("restart offset beyond end of file"))
	}
	if n == nil {
		// The file exists (empty) from now on, as on a disk.
		t.nodes[name] = &memNode{mod: time.Now()}
	}
	return &memWriter{t: t, name: name, how: how, offset: offset}, nil
}

// memWriter collects an upload and stores it when closed.
type memWriter struct {
	t      *memTree
	name   string
	how    createMode
	offset int64
	buf    bytes.Buffer
}

func (w *memWriter) Write(p []byte) (int, error) { return w.buf.Write(p) }

func (w *memWriter) Close() error {
	w.t.mu.Lock()
	defer w.t.mu.Unlock()
	if !w.t.parentDir(w.name) {
		return pathErr("close", w.name, fs.ErrNotExist)
	}
	n := w.t.nodes[w.name]
	if n == nil || n.dir {
		n = &memNode{}
	}
	var data []byte
	switch w.how {
	case createAppend:
		data = append(append(data, n.data...), w.buf.Bytes()...)
	case createTrunc:
		off := min(w.offset, int64(len(n.data)))
		data = append(append(data, n.data[:off]...), w.buf.Bytes()...)
	default:
		data = append(data, w.buf.Bytes()...)
	}
	w.t.nodes[w.name] = &memNode{data: data, mod: time.Now()}
	return nil
}

func (t *memTree) Mkdir(name string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.nodes[name] != nil {
		return pathErr("mkdir", name, fs.ErrExist)
	}
	if !t.parentDir(name) {
		return pathErr("mkdir", name, fs.ErrNotExist)
	}
	t.nodes[name] = &memNode{dir: true, mod: time.Now()}
	return nil
}

func (t *memTree) Remove(name string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.nodes[name]
	if n == nil {
		return pathErr("remove", name, fs.ErrNotExist)
	}
	if n.dir {
		return pathErr("remove", name, errors.New("is a directory"))
	}
	delete(t.nodes, name)
	return nil
}

func (t *memTree) Rmdir(name string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.nodes[name]
	switch {
	case n == nil:
		return pathErr("rmdir", name, fs.ErrNotExist)
	case !n.dir:
		return pathErr("rmdir", name, errors.New("not a directory"))
	case name == "/" || len(t.children(name)) > 0:
		return pathErr("rmdir", name, errors.New("directory not empty"))
	}
	delete(t.nodes, name)
	return nil
}

func (t *memTree) Rename(from, to string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.nodes[from]
	switch {
	case n == nil:
		return pathErr("rename", from, fs.ErrNotExist)
	case from == "/" || to == "/" || !t.parentDir(to):
		return pathErr("rename", to, fs.ErrInvalid)
	case from == to:
		return nil
	case n.dir && strings.HasPrefix(to, from+"/"):
		return pathErr("rename", to, errors.New("inside the source directory"))
	}
	if old := t.nodes[to]; old != nil && (old.dir || n.dir) {
		return pathErr("rename", to, fs.ErrExist)
	}
	t.nodes[to] = n
	delete(t.nodes, from)
	if n.dir {
		for p, c := range t.nodes {
			if strings.HasPrefix(p, from+"/") {
				t.nodes[to+p[len(from):]] = c
				delete(t.nodes, p)
			}
		}
	}
	return nil
}

func (t *memTree) Chtimes(name string, mt time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.nodes[name]
	if n == nil {
		return pathErr("chtimes", name, fs.ErrNotExist)
	}
	c := *n
	c.mod = mt
	t.nodes[name] = &c
	return nil
}

// diskTree serves a directory on disk. Virtual paths are joined to the
// root lexically (so ".." cannot climb out), and symbolic links are
// followed only while they resolve inside the root.
type diskTree struct {
	root string // absolute, symlinks resolved
}

func newDiskTree(root string) (*diskTree, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(real)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, pathErr("open", root, errors.New("not a directory"))
	}
	return &diskTree{root: real}, nil
}

func (d *diskTree) inside(p string) bool {
	rel, err := filepath.Rel(d.root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// real maps a virtual path to a path on disk inside the root.
func (d *diskTree) real(name string) (string, error) {
	if strings.ContainsRune(name, 0) {
		return "", pathErr("open", name, fs.ErrInvalid)
	}
	full := filepath.Join(d.root, filepath.FromSlash(name))
	if !d.inside(full) {
		return "", pathErr("open", name, fs.ErrPermission)
	}
	// Resolve symbolic links in the longest prefix that exists.
	cur, rest := full, ""
	for {
		r, err := filepath.EvalSymlinks(cur)
		if err == nil {
			if !d.inside(r) {
				return "", pathErr("open", name, fs.ErrPermission)
			}
			return filepath.Join(r, rest), nil
		}
		if fi, lerr := os.Lstat(cur); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			// A dangling link: creating through it could land anywhere.
			return "", pathErr("open", name, fs.ErrPermission)
		}
		parent := filepath.Dir(cur)
		if !errors.Is(err, fs.ErrNotExist) || parent == cur || !d.inside(parent) {
			return "", pathErr("open", name, fs.ErrNotExist)
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}

func (d *diskTree) Stat(name string) (fs.FileInfo, error) {
	p, err := d.real(name)
	if err != nil {
		return nil, err
	}
	return os.Stat(p)
}

func (d *diskTree) ReadDir(name string) ([]fs.FileInfo, error) {
	p, err := d.real(name)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(p)
	if err != nil {
		return nil, err
	}
	infos := make([]fs.FileInfo, 0, len(ents))
	for _, e := range ents {
		rp, err := d.real(path.Join(name, e.Name()))
		if err != nil {
			continue // a link leading outside the root: not listed
		}
		fi, err := os.Stat(rp)
		if err != nil {
			continue // a dangling link: not listed
		}
		infos = append(infos, renamedInfo{fi, e.Name()})
	}
	return infos, nil
}

// renamedInfo is a FileInfo under the name of the directory entry (for a
// symbolic link, the link's name rather than its target's).
type renamedInfo struct {
	fs.FileInfo
	name string
}

func (r renamedInfo) Name() string { return r.name }

func (d *diskTree) Open(name string, offset int64) (io.ReadCloser, error) {
	p, err := d.real(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || fi.IsDir() {
		f.Close()
		return nil, pathErr("open", name, errors.New("is a directory"))
	}
	if offset > 0 {
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}

func (d *diskTree) Create(name string, how createMode, offset int64) (io.WriteCloser, error) {
	p, err := d.real(name)
	if err != nil {
		return nil, err
	}
	flag := os.O_WRONLY | os.O_CREATE
	switch how {
	case createAppend:
		flag |= os.O_APPEND
	case createExcl:
		flag |= os.O_EXCL
	default:
		if offset == 0 {
			flag |= os.O_TRUNC
		}
	}
	f, err := os.OpenFile(p, flag, 0o644)
	if err != nil {
		return nil, err
	}
	if how == createTrunc && offset > 0 {
		fi, err := f.Stat()
		if err == nil && offset > fi.Size() {
			err = errors.New("restart offset beyond end of file")
		}
		if err == nil {
			err = f.Truncate(offset)
		}
		if err == nil {
			_, err = f.Seek(offset, io.SeekStart)
		}
		if err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}

func (d *diskTree) Mkdir(name string) error {
	p, err := d.real(name)
	if err != nil {
		return err
	}
	return os.Mkdir(p, 0o755)
}

func (d *diskTree) Remove(name string) error {
	p, err := d.real(name)
	if err != nil {
		return err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return pathErr("remove", name, errors.New("is a directory"))
	}
	return os.Remove(p)
}

func (d *diskTree) Rmdir(name string) error {
	p, err := d.real(name)
	if err != nil {
		return err
	}
	if p == d.root {
		return pathErr("rmdir", name, fs.ErrPermission)
	}
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return pathErr("rmdir", name, errors.New("not a directory"))
	}
	return os.Remove(p)
}

func (d *diskTree) Rename(from, to string) error {
	pf, err := d.real(from)
	if err != nil {
		return err
	}
	pt, err := d.real(to)
	if err != nil {
		return err
	}
	if pf == d.root || pt == d.root {
		return pathErr("rename", from, fs.ErrPermission)
	}
	return os.Rename(pf, pt)
}

func (d *diskTree) Chtimes(name string, t time.Time) error {
	p, err := d.real(name)
	if err != nil {
		return err
	}
	return os.Chtimes(p, t, t)
}
