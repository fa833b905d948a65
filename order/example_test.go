package order_test

import (
	"fmt"
	"time"

	"github.com/orderlog/orderlog/order"
)

// A processor's loop body: Handle each command against the order's state,
// write the events, the result, and the state when Changed says so.
func ExampleDecider_Handle() {
	d := order.Decider{Policy: order.DefaultPolicy()}
	at := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	create := order.Command{ID: "cmd-1", Type: order.CmdCreateOrder, OrderID: "ord-1", Time: at,
		Data: order.CreateOrder{CustomerID: "carol", Currency: "USD"}}
	place := order.Command{ID: "cmd-2", Type: order.CmdPlaceOrder, OrderID: "ord-1", Time: at, Data: order.PlaceOrder{}}

	var st order.State
	for _, c := range []order.Command{create, place, create, place} {
		next, events, res := d.Handle(st, c)
		fmt.Printf("%s %s %s v%d, %d events, write state: %v\n", c.ID, res.Status, res.Code, res.Version, len(events), order.Changed(st, next))
		st = next
	}
	// Output:
	// cmd-1 ACCEPTED  v1, 1 events, write state: true
	// cmd-2 REJECTED PRECONDITION_FAILED v1, 0 events, write state: true
	// cmd-1 DUPLICATE DUPLICATE_COMMAND v1, 0 events, write state: false
	// cmd-2 REJECTED PRECONDITION_FAILED v1, 0 events, write state: false
}

// The API checks an order id from a URL before it sends a command.
func ExampleValidateOrderID() {
	fmt.Println(order.ValidateOrderID("ord-01J9Z6Q8K3T4V5W6X7Y8Z9A0B1"))
	fmt.Println(order.ValidateOrderID("../admin"))
	// Output:
	// <nil>
	// VALIDATION_FAILED: orderId: starts with "."; it must start with a letter or digit
}
