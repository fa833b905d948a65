package benchload

import (
	"fmt"

	"github.com/orderlog/orderlog/order"
)

// Steps is how many commands one Lifecycle has; Events how many events
// they emit.
const (
	Steps  = 9
	Events = 15
)

// Lifecycle is the commands of order id's life, in order: created with two
// lines, shipping details, placed, paid (initiated, authorized, captured),
// reserved, shipped, delivered. Every one is accepted.
func Lifecycle(id string) []order.Command {
	addr := order.Address{Line1: "1 Main St", City: "New York", State: "NY", PostalCode: "10001", Country: "US"}
	n := 0
	c := func(d order.CommandData) order.Command {
		n++
		return order.Command{ID: fmt.Sprintf("%s-c%d", id, n), Type: d.CommandType(), OrderID: id, CorrelationID: id, UserID: "bench", Data: d}
	}
	return []order.Command{
		c(order.CreateOrder{CustomerID: "cust-" + id[max(0, len(id)-3):], Currency: "USD", Items: Items()}),
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

// Items is the two lines a Lifecycle's order is created with.
func Items() []order.LineItem {
	return []order.LineItem{{ProductID: "sku-1", Name: "Widget", Quantity: 2, UnitPrice: 1999}, {ProductID: "sku-2", Name: "Gadget", Quantity: 1, UnitPrice: 4500}}
}
