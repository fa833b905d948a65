// Package processor is orderlog's exactly-once command processor: a
// binding of the runtime in package stream (see docs/runtime.md). Its
// Topology reads order.commands (Avro or JSON), decides each command with
// order.Decide against its order's state, and writes, in one Kafka
// transaction per polled batch, the events to order.events, one result per
// command to order.command-results, the new states to the compacted
// order.state (one record per changed order per batch) and the consumer
// offsets; poison goes to order.commands.dlq.
//
// Data flow for one batch:
//
//	order.commands ──poll──▶ decode ──▶ order.Decide(state, cmd) ──▶ events
//	      │                    │                 ▲                    │
//	      │                    └─ bad input ──▶ order.commands.dlq    │
//	      │                                      │                    ▼
//	      └─ stray partition ──▶ re-routed     state (per partition)  order.events
//	                                             ▲   (applied after   order.command-results
//	                                             │    commit only)    order.state (once per order)
//	order.state ──restore on assignment──────────┘
//
// A command whose records would not fit in Kafka (an event, its result or
// the order's new state over the topic's record limit), or whose records
// Kafka refused, is answered REJECTED with LIMIT_EXCEEDED and changes
// nothing. The session, stores, restore, re-routing, dead-lettering, size
// guards, readiness and the shared metrics are the runtime's.
package processor
