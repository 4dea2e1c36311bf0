//go:build !unix

package main

import "io/fs"

// checkNetrcAccess checks nothing on systems without Unix permissions,
// as Python's netrc module does.
func checkNetrcAccess(file string, fi fs.FileInfo) error { return nil }
