package schemas

import (
	"encoding/binary"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCanonicalFormFollowsTheSpec(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`"int"`, `"int"`},
		{`{"type": "long", "logicalType": "timestamp-millis"}`, `"long"`},
		{`{"type":"record","name":"R","namespace":"a.b","doc":"x","fields":[
			{"name":"f","type":{"type":"fixed","name":"F","size":"016"},"default":"x"},
			{"name":"g","type":"F"},
			{"name":"h","type":{"type":"record","name":"c.S","fields":[{"name":"i","type":["null","T"]}]}},
			{"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"],"aliases":["Z"]}},
			{"name":"m","type":{"type":"map","values":{"type":"array","items":"string"}}}]}`,
			`{"name":"a.b.R","type":"record","fields":[{"name":"f","type":{"name":"a.b.F","type":"fixed","size":16}},{"name":"g","type":"a.b.F"},{"name":"h","type":{"name":"c.S","type":"record","fields":[{"name":"i","type":["null","c.T"]}]}},{"name":"e","type":{"name":"a.b.E","type":"enum","symbols":["A","B"]}},{"name":"m","type":{"type":"map","values":{"type":"array","items":"string"}}}]}`},
	} {
		got, err := Canonical(tc.in)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got)
	}
}

// The fingerprints of the Avro specification's own examples.
func TestRabinFingerprint(t *testing.T) {
	assert.Equal(t, uint64(0x63dd24e7cc258f8a), rabin([]byte(`"null"`)))
}

// TestFingerprintsMatchFastavro checks our fingerprints against a reader
// nobody here wrote: Python's fastavro.
func TestFingerprintsMatchFastavro(t *testing.T) {
	if err := exec.Command("python3", "-c", "import fastavro").Run(); err != nil {
		t.Skip("python3 with fastavro is not installed (make test installs it)")
	}
	for _, k := range Kinds {
		path, err := filepath.Abs(filepath.Join("avro", string(k)+".avsc"))
		require.NoError(t, err)
		out, err := exec.Command("python3", "-c", `
import json, sys, fastavro
from fastavro.schema import fingerprint, to_parsing_canonical_form
s = fastavro.parse_schema(json.load(open(sys.argv[1])))
print(fingerprint(to_parsing_canonical_form(s), "CRC-64-AVRO"))`, path).CombinedOutput()
		require.NoError(t, err, "%s", out)
		text, err := os.ReadFile(path)
		require.NoError(t, err)
		fp, err := Fingerprint(string(text))
		require.NoError(t, err)
		// fastavro prints the fingerprint's bytes as single-object encoding
		// writes them: little-endian.
		assert.Equal(t, strings.TrimSpace(string(out)), hex.EncodeToString(binary.LittleEndian.AppendUint64(nil, fp)), "schema %s", k)
	}
}
