// Package integration is the contract between orderlog's fulfillment saga
// and the systems outside it: a payment gateway, an inventory service, a
// shipping carrier and a notification service (seed 003's PaymentGateway,
// InventoryService, ShippingCarrier and CustomerService).
//
// Each system has a requests topic and (except notifications) a results
// topic. Every message is keyed by orderId, so it lands on the partition of
// its order on every co-partitioned topic, and is Avro encoded like the
// order events (package schemas). A request carries the orderId, a requestId
// and the correlationId of the order's flow; the result answers with the
// same requestId and an Outcome. Requests may be delivered more than once
// (the saga retries after a timeout, with the same requestId): a service
// answers a repeated requestId with its first answer.
//
// The package is pure Go types with no I/O, so any language can implement
// the other side from the .avsc files alone.
package integration
