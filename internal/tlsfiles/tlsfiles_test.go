package tlsfiles

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLoadersSayWhichFileFailed(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "x.txt")
	require.NoError(t, os.WriteFile(notPEM, []byte("hello"), 0o600))
	for _, tc := range []struct {
		name      string
		load      func() error
		isCertErr bool
		msg       string
	}{
		{"no cert, no key", func() error { c, err := ClientCert("", ""); require.Nil(t, c); return err }, false, ""},
		{"cert without key", func() error { _, err := ClientCert(notPEM, ""); return err }, true, "needs its key"},
		{"cert not PEM", func() error { _, err := ClientCert(notPEM, notPEM); return err }, true, "load " + notPEM},
		{"CA missing", func() error { _, err := CAPool("Redis", filepath.Join(dir, "nope.pem")); return err }, false, "read the Redis CA file"},
		{"CA not PEM", func() error { _, err := CAPool("Kafka", notPEM); return err }, false, "the Kafka CA file " + notPEM + " holds no PEM certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.load()
			if tc.msg == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.msg)
			require.Equal(t, tc.isCertErr, errors.Is(err, ErrClientCert))
		})
	}
}
