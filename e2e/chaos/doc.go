// Package chaos is orderlog's chaos test (ARCHITECTURE.md section 7.5): several
// built orderd processors in one consumer group, a steady load of commands,
// and kill -9 of a random processor every few seconds, each replaced by a
// fresh one. Afterwards everything is read back as a downstream consumer
// would (read_committed) and checked:
//
//   - every command record has exactly one result, and it is the result a
//     single pass of order.Decider.Handle over that order's commands
//     predicts (ACCEPTED, REJECTED with the same code, DUPLICATE for a
//     resent accepted command, REJECTED again for a resent rejected one);
//   - every order's events have sequence numbers 1..n, no gap, no duplicate,
//     and no event id appears twice on order.events;
//   - an accepted command's result names exactly the events caused by it,
//     and a rejected command caused none;
//   - the last order.state record of every order is the fold of its events
//     (but for the memory of handled commands, which no event carries).
//
// The test runs only on the real test bed (ORDERLOG_KAFKA_BROKERS, see
// internal/testenv); TestMain then builds ./cmd/orderd once. Data flow:
//
//	load (kgo, murmur2 by orderId) ──▶ order.commands ──▶ orderd ×3 (kill -9 loop)
//	                                                        │
//	verify (read_committed) ◀── events, state, results ◀────┘
//
// The saga's chaos test (saga_test.go) runs three orderd with the roles
// processor, saga and simulators, places a few hundred orders (scarce
// products, high values, cancellations) against simulated systems that
// decline, drop and answer UNAVAILABLE, kills one orderd every few seconds,
// and then requires every order to come to rest: DELIVERED, CANCELLED with
// any captured money refunded and no stock held, or explicitly waiting
// (an approval hold, a review flag, a backorder); gapless logs, unique event
// ids, nothing dead-lettered, and no money left at the gateway. Its plan,
// settings and verdict are e2e/internal/chaoskit's (NewSagaPlan,
// SagaSettings, WatchSaga, ReadAndVerifySaga), shared with
// e2e/brokerchaos, which runs the saga under broker faults.
package chaos
