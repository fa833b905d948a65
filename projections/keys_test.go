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
// shard script its shard's.
func TestEveryScriptCallTouchesOneSlot(t *testing.T) {
	h := genHistory(7, 200, 40, time.Now())
	a := newTestApplier(nil, "orderlog:", 0)
	arena := newJSONArena()
	seen := map[int]bool{}
	for _, id := range h.ids {
		calls := a.plan(nil, id, base{view: &View{}}, seqIndexes(h.orders[id]), h.orders[id])
		for _, c := range calls {
			o, s := a.scripts(c, time.Now(), arena)
			requireOneSlot(t, o.keys)
			requireOneSlot(t, s.keys)
			assert.Equal(t, keySlot(shardTags[shardOf(id)]), keySlot(s.keys[0]))
			seen[c.shard] = true
		}
	}
	assert.Len(t, seen, NumShards, "200 orders fill every shard")
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
