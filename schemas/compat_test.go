package schemas

import (
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/sr"
)

// TestReleasedSchemasAreBackwardCompatibleInARealRegistry registers every
// released version of every kind, oldest first, under a subject whose
// compatibility is BACKWARD_TRANSITIVE: the registry accepts a version only
// if a reader with it can read data written with every earlier one, as Java
// and Python readers resolve schemas. So a new field without a default, or
// a removed one without, fails here as it would in production.
func TestReleasedSchemasAreBackwardCompatibleInARealRegistry(t *testing.T) {
	url := os.Getenv("ORDERLOG_SCHEMA_REGISTRY_URL")
	if url == "" {
		t.Skip("integration test: ORDERLOG_SCHEMA_REGISTRY_URL is unset (run `make test` to start a real registry)")
	}
	cl, err := sr.NewClient(sr.URLs(url))
	require.NoError(t, err)
	for _, k := range Kinds {
		hist, err := History(k)
		require.NoError(t, err)
		subject := "t-" + strconv.Itoa(os.Getpid()) + "-compat." + string(k) + "-value"
		for _, r := range cl.SetCompatibility(t.Context(), sr.SetCompatibility{Level: sr.CompatBackwardTransitive}, subject) {
			require.NoError(t, r.Err, "set compatibility of %s", subject)
		}
		for v, text := range hist {
			_, err := cl.RegisterSchema(t.Context(), subject, sr.Schema{Schema: text, Type: sr.TypeAvro}, -1, -1)
			require.NoError(t, err, "%s v%d is not backward compatible with the versions before it", k, v+1)
		}
	}
}
