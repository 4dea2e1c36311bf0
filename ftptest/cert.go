package ftptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"sync"
	"time"
)

// testCert is the certificate every Server presents. It is generated once
// per process: self-signed, a CA for itself, valid for 127.0.0.1, ::1 and
// localhost.
var testCert = sync.OnceValues(func() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	skid := sha1.Sum(pub)
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"ftptest"}, CommonName: "ftptest"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		SubjectKeyId:          skid[:],
		AuthorityKeyId:        skid[:],
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
})

func mustCert() tls.Certificate {
	c, err := testCert()
	if err != nil {
		panic("ftptest: generating the certificate: " + err.Error())
	}
	return c
}

// Certificate returns the certificate the server presents on TLS
// connections. It is self-signed and valid for 127.0.0.1, ::1 and
// localhost; all Servers in a process share it.
func (s *Server) Certificate() *x509.Certificate {
	return mustCert().Leaf
}

// CertificatePEM returns [Server.Certificate] PEM-encoded, for peers such
// as Python's ssl module that load trust anchors from a file.
func (s *Server) CertificatePEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: mustCert().Certificate[0]})
}

// TLSConfig returns a new client configuration that trusts the server's
// certificate and nothing else. ServerName is left empty: crypto/tls then
// verifies the host dialled, and callers that resume sessions on data
// connections should set it themselves.
func (s *Server) TLSConfig() *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(mustCert().Leaf)
	return &tls.Config{RootCAs: pool}
}
