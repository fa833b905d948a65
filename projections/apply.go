package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/orderlog/orderlog/order"
)

// Outcome is what became of one event.
type Outcome uint8

// The outcomes of applying an event.
const (
	// Applied: the event was the next of its order and is now projected.
	Applied Outcome = iota + 1
	// Duplicate: the projection was already at or past the event.
	Duplicate
	// Gap: the projection is more than one event behind; nothing written.
	Gap
	// Stale: the event is next in Redis but the projector's base view was
	// behind (another writer moved on); nothing written, try again.
	Stale
)

func (o Outcome) String() string {
	switch o {
	case Applied:
		return "applied"
	case Duplicate:
		return "duplicate"
	case Gap:
		return "gap"
	case Stale:
		return "stale"
	}
	return "unknown"
}

// Result is the outcome of one event and the order's projected version the
// script saw before it (for gaps: the version the event does not follow).
type Result struct {
	Outcome Outcome
	Version int64
}

// applier writes events into one prefix of Redis, in batches: one round trip
// reads the base views the cache does not have, the next (pipelined, in
// chunks) runs the apply script once per run of consecutive events of an
// order. It holds no Kafka client, so it can be tested and benchmarked on
// Redis alone. It is used by one goroutine.
type applier struct {
	rdb     redis.UniversalClient
	k       keys
	cache   *viewCache
	log     *slog.Logger
	metrics *Metrics
	now     func() time.Time

	typeRetention time.Duration // events-by-type members older than this are not written
	minuteTTL     time.Duration // per-minute counters expire this long after their minute
	maxChain      int           // events per script call
	pipelineSize  int           // script calls per round trip (chunk)

	arenas sync.Pool // *jsonArena, one per chunk in flight
}

// base is what the projection of an order is believed to be before a batch:
// its version, and its view when the batch needs it (nil: unknown, or not
// needed because every event of the batch is at or below the version).
type base struct {
	version int64
	view    *View
}

// apply projects events, given in log order, and returns one result per
// event. An error means Redis could not be used; some calls may have been
// applied, which is harmless: applying the batch again finds them duplicate.
func (a *applier) apply(ctx context.Context, events []order.Event) ([]Result, error) {
	byOrder := map[string][]int{}
	var ids []string
	for i := range events {
		id := events[i].OrderID
		if _, ok := byOrder[id]; !ok {
			ids = append(ids, id)
		}
		byOrder[id] = append(byOrder[id], i)
	}
	bases, err := a.bases(ctx, ids, byOrder, events)
	if err != nil {
		return nil, err
	}
	calls, replies, err := a.planAndExec(ctx, ids, byOrder, bases, events)
	if err != nil {
		return nil, err
	}
	results := make([]Result, len(events))
	for i, c := range calls {
		code, cur := replies[i][0], replies[i][1]
		for j, ix := range c.idx {
			r := Result{Version: cur}
			switch {
			case code == codeDuplicate || c.first+int64(j) <= cur:
				r.Outcome = Duplicate
			case code == codeApplied:
				r.Outcome = Applied
			case code == codeGap:
				r.Outcome = Gap
			default:
				r.Outcome = Stale
			}
			results[ix] = r
		}
		switch code {
		case codeApplied:
			if c.applying {
				a.cache.put(c.orderID, *c.view)
			}
		case codeGap, codeStale:
			a.cache.remove(c.orderID)
		}
	}
	return results, nil
}

// planAndExec plans each order's calls and runs them, pipelined in chunks
// in order, on one goroutine while this one plans and renders the next
// chunk: Go's work (folding, JSON) and Redis's overlap.
func (a *applier) planAndExec(ctx context.Context, ids []string, byOrder map[string][]int, bases map[string]base, events []order.Event) ([]*call, [][2]int64, error) {
	type chunk struct {
		calls  []*call
		orders []script
		shards []*shardCall
		arena  *jsonArena
	}
	now := a.now()
	chunks := make(chan chunk, 1)
	var calls []*call
	var replies [][2]int64
	var execErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ch := range chunks {
			if execErr != nil {
				continue // drain
			}
			out, err := a.exec(ctx, ch.calls, ch.orders, ch.shards, now)
			ch.arena.reset()
			a.arenas.Put(ch.arena)
			if err != nil {
				execErr = err
				continue
			}
			replies = append(replies, out...)
		}
	}()
	sent := 0
	send := func() {
		arena, _ := a.arenas.Get().(*jsonArena)
		if arena == nil {
			arena = newJSONArena()
		}
		ch := chunk{calls: calls[sent:], orders: make([]script, 0, len(calls)-sent), shards: a.shardCalls(calls[sent:], now), arena: arena}
		for _, c := range calls[sent:] {
			ch.orders = append(ch.orders, a.scripts(c, arena))
		}
		chunks <- ch
		sent = len(calls)
	}
	for _, id := range ids {
		calls = a.plan(calls, id, bases[id], byOrder[id], events)
		if len(calls)-sent >= a.pipelineSize {
			send()
		}
	}
	if len(calls) > sent {
		send()
	}
	close(chunks)
	<-done
	if execErr != nil {
		return nil, nil, execErr
	}
	return calls, replies, nil
}

// bases finds each order's base: from the cache when it is recent enough
// for the batch's first event, else from Redis in one pipelined round trip.
func (a *applier) bases(ctx context.Context, ids []string, byOrder map[string][]int, events []order.Event) (map[string]base, error) {
	out := make(map[string]base, len(ids))
	var missing []string
	for _, id := range ids {
		minSeq := events[byOrder[id][0]].Seq
		for _, ix := range byOrder[id] {
			minSeq = min(minSeq, events[ix].Seq)
		}
		if v, ok := a.cache.get(id); ok && v.Version >= minSeq-1 {
			out[id] = base{version: v.Version, view: &v}
			continue
		}
		missing = append(missing, id)
	}
	a.metrics.cacheHits.Add(float64(len(ids) - len(missing)))
	a.metrics.cacheMisses.Add(float64(len(missing)))
	if len(missing) == 0 {
		return out, nil
	}
	pipe := a.rdb.Pipeline()
	cmds := make([]*redis.SliceCmd, len(missing))
	for i, id := range missing {
		cmds[i] = pipe.HMGet(ctx, a.k.order(id), fieldVersion, fieldView)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("read %d order views: %w", len(missing), err)
	}
	for i, id := range missing {
		vals := cmds[i].Val()
		var version int64
		if s, ok := vals[0].(string); ok {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("order %s: version %q in %s is not a number", id, s, a.k.order(id))
			}
			version = v
		}
		maxSeq := int64(0)
		for _, ix := range byOrder[id] {
			maxSeq = max(maxSeq, events[ix].Seq)
		}
		switch {
		case version >= maxSeq:
			out[id] = base{version: version} // every event is a duplicate: no view needed
		case version == 0:
			out[id] = base{view: &View{}}
		default:
			s, _ := vals[1].(string)
			var v View
			if err := json.Unmarshal([]byte(s), &v); err != nil || v.Version != version {
				// The events cannot be applied on an unreadable view; they
				// come back stale and their partition is retried.
				a.log.Error("order view unreadable; its events are held", "orderId", id, "key", a.k.order(id), "version", version, "error", err)
				out[id] = base{version: version}
				continue
			}
			out[id] = base{version: version, view: &v}
		}
	}
	return out, nil
}

// exec runs one chunk of calls and returns each call's {code, version}:
// first the shard script calls (one per shard the chunk writes), in one
// pipeline, then the order scripts of the calls whose shard has their
// events (applied now or before), in another.
// So a shard is never behind its orders: an order's events are in its view
// only once they are in its shard, and a crash between the two leaves the
// shard ahead, which the next run's shard script skips (doc.go). A shard
// that reports a gap (it lost writes) stops its call: a gap. A script
// missing from Redis (restarted, SCRIPT FLUSH, a promoted replica) is
// loaded and the chunk run again: calls are idempotent.
func (a *applier) exec(ctx context.Context, calls []*call, orders []script, shards []*shardCall, now time.Time) ([][2]int64, error) {
	out := make([][2]int64, len(orders))
	for attempt := 0; ; attempt++ {
		err := a.execOnce(ctx, calls, orders, shards, out, now)
		if err == nil || attempt == 1 || !redis.HasErrorPrefix(err, "NOSCRIPT") {
			return out, err
		}
		if err := errors.Join(applyScript.Load(ctx, a.rdb).Err(), shardScript.Load(ctx, a.rdb).Err()); err != nil {
			return nil, fmt.Errorf("load the apply scripts: %w", err)
		}
	}
}

func (a *applier) execOnce(ctx context.Context, calls []*call, orders []script, shards []*shardCall, out [][2]int64, now time.Time) error {
	blocked := make([]bool, len(orders))
	for sc := shards; len(sc) > 0; {
		replies, err := a.runShards(ctx, sc)
		if err != nil {
			return err
		}
		var again []*shardCall
		for j, s := range sc {
			var re *shardCall
			if s.merged && slices.ContainsFunc(replies[j], func(r [2]int64) bool { return r[0] != codeApplied }) {
				// Not every run follows its shard's applied seq: the call
				// wrote nothing. Each run is sent again on its own writes,
				// and judged on its own.
				re = newShardCall(a.k, calls[s.runs[0]].shard, false)
				for _, ci := range s.runs {
					a.shardRun(re, ci, calls[ci], now, 0)
				}
				again = append(again, re)
				continue
			}
			for r, ci := range s.runs {
				c, rep := calls[ci], replies[j][r]
				switch rep[0] {
				case codeGap:
					blocked[ci], out[ci] = true, rep
					a.log.Error("shard is behind the order's events: it lost writes; the order needs a rebuild",
						"orderId", c.orderID, "key", s.keys[0], "shardVersion", rep[1], "first", c.first)
				case codeStale:
					// The shard has the run's first events (a crash between a
					// shard call and its order call): send the rest.
					if re == nil {
						re = newShardCall(a.k, c.shard, false)
						again = append(again, re)
					}
					a.shardRun(re, ci, c, now, int(rep[1]-c.first+1))
				}
			}
		}
		sc = again
	}
	var idx []int
	var sc []script
	for i, s := range orders {
		if !blocked[i] {
			idx, sc = append(idx, i), append(sc, s)
		}
	}
	replies, err := a.run(ctx, applyScript, sc, "order")
	if err != nil {
		return err
	}
	for j, r := range replies {
		out[idx[j]] = r
	}
	return nil
}

// runShards runs shard script calls in one pipeline and returns each one's
// {code, version} per run.
func (a *applier) runShards(ctx context.Context, calls []*shardCall) ([][][2]int64, error) {
	pipe := a.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(calls))
	for i, s := range calls {
		cmds[i] = pipe.EvalSha(ctx, shardScript.Hash(), s.keys, s.argv()...)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		for _, cmd := range cmds {
			if cerr := cmd.Err(); redis.HasErrorPrefix(cerr, "NOSCRIPT") {
				return nil, cerr
			}
		}
		return nil, fmt.Errorf("apply %d shard script calls: %w", len(calls), err)
	}
	out := make([][][2]int64, len(cmds))
	for i, cmd := range cmds {
		r, err := parseRunsReply(cmd.Val(), len(calls[i].runs))
		if err != nil {
			return nil, errors.Join(fmt.Errorf("shard script call on %s", calls[i].keys[0]), err)
		}
		out[i] = r
	}
	return out, nil
}

// run runs one script over many calls in one pipeline.
func (a *applier) run(ctx context.Context, sc *redis.Script, scripts []script, what string) ([][2]int64, error) {
	if len(scripts) == 0 {
		return nil, nil
	}
	pipe := a.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(scripts))
	for i, s := range scripts {
		cmds[i] = pipe.EvalSha(ctx, sc.Hash(), s.keys, s.args...)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		for _, cmd := range cmds {
			if cerr := cmd.Err(); redis.HasErrorPrefix(cerr, "NOSCRIPT") {
				return nil, cerr
			}
		}
		return nil, fmt.Errorf("apply %d %s script calls: %w", len(scripts), what, err)
	}
	out := make([][2]int64, len(cmds))
	for i, cmd := range cmds {
		code, ver, err := parseReply(cmd.Val())
		if err != nil {
			return nil, errors.Join(fmt.Errorf("%s script call on %s", what, scripts[i].keys[0]), err)
		}
		out[i] = [2]int64{code, ver}
	}
	return out, nil
}
