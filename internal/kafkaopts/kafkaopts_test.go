package kafkaopts

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestClientOptsChecksHowSettingsFitTogether(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.txt")
	require.NoError(t, os.WriteFile(notPEM, []byte("hello"), 0o600))
	for _, tc := range []struct {
		name  string
		cfg   Config
		opts  int
		isErr error
		msg   string
	}{
		{name: "nothing", cfg: Config{}, opts: 0},
		{name: "TLS with system roots", cfg: Config{TLS: true}, opts: 1},
		{name: "PLAIN", cfg: Config{SASLMechanism: "PLAIN", SASLUser: "u", SASLPassword: "p"}, opts: 1},
		{name: "lower-case scram", cfg: Config{SASLMechanism: "scram-sha-512", SASLUser: "u", SASLPassword: "p"}, opts: 1},
		{name: "TLS and SASL", cfg: Config{TLS: true, SASLMechanism: "SCRAM-SHA-256", SASLUser: "u", SASLPassword: "p"}, opts: 2},
		{name: "CA without TLS", cfg: Config{TLSCAFile: notPEM}, isErr: ErrCAWithoutTLS},
		{name: "CA file missing", cfg: Config{TLS: true, TLSCAFile: filepath.Join(dir, "nope.pem")}, msg: "read the Kafka CA file"},
		{name: "CA file not PEM", cfg: Config{TLS: true, TLSCAFile: notPEM}, msg: "holds no PEM certificate"},
		{name: "unknown mechanism", cfg: Config{SASLMechanism: "GSSAPI", SASLUser: "u", SASLPassword: "p"}, isErr: ErrUnknownMechanism},
		{name: "mechanism without password", cfg: Config{SASLMechanism: "PLAIN", SASLUser: "u"}, isErr: ErrMissingCredentials},
		{name: "user without mechanism", cfg: Config{SASLUser: "u"}, isErr: ErrUnusedCredentials},
		{name: "client cert without TLS", cfg: Config{TLSCertFile: notPEM, TLSKeyFile: notPEM}, isErr: ErrClientCert},
		{name: "client cert without key", cfg: Config{TLS: true, TLSCertFile: notPEM}, isErr: ErrClientCert},
		{name: "client cert not PEM", cfg: Config{TLS: true, TLSCertFile: notPEM, TLSKeyFile: notPEM}, isErr: ErrClientCert},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts, err := tc.cfg.ClientOpts()
			switch {
			case tc.isErr != nil:
				require.ErrorIs(t, err, tc.isErr)
			case tc.msg != "":
				require.ErrorContains(t, err, tc.msg)
			default:
				require.NoError(t, err)
				require.Len(t, opts, tc.opts)
			}
		})
	}
}

// TestClientOptsConnectOverTLSWithSCRAM proves the options work against a
// broker that demands both: kfake with a self-signed certificate and a SCRAM
// user.
func TestClientOptsConnectOverTLSWithSCRAM(t *testing.T) {
	caFile, serverTLS := selfSigned(t)
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.TLS(serverTLS),
		kfake.EnableSASL(), kfake.Superuser(MechanismScramSHA512, "orderd", "s3cret"))
	require.NoError(t, err)
	t.Cleanup(c.Close)

	ping := func(cfg Config) error {
		opts, err := cfg.ClientOpts()
		require.NoError(t, err)
		cl, err := kgo.NewClient(append(opts, kgo.SeedBrokers(c.ListenAddrs()...))...)
		require.NoError(t, err)
		defer cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return cl.Ping(ctx)
	}
	good := Config{TLS: true, TLSCAFile: caFile, SASLMechanism: "SCRAM-SHA-512", SASLUser: "orderd", SASLPassword: "s3cret"}
	require.NoError(t, ping(good))
	bad := good
	bad.SASLPassword = "wrong"
	require.Error(t, ping(bad))
}

// selfSigned writes a self-signed certificate for 127.0.0.1 as a CA file and
// returns the server side's TLS config.
func selfSigned(t *testing.T) (caFile string, server *tls.Config) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kfake"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	return caFile, &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
}
