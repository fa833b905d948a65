package fulfillment

import (
	"fmt"
	"slices"
	"strings"

	"github.com/orderlog/orderlog/integration"
	"github.com/orderlog/orderlog/order"
)

// React applies one input to the saga state of one order and returns the
// new state and what to write. It does not change s.
func (p Policy) React(s State, in Input, env Env) (State, []Output) {
	r := p.react(s, in, env)
	return r.s, r.out
}

// move is one change of step, with the trigger that caused it.
type move struct {
	from, to Step
	on       Trigger
}

type reaction struct {
	p     Policy
	env   Env
	s     State
	out   []Output
	moves []move
}

func (p Policy) react(s State, in Input, env Env) *reaction {
	s.Requests = slices.Clone(s.Requests)
	s.Timers = slices.Clone(s.Timers)
	s.Shipments = slices.Clone(s.Shipments)
	s.Log = slices.Clone(s.Log)
	s.Undone = slices.Clone(s.Undone)
	s.Gateway = slices.Clone(s.Gateway)
	s.Unrecorded = slices.Clone(s.Unrecorded)
	s.Refused = slices.Clone(s.Refused)
	r := &reaction{p: p, env: env, s: s}
	switch {
	case in.Event != nil:
		r.event(*in.Event)
	case in.Payment != nil:
		r.payment(*in.Payment)
	case in.Inventory != nil:
		r.inventory(*in.Inventory)
	case in.Shipping != nil:
		r.shipping(*in.Shipping)
	case in.Result != nil:
		r.result(*in.Result)
	default:
		r.tick()
	}
	return r
}

func (r *reaction) move(to Step, on Trigger) {
	if r.s.Step == to {
		return
	}
	r.moves = append(r.moves, move{from: r.s.Step, to: to, on: on})
	r.s.Step = to
}

func (r *reaction) cancelled() bool { return r.s.Step == StepCancelled }

// ---- order events ----

func (r *reaction) event(e order.Event) {
	r.s.Order = order.Evolve(r.s.Order, e)
	if r.s.OrderID == "" {
		r.s.OrderID = e.OrderID
	}
	if r.s.CorrelationID == "" {
		r.s.CorrelationID = e.CorrelationID
	}
	switch d := e.Data.(type) {
	case order.OrderStatusChanged:
		switch d.NewStatus.Name {
		case order.StatusPlaced:
			r.placed()
		case order.StatusConfirmed:
			r.confirmed()
		case order.StatusDelivered:
			r.delivered()
		case order.StatusCancelled:
			r.orderCancelled()
		case order.StatusReturned:
			r.s.setTimer(TimerForget, r.env.Now.Add(r.p.Retention))
		}
	case order.PaymentInitiated:
		if !r.cancelled() {
			r.send(Request{ID: d.PaymentID + "-authorize", System: integration.Payment, Action: integration.PayAuthorize,
				PaymentID: d.PaymentID, Amount: d.Amount})
		}
	case order.PaymentAuthorized:
		r.authorized()
	case order.PaymentFailed:
		r.voidFailed(d)
		r.paymentFailed(d)
	case order.InventoryReserved:
		r.s.Unrecorded = slices.DeleteFunc(r.s.Unrecorded, func(a integration.Allocation) bool { return a.ReservationID == d.ReservationID })
		r.allocated()
	case order.ItemsBackordered:
		r.allocated()
	case order.ShipmentDispatched:
		r.dispatched(d)
	case order.OrderDelivered:
		if i := r.s.shipment(d.ShipmentID); i >= 0 {
			r.s.Shipments[i].Delivered = true
		}
	case order.OrderApproved:
		if r.s.Step == StepApproval {
			r.s.setTimer(TimerShipmentDeadline, r.env.Now.Add(r.p.ShipmentTimeout))
			r.move(StepShipping, OnApproved)
			r.dispatchReserved()
		}
	case order.OrderCancellationRequested:
		if !r.cancelled() && r.s.Step != StepNone {
			r.command("cancel-requested", order.CancelOrder{Reason: "cancellation requested: " + d.Reason})
		}
	case order.InventoryReleased:
		r.undo(Request{ID: r.s.OrderID + "-release-" + d.ReservationID, System: integration.Inventory,
			Action: integration.InvRelease, ReservationID: d.ReservationID, Items: items(d.Items)}, "reservation "+d.ReservationID+" released")
	case order.RefundRequested:
		r.send(Request{ID: r.s.OrderID + "-" + d.RefundID, System: integration.Payment, Action: integration.PayRefund,
			PaymentID: r.s.Order.Payment.ID, RefundID: d.RefundID, Amount: d.Amount})
	case order.ReturnReceived:
		r.send(Request{ID: r.s.OrderID + "-restock-" + d.ReturnID, System: integration.Inventory,
			Action: integration.InvRestock, Items: items(d.Items)})
	}
	r.judgeRefused()
}

func (r *reaction) placed() {
	r.move(StepPaying, OnPlaced)
	r.s.setTimer(TimerPaymentDeadline, r.env.Now.Add(r.p.PaymentTimeout))
	r.initiatePayment()
}

func (r *reaction) initiatePayment() {
	r.s.PaymentAttempts++
	n := r.s.PaymentAttempts
	r.command(fmt.Sprintf("initiate-payment-%d", n),
		order.InitiatePayment{PaymentID: fmt.Sprintf("%s-pay-%d", r.s.OrderID, n), PaymentMethod: r.p.PaymentMethod})
}

func (r *reaction) authorized() {
	if r.cancelled() {
		return
	}
	r.s.clearTimer(TimerPaymentDeadline)
	if r.s.Order.FullyAllocated() {
		r.capture(OnAuthorized)
		return
	}
	r.move(StepReserving, OnAuthorized)
	if want := r.unallocated(); len(want) > 0 && !r.pending(integration.Inventory, integration.InvReserve) {
		r.send(Request{ID: fmt.Sprintf("%s-reserve-%d", r.s.OrderID, r.s.PaymentAttempts), System: integration.Inventory,
			Action: integration.InvReserve, Items: want, AllowBackorder: r.p.AllowBackorder})
	}
}

// voidFailed voids the authorization of a payment that failed after it was
// authorized (its capture was declined, or never answered): the hold on the
// customer's money would otherwise stay until it expires, once per payment
// attempt.
func (r *reaction) voidFailed(d order.PaymentFailed) {
	if pay := r.s.Order.Payment; pay.ID == d.PaymentID && pay.Authorized > 0 {
		r.undo(Request{ID: pay.ID + "-void", System: integration.Payment, Action: integration.PayVoid,
			PaymentID: pay.ID, Amount: pay.Authorized}, "authorization of "+pay.ID+" voided: its payment failed")
	}
}

func (r *reaction) paymentFailed(d order.PaymentFailed) {
	if r.cancelled() {
		return
	}
	if r.s.PaymentAttempts < r.p.MaxPaymentAttempts {
		r.move(StepPaying, OnPaymentFailed)
		r.initiatePayment()
		return
	}
	r.command("cancel-payment-failed", order.CancelOrder{
		Reason: fmt.Sprintf("payment failed %d times, last: %s", r.s.PaymentAttempts, d.Reason)})
}

// allocated captures once every unit is reserved or backordered, and ships
// what a later reservation (of a backordered item) made available.
func (r *reaction) allocated() {
	switch {
	case r.s.Step == StepReserving && r.s.Order.FullyAllocated() && r.s.Order.Payment.Status == order.PayAuthorized:
		r.capture(OnAllocated)
	case r.s.Step == StepShipping:
		r.dispatchReserved()
	}
}

func (r *reaction) capture(on Trigger) {
	r.move(StepCapturing, on)
	pay := r.s.Order.Payment
	if !r.pending(integration.Payment, integration.PayCapture) {
		r.send(Request{ID: pay.ID + "-capture", System: integration.Payment, Action: integration.PayCapture,
			PaymentID: pay.ID, Amount: pay.Amount})
	}
}

func (r *reaction) confirmed() {
	r.notify("order-confirmed", "your order is confirmed and paid")
	if r.backordered() {
		r.s.setTimer(TimerBackorderRecheck, r.env.Now.Add(r.p.BackorderRecheck))
	}
	if r.s.Order.AwaitingApproval() {
		// The shipment deadline starts when a person approves: a slow
		// review is not a late carrier.
		r.move(StepApproval, OnCaptured)
		return
	}
	r.s.setTimer(TimerShipmentDeadline, r.env.Now.Add(r.p.ShipmentTimeout))
	r.move(StepShipping, OnCaptured)
	r.dispatchReserved()
}

// dispatchReserved asks the carrier for a shipment of every reservation not
// shipped or asked for yet: one shipment per reservation, so per warehouse.
func (r *reaction) dispatchReserved() {
	for _, res := range r.s.Order.Reservations {
		if slices.ContainsFunc(r.s.Shipments, func(sh Shipment) bool { return sh.ReservationID == res.ID }) {
			continue
		}
		sh := Shipment{ID: "shp-" + res.ID, RequestID: r.s.OrderID + "-dispatch-" + res.ID, ReservationID: res.ID,
			Items: items(res.Items)}
		if len(res.Items) > 0 {
			sh.WarehouseID = res.Items[0].WarehouseID
		}
		r.s.Shipments = append(r.s.Shipments, sh)
		r.send(Request{ID: sh.RequestID, System: integration.Shipping, Action: integration.ShipDispatch,
			ShipmentID: sh.ID, WarehouseID: sh.WarehouseID, ReservationID: res.ID, Items: sh.Items})
	}
}

func (r *reaction) dispatched(d order.ShipmentDispatched) {
	if i := r.s.shipment(d.ShipmentID); i >= 0 {
		r.s.Shipments[i].Shipped = true
	}
	r.notify("order-shipped-"+d.ShipmentID, fmt.Sprintf("shipment %s is on its way with %s, tracking %s",
		d.ShipmentID, d.Carrier, d.TrackingNumber))
	if !slices.ContainsFunc(r.s.Shipments, func(sh Shipment) bool { return !sh.Shipped }) && !r.backordered() {
		r.s.clearTimer(TimerShipmentDeadline)
		// Everything is with the carrier: a DELIVERED answer that never
		// comes must not leave the order in SHIPPED unnoticed.
		r.s.setTimer(TimerDeliveryDeadline, r.env.Now.Add(r.p.ShipmentTimeout))
	}
}

func (r *reaction) delivered() {
	r.move(StepDelivered, OnDelivered)
	r.s.clearTimer(TimerShipmentDeadline)
	r.s.clearTimer(TimerDeliveryDeadline)
	r.s.clearTimer(TimerBackorderRecheck)
	r.notify("order-delivered", "your order was delivered")
}

func (r *reaction) orderCancelled() {
	if r.s.Step == StepNone {
		// A draft cancelled before it was placed: nothing was asked of
		// anyone; only its folded state is to be forgotten.
		r.s.setTimer(TimerForget, r.env.Now.Add(r.p.Retention))
		return
	}
	r.move(StepCancelled, OnCancelled)
	// Stop asking for anything forward; compensations (release, refund,
	// void) already asked keep retrying. A late forward answer is
	// compensated when it comes (see the result handlers).
	forward := []string{integration.PayAuthorize, integration.PayCapture, integration.InvReserve, integration.ShipDispatch}
	for _, q := range slices.Clone(r.s.Requests) {
		if slices.Contains(forward, q.Action) {
			r.s.answered(q.ID)
		}
	}
	r.s.clearTimer(TimerPaymentDeadline)
	r.s.clearTimer(TimerShipmentDeadline)
	r.s.clearTimer(TimerDeliveryDeadline)
	r.s.clearTimer(TimerBackorderRecheck)
	r.undoMoney()
	for _, a := range r.s.Unrecorded { // refused by the cancelled order
		r.undo(Request{ID: r.s.OrderID + "-release-" + a.ReservationID, System: integration.Inventory,
			Action: integration.InvRelease, ReservationID: a.ReservationID, Items: a.Items}, "reservation "+a.ReservationID+" released: the order was cancelled before recording it")
	}
	r.s.Unrecorded = nil
	for i, sh := range r.s.Shipments {
		if sh.Left && !sh.Shipped {
			r.stray(i) // the carrier has it, but the order refused ShipOrder
		}
	}
	r.notify("order-cancelled", "your order was cancelled: "+r.s.Order.CancelReason)
	r.s.setTimer(TimerForget, r.env.Now.Add(r.p.Retention))
}

// ---- helpers ----

// UserID is the userId of the saga's commands: a system user, so the status
// changes they cause say triggerType SYSTEM.
const UserID = order.SystemUserPrefix + "saga"

func (r *reaction) command(key string, d order.CommandData) {
	r.out = append(r.out, Output{Command: &order.Command{
		ID: "saga-" + r.s.OrderID + "-" + key, Type: d.CommandType(), OrderID: r.s.OrderID,
		CorrelationID: r.s.CorrelationID, UserID: UserID, Data: d,
	}})
}

func (r *reaction) notify(template, message string) {
	id := r.s.OrderID + "-notify-" + template
	recipient := ""
	if b := r.s.Order.Billing; b != nil {
		recipient = b.Email
	}
	r.out = append(r.out, Output{Notification: &integration.NotificationRequest{
		RequestID: id, OrderID: r.s.OrderID, CorrelationID: r.s.CorrelationID, CustomerID: r.s.Order.CustomerID,
		Channel: "email", Template: template, Recipient: recipient, Message: message, RequestedAt: r.env.Now,
	}})
	r.command("notify-"+template, order.RecordNotification{NotificationID: id, Channel: "email", Template: template, Recipient: recipient})
}

func (r *reaction) pending(sys integration.System, action string) bool {
	return slices.ContainsFunc(r.s.Requests, func(q Request) bool { return q.System == sys && q.Action == action })
}

// unallocated is every unit neither reserved nor backordered.
func (r *reaction) unallocated() []integration.Item {
	var out []integration.Item
	for _, l := range r.s.Order.Lines {
		if n := l.Quantity - r.s.Order.Reserved(l.ProductID) - l.Backordered; n > 0 {
			out = append(out, integration.Item{ProductID: l.ProductID, Quantity: n})
		}
	}
	return out
}

func (r *reaction) backordered() bool {
	return slices.ContainsFunc(r.s.Order.Lines, func(l order.Line) bool { return l.Backordered > 0 })
}

func items(in []order.ItemQuantity) []integration.Item {
	out := make([]integration.Item, len(in))
	for i, it := range in {
		out[i] = integration.Item{ProductID: it.ProductID, Quantity: it.Quantity, WarehouseID: it.WarehouseID}
	}
	return out
}

func quantities(in []integration.Item) []order.ItemQuantity {
	out := make([]order.ItemQuantity, len(in))
	for i, it := range in {
		out[i] = order.ItemQuantity{ProductID: it.ProductID, Quantity: it.Quantity, WarehouseID: it.WarehouseID}
	}
	return out
}

func isRecheck(id string) bool { return strings.Contains(id, "-recheck-") }
