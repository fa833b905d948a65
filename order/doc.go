// Package order is the pure domain core of orderlog: the order aggregate.
//
// It knows nothing of Kafka, Avro or Redis. Everything that happens to an
// order flows through two functions:
//
//	Decide(state, command) -> events | rejection
//	Evolve(state, event)   -> state
//
// Decide checks a command against the order's current state and the
// transition table (transitions.go), and returns the events that record what
// happened, with gapless sequence numbers and ids derived from the command id,
// so deciding the same command on the same state twice yields the same events.
// Evolve folds one event into the state; folding all of an order's events from
// the zero State reproduces the state exactly (the property tests prove it).
//
// The processor calls neither directly but Handle, its one entry point per
// command (handle.go):
//
//	Handle(state, command) -> next state, events, result
//
// It checks the command's limits (limits.go: the length and charset of every
// id and text, docs/limits.md), answers a command id the order already
// handled with its original result for the order's whole life (handled.go:
// a fingerprint and the outcome of every command, kept in the state,
// docs/dedup.md), decides, folds the events, remembers the outcome, and
// refuses a command whose state would outgrow the budget of a Kafka record
// (size.go: EncodedSizeBound). Changed(state, next) says whether next must
// be written.
//
// Rejections are *Rejection values with stable codes (ORDER_NOT_FOUND,
// INVALID_TRANSITION, VERSION_CONFLICT, VALIDATION_FAILED, LIMIT_EXCEEDED,
// ...) that callers branch on with errors.As. A command already handled is
// answered with a *Duplicate carrying the original version and event ids (or,
// for a rejected one, the original *Rejection); it emits nothing.
//
// Money is int64 minor units of the order's ISO 4217 currency. Totals are
// always recomputed from the lines, discounts, tax rate and shipping method,
// never taken from input. Prices, tax rates, shipping methods, promo codes and
// the approval threshold come from a Policy.
//
// Rules and their reasons are listed in docs/domain.md; the status diagram
// there is generated from the transition table (go generate ./order).
package order
