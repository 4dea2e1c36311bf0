package ftp

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"io"
	"math/big"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countConn counts the bytes read from and written to a socket, and
// records how many had been read when it was closed.
type countConn struct {
	net.Conn
	read, written atomic.Int64
	readAtClose   atomic.Int64
	closed        atomic.Bool
}

func (c *countConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

func (c *countConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.written.Add(int64(n))
	return n, err
}

func (c *countConn) Close() error {
	if !c.closed.Swap(true) {
		c.readAtClose.Store(c.read.Load())
	}
	return c.Conn.Close()
}

func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// TestCloseDataWaitsForCloseNotify checks that a protected data
// connection is closed only after everything the server sent up to its
// close_notify has been read (ftplib's unwrap): closing with unread bytes
// makes the kernel reset the connection, and vsftpd then loses the tail
// of an upload. The server here sends a TLS 1.3 session ticket and, after
// the client's close_notify, a last record before its own close_notify.
func TestCloseDataWaitsForCloseNotify(t *testing.T) {
	for _, upload := range []bool{true, false} {
		cert, pool := selfSigned(t)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		var server *countConn
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			nc, err := ln.Accept()
			if err != nil {
				t.Error(err)
				return
			}
			server = &countConn{Conn: nc}
			defer server.Close()
			server.SetDeadline(time.Now().Add(10 * time.Second))
			tc := tls.Server(server, &tls.Config{Certificates: []tls.Certificate{cert}})
			if _, err := io.Copy(io.Discard, tc); err != nil { // up to the client's close_notify
				t.Errorf("server read: %v", err)
				return
			}
			tc.Write([]byte("late record"))
			tc.CloseWrite()
		}()
		nc, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		client := &countConn{Conn: nc}
		tc := tls.Client(client, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS13})
		if err := tc.Handshake(); err != nil {
			t.Fatal(err)
		}
		if upload {
			if _, err := tc.Write([]byte("payload")); err != nil {
				t.Fatal(err)
			}
		}
		c := &Conn{timeout: 10 * time.Second}
		if err := c.closeData(context.Background(), tc, upload); err != nil {
			t.Fatalf("closeData: %v", err)
		}
		wg.Wait()
		if !client.closed.Load() {
			t.Fatalf("upload=%v: the socket was not closed", upload)
		}
		if got, want := client.readAtClose.Load(), server.written.Load(); got != want {
			t.Errorf("upload=%v: socket closed after reading %d of the %d bytes the server sent", upload, got, want)
		}
	}
}
