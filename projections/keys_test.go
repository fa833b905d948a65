package projections

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
)

func TestKeySlotIsRedisClusters(t *testing.T) {
	assert.Equal(t, uint16(0x31C3), keySlot("123456789"), "CRC16/XMODEM check value")
	assert.Equal(t, keySlot("o-1"), keySlot("orderlog:order:{o-1}"))
	assert.Equal(t, keySlot("{}x"), keySlot("{}x"), "an empty tag hashes the whole key")
	assert.NotEqual(t, keySlot("a{}x"), keySlot("x"))
	assert.Equal(t, uint16(271), keySlot(DefaultPointerKey), "doc.go and docs/operations.md name the pointer key's slot")
}

// Shard i's tag hashes into the i-th sixteenth of the slots: the shards
// spread evenly over primaries that split the slots evenly.
func TestShardTagsSpreadOverTheSlots(t *testing.T) {
	for i, tag := range shardTags {
		assert.Equal(t, i, int(keySlot(tag))*NumShards/16384, tag)
	}
}

// Every script call touches one slot: the order script the order's, the
// shard script its shard's, however many orders' runs it carries.
func TestEveryScriptCallTouchesOneSlot(t *testing.T) {
	h := genHistory(7, 200, 40, time.Now())
	a := newTestApplier(nil, "orderlog:", 0)
	arena := newJSONArena()
	var calls []*call
	for _, id := range h.ids {
		calls = a.plan(calls, id, base{view: &View{}}, seqIndexes(h.orders[id]), h.orders[id])
	}
	for _, c := range calls {
		requireOneSlot(t, a.scripts(c, arena).keys)
	}
	seen := map[int]bool{}
	shards := a.shardCalls(calls, time.Now())
	for _, s := range shards {
		requireOneSlot(t, s.keys)
		shard := calls[s.runs[0]].shard
		assert.Equal(t, keySlot(shardTags[shard]), keySlot(s.keys[0]))
		for _, ci := range s.runs {
			assert.Equal(t, shard, calls[ci].shard, "a shard call carries only its shard's runs")
		}
		seen[shard] = true
	}
	assert.Len(t, seen, NumShards, "200 orders fill every shard")
	assert.Len(t, shards, NumShards, "one call per shard")
}

func seqIndexes(evs []order.Event) []int {
	out := make([]int, len(evs))
	for i := range out {
		out[i] = i
	}
	return out
}

func requireOneSlot(t *testing.T, ks []string) {
	t.Helper()
	require.NotEmpty(t, ks)
	for _, k := range ks {
		require.Equal(t, keySlot(ks[0]), keySlot(k), "%s and %s", ks[0], k)
	}
}
