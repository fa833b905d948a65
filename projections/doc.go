// Package projections keeps orderlog's read models in Redis: a Projector
// consumes order.events and writes them; a Reader serves them to the API
// and the CLI.
//
// # Data flow
//
//	order.events ──poll (read_committed, group)──▶ decode (Avro, per partition in parallel)
//	   ▲                                              │
//	   │ commit offsets up to the first               ▼
//	   │ record not projected                  group by order; base view from the
//	   │                                       LRU cache or one pipelined HMGET
//	   │                                              │
//	   └── hold the partition ◀── gap/stale ──  fold with Evolve, render view + writes
//	       (pause, rewind, retry)                     │
//	                                                  ▼
//	                                apply script, pipelined (one EVALSHA per run
//	                                of consecutive events of an order)
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
// "orderlog:"); the pointer key is the one key outside it.
//
//	key                          type    contents                                       written by
//	P order:{orderId}            hash    version (the last projected sequenceNumber),   every event
//	                                     view (View as JSON)
//	P order-events:{orderId}     list    the events as JSON (seed 000's envelope: id,   every event
//	                                     orderId, eventType, sequenceNumber, timestamp,
//	                                     data, metadata, userId, serviceId,
//	                                     correlationId, causationId); index = seq-1
//	P orders                     zset    orderId, score createdAt (ms)                  ORDER_CREATED
//	P customer-orders:{custId}   zset    orderId, score createdAt (ms)                  ORDER_CREATED
//	P status-orders:{STATUS}     zset    orderId of orders now in STATUS,               ORDER_CREATED,
//	                                     score createdAt (ms)                           ORDER_STATUS_CHANGED
//	P type-events:{EVENT_TYPE}   zset    "orderId:seq", score event timestamp (ms);     every event younger
//	                                     trimmed to Config.TypeIndexRetention (30 d)    than the retention
//	P stats:orders-by-status     hash    STATUS -> orders now in it (0 is deleted)      ORDER_CREATED,
//	                                                                                    ORDER_STATUS_CHANGED
//	P stats:revenue              hash    "USD:2026-11-21" -> captured minus refunded,   PAYMENT_CAPTURED,
//	                                     minor units, by UTC day of the event           PAYMENT_REFUNDED
//	P stats:events:{minute}      hash    EVENT_TYPE -> events stamped in that UTC       every event younger
//	                                     minute ("2026-11-21T10:04"); expires           than the TTL
//	                                     Config.MinuteCounterTTL (24 h) after it
//	orderlog:active-prefix       string the prefix readers use (Config.PointerKey)      Activate, a rebuild
//
// Sets are pageable newest first with a cursor (score and member of the last
// item, so pages stay right while orders are added). The families are
// distinct first segments, so no id can make two keys collide. The apply
// script writes several orders' shared keys, so a projection needs a single
// Redis (or a primary with replicas), not Redis Cluster.
//
// # The apply script
//
// Every write goes through one Lua script (applySource), loaded once with
// SCRIPT LOAD and called with EVALSHA, pipelined in chunks of
// Config.PipelineSize calls per round trip, the next chunk rendered while
// Redis runs the previous one. One call carries a run of consecutive events
// of one order, sequenceNumbers first..last (at most Config.MaxChain):
// KEYS are the order hash, its event list and the keys the writes touch;
// ARGV are n, first, the view after last (computed in Go), the events' JSON,
// and the writes (ZADD, ZREM, HINCRBY, EXPIREAT; summed over the run). With v
// the order's projected version (hash field version, 0 for none), the
// script replies {code, v} and:
//
//   - last <= v: duplicate; writes nothing.
//   - first == v+1 and a view is given: applied; appends the events to the
//     list, makes every write, and sets version = last and the view, all
//     in one atomic script run. So an event is applied only as the next of
//     its order.
//   - first > v+1: gap; writes nothing.
//   - otherwise (first <= v < last, or no view): stale; writes nothing. The
//     projector's base view was not Redis's (another projector moved the
//     order on, or Redis lost it); the run is planned again from Redis.
//
// The write list is checked before anything is written. A view is the fold
// of its order's events up to its version, whoever computed it, so a base
// from the cache or from Redis is equally good; the script's version check is
// what keeps a stale cache from ever writing a wrong view.
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
// second: every call is idempotent.
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
