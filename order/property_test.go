package order_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/orderlog/orderlog/order"
)

// chooser is a source of choices: math/rand for property tests, the fuzzer's
// bytes for FuzzDecide.
type chooser interface{ intn(n int) int }

type randChooser struct{ r *rand.Rand }

func (c randChooser) intn(n int) int { return c.r.IntN(n) }

type byteChooser struct {
	b []byte
	i int
}

func (c *byteChooser) intn(n int) int {
	if c.i >= len(c.b) {
		return 0
	}
	v := int(c.b[c.i])
	c.i++
	return v % n
}

var products = []string{"sku-1", "sku-2", "sku-3", "sku-4"}

// genCommand draws a command for s: mostly plausible ones (ids and amounts
// taken from the state), sometimes nonsense, so both paths are exercised.
func genCommand(c chooser, s order.State, n int) order.Command {
	pick := func(xs ...string) string { return xs[c.intn(len(xs))] }
	amount := func(plausible int64) int64 {
		switch c.intn(4) {
		case 0:
			return int64(c.intn(5000))
		case 1:
			return plausible + 1
		default:
			return plausible
		}
	}
	items := func() []order.LineItem {
		out := []order.LineItem{}
		for _, p := range products[:1+c.intn(len(products))] {
			out = append(out, order.LineItem{ProductID: p, Quantity: int64(c.intn(4)), UnitPrice: int64(c.intn(100_00))})
		}
		return out
	}
	qty := func(avail func(order.Line) int64) []order.ItemQuantity {
		out := []order.ItemQuantity{}
		for _, l := range s.Lines {
			if q := avail(l) - int64(c.intn(2)*c.intn(2)); c.intn(4) > 0 && q > 0 {
				out = append(out, order.ItemQuantity{ProductID: l.ProductID, Quantity: q})
			}
		}
		return out
	}
	// some names part of what is available: a random 1..avail of some lines.
	some := func(avail func(order.Line) int64) []order.ItemQuantity {
		out := []order.ItemQuantity{}
		for _, l := range s.Lines {
			if a := avail(l); a > 0 && c.intn(3) > 0 {
				out = append(out, order.ItemQuantity{ProductID: l.ProductID, Quantity: 1 + int64(c.intn(int(min(a, 100))))})
			}
		}
		return out
	}
	unreserved := func(l order.Line) int64 { return l.Quantity - s.Reserved(l.ProductID) }
	unallocated := func(l order.Line) int64 { return l.Quantity - s.Reserved(l.ProductID) - l.Backordered }
	unshipped := func(l order.Line) int64 { return s.Reserved(l.ProductID) - s.Shipped(l.ProductID) }
	shipmentID := func() string {
		ids := []string{"", "nope"}
		for _, sh := range s.Shipments {
			ids = append(ids, sh.ID)
		}
		if open := s.UndeliveredShipments(); len(open) > 0 {
			ids = append(ids, open[0], open[len(open)-1])
		}
		return pick(ids...)
	}
	returnable := func(l order.Line) int64 { return l.Quantity - l.Returning }
	t := s.Totals()
	// A third of the time pick among the commands the status allows, a third
	// the one that moves the order on, so sequences travel the whole
	// lifecycle; otherwise any command at all.
	all := order.CommandTypes()
	switch c.intn(3) {
	case 0:
		if allowed := order.AllowedCommands(s.Status); len(allowed) > 0 {
			all = allowed
		}
	case 1:
		if next := nextStep(c, s); next != "" {
			all = []order.CommandType{next}
		}
	}
	typ := all[c.intn(len(all))]
	switch typ {
	case order.CmdCancelOrder, order.CmdRequestCancellation, order.CmdReleaseInventory:
		// Undoing commands are drawn less often, or few sequences would get far.
		if c.intn(5) > 0 {
			typ = order.CmdAddCustomerNote
		}
	}
	var data order.CommandData
	switch typ {
	case order.CmdCreateOrder:
		data = order.CreateOrder{CustomerID: "cust", Currency: pick("USD", "EUR", "JPY", "XXX"), Items: items()[:c.intn(2)]}
	case order.CmdAddItems:
		data = order.AddItems{Items: items()}
	case order.CmdRemoveItems:
		data = order.RemoveItems{ProductIDs: []string{pick(products...)}}
	case order.CmdUpdateItems:
		data = order.UpdateItems{Items: items()}
	case order.CmdApplyDiscount:
		data = order.ApplyDiscount{Code: pick("WELCOME10", "SAVE5", "HALFOFF", "", "NOPE"), Description: "d", FixedAmount: int64(c.intn(3000))}
	case order.CmdCalculateTax:
		data = order.CalculateTax{Country: pick("US", "DE", "", "JP"), Region: pick("NY", "CA", "")}
	case order.CmdPlaceOrder:
		data = order.PlaceOrder{}
	case order.CmdUpdateShippingDetails:
		data = order.UpdateShippingDetails{ShippingInput: order.ShippingInput{RecipientName: "J", Method: pick("STANDARD", "EXPRESS", "X"),
			Address: order.Address{Line1: "1 A St", City: "C", PostalCode: "1", Country: pick("US", "DE", "GB", "BR"), State: pick("NY", "CA", "")}}}
	case order.CmdChangeShippingAddress:
		data = order.ChangeShippingAddress{Address: order.Address{Line1: "2 B St", City: "C", PostalCode: "2", Country: pick("US", "DE", "BR"), State: "NY"}}
	case order.CmdUpdateBillingDetails:
		data = order.UpdateBillingDetails{BillingInput: order.BillingInput{Name: "J", Email: pick("j@x.io", "bad"), Address: nyAddress}}
	case order.CmdInitiatePayment:
		data = order.InitiatePayment{PaymentID: fmt.Sprintf("pay-%d", n), PaymentMethod: "CARD"}
	case order.CmdAuthorizePayment:
		data = order.AuthorizePayment{PaymentID: s.Payment.ID, Amount: amount(s.Payment.Amount)}
	case order.CmdCapturePayment:
		data = order.CapturePayment{PaymentID: s.Payment.ID, Amount: amount(s.Payment.Amount)}
	case order.CmdFailPayment:
		data = order.FailPayment{PaymentID: s.Payment.ID, Reason: "declined"}
	case order.CmdReserveInventory:
		data = order.ReserveInventory{ReservationID: fmt.Sprintf("res-%d", n), Items: qty(unreserved)}
	case order.CmdReleaseInventory:
		data = order.ReleaseInventory{Reason: "r"}
	case order.CmdAddTracking:
		data = order.AddTracking{Carrier: "DHL", TrackingNumber: pick("JD01", "")}
	case order.CmdBackorderItems:
		data = order.BackorderItems{Items: some(unallocated), Reason: pick("out of stock", "")}
	case order.CmdShipOrder:
		// Half the time every unshipped unit, else some of them: a split.
		d := order.ShipOrder{Carrier: pick("UPS", "DHL", ""), TrackingNumber: fmt.Sprintf("1Z%d", n), WarehouseID: pick("", "wh-east", "wh-west")}
		switch c.intn(4) {
		case 0:
			d.Items = qty(unshipped)
		case 1:
			d.Items = some(unshipped)
		}
		if c.intn(6) == 0 {
			d.ShipmentID = pick("shipment-1", fmt.Sprintf("box-%d", n))
		}
		data = d
	case order.CmdDeliverOrder:
		data = order.DeliverOrder{ShipmentID: shipmentID()}
	case order.CmdCancelOrder:
		data = order.CancelOrder{Reason: pick("changed mind", "")}
	case order.CmdRequestCancellation:
		data = order.RequestCancellation{Reason: "please"}
	case order.CmdRequestReturn:
		data = order.RequestReturn{ReturnID: fmt.Sprintf("ret-%d", n), Reason: "r", Items: qty(returnable)}
	case order.CmdReceiveReturn:
		id := ""
		if len(s.Returns) > 0 {
			id = s.Returns[c.intn(len(s.Returns))].ID
		}
		data = order.ReceiveReturn{ReturnID: id}
	case order.CmdRecordRefund:
		data = order.RecordRefund{RefundID: fmt.Sprintf("rf-%d", n), Amount: amount(s.Payment.RefundRequested - s.Payment.Refunded)}
	case order.CmdRequestRefund:
		data = order.RequestRefund{RefundID: fmt.Sprintf("rq-%d", n), Amount: amount(t.Total / 3), Reason: "goodwill"}
	case order.CmdFlagOrder:
		data = order.FlagOrder{Code: "SUSPICIOUS", Reason: "velocity", RequiresApproval: c.intn(2) == 0}
	case order.CmdApproveOrder:
		data = order.ApproveOrder{}
	case order.CmdAddCustomerNote:
		data = order.AddCustomerNote{Text: "n"}
	default:
		data = []order.CommandData{order.ApproveOrder{}, order.AddCustomerNote{Text: "n"}, order.AddAdminNote{Text: "a"},
			order.RecordNotification{NotificationID: "n", Channel: "EMAIL", Template: "t"}}[c.intn(4)]
	}
	cm := order.Command{ID: fmt.Sprintf("c-%d", n), Type: data.CommandType(), OrderID: oid, Data: data,
		Time: t0.Add(time.Duration(n) * time.Minute)}
	if c.intn(10) == 0 { // now and then, resend an earlier command
		cm.ID = fmt.Sprintf("c-%d", c.intn(n+1))
	}
	if c.intn(10) == 0 {
		v := s.Version - int64(c.intn(2))
		cm.ExpectedVersion = &v
	}
	return cm
}

// nextStep is a command that takes the order further towards delivery
// (and, after it, into a return), or "" when there is none.
func nextStep(c chooser, s order.State) order.CommandType {
	unshipped := false
	for _, l := range s.Lines {
		unshipped = unshipped || s.Shipped(l.ProductID) < s.Reserved(l.ProductID)
	}
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
		case !s.FullyAllocated():
			return []order.CommandType{order.CmdReserveInventory, order.CmdReserveInventory, order.CmdBackorderItems}[c.intn(3)]
		case s.Status == order.StatusConfirmed:
			return order.CmdShipOrder
		case s.Payment.Status == order.PayNone || s.Payment.Status == order.PayFailed:
			return order.CmdInitiatePayment
		case s.Payment.Status == order.PayInitiated:
			return order.CmdAuthorizePayment
		}
		return order.CmdCapturePayment
	case order.StatusShipped:
		switch {
		case s.AwaitingApproval():
			return order.CmdApproveOrder
		case !s.FullyShipped() && !unshipped:
			return order.CmdReserveInventory // a backorder arrived
		case unshipped && c.intn(2) == 0:
			return order.CmdShipOrder
		}
		return order.CmdDeliverOrder
	case order.StatusDelivered:
		return order.CmdRequestReturn
	case order.StatusReturnRequested:
		return order.CmdReceiveReturn
	}
	return ""
}

// highValue is the default policy's approval threshold for USD.
var highValue = order.DefaultPolicy().ApprovalThreshold["*"]

// checkInvariants lists the rules that must hold in every reachable state.
func checkInvariants(s order.State) error {
	t := s.Totals()
	p := s.Payment
	switch {
	case t.Discount > t.Subtotal || t.Discount < 0:
		return fmt.Errorf("discount %d outside 0..subtotal %d", t.Discount, t.Subtotal)
	case t.Total < 0 || t.Tax < 0:
		return fmt.Errorf("negative totals %+v", t)
	case p.Captured > p.Authorized:
		return fmt.Errorf("captured %d above authorized %d", p.Captured, p.Authorized)
	case p.Refunded > p.RefundRequested || p.RefundRequested > p.Captured:
		return fmt.Errorf("refunded %d, requested %d, captured %d: want refunded <= requested <= captured", p.Refunded, p.RefundRequested, p.Captured)
	case s.Status == order.StatusCancelled && len(s.Reservations) > 0:
		return fmt.Errorf("cancelled order still holds %d reservations", len(s.Reservations))
	case s.Status == order.StatusCancelled && p.Captured > p.RefundRequested:
		return fmt.Errorf("cancelled order keeps captured money without a refund request")
	case s.Status != order.StatusDraft && s.Status != order.StatusCancelled && len(s.Lines) == 0:
		return fmt.Errorf("order in %s has no items", s.Status)
	case (p.Status == order.PayInitiated || p.Status == order.PayAuthorized || p.Status == order.PayCaptured) && p.Amount != t.Total:
		return fmt.Errorf("payment of %d for an order whose total is now %d", p.Amount, t.Total)
	case s.Status == order.StatusPlaced && t.Total > highValue && !slices.ContainsFunc(s.Flags, func(f order.Flag) bool { return f.Code == "HIGH_VALUE" }):
		return fmt.Errorf("placed order of %d above the approval threshold is not flagged", t.Total)
	case placedOnce(s) && s.Shipping == nil:
		return fmt.Errorf("order in %s has no shipping details", s.Status)
	case placedOnce(s) && (!s.Tax.Calculated || !knownJurisdiction(s.Tax.Jurisdiction)):
		return fmt.Errorf("order in %s has tax %+v: calculated at placing, in a jurisdiction with a rate", s.Status, s.Tax)
	case s.Status == order.StatusPlaced && t.Total <= 0:
		return fmt.Errorf("placed order with a total of %d: nothing to capture", t.Total)
	case len(s.Recent) > order.RecentCommandWindow:
		return fmt.Errorf("recent window holds %d commands", len(s.Recent))
	case len(s.Shipments) > order.DefaultPolicy().MaxEntries:
		return fmt.Errorf("%d shipments, above the policy's bound", len(s.Shipments))
	}
	for _, l := range s.Lines {
		reserved, shipped := s.Reserved(l.ProductID), s.Shipped(l.ProductID)
		switch {
		case l.Quantity <= 0:
			return fmt.Errorf("line %s has quantity %d", l.ProductID, l.Quantity)
		case l.Backordered < 0:
			return fmt.Errorf("line %s has %d backordered", l.ProductID, l.Backordered)
		case reserved+l.Backordered > l.Quantity:
			return fmt.Errorf("line %s: reserved %d + backordered %d above quantity %d", l.ProductID, reserved, l.Backordered, l.Quantity)
		case shipped > reserved:
			return fmt.Errorf("line %s: shipped %d above reserved %d", l.ProductID, shipped, reserved)
		}
	}
	return checkDelivery(s)
}

// placedOnce reports whether an order's status says it was placed (a
// cancelled order may have been a draft: it is left out).
func placedOnce(s order.State) bool {
	return s.Exists() && s.Status != order.StatusDraft && s.Status != order.StatusCancelled
}

func knownJurisdiction(key string) bool {
	_, ok := order.DefaultPolicy().TaxRates[key]
	return ok
}

// checkDelivery: an order past delivery has every shipment delivered and
// nothing left to ship; one being shipped has at least one shipment.
func checkDelivery(s order.State) error {
	switch s.Status {
	case order.StatusDelivered, order.StatusReturnRequested, order.StatusReturned:
		if len(s.Shipments) == 0 || len(s.UndeliveredShipments()) > 0 || !s.FullyShipped() {
			return fmt.Errorf("%s with shipments %+v and lines %+v: want every unit shipped and delivered", s.Status, s.Shipments, s.Lines)
		}
	case order.StatusShipped:
		if len(s.Shipments) == 0 {
			return fmt.Errorf("SHIPPED without a shipment")
		}
	}
	return nil
}

// exercise runs steps generated commands and checks everything a sequence
// must satisfy; it returns a description of the first violation.
func exercise(c chooser, steps int) error {
	var s order.State
	var log []order.Event
	for n := range steps {
		cm := genCommand(c, s, n)
		if n == 0 {
			cm.Data, cm.Type = order.CreateOrder{CustomerID: "cust", Currency: "USD"}, order.CmdCreateOrder
		}
		before := s
		evs, err := order.Decide(s, cm)
		if err != nil {
			var rej *order.Rejection
			var dup *order.Duplicate
			if !errors.As(err, &rej) && !errors.As(err, &dup) {
				return fmt.Errorf("step %d %s: error is neither rejection nor duplicate: %v", n, cm.Type, err)
			}
			if len(evs) > 0 {
				return fmt.Errorf("step %d %s: rejected but emitted %d events", n, cm.Type, len(evs))
			}
			continue
		}
		for _, e := range evs {
			if e.Seq != s.Version+1 {
				return fmt.Errorf("step %d %s: event seq %d after version %d", n, cm.Type, e.Seq, s.Version)
			}
			s = order.Evolve(s, e)
			log = append(log, e)
		}
		if err := checkTransition(cm.Type, before.Status, s.Status); err != nil {
			return fmt.Errorf("step %d %s: %w", n, cm.Type, err)
		}
		if err := checkInvariants(s); err != nil {
			return fmt.Errorf("step %d %s: %w", n, cm.Type, err)
		}
	}
	var folded order.State
	for i, e := range log {
		if e.Seq != int64(i+1) {
			return fmt.Errorf("event %d has seq %d: not gapless from 1", i, e.Seq)
		}
		folded = order.Evolve(folded, e)
	}
	if !reflect.DeepEqual(folded, s) {
		return fmt.Errorf("folding the %d events does not reproduce the state:\nfolded %+v\nstate  %+v", len(log), folded, s)
	}
	return nil
}

// checkTransition checks an accepted command's status change against its
// table row: to To, or (a partial step) nowhere.
func checkTransition(c order.CommandType, from, to order.Status) error {
	tr, _ := order.TransitionFor(c)
	switch {
	case tr.To == order.StatusNone && to != from:
		return fmt.Errorf("status moved %s -> %s, the table says it stays", from, to)
	case tr.To != order.StatusNone && to != tr.To && !(tr.Partial && to == from):
		return fmt.Errorf("status %s, the table says %s", to, tr.To)
	}
	return nil
}

func TestPropertyRandomCommandSequences(t *testing.T) {
	runs := 2000
	if testing.Short() {
		runs = 200
	}
	for seed := range runs {
		c := randChooser{rand.New(rand.NewPCG(uint64(seed), 42))}
		if err := exercise(c, 120); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
}

// coverage is what random sequences reached: statuses, event types, and the
// split-fulfillment paths.
type coverage struct {
	statuses map[order.Status]bool
	events   map[order.EventType]bool
	// partialDeliveries counts DeliverOrder that left the order SHIPPED.
	partialDeliveries int
	// splitDelivered counts orders delivered in more than one shipment,
	// backorderDelivered those delivered after a backorder.
	splitDelivered, backorderDelivered int
}

// explore runs random sequences and records what they reached.
func explore(seeds, steps int) coverage {
	cov := coverage{statuses: map[order.Status]bool{}, events: map[order.EventType]bool{}}
	for seed := range seeds {
		c := randChooser{newRand(seed)}
		var s order.State
		backordered := false
		for n := range steps {
			cm := genCommand(c, s, n)
			if n == 0 {
				cm.Data, cm.Type = order.CreateOrder{CustomerID: "cust", Currency: "USD"}, order.CmdCreateOrder
			}
			evs, err := order.Decide(s, cm)
			if err != nil {
				continue
			}
			before := s.Status
			for _, e := range evs {
				cov.events[e.Type] = true
				backordered = backordered || e.Type == order.EvtItemsBackordered
				s = order.Evolve(s, e)
			}
			cov.statuses[s.Status] = true
			switch {
			case cm.Type == order.CmdDeliverOrder && s.Status == order.StatusShipped:
				cov.partialDeliveries++
			case before == order.StatusShipped && s.Status == order.StatusDelivered:
				if len(s.Shipments) > 1 {
					cov.splitDelivered++
				}
				if backordered {
					cov.backorderDelivered++
				}
			}
		}
	}
	return cov
}

// TestPropertyCoversTheLifecycle guards the generator: a property test whose
// sequences never leave DRAFT would prove little. Every status is reached,
// every event type is emitted by some sequence, and orders are delivered in
// several shipments, after partial deliveries and after backorders.
func TestPropertyCoversTheLifecycle(t *testing.T) {
	cov := explore(300, 200)
	for _, st := range order.Statuses {
		if !cov.statuses[st] {
			t.Errorf("random sequences never reached %s", st)
		}
	}
	for _, et := range order.EventTypes() {
		if !cov.events[et] {
			t.Errorf("no command sequence emitted %s", et)
		}
	}
	t.Logf("partial deliveries %d, orders delivered in several shipments %d, after a backorder %d",
		cov.partialDeliveries, cov.splitDelivered, cov.backorderDelivered)
	if cov.partialDeliveries == 0 || cov.splitDelivered == 0 || cov.backorderDelivered == 0 {
		t.Errorf("split fulfillment is not exercised: %d partial deliveries, %d split orders delivered, %d delivered after a backorder",
			cov.partialDeliveries, cov.splitDelivered, cov.backorderDelivered)
	}
}

func FuzzDecide(f *testing.F) {
	f.Add([]byte{7, 1, 2, 3, 12, 14, 17, 15, 20, 21, 24, 25})
	f.Add([]byte{22, 0, 5, 9, 7, 8, 12, 13, 14, 15, 16, 17})
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := exercise(&byteChooser{b: b}, len(b)/3+1); err != nil {
			t.Fatal(err)
		}
		if err := exerciseHandle(&byteChooser{b: b}, len(b)/3+1, order.DefaultPolicy(), len(b)%2 == 0, &handleStats{}); err != nil {
			t.Fatal(err)
		}
	})
}

func newRand(seed int) *rand.Rand { return rand.New(rand.NewPCG(uint64(seed), 7)) }
