package fulfillment

import (
	"fmt"
	"slices"
	"strings"

	"github.com/orderlog/orderlog/integration"
	"github.com/orderlog/orderlog/order"
)

// answer takes request id off the outstanding list. It reports false for an
// answer to a request that is not outstanding (a repeat, or a late answer to
// a request dropped when the order was cancelled), which the caller may
// still have to compensate.
func (r *reaction) answer(id string, sys integration.System, outcome string) (Request, bool) {
	q, ok := r.s.request(id)
	if !ok {
		return Request{}, false
	}
	if outcome == integration.OutcomeUnavailable {
		r.unanswered(id, "unavailable")
		return Request{}, false
	}
	r.observe(sys, true)
	r.s.answered(id)
	return q, true
}

func (r *reaction) payment(res integration.PaymentResult) {
	_, outstanding := r.answer(res.RequestID, integration.Payment, res.Outcome)
	if res.Outcome == integration.OutcomeUnavailable {
		return
	}
	ok := res.Outcome == integration.OutcomeOK
	if !outstanding {
		// A late or repeated answer: money the order does not know of is
		// given back.
		if ok {
			r.lateMoney(res)
		}
		return
	}
	switch res.Action {
	case integration.PayAuthorize:
		if ok {
			r.s.Gateway = append(r.s.Gateway, integration.PayAuthorize+":"+res.PaymentID)
			r.command("authorize-"+res.PaymentID, order.AuthorizePayment{PaymentID: res.PaymentID, Amount: res.Amount,
				ProcessorReference: res.Reference})
		} else {
			r.command("fail-"+res.RequestID, order.FailPayment{PaymentID: res.PaymentID, Reason: res.Reason, Code: res.Code})
		}
	case integration.PayCapture:
		if ok {
			r.s.Gateway = append(r.s.Gateway, integration.PayCapture+":"+res.PaymentID)
			r.command("capture-"+res.PaymentID, order.CapturePayment{PaymentID: res.PaymentID, Amount: res.Amount,
				ProcessorReference: res.Reference})
		} else {
			r.command("fail-"+res.RequestID, order.FailPayment{PaymentID: res.PaymentID, Reason: res.Reason, Code: res.Code})
		}
	case integration.PayRefund:
		if ok && !strings.HasPrefix(res.RefundID, "late-") {
			r.command("refund-"+res.RefundID, order.RecordRefund{RefundID: res.RefundID, Amount: res.Amount,
				ProcessorReference: res.Reference})
		} else if !ok {
			r.flagOrNote("COMPENSATION_FAILED", res.RequestID, "refund "+res.RefundID+" refused: "+res.Reason)
		}
	case integration.PayVoid:
		if !ok {
			r.flagOrNote("COMPENSATION_FAILED", res.RequestID, "void of "+res.PaymentID+" refused: "+res.Reason)
		}
	}
}

// lateMoney undoes an authorization or capture the gateway confirmed in an
// answer that came after its request was given up (the payment was failed
// and maybe replaced) or dropped (the order was cancelled): the order never
// recorded it. A repeat of an answer the saga already recorded (Gateway)
// needs nothing: the order, or its cancellation, accounts for it.
func (r *reaction) lateMoney(res integration.PaymentResult) {
	if slices.Contains(r.s.Gateway, res.Action+":"+res.PaymentID) {
		return
	}
	switch res.Action {
	case integration.PayAuthorize:
		r.undo(Request{ID: res.PaymentID + "-void", System: integration.Payment, Action: integration.PayVoid,
			PaymentID: res.PaymentID, Amount: res.Amount}, "late authorization of "+res.PaymentID+" voided")
	case integration.PayCapture:
		r.lateRefund(res.PaymentID, res.Amount)
	}
}

func (r *reaction) lateRefund(paymentID string, amount int64) {
	r.undo(Request{ID: paymentID + "-late-refund", System: integration.Payment, Action: integration.PayRefund,
		PaymentID: paymentID, RefundID: "late-" + paymentID, Amount: amount}, "late capture of "+paymentID+" refunded")
}

// undoMoney gives back what the order's current payment holds when the
// order is cancelled: the refund of what the order recorded as captured is
// the order's own (REFUND_REQUESTED); a capture or authorization the
// gateway confirmed but the order refused to record (the cancellation came
// first) is refunded or voided here.
func (r *reaction) undoMoney() {
	pay := r.s.Order.Payment
	switch {
	case pay.ID == "" || pay.Captured > 0:
	case slices.Contains(r.s.Gateway, integration.PayCapture+":"+pay.ID):
		r.lateRefund(pay.ID, pay.Amount)
	case pay.Status == order.PayAuthorized ||
		(pay.Status == order.PayInitiated && slices.Contains(r.s.Gateway, integration.PayAuthorize+":"+pay.ID)):
		r.undo(Request{ID: pay.ID + "-void", System: integration.Payment, Action: integration.PayVoid,
			PaymentID: pay.ID, Amount: pay.Amount}, "authorization of "+pay.ID+" voided: the order was cancelled")
	}
}

func (r *reaction) inventory(res integration.InventoryResult) {
	q, outstanding := r.answer(res.RequestID, integration.Inventory, res.Outcome)
	if res.Outcome == integration.OutcomeUnavailable || res.Action != integration.InvReserve {
		return
	}
	ok := res.Outcome == integration.OutcomeOK
	if !outstanding {
		if ok {
			// A late or repeated answer: stock held that the order neither
			// records nor is about to record (its request was given up, or
			// dropped when the order was cancelled) is given back.
			for _, a := range res.Allocations {
				if r.knownReservation(a.ReservationID) {
					continue
				}
				r.undo(Request{ID: r.s.OrderID + "-release-" + a.ReservationID, System: integration.Inventory,
					Action: integration.InvRelease, ReservationID: a.ReservationID, Items: a.Items}, "late reservation "+a.ReservationID+" released")
			}
		}
		return
	}
	if !ok {
		if !isRecheck(q.ID) {
			r.command("cancel-inventory-short", order.CancelOrder{Reason: "inventory short: " + res.Reason})
		}
		return
	}
	for _, a := range res.Allocations {
		r.s.Unrecorded = append(r.s.Unrecorded, a)
		r.command("reserve-"+a.ReservationID, order.ReserveInventory{ReservationID: a.ReservationID, Items: quantities(a.Items)})
	}
	if len(res.Backordered) > 0 && !isRecheck(q.ID) {
		r.command("backorder-"+res.RequestID, order.BackorderItems{Items: quantities(res.Backordered), Reason: "out of stock"})
		var names []string
		for _, it := range res.Backordered {
			names = append(names, fmt.Sprintf("%d × %s", it.Quantity, it.ProductID))
		}
		r.notify("items-backordered", "backordered, the rest ships now: "+strings.Join(names, ", "))
		r.s.setTimer(TimerBackorderRecheck, r.env.Now.Add(r.p.BackorderRecheck))
	}
}

func (r *reaction) shipping(res integration.ShippingResult) {
	i := r.s.shipment(res.ShipmentID)
	if res.Outcome == integration.OutcomeOK && i >= 0 && (r.cancelled() || r.s.Order.CancellationRequested) {
		// The carrier took a parcel of an order being cancelled: the order
		// refuses ShipOrder, the money goes back; a person must recall it.
		r.answer(res.RequestID, integration.Shipping, res.Outcome)
		r.stray(i)
		return
	}
	if res.Outcome == integration.OutcomeOK {
		// SHIPPED, or DELIVERED (the carrier's second answer). Either
		// means the parcel left, even if the SHIPPED answer was lost or
		// comes after DELIVERED, or came after the request was given up:
		// record that first, or the order would refuse the delivery of a
		// shipment it does not know and wait for it forever.
		r.answer(res.RequestID, integration.Shipping, res.Outcome)
		if i < 0 {
			return
		}
		if !r.s.Shipments[i].Left {
			r.ship(i, res)
		}
		if res.Status == integration.ShipmentDelivered && !r.s.Shipments[i].Delivered {
			r.command("deliver-"+res.ShipmentID, order.DeliverOrder{ShipmentID: res.ShipmentID, ReceivedBy: res.ReceivedBy})
		}
		return
	}
	if _, outstanding := r.answer(res.RequestID, integration.Shipping, res.Outcome); outstanding && i >= 0 {
		r.flagOrNote("SHIPMENT_FAILED", res.RequestID, "carrier refused shipment "+res.ShipmentID+": "+res.Reason)
	}
}

// ship records shipment i as handed to the carrier.
func (r *reaction) ship(i int, res integration.ShippingResult) {
	r.s.Shipments[i].Left = true
	sh := r.s.Shipments[i]
	r.command("ship-"+sh.ID, order.ShipOrder{ShipmentID: sh.ID, WarehouseID: sh.WarehouseID, Items: quantities(sh.Items),
		Carrier: res.Carrier, TrackingNumber: res.TrackingNumber, TrackingURL: res.TrackingURL})
}

// stray tells a person, once, that shipment i left for an order being
// cancelled.
func (r *reaction) stray(i int) {
	sh := &r.s.Shipments[i]
	sh.Left = true
	if sh.Stray {
		return
	}
	sh.Stray = true
	r.s.note("shipment " + sh.ID + " left after cancellation")
	// A note, not a flag: the order is cancelled, or will be before a flag
	// could land (flags are refused on cancelled orders).
	r.command("note-stray-"+sh.ID, order.AddAdminNote{Text: "SHIPPED_AFTER_CANCELLATION: the carrier took shipment " +
		sh.ID + " although the order's cancellation was requested; recall it; needs a person"})
}

func (r *reaction) knownReservation(id string) bool {
	return slices.ContainsFunc(r.s.Order.Reservations, func(res order.Reservation) bool { return res.ID == id }) ||
		slices.ContainsFunc(r.s.Unrecorded, func(a integration.Allocation) bool { return a.ReservationID == id })
}
