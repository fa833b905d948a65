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

	"github.com/orderlog/orderlog/fulfillment"
	"github.com/orderlog/orderlog/order"
)

// The evolution gate. For every released schema version N of a gated kind
// there is a committed file testdata/<kind>.vN.bin of records written with
// it (for events, one event of every type that existed then; for states, a
// state with every field filled), length-prefixed, and its meaning as JSON
// in <kind>.vN.json. Today's decoder must read every such file and keep
// every field that was written. A fixture is written once, by -update when
// it is missing for the newest version, and never rewritten.
//
// States are gated from the version that was current when the gate was
// added to them (order_state v2, saga_state v1): older ones could no longer
// be written by today's code.

func fixturePath(kind Kind, v int, ext string) string {
	return filepath.Join("testdata", fmt.Sprintf("%s.v%d.%s", kind, v, ext))
}

func eventFixtureRecords() []order.Event {
	var events []order.Event
	for i, sample := range order.EventSamples() {
		var e order.Event
		fill(&e)
		e.Seq = int64(i + 1)
		e.Data = filledSample(sample)
		e.Type = sample.EventType()
		events = append(events, e)
	}
	return events
}

func stateFixtureRecords() []order.State {
	var st order.State
	fill(&st)
	return []order.State{st}
}

func sagaStateFixtureRecords() []fulfillment.State {
	var st fulfillment.State
	fill(&st)
	return []fulfillment.State{st}
}

func writeFixture[T any](t *testing.T, s *Serde[T], kind Kind, v int, records []T) {
	var bin []byte
	for _, r := range records {
		b, err := s.Encode(r)
		require.NoError(t, err)
		bin = binary.AppendUvarint(bin, uint64(len(b)))
		bin = append(bin, b...)
	}
	js, err := json.MarshalIndent(records, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll("testdata", 0o755))
	require.NoError(t, os.WriteFile(fixturePath(kind, v, "bin"), bin, 0o644))
	require.NoError(t, os.WriteFile(fixturePath(kind, v, "json"), js, 0o644))
}

// evolutionGate checks that every fixture of kind from version first on
// decodes with s and keeps what was written.
func evolutionGate[T any](t *testing.T, s *Serde[T], kind Kind, first int, records func() []T) {
	hist, err := History(kind)
	require.NoError(t, err)
	for v := first; v <= len(hist); v++ {
		if _, err := os.Stat(fixturePath(kind, v, "bin")); os.IsNotExist(err) {
			if !*update || v != len(hist) {
				t.Fatalf("no fixture for %s schema v%d; run go test ./schemas -run TestEvolutionGate -update", kind, v)
			}
			writeFixture(t, s, kind, v, records())
		}
		bin, err := os.ReadFile(fixturePath(kind, v, "bin"))
		require.NoError(t, err)
		js, err := os.ReadFile(fixturePath(kind, v, "json"))
		require.NoError(t, err)
		var want []map[string]any
		require.NoError(t, json.Unmarshal(js, &want))
		i := 0
		for ; len(bin) > 0; i++ {
			n, k := binary.Uvarint(bin)
			require.Positive(t, k)
			rec, err := s.Decode(bin[k : k+int(n)])
			require.NoError(t, err, "%s v%d record %d", kind, v, i)
			bin = bin[k+int(n):]
			gotJS, err := json.Marshal(rec)
			require.NoError(t, err)
			var got map[string]any
			require.NoError(t, json.Unmarshal(gotJS, &got))
			requireSubset(t, fmt.Sprintf("%s v%d record %d", kind, v, i), want[i], got)
		}
		require.Len(t, want, i, "%s v%d: records in the .bin and the .json", kind, v)
	}
}

func TestEvolutionGateEveryReleasedEventSchemaStillDecodes(t *testing.T) {
	s, err := NewEvents(context.Background())
	require.NoError(t, err)
	evolutionGate(t, s, KindEvent, 1, eventFixtureRecords)
}

func TestEvolutionGateEveryReleasedStateSchemaStillDecodes(t *testing.T) {
	s, err := NewStates(context.Background())
	require.NoError(t, err)
	evolutionGate(t, s, KindState, 2, stateFixtureRecords)
}

func TestEvolutionGateEveryReleasedSagaStateSchemaStillDecodes(t *testing.T) {
	s, err := New[fulfillment.State](context.Background(), KindSagaState)
	require.NoError(t, err)
	evolutionGate(t, s, KindSagaState, 1, sagaStateFixtureRecords)
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
