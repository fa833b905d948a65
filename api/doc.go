// Package api is orderlog's HTTP API, the handler the `orderd --roles api`
// role mounts under /api/v1.
//
// # Data flow
//
//	write: HTTP ──auth (JWT)──▶ order.Command ──CommandSender──▶ order.commands
//	                                                               │ processor
//	       HTTP ◀── order as of the result's version ◀── ResultWaiter ◀── order.command-results
//	                  (Reader.WaitForVersion: read your writes)
//
//	read:  HTTP ──auth──▶ projections.Reader (Redis) ──▶ view, list, events
//
// A write builds one command (two for PUT /orders/{id} with both shipping
// and billing): its commandId is the Idempotency-Key header or a new UUID,
// If-Match "<version>" becomes expectedVersion. The server sends it, waits
// for its result (Config.Timeout, default 5 s) and answers: ACCEPTED 201
// (create, with Location) or 200, DUPLICATE 200 as the original, both with
// ETag "<version>" and the order as of that version once the projection has
// reached it; REJECTED VERSION_CONFLICT 409 (412 with If-Match),
// ORDER_NOT_FOUND 404, any other code 422; a bad body 400 naming the field;
// a failed send 503; no result in time 504. Every error body is
// {"code","message","field"}. A create without orderId gets one derived
// from the caller and its Idempotency-Key, so a retried create is
// deduplicated by the processor.
//
// Reads come from the Redis projections; GET /orders/{id}?version=N or
// ?at=<RFC3339> folds the order's events up to that point (time travel).
//
// # Auth
//
// Every route but /api/v1/openapi.json wants a bearer JWT signed with HMAC
// (Config.JWTKey) with claims sub and role: customer, admin or service
// (Token makes one). A customer sees and changes only orders whose
// customerId is its sub (another customer's order is 404) and may not ship
// or read events by type; only an admin sees admin notes.
//
// # Kafka
//
// Kafka stays behind CommandSender and ResultWaiter, so handler tests use
// fakes. KafkaSender and KafkaResults (kafka.go) are the real ones; run
// KafkaResults.Run for as long as the server serves.
//
// OpenAPI returns the OpenAPI 3 document, served at /api/v1/openapi.json; a
// test keeps it and the registered routes equal.
package api
