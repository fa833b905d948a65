// Package projections keeps orderlog's read models in Redis: a Projector
// consumes order.events and writes them; a Reader serves them to the API
// and the CLI.
//
// # Data flow
//
//	order.events ──poll (read_committed, group; a batch the poll did not
//	   ▲            fill waits up to Config.Gather for one more fetch,
//	   │            internal/gather)──▶ decode (Avro, per partition in parallel)
//	   │                                              │
//	   │ commit offsets up to the first               ▼
//	   │ record not projected                  group by order; base view from the
//	   │                                       LRU cache or one pipelined HMGET
//	   │                                              │
//	   └── hold the partition ◀── gap/stale ──  fold with Evolve, render view + writes
//	       (pause, rewind, retry)                     │
//	                                                  ▼
//	                       shard script, then order script, pipelined (one
//	                       shard EVALSHA per shard per chunk, carrying its
//	                       orders' runs; one order EVALSHA per run of
//	                       consecutive events of an order; each call in one
//	                       slot)
//
// # The view
//
// View embeds order.State, folded by order.Evolve itself, so the read model
// can never disagree with the rules about lines, totals, payment, shipping,
// flags or notes; it adds what only readers need: the status history (one
// entry per ORDER_STATUS_CHANGED: seq, from, to, reason, trigger, time), the
// totals (State.Totals), the approval (required, pending, who and when) and
// the source channel. Evolve(view, event) is the view's fold; Fold(events)
// folds from the empty view. The processor's dedup window (State.Recent)
// is not part of a view.
//
// # Key layout
//
// Every key starts with the projection's prefix P (Config.Prefix, default
// "orderlog:"); the pointer key is the one key outside it. The layout runs
// unchanged on one Redis, a primary with replicas, and Redis Cluster:
// every key one script call touches carries the same hash tag ({...}), so
// it hashes to one slot. Per-order keys are tagged by the order; the
// cross-order indexes and counters are split into NumShards (16) shards,
// each tagged by its shard, and an order's entries in them all live in
// shard s = murmur2(orderId) mod 16 (Kafka's key partitioner, as the
// processor partitions order.events). Shard s's tag T(s) is a short string
// ("s0.10", "s1.13", ..., "s15.42") picked so that it hashes into the s-th sixteenth of the
// 16384 slots: the shards spread evenly over primaries that split the slots
// evenly, as redis-cli --cluster create does.
//
//	key                              type    contents                                   written by
//	P order:{orderId}                hash    version (the last projected                every event
//	                                         sequenceNumber), view (View as JSON)
//	P order-events:{orderId}         list    the events as JSON (seed 000's envelope:   every event
//	                                         id, orderId, eventType, sequenceNumber,
//	                                         timestamp, data, metadata, userId,
//	                                         serviceId, correlationId, causationId);
//	                                         index = seq-1
//	P applied:{T}                    hash    orderId -> the last sequenceNumber whose   every event
//	                                         writes this shard has (see below)
//	P orders:{T}                     zset    orderId, score createdAt (ms)              ORDER_CREATED
//	P customer-orders:{T}:custId     zset    orderId, score createdAt (ms)              ORDER_CREATED
//	P status-orders:{T}:STATUS       zset    orderId of orders now in STATUS,           ORDER_CREATED,
//	                                         score createdAt (ms)                       ORDER_STATUS_CHANGED
//	P type-events:{T}:EVENT_TYPE     zset    "orderId:seq", score event timestamp (ms); every event younger
//	                                         trimmed to Config.TypeIndexRetention (30d) than the retention
//	P stats:{T}:orders-by-status     hash    STATUS -> orders now in it (0 is deleted)  ORDER_CREATED,
//	                                                                                    ORDER_STATUS_CHANGED
//	P stats:{T}:revenue              hash    "USD:2026-11-21" -> captured minus         PAYMENT_CAPTURED,
//	                                         refunded, minor units, by UTC day          PAYMENT_REFUNDED
//	P stats:{T}:events:MINUTE        hash    EVENT_TYPE -> events stamped in that UTC   every event younger
//	                                         minute ("2026-11-21T10:04"); expires       than the TTL
//	                                         Config.MinuteCounterTTL (24 h) after it
//	P attention:{T}                  zset    orderId, score when it needs a person      every event
//	                                         (ms; now or later: see "Needs attention")
//	orderlog:active-prefix           string  the prefix readers use (Config.PointerKey) Activate, a rebuild
//
// (Braces here are literal: they are the hash tags. orderIds and prefixes
// cannot contain braces, so an order's tag is its whole id.)
//
// Readers merge the shards: a page (every order, a customer's, a status's,
// newest first) reads each shard's first limit+1 members after the cursor
// in one pipelined round trip, merges them by (score, member) descending,
// the order ZREVRANGE gives within one set, and returns the first limit. The
// cursor is the score and member of the last item, not a rank or a shard
// position, so pages stay right while orders are added and do not depend on
// how orders spread over shards. Events by type merge the shards' newest
// the same way; the counters are the sums of the shards'. The families are
// distinct first segments, so no id can make two keys collide.
//
// Why shards, and why per order: a script call may touch one slot only, so
// the order's keys and the cross-order keys cannot be written by one call
// (as they were before Redis Cluster). Each event therefore takes two
// calls, each atomic in its own slot and idempotent on its own: the shard
// script (its order's writes to the shard), then the order script (the
// view and the event list). A shard holds one order's entries in one slot,
// and only that order's events (projected by whoever owns its partition;
// when the partition count divides 16, one partition feeds each shard)
// write them, so the shard's applied hash can say per order how far it got.
// The pointer key is the one key without a tag, on purpose: it is shared by
// every prefix (old and new readers read it during a rebuild), so it cannot
// live in one prefix's slot, and no script ever touches it with another key
// (Activate is one SET, readers one GET per call); the default
// "orderlog:active-prefix" hashes on its full name, to slot 271.
//
// # The apply scripts
//
// Every write goes through two Lua scripts, loaded once with SCRIPT LOAD
// (on every primary) and called with EVALSHA, pipelined in chunks of
// Config.PipelineSize calls per round trip, the next chunk rendered while
// Redis runs the previous one. One call carries a run of consecutive
// events of one order, sequenceNumbers first..last (at most
// Config.MaxChain). A chunk runs in two round trips: first the shard
// script, once per shard the chunk writes, carrying the runs of every one
// of the chunk's orders in that shard; then the order script of every run
// whose shard has its events.
//
// The order script (applySource): KEYS are the order hash and its event
// list; ARGV are n, first, the view after last (computed in Go) and the
// events' JSON. With v the order's projected version (hash field version, 0
// for none), it replies {code, v} and:
//
//   - last <= v: duplicate; writes nothing.
//   - first == v+1 and a view is given: applied; appends the events to the
//     list and sets version = last and the view, in one atomic script run.
//     So an event is applied only as the next of its order.
//   - first > v+1: gap; writes nothing.
//   - otherwise (first <= v < last, or no view): stale; writes nothing. The
//     projector's base view was not Redis's (another projector moved the
//     order on, or Redis lost it); the run is planned again from Redis.
//
// The shard script (shardSource): KEYS are the shard's applied hash and the
// keys the writes touch; ARGV are, for each run it carries, the orderId,
// first, n and the run's writes summed (ZADD, ZREM, HINCRBY, EXPIREAT: the
// events-by-type members, per-minute and revenue counts, the order's move
// from its status before the run to its status after it). It judges the
// runs in order, each on its own. With a the order's field in the applied
// hash (0 for none), as the runs before it left it: last <= a is a
// duplicate; first > a+1 a gap (the shard lost writes); first <= a < last
// an overlap, which writes nothing and makes the projector send the run's
// events after a again at once, their writes summed from there (it has
// every event's views from planning); first == a+1 makes the writes and
// sets a = last. The write lists are checked before anything is written.
// A call's writes are merged, so Redis runs one command per key (per field
// for the counters) and call, not one per run: the same writes, in the
// same order per key, as the runs one after another. The projector sends
// them merged already, and the script makes them only if every run it
// carries applies; if one does not (a duplicate, a gap or an overlap:
// after a crash between the two calls) it writes nothing, and the
// projector sends the runs again each with its own writes, which the
// script merges over the runs that apply.
//
// Why it keeps today's guarantees. The shard runs first, so a shard is
// never behind its order: a crash, a failover or a Redis error between the
// two calls leaves the shard ahead (a > v), never behind. The run is then
// planned again from the order's version v, and the shard takes it from
// a+1 on: each event's writes are made once, in the one call that moves a
// past it, so a replay never double-counts, and an overlap (a run
// v+1..last with v < a < last) is not refused but applied from where the
// shard is. The writes of an event are computed from the views before and
// after it, and a view is the fold of its order's events up to its
// version, whoever computed it, so a base from the cache or from Redis is
// equally good; the order script's version check is what keeps a stale
// cache from ever writing a wrong view. A shard that reports a gap stops
// the call (the order is not written) and holds the partition like any gap.
// When Redis lost an order's keys but not its shard (a cache ahead of
// Redis), the shard may take the next run before the order script finds
// the gap; such an order needs a rebuild either way.
//
// # Needs attention
//
// Attention (attention.go) derives from a view alone why its order needs a
// support person, each reason with its age: COMPENSATION_FAILED (a flag
// COMPENSATION_FAILED, SAGA_REFUND_REJECTED or SAGA_CANCEL_REJECTED, or
// the saga's admin note "CODE: why; needs a person" with such a code,
// which it writes where a flag cannot go; its notes with other codes are
// FLAGGED), HELD_FOR_APPROVAL (a
// holding flag not yet approved), OVERDUE (the saga's SHIPMENT_OVERDUE or
// DELIVERY_OVERDUE flag, or an estimated delivery day that ended before a
// delivery), FLAGGED (any other flag), STUCK (PLACED or CONFIRMED, no flag,
// nothing backordered, no event for StuckAfter). An approval clears the
// flags; a person's admin note at or after a flag that holds nothing, or
// after the saga's note, acknowledges it; a cancelled or returned order
// keeps only what needs a person still. The view keeps when each flag was
// raised (View.FlagTimes).
//
// The shard script keeps the index: with every run it sets the order's
// score in attention:{T} to the earliest time a reason is due (a flag's
// time, the last event plus StuckAfter, the end of the delivery day), or
// removes it when none ever will be, so the reader's ZRANGEBYSCORE up to
// now finds exactly the orders whose time has come, whatever the clock
// did since their last event; it judges each by its view at its own
// clock. What a view cannot show is not on the list: the saga's requests
// and timers live in its own state topic, so STUCK means "no event for
// StuckAfter", not "no request in flight". Views projected before the
// index existed enter it at their next event (or a rebuild).
//
// # Gaps
//
// A gap (an event more than one past its order's projected version) is never
// skipped. The event and everything after it on its partition stay
// uncommitted: the projector commits each partition's offsets only up to the
// first record it could not project, logs the gap with orderId, the event's
// sequenceNumber and the projected version, counts it once in
// orderlog_projector_gaps_total, pauses the partition, rewinds it to that
// record and fetches it again after Config.RetryBackoff, doubling up to
// Config.MaxRetryBackoff, for as long as it takes
// (orderlog_projector_partitions_held shows it; the lag gauges grow).
// Events of other orders later in the batch may be applied meanwhile; they
// are found duplicate when the partition is read again. A gap heals when the
// missing event arrives (say, on another partition); one that cannot heal
// (the projection lost keys, or the group's offsets were reset past the
// start of an order) needs a rebuild. An undecodable record holds its
// partition the same way; a stale run is retried at once, then with the
// backoff. A failure of Redis rewinds the whole batch and retries it after a
// second, logged with its attempt number and counted in
// orderlog_projector_redis_errors_total: every call is idempotent. On a
// cluster the client also reloads its slot map after a failed batch, so
// that when a primary dies the retries reach its promoted replica
// (docs/operations.md, "Redis Cluster").
//
// # Rebuild without downtime
//
// A projection can be rebuilt from the log under a new prefix while readers
// keep using the active one: Rebuild (or a projector with Activate, its own
// prefix and its own group) consumes order.events from the beginning, and
// once the group has committed, for every partition, the last stable offset
// read just before, it sets the pointer key to its prefix: one SET, so
// readers switch atomically (every Reader call resolves the pointer once).
// It then goes on as the live projector of the new prefix; stop the old
// prefix's projectors and delete its keys with DeletePrefix, which refuses
// unless the pointer is set, refuses the active prefix, and never touches
// the pointer or the active prefix's keys.
//
// # Metrics
//
// orderlog_projector_events_total{outcome}, _gaps_total,
// _decode_errors_total, _redis_errors_total, _batch_duration_seconds,
// _batch_events, _event_age_seconds (event timestamp to projection),
// _lag_events{partition}, _lag_seconds{partition} (while records wait: the
// age of the last projected one, or of the record a held partition waits
// at; 0 when caught up), _partitions_held,
// _partitions_assigned, _view_cache_hits_total, _view_cache_misses_total,
// _activations_total. Outcome counters count handlings: an event handled
// again after a hold counts again, as a duplicate.
package projections
