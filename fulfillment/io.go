package fulfillment

import (
	"github.com/orderlog/orderlog/integration"
	"github.com/orderlog/orderlog/order"
)

// Input is one thing that happened to an order: exactly one field is set,
// or none for a clock tick (due timers fire).
type Input struct {
	Event     *order.Event
	Payment   *integration.PaymentResult
	Inventory *integration.InventoryResult
	Shipping  *integration.ShippingResult
	// Result is the order's answer to a command (order.command-results);
	// the saga acts on rejections of its own (Concerns).
	Result *order.CommandResult
}

// Output is one record to write: exactly one of its fields is set.
type Output struct {
	Command      *order.Command                   // to order.commands
	Payment      *integration.PaymentRequest      // to payment.requests
	Inventory    *integration.InventoryRequest    // to inventory.requests
	Shipping     *integration.ShippingRequest     // to shipping.requests
	Notification *integration.NotificationRequest // to notification.requests
	// Observed is not a record: an outside system answered (OK) or did not
	// (timeout, UNAVAILABLE), for its circuit breaker.
	Observed *Observation
	// Refusal is not a record either: the saga judged a rejection of one
	// of its commands, for the log and the metrics.
	Refusal *Refusal
	// Forget is not a record either: the order is CANCELLED or RETURNED,
	// nothing is in flight and Policy.Retention has passed; its saga state
	// is deleted (a tombstone on the compacted topic). An answer arriving
	// later finds no state and is ignored.
	Forget bool
}

// Observation is one answer, or missing answer, of an outside system.
type Observation struct {
	System integration.System
	OK     bool
}

// Refusal is a rejection of one of the saga's commands and what the saga
// did about it (Judge).
type Refusal struct {
	Result order.CommandResult
	Step   string // "" for a record (a notification, a note, a flag)
	Action RejectionAction
	// ViewVersion is the version of the order the saga judged on: the
	// result's version, unless the saga was too far behind to wait.
	ViewVersion int64
}
