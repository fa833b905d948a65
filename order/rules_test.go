package order_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
)

// TestRules is the table of business rules: each row is a state, a command,
// and either the events it must emit or the code it must be rejected with.
func TestRules(t *testing.T) {
	E := func(ts ...order.EventType) []order.EventType { return ts }
	none := order.State{}
	tests := []struct {
		name  string
		state func(*testing.T) order.State
		cmd   order.Command
		want  []order.EventType
		code  order.Code
		field string
	}{
		// Creation.
		{"create an empty draft", func(*testing.T) order.State { return none },
			cmd(order.CreateOrder{CustomerID: "c", Currency: "EUR"}), E(order.EvtOrderCreated), "", ""},
		{"create with items, shipping and billing", func(*testing.T) order.State { return none },
			cmd(order.CreateOrder{CustomerID: "c", Currency: "USD", Items: []order.LineItem{{ProductID: "a", Quantity: 1, UnitPrice: 100}},
				Shipping: &order.ShippingInput{RecipientName: "J", Address: nyAddress}, Billing: &order.BillingInput{Name: "J", Address: nyAddress}}),
			E(order.EvtOrderCreated, order.EvtOrderItemsAdded, order.EvtShippingDetailsUpdated, order.EvtBillingDetailsUpdated), "", ""},
		{"currency must be ISO 4217", func(*testing.T) order.State { return none },
			cmd(order.CreateOrder{CustomerID: "c", Currency: "usd"}), nil, order.CodeValidationFailed, "data.currency"},
		{"customer is required", func(*testing.T) order.State { return none },
			cmd(order.CreateOrder{Currency: "USD"}), nil, order.CodeValidationFailed, "data.customerId"},
		{"an order is created once", draft, cmd(order.CreateOrder{CustomerID: "c", Currency: "USD"}), nil, order.CodeOrderAlreadyExists, ""},
		{"commands need an existing order", func(*testing.T) order.State { return none },
			cmd(order.PlaceOrder{}), nil, order.CodeOrderNotFound, ""},

		// Items.
		{"add items to a draft", draft, cmd(order.AddItems{Items: []order.LineItem{{ProductID: "b", Quantity: 1, UnitPrice: 5}}}),
			E(order.EvtOrderItemsAdded), "", ""},
		{"quantities are positive", draft, cmd(order.AddItems{Items: []order.LineItem{{ProductID: "b", Quantity: 0, UnitPrice: 5}}}),
			nil, order.CodeValidationFailed, "data.items[0].quantity"},
		{"prices are not negative", draft, cmd(order.AddItems{Items: []order.LineItem{{ProductID: "b", Quantity: 1, UnitPrice: -1}}}),
			nil, order.CodeValidationFailed, "data.items[0].unitPrice"},
		{"update quantity", draft, cmd(order.UpdateItems{Items: []order.LineItem{{ProductID: "sku-1", Quantity: 5}}}),
			E(order.EvtOrderItemsUpdated), "", ""},
		{"update to zero is refused", draft, cmd(order.UpdateItems{Items: []order.LineItem{{ProductID: "sku-1", Quantity: 0}}}),
			nil, order.CodeValidationFailed, "data.items[0].quantity"},
		{"remove a line", draft, cmd(order.RemoveItems{ProductIDs: []string{"sku-1"}}), E(order.EvtOrderItemsRemoved), "", ""},
		{"remove an unknown line", draft, cmd(order.RemoveItems{ProductIDs: []string{"nope"}}), nil, order.CodeValidationFailed, "data.productIds[0]"},
		{"items change only while draft", placed, cmd(order.AddItems{Items: []order.LineItem{{ProductID: "b", Quantity: 1, UnitPrice: 5}}}),
			nil, order.CodeInvalidTransition, ""},

		// Placing.
		{"place a draft", draft, cmd(order.PlaceOrder{}), E(order.EvtTaxCalculated, order.EvtOrderStatusChanged), "", ""},
		{"placing needs an item", func(t *testing.T) order.State { return run(t, none, created()...) },
			cmd(order.PlaceOrder{}), nil, order.CodePreconditionFailed, "lines"},
		{"a high-value order is flagged for approval", func(t *testing.T) order.State {
			return run(t, none, append(created(order.LineItem{ProductID: "tv", Quantity: 1, UnitPrice: 250_000}), shipTo(nyAddress))...)
		}, cmd(order.PlaceOrder{}), E(order.EvtTaxCalculated, order.EvtOrderStatusChanged, order.EvtOrderFlagged), "", ""},

		// Pricing.
		{"promo code", draft, cmd(order.ApplyDiscount{Code: "welcome10"}), E(order.EvtDiscountApplied), "", ""},
		{"unknown promo code", draft, cmd(order.ApplyDiscount{Code: "FREE"}), nil, order.CodeValidationFailed, "data.code"},
		{"discount never above subtotal", draft, cmd(order.ApplyDiscount{Description: "x", FixedAmount: 4000}),
			nil, order.CodeLimitExceeded, "data.fixedAmount"},
		{"tax by jurisdiction", draft, cmd(order.CalculateTax{Country: "DE"}), E(order.EvtTaxCalculated), "", ""},
		{"unknown shipping method", draft, cmd(order.UpdateShippingDetails{ShippingInput: order.ShippingInput{RecipientName: "J", Address: nyAddress, Method: "CAMEL"}}),
			nil, order.CodeValidationFailed, "data.method"},
		{"country must be alpha-2", draft, cmd(order.UpdateShippingDetails{ShippingInput: order.ShippingInput{RecipientName: "J", Address: order.Address{Line1: "x", City: "y", PostalCode: "1", Country: "USA"}}}),
			nil, order.CodeValidationFailed, "data.address.country"},

		// Payment.
		{"capture needs reserved inventory", func(t *testing.T) order.State {
			s := placed(t)
			return run(t, s, cmd(order.InitiatePayment{PaymentID: "p", PaymentMethod: "CARD"}), cmd(order.AuthorizePayment{PaymentID: "p", Amount: s.Totals().Total}))
		}, cmd(order.CapturePayment{PaymentID: "p"}), nil, order.CodePreconditionFailed, ""},
		{"capture never above authorization", func(t *testing.T) order.State {
			s := placed(t)
			return run(t, s, cmd(order.InitiatePayment{PaymentID: "p", PaymentMethod: "CARD"}), cmd(order.AuthorizePayment{PaymentID: "p", Amount: s.Totals().Total}),
				cmd(order.ReserveInventory{ReservationID: "r", Items: []order.ItemQuantity{{ProductID: "sku-1", Quantity: 2}}}))
		}, cmd(order.CapturePayment{PaymentID: "p", Amount: 1_000_000}), nil, order.CodeLimitExceeded, "data.amount"},
		{"authorization must cover the payment", func(t *testing.T) order.State {
			return run(t, placed(t), cmd(order.InitiatePayment{PaymentID: "p", PaymentMethod: "CARD"}))
		}, cmd(order.AuthorizePayment{PaymentID: "p", Amount: 1}), nil, order.CodeValidationFailed, "data.amount"},
		{"answers about another payment are refused", func(t *testing.T) order.State {
			return run(t, placed(t), cmd(order.InitiatePayment{PaymentID: "p", PaymentMethod: "CARD"}))
		}, cmd(order.FailPayment{PaymentID: "other", Reason: "x"}), nil, order.CodeValidationFailed, "data.paymentId"},
		{"capture confirms the order", func(t *testing.T) order.State {
			s := placed(t)
			return run(t, s, cmd(order.InitiatePayment{PaymentID: "p", PaymentMethod: "CARD"}), cmd(order.AuthorizePayment{PaymentID: "p", Amount: s.Totals().Total}),
				cmd(order.ReserveInventory{ReservationID: "r", Items: []order.ItemQuantity{{ProductID: "sku-1", Quantity: 2}}}))
		}, cmd(order.CapturePayment{PaymentID: "p"}), E(order.EvtPaymentCaptured, order.EvtOrderStatusChanged), "", ""},
		{"refund never above capture", paid, cmd(order.RecordRefund{RefundID: "r", Amount: 1_000_000}), nil, order.CodeLimitExceeded, "data.amount"},
		{"refund request never above capture", paid, cmd(order.RequestRefund{RefundID: "r", Amount: 1_000_000, Reason: "x"}), nil, order.CodeLimitExceeded, "data.amount"},

		// Cancellation.
		{"cancel a draft", draft, cmd(order.CancelOrder{Reason: "changed mind"}), E(order.EvtOrderCancelled, order.EvtOrderStatusChanged), "", ""},
		{"cancel after capture releases and refunds", paid, cmd(order.CancelOrder{Reason: "changed mind"}),
			E(order.EvtInventoryReleased, order.EvtRefundRequested, order.EvtOrderCancelled, order.EvtOrderStatusChanged), "", ""},
		{"no cancellation after shipment", shipped, cmd(order.CancelOrder{Reason: "late"}), nil, order.CodeInvalidTransition, ""},
		{"cancellation reason is required", draft, cmd(order.CancelOrder{}), nil, order.CodeValidationFailed, "data.reason"},

		// Fulfillment.
		{"ship a confirmed order", paid, cmd(order.ShipOrder{Carrier: "UPS", TrackingNumber: "1Z"}),
			E(order.EvtShipmentDispatched, order.EvtTrackingInformationAdded, order.EvtOrderStatusChanged), "", ""},
		{"no shipping before payment", placed, cmd(order.ShipOrder{}), nil, order.CodeInvalidTransition, ""},
		{"deliver a shipped order", shipped, cmd(order.DeliverOrder{}), E(order.EvtOrderDelivered, order.EvtOrderStatusChanged), "", ""},

		// Returns.
		{"return after delivery", delivered, cmd(order.RequestReturn{ReturnID: "ret-1", Reason: "broken", Items: []order.ItemQuantity{{ProductID: "sku-1", Quantity: 1}}}),
			E(order.EvtReturnRequested, order.EvtOrderStatusChanged), "", ""},
		{"no return before delivery", shipped, cmd(order.RequestReturn{ReturnID: "ret-1", Reason: "broken", Items: []order.ItemQuantity{{ProductID: "sku-1", Quantity: 1}}}),
			nil, order.CodeInvalidTransition, ""},
		{"no return of more than was ordered", delivered, cmd(order.RequestReturn{ReturnID: "ret-1", Reason: "x", Items: []order.ItemQuantity{{ProductID: "sku-1", Quantity: 3}}}),
			nil, order.CodeValidationFailed, "data.items[0].quantity"},

		{"shipping cost cannot change once payment started", func(t *testing.T) order.State {
			return run(t, placed(t), cmd(order.InitiatePayment{PaymentID: "p", PaymentMethod: "CARD"}))
		}, cmd(order.UpdateShippingDetails{ShippingInput: order.ShippingInput{RecipientName: "J", Address: nyAddress, Method: "OVERNIGHT"}}),
			nil, order.CodePreconditionFailed, ""},
		{"same shipping cost after payment started is fine", func(t *testing.T) order.State {
			return run(t, placed(t), cmd(order.InitiatePayment{PaymentID: "p", PaymentMethod: "CARD"}))
		}, cmd(order.UpdateShippingDetails{ShippingInput: order.ShippingInput{RecipientName: "Jane Doe", Address: nyAddress}}),
			E(order.EvtShippingDetailsUpdated), "", ""},
		{"a change that takes a placed order over the threshold flags it", func(t *testing.T) order.State {
			// 900.00 + 8.875% NY tax + 5.00 STANDARD is below 1,000.00; OVERNIGHT's 30.00 is not.
			return run(t, order.State{}, append(created(order.LineItem{ProductID: "tv", Quantity: 1, UnitPrice: 90_000}), shipTo(nyAddress), cmd(order.PlaceOrder{}))...)
		}, cmd(order.UpdateShippingDetails{ShippingInput: order.ShippingInput{RecipientName: "J", Address: nyAddress, Method: "OVERNIGHT"}}),
			E(order.EvtShippingDetailsUpdated, order.EvtTaxCalculated, order.EvtOrderFlagged), "", ""},

		// Notes, flags, notifications.
		{"customer note", placed, cmd(order.AddCustomerNote{Text: "leave at door"}), E(order.EvtCustomerNoteAdded), "", ""},
		{"empty note", placed, cmd(order.AddAdminNote{Text: "  "}), nil, order.CodeValidationFailed, "data.text"},
		{"approve needs a hold", placed, cmd(order.ApproveOrder{}), nil, order.CodePreconditionFailed, ""},
		{"notification recorded", placed, cmd(order.RecordNotification{NotificationID: "n1", Channel: "EMAIL", Template: "order-placed"}),
			E(order.EvtNotificationSent), "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.state(t)
			evs, err := order.Decide(s, tc.cmd)
			if tc.code != "" {
				require.Error(t, err)
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
