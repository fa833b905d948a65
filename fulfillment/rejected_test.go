package fulfillment

import (
	"slices"
	"strings"
	"testing"

	"github.com/orderlog/orderlog/integration"
	"github.com/orderlog/orderlog/order"
)

// TestARefusedCommandOfTheSagaIsFlaggedNotifiedAndCompensated: for each
// step, the order refuses the saga's command (as it refused ShipOrder for an
// order placed without shipping details); the saga reads the rejection on
// order.command-results, flags the order SAGA_<STEP>_REJECTED with the
// command and the reason, tells the customer, and follows the step table:
// before shipment the order is cancelled and no money or stock stays held;
// after shipment a person takes over.
func TestARefusedCommandOfTheSagaIsFlaggedNotifiedAndCompensated(t *testing.T) {
	tests := []struct {
		name    string
		refuse  order.CommandType
		status  order.Status
		step    Step
		code    string
		actions []string // payment and inventory compensations asked for
	}{
		{"authorization refused", order.CmdAuthorizePayment, order.StatusCancelled, StepCancelled, "SAGA_PAYMENT_REJECTED",
			[]string{integration.PayVoid}},
		{"reservation refused", order.CmdReserveInventory, order.StatusCancelled, StepCancelled, "SAGA_RESERVE_REJECTED",
			[]string{integration.InvRelease, integration.PayVoid}},
		{"capture refused", order.CmdCapturePayment, order.StatusCancelled, StepCancelled, "SAGA_CAPTURE_REJECTED",
			[]string{integration.InvRelease, integration.PayRefund}},
		{"shipment refused", order.CmdShipOrder, order.StatusCancelled, StepCancelled, "SAGA_SHIP_REJECTED",
			[]string{integration.InvRelease, integration.PayRefund}},
		{"delivery refused", order.CmdDeliverOrder, order.StatusShipped, StepShipping, "SAGA_DELIVER_REJECTED", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, DefaultPolicy())
			w.refuse = func(c order.Command) bool { return c.Type == tc.refuse }
			w.place(item("sku-1", 2, 1000))
			w.settle(w.p.ShipmentTimeout / 2)

			// Others may follow (the carrier's DELIVERED for a shipment the
			// order refused), and are left to the cancellation.
			if n := count(w.rejected, func(r rejection) bool { return r.cmd.Type == tc.refuse }); n != 1 {
				t.Fatalf("rejections %+v, want the %s refused once", w.rejected, tc.refuse)
			}
			if w.ord.Status != tc.status || w.saga.Step != tc.step {
				t.Errorf("order %s, saga %s; want %s, %s", w.ord.Status, stepName(w.saga.Step), tc.status, stepName(tc.step))
			}
			i := slices.IndexFunc(w.ord.Flags, func(f order.Flag) bool { return f.Code == tc.code })
			if i < 0 {
				t.Fatalf("flags %+v, want %s", w.ord.Flags, tc.code)
			}
			if f := w.ord.Flags[i]; !strings.Contains(f.Reason, string(tc.refuse)) || !strings.Contains(f.Reason, "PRECONDITION_FAILED: refused by the test's rule") {
				t.Errorf("flag reason %q does not say which command was refused and why", f.Reason)
			}
			step := strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(tc.code, "SAGA_"), "_REJECTED"))
			if !hasTemplate(w, "order-problem-"+step) {
				t.Errorf("notifications %v, want order-problem-%s", w.templates(), step)
			}
			var asked []string
			for _, o := range w.requests {
				switch {
				case o.Payment != nil && (o.Payment.Action == integration.PayVoid || o.Payment.Action == integration.PayRefund):
					asked = append(asked, o.Payment.Action)
				case o.Inventory != nil && o.Inventory.Action == integration.InvRelease:
					asked = append(asked, o.Inventory.Action)
				}
			}
			slices.Sort(asked)
			want := slices.Sorted(slices.Values(tc.actions))
			if !slices.Equal(asked, want) {
				t.Errorf("compensations asked %v, want %v", asked, want)
			}
			p := w.ord.Payment
			if tc.status == order.StatusCancelled && (p.Captured != p.Refunded || len(w.ord.Reservations) != 0) {
				t.Errorf("cancelled with payment %+v and reservations %+v", p, w.ord.Reservations)
			}
			if tc.status != order.StatusCancelled && p.Refunded != 0 {
				t.Errorf("refunded %d of an order that shipped", p.Refunded)
			}
		})
	}
}

// TestRefusalsTheSagaDoesNotFlag: a refused record (a notification) is only
// logged, and a refusal that comes from a cancellation the saga has already
// seen is left to the cancellation path.
func TestRefusalsTheSagaDoesNotFlag(t *testing.T) {
	t.Run("a notification refused", func(t *testing.T) {
		w := newWorld(t, DefaultPolicy())
		w.refuse = func(c order.Command) bool { return c.Type == order.CmdRecordNotification }
		w.place(item("sku-1", 1, 1000))
		if len(w.rejected) == 0 {
			t.Fatal("no notification was refused")
		}
		if w.sagaFlags() != 0 || len(w.sagaCommands(order.CmdCancelOrder)) != 0 {
			t.Errorf("flags %+v, cancels %v for a refused notification", w.ord.Flags, w.sagaCommands(order.CmdCancelOrder))
		}
		w.expect(order.StatusDelivered, StepDelivered, false)
	})
	t.Run("a shipment refused after cancellation was requested", func(t *testing.T) {
		w := newWorld(t, DefaultPolicy())
		var held []integration.ShippingRequest
		w.shipping = func(q integration.ShippingRequest) []integration.ShippingResult {
			held = append(held, q)
			return nil
		}
		w.place(item("sku-1", 1, 1000))
		w.feed(Input{Shipping: new(shipped(held[0]))})
		if err := w.decide(w.cmd(order.RequestCancellation{Reason: "changed my mind"})); err != nil {
			t.Fatal(err)
		}
		w.run()
		if !slices.ContainsFunc(w.rejected, func(r rejection) bool { return r.cmd.Type == order.CmdShipOrder }) {
			t.Fatalf("rejections %+v, want ShipOrder refused", w.rejected)
		}
		if w.sagaFlags() != 0 || hasTemplate(w, "order-problem") {
			t.Errorf("flags %+v, notifications %v: the cancellation path handles it", w.ord.Flags, w.templates())
		}
		w.expect(order.StatusCancelled, StepCancelled, false)
	})
}

// TestJudge: what the saga does about a rejection, by command, code and
// what it knows of the order.
func TestJudge(t *testing.T) {
	placed := State{OrderID: "o", Step: StepCapturing, Order: order.State{OrderID: "o", Status: order.StatusPlaced}}
	shipped := State{OrderID: "o", Step: StepShipping, Order: order.State{OrderID: "o", Status: order.StatusShipped}}
	captured := State{OrderID: "o", Step: StepShipping, Order: order.State{OrderID: "o", Status: order.StatusConfirmed,
		Payment: order.Payment{ID: "p", Status: order.PayCaptured}}}
	cancelling := placed
	cancelling.Order.CancellationRequested = true
	res := func(typ order.CommandType, code order.Code, field string) order.CommandResult {
		return order.CommandResult{CommandID: CommandIDPrefix("o") + "x", OrderID: "o", CommandType: typ,
			Status: order.ResultRejected, Code: code, Field: field, Message: "no"}
	}
	for _, tc := range []struct {
		name   string
		s      State
		res    order.CommandResult
		step   string
		action RejectionAction
	}{
		{"capture refused: cancel", placed, res(order.CmdCapturePayment, order.CodePreconditionFailed, ""), "CAPTURE", RejectionCancelled},
		{"a second shipment refused: flag", shipped, res(order.CmdShipOrder, order.CodeLimitExceeded, ""), "SHIP", RejectionFlagged},
		{"delivery refused: flag", shipped, res(order.CmdDeliverOrder, order.CodePreconditionFailed, "data.shipmentId"), "DELIVER", RejectionFlagged},
		{"refund record refused: flag", shipped, res(order.CmdRecordRefund, order.CodeLimitExceeded, "data.amount"), "REFUND", RejectionFlagged},
		{"cancel refused: flag", shipped, res(order.CmdCancelOrder, order.CodeInvalidTransition, ""), "CANCEL", RejectionFlagged},
		{"a status the saga has not read yet", placed, res(order.CmdCapturePayment, order.CodeInvalidTransition, ""), "CAPTURE", RejectionIgnored},
		{"cancellation requested", cancelling, res(order.CmdShipOrder, order.CodePreconditionFailed, ""), "SHIP", RejectionIgnored},
		{"a replaced payment", placed, res(order.CmdFailPayment, order.CodeValidationFailed, "data.paymentId"), "PAYMENT", RejectionIgnored},
		{"a failure of a payment the order captured", captured, res(order.CmdFailPayment, order.CodePreconditionFailed, ""), "PAYMENT", RejectionIgnored},
		{"a failure the order refuses otherwise", placed, res(order.CmdFailPayment, order.CodeLimitExceeded, ""), "PAYMENT", RejectionCancelled},
		{"a flag refused", placed, res(order.CmdFlagOrder, order.CodeLimitExceeded, ""), "", RejectionLogged},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !Concerns(tc.res) {
				t.Fatalf("Concerns(%+v) = false", tc.res)
			}
			step, action := Judge(tc.s, tc.res)
			if step != tc.step || action != tc.action {
				t.Errorf("Judge = %q, %s; want %q, %s", step, action, tc.step, tc.action)
			}
		})
	}
	for _, r := range []order.CommandResult{
		{CommandID: "api-1", OrderID: "o", Status: order.ResultRejected},
		{CommandID: CommandIDPrefix("o") + "x", OrderID: "o", Status: order.ResultAccepted},
		{CommandID: CommandIDPrefix("o") + "x", OrderID: "o", Status: order.ResultDuplicate},
		{CommandID: CommandIDPrefix("other") + "x", OrderID: "o", Status: order.ResultRejected},
	} {
		if Concerns(r) {
			t.Errorf("Concerns(%+v) = true", r)
		}
	}
}

// sagaFlags counts the flags and notes the saga raised for refusals.
func (w *world) sagaFlags() int {
	n := 0
	for _, c := range w.commands {
		if strings.Contains(c.ID, "-flag-rejected-") || strings.Contains(c.ID, "-note-rejected-") {
			n++
		}
	}
	return n
}

// TestARejectionReadBeforeTheOrdersEventsWaitsForThem: the order's results
// and its events are different topics, so the saga may read a rejection
// before the events the order had when it refused. The rejection waits in
// Refused and is judged on the order as it was then: refused because the
// customer asked to cancel, it is left to the cancellation; refused for a
// reason of its own, it is acted on once the saga has caught up.
func TestARejectionReadBeforeTheOrdersEventsWaitsForThem(t *testing.T) {
	for _, tc := range []struct {
		name   string
		user   order.CommandData // decided on the order, its events held back from the saga
		refuse bool              // the test's rule refuses ShipOrder (else the order's own rules do)
		action RejectionAction
	}{
		{"refused because cancellation was requested", order.RequestCancellation{Reason: "changed my mind"}, false, RejectionIgnored},
		{"refused for a reason of its own", order.AddCustomerNote{Text: "ring twice"}, true, RejectionCancelled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, DefaultPolicy())
			var held []integration.ShippingRequest
			w.shipping = func(q integration.ShippingRequest) []integration.ShippingResult {
				held = append(held, q)
				return nil
			}
			w.place(item("sku-1", 1, 1000))
			w.expect(order.StatusConfirmed, StepShipping, true)

			c := w.cmd(tc.user)
			c.Time = w.now
			late, err := w.dec.Decide(w.ord, c)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range late {
				w.ord = order.Evolve(w.ord, e)
			}
			w.feed(Input{Shipping: new(shipped(held[0]))})
			ship := w.queue[len(w.queue)-1]
			w.queue = w.queue[:len(w.queue)-1]
			if ship.Type != order.CmdShipOrder {
				t.Fatalf("the saga sent %s, want ShipOrder", ship.Type)
			}
			err = error(&order.Rejection{Code: order.CodePreconditionFailed, Message: "refused by the test's rule"})
			if !tc.refuse {
				_, err = w.dec.Decide(w.ord, ship)
			}
			if err == nil {
				t.Fatal("the order accepted the ShipOrder")
			}
			w.feed(Input{Result: new(order.ResultOf(ship, w.ord.Version, nil, err))})
			if len(w.saga.Refused) != 1 || len(w.refusals) != 0 || w.sagaFlags() != 0 {
				t.Fatalf("refused %+v, judged %+v, flags %d: the rejection must wait for the order's events", w.saga.Refused, w.refusals, w.sagaFlags())
			}
			for _, e := range late {
				w.feed(Input{Event: &e})
			}
			if len(w.saga.Refused) != 0 || len(w.refusals) != 1 || w.refusals[0].Action != tc.action {
				t.Fatalf("refused %+v, judged %+v; want it judged %s", w.saga.Refused, w.refusals, tc.action)
			}
			if w.refusals[0].ViewVersion != w.ord.Version {
				t.Errorf("judged on version %d, the order refused at %d", w.refusals[0].ViewVersion, w.ord.Version)
			}
			w.run()
			if got := w.sagaFlags() > 0; got != (tc.action == RejectionCancelled) {
				t.Errorf("flagged %v, want %v", got, tc.action == RejectionCancelled)
			}
			w.expect(order.StatusCancelled, StepCancelled, false)
		})
	}
}
