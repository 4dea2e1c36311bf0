module github.com/ftplib-go/ftp

go 1.23
