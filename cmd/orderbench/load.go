package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/schemas"
)

// latencies collects one sample per command; percentiles are exact.
type latencies struct {
	mu      sync.Mutex
	samples []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.samples = append(l.samples, d)
	l.mu.Unlock()
}

func (l *latencies) pct(p float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.samples) == 0 {
		return 0
	}
	s := slices.Clone(l.samples)
	slices.Sort(s)
	i := int(p * float64(len(s)-1))
	return s[i]
}

// run is the outcome of one load run.
type run struct {
	name     string
	commands int
	elapsed  time.Duration
	lat      *latencies
	rate     float64 // offered rate, 0 = as fast as possible
}

func (r run) perSecond() float64 { return float64(r.commands) / r.elapsed.Seconds() }

func (r run) String() string {
	return fmt.Sprintf("%-28s %8d cmds %8.0f cmd/s  p50 %7s  p99 %7s  p999 %7s", r.name, r.commands, r.perSecond(),
		r.lat.pct(0.50).Round(10*time.Microsecond), r.lat.pct(0.99).Round(10*time.Microsecond), r.lat.pct(0.999).Round(10*time.Microsecond))
}

// lifecycles returns the JSON commands of n order lifecycles, interleaved
// step by step so that many orders are in flight at once, as records keyed by
// orderId.
func lifecycles(prefix string, n int) ([]*kgo.Record, []string) {
	steps := make([][]order.Command, n)
	for i := range n {
		steps[i] = lifecycle(fmt.Sprintf("%s-%06d", prefix, i))
	}
	var recs []*kgo.Record
	var ids []string
	for s := range len(steps[0]) {
		for i := range n {
			c := steps[i][s]
			v, err := schemas.CommandJSON(c)
			if err != nil {
				panic(err)
			}
			recs = append(recs, &kgo.Record{Key: []byte(c.OrderID), Value: v})
			ids = append(ids, c.ID)
		}
	}
	return recs, ids
}

func lifecycle(id string) []order.Command {
	addr := order.Address{Line1: "1 Main St", City: "New York", State: "NY", PostalCode: "10001", Country: "US"}
	n := 0
	c := func(d order.CommandData) order.Command {
		n++
		return order.Command{ID: fmt.Sprintf("%s-c%d", id, n), Type: d.CommandType(), OrderID: id, CorrelationID: id, UserID: "bench", Data: d}
	}
	return []order.Command{
		c(order.CreateOrder{CustomerID: "cust-" + id[len(id)-3:], Currency: "USD",
			Items: []order.LineItem{{ProductID: "sku-1", Name: "Widget", Quantity: 2, UnitPrice: 1999}, {ProductID: "sku-2", Name: "Gadget", Quantity: 1, UnitPrice: 4500}}}),
		c(order.UpdateShippingDetails{ShippingInput: order.ShippingInput{RecipientName: "Jane Smith", Address: addr, Method: "EXPRESS"}}),
		c(order.PlaceOrder{}),
		c(order.InitiatePayment{PaymentID: "pay-" + id, PaymentMethod: "CREDIT_CARD"}),
		c(order.AuthorizePayment{PaymentID: "pay-" + id, Amount: 1_000_000, ProcessorReference: "ch_" + id}),
		c(order.ReserveInventory{ReservationID: "res-" + id, Items: []order.ItemQuantity{{ProductID: "sku-1", Quantity: 2, WarehouseID: "w1"}, {ProductID: "sku-2", Quantity: 1, WarehouseID: "w1"}}}),
		c(order.CapturePayment{PaymentID: "pay-" + id, ProcessorReference: "ch_" + id, Last4: "4242", CardBrand: "visa"}),
		c(order.ShipOrder{Carrier: "UPS", TrackingNumber: "1Z" + id}),
		c(order.DeliverOrder{ReceivedBy: "Jane"}),
	}
}

// produce sends recs to topic, at rate per second (0: as fast as the client
// goes), calling sent with each record's index just before it is handed to
// the client.
func produce(ctx context.Context, cl *kgo.Client, topic string, recs []*kgo.Record, rate float64, sent func(i int)) error {
	var wg sync.WaitGroup
	var firstErr error
	var mu sync.Mutex
	start := time.Now()
	for i, r := range recs {
		// Pace in small bursts: sleeping per record would cap the rate at
		// the timer's resolution.
		if rate > 0 {
			if d := time.Until(start.Add(time.Duration(float64(i) / rate * float64(time.Second)))); d > 2*time.Millisecond {
				time.Sleep(d)
			}
		}
		r.Topic = topic
		wg.Add(1)
		sent(i)
		cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
			defer wg.Done()
			if err != nil {
				mu.Lock()
				firstErr = err
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return firstErr
}
