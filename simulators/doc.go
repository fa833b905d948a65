// Package simulators stands in for the four systems outside orderlog that
// the fulfillment saga talks to (package integration): a payment gateway,
// an inventory service, a shipping carrier and a customer (notification)
// service. They are for dev mode (`orderd --roles simulators`) and tests, so
// that every path of the saga, its compensations and its timeouts included,
// can be driven on purpose. They are not production services: state lives
// in memory and is gone when the process stops, and there is one instance
// per group (inventory held by a member is not shared with another).
//
// # Data flow
//
// One consumer group member reads payment.requests, inventory.requests,
// shipping.requests and notification.requests (read_committed, as the saga
// writes in transactions), decodes each record with the schemas serdes,
// decides it at once (stock is held or released when the request is read)
// and schedules its answer on a timer for the system's Latency, so a slow
// system never blocks the consume loop. When the timer fires, the result is
// stamped At = Now(), encoded and produced asynchronously to the system's
// results topic, keyed by the request's record key (its orderId), so it
// lands on the order's partition of the co-partitioned topic. A result
// copies the request's requestId, orderId and correlationId.
//
// Delivery is at least once and answers can be lost: offsets are
// autocommitted, so a crash may lose a request that was read but not yet
// answered, and Run's stop drops answers still waiting out their latency.
// That is realistic for an outside system, and the saga's timeouts cover it.
//
// # Behaviour
//
// Each answering system has a Behavior: a Latency (uniform in [Min, Max])
// and three rates, drawn in this order for each request: DropRate (never
// answer, to exercise the saga's timeouts), UnavailableRate (answer
// UNAVAILABLE, which the saga may retry) and FailureRate (a final FAILED,
// only for actions that can be refused). Rates of 0 never and 1 always
// happen. The draws depend on Config.Seed, the system, the requestId and how
// many times that requestId was tried, never on arrival order, so a run
// with a seed is reproducible.
//
//   - Payment: AUTHORIZE answers OK with a Reference, or FAILED ("card
//     declined", code 51). CAPTURE answers OK or FAILED ("capture refused:
//     authorization expired", code 54). VOID and REFUND always answer OK
//     unless dropped or unavailable: a compensation is never refused.
//     Amount, PaymentID and RefundID are echoed.
//   - Inventory: RESERVE takes each item greedily from Warehouses in order
//     (only from the item's WarehouseID when it names one): one Allocation
//     per warehouse used, ReservationID = requestId + "-" + warehouseId,
//     items carrying their WarehouseID. When stock is short, AllowBackorder
//     holds what exists and lists the rest as Backordered (OK); without it
//     the answer is FAILED with a Reason naming the short product, and
//     nothing is held. FailureRate refuses a RESERVE whatever the stock.
//     RELEASE puts back the reservation named by ReservationID (an
//     allocation's id, or the RESERVE's requestId for all its warehouses;
//     every reservation of the order when empty) and lists what it released;
//     releasing what is not held is OK and changes nothing. RESTOCK puts
//     items back on hand at their WarehouseID, else the first warehouse.
//     Stock starts from Stock, and DefaultStock for products it does not
//     list.
//   - Shipping: DISPATCH answers SHIPPED (Carrier, TrackingNumber,
//     TrackingURL) after the latency, then DELIVERED (ReceivedBy) after
//     DeliveryDelay more (never, when negative); FailureRate answers FAILED.
//     A shipment takes the order's reservations at its warehouse (every
//     warehouse when it names none) out of the inventory: no longer held,
//     and not back on hand until a RESTOCK.
//   - Notification: logged at info with orderId and template, counted, kept
//     (the newest Notification.Keep) for Notifications; never answered.
//
// Repeats: the saga retries with the same requestId, and Kafka may deliver a
// request twice. A requestId that got a final answer (OK or FAILED) is
// answered with that first answer again, and never reserves stock twice;
// only the first answer is repeated, not a later DELIVERED. A dropped or
// UNAVAILABLE request is not final: its retry is a fresh try with fresh
// dice. Config.Remember bounds the requestIds remembered per system.
//
// For tests, Stock, Reserved and Notifications show the simulated state, so
// a test can assert, say, that a cancelled order holds no stock.
//
// # Metrics
//
//   - orderlog_simulator_requests_total{system,action,outcome}: requests
//     decided; outcome OK, FAILED, UNAVAILABLE, DROPPED, or RECEIVED for
//     notifications (whose action label is the template).
//   - orderlog_simulator_repeated_requests_total{system}: repeats answered
//     with the first answer.
//   - orderlog_simulator_invalid_requests_total{system}: undecodable
//     records, skipped.
//   - orderlog_simulator_results_total{system}: results produced.
//   - orderlog_simulator_produce_failures_total{system}: results lost.
//   - orderlog_simulator_reserved_units{warehouse}: units held for orders.
//   - orderlog_simulator_pending_answers: answers waiting out their latency.
package simulators
