package stream_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/stream"
	"github.com/orderlog/orderlog/topics"
)

// cachedTopology is the test topology without timers, its states kept
// encoded with at most decoded of them decoded per partition, and its
// decodes counted.
func cachedTopology(decoded int, decodes *atomic.Int64) stream.Topology[tally, note] {
	top := topology(false)
	top.Due = nil
	dec := top.State.Decode
	top.State.Decode = func(b []byte) (tally, error) {
		decodes.Add(1)
		return dec(b)
	}
	top.State.Decoded = decoded
	return top
}

// TestStateCacheChangesNothingButMemory: the same inputs, restarts among
// them, give the same records and states whether every state is kept
// decoded or only two per partition are.
func TestStateCacheChangesNothingButMemory(t *testing.T) {
	var n0, n2 atomic.Int64
	all, err := stream.NewTester(cachedTopology(0, &n0), stream.TesterOptions{Partitions: 3})
	require.NoError(t, err)
	few, err := stream.NewTester(cachedTopology(2, &n2), stream.TesterOptions{Partitions: 3})
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(3, 4))
	keys := 40
	for i := range 2000 {
		if rng.IntN(300) == 0 {
			require.NoError(t, all.Restart())
			require.NoError(t, few.Restart())
			continue
		}
		v, err := json.Marshal(note{Text: fmt.Sprint(i)})
		require.NoError(t, err)
		key := fmt.Sprintf("k%d", rng.IntN(keys))
		require.NoError(t, all.Send(in, key, v))
		require.NoError(t, few.Send(in, key, v))
	}
	for _, topic := range []string{out, state, dlq} {
		a, f := all.Records(topic), few.Records(topic)
		require.Equal(t, len(a), len(f), topic)
		for i := range a {
			require.Equal(t, a[i].Key, f[i].Key, "%s %d", topic, i)
			require.Equal(t, a[i].Value, f[i].Value, "%s %d", topic, i)
		}
	}
	for k := range keys {
		key := fmt.Sprintf("k%d", k)
		a, okA := all.State(key)
		f, okF := few.State(key)
		require.Equal(t, okA, okF, key)
		require.Equal(t, a, f, key)
	}
	// Every key in turn, twice: with two kept per partition, most states
	// were evicted since their key's last input and are decoded again.
	before := n2.Load()
	for range 2 {
		for k := range keys {
			v, _ := json.Marshal(note{Text: "again"})
			require.NoError(t, few.Send(in, fmt.Sprintf("k%d", k), v))
		}
	}
	require.GreaterOrEqual(t, n2.Load()-before, int64(2*(keys-3*2)), "evicted states are decoded again")
}

// TestStateCacheRestoresWithoutDecoding: a restore keeps the records as
// they are; a state is decoded when it is first needed, then kept.
func TestStateCacheRestoresWithoutDecoding(t *testing.T) {
	var decodes atomic.Int64
	tt, err := stream.NewTester(cachedTopology(100, &decodes), stream.TesterOptions{Partitions: 3})
	require.NoError(t, err)
	for i := range 30 {
		v, _ := json.Marshal(note{Text: "a"})
		require.NoError(t, tt.Send(in, fmt.Sprintf("k%d", i), v))
	}
	require.Zero(t, decodes.Load(), "a committed state is kept decoded as it was decided")
	require.NoError(t, tt.Restart())
	require.Zero(t, decodes.Load(), "the restore decoded nothing")
	v, _ := json.Marshal(note{Text: "b"})
	require.NoError(t, tt.Send(in, "k7", v))
	require.EqualValues(t, 1, decodes.Load(), "the first input of k7 decoded its state")
	require.NoError(t, tt.Send(in, "k7", v))
	require.EqualValues(t, 1, decodes.Load(), "then it was kept")
	st, ok := tt.State("k7")
	require.True(t, ok)
	require.Equal(t, []string{"a", "b", "b"}, st.Notes)
}

// TestStateCacheUndecodableState: with a cache, a state record that cannot
// be decoded is found when its key's next input needs it: that input is
// dead-lettered with a reason naming the key (nothing is decided on
// another state, and the partition goes on); without a cache the restore
// fails, as before.
func TestStateCacheUndecodableState(t *testing.T) {
	for _, decoded := range []int{0, 10} {
		t.Run(fmt.Sprintf("decoded=%d", decoded), func(t *testing.T) {
			var decodes atomic.Int64
			tt, err := stream.NewTester(cachedTopology(decoded, &decodes), stream.TesterOptions{Partitions: 1})
			require.NoError(t, err)
			v, _ := json.Marshal(note{Text: "a"})
			require.NoError(t, tt.Send(in, "bad", v))
			require.NoError(t, tt.Send(in, "good", v))
			for _, r := range tt.Records(state) {
				if string(r.Key) == "bad" {
					r.Value = []byte("{not json")
				}
			}
			err = tt.Restart()
			if decoded == 0 {
				require.ErrorContains(t, err, "restore")
				return
			}
			require.NoError(t, err)
			require.NoError(t, tt.Send(in, "bad", v))
			require.NoError(t, tt.Send(in, "good", v), "another key's input is decided")
			dl := tt.Records(dlq)
			require.Len(t, dl, 1)
			require.Equal(t, "bad", string(dl[0].Key))
			require.Contains(t, header(dl[0], topics.HeaderDLQError), "the state of bad cannot be decoded")
			st, ok := tt.State("good")
			require.True(t, ok)
			require.Equal(t, []string{"a", "a"}, st.Notes)
		})
	}
}

// TestStateCacheNeedsNoTimers: a topology with timers reads its due times
// from decoded states, so it cannot keep them encoded.
func TestStateCacheNeedsNoTimers(t *testing.T) {
	top := topology(false)
	top.State.Decoded = 10
	_, err := stream.NewTester(top, stream.TesterOptions{})
	require.ErrorContains(t, err, "State.Decoded")
}
