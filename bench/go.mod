module github.com/ftplib-go/ftp/bench

go 1.23

require github.com/jlaffaye/ftp v0.2.4
