// Package stream is orderlog's exactly-once runtime: one Kafka consumer
// group member that reads keyed, co-partitioned input topics, keeps a state
// per key restored from a compacted changelog, calls a pure handler for each
// record (and for each due timer), and writes the handler's outputs, the
// changed states and the consumed offsets in one Kafka transaction per batch
// (franz-go's GroupTransactSession, read_committed).
//
// The processor and the saga are two bindings of it: a Topology that reads
// like a sentence — these inputs, with these codecs, handled by this pure
// function, state in this changelog, writing to these outputs, dead letters
// there — and nothing of Kafka in the binding.
//
// Data flow of one batch, per partition on its own goroutine:
//
//	poll ─▶ quarantined? ─▶ decode ─▶ right partition? ─▶ Handle(state, input) ─▶ outputs
//	           │              │             │                   │                  │
//	           ▼              ▼             ▼                   ▼                  ▼
//	     dead letter    dead letter     re-routed         overlay (applied    size guard:
//	     (its reason)   (the error)     onto its own      to the store only   Refuse, then
//	                                    partition         after the commit)   dead letter
//
// No single record can stop a partition:
//   - Every output is checked against the largest record its topic and the
//     producer accept (Limits, read from the topics' max.message.bytes at
//     start) before it is produced. An input whose outputs do not fit is
//     answered by the binding's Refuse (the processor: a LIMIT_EXCEEDED
//     rejection that changes nothing); if that does not fit either, the
//     input is dead-lettered, and an input too large to dead-letter whole is
//     dead-lettered truncated, with its size, SHA-256 and coordinates.
//   - A transaction whose produce fails for a reason that lies in a record
//     (too large for the broker, an invalid timestamp, a corrupt record) is
//     aborted; the input whose output failed is isolated: on the next
//     attempt it climbs one step of the same ladder (refused, dead-lettered,
//     dead-lettered truncated, skipped with an error log). When the failed
//     records came from several inputs, the poll size is halved until one
//     input is alone (bisection), then grows back. Bounded: every abort
//     either halves the batch or moves one input one step up.
//   - A partition whose batches keep failing makes the member not ready
//     (Health names the partition and the reason) and shows in the
//     partition_stuck metric.
//
// Exactly once: states change in a per-batch overlay applied only after the
// commit, and only to the partition assignment the batch decided from (a
// partition lost and assigned again meanwhile was restored anew); an
// aborted transaction rewinds the session to the committed offsets. On
// assignment a partition's states are restored from the changelog,
// read_committed up to the high watermark (package internal/changelog),
// before any of its records is handled.
//
// Tester runs a Topology without Kafka, through the same batch code, as
// Goka's tester and Kafka Streams' TopologyTestDriver do.
package stream
