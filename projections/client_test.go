package projections

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRedisSettingsNameWhatIsWrongWithTheUserAndTLSFiles(t *testing.T) {
	dir := t.TempDir()
	ca := writeCA(t, dir)
	base := RedisSettings{Addrs: []string{"127.0.0.1:6379"}, Mode: RedisStandalone}
	with := func(f func(*RedisSettings)) RedisSettings { s := base; f(&s); return s }
	for _, tc := range []struct {
		name string
		s    RedisSettings
		key  string // "" for no problem
		msg  string
	}{
		{"plain", base, "", ""},
		{"ACL user with password", with(func(s *RedisSettings) { s.Username, s.Password = "api", "p" }), "", ""},
		{"ACL user without password", with(func(s *RedisSettings) { s.Username = "api" }), "user", "needs its password"},
		{"TLS with the bed's CA", with(func(s *RedisSettings) { s.TLS, s.TLSCAFile = true, ca }), "", ""},
		{"CA file without TLS", with(func(s *RedisSettings) { s.TLSCAFile = ca }), "tls", "is off"},
		{"CA file missing", with(func(s *RedisSettings) { s.TLS, s.TLSCAFile = true, filepath.Join(dir, "nope.pem") }), "tls-ca-file", "read the Redis CA file"},
		{"certificate without key", with(func(s *RedisSettings) { s.TLS, s.TLSCertFile = true, ca }), "tls-cert-file", "needs its key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.s.Problems()
			if tc.key == "" {
				require.Empty(t, p)
				tc, err := tc.s.TLSConfig()
				require.NoError(t, err)
				if tc != nil {
					require.NotNil(t, tc.RootCAs)
				}
				return
			}
			require.Contains(t, p[tc.key], tc.msg, "%v", p)
		})
	}
}

// writeCA writes a self-signed CA certificate (PEM) into dir.
func writeCA(t *testing.T, dir string) string {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	path := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	return path
}
