package schemas

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the generated .avsc files")

// TestSchemasAreCurrent keeps the committed .avsc files equal to what the Go
// types generate, and every current schema kept in history: a change to a
// payload type shows up here, and the developer then adds history/<kind>/vN.avsc.
func TestSchemasAreCurrent(t *testing.T) {
	for _, k := range Kinds {
		gen, err := Generate(k)
		require.NoError(t, err)
		file := filepath.Join("avro", string(k)+".avsc")
		have, _ := os.ReadFile(file)
		if string(have) != gen {
			if !*update {
				t.Fatalf("%s differs from the Go types; run: go test ./schemas -run TestSchemasAreCurrent -update, then add it to avro/history/%s/ as the next version", file, k)
			}
			require.NoError(t, os.WriteFile(file, []byte(gen), 0o644))
		}
		hist, err := History(k)
		if *update && (err != nil || len(hist) == 0 || hist[len(hist)-1] != gen) {
			dir := filepath.Join("avro", "history", string(k))
			require.NoError(t, os.MkdirAll(dir, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "v"+itoa(len(hist)+1)+".avsc"), []byte(gen), 0o644))
			continue
		}
		require.NoError(t, err)
		require.NotEmpty(t, hist)
		require.Equal(t, gen, hist[len(hist)-1], "the current %s schema must be the newest in avro/history/%s", k, k)
	}
}
