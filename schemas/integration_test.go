package schemas

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/integration"
)

func roundTrip[T any](t *testing.T, k Kind, v T) {
	t.Helper()
	s, err := New[T](t.Context(), k)
	require.NoError(t, err)
	b, err := s.Encode(v)
	require.NoError(t, err)
	got, err := s.Decode(b)
	require.NoError(t, err)
	require.Equal(t, v, got, "%s survives encode and decode", k)
}

func TestIntegrationMessagesRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	items := []integration.Item{{ProductID: "p-1", Quantity: 2, WarehouseID: "w-east"}}
	roundTrip(t, KindPaymentRequest, integration.PaymentRequest{RequestID: "r-1", OrderID: "o-1", CorrelationID: "c",
		Action: integration.PayAuthorize, PaymentID: "pay-1", Amount: 1999, Currency: "EUR", Method: "card", Attempt: 2, RequestedAt: at})
	roundTrip(t, KindPaymentResult, integration.PaymentResult{RequestID: "r-1", OrderID: "o-1", Action: integration.PayCapture,
		PaymentID: "pay-1", Outcome: integration.OutcomeFailed, Amount: 1999, Reason: "declined", Code: "51", At: at})
	roundTrip(t, KindInventoryRequest, integration.InventoryRequest{RequestID: "r-2", OrderID: "o-1", Action: integration.InvReserve,
		Items: items, AllowBackorder: true, Attempt: 1, RequestedAt: at})
	roundTrip(t, KindInventoryResult, integration.InventoryResult{RequestID: "r-2", OrderID: "o-1", Action: integration.InvReserve,
		Outcome: integration.OutcomeOK, Allocations: []integration.Allocation{{ReservationID: "res-1", WarehouseID: "w-east", Items: items}},
		Backordered: []integration.Item{{ProductID: "p-2", Quantity: 1}}, At: at})
	roundTrip(t, KindShippingRequest, integration.ShippingRequest{RequestID: "r-3", OrderID: "o-1", Action: integration.ShipDispatch,
		ShipmentID: "s-1", WarehouseID: "w-east", Items: items, Method: "express", Country: "DE", Attempt: 1, RequestedAt: at})
	roundTrip(t, KindShippingResult, integration.ShippingResult{RequestID: "r-3", OrderID: "o-1", ShipmentID: "s-1",
		Outcome: integration.OutcomeOK, Status: integration.ShipmentShipped, Carrier: "DHL", TrackingNumber: "T1", At: at})
	roundTrip(t, KindNotificationRequest, integration.NotificationRequest{RequestID: "r-4", OrderID: "o-1", CustomerID: "cust-1",
		Channel: "email", Template: "order-confirmed", Message: "thanks", RequestedAt: at})
}

func TestNewRefusesTheWrongGoType(t *testing.T) {
	_, err := New[integration.PaymentResult](t.Context(), KindPaymentRequest)
	require.ErrorContains(t, err, "not integration.PaymentResult")
}
