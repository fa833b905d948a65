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
// A body is one JSON object of at most MaxBodyBytes (413 BODY_TOO_LARGE
// beyond), nothing after it; a problem in it is a 400 naming the field and
// the JSON type it must have. An orderId, in a path or a body, must meet
// order.ValidateOrderID (the document's orderId pattern and maxLength).
//
// # Idempotency
//
// The processor answers a command id it handled with its first result for
// the order's life, but knows only the id. So the server binds each
// Idempotency-Key to a fingerprint of its first request (caller, method,
// path and the commands it makes) in a KeyStore shared by every API process
// (RedisKeys): the same key with the same request is sent again and
// answered as the original; with another request it is 422
// IDEMPOTENCY_KEY_REUSED and nothing is sent (idempotency.go).
//
// # Support actions
//
// support.go: approval (ApproveOrder, admin), flags (FlagOrder, admin or
// service), notes (AddCustomerNote by the order's customer or an admin,
// AddAdminNote by an admin), shipping-address (ChangeShippingAddress),
// returns and their receipt (RequestReturn; ReceiveReturn by admin or
// service), refunds and their record (RequestRefund, RecordRefund: admin or
// service). Each is one command, answered like every write.
//
// Reads come from the Redis projections; GET /orders/{id}?version=N or
// ?at=<RFC3339> folds the order's events up to that point (time travel).
//
// # Auth
//
// Every route but /api/v1/openapi.json wants a bearer JWT with a subject
// and a role: customer, admin or service. Config.Auth verifies it: OIDC
// (oidc.go) checks a token of an OpenID Connect issuer (JWKS, RS256 or
// ES256, issuer and audience, the role from a configurable claim); without
// it HMACAuth checks HS256 tokens of Config.JWTKey with a role claim
// (Token and TokenUntil make them; orderctl token). A customer sees and changes only orders whose
// customerId is its sub (another customer's order is the same 404 as a
// missing one, even for a create under its id) and may not ship
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
