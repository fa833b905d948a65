package projections

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/orderlog/orderlog/order"
)

// history is a generated log: orders' events as order.Decide emitted them,
// interleaved by time as they would reach order.events.
type history struct {
	log    []order.Event            // every event, in log order
	orders map[string][]order.Event // per order, in sequence
	ids    []string                 // order ids, in creation order
}

// genHistory runs random plausible commands through order.Decide for n
// orders, created during the hour that ended an hour before now, each
// living through up to steps commands 1 to 20 s apart (so everything is
// within the per-minute counters' TTL). Rejected commands are dropped, as the
// processor would: only accepted commands emit events.
func genHistory(seed uint64, n, steps int, now time.Time) *history {
	r := rand.New(rand.NewPCG(seed, 99))
	h := &history{orders: map[string][]order.Event{}}
	for i := range n {
		id := fmt.Sprintf("o-%d-%04d", seed, i)
		at := now.Add(-2*time.Hour + time.Duration(r.IntN(3600))*time.Second).Truncate(time.Millisecond)
		var s order.State
		for step := range 1 + r.IntN(steps) {
			c := genCommand(r, s, id, step, at)
			at = at.Add(time.Duration(1+r.IntN(20)) * time.Second)
			evs, err := order.Decide(s, c)
			if err != nil {
				continue
			}
			for _, e := range evs {
				s = order.Evolve(s, e)
			}
			h.orders[id] = append(h.orders[id], evs...)
		}
		h.ids = append(h.ids, id)
		h.log = append(h.log, h.orders[id]...)
	}
	slices.SortStableFunc(h.log, func(a, b order.Event) int { return a.Time.Compare(b.Time) })
	return h
}

var products = []string{"sku-1", "sku-2", "sku-3", "sku-4"}

var nyAddress = order.Address{Line1: "1 Main St", City: "New York", State: "NY", PostalCode: "10001", Country: "US"}

// genCommand draws a command the order's status allows, with data taken
// from the state so that most are accepted.
func genCommand(r *rand.Rand, s order.State, id string, n int, at time.Time) order.Command {
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	items := func() []order.LineItem {
		var out []order.LineItem
		for _, p := range products[:1+r.IntN(len(products))] {
			out = append(out, order.LineItem{ProductID: p, Name: "Product " + p, Quantity: int64(1 + r.IntN(3)), UnitPrice: int64(100 + r.IntN(20_000))})
		}
		return out
	}
	qty := func(avail func(order.Line) int64) []order.ItemQuantity {
		var out []order.ItemQuantity
		for _, l := range s.Lines {
			if q := avail(l); q > 0 {
				out = append(out, order.ItemQuantity{ProductID: l.ProductID, Quantity: q})
			}
		}
		return out
	}
	var data order.CommandData
	if !s.Exists() {
		data = order.CreateOrder{CustomerID: fmt.Sprintf("cust-%d", r.IntN(25)), Currency: pick("USD", "EUR", "JPY"),
			Items: items()[:r.IntN(2)], SourceChannel: pick("web", "mobile", "")}
	} else {
		allowed := order.AllowedCommands(s.Status)
		if next := nextStep(s); next != "" && r.IntN(2) == 0 {
			allowed = []order.CommandType{next} // half the time, what moves the order on
		}
		typ := allowed[r.IntN(len(allowed))]
		if (typ == order.CmdCancelOrder || typ == order.CmdRequestCancellation || typ == order.CmdReleaseInventory) && r.IntN(6) > 0 {
			typ = order.CmdAddCustomerNote // undoing commands less often, so lifecycles get far
		}
		switch typ {
		case order.CmdAddItems:
			data = order.AddItems{Items: items()}
		case order.CmdRemoveItems:
			data = order.RemoveItems{ProductIDs: []string{pick(products...)}}
		case order.CmdUpdateItems:
			data = order.UpdateItems{Items: items()}
		case order.CmdApplyDiscount:
			data = order.ApplyDiscount{Code: pick("WELCOME10", "SAVE5", "HALFOFF")}
		case order.CmdCalculateTax:
			data = order.CalculateTax{Country: pick("US", "DE"), Region: pick("NY", "CA", "")}
		case order.CmdPlaceOrder:
			data = order.PlaceOrder{}
		case order.CmdUpdateShippingDetails:
			data = order.UpdateShippingDetails{ShippingInput: order.ShippingInput{RecipientName: "Jane", Address: nyAddress, Method: pick("STANDARD", "EXPRESS")}}
		case order.CmdChangeShippingAddress:
			data = order.ChangeShippingAddress{Address: order.Address{Line1: "2 B St", City: "Albany", PostalCode: "12207", Country: "US", State: "NY"}, Reason: "moved"}
		case order.CmdUpdateBillingDetails:
			data = order.UpdateBillingDetails{BillingInput: order.BillingInput{Name: "Jane", Email: "jane@example.com", Address: nyAddress}}
		case order.CmdInitiatePayment:
			data = order.InitiatePayment{PaymentID: fmt.Sprintf("pay-%d", n), PaymentMethod: "CARD"}
		case order.CmdAuthorizePayment:
			data = order.AuthorizePayment{PaymentID: s.Payment.ID, Amount: s.Payment.Amount}
		case order.CmdCapturePayment:
			data = order.CapturePayment{PaymentID: s.Payment.ID, Last4: "4242", CardBrand: "VISA"}
		case order.CmdFailPayment:
			data = order.FailPayment{PaymentID: s.Payment.ID, Reason: "declined", Retryable: true}
		case order.CmdReserveInventory:
			data = order.ReserveInventory{ReservationID: fmt.Sprintf("res-%d", n),
				Items: qty(func(l order.Line) int64 { return l.Quantity - s.Reserved(l.ProductID) })}
		case order.CmdReleaseInventory:
			data = order.ReleaseInventory{Reason: "timeout"}
		case order.CmdAddTracking:
			data = order.AddTracking{Carrier: "DHL", TrackingNumber: fmt.Sprintf("JD%d", n)}
		case order.CmdShipOrder:
			data = order.ShipOrder{Carrier: "UPS", TrackingNumber: "1Z" + id}
		case order.CmdBackorderItems:
			data = order.BackorderItems{Reason: "out of stock",
				Items: qty(func(l order.Line) int64 { return l.Quantity - s.Reserved(l.ProductID) - l.Backordered })}
		case order.CmdDeliverOrder:
			d := order.DeliverOrder{ReceivedBy: "Jane"}
			if open := s.UndeliveredShipments(); len(open) > 0 {
				d.ShipmentID = open[0]
			}
			data = d
		case order.CmdCancelOrder:
			data = order.CancelOrder{Reason: "changed mind"}
		case order.CmdRequestCancellation:
			data = order.RequestCancellation{Reason: "please"}
		case order.CmdRequestReturn:
			data = order.RequestReturn{ReturnID: fmt.Sprintf("ret-%d", n), Reason: "too small",
				Items: qty(func(l order.Line) int64 { return l.Quantity - l.Returning })}
		case order.CmdReceiveReturn:
			rid := ""
			if len(s.Returns) > 0 {
				rid = s.Returns[len(s.Returns)-1].ID
			}
			data = order.ReceiveReturn{ReturnID: rid}
		case order.CmdRequestRefund:
			data = order.RequestRefund{RefundID: fmt.Sprintf("rq-%d", n), Amount: max(1, s.Payment.Refundable()/3), Reason: "goodwill"}
		case order.CmdRecordRefund:
			data = order.RecordRefund{RefundID: fmt.Sprintf("rf-%d", n), Amount: s.Payment.RefundRequested - s.Payment.Refunded}
		case order.CmdFlagOrder:
			data = order.FlagOrder{Code: "SUSPICIOUS", Reason: "velocity", RequiresApproval: r.IntN(2) == 0}
		case order.CmdApproveOrder:
			data = order.ApproveOrder{Comment: "ok"}
		case order.CmdAddAdminNote:
			data = order.AddAdminNote{Text: "called the customer"}
		case order.CmdRecordNotification:
			data = order.RecordNotification{NotificationID: fmt.Sprintf("n-%d", n), Channel: "EMAIL", Template: "order-update"}
		default:
			data = order.AddCustomerNote{Text: "please hurry"}
		}
	}
	return order.Command{ID: fmt.Sprintf("%s-c%d", id, n), Type: data.CommandType(), OrderID: id, Data: data, Time: at,
		CorrelationID: fmt.Sprintf("corr-%s-%d", id, n), UserID: "user-1"}
}

// nextStep is the command that takes an order further along the happy path
// (and, after delivery, into a return), or "" at the end.
func nextStep(s order.State) order.CommandType {
	switch s.Status {
	case order.StatusDraft:
		switch {
		case len(s.Lines) == 0:
			return order.CmdAddItems
		case s.Shipping == nil:
			return order.CmdUpdateShippingDetails
		}
		return order.CmdPlaceOrder
	case order.StatusPlaced, order.StatusConfirmed:
		switch {
		case s.AwaitingApproval():
			return order.CmdApproveOrder
		case !s.FullyReserved():
			return order.CmdReserveInventory
		case s.Status == order.StatusConfirmed:
			return order.CmdShipOrder
		case s.Payment.Status == order.PayNone || s.Payment.Status == order.PayFailed:
			return order.CmdInitiatePayment
		case s.Payment.Status == order.PayInitiated:
			return order.CmdAuthorizePayment
		}
		return order.CmdCapturePayment
	case order.StatusShipped:
		return order.CmdDeliverOrder
	case order.StatusDelivered:
		return order.CmdRequestReturn
	case order.StatusReturnRequested:
		return order.CmdReceiveReturn
	}
	if s.Payment.RefundRequested > s.Payment.Refunded {
		return order.CmdRecordRefund
	}
	return ""
}

// longOrder returns the events of one generated order with at least n.
func longOrder(n int) []order.Event {
	for seed := uint64(1); ; seed++ {
		if evs := genHistory(seed, 1, 80, time.Now()).log; len(evs) >= n {
			return evs
		}
	}
}
