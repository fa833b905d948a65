package api

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/projections"
)

// drive sends commands to the fake processor directly (as the saga and the
// gateways would) and returns the order's version after the last.
func (f *fixture) drive(id string, datas ...order.CommandData) {
	f.t.Helper()
	for _, d := range datas {
		c := order.Command{ID: newUUID(), Type: d.CommandType(), OrderID: id, Data: d}
		require.NoError(f.t, f.kafka.Send(context.Background(), c))
		res, err := f.kafka.Wait(context.Background(), c.ID)
		require.NoError(f.t, err)
		require.NotEqual(f.t, order.ResultRejected, res.Status, "%s: %s %s", c.Type, res.Code, res.Message)
	}
}

// placeWithDetails creates alice's order id with shipping and billing
// details and places it.
func (f *fixture) placeWithDetails(id string) {
	f.t.Helper()
	w := f.alice.do("POST", "/api/v1/orders", map[string]any{"orderId": id, "currency": "USD", "items": []order.LineItem{item},
		"shipping": order.ShippingInput{RecipientName: "Alice", Address: address},
		"billing":  order.BillingInput{Name: "Alice", Email: "a@example.com", Address: address}})
	require.Equal(f.t, http.StatusCreated, w.Code, w.Body.String())
	w = f.alice.do("POST", "/api/v1/orders/"+id+"/place", nil)
	require.Equal(f.t, http.StatusOK, w.Code, w.Body.String())
}

// deliver takes a placed order through payment, stock and shipping.
func (f *fixture) deliver(id string) {
	f.t.Helper()
	v, err := f.side.reader.Order(context.Background(), id)
	require.NoError(f.t, err)
	f.drive(id,
		order.InitiatePayment{PaymentID: "pay-1", PaymentMethod: "card"},
		order.AuthorizePayment{PaymentID: "pay-1", Amount: v.Totals.Total},
		order.ReserveInventory{ReservationID: "res-1", Items: []order.ItemQuantity{{ProductID: item.ProductID, Quantity: item.Quantity}}},
		order.CapturePayment{PaymentID: "pay-1"},
		order.ShipOrder{Carrier: "UPS", TrackingNumber: "1Z"},
		order.DeliverOrder{})
}

func viewOf(t *testing.T, b []byte) projections.View { return decodeBytes[projections.View](t, b) }

func TestSupportActionsAreCommandsWithRoles(t *testing.T) {
	f := newFixture(t)
	f.placeWithDetails("s-1")
	f.placeWithDetails("s-2")
	f.deliver("s-2")
	steps := []step{
		{name: "a customer may not flag", c: alice, method: "POST", path: "/api/v1/orders/s-1/flags",
			body: map[string]any{"code": "FRAUD_CHECK", "reason": "r"}, wantCode: 403, wantError: "FORBIDDEN"},
		{name: "a flag needs a code", c: svc, method: "POST", path: "/api/v1/orders/s-1/flags",
			body: map[string]any{"reason": "r"}, wantCode: 400, wantError: "BAD_REQUEST", wantField: "code"},
		{name: "the service flags and holds the order", c: svc, method: "POST", path: "/api/v1/orders/s-1/flags",
			body: map[string]any{"code": "HIGH_VALUE", "reason": "over the limit", "requiresApproval": true}, wantCode: 200,
			check: func(t *testing.T, _ *fixture, _ *http.Response, b []byte) {
				v := viewOf(t, b)
				require.NotEmpty(t, v.Flags)
				require.Equal(t, "HIGH_VALUE", v.Flags[len(v.Flags)-1].Code)
				require.True(t, v.Approval.Pending)
			}},
		{name: "a service may not approve", c: svc, method: "POST", path: "/api/v1/orders/s-1/approval", wantCode: 403, wantError: "FORBIDDEN"},
		{name: "a customer may not approve", c: alice, method: "POST", path: "/api/v1/orders/s-1/approval", wantCode: 403, wantError: "FORBIDDEN"},
		{name: "an admin approves", c: admin, method: "POST", path: "/api/v1/orders/s-1/approval", body: map[string]any{"comment": "checked"},
			wantCode: 200, check: func(t *testing.T, _ *fixture, r *http.Response, b []byte) {
				require.False(t, viewOf(t, b).Approval.Pending)
				require.NotEmpty(t, r.Header.Get("ETag"))
			}},
		{name: "the customer adds a customer note", c: alice, method: "POST", path: "/api/v1/orders/s-1/notes",
			body: map[string]any{"kind": "customer", "text": "leave it at the door"}, wantCode: 200,
			check: func(t *testing.T, _ *fixture, _ *http.Response, b []byte) {
				v := viewOf(t, b)
				require.Len(t, v.Notes, 1)
				require.False(t, v.Notes[0].Admin)
			}},
		{name: "another customer's order is 404 for a note", c: bob, method: "POST", path: "/api/v1/orders/s-1/notes",
			body: map[string]any{"kind": "customer", "text": "hi"}, wantCode: 404, wantError: "ORDER_NOT_FOUND"},
		{name: "a customer may not add an admin note", c: alice, method: "POST", path: "/api/v1/orders/s-1/notes",
			body: map[string]any{"kind": "admin", "text": "x"}, wantCode: 403, wantError: "FORBIDDEN"},
		{name: "a service may not add notes", c: svc, method: "POST", path: "/api/v1/orders/s-1/notes",
			body: map[string]any{"kind": "customer", "text": "x"}, wantCode: 403, wantError: "FORBIDDEN"},
		{name: "a note's kind is customer or admin", c: admin, method: "POST", path: "/api/v1/orders/s-1/notes",
			body: map[string]any{"kind": "internal", "text": "x"}, wantCode: 400, wantError: "BAD_REQUEST", wantField: "kind"},
		{name: "a note needs text", c: admin, method: "POST", path: "/api/v1/orders/s-1/notes",
			body: map[string]any{"kind": "admin"}, wantCode: 400, wantError: "BAD_REQUEST", wantField: "text"},
		{name: "an admin note is seen by the admin", c: admin, method: "POST", path: "/api/v1/orders/s-1/notes",
			body: map[string]any{"kind": "admin", "text": "called the customer"}, wantCode: 200,
			check: func(t *testing.T, f *fixture, _ *http.Response, b []byte) {
				require.Len(t, viewOf(t, b).Notes, 2)
				w := f.alice.do("GET", "/api/v1/orders/s-1", nil)
				require.Len(t, decode[projections.View](t, w).Notes, 1, "not by the customer")
			}},
		{name: "the customer changes the shipping address", c: alice, method: "PUT", path: "/api/v1/orders/s-1/shipping-address",
			body:     map[string]any{"address": order.Address{Line1: "2 Side St", City: "New York", State: "NY", PostalCode: "10002", Country: "US"}, "reason": "moved"},
			wantCode: 200, check: func(t *testing.T, _ *fixture, _ *http.Response, b []byte) {
				require.Equal(t, "2 Side St", viewOf(t, b).Shipping.Address.Line1)
			}},
		{name: "a return before delivery is 422", c: alice, method: "POST", path: "/api/v1/orders/s-1/returns",
			body: map[string]any{"items": []order.ItemQuantity{{ProductID: "sku-1", Quantity: 1}}, "reason": "broken"}, wantCode: 422, wantError: "INVALID_TRANSITION"},
		{name: "the customer asks to return a delivered item", c: func(f *fixture) *client { return f.alice.with("Idempotency-Key", "ret-k1") },
			method: "POST", path: "/api/v1/orders/s-2/returns",
			body: map[string]any{"items": []order.ItemQuantity{{ProductID: "sku-1", Quantity: 1}}, "reason": "broken"}, wantCode: 200,
			check: func(t *testing.T, _ *fixture, _ *http.Response, b []byte) {
				require.Equal(t, order.StatusReturnRequested, viewOf(t, b).Status)
			}},
		{name: "a customer may not receive a return", c: alice, method: "POST",
			path: "/api/v1/orders/s-2/returns/" + derivedIDFor("return", "s-2", "ret-k1") + "/receipt", wantCode: 403, wantError: "FORBIDDEN"},
		{name: "the warehouse receives the return", c: svc, method: "POST",
			path: "/api/v1/orders/s-2/returns/" + derivedIDFor("return", "s-2", "ret-k1") + "/receipt", wantCode: 200,
			check: func(t *testing.T, _ *fixture, _ *http.Response, b []byte) {
				require.Equal(t, order.StatusReturned, viewOf(t, b).Status)
			}},
		{name: "receiving an unknown return is 422", c: svc, method: "POST", path: "/api/v1/orders/s-2/returns/nope/receipt",
			wantCode: 422},
		{name: "a customer may not ask for a refund", c: alice, method: "POST", path: "/api/v1/orders/s-2/refunds",
			body: map[string]any{"amount": 100, "reason": "sorry"}, wantCode: 403, wantError: "FORBIDDEN"},
		{name: "an admin asks for a goodwill refund", c: admin, method: "POST", path: "/api/v1/orders/s-2/refunds",
			body: map[string]any{"refundId": "rf-1", "amount": 100, "reason": "late delivery"}, wantCode: 200},
		{name: "the gateway's refund is recorded", c: svc, method: "POST", path: "/api/v1/orders/s-2/refunds/rf-1/record",
			body: map[string]any{"amount": 100, "processorReference": "gw-9"}, wantCode: 200,
			check: func(t *testing.T, _ *fixture, _ *http.Response, b []byte) {
				require.Equal(t, int64(100), viewOf(t, b).Payment.Refunded)
			}},
		{name: "a record's body names no refundId: the path does", c: svc, method: "POST", path: "/api/v1/orders/s-2/refunds/rf-1/record",
			body: map[string]any{"refundId": "rf-2", "amount": 100}, wantCode: 400, wantError: "BAD_REQUEST", wantField: "refundId"},
	}
	run(t, f, steps)
	f.kafka.set(func(k *fakeKafka) {
		types := map[order.CommandType]bool{}
		for _, c := range k.sent {
			types[c.Type] = true
		}
		for _, want := range []order.CommandType{order.CmdFlagOrder, order.CmdApproveOrder, order.CmdAddCustomerNote, order.CmdAddAdminNote,
			order.CmdChangeShippingAddress, order.CmdRequestReturn, order.CmdReceiveReturn, order.CmdRequestRefund, order.CmdRecordRefund} {
			require.True(t, types[want], "%s was sent", want)
		}
	})
}

// derivedIDFor is derivedID for a request on order id with key.
func derivedIDFor(kind, id, key string) string {
	r, _ := http.NewRequest("POST", "/", nil)
	r.SetPathValue("id", id)
	r.Header.Set("Idempotency-Key", key)
	return derivedID(kind, r)
}
