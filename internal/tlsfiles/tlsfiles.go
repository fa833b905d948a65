package tlsfiles

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// ErrClientCert is a client certificate or key that is missing its pair,
// cannot be read, or does not load.
var ErrClientCert = errors.New("client certificate")

// ClientCert loads a client certificate and its key (PEM files): nil when
// both are empty, an error wrapping ErrClientCert when one is missing or
// they do not load.
func ClientCert(certFile, keyFile string) (*tls.Certificate, error) {
	switch {
	case certFile == "" && keyFile == "":
		return nil, nil
	case certFile == "" || keyFile == "":
		return nil, fmt.Errorf("%w: a certificate needs its key and a key its certificate (got cert %q, key %q)", ErrClientCert, certFile, keyFile)
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("%w: load %s and %s: %v", ErrClientCert, certFile, keyFile, err)
	}
	return &cert, nil
}

// CAPool reads a PEM file of CA certificates; what ("Kafka", "Redis")
// says whose CA file it is in the error.
func CAPool(what, file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read the %s CA file: %w", what, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("the %s CA file %s holds no PEM certificate", what, file)
	}
	return pool, nil
}
