// Package saga runs the fulfillment saga (package fulfillment) on Kafka:
// `orderd --roles saga`.
//
// A saga member is a binding of the exactly-once runtime in package stream
// (docs/runtime.md): a consumer group member and a transactional producer
// (franz-go's GroupTransactSession). It reads order.events and the results
// topics of the outside systems (payment.results, inventory.results,
// shipping.results), and order.command-results for the order's answers to
// the saga's own commands, with read_committed; all are co-partitioned and keyed by
// orderId, and the range balancer gives one member the same partitions of
// every topic, so one member owns everything about an order. For each record
// it calls fulfillment.Policy.React with the order's saga state, and in one
// transaction writes what React returned (commands to order.commands,
// requests to the outside systems, notifications), the new saga state to the
// compacted order.saga-state topic, and the consumed offsets. A crash before
// the commit leaves nothing behind; the next owner restores the saga state of
// the partition from order.saga-state and reads on from the committed
// offsets.
//
// Durable timers: the saga state of an order holds its timers. Between polls
// (every Config.Tick) the member looks for due timers among the orders it
// owns and fires them with a clock tick input, in a transaction of their
// own: the command a timer produces and the state without the timer commit
// together, so a timer fires exactly once whatever crashes. The clock is
// Config.Now, so tests can move time.
//
// Protection: requests are retried by the fulfillment core after
// Policy.Backoff (NewBackoff builds one on cenkalti/backoff/v5: exponential
// with jitter, bounded); each outside system has a circuit breaker
// (sony/gobreaker/v2) fed by the answers and missing answers the core
// observes. While a breaker is open, requests to its system wait.
//
// Rejections: the processor answers every command on order.command-results;
// the saga acts only on rejections of its own commands (fulfillment.Concerns:
// ids "saga-<orderId>-..."), leaving the state of any other result
// unwritten. fulfillment.Judge says what it does (flag, notify, cancel, or
// leave it to the cancellation path), once the saga has read the order's
// events up to the version the order refused at; the binding logs each with the
// order's ids, the code and the action (a warning unless a cancellation
// explains it) and counts it in orderlog_saga_command_rejections_total
// {command, code, action}.
//
// A record that cannot be read (not Avro, unknown schema, no key) goes to
// order.commands.dlq with the dlq-* headers of package topics, and the saga
// goes on. The saga's fast tests run its Topology on stream.Tester.
package saga
