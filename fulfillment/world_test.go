package fulfillment

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/orderlog/orderlog/integration"
	"github.com/orderlog/orderlog/order"
)

// The world runs the saga against the real order aggregate, with outside
// systems played by scripted responders and a clock the test moves.
//
// A user command is decided with the order's Decider; its events are folded
// into the order and fed one by one to the saga; the saga's commands queue
// up and are decided the same way (rejections are recorded, not fatal);
// its requests wait in pending until a responder answers them (results go
// to an inbox, fed in order) or drops them; advancing the clock sends ticks.
// Every move of the saga is checked against the step table, every reaction
// is checked not to mutate its input state, and the saga's fold of the
// order is checked to equal the aggregate's.

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const worldOrderID = "ord-1"

var nyAddress = order.Address{Line1: "123 Main St", City: "New York", State: "NY", PostalCode: "10001", Country: "US"}

type rejection struct {
	cmd order.Command
	err error
}

type world struct {
	t    testing.TB
	p    Policy
	dec  order.Decider
	now  time.Time
	open map[integration.System]bool
	rng  *rand.Rand // nil: a fixed order (commands, then results, then requests)

	ord  order.State
	saga State
	seq  int

	queue   []order.Command // saga commands not decided yet
	pending []Output        // requests written and not answered or dropped yet
	inbox   []Input         // results not fed to the saga yet

	// Responders: what the outside systems answer to a request; nil or an
	// empty result is no answer (the request is dropped).
	payment   func(integration.PaymentRequest) []integration.PaymentResult
	inventory func(integration.InventoryRequest) []integration.InventoryResult
	shipping  func(integration.ShippingRequest) []integration.ShippingResult

	// stock[warehouse][product] backs the default inventory responder.
	stock map[string]map[string]int64
	// autoDeliver makes the default carrier answer DELIVERED right after
	// SHIPPED.
	autoDeliver bool
	// refuse, when set, makes the order refuse a saga command it would
	// accept (as an aggregate with a rule the saga does not know would);
	// a command id refused once is refused again.
	refuse  func(order.Command) bool
	refused map[string]bool

	// What happened, for assertions.
	requests []Output // every request the saga wrote, in order
	notified []integration.NotificationRequest
	commands []order.Command // every command the saga wrote
	rejected []rejection
	moves    []move
	observed []Observation
	refusals []Refusal // the saga's judgements of its refused commands
	// forgotten counts Forget outputs: the runner deletes the saga state
	// then, and so does the world.
	forgotten int
	fed       map[string]bool // requestIds of the results fed to the saga
}

func newWorld(t testing.TB, p Policy) *world {
	t.Helper()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	w := &world{
		t: t, p: p, dec: order.Decider{Policy: order.DefaultPolicy()}, now: t0,
		open:        map[integration.System]bool{},
		fed:         map[string]bool{},
		stock:       map[string]map[string]int64{"wh-east": {"sku-1": 100, "sku-2": 100, "sku-3": 100}},
		autoDeliver: true,
	}
	w.payment = w.payOK
	w.inventory = w.fromStock
	w.shipping = w.carrier
	return w
}

// ---- commands ----

func (w *world) cmd(d order.CommandData) order.Command {
	w.seq++
	return order.Command{ID: fmt.Sprintf("user-cmd-%d", w.seq), Type: d.CommandType(), OrderID: worldOrderID,
		UserID: "user-1", Data: d}
}

// user decides a user command and runs the world until it is quiet. It
// fails the test if the order refuses the command.
func (w *world) user(d order.CommandData) {
	w.t.Helper()
	if err := w.decide(w.cmd(d)); err != nil {
		w.t.Fatalf("%s: %v", d.CommandType(), err)
	}
	w.run()
}

// decide decides c on the order, folds its events and feeds them to the
// saga one by one.
func (w *world) decide(c order.Command) error {
	w.t.Helper()
	c.Time = w.now
	if w.refused[c.ID] || (w.refuse != nil && strings.HasPrefix(c.ID, CommandIDPrefix(c.OrderID)) && w.refuse(c)) {
		if w.refused == nil {
			w.refused = map[string]bool{}
		}
		w.refused[c.ID] = true
		return &order.Rejection{Code: order.CodePreconditionFailed, Message: "refused by the test's rule"}
	}
	evs, err := w.dec.Decide(w.ord, c)
	if err != nil {
		if _, dup := errors.AsType[*order.Duplicate](err); dup {
			return nil
		}
		return err
	}
	for _, e := range evs {
		w.ord = order.Evolve(w.ord, e)
		w.feed(Input{Event: &e})
		if w.forgotten == 0 && !reflect.DeepEqual(w.saga.Order, w.ord) {
			w.t.Fatalf("after %s the saga's fold of the order differs from the aggregate's", e.Type)
		}
	}
	return nil
}

// ---- the saga ----

func (w *world) env() Env {
	return Env{Now: w.now, Open: func(s integration.System) bool { return w.open[s] }}
}

// feed runs one reaction and routes its outputs.
func (w *world) feed(in Input) {
	w.t.Helper()
	before := deepCopy(w.saga)
	r := w.p.react(w.saga, in, w.env())
	if !reflect.DeepEqual(before, w.saga) {
		w.t.Fatalf("react changed its input state on %s", describe(in))
	}
	if id := resultID(in); id != "" {
		w.fed[id] = true
	}
	for _, m := range r.moves {
		if !allows(m.from, m.to, m.on) {
			w.t.Errorf("move %s -> %s on %q is not in the step table (input %s)", stepName(m.from), stepName(m.to), m.on, describe(in))
		}
	}
	w.moves = append(w.moves, r.moves...)
	w.saga = r.s
	for _, o := range r.out {
		if n := countSet(o); n != 1 {
			w.t.Fatalf("an output has %d fields set: %+v", n, o)
		}
		switch {
		case o.Command != nil:
			w.commands = append(w.commands, *o.Command)
			w.queue = append(w.queue, *o.Command)
		case o.Notification != nil:
			w.notified = append(w.notified, *o.Notification)
		case o.Observed != nil:
			w.observed = append(w.observed, *o.Observed)
		case o.Refusal != nil:
			w.refusals = append(w.refusals, *o.Refusal)
		case o.Forget:
			w.forgotten++
			w.saga = State{}
		default:
			w.requests = append(w.requests, o)
			w.pending = append(w.pending, o)
		}
	}
}

func resultID(in Input) string {
	switch {
	case in.Payment != nil:
		return in.Payment.RequestID
	case in.Inventory != nil:
		return in.Inventory.RequestID
	case in.Shipping != nil:
		return in.Shipping.RequestID
	}
	return ""
}

func countSet(o Output) int {
	n := 0
	for _, set := range []bool{o.Command != nil, o.Payment != nil, o.Inventory != nil, o.Shipping != nil,
		o.Notification != nil, o.Observed != nil, o.Refusal != nil, o.Forget} {
		if set {
			n++
		}
	}
	return n
}

func describe(in Input) string {
	switch {
	case in.Event != nil:
		return string(in.Event.Type)
	case in.Payment != nil:
		return fmt.Sprintf("payment %s %s %s", in.Payment.RequestID, in.Payment.Action, in.Payment.Outcome)
	case in.Inventory != nil:
		return fmt.Sprintf("inventory %s %s %s", in.Inventory.RequestID, in.Inventory.Action, in.Inventory.Outcome)
	case in.Shipping != nil:
		return fmt.Sprintf("shipping %s %s %s", in.Shipping.RequestID, in.Shipping.Outcome, in.Shipping.Status)
	case in.Result != nil:
		return fmt.Sprintf("result %s %s %s", in.Result.CommandID, in.Result.Status, in.Result.Code)
	}
	return "tick"
}

// step does one thing: decides the next saga command, feeds a result, or
// has a responder answer a request. It reports false when there is
// nothing to do.
func (w *world) step() bool {
	w.t.Helper()
	var can []int
	for i, n := range []int{len(w.queue), len(w.inbox), len(w.pending)} {
		if n > 0 {
			can = append(can, i)
		}
	}
	if len(can) == 0 {
		return false
	}
	pick, idx := can[0], 0
	if w.rng != nil {
		pick = can[w.rng.IntN(len(can))]
	}
	switch pick {
	case 0: // the order topic is ordered: commands are decided first in, first out
		c := w.queue[0]
		w.queue = w.queue[1:]
		err := w.decide(c)
		if err != nil {
			w.rejected = append(w.rejected, rejection{c, err})
		}
		// The processor answers every command on order.command-results.
		w.inbox = append(w.inbox, Input{Result: new(order.ResultOf(c, w.ord.Version, nil, err))})
	case 1:
		if w.rng != nil {
			idx = w.rng.IntN(len(w.inbox))
			// Results of one system are on one partition: keep their order.
			sys := system(w.inbox[idx])
			idx = slices.IndexFunc(w.inbox, func(in Input) bool { return system(in) == sys })
		}
		in := w.inbox[idx]
		w.inbox = slices.Delete(w.inbox, idx, idx+1)
		w.feed(in)
	case 2:
		if w.rng != nil {
			idx = w.rng.IntN(len(w.pending))
		}
		q := w.pending[idx]
		w.pending = slices.Delete(w.pending, idx, idx+1)
		w.respond(q)
	}
	return true
}

func system(in Input) integration.System {
	switch {
	case in.Payment != nil:
		return integration.Payment
	case in.Inventory != nil:
		return integration.Inventory
	case in.Result != nil:
		return "results"
	}
	return integration.Shipping
}

func (w *world) respond(q Output) {
	switch {
	case q.Payment != nil && w.payment != nil:
		for _, res := range w.payment(*q.Payment) {
			w.inbox = append(w.inbox, Input{Payment: &res})
		}
	case q.Inventory != nil && w.inventory != nil:
		for _, res := range w.inventory(*q.Inventory) {
			w.inbox = append(w.inbox, Input{Inventory: &res})
		}
	case q.Shipping != nil && w.shipping != nil:
		for _, res := range w.shipping(*q.Shipping) {
			w.inbox = append(w.inbox, Input{Shipping: &res})
		}
	}
}

// run steps until the world is quiet (only timers are left).
func (w *world) run() {
	w.t.Helper()
	for range 10_000 {
		if !w.step() {
			return
		}
	}
	w.t.Fatal("the world did not become quiet in 10000 steps")
}

// tick advances the clock by d, lets due timers fire, and runs.
func (w *world) advance(d time.Duration) {
	w.t.Helper()
	w.now = w.now.Add(d)
	w.feed(Input{})
	w.run()
}

// advanceTo moves the clock to t timer by timer, as a scheduler would.
func (w *world) advanceTo(t time.Time) {
	w.t.Helper()
	for range 10_000 {
		due, ok := w.saga.NextDue()
		if !ok || due.After(t) {
			break
		}
		w.now = due
		w.feed(Input{})
		w.run()
	}
	w.now = t
	w.feed(Input{})
	w.run()
}

// settle fires every timer until none is left, or limit has passed.
func (w *world) settle(limit time.Duration) {
	w.t.Helper()
	w.run()
	w.advanceTo(w.now.Add(limit))
}

// ---- default responders ----

func (w *world) payOK(q integration.PaymentRequest) []integration.PaymentResult {
	return []integration.PaymentResult{paymentResult(q, integration.OutcomeOK)}
}

func paymentResult(q integration.PaymentRequest, outcome string) integration.PaymentResult {
	r := integration.PaymentResult{RequestID: q.RequestID, OrderID: q.OrderID, CorrelationID: q.CorrelationID,
		Action: q.Action, PaymentID: q.PaymentID, RefundID: q.RefundID, Outcome: outcome, Amount: q.Amount}
	switch outcome {
	case integration.OutcomeOK:
		r.Reference = "ref-" + q.RequestID
	case integration.OutcomeFailed:
		r.Reason, r.Code = "card declined", "DECLINED"
	}
	return r
}

// fromStock reserves from w.stock, warehouses in name order; what is short
// is backordered if the request allows it, or else nothing is held.
func (w *world) fromStock(q integration.InventoryRequest) []integration.InventoryResult {
	res := integration.InventoryResult{RequestID: q.RequestID, OrderID: q.OrderID, CorrelationID: q.CorrelationID,
		Action: q.Action, Outcome: integration.OutcomeOK}
	if q.Action != integration.InvReserve {
		return []integration.InventoryResult{res}
	}
	var whs []string
	for wh := range w.stock {
		whs = append(whs, wh)
	}
	sort.Strings(whs)
	take := map[string][]integration.Item{}
	for _, it := range q.Items {
		left := it.Quantity
		for _, wh := range whs {
			if n := min(left, w.stock[wh][it.ProductID]); n > 0 {
				take[wh] = append(take[wh], integration.Item{ProductID: it.ProductID, Quantity: n, WarehouseID: wh})
				left -= n
			}
		}
		if left > 0 {
			if !q.AllowBackorder {
				res.Outcome, res.Reason = integration.OutcomeFailed, "short of "+it.ProductID
				return []integration.InventoryResult{res}
			}
			res.Backordered = append(res.Backordered, integration.Item{ProductID: it.ProductID, Quantity: left})
		}
	}
	for _, wh := range whs {
		if items := take[wh]; len(items) > 0 {
			for _, it := range items {
				w.stock[wh][it.ProductID] -= it.Quantity
			}
			res.Allocations = append(res.Allocations, integration.Allocation{
				ReservationID: q.RequestID + "-" + wh, WarehouseID: wh, Items: items})
		}
	}
	return []integration.InventoryResult{res}
}

// carrier ships every shipment, and delivers it if w.autoDeliver.
func (w *world) carrier(q integration.ShippingRequest) []integration.ShippingResult {
	out := []integration.ShippingResult{shipped(q)}
	if w.autoDeliver {
		out = append(out, delivered(q))
	}
	return out
}

func shipped(q integration.ShippingRequest) integration.ShippingResult {
	return integration.ShippingResult{RequestID: q.RequestID, OrderID: q.OrderID, ShipmentID: q.ShipmentID,
		Outcome: integration.OutcomeOK, Status: integration.ShipmentShipped, Carrier: "UPS", TrackingNumber: "1Z-" + q.ShipmentID}
}

func delivered(q integration.ShippingRequest) integration.ShippingResult {
	return integration.ShippingResult{RequestID: q.RequestID, OrderID: q.OrderID, ShipmentID: q.ShipmentID,
		Outcome: integration.OutcomeOK, Status: integration.ShipmentDelivered, ReceivedBy: "Jane"}
}

// ---- the order's life ----

// create opens a draft with shipping details and a billing email.
func (w *world) create(items ...order.LineItem) {
	w.t.Helper()
	w.user(order.CreateOrder{CustomerID: "cust-1", Currency: "USD", Items: items,
		Shipping: &order.ShippingInput{RecipientName: "Jane Doe", Address: nyAddress, Method: "STANDARD"},
		Billing:  &order.BillingInput{Name: "Jane Doe", Email: "jane@example.com", Address: nyAddress}})
}

// place creates and places an order of items.
func (w *world) place(items ...order.LineItem) {
	w.t.Helper()
	w.create(items...)
	w.user(order.PlaceOrder{})
}

func item(product string, qty, price int64) order.LineItem {
	return order.LineItem{ProductID: product, Name: product, Quantity: qty, UnitPrice: price}
}

// ---- queries ----

func (w *world) payments(action string) []integration.PaymentRequest {
	var out []integration.PaymentRequest
	for _, o := range w.requests {
		if o.Payment != nil && (action == "" || o.Payment.Action == action) {
			out = append(out, *o.Payment)
		}
	}
	return out
}

func (w *world) inventories(action string) []integration.InventoryRequest {
	var out []integration.InventoryRequest
	for _, o := range w.requests {
		if o.Inventory != nil && (action == "" || o.Inventory.Action == action) {
			out = append(out, *o.Inventory)
		}
	}
	return out
}

func (w *world) shippings() []integration.ShippingRequest {
	var out []integration.ShippingRequest
	for _, o := range w.requests {
		if o.Shipping != nil {
			out = append(out, *o.Shipping)
		}
	}
	return out
}

func (w *world) templates() []string {
	var out []string
	for _, n := range w.notified {
		out = append(out, n.Template)
	}
	return out
}

func (w *world) sagaCommands(t order.CommandType) []order.Command {
	var out []order.Command
	for _, c := range w.commands {
		if c.Type == t {
			out = append(out, c)
		}
	}
	return out
}

func (w *world) flags(code string) int {
	n := 0
	for _, f := range w.ord.Flags {
		if f.Code == code {
			n++
		}
	}
	return n
}

func (w *world) timer(name string) bool { return w.saga.hasTimer(name) }

// expect checks the order status, the saga step and whether anything is in
// flight.
func (w *world) expect(status order.Status, step Step, inFlight bool) {
	w.t.Helper()
	if w.ord.Status != status {
		w.t.Errorf("order status = %s, want %s", w.ord.Status, status)
	}
	if w.saga.Step != step {
		w.t.Errorf("saga step = %s, want %s", stepName(w.saga.Step), stepName(step))
	}
	if got := w.saga.InFlight(); got != inFlight {
		w.t.Errorf("InFlight = %v, want %v (requests %v, timers %v)", got, inFlight, w.saga.Requests, w.saga.Timers)
	}
}

// noRejections fails on any saga command the order refused.
func (w *world) noRejections() {
	w.t.Helper()
	for _, r := range w.rejected {
		w.t.Errorf("the order refused the saga's %s (%s): %v", r.cmd.Type, r.cmd.ID, r.err)
	}
}

func count[T any](xs []T, f func(T) bool) int {
	n := 0
	for _, x := range xs {
		if f(x) {
			n++
		}
	}
	return n
}

func hasTemplate(w *world, prefix string) bool {
	return slices.ContainsFunc(w.templates(), func(t string) bool { return strings.HasPrefix(t, prefix) })
}

// ---- deep copy, to check React does not mutate its input ----

func deepCopy[T any](v T) T {
	var out T
	copyValue(reflect.ValueOf(&out).Elem(), reflect.ValueOf(v))
	return out
}

func copyValue(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		dst.Set(reflect.MakeSlice(src.Type(), src.Len(), src.Len()))
		for i := range src.Len() {
			copyValue(dst.Index(i), src.Index(i))
		}
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		p := reflect.New(src.Type().Elem())
		copyValue(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Map:
		if src.IsNil() {
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		for it := src.MapRange(); it.Next(); {
			v := reflect.New(src.Type().Elem()).Elem()
			copyValue(v, it.Value())
			m.SetMapIndex(it.Key(), v)
		}
		dst.Set(m)
	case reflect.Interface:
		if src.IsNil() {
			return
		}
		v := reflect.New(src.Elem().Type()).Elem()
		copyValue(v, src.Elem())
		dst.Set(v)
	case reflect.Struct:
		dst.Set(src) // unexported fields (time.Time's) are values: a shallow copy is a copy
		for i := range src.NumField() {
			if dst.Field(i).CanSet() {
				copyValue(dst.Field(i), src.Field(i))
			}
		}
	default:
		dst.Set(src)
	}
}
