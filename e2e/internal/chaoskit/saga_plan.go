package chaoskit

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/schemas"
)

// The products of a saga chaos run. Every simulator process starts with
// SagaStock units of every product in each of its two warehouses (and with
// full stock again when it is restarted), so the one scarce product, asked
// for by about one order in five, three units at a time, runs short and
// is backordered; the many common products do not. The luxury product puts
// an order above order.DefaultPolicy's approval threshold (1,000.00).
const (
	SagaStock       = 8
	SagaScarce      = "sku-scarce"
	SagaLuxury      = "sku-lux"
	SagaLuxuryPrice = 120_000
	SagaCommonSKUs  = 150
)

// SagaOrder is one order of a saga chaos run: the commands that create and
// place it, and what a customer and an administrator do afterwards. The
// saga does everything else.
type SagaOrder struct {
	ID        string
	Place     []order.Command // CreateOrder, UpdateShippingDetails, UpdateBillingDetails, PlaceOrder
	At        time.Duration   // when the placing commands are sent, from the start of the load
	HighValue bool            // placed above the approval threshold: held by a HIGH_VALUE flag
	Approve   *order.Command  // an ApproveOrder ApproveAt after placing, or nil
	ApproveAt time.Duration
	Cancel    *order.Command // a RequestCancellation or CancelOrder CancelAt after placing, or nil
	CancelAt  time.Duration
}

// SagaSend is one command record of a saga load and when it is sent.
type SagaSend struct {
	At    time.Duration // from the start of the load
	Cmd   order.Command
	Value []byte
}

// NewSagaPlan makes n orders placed evenly over placeFor: 1–3 lines each
// (a scarce product in about 20 % of orders, a luxury one above the
// approval threshold in about 6 %, two thirds of which an administrator
// approves a few seconds later); about 15 % of orders are cancelled by the
// customer at a random moment up to 15 s after placing, by
// RequestCancellation (the saga compensates, then cancels) or, less often,
// by CancelOrder (the order releases and refunds itself; refused once
// shipped). Order ids are runID-sNNNN.
func NewSagaPlan(runID string, n int, placeFor time.Duration, rng *rand.Rand) []*SagaOrder {
	addrs := []order.Address{
		{Line1: "1 Main St", City: "New York", State: "NY", PostalCode: "10001", Country: "US"},
		{Line1: "9 Ocean Ave", City: "San Diego", State: "CA", PostalCode: "92101", Country: "US"},
		{Line1: "4 Elm Rd", City: "Austin", State: "TX", PostalCode: "73301", Country: "US"},
	}
	methods := []string{"STANDARD", "EXPRESS", "OVERNIGHT"}
	out := make([]*SagaOrder, n)
	for i := range n {
		o := &SagaOrder{ID: fmt.Sprintf("%s-s%04d", runID, i), At: time.Duration(i) * placeFor / time.Duration(max(n, 1))}
		items := sagaItems(rng)
		if rng.IntN(100) < 6 {
			o.HighValue = true
			items = append(items, order.LineItem{ProductID: SagaLuxury, Name: "Luxury thing", Quantity: 1, UnitPrice: SagaLuxuryPrice})
		}
		addr := addrs[rng.IntN(len(addrs))]
		name := fmt.Sprintf("Customer %d", i)
		cmd := func(n int, userID string, d order.CommandData) order.Command {
			return order.Command{ID: fmt.Sprintf("%s-c%d", o.ID, n), Type: d.CommandType(), OrderID: o.ID,
				CorrelationID: o.ID, UserID: userID, Data: d}
		}
		customer := fmt.Sprintf("cust-%d", rng.IntN(n/3+1))
		o.Place = []order.Command{
			cmd(1, customer, order.CreateOrder{CustomerID: customer, Currency: "USD", SourceChannel: "chaos", Items: items}),
			cmd(2, customer, order.UpdateShippingDetails{ShippingInput: order.ShippingInput{RecipientName: name, Address: addr,
				Method: methods[rng.IntN(len(methods))]}}),
			cmd(3, customer, order.UpdateBillingDetails{BillingInput: order.BillingInput{Name: name,
				Email: fmt.Sprintf("c%d@example.com", i), Address: addr}}),
			cmd(4, customer, order.PlaceOrder{}),
		}
		if o.HighValue && rng.IntN(3) != 0 {
			c := cmd(5, "admin-chaos", order.ApproveOrder{Comment: "looks fine"})
			o.Approve, o.ApproveAt = &c, time.Duration(1000+rng.IntN(11000))*time.Millisecond
		}
		if rng.IntN(100) < 15 {
			var d order.CommandData = order.RequestCancellation{Reason: "customer changed their mind"}
			if rng.IntN(10) < 3 {
				d = order.CancelOrder{Reason: "customer cancelled"}
			}
			c := cmd(6, customer, d)
			o.Cancel, o.CancelAt = &c, time.Duration(rng.IntN(15000))*time.Millisecond
		}
		out[i] = o
	}
	return out
}

// sagaItems is 1–3 lines: the scarce product first in about one order in
// five, common products otherwise (a product at most once).
func sagaItems(rng *rand.Rand) []order.LineItem {
	var items []order.LineItem
	for k := range 1 + rng.IntN(3) {
		if k == 0 && rng.IntN(5) == 0 {
			items = append(items, order.LineItem{ProductID: SagaScarce, Name: "Scarce thing", Quantity: int64(2 + rng.IntN(3)), UnitPrice: 1500})
			continue
		}
		sku := fmt.Sprintf("sku-%03d", rng.IntN(SagaCommonSKUs))
		if slices.ContainsFunc(items, func(l order.LineItem) bool { return l.ProductID == sku }) {
			continue
		}
		items = append(items, order.LineItem{ProductID: sku, Name: "Thing " + sku, Quantity: int64(1 + rng.IntN(2)), UnitPrice: int64(300 + rng.IntN(4700))})
	}
	return items
}

// SagaSends is every command record of the plan in the order of sending.
// One order's records keep their order: its follow-ups come after placing.
func SagaSends(orders []*SagaOrder) ([]SagaSend, error) {
	var out []SagaSend
	add := func(at time.Duration, c order.Command) error {
		v, err := schemas.CommandJSON(c)
		if err != nil {
			return fmt.Errorf("order %s command %s: %w", c.OrderID, c.ID, err)
		}
		out = append(out, SagaSend{At: at, Cmd: c, Value: v})
		return nil
	}
	for _, o := range orders {
		for _, c := range o.Place {
			if err := add(o.At, c); err != nil {
				return nil, err
			}
		}
		if o.Approve != nil {
			if err := add(o.At+o.ApproveAt, *o.Approve); err != nil {
				return nil, err
			}
		}
		if o.Cancel != nil {
			if err := add(o.At+o.CancelAt, *o.Cancel); err != nil {
				return nil, err
			}
		}
	}
	slices.SortStableFunc(out, func(a, b SagaSend) int { return int(a.At - b.At) })
	return out, nil
}

// SagaSettings are the orderd settings of a saga chaos run besides brokers,
// topics, groups and timeouts: the roles processor, saga and simulators;
// short saga deadlines so that every path ends within the run; and
// simulated outside systems (seeded from seed) that decline, fail, answer
// UNAVAILABLE, lose requests and run out of the scarce product.
func SagaSettings(seed uint64) []string {
	return []string{
		"ORDERLOG_ROLES=processor,saga,simulators",
		"ORDERLOG_SAGA_REQUEST_TIMEOUT=2s",
		"ORDERLOG_SAGA_REQUEST_ATTEMPTS=4",
		"ORDERLOG_SAGA_PAYMENT_TIMEOUT=40s",
		"ORDERLOG_SAGA_SHIPMENT_TIMEOUT=60s",
		"ORDERLOG_SAGA_BACKORDER_RECHECK=3s",
		fmt.Sprintf("ORDERLOG_SIM_SEED=%d", int64(seed>>1)),
		"ORDERLOG_SIM_PAYMENT_DECLINE_RATE=0.15",
		"ORDERLOG_SIM_UNAVAILABLE_RATE=0.1",
		"ORDERLOG_SIM_DROP_RATE=0.05",
		"ORDERLOG_SIM_SHIPPING_FAILURE_RATE=0.05",
		fmt.Sprintf("ORDERLOG_SIM_STOCK=%d", SagaStock),
		"ORDERLOG_SIM_LATENCY_MIN=20ms",
		"ORDERLOG_SIM_LATENCY_MAX=100ms",
		"ORDERLOG_SIM_DELIVERY_DELAY=1s",
	}
}

// StartSagaLoad sends each record at its time after start, keyed by
// orderId with kgo's default partitioner (murmur2, as the Java client).
func StartSagaLoad(ctx context.Context, cl *kgo.Client, topic string, sends []SagaSend, start time.Time) *Load {
	ld := NewLoad()
	go func() {
		defer close(ld.Done)
		for i := 0; i < len(sends); {
			select {
			case <-ctx.Done():
				ld.Fail(ctx.Err())
				return
			case <-time.After(time.Until(start.Add(sends[i].At))):
			}
			for ; i < len(sends) && !start.Add(sends[i].At).After(time.Now()); i++ {
				s := sends[i]
				ld.send(ctx, cl, topic, s.Cmd.OrderID, s.Value)
			}
		}
		if err := cl.Flush(ctx); err != nil {
			ld.Fail(err)
		}
	}()
	return ld
}
