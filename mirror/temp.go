package mirror

import (
	"fmt"
	"hash/fnv"
	"path/filepath"
	"strings"
	"time"
)

// tmpMark marks the temporary names of a mirror.
const tmpMark = ".ftpmirror-"

// longName is the length above which a temporary name uses a hash of the
// file's name instead of the name, to stay within name length limits.
const longName = 180

// tmpPrefix returns the start of the temporary names of the file name.
func tmpPrefix(name string) string {
	if len(name) > longName {
		h := fnv.New64a()
		h.Write([]byte(name))
		return fmt.Sprintf("%s%016x-", tmpMark, h.Sum64())
	}
	return "." + name + tmpMark
}

// tmpName returns the temporary name of the version (size, mtime) of the
// file name.
func tmpName(name string, size int64, mt time.Time) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d %d", size, mt.Unix())
	return fmt.Sprintf("%s%016x.part", tmpPrefix(name), h.Sum64())
}

// tmpParse reports whether n is a temporary name, and returns its prefix
// (tmpPrefix of the file it belongs to).
func tmpParse(n string) (prefix string, ok bool) {
	const tail = 16 + len(".part")
	if !strings.HasSuffix(n, ".part") || len(n) < len(tmpMark)+1+tail {
		return "", false
	}
	for _, b := range []byte(n[len(n)-tail : len(n)-len(".part")]) {
		if !('0' <= b && b <= '9' || 'a' <= b && b <= 'f') {
			return "", false
		}
	}
	prefix = n[:len(n)-tail]
	switch {
	case strings.HasPrefix(prefix, ".") && strings.HasSuffix(prefix, tmpMark) && len(prefix) > len(tmpMark)+1:
		return prefix, true
	case strings.HasPrefix(prefix, tmpMark) && len(prefix) == len(tmpMark)+17 && strings.HasSuffix(prefix, "-"):
		return prefix, true
	}
	return "", false
}

// localName reports whether name can be used as one element of a local
// path: it stays inside its directory on this system.
func localName(name string) bool {
	return filepath.IsLocal(name) && filepath.Base(name) == name && !strings.ContainsRune(name, filepath.Separator)
}

// temps groups the temporary names found in a directory by the file they
// belong to; names is every file of the source in that directory.
func temps(found []string, names []string) (byOwner map[string][]string, orphans []string) {
	owner := make(map[string]string, len(names))
	for _, n := range names {
		owner[tmpPrefix(n)] = n
	}
	byOwner = map[string][]string{}
	for _, t := range found {
		p, _ := tmpParse(t)
		if n, ok := owner[p]; ok {
			byOwner[n] = append(byOwner[n], t)
		} else {
			orphans = append(orphans, t)
		}
	}
	return byOwner, orphans
}
