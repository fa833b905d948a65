// Package processor is orderlog's exactly-once command processor: a member
// of a Kafka consumer group on order.commands that decides each command
// against its order's state and, in one Kafka transaction per polled batch,
// writes the events, the new states, one result per command and the consumer
// offsets.
//
// Data flow for one batch:
//
//	order.commands ──poll──▶ decode ──▶ order.Decide(state, cmd) ──▶ events
//	      │                    │                 ▲                    │
//	      │                    └─ bad input ──▶ order.commands.dlq    │
//	      │                                      │                    ▼
//	      └─ stray partition ──▶ re-routed     Store (per partition)  order.events
//	                                             ▲   (applied after   order.command-results
//	                                             │    commit only)    order.state (once per order)
//	order.state ──restore on assignment──────────┘
//
// Every output record goes to the partition of its order (Kafka's murmur2
// of the orderId, as the Java client computes it), which is the partition the
// command came from; a command that arrived on another partition (a producer
// with a different partitioner) is re-produced onto the right one in the same
// transaction, so one process owns each order's state.
//
// State changes of a batch live in an overlay until the transaction commits;
// an aborted transaction (rebalance, crash, fencing) leaves the store at the
// committed state, and the group session rewinds to the committed offsets.
// On assignment of a partition the store is restored from order.state with
// read_committed up to the high watermark (waiting out open transactions of
// earlier owners) before any command of that partition is handled; on
// revocation it is dropped.
package processor
