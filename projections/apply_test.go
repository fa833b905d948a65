package projections

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
)

func TestGeneratorCoversTheLifecycle(t *testing.T) {
	h := genHistory(1, 300, 40, time.Now())
	types, statuses := map[order.EventType]bool{}, map[order.Status]bool{}
	for _, evs := range h.orders {
		for _, e := range evs {
			types[e.Type] = true
		}
		statuses[Fold(evs).Status] = true
	}
	for _, et := range order.EventTypes() {
		assert.True(t, types[et], "no generated order has a %s event", et)
	}
	for _, s := range order.Statuses {
		assert.True(t, statuses[s], "no generated order ends %s", s)
	}
}

func TestViewIsTheStateFoldPlusHistory(t *testing.T) {
	h := genHistory(2, 100, 40, time.Now())
	for id, evs := range h.orders {
		var s order.State
		for _, e := range evs {
			s = order.Evolve(s, e)
		}
		s.Recent = nil
		v := Fold(evs)
		require.Equal(t, s, v.State, id)
		require.Equal(t, s.Totals(), v.Totals)
		changes := 0
		for _, e := range evs {
			if e.Type == order.EvtOrderStatusChanged {
				changes++
			}
		}
		require.Len(t, v.StatusHistory, changes)
		b, err := json.Marshal(v)
		require.NoError(t, err)
		require.NotContains(t, string(b), `"recent"`)
		var back View
		require.NoError(t, json.Unmarshal(b, &back))
		b2, _ := json.Marshal(back)
		require.JSONEq(t, string(b), string(b2), "a view survives its JSON")
	}
}

func TestEventJSONRoundTrips(t *testing.T) {
	h := genHistory(3, 50, 40, time.Now())
	for _, e := range h.log {
		b, err := json.Marshal(e)
		require.NoError(t, err)
		back, err := DecodeEventJSON(b)
		require.NoError(t, err)
		b2, _ := json.Marshal(back)
		require.Equal(t, string(b), string(b2))
	}
}

// The projection of a random log equals the fold of its events, whatever
// the batch size; applying it all again changes nothing and finds every
// event a duplicate.
func TestApplyProjectsTheFoldAndIsIdempotent(t *testing.T) {
	onEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		prefix := testPrefix(t, rdb)
		h := genHistory(4, 400, 40, time.Now())
		n := applyAll(t, newTestApplier(rdb, prefix, 1000), h.log, 700)
		require.Equal(t, map[Outcome]int{Applied: len(h.log)}, n)
		want := expected(prefix, h.orders)
		got := snapshot(t, rdb, prefix)
		requireSameKeys(t, want, got)

		// Again, with a fresh applier (no cache) and another batch size.
		n = applyAll(t, newTestApplier(rdb, prefix, 1000), h.log, 333)
		require.Equal(t, map[Outcome]int{Duplicate: len(h.log)}, n)
		requireSameKeys(t, got, snapshot(t, rdb, prefix))
	})
}

// A shard script call carries many runs of its shard's orders, several of
// one order when a chain is cut (here at 3 events), and merges their writes:
// a status set entry one run adds and the next removes ends removed, the
// counters end as if each run had been written alone.
func TestApplyMergesAShardsRunsAsIfEachRanAlone(t *testing.T) {
	onEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		prefix := testPrefix(t, rdb)
		h := genHistory(11, 120, 40, time.Now())
		var byOrder []order.Event
		for _, id := range h.ids {
			byOrder = append(byOrder, h.orders[id]...)
		}
		a := newTestApplier(rdb, prefix, 1000)
		a.maxChain, a.pipelineSize = 3, 1000
		var calls []*call
		for _, id := range h.ids {
			calls = a.plan(calls, id, base{view: &View{}}, seqIndexes(h.orders[id]), h.orders[id])
		}
		runsOfOneOrder := 0
		for _, s := range a.shardCalls(calls, time.Now()) {
			seen := map[string]bool{}
			for _, ci := range s.runs {
				if seen[calls[ci].orderID] {
					runsOfOneOrder++
				}
				seen[calls[ci].orderID] = true
			}
		}
		require.Positive(t, runsOfOneOrder, "some shard call carries several runs of one order")

		n := applyAll(t, a, byOrder, len(byOrder))
		require.Equal(t, map[Outcome]int{Applied: len(byOrder)}, n)
		requireSameKeys(t, expected(prefix, h.orders), snapshot(t, rdb, prefix))
	})
}

func TestApplyWithoutCacheReadsViewsFromRedis(t *testing.T) {
	onEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		prefix := testPrefix(t, rdb)
		h := genHistory(5, 100, 40, time.Now())
		n := applyAll(t, newTestApplier(rdb, prefix, -1), h.log, 50)
		require.Equal(t, map[Outcome]int{Applied: len(h.log)}, n)
		requireSameKeys(t, expected(prefix, h.orders), snapshot(t, rdb, prefix))
	})
}

// A gap is reported with the projected version, writes nothing, and the
// order goes on once the missing event comes.
func TestApplyReportsAGapAndWritesNothing(t *testing.T) {
	onEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		prefix := testPrefix(t, rdb)
		ctx := context.Background()
		evs := longOrder(10)
		a := newTestApplier(rdb, prefix, 100)
		applyAll(t, a, evs[:2], 10)
		before := snapshot(t, rdb, prefix)

		res, err := a.apply(ctx, evs[3:6]) // 4, 5, 6: event 3 is missing
		require.NoError(t, err)
		for _, r := range res {
			assert.Equal(t, Result{Outcome: Gap, Version: 2}, r)
		}
		requireSameKeys(t, before, snapshot(t, rdb, prefix))

		res, err = a.apply(ctx, evs[2:6]) // 3, 4, 5, 6
		require.NoError(t, err)
		for _, r := range res {
			assert.Equal(t, Result{Outcome: Applied, Version: 2}, r)
		}
		applyAll(t, a, evs[6:], 10)
		requireSameKeys(t, expected(prefix, map[string][]order.Event{evs[0].OrderID: evs}), snapshot(t, rdb, prefix))
	})
}

// Two appliers write one order (a partition moved between projectors): the
// one whose cached view is behind never writes a wrong view, and the end
// is the fold. A cache ahead of Redis (keys lost) meets a gap.
func TestApplyStaleCacheNeverWritesAWrongView(t *testing.T) {
	onEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		prefix := testPrefix(t, rdb)
		ctx := context.Background()
		evs := longOrder(16)
		a, b := newTestApplier(rdb, prefix, 100), newTestApplier(rdb, prefix, 100)
		applyAll(t, a, evs[:4], 10) // a caches version 4
		applyAll(t, b, evs[:8], 10) // b moves the order to 8 (1-4 duplicate)

		// a sees 5..10 and plans them from its cached view at 4 as one run; the
		// script finds the order at 8: 5-8 are duplicates, 9-10 stale, nothing
		// written. Retried (as the projector does), a reads the view of 8.
		res, err := a.apply(ctx, evs[4:10])
		require.NoError(t, err)
		assert.Equal(t, []Outcome{Duplicate, Duplicate, Duplicate, Duplicate, Stale, Stale}, outcomes(res))
		res, err = a.apply(ctx, evs[8:10])
		require.NoError(t, err)
		assert.Equal(t, []Outcome{Applied, Applied}, outcomes(res))
		// a's cache is at 10 now; b's at 8: b's next run, 9-12, overlaps.
		res, err = b.apply(ctx, evs[8:12])
		require.NoError(t, err)
		assert.Equal(t, []Outcome{Duplicate, Duplicate, Stale, Stale}, outcomes(res))
		res, err = b.apply(ctx, evs[10:12])
		require.NoError(t, err)
		assert.Equal(t, []Outcome{Applied, Applied}, outcomes(res))
		applyAll(t, a, evs, 7)
		requireSameKeys(t, expected(prefix, map[string][]order.Event{evs[0].OrderID: evs}), snapshot(t, rdb, prefix))

		// Redis loses the order; a's cache still says it is at the end.
		k := keys{prefix}
		require.NoError(t, rdb.Del(ctx, k.order(evs[0].OrderID), k.orderEvents(evs[0].OrderID)).Err())
		next := evs[len(evs)-1]
		next.Seq, next.ID = next.Seq+1, "extra"
		res, err = a.apply(ctx, []order.Event{next})
		require.NoError(t, err)
		assert.Equal(t, Result{Outcome: Gap, Version: 0}, res[0])
		n, err := rdb.Exists(ctx, k.order(evs[0].OrderID)).Result()
		require.NoError(t, err)
		assert.Zero(t, n, "nothing written on a gap")
	})
}

// The shard script refuses malformed op lists before writing anything.
func TestShardScriptRefusesBadOpsBeforeWriting(t *testing.T) {
	onEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		prefix := testPrefix(t, rdb)
		ctx := context.Background()
		k := keys{prefix}
		require.NoError(t, shardScript.Load(ctx, rdb).Err())
		ks := []string{k.applied(3), k.orders(3), k.statusCounts(3)}
		// A good first run, then a second whose ops go wrong: nothing of
		// either is written.
		good := []any{"x", 1, 1, 5, "Z", 2, 2, 1, "x"}
		bad := map[string][]any{
			"unknown op":            {"Z", 2, 2, 1, "y", "Q", 2, 1, "y"},
			"the applied hash":      {"Z", 1, 2, 1, "y"},
			"a delta without field": {"C", 3, 1, "PLACED"},
			"a delta not a number":  {"C", 3, 2, "PLACED", "one"},
			"an argc past its run":  {"Z", 2, 9, 1, "y"},
		}
		for what, ops := range bad {
			args := append(append([]any{"R", 2}, good...), append([]any{"y", 1, 1, len(ops)}, ops...)...)
			err := shardScript.EvalSha(ctx, rdb, ks, args...).Err()
			require.ErrorContains(t, err, "bad op", what)
			// Merged: the runs' heads, then their ops.
			args = append([]any{"M", 2, "x", 1, 1, "y", 1, 1, "Z", 2, 2, 1, "x"}, ops...)
			err = shardScript.EvalSha(ctx, rdb, ks, args...).Err()
			require.ErrorContains(t, err, "bad op", "merged: %s", what)
		}
		err := shardScript.EvalSha(ctx, rdb, ks, append([]any{"R", 2}, good...)...).Err()
		require.ErrorContains(t, err, "bad run", "a run count past the runs")
		assert.Empty(t, snapshot(t, rdb, prefix))
		// The good run alone is written: the refusals above were its
		// partner's.
		require.NoError(t, shardScript.EvalSha(ctx, rdb, ks, append([]any{"R", 1}, good...)...).Err())
		assert.Equal(t, []string{"x"}, rdb.ZRange(ctx, k.orders(3), 0, -1).Val())
	})
}

// A crash between a run's shard call and its order call leaves the shard
// ahead of the order. The next runs overlap what the shard has; they are
// applied from where the shard is, and nothing is counted twice.
func TestAShardAheadOfItsOrderCountsNothingTwice(t *testing.T) {
	onEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		prefix := testPrefix(t, rdb)
		ctx := context.Background()
		evs := longOrder(12)
		a := newTestApplier(rdb, prefix, 100)
		applyAll(t, a, evs[:3], 10)
		// Events 4-7 reach the shard only, as if the projector died before
		// their order call.
		calls := a.plan(nil, evs[0].OrderID, base{version: 3, view: ptr(Fold(evs[:3]))}, []int{3, 4, 5, 6}, evs)
		require.Len(t, calls, 1)
		sh := a.shardCalls(calls, time.Now())
		require.Len(t, sh, 1)
		require.NoError(t, shardScript.Load(ctx, rdb).Err())
		require.NoError(t, shardScript.EvalSha(ctx, rdb, sh[0].keys, sh[0].argv()...).Err())
		// The projector comes back with a fresh cache: runs 4-9, then the rest.
		b := newTestApplier(rdb, prefix, 100)
		res, err := b.apply(ctx, evs[3:9])
		require.NoError(t, err)
		assert.Equal(t, []Outcome{Applied, Applied, Applied, Applied, Applied, Applied}, outcomes(res))
		applyAll(t, b, evs, 5)
		requireSameKeys(t, expected(prefix, map[string][]order.Event{evs[0].OrderID: evs}), snapshot(t, rdb, prefix))
	})
}

// A shard call carries runs of several orders and writes only if all of
// them follow the shard; when one does not (here the shard has a whole run
// already: a crash between its shard call and its order call), the runs
// are sent again one by one, and the others are still written.
func TestAShardCallWithARunItHasWritesTheOthers(t *testing.T) {
	onEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		prefix := testPrefix(t, rdb)
		ctx := context.Background()
		evs := longOrder(8)
		var other []order.Event
		for seed := uint64(100); other == nil; seed++ {
			h := genHistory(seed, 50, 10, time.Now())
			for _, id := range h.ids {
				if shardOf(id) == shardOf(evs[0].OrderID) && len(h.orders[id]) >= 2 {
					other = h.orders[id]
					break
				}
			}
		}
		a := newTestApplier(rdb, prefix, 100)
		applyAll(t, a, evs[:3], 10)
		// Events 4-7 reach the shard only.
		calls := a.plan(nil, evs[0].OrderID, base{version: 3, view: ptr(Fold(evs[:3]))}, []int{3, 4, 5, 6}, evs)
		sh := a.shardCalls(calls, time.Now())
		require.Len(t, sh, 1)
		require.NoError(t, shardScript.Load(ctx, rdb).Err())
		require.NoError(t, shardScript.EvalSha(ctx, rdb, sh[0].keys, sh[0].argv()...).Err())
		// One batch: the other order's events and events 4-7 again, in one
		// shard call.
		b := newTestApplier(rdb, prefix, 100)
		batch := append(append([]order.Event(nil), other...), evs[3:7]...)
		res, err := b.apply(ctx, batch)
		require.NoError(t, err)
		for i, r := range res {
			require.Equal(t, Applied, r.Outcome, "event %d", i)
		}
		applyAll(t, b, evs, 5)
		requireSameKeys(t, expected(prefix, map[string][]order.Event{evs[0].OrderID: evs, other[0].OrderID: other}), snapshot(t, rdb, prefix))
	})
}

func ptr[T any](v T) *T { return &v }

func outcomes(res []Result) []Outcome {
	var out []Outcome
	for _, r := range res {
		out = append(out, r.Outcome)
	}
	return out
}
