package fulfillment

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderlog/orderlog/integration"
	"github.com/orderlog/orderlog/order"
)

func TestHappyPath(t *testing.T) {
	w := newWorld(t, DefaultPolicy())
	w.autoDeliver = false
	w.create(item("sku-1", 2, 1999))
	if w.saga.Step != StepNone || len(w.commands) != 0 || len(w.requests) != 0 {
		t.Fatalf("a draft moved the saga: step %s, %d commands, %d requests", w.saga.Step, len(w.commands), len(w.requests))
	}
	w.user(order.PlaceOrder{})
	w.noRejections()

	total := w.ord.Totals().Total
	pay := w.ord.Payment
	if pay.Status != order.PayCaptured || pay.Captured != total {
		t.Fatalf("payment %s captured %d, want CAPTURED %d", pay.Status, pay.Captured, total)
	}
	// Every shipment left: only the delivery deadline runs while the
	// carrier delivers.
	w.expect(order.StatusShipped, StepShipping, true)
	if !w.timer(TimerDeliveryDeadline) || len(w.saga.Timers) != 1 {
		t.Errorf("timers %v, want only the delivery deadline", w.saga.Timers)
	}
	if got := w.templates(); !slices.Equal(got, []string{"order-confirmed", "order-shipped-shp-" + w.ord.Reservations[0].ID}) {
		t.Errorf("notifications %v", got)
	}
	for _, n := range w.notified {
		if n.Recipient != "jane@example.com" || n.CustomerID != "cust-1" || n.OrderID != worldOrderID {
			t.Errorf("notification %s to %q for %q/%q", n.Template, n.Recipient, n.CustomerID, n.OrderID)
		}
	}
	if w.ord.Notifications != int64(len(w.notified)) {
		t.Errorf("the order recorded %d notifications, %d were sent", w.ord.Notifications, len(w.notified))
	}
	for _, a := range []string{integration.PayAuthorize, integration.PayCapture} {
		if got := w.payments(a); len(got) != 1 || got[0].Amount != total || got[0].Attempt != 1 || got[0].Currency != "USD" {
			t.Errorf("%s requests %+v, want one of %d USD", a, got, total)
		}
	}
	if got := w.payments(integration.PayVoid); len(got) != 0 {
		t.Errorf("voids %+v", got)
	}
	res := w.inventories(integration.InvReserve)
	if len(res) != 1 || !res[0].AllowBackorder || len(res[0].Items) != 1 || res[0].Items[0].Quantity != 2 {
		t.Errorf("reserve requests %+v", res)
	}
	ships := w.shippings()
	if len(ships) != 1 || ships[0].WarehouseID != "wh-east" || ships[0].Recipient != "Jane Doe" || ships[0].PostalCode != "10001" {
		t.Fatalf("dispatch requests %+v", ships)
	}
	if len(w.ord.Shipments) != 1 || w.ord.Shipments[0].TrackingNumber == "" {
		t.Errorf("order shipments %+v", w.ord.Shipments)
	}

	w.inbox = append(w.inbox, Input{Shipping: new(delivered(ships[0]))})
	w.run()
	w.noRejections()
	w.expect(order.StatusDelivered, StepDelivered, false)
	if !hasTemplate(w, "order-delivered") {
		t.Errorf("no delivered notification: %v", w.templates())
	}
	wantMoves := []Step{StepPaying, StepReserving, StepCapturing, StepShipping, StepDelivered}
	var got []Step
	for _, m := range w.moves {
		got = append(got, m.to)
	}
	if !slices.Equal(got, wantMoves) {
		t.Errorf("moves %v, want %v", got, wantMoves)
	}
	// The carrier saying DELIVERED again changes nothing.
	before := len(w.commands)
	w.inbox = append(w.inbox, Input{Shipping: new(delivered(ships[0]))})
	w.run()
	if len(w.commands) != before {
		t.Errorf("a repeated DELIVERED wrote %v", w.commands[before:])
	}
}

func TestSplitAcrossWarehouses(t *testing.T) {
	w := newWorld(t, DefaultPolicy())
	w.autoDeliver = false
	w.stock = map[string]map[string]int64{"wh-east": {"sku-1": 2}, "wh-west": {"sku-1": 5, "sku-2": 3}}
	w.place(item("sku-1", 3, 1000), item("sku-2", 1, 500))
	w.noRejections()

	if len(w.ord.Reservations) != 2 {
		t.Fatalf("reservations %+v, want one per warehouse", w.ord.Reservations)
	}
	ships := w.shippings()
	if len(ships) != 2 {
		t.Fatalf("dispatch requests %+v, want 2", ships)
	}
	byWarehouse := map[string]integration.ShippingRequest{}
	for _, s := range ships {
		byWarehouse[s.WarehouseID] = s
	}
	if e, we := byWarehouse["wh-east"], byWarehouse["wh-west"]; len(e.Items) != 1 || e.Items[0].Quantity != 2 ||
		len(we.Items) != 2 {
		t.Errorf("dispatches east %+v, west %+v", e, we)
	}
	w.expect(order.StatusShipped, StepShipping, true) // the delivery deadline
	if len(w.ord.Shipments) != 2 || !w.ord.FullyShipped() {
		t.Fatalf("order shipments %+v", w.ord.Shipments)
	}
	if w.timer(TimerShipmentDeadline) {
		t.Error("the shipment deadline still runs after every shipment left")
	}

	w.inbox = append(w.inbox, Input{Shipping: new(delivered(ships[0]))})
	w.run()
	w.expect(order.StatusShipped, StepShipping, true)
	if hasTemplate(w, "order-delivered") {
		t.Error("delivered notified after one of two shipments")
	}
	w.inbox = append(w.inbox, Input{Shipping: new(delivered(ships[1]))})
	w.run()
	w.noRejections()
	w.expect(order.StatusDelivered, StepDelivered, false)
	if n := count(w.templates(), func(s string) bool { return s == "order-delivered" }); n != 1 {
		t.Errorf("%d delivered notifications", n)
	}
	if n := count(w.templates(), func(s string) bool { return strings.HasPrefix(s, "order-shipped-") }); n != 2 {
		t.Errorf("%d shipped notifications, want one per shipment", n)
	}
}

func TestBackorder(t *testing.T) {
	p := DefaultPolicy()
	w := newWorld(t, p)
	w.stock = map[string]map[string]int64{"wh-east": {"sku-1": 5, "sku-2": 1}}
	w.place(item("sku-1", 2, 1000), item("sku-2", 3, 700))
	w.noRejections()

	if got := w.sagaCommands(order.CmdBackorderItems); len(got) != 1 {
		t.Fatalf("BackorderItems commands %+v", got)
	} else if items := got[0].Data.(order.BackorderItems).Items; len(items) != 1 || items[0].ProductID != "sku-2" || items[0].Quantity != 2 {
		t.Errorf("backordered %+v, want 2 × sku-2", items)
	}
	if !hasTemplate(w, "items-backordered") {
		t.Errorf("no items-backordered notification: %v", w.templates())
	}
	if w.ord.Payment.Status != order.PayCaptured {
		t.Fatalf("payment %s, want captured once everything is reserved or backordered", w.ord.Payment.Status)
	}
	// What was in stock shipped and was delivered; the order waits.
	w.expect(order.StatusShipped, StepShipping, true)
	if len(w.ord.Shipments) != 1 || !w.ord.Shipments[0].Delivered {
		t.Fatalf("shipments %+v", w.ord.Shipments)
	}
	if !w.timer(TimerBackorderRecheck) {
		t.Fatalf("no backorder re-check timer: %+v", w.saga.Timers)
	}

	// The first re-check finds nothing; the second finds the stock.
	w.advance(p.BackorderRecheck)
	rechecks := w.inventories(integration.InvReserve)[1:]
	if len(rechecks) != 1 || rechecks[0].Items[0] != (integration.Item{ProductID: "sku-2", Quantity: 2}) {
		t.Fatalf("re-check requests %+v", rechecks)
	}
	w.expect(order.StatusShipped, StepShipping, true)
	w.stock["wh-west"] = map[string]int64{"sku-2": 10}
	w.advance(p.BackorderRecheck)
	w.noRejections()

	w.expect(order.StatusDelivered, StepDelivered, false)
	if len(w.ord.Shipments) != 2 || w.ord.Shipments[1].WarehouseID != "wh-west" {
		t.Errorf("shipments %+v", w.ord.Shipments)
	}
	if got := w.sagaCommands(order.CmdBackorderItems); len(got) != 1 {
		t.Errorf("%d BackorderItems, want 1: a re-check that finds nothing backorders nothing again", len(got))
	}
	if n := w.flags("SHIPMENT_OVERDUE"); n != 0 {
		t.Errorf("%d SHIPMENT_OVERDUE flags", n)
	}
}

func TestInventoryShortWithoutBackorder(t *testing.T) {
	p := DefaultPolicy()
	p.AllowBackorder = false
	w := newWorld(t, p)
	w.stock = map[string]map[string]int64{"wh-east": {"sku-1": 1}}
	w.place(item("sku-1", 2, 1000))
	w.noRejections()

	w.expect(order.StatusCancelled, StepCancelled, false)
	if got := w.sagaCommands(order.CmdCancelOrder); len(got) != 1 {
		t.Errorf("CancelOrder commands %+v", got)
	}
	if res := w.inventories(integration.InvReserve); len(res) != 1 || res[0].AllowBackorder {
		t.Errorf("reserve requests %+v", res)
	}
	voids := w.payments(integration.PayVoid)
	if len(voids) != 1 || voids[0].PaymentID != w.ord.Payment.ID || voids[0].Amount != w.ord.Payment.Authorized {
		t.Errorf("void requests %+v, want the authorization of %s", voids, w.ord.Payment.ID)
	}
	if w.ord.Payment.Captured != 0 || len(w.ord.Reservations) != 0 || len(w.payments(integration.PayCapture)) != 0 {
		t.Errorf("captured %d, reservations %+v", w.ord.Payment.Captured, w.ord.Reservations)
	}
	if !hasTemplate(w, "order-cancelled") {
		t.Errorf("notifications %v", w.templates())
	}
}

// declineAll declines the payment requests whose action is in actions and
// approves the rest.
func declineAll(actions ...string) func(integration.PaymentRequest) []integration.PaymentResult {
	return func(q integration.PaymentRequest) []integration.PaymentResult {
		if slices.Contains(actions, q.Action) {
			return []integration.PaymentResult{paymentResult(q, integration.OutcomeFailed)}
		}
		return []integration.PaymentResult{paymentResult(q, integration.OutcomeOK)}
	}
}

func TestPaymentDeclined(t *testing.T) {
	t.Run("authorization declined every time", func(t *testing.T) {
		p := DefaultPolicy()
		w := newWorld(t, p)
		w.payment = declineAll(integration.PayAuthorize)
		w.place(item("sku-1", 1, 1000))
		w.noRejections()

		w.expect(order.StatusCancelled, StepCancelled, false)
		auths := w.payments(integration.PayAuthorize)
		if len(auths) != int(p.MaxPaymentAttempts) {
			t.Fatalf("%d authorizations asked, want %d", len(auths), p.MaxPaymentAttempts)
		}
		for i, a := range auths {
			if want := worldOrderID + "-pay-" + string(rune('1'+i)); a.PaymentID != want {
				t.Errorf("authorization %d of payment %s, want %s", i, a.PaymentID, want)
			}
		}
		if w.ord.Payment.Failures != int64(p.MaxPaymentAttempts) || len(w.inventories("")) != 0 ||
			len(w.payments(integration.PayVoid)) != 0 {
			t.Errorf("failures %d, inventory %+v, voids %+v", w.ord.Payment.Failures, w.inventories(""), w.payments(integration.PayVoid))
		}
		if n := len(w.sagaCommands(order.CmdCancelOrder)); n != 1 {
			t.Errorf("%d CancelOrder", n)
		}
	})
	t.Run("capture declined, then every retry declined", func(t *testing.T) {
		p := DefaultPolicy()
		w := newWorld(t, p)
		w.stock = map[string]map[string]int64{"wh-east": {"sku-1": 1}, "wh-west": {"sku-1": 5}}
		w.payment = declineAll(integration.PayCapture)
		w.place(item("sku-1", 3, 1000))
		w.noRejections()

		w.expect(order.StatusCancelled, StepCancelled, false)
		if n := len(w.payments(integration.PayCapture)); n != int(p.MaxPaymentAttempts) {
			t.Errorf("%d captures asked, want %d", n, p.MaxPaymentAttempts)
		}
		if n := len(w.inventories(integration.InvReserve)); n != 1 {
			t.Errorf("%d reservations asked: the stock held for the first payment serves the next", n)
		}
		released := map[string]bool{}
		for _, r := range w.inventories(integration.InvRelease) {
			released[r.ReservationID] = true
		}
		if len(released) != 2 || len(w.ord.Reservations) != 0 {
			t.Errorf("released %v, order still holds %+v; want both warehouses' reservations released", released, w.ord.Reservations)
		}
		// Every authorization whose capture was declined is voided, the
		// last one included.
		voided := map[string]bool{}
		for _, v := range w.payments(integration.PayVoid) {
			voided[v.PaymentID] = true
		}
		for _, a := range w.payments(integration.PayAuthorize) {
			if !voided[a.PaymentID] {
				t.Errorf("authorization of %s was never voided (voids %v)", a.PaymentID, voided)
			}
		}
		if w.ord.Payment.Captured != 0 {
			t.Errorf("captured %d", w.ord.Payment.Captured)
		}
	})
}

func TestCancellationAfterCapture(t *testing.T) {
	w := newWorld(t, DefaultPolicy())
	w.shipping = func(integration.ShippingRequest) []integration.ShippingResult { return nil } // the carrier is slow
	w.place(item("sku-1", 2, 1500))
	w.expect(order.StatusConfirmed, StepShipping, true)
	captured := w.ord.Payment.Captured

	w.user(order.RequestCancellation{Reason: "changed my mind"})
	w.noRejections()
	w.expect(order.StatusCancelled, StepCancelled, false)
	if n := len(w.sagaCommands(order.CmdCancelOrder)); n != 1 {
		t.Errorf("%d CancelOrder", n)
	}
	refunds := w.payments(integration.PayRefund)
	if len(refunds) != 1 || refunds[0].Amount != captured || refunds[0].RefundID == "" {
		t.Fatalf("refund requests %+v, want one of %d", refunds, captured)
	}
	if p := w.ord.Payment; p.Refunded != p.Captured || p.Refunded != captured {
		t.Errorf("refunded %d of %d captured", p.Refunded, p.Captured)
	}
	if got := w.sagaCommands(order.CmdRecordRefund); len(got) != 1 {
		t.Errorf("RecordRefund commands %+v", got)
	}
	if rel := w.inventories(integration.InvRelease); len(rel) != 1 || len(w.ord.Reservations) != 0 {
		t.Errorf("release requests %+v, reservations %+v", rel, w.ord.Reservations)
	}
	if len(w.payments(integration.PayVoid)) != 0 {
		t.Error("a captured payment was voided")
	}
}

func TestReturnAfterDelivery(t *testing.T) {
	w := newWorld(t, DefaultPolicy())
	w.place(item("sku-1", 2, 1500), item("sku-2", 1, 800))
	w.expect(order.StatusDelivered, StepDelivered, false)

	w.user(order.RequestReturn{ReturnID: "ret-1", Items: []order.ItemQuantity{{ProductID: "sku-1", Quantity: 1}}, Reason: "too big"})
	if len(w.payments(integration.PayRefund)) != 0 || len(w.inventories(integration.InvRestock)) != 0 {
		t.Fatal("a return request refunded or restocked before the items came back")
	}
	w.user(order.ReceiveReturn{ReturnID: "ret-1"})
	w.noRejections()

	w.expect(order.StatusReturned, StepDelivered, false)
	restock := w.inventories(integration.InvRestock)
	if len(restock) != 1 || len(restock[0].Items) != 1 || restock[0].Items[0].ProductID != "sku-1" || restock[0].Items[0].Quantity != 1 {
		t.Errorf("restock requests %+v", restock)
	}
	refunds := w.payments(integration.PayRefund)
	if len(refunds) != 1 || refunds[0].RefundID != "refund-ret-1" {
		t.Fatalf("refund requests %+v", refunds)
	}
	if p := w.ord.Payment; p.Refunded != refunds[0].Amount || p.Refunded <= 0 || p.Refunded >= p.Captured {
		t.Errorf("refunded %d (asked %d) of %d", p.Refunded, refunds[0].Amount, p.Captured)
	}
}

// drop answers nothing.
func drop[Q, R any](Q) []R { return nil }

func TestPaymentDeadline(t *testing.T) {
	p := DefaultPolicy()
	p.PaymentTimeout = 2 * time.Minute // shorter than MaxAttempts timeouts and backoffs
	w := newWorld(t, p)
	w.payment = drop[integration.PaymentRequest, integration.PaymentResult]
	w.place(item("sku-1", 1, 1000))
	w.settle(time.Hour)
	w.noRejections()

	auths := w.payments(integration.PayAuthorize)
	if len(auths) < 3 {
		t.Fatalf("%d authorizations sent before the deadline", len(auths))
	}
	for i, a := range auths {
		if a.RequestID != auths[0].RequestID || a.Attempt != int32(i+1) {
			t.Errorf("attempt %d: request %s attempt %d, want %s attempt %d", i, a.RequestID, a.Attempt, auths[0].RequestID, i+1)
		}
		if i > 0 {
			wait := a.RequestedAt.Sub(auths[i-1].RequestedAt)
			if want := p.RequestTimeout + p.Backoff(int32(i)); wait != want {
				t.Errorf("attempt %d sent %s after attempt %d, want %s", i+1, wait, i, want)
			}
		}
		if a.RequestedAt.After(t0.Add(p.PaymentTimeout)) {
			t.Errorf("attempt %d sent after the deadline", a.Attempt)
		}
	}
	w.expect(order.StatusCancelled, StepCancelled, false)
	cancels := w.sagaCommands(order.CmdCancelOrder)
	if len(cancels) != 1 || !strings.Contains(cancels[0].Data.(order.CancelOrder).Reason, "not authorized within") {
		t.Fatalf("CancelOrder commands %+v", cancels)
	}
	if len(w.sagaCommands(order.CmdFailPayment)) != 0 {
		t.Error("the payment was failed although the deadline came first")
	}
	// Later ticks do nothing.
	n, reqs := len(w.commands), len(w.requests)
	w.advance(24 * time.Hour)
	if len(w.commands) != n || len(w.requests) != reqs {
		t.Errorf("a later tick wrote %v %v", w.commands[n:], w.requests[reqs:])
	}
}

func TestRetrySucceeds(t *testing.T) {
	w := newWorld(t, DefaultPolicy())
	w.payment = func(q integration.PaymentRequest) []integration.PaymentResult {
		if q.Action == integration.PayAuthorize && q.Attempt < 3 {
			return nil
		}
		return []integration.PaymentResult{paymentResult(q, integration.OutcomeOK)}
	}
	w.place(item("sku-1", 1, 1000))
	w.expect(order.StatusPlaced, StepPaying, true)
	w.settle(time.Hour)
	w.noRejections()

	auths := w.payments(integration.PayAuthorize)
	if len(auths) != 3 {
		t.Fatalf("%d authorizations sent, want 3", len(auths))
	}
	for i, a := range auths {
		if a.RequestID != auths[0].RequestID || a.PaymentID != auths[0].PaymentID || a.Attempt != int32(i+1) {
			t.Errorf("authorization %d: %s/%s attempt %d", i, a.RequestID, a.PaymentID, a.Attempt)
		}
	}
	w.expect(order.StatusDelivered, StepDelivered, false)
	if w.ord.Payment.Failures != 0 || len(w.sagaCommands(order.CmdInitiatePayment)) != 1 {
		t.Errorf("failures %d, payments %d", w.ord.Payment.Failures, len(w.sagaCommands(order.CmdInitiatePayment)))
	}
	if bad := count(w.observed, func(o Observation) bool { return o.System == integration.Payment && !o.OK }); bad != 2 {
		t.Errorf("%d failed payment observations, want 2", bad)
	}
}

func TestGatewayUnavailable(t *testing.T) {
	p := DefaultPolicy()
	w := newWorld(t, p)
	w.payment = func(q integration.PaymentRequest) []integration.PaymentResult {
		return []integration.PaymentResult{paymentResult(q, integration.OutcomeUnavailable)}
	}
	w.place(item("sku-1", 1, 1000))
	w.settle(time.Hour)
	w.noRejections()

	w.expect(order.StatusCancelled, StepCancelled, false)
	fails := w.sagaCommands(order.CmdFailPayment)
	if len(fails) != int(p.MaxPaymentAttempts) {
		t.Fatalf("%d FailPayment, want %d", len(fails), p.MaxPaymentAttempts)
	}
	for _, f := range fails {
		if d := f.Data.(order.FailPayment); d.Code != "NO_ANSWER" || !d.Retryable {
			t.Errorf("FailPayment %+v", d)
		}
	}
	if n := len(w.payments(integration.PayAuthorize)); n != int(p.MaxAttempts*p.MaxPaymentAttempts) {
		t.Errorf("%d authorizations sent, want %d", n, p.MaxAttempts*p.MaxPaymentAttempts)
	}
	if n := len(w.sagaCommands(order.CmdCancelOrder)); n != 1 {
		t.Errorf("%d CancelOrder", n)
	}
}

func TestBreakerOpen(t *testing.T) {
	p := DefaultPolicy()
	w := newWorld(t, p)
	w.open[integration.Payment] = true
	w.place(item("sku-1", 1, 1000))

	if n := len(w.payments("")); n != 0 {
		t.Fatalf("%d payment requests written through an open breaker", n)
	}
	retry := timerRetryPrefix + worldOrderID + "-pay-1-authorize"
	if !w.timer(retry) {
		t.Fatalf("no retry timer %s: %+v", retry, w.saga.Timers)
	}
	w.advance(10 * time.Second)
	if n := len(w.payments("")); n != 0 {
		t.Fatal("a request was written while the breaker stayed open")
	}
	w.open[integration.Payment] = false
	due, _ := w.saga.NextDue()
	w.advanceTo(due)
	auths := w.payments(integration.PayAuthorize)
	if len(auths) != 1 || auths[0].Attempt != 1 {
		t.Fatalf("authorizations %+v, want attempt 1 once the breaker closed", auths)
	}
	w.settle(time.Hour)
	w.noRejections()
	w.expect(order.StatusDelivered, StepDelivered, false)
}

func TestShipmentDeadline(t *testing.T) {
	p := DefaultPolicy()
	w := newWorld(t, p)
	w.shipping = drop[integration.ShippingRequest, integration.ShippingResult]
	w.place(item("sku-1", 1, 1000))
	w.settle(p.ShipmentTimeout + 24*time.Hour)
	w.noRejections()

	if n := len(w.shippings()); n != int(p.MaxAttempts) {
		t.Errorf("%d dispatches sent, want %d", n, p.MaxAttempts)
	}
	if n := w.flags("SHIPMENT_FAILED"); n != 1 {
		t.Errorf("%d SHIPMENT_FAILED flags, want 1", n)
	}
	if n := w.flags("SHIPMENT_OVERDUE"); n != 1 {
		t.Errorf("%d SHIPMENT_OVERDUE flags, want 1", n)
	}
	w.expect(order.StatusConfirmed, StepShipping, false)
	w.advance(7 * 24 * time.Hour)
	if n := w.flags("SHIPMENT_OVERDUE"); n != 1 {
		t.Errorf("%d SHIPMENT_OVERDUE flags after another week", n)
	}
}

// TestDeliveryDeadline: the carrier ships but never says delivered; once
// the deadline passes the order is flagged for review, once.
func TestDeliveryDeadline(t *testing.T) {
	p := DefaultPolicy()
	w := newWorld(t, p)
	w.autoDeliver = false
	w.place(item("sku-1", 1, 1000))
	w.noRejections()
	w.expect(order.StatusShipped, StepShipping, true)
	w.advance(p.ShipmentTimeout - time.Minute)
	if n := w.flags("DELIVERY_OVERDUE"); n != 0 {
		t.Fatalf("%d DELIVERY_OVERDUE flags before the deadline", n)
	}
	w.advance(2 * time.Minute)
	w.advance(7 * 24 * time.Hour)
	w.noRejections()
	if n := w.flags("DELIVERY_OVERDUE"); n != 1 {
		t.Errorf("%d DELIVERY_OVERDUE flags, want 1", n)
	}
	w.expect(order.StatusShipped, StepShipping, false)
}

// hold keeps the requests of one action unanswered, for the test to answer.
type hold struct {
	payments  []integration.PaymentRequest
	inventory []integration.InventoryRequest
}

func TestLateAnswersAfterCancellation(t *testing.T) {
	t.Run("reservation", func(t *testing.T) {
		w := newWorld(t, DefaultPolicy())
		var h hold
		w.inventory = func(q integration.InventoryRequest) []integration.InventoryResult {
			if q.Action == integration.InvReserve {
				h.inventory = append(h.inventory, q)
				return nil
			}
			return w.fromStock(q)
		}
		w.place(item("sku-1", 2, 1000))
		w.expect(order.StatusPlaced, StepReserving, true)
		w.user(order.RequestCancellation{Reason: "too slow"})
		w.noRejections()
		w.expect(order.StatusCancelled, StepCancelled, false)
		if v := w.payments(integration.PayVoid); len(v) != 1 {
			t.Errorf("voids %+v, want the authorization voided", v)
		}
		if len(h.inventory) != 1 {
			t.Fatalf("held %d reservations", len(h.inventory))
		}
		late := w.fromStock(h.inventory[0])[0]
		w.inbox = append(w.inbox, Input{Inventory: &late})
		w.run()
		rel := w.inventories(integration.InvRelease)
		if len(rel) != 1 || rel[0].ReservationID != late.Allocations[0].ReservationID {
			t.Errorf("release requests %+v, want the late reservation %s", rel, late.Allocations[0].ReservationID)
		}
		if len(w.sagaCommands(order.CmdReserveInventory)) != 0 {
			t.Error("a late reservation was recorded on a cancelled order")
		}
		w.expect(order.StatusCancelled, StepCancelled, false)
		// The same answer again: nothing.
		n := len(w.requests)
		w.inbox = append(w.inbox, Input{Inventory: &late})
		w.run()
		if len(w.requests) != n {
			t.Errorf("a repeated answer wrote %+v", w.requests[n:])
		}
	})
	t.Run("authorization", func(t *testing.T) {
		w := newWorld(t, DefaultPolicy())
		var h hold
		w.payment = func(q integration.PaymentRequest) []integration.PaymentResult {
			if q.Action == integration.PayAuthorize {
				h.payments = append(h.payments, q)
				return nil
			}
			return w.payOK(q)
		}
		w.place(item("sku-1", 2, 1000))
		w.user(order.RequestCancellation{Reason: "found it cheaper"})
		w.expect(order.StatusCancelled, StepCancelled, false)
		if len(w.payments(integration.PayVoid)) != 0 {
			t.Fatal("voided a payment that was never authorized")
		}
		late := paymentResult(h.payments[0], integration.OutcomeOK)
		for range 2 {
			w.inbox = append(w.inbox, Input{Payment: &late})
			w.run()
		}
		voids := w.payments(integration.PayVoid)
		if len(voids) != 1 || voids[0].PaymentID != late.PaymentID {
			t.Errorf("voids %+v, want one of %s", voids, late.PaymentID)
		}
		if len(w.sagaCommands(order.CmdAuthorizePayment)) != 0 {
			t.Error("a late authorization was recorded on a cancelled order")
		}
		w.expect(order.StatusCancelled, StepCancelled, false)
	})
	t.Run("capture", func(t *testing.T) {
		w := newWorld(t, DefaultPolicy())
		var h hold
		w.payment = func(q integration.PaymentRequest) []integration.PaymentResult {
			if q.Action == integration.PayCapture {
				h.payments = append(h.payments, q)
				return nil
			}
			return w.payOK(q)
		}
		w.place(item("sku-1", 2, 1000))
		w.expect(order.StatusPlaced, StepCapturing, true)
		w.user(order.RequestCancellation{Reason: "changed my mind"})
		w.noRejections()
		w.expect(order.StatusCancelled, StepCancelled, false)
		late := paymentResult(h.payments[0], integration.OutcomeOK)
		w.inbox = append(w.inbox, Input{Payment: &late})
		w.run()
		refunds := w.payments(integration.PayRefund)
		if len(refunds) != 1 || refunds[0].RefundID != "late-"+late.PaymentID || refunds[0].Amount != late.Amount {
			t.Fatalf("refunds %+v, want late-%s", refunds, late.PaymentID)
		}
		if len(w.sagaCommands(order.CmdCapturePayment)) != 0 || len(w.sagaCommands(order.CmdRecordRefund)) != 0 {
			t.Error("the order was told of a capture it never knew")
		}
		w.expect(order.StatusCancelled, StepCancelled, false)
		n := len(w.requests)
		w.inbox = append(w.inbox, Input{Payment: &late})
		w.run()
		if len(w.requests) != n {
			t.Errorf("a repeated late capture wrote %+v", w.requests[n:])
		}
	})
	t.Run("repeated answer to an answered request", func(t *testing.T) {
		w := newWorld(t, DefaultPolicy())
		var answers []Input
		w.payment = func(q integration.PaymentRequest) []integration.PaymentResult {
			r := paymentResult(q, integration.OutcomeOK)
			answers = append(answers, Input{Payment: &r})
			return []integration.PaymentResult{r}
		}
		w.place(item("sku-1", 1, 1000))
		w.expect(order.StatusDelivered, StepDelivered, false)
		before := deepCopy(w.saga)
		for _, a := range answers {
			r := w.p.react(w.saga, a, w.env())
			if len(r.out) != 0 || len(r.moves) != 0 {
				t.Errorf("a repeated %s wrote %+v, moved %v", describe(a), r.out, r.moves)
			}
		}
		if r := w.p.react(w.saga, Input{}, w.env()); len(r.out) != 0 {
			t.Errorf("a tick wrote %+v", r.out)
		}
		if w.saga.Step != before.Step {
			t.Error("step changed")
		}
	})
}

func TestHighValueOrderAwaitsApproval(t *testing.T) {
	w := newWorld(t, DefaultPolicy())
	w.place(item("sku-1", 2, 60_000)) // above the 1,000.00 USD threshold
	w.noRejections()
	if w.flags("HIGH_VALUE") != 1 {
		t.Fatalf("flags %+v", w.ord.Flags)
	}
	// Explicitly waiting for a person: no deadline runs while they review.
	w.expect(order.StatusConfirmed, StepApproval, false)
	if w.timer(TimerShipmentDeadline) {
		t.Error("the shipment deadline runs during the review")
	}
	w.advance(DefaultPolicy().ShipmentTimeout + time.Hour)
	if n := w.flags("SHIPMENT_OVERDUE"); n != 0 {
		t.Errorf("a slow review flagged the order SHIPMENT_OVERDUE %d times", n)
	}
	if len(w.shippings()) != 0 {
		t.Fatal("dispatched before approval")
	}
	if !hasTemplate(w, "order-confirmed") {
		t.Errorf("notifications %v", w.templates())
	}
	w.user(order.ApproveOrder{Comment: "known customer"})
	w.noRejections()
	if n := len(w.shippings()); n != 1 {
		t.Fatalf("%d dispatches after approval", n)
	}
	w.expect(order.StatusDelivered, StepDelivered, false)

	t.Run("threshold from the order policy", func(t *testing.T) {
		w := newWorld(t, DefaultPolicy())
		pol := order.DefaultPolicy()
		pol.ApprovalThreshold = map[string]int64{"USD": 1000}
		w.dec = order.Decider{Policy: pol}
		w.place(item("sku-1", 1, 2000))
		w.expect(order.StatusConfirmed, StepApproval, false)
		w.user(order.ApproveOrder{})
		w.expect(order.StatusDelivered, StepDelivered, false)
	})
}

func TestMermaidAndTableCover(t *testing.T) {
	m := Mermaid()
	for _, s := range Steps {
		if !strings.Contains(m, stepName(s)) {
			t.Errorf("step %s is not in the diagram", stepName(s))
		}
	}
	table := Table()
	for i, tr := range Transitions {
		if strings.TrimSpace(tr.Do) == "" || tr.On == "" || len(tr.From) == 0 {
			t.Errorf("row %d (%v on %q) has no action, trigger or source", i, tr.From, tr.On)
		}
		if !strings.Contains(table, string(tr.On)) {
			t.Errorf("row %d's trigger %q is not in the table", i, tr.On)
		}
	}
	// Every step but the start is reachable, every step but the ends can be left.
	into, outOf := map[Step]bool{}, map[Step]bool{}
	for _, tr := range Transitions {
		if tr.To == StepNone {
			continue
		}
		into[tr.To] = true
		for _, f := range tr.From {
			outOf[f] = true
		}
	}
	for _, s := range Steps {
		if s != StepNone && !into[s] {
			t.Errorf("no row moves into %s", stepName(s))
		}
		if s != StepDelivered && s != StepCancelled && !outOf[s] {
			t.Errorf("no row moves out of %s", stepName(s))
		}
	}
}

func TestCancellationOvertakesRecords(t *testing.T) {
	t.Run("capture confirmed, CapturePayment refused", func(t *testing.T) {
		w := newWorld(t, DefaultPolicy())
		var h hold
		w.payment = func(q integration.PaymentRequest) []integration.PaymentResult {
			if q.Action == integration.PayCapture && len(h.payments) == 0 {
				h.payments = append(h.payments, q)
				return nil
			}
			return w.payOK(q)
		}
		w.place(item("sku-1", 2, 1000))
		w.expect(order.StatusPlaced, StepCapturing, true)
		if err := w.decide(w.cmd(order.RequestCancellation{Reason: "changed my mind"})); err != nil {
			t.Fatal(err)
		}
		// The gateway's OK is read before the saga's CancelOrder is decided.
		w.feed(Input{Payment: new(paymentResult(h.payments[0], integration.OutcomeOK))})
		w.run()
		if len(w.rejected) != 1 || w.rejected[0].cmd.Type != order.CmdCapturePayment {
			t.Fatalf("rejections %+v, want the CapturePayment refused", w.rejected)
		}
		w.expect(order.StatusCancelled, StepCancelled, false)
		refunds := w.payments(integration.PayRefund)
		if len(refunds) != 1 || refunds[0].RefundID != "late-"+h.payments[0].PaymentID || refunds[0].Amount != h.payments[0].Amount {
			t.Errorf("refunds %+v, want the confirmed capture refunded", refunds)
		}
		if v := w.payments(integration.PayVoid); len(v) != 0 {
			t.Errorf("voided a captured payment: %+v", v)
		}
	})
	t.Run("carrier shipped, ShipOrder refused", func(t *testing.T) {
		w := newWorld(t, DefaultPolicy())
		var held []integration.ShippingRequest
		w.shipping = func(q integration.ShippingRequest) []integration.ShippingResult {
			held = append(held, q)
			return nil
		}
		w.place(item("sku-1", 1, 1000))
		w.feed(Input{Shipping: new(shipped(held[0]))}) // ShipOrder waits in the queue
		if err := w.decide(w.cmd(order.RequestCancellation{Reason: "too late?"})); err != nil {
			t.Fatal(err)
		}
		w.run()
		w.feed(Input{Shipping: new(delivered(held[0]))})
		w.run()
		w.expect(order.StatusCancelled, StepCancelled, false)
		notes := count(w.ord.Notes, func(n order.Note) bool { return strings.HasPrefix(n.Text, "SHIPPED_AFTER_CANCELLATION") })
		if notes != 1 {
			t.Errorf("%d SHIPPED_AFTER_CANCELLATION notes, want 1 (notes %+v)", notes, w.ord.Notes)
		}
		if n := len(w.sagaCommands(order.CmdDeliverOrder)); n != 0 {
			t.Errorf("%d DeliverOrder for a cancelled order", n)
		}
	})
}

func TestDeliveredWithoutShipped(t *testing.T) {
	w := newWorld(t, DefaultPolicy())
	w.shipping = func(q integration.ShippingRequest) []integration.ShippingResult {
		return []integration.ShippingResult{delivered(q)} // the SHIPPED answer was lost
	}
	w.place(item("sku-1", 1, 1000))
	w.noRejections()
	w.expect(order.StatusDelivered, StepDelivered, false)
	if len(w.shippings()) != 1 {
		t.Errorf("%d dispatches", len(w.shippings()))
	}
}

func TestLateCaptureAfterGivingUp(t *testing.T) {
	w := newWorld(t, DefaultPolicy())
	var first []integration.PaymentRequest
	w.payment = func(q integration.PaymentRequest) []integration.PaymentResult {
		if q.Action == integration.PayCapture && strings.HasSuffix(q.PaymentID, "-pay-1") {
			first = append(first, q) // captured, but no answer reaches the saga in time
			return nil
		}
		return w.payOK(q)
	}
	w.place(item("sku-1", 1, 1000))
	w.settle(time.Hour)
	w.expect(order.StatusDelivered, StepDelivered, false)
	if w.ord.Payment.ID == first[0].PaymentID {
		t.Fatal("the first payment was kept")
	}
	w.feed(Input{Payment: new(paymentResult(first[0], integration.OutcomeOK))})
	w.run()
	refunds := w.payments(integration.PayRefund)
	if len(refunds) != 1 || refunds[0].PaymentID != first[0].PaymentID {
		t.Errorf("refunds %+v, want the first payment's late capture refunded", refunds)
	}
	if w.ord.Payment.Refunded != 0 {
		t.Error("the order's own payment was refunded")
	}
}

// TestForgetAfterRetention: a cancelled order's saga state is forgotten
// once Retention passed with nothing in flight; a compensation still
// running postpones it.
func TestForgetAfterRetention(t *testing.T) {
	t.Run("nothing in flight", func(t *testing.T) {
		p := DefaultPolicy()
		p.AllowBackorder = false
		w := newWorld(t, p)
		w.stock = map[string]map[string]int64{"wh-east": {"sku-1": 1}}
		w.place(item("sku-1", 2, 1000))
		w.expect(order.StatusCancelled, StepCancelled, false)
		if !w.timer(TimerForget) {
			t.Fatalf("timers %v, want the retention timer", w.saga.Timers)
		}
		w.advance(p.Retention - time.Minute)
		if w.forgotten != 0 {
			t.Fatal("forgotten before the retention passed")
		}
		w.advance(2 * time.Minute)
		if w.forgotten != 1 || w.saga.OrderID != "" {
			t.Fatalf("forgotten %d times, state %+v", w.forgotten, w.saga)
		}
	})
	t.Run("a refund still waiting", func(t *testing.T) {
		p := DefaultPolicy()
		w := newWorld(t, p)
		w.shipping = drop[integration.ShippingRequest, integration.ShippingResult]
		w.place(item("sku-1", 1, 1000))
		w.expect(order.StatusConfirmed, StepShipping, true)
		w.open[integration.Payment] = true // the gateway's breaker stays open: the refund waits
		w.user(order.CancelOrder{Reason: "changed my mind"})
		w.advance(p.Retention + time.Minute)
		if w.forgotten != 0 {
			t.Fatal("forgotten while its refund waited")
		}
		if !w.timer(TimerForget) || len(w.saga.Requests) == 0 {
			t.Errorf("timers %v, requests %v: want the retention timer re-armed behind the refund", w.saga.Timers, w.saga.Requests)
		}
	})
}
