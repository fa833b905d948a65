package fulfillment

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderlog/orderlog/integration"
	"github.com/orderlog/orderlog/order"
)

// chaos is a random world: outside systems that decline, are unavailable,
// drop answers, answer twice or answer late, and a customer who cancels,
// and an operator who approves, at random moments.
type chaos struct {
	*world
	rng                                 *rand.Rand
	fail, unavailable, lost, dup, delay float64

	final     map[string]string                       // requestId -> outcome decided once (gateways are idempotent)
	reserved  map[string]integration.InventoryResult  // RESERVE requestId -> its result, decided once
	held      map[string][]integration.Item           // reservation id -> items the inventory holds
	known     map[string]bool                         // reservation ids the saga was told of
	released  map[string]bool                         // reservation ids given back
	late      []Input                                 // answers that arrive after the clock moves
	shipments map[string][]integration.ShippingResult // requestId -> the carrier's answers
}

func newChaos(t testing.TB, seed uint64) *chaos {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	p := DefaultPolicy()
	p.AllowBackorder = rng.IntN(3) > 0
	p.MaxAttempts = int32(3 + rng.IntN(3))
	if rng.IntN(4) == 0 {
		p.BackorderRecheck = time.Minute // shorter than a request's retries can take
	}
	c := &chaos{
		world: newWorld(t, p), rng: rng,
		fail: rng.Float64() * 0.3, unavailable: rng.Float64() * 0.3, lost: rng.Float64() * 0.3,
		dup: rng.Float64() * 0.2, delay: rng.Float64() * 0.2,
		final: map[string]string{}, reserved: map[string]integration.InventoryResult{},
		held: map[string][]integration.Item{}, known: map[string]bool{}, released: map[string]bool{},
		shipments: map[string][]integration.ShippingResult{},
	}
	c.world.rng = rng
	c.stock = map[string]map[string]int64{}
	for _, wh := range []string{"wh-a", "wh-b"}[:1+rng.IntN(2)] {
		c.stock[wh] = map[string]int64{}
		for _, sku := range []string{"sku-1", "sku-2", "sku-3"} {
			c.stock[wh][sku] = int64(rng.IntN(6))
		}
	}
	c.payment, c.inventory, c.shipping = c.pay, c.inv, c.ship
	if rng.IntN(4) == 0 {
		// An order that refuses some of the saga's forward commands: the
		// saga reads the rejections and flags, compensates or cancels.
		rate := 0.05 + rng.Float64()*0.25
		c.refuse = func(cmd order.Command) bool {
			switch cmd.Type {
			case order.CmdAuthorizePayment, order.CmdReserveInventory, order.CmdCapturePayment, order.CmdShipOrder, order.CmdDeliverOrder:
				return rng.Float64() < rate
			}
			return false
		}
	}
	return c
}

// answer decides how an attempt is answered: not at all, UNAVAILABLE, or
// with the final outcome. Compensations are answered by the third attempt.
func (c *chaos) answer(attempt int32, compensation bool) string {
	if compensation && attempt >= 3 {
		return integration.OutcomeOK
	}
	switch x := c.rng.Float64(); {
	case x < c.lost:
		return ""
	case x < c.lost+c.unavailable:
		return integration.OutcomeUnavailable
	}
	return integration.OutcomeOK
}

func (c *chaos) outcome(id string, canFail bool) string {
	if o, ok := c.final[id]; ok {
		return o
	}
	o := integration.OutcomeOK
	if canFail && c.rng.Float64() < c.fail {
		o = integration.OutcomeFailed
	}
	c.final[id] = o
	return o
}

// deliver returns answers, maybe twice, maybe later.
func deliver[R any](c *chaos, wrap func(*R) Input, rs ...R) []R {
	var now []R
	for i := range rs {
		if c.rng.Float64() < c.delay {
			c.late = append(c.late, wrap(&rs[i]))
			continue
		}
		now = append(now, rs[i])
		if c.rng.Float64() < c.dup {
			now = append(now, rs[i])
		}
	}
	return now
}

func (c *chaos) pay(q integration.PaymentRequest) []integration.PaymentResult {
	compensation := q.Action == integration.PayVoid || q.Action == integration.PayRefund
	a := c.answer(q.Attempt, compensation)
	if a == "" {
		return nil
	}
	if a == integration.OutcomeOK {
		a = c.outcome(q.RequestID, !compensation)
	}
	return deliver(c, func(r *integration.PaymentResult) Input { return Input{Payment: r} }, paymentResult(q, a))
}

func (c *chaos) inv(q integration.InventoryRequest) []integration.InventoryResult {
	compensation := q.Action != integration.InvReserve
	a := c.answer(q.Attempt, compensation)
	if a == "" {
		return nil
	}
	res := integration.InventoryResult{RequestID: q.RequestID, OrderID: q.OrderID, Action: q.Action, Outcome: a}
	switch {
	case a != integration.OutcomeOK:
	case q.Action == integration.InvRelease:
		if items, ok := c.held[q.ReservationID]; ok && !c.released[q.ReservationID] {
			c.released[q.ReservationID] = true
			for _, it := range items {
				c.stock[it.WarehouseID][it.ProductID] += it.Quantity
			}
		}
	case q.Action == integration.InvReserve:
		r, ok := c.reserved[q.RequestID]
		if !ok {
			if isRecheck(q.RequestID) && c.rng.IntN(2) == 0 {
				for _, it := range q.Items { // a delivery came in
					c.stock["wh-a"][it.ProductID] += it.Quantity + int64(c.rng.IntN(3))
				}
			}
			r = c.fromStock(q)[0]
			for _, al := range r.Allocations {
				c.held[al.ReservationID] = al.Items
			}
			c.reserved[q.RequestID] = r
		}
		res = r
	}
	return deliver(c, func(r *integration.InventoryResult) Input { return Input{Inventory: r} }, res)
}

func (c *chaos) ship(q integration.ShippingRequest) []integration.ShippingResult {
	a := c.answer(q.Attempt, false)
	if a == "" {
		return nil
	}
	if a == integration.OutcomeUnavailable {
		r := shipped(q)
		r.Outcome, r.Status = a, ""
		return deliver(c, func(r *integration.ShippingResult) Input { return Input{Shipping: r} }, r)
	}
	if prev, ok := c.shipments[q.RequestID]; ok {
		return deliver(c, func(r *integration.ShippingResult) Input { return Input{Shipping: r} }, prev...)
	}
	var rs []integration.ShippingResult
	if c.outcome(q.RequestID, c.rng.IntN(4) == 0) == integration.OutcomeFailed {
		r := shipped(q)
		r.Outcome, r.Status, r.Reason = integration.OutcomeFailed, "", "no pickup in that area"
		rs = append(rs, r)
	} else {
		rs = append(rs, shipped(q), delivered(q))
	}
	c.shipments[q.RequestID] = rs
	return deliver(c, func(r *integration.ShippingResult) Input { return Input{Shipping: r} }, rs...)
}

// try decides a user command the order may refuse.
func (c *chaos) try(d order.CommandData) {
	_ = c.decide(c.cmd(d))
}

// drive runs the world until nothing is left to do: answers and commands,
// then the clock to the next timer, with a customer and an operator acting
// at random; bounded.
func (c *chaos) drive() {
	c.t.Helper()
	cancelAt := -1
	if c.rng.IntN(5) == 0 {
		cancelAt = c.rng.IntN(60)
	}
	returned := false
	steps := 0
	for round := 0; round < 400; round++ {
		for range 5000 {
			if steps == cancelAt {
				c.try(order.RequestCancellation{Reason: "customer changed their mind"})
			}
			steps++
			if !c.step() {
				break
			}
		}
		switch {
		case c.ord.AwaitingApproval() && c.ord.Status == order.StatusConfirmed && c.rng.IntN(3) > 0:
			c.try(order.ApproveOrder{Comment: "checked"})
			continue
		case c.ord.Status == order.StatusDelivered && !returned && c.rng.IntN(5) == 0:
			returned = true
			l := c.ord.Lines[0]
			c.try(order.RequestReturn{ReturnID: "ret-1", Items: []order.ItemQuantity{{ProductID: l.ProductID, Quantity: 1}}, Reason: "broken"})
			c.try(order.ReceiveReturn{ReturnID: "ret-1"})
			continue
		}
		due, ok := c.saga.NextDue()
		if !ok && len(c.late) == 0 {
			return
		}
		if ok && due.After(c.now) {
			c.now = due
		} else if !ok {
			c.now = c.now.Add(time.Minute)
		}
		c.inbox = append(c.inbox, c.late...)
		c.late = nil
		c.feed(Input{})
	}
}

func TestSagaProperties(t *testing.T) {
	seeds := 400
	if testing.Short() {
		seeds = 50
	}
	outcomes := map[string]int{}
	for seed := range uint64(seeds) {
		c := newChaos(t, seed)
		ok := t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			c.t = t
			c.world.t = t
			items := []order.LineItem{item("sku-1", int64(1+c.rng.IntN(4)), int64(500+c.rng.IntN(3000)))}
			if c.rng.IntN(2) == 0 {
				items = append(items, item("sku-2", int64(1+c.rng.IntN(3)), int64(100+c.rng.IntN(2000))))
			}
			if c.rng.IntN(6) == 0 {
				items = append(items, item("sku-3", 1, 150_000)) // high value: held for approval
			}
			c.create(items...)
			if err := c.decide(c.cmd(order.PlaceOrder{})); err != nil {
				t.Fatal(err)
			}
			c.drive()
			outcome := c.check(t)
			if len(c.refused) > 0 {
				outcome += " (the order refused saga commands)"
			}
			outcomes[outcome]++
		})
		if !ok {
			t.Logf("seed %d: %s", seed, c.story())
			break
		}
	}
	t.Logf("outcomes over %d seeds: %v", seeds, outcomes)
}

// check asserts where the order ended up and returns a name for it.
func (c *chaos) check(t *testing.T) string {
	t.Helper()
	s, o := c.saga, c.ord
	for id := range c.knownReservations() {
		if !c.released[id] && !slices.ContainsFunc(o.Reservations, func(r order.Reservation) bool { return r.ID == id }) {
			t.Errorf("the inventory holds %s for the order, which neither records nor released it", id)
		}
	}
	c.checkMoney(t)
	for _, r := range c.rejected {
		if (r.cmd.Type == order.CmdShipOrder || r.cmd.Type == order.CmdDeliverOrder) &&
			!slices.ContainsFunc(o.Notes, func(n order.Note) bool { return strings.HasPrefix(n.Text, "SHIPPED_AFTER_CANCELLATION") }) &&
			c.flags("SHIPPED_AFTER_CANCELLATION") == 0 && !c.sagaFlagged() {
			t.Errorf("the order refused %s (%v) and no one was told the parcel left", r.cmd.ID, r.err)
		}
	}
	if len(c.refused) > 0 && o.Status != order.StatusCancelled && !c.sagaFlagged() {
		t.Errorf("the order refused %d saga commands and is %s, neither cancelled nor flagged SAGA_*_REJECTED", len(c.refused), o.Status)
	}
	waitingBackorder := o.Status == order.StatusShipped && slices.ContainsFunc(o.Lines, func(l order.Line) bool { return l.Backordered > 0 }) &&
		s.hasTimer(TimerBackorderRecheck)
	heldForApproval := o.Status == order.StatusConfirmed && o.AwaitingApproval() && s.Step == StepApproval
	heldForPerson := slices.ContainsFunc(o.Flags, func(f order.Flag) bool { return f.Code == "SHIPMENT_FAILED" }) || c.sagaFlagged()
	name := string(o.Status)
	switch {
	case o.Status == order.StatusDelivered || o.Status == order.StatusReturned:
		if o.Payment.Captured != o.Totals().Total {
			t.Errorf("%s with %d captured of %d", o.Status, o.Payment.Captured, o.Totals().Total)
		}
	case o.Status == order.StatusCancelled:
		if o.Payment.Captured != o.Payment.Refunded {
			t.Errorf("cancelled with %d captured and %d refunded", o.Payment.Captured, o.Payment.Refunded)
		}
		if len(o.Reservations) != 0 {
			t.Errorf("cancelled holding reservations %+v", o.Reservations)
		}
		if s.Step != StepCancelled && s.Step != StepNone {
			t.Errorf("cancelled order in step %s", stepName(s.Step))
		}
	case waitingBackorder:
		name = "SHIPPED, waiting for backordered units"
	case heldForApproval:
		name = "AWAITING_APPROVAL"
	case heldForPerson && c.sagaFlagged():
		name = string(o.Status) + ", SAGA_*_REJECTED flagged"
	case heldForPerson:
		name = string(o.Status) + ", SHIPMENT_FAILED flagged"
	default:
		t.Errorf("the order stopped in %s, saga step %s, with nothing to wait for", o.Status, stepName(s.Step))
	}
	if s.InFlight() && !waitingBackorder {
		t.Errorf("%s with requests %+v and timers %+v in flight", name, s.Requests, s.Timers)
	}
	if o.Status == order.StatusDelivered && s.Step != StepDelivered {
		t.Errorf("delivered order in step %s", stepName(s.Step))
	}
	return name
}

// sagaFlagged reports whether the saga flagged the order (or noted on a
// closed one) for a refused command of its own.
func (c *chaos) sagaFlagged() bool {
	rejected := func(code string) bool {
		return strings.HasPrefix(code, "SAGA_") && strings.HasSuffix(code, "_REJECTED")
	}
	return slices.ContainsFunc(c.ord.Flags, func(f order.Flag) bool { return rejected(f.Code) }) ||
		slices.ContainsFunc(c.ord.Notes, func(n order.Note) bool { code, _, _ := strings.Cut(n.Text, ":"); return n.Admin && rejected(code) })
}

// knownReservations is every reservation the inventory made whose answer
// reached the saga.
func (c *chaos) knownReservations() map[string]bool {
	out := map[string]bool{}
	for _, o := range c.requests {
		if o.Inventory == nil || o.Inventory.Action != integration.InvReserve {
			continue
		}
		if r, ok := c.reserved[o.Inventory.RequestID]; ok && c.fed[o.Inventory.RequestID] {
			for _, a := range r.Allocations {
				out[a.ReservationID] = true
			}
		}
	}
	return out
}

func (c *chaos) story() string {
	var b strings.Builder
	fmt.Fprintf(&b, "policy backorder=%v attempts=%d recheck=%s; rates fail=%.2f unavailable=%.2f lost=%.2f dup=%.2f delay=%.2f\n",
		c.p.AllowBackorder, c.p.MaxAttempts, c.p.BackorderRecheck, c.fail, c.unavailable, c.lost, c.dup, c.delay)
	fmt.Fprintf(&b, "order %s, saga %s, payment %+v\n", c.ord.Status, stepName(c.saga.Step), c.ord.Payment)
	for _, cmd := range c.commands {
		fmt.Fprintf(&b, "  saga: %s %s\n", cmd.Type, cmd.ID)
	}
	for _, r := range c.rejected {
		fmt.Fprintf(&b, "  refused: %s: %v\n", r.cmd.ID, r.err)
	}
	fmt.Fprintf(&b, "  log: %v\n", c.saga.Log)
	return b.String()
}

// checkMoney checks the gateway's side: every capture the saga heard of is
// kept by a live order or refunded, every authorization it heard of and
// not captured is voided.
func (c *chaos) checkMoney(t *testing.T) {
	t.Helper()
	type money struct{ authorized, captured, refunded, voided bool }
	byPayment := map[string]*money{}
	seen := map[string]bool{}
	for _, o := range c.requests {
		q := o.Payment
		if q == nil || seen[q.RequestID] {
			continue
		}
		seen[q.RequestID] = true
		m := byPayment[q.PaymentID]
		if m == nil {
			m = &money{}
			byPayment[q.PaymentID] = m
		}
		if q.Action == integration.PayVoid {
			m.voided = true // asked; the gateway answers compensations
		}
		if c.final[q.RequestID] != integration.OutcomeOK || !c.fed[q.RequestID] {
			continue
		}
		switch q.Action {
		case integration.PayAuthorize:
			m.authorized = true
		case integration.PayCapture:
			m.captured = true
		case integration.PayRefund:
			m.refunded = true
		}
	}
	o := c.ord
	live := o.Status != order.StatusCancelled
	for id, m := range byPayment {
		kept := live && id == o.Payment.ID && o.Payment.Captured > 0
		switch {
		case m.captured && !kept && !m.refunded:
			t.Errorf("payment %s was captured and never refunded (order %s, current payment %s)", id, o.Status, o.Payment.ID)
		case m.authorized && !m.captured && !m.voided:
			t.Errorf("payment %s was authorized, not captured and never voided (order %s)", id, o.Status)
		}
	}
}
