package fulfillment

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/orderlog/orderlog/integration"
	"github.com/orderlog/orderlog/order"
)

// send records q as outstanding and writes it, unless its system's breaker
// is open: then it waits for its retry timer.
func (r *reaction) send(q Request) {
	if _, dup := r.s.request(q.ID); dup {
		return
	}
	q.Attempt = 0
	r.s.Requests = append(r.s.Requests, q)
	r.transmit(q.ID)
}

// transmit sends attempt n+1 of an outstanding request and arms its timeout,
// or, with the breaker open, arms a retry after the backoff instead.
func (r *reaction) transmit(id string) {
	i := r.index(id)
	q := &r.s.Requests[i]
	if r.env.open(q.System) {
		q.SentAt = time.Time{}
		r.s.setTimer(timerRetryPrefix+id, r.env.Now.Add(r.p.Backoff(max(q.Attempt, 1))))
		return
	}
	q.Attempt++
	q.SentAt = r.env.Now
	r.s.setTimer(timerRetryPrefix+id, r.env.Now.Add(r.p.RequestTimeout))
	r.out = append(r.out, r.message(*q))
}

func (r *reaction) index(id string) int {
	for i := range r.s.Requests {
		if r.s.Requests[i].ID == id {
			return i
		}
	}
	panic("fulfillment: no request " + id)
}

// unanswered handles a missing answer (timeout) or an UNAVAILABLE one: the
// request waits Backoff(attempt) and goes again, or gives up after
// MaxAttempts.
func (r *reaction) unanswered(id, why string) {
	q, ok := r.s.request(id)
	if !ok {
		return
	}
	r.observe(q.System, false)
	if q.Attempt >= r.p.MaxAttempts {
		r.s.answered(id)
		r.giveUp(q, fmt.Sprintf("%s %s: %s after %d attempts", q.System, q.Action, why, q.Attempt))
		return
	}
	r.s.Requests[r.index(id)].SentAt = time.Time{}
	r.s.setTimer(timerRetryPrefix+id, r.env.Now.Add(r.p.Backoff(q.Attempt)))
}

// giveUp is the failure path of a request that was never answered.
func (r *reaction) giveUp(q Request, why string) {
	r.s.note("gave up: " + why)
	switch {
	case r.cancelled() && (q.Action == integration.PayAuthorize || q.Action == integration.PayCapture ||
		q.Action == integration.InvReserve || q.Action == integration.ShipDispatch):
		// Nothing forward is wanted any more.
	case q.Action == integration.PayAuthorize || q.Action == integration.PayCapture:
		r.command("fail-"+q.ID, order.FailPayment{PaymentID: q.PaymentID, Reason: why, Code: "NO_ANSWER", Retryable: true})
	case q.Action == integration.InvReserve && !isRecheck(q.ID):
		r.command("cancel-no-inventory", order.CancelOrder{Reason: why})
	case q.Action == integration.ShipDispatch:
		r.flagOrNote("SHIPMENT_FAILED", q.ID, why)
	default: // void, refund, release, restock: a person must finish it
		r.flagOrNote("COMPENSATION_FAILED", q.ID, why)
	}
}

// flagOrNote flags an open order for review, or adds an admin note to a
// closed one (flags are for open orders).
func (r *reaction) flagOrNote(code, key, why string) {
	switch r.s.Order.Status {
	case order.StatusCancelled, order.StatusReturned:
		r.command("note-"+key, order.AddAdminNote{Text: code + ": " + why + "; needs a person"})
	default:
		r.command("flag-"+key, order.FlagOrder{Code: code, Reason: why})
	}
}

func (r *reaction) observe(sys integration.System, ok bool) {
	r.out = append(r.out, Output{Observed: &Observation{System: sys, OK: ok}})
}

// message renders an outstanding request as the record to write.
func (r *reaction) message(q Request) Output {
	base := func() (string, string, string) { return q.ID, r.s.OrderID, r.s.CorrelationID }
	id, oid, corr := base()
	switch q.System {
	case integration.Payment:
		return Output{Payment: &integration.PaymentRequest{RequestID: id, OrderID: oid, CorrelationID: corr,
			Action: q.Action, PaymentID: q.PaymentID, RefundID: q.RefundID, Amount: q.Amount,
			Currency: r.s.Order.Currency, Method: r.p.PaymentMethod, Attempt: q.Attempt, RequestedAt: r.env.Now}}
	case integration.Inventory:
		return Output{Inventory: &integration.InventoryRequest{RequestID: id, OrderID: oid, CorrelationID: corr,
			Action: q.Action, ReservationID: q.ReservationID, Items: q.Items, AllowBackorder: q.AllowBackorder,
			Attempt: q.Attempt, RequestedAt: r.env.Now}}
	default:
		m := &integration.ShippingRequest{RequestID: id, OrderID: oid, CorrelationID: corr, Action: q.Action,
			ShipmentID: q.ShipmentID, WarehouseID: q.WarehouseID, Items: q.Items, Attempt: q.Attempt, RequestedAt: r.env.Now}
		if sh := r.s.Order.Shipping; sh != nil {
			m.Method, m.Recipient, m.Country, m.PostalCode = sh.Method, sh.RecipientName, sh.Address.Country, sh.Address.PostalCode
		}
		return Output{Shipping: m}
	}
}

// ---- the clock ----

func (r *reaction) tick() {
	now := r.env.Now
	var due []Timer
	for _, t := range r.s.Timers {
		if !t.Due.After(now) {
			due = append(due, t)
		}
	}
	for _, t := range due {
		if !r.s.hasTimer(t.Name) {
			continue // an earlier timer of this tick cleared it
		}
		r.s.clearTimer(t.Name)
		r.fire(t)
	}
}

func (r *reaction) fire(t Timer) {
	if id, ok := strings.CutPrefix(t.Name, timerRetryPrefix); ok {
		q, ok := r.s.request(id)
		switch {
		case !ok:
		case q.SentAt.IsZero():
			r.transmit(id) // backoff over, or breaker closed again: send
		default:
			r.unanswered(id, fmt.Sprintf("no answer within %s", r.p.RequestTimeout))
		}
		return
	}
	switch t.Name {
	case TimerPaymentDeadline:
		if st := r.s.Order.Payment.Status; !r.cancelled() && st != order.PayAuthorized && st != order.PayCaptured {
			r.command("cancel-payment-deadline", order.CancelOrder{
				Reason: fmt.Sprintf("payment not authorized within %s", r.p.PaymentTimeout)})
		}
	case TimerDeliveryDeadline:
		if r.s.Step == StepShipping {
			r.flagOrNote("DELIVERY_OVERDUE", "delivery-deadline",
				fmt.Sprintf("every shipment left %s ago and not all were delivered", r.p.ShipmentTimeout))
		}
	case TimerShipmentDeadline:
		if r.s.Step == StepShipping || r.s.Step == StepApproval {
			r.flagOrNote("SHIPMENT_OVERDUE", "shipment-deadline",
				fmt.Sprintf("not every shipment was handed to the carrier within %s of payment", r.p.ShipmentTimeout))
		}
	case TimerForget:
		if len(r.s.Requests) > 0 { // a compensation still runs: keep the state
			r.s.setTimer(TimerForget, r.env.Now.Add(r.p.Retention))
			return
		}
		r.out = append(r.out, Output{Forget: true})
	case TimerBackorderRecheck:
		if r.s.Step != StepShipping && r.s.Step != StepApproval && r.s.Step != StepCapturing {
			return
		}
		var want []integration.Item
		for _, l := range r.s.Order.Lines {
			if l.Backordered > 0 {
				want = append(want, integration.Item{ProductID: l.ProductID, Quantity: l.Backordered})
			}
		}
		if len(want) == 0 {
			return
		}
		r.s.setTimer(TimerBackorderRecheck, r.env.Now.Add(r.p.BackorderRecheck))
		if slices.ContainsFunc(r.s.Requests, func(q Request) bool { return isRecheck(q.ID) }) {
			return // one re-check at a time: two could both reserve the same units
		}
		r.send(Request{ID: fmt.Sprintf("%s-recheck-%d", r.s.OrderID, r.env.Now.UnixMilli()), System: integration.Inventory,
			Action: integration.InvReserve, Items: want, AllowBackorder: true})
	}
}
