// Package fulfillment is the pure core of the order fulfillment saga (seed
// 003's OrderFulfillmentSaga): a process manager that takes a placed order
// through payment authorization, inventory reservation, payment capture,
// shipment and delivery, and compensates when a step fails.
//
// It does no I/O. React takes the saga's State of one order and one Input
// (an order event, a result from an outside system, the order's answer to a
// command, or the clock ticking)
// and returns the new State and the Outputs to write: commands for the order
// aggregate (which stays the single writer of order events), requests to the
// outside systems of package integration, and notifications. Package saga
// runs it on Kafka, exactly once: the outputs, the new State and the
// consumed offsets go in one transaction.
//
// The saga folds the order's own events with order.Evolve, so it decides
// from the same facts the aggregate decided from. Every step it can take is
// a row of Steps; the diagram in the README is generated from that table,
// and a test checks that React never moves between steps along a path the
// table does not declare.
//
// The saga reads the results of its own commands (rejected.go): a command
// the order refused is judged (Judge) by its step and the order as it was
// when it refused (a rejection read before the order's events up to its
// version waits for them in State.Refused). A refusal the order's cancellation explains is left to the
// cancellation path; otherwise the order is flagged SAGA_<STEP>_REJECTED
// with the command, code and message, the customer is told, and before
// shipment the order is cancelled, so no authorization, capture or
// reservation stays held for an order that cannot go on.
//
// Durable timers (a payment deadline, a shipment deadline, a request's retry,
// the backorder re-check) are part of State, so they survive crashes and
// rebalances with it, and fire once: the command a timer produces is written
// in the same transaction that removes the timer. Their clock is Env.Now.
//
// Requests to outside systems are retried, with the same requestId, when no
// answer came within Policy.RequestTimeout or the system answered
// UNAVAILABLE, after Policy.Backoff(attempt); after Policy.MaxAttempts the
// request's failure path runs (a payment is failed, an inventory reservation
// cancels the order, a shipment is flagged for review). Env.Open says whether
// a system's circuit breaker is open: then requests wait for their retry time
// instead of being sent.
package fulfillment
