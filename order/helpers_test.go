package order_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/orderlog/orderlog/order"
)

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

const oid = "3f1e0000-0000-4000-8000-000000000001"

var cmdSeq int

func cmd(data order.CommandData) order.Command {
	cmdSeq++
	return order.Command{
		ID: fmt.Sprintf("cmd-%d", cmdSeq), Type: data.CommandType(), OrderID: oid,
		UserID: "user-1", Time: t0.Add(time.Duration(cmdSeq) * time.Second), Data: data,
	}
}

var nyAddress = order.Address{Line1: "123 Main St", City: "New York", State: "NY", PostalCode: "10001", Country: "US"}

// run applies commands in order and fails the test on the first rejection.
func run(t *testing.T, s order.State, cmds ...order.Command) order.State {
	t.Helper()
	for _, c := range cmds {
		evs, err := order.Decide(s, c)
		if err != nil {
			t.Fatalf("%s: %v", c.Type, err)
		}
		for _, e := range evs {
			s = order.Evolve(s, e)
		}
	}
	return s
}

func created(items ...order.LineItem) []order.Command {
	return []order.Command{cmd(order.CreateOrder{CustomerID: "cust-1", Currency: "USD", Items: items})}
}

// shipTo sets the shipping details (STANDARD) to address.
func shipTo(a order.Address) order.Command {
	return cmd(order.UpdateShippingDetails{ShippingInput: order.ShippingInput{RecipientName: "Jane", Address: a}})
}

func draft(t *testing.T) order.State {
	return run(t, order.State{}, append(created(order.LineItem{ProductID: "sku-1", Quantity: 2, UnitPrice: 1999}),
		cmd(order.UpdateShippingDetails{ShippingInput: order.ShippingInput{RecipientName: "Jane", Address: nyAddress}}))...)
}

func placed(t *testing.T) order.State {
	return run(t, draft(t), cmd(order.PlaceOrder{}))
}

func paid(t *testing.T) order.State {
	s := placed(t)
	total := s.Totals().Total
	return run(t, s,
		cmd(order.InitiatePayment{PaymentID: "pay-1", PaymentMethod: "CREDIT_CARD"}),
		cmd(order.AuthorizePayment{PaymentID: "pay-1", Amount: total}),
		cmd(order.ReserveInventory{ReservationID: "res-1", Items: []order.ItemQuantity{{ProductID: "sku-1", Quantity: 2}}}),
		cmd(order.CapturePayment{PaymentID: "pay-1"}))
}

func shipped(t *testing.T) order.State {
	return run(t, paid(t), cmd(order.ShipOrder{Carrier: "UPS", TrackingNumber: "1Z999"}))
}

func delivered(t *testing.T) order.State {
	return run(t, shipped(t), cmd(order.DeliverOrder{ReceivedBy: "Jane"}))
}

func types(evs []order.Event) []order.EventType {
	out := make([]order.EventType, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}
