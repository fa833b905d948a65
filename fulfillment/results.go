package fulfillment

import (
	"fmt"
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
		// A late or repeated answer. Only money taken for a cancelled order
		// needs undoing here.
		if r.cancelled() && ok {
			r.lateMoney(res)
		}
		return
	}
	switch res.Action {
	case integration.PayAuthorize:
		if ok {
			r.command("authorize-"+res.PaymentID, order.AuthorizePayment{PaymentID: res.PaymentID, Amount: res.Amount,
				ProcessorReference: res.Reference})
		} else {
			r.command("fail-"+res.RequestID, order.FailPayment{PaymentID: res.PaymentID, Reason: res.Reason, Code: res.Code})
		}
	case integration.PayCapture:
		if ok {
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

// lateMoney undoes an authorization or capture that the gateway made for an
// order that was cancelled meanwhile, unless the order knows of it (then the
// cancellation already asked for the refund or void).
func (r *reaction) lateMoney(res integration.PaymentResult) {
	pay := r.s.Order.Payment
	switch res.Action {
	case integration.PayAuthorize:
		if pay.ID == res.PaymentID && pay.Status == order.PayAuthorized {
			return // known: voided on cancellation
		}
		r.undo(Request{ID: res.PaymentID + "-void", System: integration.Payment, Action: integration.PayVoid,
			PaymentID: res.PaymentID, Amount: res.Amount}, "late authorization of "+res.PaymentID+" voided")
	case integration.PayCapture:
		if pay.ID == res.PaymentID && pay.Captured > 0 {
			return // known: the cancellation requested its refund
		}
		r.undo(Request{ID: res.PaymentID + "-late-refund", System: integration.Payment, Action: integration.PayRefund,
			PaymentID: res.PaymentID, RefundID: "late-" + res.PaymentID, Amount: res.Amount}, "late capture of "+res.PaymentID+" refunded")
	}
}

func (r *reaction) inventory(res integration.InventoryResult) {
	q, outstanding := r.answer(res.RequestID, integration.Inventory, res.Outcome)
	if res.Outcome == integration.OutcomeUnavailable || res.Action != integration.InvReserve {
		return
	}
	ok := res.Outcome == integration.OutcomeOK
	if !outstanding {
		if r.cancelled() && ok {
			// Stock held for an order that no longer wants it.
			for _, a := range res.Allocations {
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
	if res.Outcome == integration.OutcomeOK && res.Status == integration.ShipmentDelivered {
		// The carrier's second answer; the request was answered by SHIPPED.
		if i >= 0 && !r.s.Shipments[i].Delivered {
			r.command("deliver-"+res.ShipmentID, order.DeliverOrder{ShipmentID: res.ShipmentID, ReceivedBy: res.ReceivedBy})
		}
		return
	}
	_, outstanding := r.answer(res.RequestID, integration.Shipping, res.Outcome)
	if !outstanding || i < 0 {
		return
	}
	if res.Outcome != integration.OutcomeOK {
		r.flagOrNote("SHIPMENT_FAILED", res.RequestID, "carrier refused shipment "+res.ShipmentID+": "+res.Reason)
		return
	}
	sh := r.s.Shipments[i]
	r.command("ship-"+sh.ID, order.ShipOrder{ShipmentID: sh.ID, WarehouseID: sh.WarehouseID, Items: quantities(sh.Items),
		Carrier: res.Carrier, TrackingNumber: res.TrackingNumber, TrackingURL: res.TrackingURL})
}
