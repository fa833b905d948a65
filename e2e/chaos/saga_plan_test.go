package chaos

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/e2e/internal/chaoskit"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/schemas"
)

// The products of the saga chaos run. Every simulator process starts with
// sagaStock units of every product in each of its two warehouses (and with
// full stock again when it is restarted), so the one scarce product, asked
// for by about one order in five, three units at a time, runs short and
// is backordered; the many common products do not. The luxury product puts
// an order above order.DefaultPolicy's approval threshold (1,000.00).
const (
	sagaStock       = 8
	sagaScarce      = "sku-scarce"
	sagaLuxury      = "sku-lux"
	sagaLuxuryPrice = 120_000
	sagaCommonSKUs  = 150
)

// sagaOrder is one order of the saga chaos run: the commands that create and
// place it, and what a customer and an administrator do afterwards. The
// saga does everything else.
type sagaOrder struct {
	id        string
	place     []order.Command // CreateOrder, UpdateShippingDetails, UpdateBillingDetails, PlaceOrder
	at        time.Duration   // when the placing commands are sent, from the start of the load
	highValue bool            // placed above the approval threshold: held by a HIGH_VALUE flag
	approve   *order.Command  // an ApproveOrder approveAfter placing, or nil
	approveAt time.Duration
	cancel    *order.Command // a RequestCancellation or CancelOrder cancelAfter placing, or nil
	cancelAt  time.Duration
}

// sagaSend is one command record of the load and when it is sent.
type sagaSend struct {
	at    time.Duration
	cmd   order.Command
	value []byte
}

// newSagaPlan makes n orders placed evenly over placeFor: 1–3 lines each
// (a scarce product in about 20 % of orders, a luxury one above the
// approval threshold in about 6 %, two thirds of which an administrator
// approves a few seconds later); about 15 % of orders are cancelled by the
// customer at a random moment up to 15 s after placing, by
// RequestCancellation (the saga compensates, then cancels) or, less often,
// by CancelOrder (the order releases and refunds itself; refused once
// shipped).
func newSagaPlan(runID string, n int, placeFor time.Duration, rng *rand.Rand) []*sagaOrder {
	addrs := []order.Address{
		{Line1: "1 Main St", City: "New York", State: "NY", PostalCode: "10001", Country: "US"},
		{Line1: "9 Ocean Ave", City: "San Diego", State: "CA", PostalCode: "92101", Country: "US"},
		{Line1: "4 Elm Rd", City: "Austin", State: "TX", PostalCode: "73301", Country: "US"},
	}
	methods := []string{"STANDARD", "EXPRESS", "OVERNIGHT"}
	out := make([]*sagaOrder, n)
	for i := range n {
		o := &sagaOrder{id: fmt.Sprintf("%s-s%04d", runID, i), at: time.Duration(i) * placeFor / time.Duration(max(n, 1))}
		var items []order.LineItem
		for k := range 1 + rng.IntN(3) {
			if k == 0 && rng.IntN(5) == 0 {
				items = append(items, order.LineItem{ProductID: sagaScarce, Name: "Scarce thing", Quantity: int64(2 + rng.IntN(3)), UnitPrice: 1500})
				continue
			}
			sku := fmt.Sprintf("sku-%03d", rng.IntN(sagaCommonSKUs))
			if slices.ContainsFunc(items, func(l order.LineItem) bool { return l.ProductID == sku }) {
				continue
			}
			items = append(items, order.LineItem{ProductID: sku, Name: "Thing " + sku, Quantity: int64(1 + rng.IntN(2)), UnitPrice: int64(300 + rng.IntN(4700))})
		}
		if rng.IntN(100) < 6 {
			o.highValue = true
			items = append(items, order.LineItem{ProductID: sagaLuxury, Name: "Luxury thing", Quantity: 1, UnitPrice: sagaLuxuryPrice})
		}
		addr := addrs[rng.IntN(len(addrs))]
		name := fmt.Sprintf("Customer %d", i)
		cmd := func(n int, userID string, d order.CommandData) order.Command {
			return order.Command{ID: fmt.Sprintf("%s-c%d", o.id, n), Type: d.CommandType(), OrderID: o.id,
				CorrelationID: o.id, UserID: userID, Data: d}
		}
		customer := fmt.Sprintf("cust-%d", rng.IntN(n/3+1))
		o.place = []order.Command{
			cmd(1, customer, order.CreateOrder{CustomerID: customer, Currency: "USD", SourceChannel: "chaos", Items: items}),
			cmd(2, customer, order.UpdateShippingDetails{ShippingInput: order.ShippingInput{RecipientName: name, Address: addr,
				Method: methods[rng.IntN(len(methods))]}}),
			cmd(3, customer, order.UpdateBillingDetails{BillingInput: order.BillingInput{Name: name,
				Email: fmt.Sprintf("c%d@example.com", i), Address: addr}}),
			cmd(4, customer, order.PlaceOrder{}),
		}
		if o.highValue && rng.IntN(3) != 0 {
			c := cmd(5, "admin-chaos", order.ApproveOrder{Comment: "looks fine"})
			o.approve, o.approveAt = &c, time.Duration(1000+rng.IntN(11000))*time.Millisecond
		}
		if rng.IntN(100) < 15 {
			var d order.CommandData = order.RequestCancellation{Reason: "customer changed their mind"}
			if rng.IntN(10) < 3 {
				d = order.CancelOrder{Reason: "customer cancelled"}
			}
			c := cmd(6, customer, d)
			o.cancel, o.cancelAt = &c, time.Duration(rng.IntN(15000))*time.Millisecond
		}
		out[i] = o
	}
	return out
}

// sagaSends is every command record of the plan in the order of sending.
// One order's records keep their order: its follow-ups come after placing.
func sagaSends(orders []*sagaOrder) ([]sagaSend, error) {
	var out []sagaSend
	add := func(at time.Duration, c order.Command) error {
		v, err := schemas.CommandJSON(c)
		if err != nil {
			return fmt.Errorf("order %s command %s: %w", c.OrderID, c.ID, err)
		}
		out = append(out, sagaSend{at: at, cmd: c, value: v})
		return nil
	}
	for _, o := range orders {
		for _, c := range o.place {
			if err := add(o.at, c); err != nil {
				return nil, err
			}
		}
		if o.approve != nil {
			if err := add(o.at+o.approveAt, *o.approve); err != nil {
				return nil, err
			}
		}
		if o.cancel != nil {
			if err := add(o.at+o.cancelAt, *o.cancel); err != nil {
				return nil, err
			}
		}
	}
	slices.SortStableFunc(out, func(a, b sagaSend) int { return int(a.at - b.at) })
	return out, nil
}

// The plan needs no broker: that its orders are placed, and held for
// approval exactly when they are meant to be, is checked with order.Decide,
// so a change of the rules that breaks the saga chaos run shows up here.
func TestSagaPlanPlacesOrdersAsIntended(t *testing.T) {
	orders := newSagaPlan("plan", sagaDefaultOrders, 30*time.Second, rand.New(rand.NewPCG(3, 4)))
	require.Len(t, orders, sagaDefaultOrders)
	var scarce, high, approved, requested, cancelled int
	for _, o := range orders {
		var s order.State
		for _, c := range o.place {
			c.Time = chaoskit.OracleTime
			events, err := order.Decide(s, c)
			require.NoError(t, err, "order %s: %s", o.id, c.Type)
			for _, e := range events {
				s = order.Evolve(s, e)
			}
		}
		require.Equal(t, order.StatusPlaced, s.Status, o.id)
		require.Equal(t, o.highValue, s.AwaitingApproval(), "order %s, total %d: held for approval", o.id, s.Totals().Total)
		if s.Lines[0].ProductID == sagaScarce {
			scarce++
		}
		if o.highValue {
			high++
		}
		if o.approve != nil {
			approved++
			require.True(t, o.highValue, "only held orders are approved")
		}
		if o.cancel != nil {
			switch o.cancel.Data.(type) {
			case order.RequestCancellation:
				requested++
			case order.CancelOrder:
				cancelled++
			}
		}
	}
	t.Logf("%d orders: %d with the scarce product, %d held for approval (%d approved later), %d RequestCancellation, %d CancelOrder",
		len(orders), scarce, high, approved, requested, cancelled)
	assert.Positive(t, scarce)
	assert.Positive(t, approved)
	assert.Positive(t, high-approved, "some orders stay held for approval")
	assert.Positive(t, requested)
	assert.Positive(t, cancelled)

	sends, err := sagaSends(orders)
	require.NoError(t, err)
	next := map[string]int{}
	last := time.Duration(0)
	for _, s := range sends {
		require.GreaterOrEqual(t, s.at, last, "sends are in time order")
		last = s.at
		if n := next[s.cmd.OrderID]; n < 4 {
			require.Equal(t, fmt.Sprintf("%s-c%d", s.cmd.OrderID, n+1), s.cmd.ID, "an order is placed before anything else is sent for it")
		}
		next[s.cmd.OrderID]++
	}
}
