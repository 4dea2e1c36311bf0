module github.com/ftplib-go/ftp/bench

go 1.23

require (
	github.com/ftplib-go/ftp v0.0.0
	github.com/jlaffaye/ftp v0.2.4
)

replace github.com/ftplib-go/ftp => ../
