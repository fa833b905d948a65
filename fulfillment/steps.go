package fulfillment

import (
	"fmt"
	"slices"
	"strings"
)

// Trigger names what makes the saga act: an order event, an answer of an
// outside system, or a timer.
type Trigger string

// The triggers that move the saga between steps.
const (
	OnPlaced        Trigger = "order placed"
	OnAuthorized    Trigger = "PAYMENT_AUTHORIZED"
	OnAllocated     Trigger = "every unit reserved or backordered"
	OnPaymentFailed Trigger = "PAYMENT_FAILED, attempts left"
	OnCaptured      Trigger = "payment captured"
	OnApproved      Trigger = "ORDER_APPROVED"
	OnDelivered     Trigger = "every shipment delivered"
	OnCancelled     Trigger = "ORDER_CANCELLED"
)

// Transition is one row of the saga's step table: on Trigger, in one of
// From, the saga does Do and moves To (StepNone: it stays). Compensation
// marks a row that undoes earlier work.
type Transition struct {
	From         []Step
	On           Trigger
	Do           string
	To           Step
	Compensation bool
}

var (
	active  = []Step{StepPaying, StepReserving, StepCapturing, StepApproval, StepShipping}
	placed  = append(slices.Clone(active), StepDelivered, StepCancelled)
	paying  = []Step{StepPaying}
	anyStep = placed
)

// Transitions is the saga's step table: the README's diagram and table are
// generated from it, and a test checks React moves only along its rows.
var Transitions = []Transition{
	{[]Step{StepNone}, OnPlaced, "InitiatePayment; start the payment deadline", StepPaying, false},
	{paying, "PAYMENT_INITIATED", "ask payment AUTHORIZE", StepNone, false},
	{paying, "payment AUTHORIZE OK / FAILED", "AuthorizePayment / FailPayment", StepNone, false},
	{paying, OnAuthorized, "ask inventory RESERVE of what is not allocated", StepReserving, false},
	{paying, OnAuthorized, "already allocated (a capture was declined): ask payment CAPTURE", StepCapturing, false},
	{paying, "PAYMENT_FAILED, no attempts left", "CancelOrder", StepNone, true},
	{paying, "payment deadline", "CancelOrder", StepNone, true},
	{[]Step{StepReserving}, "inventory RESERVE OK", "ReserveInventory per warehouse; BackorderItems and notify for what is short", StepNone, false},
	{[]Step{StepReserving}, "inventory RESERVE FAILED (short)", "CancelOrder", StepNone, true},
	{[]Step{StepReserving}, OnAllocated, "ask payment CAPTURE", StepCapturing, false},
	{[]Step{StepCapturing}, "payment CAPTURE OK / FAILED", "CapturePayment / FailPayment", StepNone, false},
	{[]Step{StepCapturing}, OnPaymentFailed, "InitiatePayment again", StepPaying, false},
	{[]Step{StepCapturing, StepPaying}, "PAYMENT_FAILED of an authorized payment", "ask payment VOID of its authorization", StepNone, true},
	{[]Step{StepCapturing}, OnCaptured, "notify confirmed; held by a review flag (no shipment deadline while a person reviews)", StepApproval, false},
	{[]Step{StepCapturing}, OnCaptured, "notify confirmed; ask shipping DISPATCH per reservation; start the shipment deadline", StepShipping, false},
	{[]Step{StepApproval}, OnApproved, "ask shipping DISPATCH per reservation; start the shipment deadline", StepShipping, false},
	{[]Step{StepShipping}, "shipping SHIPPED / DELIVERED", "ShipOrder (once, even after giving up, or when only DELIVERED came) / DeliverOrder", StepNone, false},
	{[]Step{StepShipping}, "SHIPMENT_DISPATCHED", "notify shipped", StepNone, false},
	{[]Step{StepShipping}, "shipping FAILED", "FlagOrder SHIPMENT_FAILED", StepNone, false},
	{[]Step{StepShipping, StepApproval}, "shipment deadline", "FlagOrder SHIPMENT_OVERDUE", StepNone, false},
	{[]Step{StepShipping}, "delivery deadline (everything shipped, not all delivered)", "FlagOrder DELIVERY_OVERDUE", StepNone, false},
	{[]Step{StepShipping, StepApproval, StepCapturing}, "backorder re-check", "ask inventory RESERVE of the backordered units (one re-check at a time); ship what arrives", StepNone, false},
	{[]Step{StepShipping}, OnDelivered, "notify delivered", StepDelivered, false},
	{active, "ORDER_CANCELLATION_REQUESTED", "CancelOrder", StepNone, true},
	{active, OnCancelled, "stop forward requests; void an authorization, refund a capture, release a reservation the order refused to record; note parcels that left; notify cancelled", StepCancelled, true},
	{anyStep, "INVENTORY_RELEASED", "ask inventory RELEASE", StepNone, true},
	{anyStep, "REFUND_REQUESTED", "ask payment REFUND; its OK answer becomes RecordRefund", StepNone, true},
	{[]Step{StepDelivered}, "RETURN_RECEIVED", "ask inventory RESTOCK", StepNone, true},
	{anyStep, "late RESERVE / AUTHORIZE / CAPTURE OK the order does not record", "RELEASE / VOID / REFUND it, once", StepNone, true},
	{[]Step{StepShipping, StepCancelled}, "shipping SHIPPED / DELIVERED after cancellation was requested", "AddAdminNote SHIPPED_AFTER_CANCELLATION, once", StepNone, true},
	{[]Step{StepNone, StepCancelled, StepDelivered}, "retention over (CANCELLED or RETURNED, nothing in flight)", "forget the order: its saga state is deleted", StepNone, false},
	{anyStep, "no answer in time, or UNAVAILABLE", "send again after Backoff; after MaxAttempts FailPayment, CancelOrder or FlagOrder", StepNone, true},
	{active, "InitiatePayment / AuthorizePayment / FailPayment / ReserveInventory / BackorderItems / CapturePayment REJECTED",
		"FlagOrder SAGA_PAYMENT_REJECTED / SAGA_RESERVE_REJECTED / SAGA_CAPTURE_REJECTED (the command, code and message), notify, release a reservation the order refused; CancelOrder while it can be cancelled (its cancellation voids an authorization, refunds a capture the order refused)", StepNone, true},
	{active, "ShipOrder REJECTED", "FlagOrder SAGA_SHIP_REJECTED, notify; while CONFIRMED CancelOrder (the capture is refunded, the stock released, a parcel that left noted for recall); once SHIPPED a person takes over", StepNone, true},
	{anyStep, "DeliverOrder / RecordRefund / CancelOrder REJECTED", "FlagOrder SAGA_DELIVER_REJECTED / SAGA_REFUND_REJECTED / SAGA_CANCEL_REJECTED (an admin note on a closed order), notify; a person takes over", StepNone, true},
	{anyStep, "a command REJECTED after the order moved on (cancelled, cancellation requested, INVALID_TRANSITION, a replaced payment), or a RecordNotification / FlagOrder / AddAdminNote REJECTED", "nothing but a log line (a warning for a refused record) and orderlog_saga_command_rejections_total: the cancellation path compensates", StepNone, false},
}

// allows reports whether the table has a row moving from to to on trigger.
func allows(from, to Step, on Trigger) bool {
	return slices.ContainsFunc(Transitions, func(t Transition) bool {
		return t.On == on && t.To == to && slices.Contains(t.From, from)
	})
}

func stepName(s Step) string {
	if s == StepNone {
		return "NEW"
	}
	return string(s)
}

// Mermaid renders the moves of the step table as a Mermaid state diagram.
func Mermaid() string {
	var b strings.Builder
	b.WriteString("stateDiagram-v2\n")
	seen := map[string]bool{}
	for _, t := range Transitions {
		if t.To == StepNone {
			continue
		}
		for _, f := range t.From {
			line := fmt.Sprintf("    %s --> %s: %s\n", stepName(f), stepName(t.To), t.On)
			if !seen[line] {
				seen[line] = true
				b.WriteString(line)
			}
		}
	}
	b.WriteString("    DELIVERED --> [*]\n    CANCELLED --> [*]\n")
	return b.String()
}

// Table renders the whole step table as Markdown.
func Table() string {
	var b strings.Builder
	b.WriteString("| In step | On | The saga | Then |\n|---|---|---|---|\n")
	for _, t := range Transitions {
		from := make([]string, len(t.From))
		for i, f := range t.From {
			from[i] = stepName(f)
		}
		to := "stays"
		if t.To != StepNone {
			to = stepName(t.To)
		}
		do := t.Do
		if t.Compensation {
			do += " *(compensation)*"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", strings.Join(from, ", "), t.On, do, to)
	}
	return b.String()
}
