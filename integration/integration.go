package integration

import "time"

// System names an outside system the saga talks to.
type System string

// The outside systems.
const (
	Payment      System = "payment"
	Inventory    System = "inventory"
	Shipping     System = "shipping"
	Notification System = "notification"
)

// Systems lists the outside systems that answer (notifications do not).
var Systems = []System{Payment, Inventory, Shipping}

// Item is a quantity of one product, optionally at one warehouse.
type Item struct {
	ProductID   string `json:"productId"`
	Quantity    int64  `json:"quantity"`
	WarehouseID string `json:"warehouseId,omitempty"`
}

// Payment actions.
const (
	PayAuthorize = "AUTHORIZE"
	PayCapture   = "CAPTURE"
	PayVoid      = "VOID"
	PayRefund    = "REFUND"
)

// PaymentRequest asks the payment gateway to authorize, capture, void or
// refund an order's payment. Amount is in minor units of Currency.
type PaymentRequest struct {
	RequestID     string    `json:"requestId"`
	OrderID       string    `json:"orderId"`
	CorrelationID string    `json:"correlationId,omitempty"`
	Action        string    `json:"action"`
	PaymentID     string    `json:"paymentId"`
	RefundID      string    `json:"refundId,omitempty"`
	Amount        int64     `json:"amount"`
	Currency      string    `json:"currency"`
	Method        string    `json:"method,omitempty"`
	Attempt       int32     `json:"attempt"`
	RequestedAt   time.Time `json:"requestedAt"`
}

// Outcomes shared by every result. Failed is a final refusal (card declined,
// stock short); Unavailable means the system could not answer now and the
// request may be retried.
const (
	OutcomeOK          = "OK"
	OutcomeFailed      = "FAILED"
	OutcomeUnavailable = "UNAVAILABLE"
)

// PaymentResult answers a PaymentRequest.
type PaymentResult struct {
	RequestID     string    `json:"requestId"`
	OrderID       string    `json:"orderId"`
	CorrelationID string    `json:"correlationId,omitempty"`
	Action        string    `json:"action"`
	PaymentID     string    `json:"paymentId"`
	RefundID      string    `json:"refundId,omitempty"`
	Outcome       string    `json:"outcome"`
	Amount        int64     `json:"amount"`
	Reference     string    `json:"reference,omitempty"`
	Reason        string    `json:"reason,omitempty"`
	Code          string    `json:"code,omitempty"`
	At            time.Time `json:"at"`
}

// Inventory actions.
const (
	InvReserve = "RESERVE" // hold Items, from any warehouses; backorder what is short if AllowBackorder
	InvRelease = "RELEASE" // give back a reservation's items
	InvRestock = "RESTOCK" // returned items are back on the shelf
)

// InventoryRequest asks the inventory service to reserve, release or restock.
type InventoryRequest struct {
	RequestID      string    `json:"requestId"`
	OrderID        string    `json:"orderId"`
	CorrelationID  string    `json:"correlationId,omitempty"`
	Action         string    `json:"action"`
	ReservationID  string    `json:"reservationId,omitempty"`
	Items          []Item    `json:"items"`
	AllowBackorder bool      `json:"allowBackorder"`
	Attempt        int32     `json:"attempt"`
	RequestedAt    time.Time `json:"requestedAt"`
}

// Allocation is stock held at one warehouse under one reservation id.
type Allocation struct {
	ReservationID string `json:"reservationId"`
	WarehouseID   string `json:"warehouseId"`
	Items         []Item `json:"items"`
}

// InventoryResult answers an InventoryRequest. A RESERVE that is OK holds
// Allocations (one per warehouse) and, when backorders were allowed, lists
// what could not be held as Backordered. FAILED means stock was short and
// nothing is held.
type InventoryResult struct {
	RequestID     string       `json:"requestId"`
	OrderID       string       `json:"orderId"`
	CorrelationID string       `json:"correlationId,omitempty"`
	Action        string       `json:"action"`
	Outcome       string       `json:"outcome"`
	Allocations   []Allocation `json:"allocations"`
	Backordered   []Item       `json:"backordered"`
	Reason        string       `json:"reason,omitempty"`
	At            time.Time    `json:"at"`
}

// Shipping actions.
const ShipDispatch = "DISPATCH"

// ShippingRequest asks the carrier to pick up one shipment from one warehouse.
type ShippingRequest struct {
	RequestID     string    `json:"requestId"`
	OrderID       string    `json:"orderId"`
	CorrelationID string    `json:"correlationId,omitempty"`
	Action        string    `json:"action"`
	ShipmentID    string    `json:"shipmentId"`
	WarehouseID   string    `json:"warehouseId,omitempty"`
	Items         []Item    `json:"items"`
	Method        string    `json:"method,omitempty"`
	Recipient     string    `json:"recipient,omitempty"`
	Country       string    `json:"country,omitempty"`
	PostalCode    string    `json:"postalCode,omitempty"`
	Attempt       int32     `json:"attempt"`
	RequestedAt   time.Time `json:"requestedAt"`
}

// Shipment statuses in a ShippingResult: the carrier answers a DISPATCH
// first with SHIPPED (and a tracking number), later with DELIVERED.
const (
	ShipmentShipped   = "SHIPPED"
	ShipmentDelivered = "DELIVERED"
)

// ShippingResult answers a ShippingRequest; one request gets a SHIPPED and
// then a DELIVERED result when all goes well.
type ShippingResult struct {
	RequestID      string    `json:"requestId"`
	OrderID        string    `json:"orderId"`
	CorrelationID  string    `json:"correlationId,omitempty"`
	ShipmentID     string    `json:"shipmentId"`
	Outcome        string    `json:"outcome"`
	Status         string    `json:"status,omitempty"`
	Carrier        string    `json:"carrier,omitempty"`
	TrackingNumber string    `json:"trackingNumber,omitempty"`
	TrackingURL    string    `json:"trackingUrl,omitempty"`
	ReceivedBy     string    `json:"receivedBy,omitempty"`
	Reason         string    `json:"reason,omitempty"`
	At             time.Time `json:"at"`
}

// NotificationRequest asks the customer service to tell the customer
// something; it has no answer (the saga records it as sent).
type NotificationRequest struct {
	RequestID     string    `json:"requestId"`
	OrderID       string    `json:"orderId"`
	CorrelationID string    `json:"correlationId,omitempty"`
	CustomerID    string    `json:"customerId"`
	Channel       string    `json:"channel"`
	Template      string    `json:"template"`
	Recipient     string    `json:"recipient,omitempty"`
	Message       string    `json:"message,omitempty"`
	RequestedAt   time.Time `json:"requestedAt"`
}
