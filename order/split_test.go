package order_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
)

// The split-fulfillment fixtures: two lines, sku-1 x2 (stocked in wh-east)
// and sku-2 x3 (one unit in wh-west, two backordered).

func placedTwo(t *testing.T) order.State {
	return run(t, order.State{}, append(created(
		order.LineItem{ProductID: "sku-1", Quantity: 2, UnitPrice: 1000},
		order.LineItem{ProductID: "sku-2", Quantity: 3, UnitPrice: 500}),
		cmd(order.UpdateShippingDetails{ShippingInput: order.ShippingInput{RecipientName: "Jane", Address: nyAddress}}),
		cmd(order.PlaceOrder{}))...)
}

func iq(product string, n int64, warehouse string) order.ItemQuantity {
	return order.ItemQuantity{ProductID: product, Quantity: n, WarehouseID: warehouse}
}

// allocated: sku-1 reserved in wh-east, sku-2 one reserved in wh-west and
// two backordered; payment authorized, not captured.
func allocated(t *testing.T) order.State {
	s := placedTwo(t)
	return run(t, s,
		cmd(order.InitiatePayment{PaymentID: "pay-1", PaymentMethod: "CARD"}),
		cmd(order.AuthorizePayment{PaymentID: "pay-1", Amount: s.Totals().Total}),
		cmd(order.ReserveInventory{ReservationID: "res-east", Items: []order.ItemQuantity{iq("sku-1", 2, "wh-east")}}),
		cmd(order.ReserveInventory{ReservationID: "res-west", Items: []order.ItemQuantity{iq("sku-2", 1, "wh-west")}}),
		cmd(order.BackorderItems{Items: []order.ItemQuantity{iq("sku-2", 2, "")}, Reason: "out of stock"}))
}

func splitPaid(t *testing.T) order.State {
	return run(t, allocated(t), cmd(order.CapturePayment{PaymentID: "pay-1"}))
}

// eastShipped: wh-east's sku-1 left as shipment s-east; sku-2 has one unit
// reserved and unshipped and two backordered.
func eastShipped(t *testing.T) order.State {
	return run(t, splitPaid(t), cmd(order.ShipOrder{ShipmentID: "s-east", WarehouseID: "wh-east",
		Items: []order.ItemQuantity{iq("sku-1", 2, "")}, Carrier: "UPS", TrackingNumber: "1Z-E"}))
}

// bothShipped: s-east and shipment-2 (wh-west's unit) undelivered, two
// units of sku-2 still backordered.
func bothShipped(t *testing.T) order.State {
	return run(t, eastShipped(t), cmd(order.ShipOrder{WarehouseID: "wh-west", Carrier: "DHL", TrackingNumber: "JD-W"}))
}

// legacyShipped is an order shipped whole by the code before shipments were
// recorded: ORDER_STATUS_CHANGED to SHIPPED without SHIPMENT_DISPATCHED.
func legacyShipped(t *testing.T) order.State {
	s := paid(t)
	return order.Evolve(s, order.Event{ID: "legacy", OrderID: oid, Type: order.EvtOrderStatusChanged, Seq: s.Version + 1, Time: t0,
		Data: order.OrderStatusChanged{PreviousStatus: order.StatusConfirmed.Ref(), NewStatus: order.StatusShipped.Ref(), Reason: "handed to carrier"}})
}

// TestSplitFulfillmentRules is the table of the backorder, shipment and
// delivery rules.
func TestSplitFulfillmentRules(t *testing.T) {
	E := func(ts ...order.EventType) []order.EventType { return ts }
	items := func(its ...order.ItemQuantity) []order.ItemQuantity { return its }
	tests := []struct {
		name  string
		state func(*testing.T) order.State
		cmd   order.Command
		want  []order.EventType
		code  order.Code
		field string
	}{
		// Backorders.
		{"backorder units out of stock", placedTwo, cmd(order.BackorderItems{Items: items(iq("sku-2", 3, "")), Reason: "out of stock"}),
			E(order.EvtItemsBackordered), "", ""},
		{"backorder at most the units neither reserved nor backordered", allocated,
			cmd(order.BackorderItems{Items: items(iq("sku-2", 1, ""))}), nil, order.CodeValidationFailed, "data.items[0].quantity"},
		{"backorder no reserved unit", func(t *testing.T) order.State {
			return run(t, placedTwo(t), cmd(order.ReserveInventory{ReservationID: "r", Items: items(iq("sku-1", 1, ""))}))
		}, cmd(order.BackorderItems{Items: items(iq("sku-1", 2, ""))}), nil, order.CodeValidationFailed, "data.items[0].quantity"},
		{"backorder a product on the order", placedTwo, cmd(order.BackorderItems{Items: items(iq("nope", 1, ""))}),
			nil, order.CodeValidationFailed, "data.items[0].productId"},
		{"backorder needs items", placedTwo, cmd(order.BackorderItems{}), nil, order.CodeValidationFailed, "data.items"},
		{"no backorder after shipment", eastShipped, cmd(order.BackorderItems{Items: items(iq("sku-2", 1, ""))}),
			nil, order.CodeInvalidTransition, ""},

		// Capture.
		{"capture with part of the order backordered", allocated, cmd(order.CapturePayment{PaymentID: "pay-1"}),
			E(order.EvtPaymentCaptured, order.EvtOrderStatusChanged), "", ""},
		{"capture needs every unit reserved or backordered", func(t *testing.T) order.State {
			s := placedTwo(t)
			return run(t, s, cmd(order.InitiatePayment{PaymentID: "p", PaymentMethod: "CARD"}), cmd(order.AuthorizePayment{PaymentID: "p", Amount: s.Totals().Total}),
				cmd(order.BackorderItems{Items: items(iq("sku-2", 2, ""))}))
		}, cmd(order.CapturePayment{PaymentID: "p"}), nil, order.CodePreconditionFailed, ""},

		// Shipments.
		{"ship one warehouse's items", splitPaid, cmd(order.ShipOrder{WarehouseID: "wh-east", Items: items(iq("sku-1", 2, ""))}),
			E(order.EvtShipmentDispatched, order.EvtOrderStatusChanged), "", ""},
		{"ship every reserved unit when no items are named", splitPaid, cmd(order.ShipOrder{Carrier: "UPS", TrackingNumber: "1Z"}),
			E(order.EvtShipmentDispatched, order.EvtTrackingInformationAdded, order.EvtOrderStatusChanged), "", ""},
		{"a later shipment keeps the order shipped", eastShipped, cmd(order.ShipOrder{}), E(order.EvtShipmentDispatched), "", ""},
		{"ship at most what is reserved and not yet shipped", splitPaid, cmd(order.ShipOrder{Items: items(iq("sku-1", 1, ""), iq("sku-2", 2, ""))}),
			nil, order.CodeValidationFailed, "data.items[1].quantity"},
		{"a shipped unit does not ship again", eastShipped, cmd(order.ShipOrder{Items: items(iq("sku-1", 1, ""))}),
			nil, order.CodeValidationFailed, "data.items[0].quantity"},
		{"nothing left to ship while the rest is backordered", bothShipped, cmd(order.ShipOrder{}), nil, order.CodePreconditionFailed, ""},
		{"shipment ids are unique", eastShipped, cmd(order.ShipOrder{ShipmentID: "s-east"}), nil, order.CodeValidationFailed, "data.shipmentId"},
		{"tracking needs a carrier", splitPaid, cmd(order.ShipOrder{TrackingNumber: "1Z"}), nil, order.CodeValidationFailed, "data.carrier"},
		{"a flagged order ships nothing more until approved", func(t *testing.T) order.State {
			return run(t, eastShipped(t), cmd(order.FlagOrder{Code: "FRAUD", Reason: "r", RequiresApproval: true}))
		}, cmd(order.ShipOrder{}), nil, order.CodeApprovalRequired, ""},
		{"an order shipped whole before shipments were recorded does not ship again", legacyShipped, cmd(order.ShipOrder{}),
			nil, order.CodePreconditionFailed, ""},
		{"a backorder that arrives is reserved while shipped", bothShipped,
			cmd(order.ReserveInventory{ReservationID: "res-late", Items: items(iq("sku-2", 2, "wh-west"))}), E(order.EvtInventoryReserved), "", ""},
		{"no reservation beyond the order while shipped", bothShipped,
			cmd(order.ReserveInventory{ReservationID: "res-late", Items: items(iq("sku-1", 1, ""))}), nil, order.CodeValidationFailed, "data.items[0].quantity"},

		// Deliveries.
		{"deliver one of two shipments", bothShipped, cmd(order.DeliverOrder{ShipmentID: "s-east"}), E(order.EvtOrderDelivered), "", ""},
		{"name the shipment while several are undelivered", bothShipped, cmd(order.DeliverOrder{}), nil, order.CodeValidationFailed, "data.shipmentId"},
		{"deliver an unknown shipment", bothShipped, cmd(order.DeliverOrder{ShipmentID: "nope"}), nil, order.CodeValidationFailed, "data.shipmentId"},
		{"a shipment is delivered once", func(t *testing.T) order.State {
			return run(t, bothShipped(t), cmd(order.DeliverOrder{ShipmentID: "s-east"}))
		}, cmd(order.DeliverOrder{ShipmentID: "s-east"}), nil, order.CodePreconditionFailed, "data.shipmentId"},
		{"every shipment delivered, a backorder still holds the order", func(t *testing.T) order.State {
			return run(t, bothShipped(t), cmd(order.DeliverOrder{ShipmentID: "s-east"}))
		}, cmd(order.DeliverOrder{}), E(order.EvtOrderDelivered), "", ""},
		{"nothing to deliver while waiting for a backorder", func(t *testing.T) order.State {
			return run(t, bothShipped(t), cmd(order.DeliverOrder{ShipmentID: "s-east"}), cmd(order.DeliverOrder{}))
		}, cmd(order.DeliverOrder{}), nil, order.CodePreconditionFailed, "data.shipmentId"},
		{"the last shipment delivers the order", func(t *testing.T) order.State {
			return run(t, bothShipped(t), cmd(order.DeliverOrder{ShipmentID: "s-east"}), cmd(order.DeliverOrder{}),
				cmd(order.ReserveInventory{ReservationID: "res-late", Items: items(iq("sku-2", 2, "wh-west"))}),
				cmd(order.ShipOrder{ShipmentID: "s-late"}))
		}, cmd(order.DeliverOrder{ShipmentID: "s-late"}), E(order.EvtOrderDelivered, order.EvtOrderStatusChanged), "", ""},
		{"an order shipped whole before shipments were recorded delivers as before", legacyShipped, cmd(order.DeliverOrder{ReceivedBy: "Jane"}),
			E(order.EvtOrderDelivered, order.EvtOrderStatusChanged), "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := order.Decide(tc.state(t), tc.cmd)
			if tc.code != "" {
				var rej *order.Rejection
				require.True(t, errors.As(err, &rej), "want a *Rejection, got %T: %v", err, err)
				assert.Equal(t, tc.code, rej.Code, rej.Message)
				assert.Equal(t, tc.field, rej.Field)
				assert.NotEmpty(t, rej.Message)
				assert.Empty(t, evs)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, types(evs))
		})
	}
}

// TestSplitFulfillmentFromBackorderToDelivery walks one order through a
// backorder, two warehouses' shipments, partial deliveries, the backorder's
// arrival and its shipment, checking the state at each step.
func TestSplitFulfillmentFromBackorderToDelivery(t *testing.T) {
	line := func(s order.State, p string) order.Line {
		for _, l := range s.Lines {
			if l.ProductID == p {
				return l
			}
		}
		t.Fatalf("no line %s", p)
		return order.Line{}
	}

	s := allocated(t)
	assert.Equal(t, int64(2), line(s, "sku-2").Backordered)
	assert.True(t, s.FullyAllocated())
	assert.False(t, s.FullyReserved())

	s = run(t, s, cmd(order.CapturePayment{PaymentID: "pay-1"}))
	assert.Equal(t, s.Totals().Total, s.Payment.Captured, "the whole order is paid, backorder included")

	evs, err := order.Decide(s, cmd(order.ShipOrder{ShipmentID: "s-east", WarehouseID: "wh-east",
		Items: []order.ItemQuantity{iq("sku-1", 2, "")}, Carrier: "UPS", TrackingNumber: "1Z-E", TrackingURL: "https://ups.example/1Z-E"}))
	require.NoError(t, err)
	assert.Equal(t, order.ShipmentDispatched{ShipmentID: "s-east", WarehouseID: "wh-east", Items: []order.ItemQuantity{iq("sku-1", 2, "wh-east")},
		Carrier: "UPS", TrackingNumber: "1Z-E", TrackingURL: "https://ups.example/1Z-E"}, evs[0].Data)
	assert.Equal(t, order.TrackingInformationAdded{ShipmentID: "s-east", Carrier: "UPS", TrackingNumber: "1Z-E", TrackingURL: "https://ups.example/1Z-E"}, evs[1].Data)
	for _, e := range evs {
		s = order.Evolve(s, e)
	}
	assert.Equal(t, order.StatusShipped, s.Status)

	s = run(t, s, cmd(order.ShipOrder{WarehouseID: "wh-west"}))
	require.Len(t, s.Shipments, 2)
	assert.Equal(t, order.Shipment{ID: "shipment-2", WarehouseID: "wh-west", Items: []order.ItemQuantity{iq("sku-2", 1, "wh-west")}}, s.Shipments[1])
	assert.Equal(t, []string{"s-east", "shipment-2"}, s.UndeliveredShipments())

	s = run(t, s, cmd(order.AddTracking{ShipmentID: "shipment-2", Carrier: "DHL", TrackingNumber: "JD-W"}))
	assert.Equal(t, "JD-W", s.Shipments[1].TrackingNumber, "tracking added later reaches its shipment")

	s = run(t, s, cmd(order.DeliverOrder{ShipmentID: "shipment-2"}), cmd(order.DeliverOrder{ReceivedBy: "Jane"}))
	assert.Empty(t, s.UndeliveredShipments())
	assert.Equal(t, order.StatusShipped, s.Status, "two units are still backordered")
	assert.False(t, s.FullyShipped())

	s = run(t, s, cmd(order.ReserveInventory{ReservationID: "res-late", Items: []order.ItemQuantity{iq("sku-2", 2, "wh-west")}}))
	assert.Equal(t, int64(0), line(s, "sku-2").Backordered, "the reservation covers the backorder")
	assert.True(t, s.FullyReserved())

	s = run(t, s, cmd(order.ShipOrder{}), cmd(order.DeliverOrder{}))
	assert.Equal(t, order.StatusDelivered, s.Status)
	assert.Equal(t, "shipment-3", s.Shipments[2].ID)
	assert.True(t, s.FullyShipped())
}

// TestReservationCoversBackorderedUnitsFirst: reserved + backordered never
// exceeds a line's quantity, whichever units a reservation is for.
func TestReservationCoversBackorderedUnitsFirst(t *testing.T) {
	tests := []struct {
		name                          string
		reserveFirst, backorder       int64
		reserve                       int64
		wantReserved, wantBackordered int64
	}{
		{"covers the whole backorder", 0, 3, 3, 3, 0},
		{"covers part of it", 0, 3, 1, 1, 2},
		{"fills unallocated units first", 0, 2, 1, 1, 2},
		{"then the backorder", 1, 2, 1, 2, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := placedTwo(t) // sku-2 x3
			if tc.reserveFirst > 0 {
				s = run(t, s, cmd(order.ReserveInventory{ReservationID: "r0", Items: []order.ItemQuantity{iq("sku-2", tc.reserveFirst, "")}}))
			}
			s = run(t, s, cmd(order.BackorderItems{Items: []order.ItemQuantity{iq("sku-2", tc.backorder, "")}}),
				cmd(order.ReserveInventory{ReservationID: "r1", Items: []order.ItemQuantity{iq("sku-2", tc.reserve, "")}}))
			assert.Equal(t, tc.wantReserved, s.Reserved("sku-2"))
			assert.Equal(t, tc.wantBackordered, s.Lines[1].Backordered)
		})
	}
}
