package schemas

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
)

// The evolution gate. For every released event schema version N there is a
// committed file testdata/order_event.vN.bin of events written with it (one
// event of every type that existed then, length-prefixed) and its meaning as
// JSON in order_event.vN.json. Today's decoder must read every such file and
// keep every field that was written. A fixture is written once, by -update
// when it is missing, and never rewritten.

func fixturePath(kind Kind, v int, ext string) string {
	return filepath.Join("testdata", fmt.Sprintf("%s.v%d.%s", kind, v, ext))
}

func writeEventFixture(t *testing.T, s *Serde[order.Event], v int) {
	var bin []byte
	var events []order.Event
	for i, sample := range order.EventSamples() {
		var e order.Event
		fill(&e)
		e.Seq = int64(i + 1)
		e.Data = filledSample(sample)
		e.Type = sample.EventType()
		b, err := s.Encode(e)
		require.NoError(t, err)
		bin = binary.AppendUvarint(bin, uint64(len(b)))
		bin = append(bin, b...)
		events = append(events, e)
	}
	js, err := json.MarshalIndent(events, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll("testdata", 0o755))
	require.NoError(t, os.WriteFile(fixturePath(KindEvent, v, "bin"), bin, 0o644))
	require.NoError(t, os.WriteFile(fixturePath(KindEvent, v, "json"), js, 0o644))
}

func TestEvolutionGateEveryReleasedEventSchemaStillDecodes(t *testing.T) {
	s, err := NewEvents(context.Background())
	require.NoError(t, err)
	hist, err := History(KindEvent)
	require.NoError(t, err)
	for v := 1; v <= len(hist); v++ {
		if _, err := os.Stat(fixturePath(KindEvent, v, "bin")); os.IsNotExist(err) {
			if !*update || v != len(hist) {
				t.Fatalf("no fixture for event schema v%d; run go test ./schemas -run TestEvolutionGate -update", v)
			}
			writeEventFixture(t, s, v)
		}
		bin, err := os.ReadFile(fixturePath(KindEvent, v, "bin"))
		require.NoError(t, err)
		js, err := os.ReadFile(fixturePath(KindEvent, v, "json"))
		require.NoError(t, err)
		var want []map[string]any
		require.NoError(t, json.Unmarshal(js, &want))
		for i := 0; len(bin) > 0; i++ {
			n, k := binary.Uvarint(bin)
			require.Positive(t, k)
			e, err := s.Decode(bin[k : k+int(n)])
			require.NoError(t, err, "v%d event %d", v, i)
			bin = bin[k+int(n):]
			gotJS, err := json.Marshal(e)
			require.NoError(t, err)
			var got map[string]any
			require.NoError(t, json.Unmarshal(gotJS, &got))
			requireSubset(t, fmt.Sprintf("v%d event %d (%s)", v, i, e.Type), want[i], got)
		}
	}
}

// requireSubset checks that everything in want is in got with the same
// value: fields added since want was written may appear in got.
func requireSubset(t *testing.T, where string, want, got any) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		require.True(t, ok, "%s: want an object, got %T", where, got)
		for k, wv := range w {
			requireSubset(t, where+"."+k, wv, g[k])
		}
	case []any:
		g, ok := got.([]any)
		require.True(t, ok, "%s: want an array, got %T", where, got)
		require.Len(t, g, len(w), where)
		for i := range w {
			requireSubset(t, fmt.Sprintf("%s[%d]", where, i), w[i], g[i])
		}
	default:
		require.Equal(t, want, got, where)
	}
}
