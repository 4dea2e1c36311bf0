package ftp

// CheckLeaks lets the black-box tests (package ftp_test) check for leaked
// goroutines and sockets as the package's own tests do.
var CheckLeaks = checkLeaks
