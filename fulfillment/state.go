package fulfillment

import (
	"slices"
	"time"

	"github.com/orderlog/orderlog/integration"
	"github.com/orderlog/orderlog/order"
)

// Step is where an order stands in the saga.
type Step string

// The saga's steps. Cancelled and Returned orders may still receive late
// answers; the saga compensates them (a late reservation is released, a late
// authorization voided) but starts nothing new.
const (
	StepNone      Step = ""                  // not placed yet: the saga only folds events
	StepPaying    Step = "PAYING"            // authorization asked, maybe retried
	StepReserving Step = "RESERVING"         // authorized; stock asked for
	StepCapturing Step = "CAPTURING"         // allocated; capture asked
	StepApproval  Step = "AWAITING_APPROVAL" // captured, held by a review flag
	StepShipping  Step = "SHIPPING"          // shipments asked for, some maybe on their way or backordered
	StepDelivered Step = "DELIVERED"         // every shipment delivered (returns may follow)
	StepCancelled Step = "CANCELLED"         // the order was cancelled; compensations run
)

// Steps lists every step, in lifecycle order.
var Steps = []Step{StepNone, StepPaying, StepReserving, StepCapturing, StepApproval, StepShipping, StepDelivered, StepCancelled}

// State is the saga's record of one order, kept on the compacted saga state
// topic under the order id.
type State struct {
	OrderID       string      `json:"orderId"`
	CorrelationID string      `json:"correlationId"`
	Step          Step        `json:"step"`
	Order         order.State `json:"order"` // the order, folded from its events

	PaymentAttempts int32      `json:"paymentAttempts"` // payments initiated so far
	Requests        []Request  `json:"requests"`        // asked and not yet answered
	Timers          []Timer    `json:"timers"`
	Shipments       []Shipment `json:"shipments"` // shipments asked of the carrier
	// Log keeps what the saga did outside the order's own events (a late
	// reservation released, a late capture refunded), newest last, bounded.
	Log []string `json:"log"`
	// Undone lists the compensations already asked for late answers (the
	// ids of their requests), newest last, bounded, so that a late answer
	// repeated after its compensation was answered is not undone twice.
	Undone []string `json:"undone,omitempty"`
	// Gateway lists what the payment gateway confirmed, "AUTHORIZE:<id>"
	// and "CAPTURE:<id>", so a cancellation that overtakes the command
	// recording it (and makes the order refuse that command) still undoes
	// the money.
	Gateway []string `json:"gateway,omitempty"`
	// Unrecorded holds the allocations the saga asked the order to record
	// (ReserveInventory) whose INVENTORY_RESERVED has not come: if the order
	// is cancelled first, it refuses them, and the saga releases them.
	Unrecorded []integration.Allocation `json:"unrecorded,omitempty"`
	// Refused holds rejections of the saga's commands that came before the
	// order's events up to the version they were refused at (events and
	// results are different topics): each is judged once the saga's view of
	// the order has reached its version, oldest first, bounded.
	Refused []order.CommandResult `json:"refused,omitempty"`
}

// Request is a request to an outside system that has not been answered. The
// saga re-sends it, with the same id, from these fields.
type Request struct {
	ID             string             `json:"id"`
	System         integration.System `json:"system"`
	Action         string             `json:"action"`
	Attempt        int32              `json:"attempt"`
	PaymentID      string             `json:"paymentId,omitempty"`
	RefundID       string             `json:"refundId,omitempty"`
	Amount         int64              `json:"amount,omitempty"`
	ReservationID  string             `json:"reservationId,omitempty"`
	ShipmentID     string             `json:"shipmentId,omitempty"`
	WarehouseID    string             `json:"warehouseId,omitempty"`
	Items          []integration.Item `json:"items"`
	AllowBackorder bool               `json:"allowBackorder,omitempty"`
	SentAt         time.Time          `json:"sentAt"` // zero while held by an open circuit breaker
}

// Timer fires once at Due: Name says what for ("payment-deadline",
// "shipment-deadline", "backorder-recheck", "retry:<requestId>").
type Timer struct {
	Name string    `json:"name"`
	Due  time.Time `json:"due"`
}

// Shipment is one shipment asked of the carrier.
type Shipment struct {
	ID            string             `json:"id"`
	RequestID     string             `json:"requestId"`
	ReservationID string             `json:"reservationId"`
	WarehouseID   string             `json:"warehouseId"`
	Items         []integration.Item `json:"items"`
	Shipped       bool               `json:"shipped"`
	Delivered     bool               `json:"delivered"`
	// Left: the carrier answered SHIPPED or DELIVERED. Stray: it did so for
	// an order being cancelled, and a person was told to recall it.
	Left  bool `json:"left,omitempty"`
	Stray bool `json:"stray,omitempty"`
}

// Timer names.
const (
	TimerPaymentDeadline  = "payment-deadline"
	TimerShipmentDeadline = "shipment-deadline"
	TimerDeliveryDeadline = "delivery-deadline"
	TimerForget           = "forget"
	TimerBackorderRecheck = "backorder-recheck"
	timerRetryPrefix      = "retry:"
)

// InFlight reports whether the saga still expects something for the order:
// an unanswered request or a timer. A placed order with nothing in flight is
// finished (delivered, cancelled, returned) or explicitly held (for approval).
// The retention timer (TimerForget) does not count: it only tidies up.
func (s State) InFlight() bool {
	return len(s.Requests) > 0 || slices.ContainsFunc(s.Timers, func(t Timer) bool { return t.Name != TimerForget })
}

// NextDue returns the earliest timer, if any.
func (s State) NextDue() (time.Time, bool) {
	if len(s.Timers) == 0 {
		return time.Time{}, false
	}
	due := s.Timers[0].Due
	for _, t := range s.Timers[1:] {
		if t.Due.Before(due) {
			due = t.Due
		}
	}
	return due, true
}

func (s *State) setTimer(name string, due time.Time) {
	s.Timers = slices.DeleteFunc(s.Timers, func(t Timer) bool { return t.Name == name })
	s.Timers = append(s.Timers, Timer{Name: name, Due: due})
}

func (s *State) clearTimer(name string) {
	s.Timers = slices.DeleteFunc(s.Timers, func(t Timer) bool { return t.Name == name })
}

func (s *State) hasTimer(name string) bool {
	return slices.ContainsFunc(s.Timers, func(t Timer) bool { return t.Name == name })
}

func (s *State) request(id string) (Request, bool) {
	i := slices.IndexFunc(s.Requests, func(r Request) bool { return r.ID == id })
	if i < 0 {
		return Request{}, false
	}
	return s.Requests[i], true
}

// answered forgets request id and its retry timer.
func (s *State) answered(id string) {
	s.Requests = slices.DeleteFunc(s.Requests, func(r Request) bool { return r.ID == id })
	s.clearTimer(timerRetryPrefix + id)
}

func (s *State) shipment(id string) int {
	return slices.IndexFunc(s.Shipments, func(sh Shipment) bool { return sh.ID == id })
}

const maxLog = 20

// undo asks for the compensation q of a late answer, once.
func (r *reaction) undo(q Request, line string) {
	if slices.Contains(r.s.Undone, q.ID) {
		return
	}
	r.s.Undone = append(r.s.Undone, q.ID)
	if len(r.s.Undone) > maxUndone {
		r.s.Undone = slices.Delete(r.s.Undone, 0, len(r.s.Undone)-maxUndone)
	}
	r.s.note(line)
	r.send(q)
}

const maxUndone = 50

func (s *State) note(line string) {
	s.Log = append(s.Log, line)
	if len(s.Log) > maxLog {
		s.Log = slices.Delete(s.Log, 0, len(s.Log)-maxLog)
	}
}
