package order

import "time"

// EventType names an event; the names are seed 000's and part of the event
// contract on order.events.
type EventType string

// Event is one immutable fact about an order: the envelope of seed 000
// section 3 with a typed payload.
type Event struct {
	ID            string            `json:"id"`
	OrderID       string            `json:"orderId"`
	Type          EventType         `json:"eventType"`
	Seq           int64             `json:"sequenceNumber"`
	Time          time.Time         `json:"timestamp"`
	Data          EventData         `json:"data"`
	Metadata      map[string]string `json:"metadata,omitempty"`
	UserID        string            `json:"userId,omitempty"`
	ServiceID     string            `json:"serviceId,omitempty"`
	CorrelationID string            `json:"correlationId,omitempty"`
	CausationID   string            `json:"causationId,omitempty"`
}

// EventData is the type-specific payload of an event.
type EventData interface {
	EventType() EventType
}

// The 25 event types of seed 000, then those that delivery, returns,
// approvals and split fulfillment need.
const (
	EvtOrderCreated               EventType = "ORDER_CREATED"
	EvtOrderItemsAdded            EventType = "ORDER_ITEMS_ADDED"
	EvtOrderItemsRemoved          EventType = "ORDER_ITEMS_REMOVED"
	EvtOrderItemsUpdated          EventType = "ORDER_ITEMS_UPDATED"
	EvtOrderStatusChanged         EventType = "ORDER_STATUS_CHANGED"
	EvtPaymentInitiated           EventType = "PAYMENT_INITIATED"
	EvtPaymentAuthorized          EventType = "PAYMENT_AUTHORIZED"
	EvtPaymentCaptured            EventType = "PAYMENT_CAPTURED"
	EvtPaymentFailed              EventType = "PAYMENT_FAILED"
	EvtPaymentRefunded            EventType = "PAYMENT_REFUNDED"
	EvtShippingDetailsUpdated     EventType = "SHIPPING_DETAILS_UPDATED"
	EvtShippingAddressChanged     EventType = "SHIPPING_ADDRESS_CHANGED"
	EvtBillingDetailsUpdated      EventType = "BILLING_DETAILS_UPDATED"
	EvtTrackingInformationAdded   EventType = "TRACKING_INFORMATION_ADDED"
	EvtInventoryReserved          EventType = "INVENTORY_RESERVED"
	EvtInventoryReleased          EventType = "INVENTORY_RELEASED"
	EvtOrderCancellationRequested EventType = "ORDER_CANCELLATION_REQUESTED"
	EvtOrderCancelled             EventType = "ORDER_CANCELLED"
	EvtRefundRequested            EventType = "REFUND_REQUESTED"
	EvtCustomerNoteAdded          EventType = "CUSTOMER_NOTE_ADDED"
	EvtAdminNoteAdded             EventType = "ADMIN_NOTE_ADDED"
	EvtDiscountApplied            EventType = "DISCOUNT_APPLIED"
	EvtTaxCalculated              EventType = "TAX_CALCULATED"
	EvtOrderFlagged               EventType = "ORDER_FLAGGED"
	EvtNotificationSent           EventType = "NOTIFICATION_SENT"

	EvtOrderApproved   EventType = "ORDER_APPROVED"
	EvtOrderDelivered  EventType = "ORDER_DELIVERED"
	EvtReturnRequested EventType = "RETURN_REQUESTED"
	EvtReturnReceived  EventType = "RETURN_RECEIVED"

	EvtItemsBackordered   EventType = "ITEMS_BACKORDERED"
	EvtShipmentDispatched EventType = "SHIPMENT_DISPATCHED"
)

// Totals are the order's money figures after an event, recomputed from the
// lines; carried in pricing events for readers' convenience.
type Totals struct {
	Subtotal int64 `json:"subtotalAmount"`
	Discount int64 `json:"discountAmount"`
	Tax      int64 `json:"taxAmount"`
	Shipping int64 `json:"shippingAmount"`
	Total    int64 `json:"totalAmount"`
}

// OrderCreated opens the order's stream.
type OrderCreated struct {
	CustomerID    string    `json:"customerId"`
	OrderNumber   string    `json:"orderNumber"`
	Currency      string    `json:"currency"`
	InitialStatus StatusRef `json:"initialStatus"`
	SourceChannel string    `json:"sourceChannel,omitempty"`
	Totals        Totals    `json:"totals"`
}

// OrderItemsAdded records lines added (or quantity added to existing lines).
type OrderItemsAdded struct {
	Items  []LineItem `json:"items"`
	Totals Totals     `json:"totals"`
}

// OrderItemsRemoved records whole lines removed.
type OrderItemsRemoved struct {
	ProductIDs []string `json:"productIds"`
	Totals     Totals   `json:"totals"`
}

// OrderItemsUpdated records the new quantity and unit price of lines.
type OrderItemsUpdated struct {
	Items  []LineItem `json:"items"`
	Totals Totals     `json:"totals"`
}

// OrderStatusChanged is the only event that moves an order between statuses.
type OrderStatusChanged struct {
	PreviousStatus  StatusRef         `json:"previousStatus"`
	NewStatus       StatusRef         `json:"newStatus"`
	Reason          string            `json:"reason"`
	TriggerType     string            `json:"triggerType"`
	RelatedEntities map[string]string `json:"relatedEntities,omitempty"`
}

// PaymentInitiated starts a payment of Amount.
type PaymentInitiated struct {
	PaymentID     string `json:"paymentId"`
	Amount        int64  `json:"amount"`
	Currency      string `json:"currency"`
	PaymentMethod string `json:"paymentMethod"`
}

// PaymentAuthorized records the gateway's authorization of Amount.
type PaymentAuthorized struct {
	PaymentID          string `json:"paymentId"`
	Amount             int64  `json:"amount"`
	Currency           string `json:"currency"`
	ProcessorReference string `json:"processorReference,omitempty"`
}

// PaymentCaptured records money taken (seed 000 section 6.3).
type PaymentCaptured struct {
	PaymentID             string `json:"paymentId"`
	Amount                int64  `json:"amount"`
	Currency              string `json:"currency"`
	PaymentMethod         string `json:"paymentMethod"`
	ProcessorReference    string `json:"processorReference,omitempty"`
	ProcessorResponseCode string `json:"processorResponseCode,omitempty"`
	Last4                 string `json:"last4,omitempty"`
	CardBrand             string `json:"cardBrand,omitempty"`
}

// PaymentFailed records a failed payment attempt.
type PaymentFailed struct {
	PaymentID string `json:"paymentId"`
	Amount    int64  `json:"amount"`
	Currency  string `json:"currency"`
	Reason    string `json:"reason"`
	Code      string `json:"code,omitempty"`
	Retryable bool   `json:"retryable"`
}

// PaymentRefunded records money returned to the customer.
type PaymentRefunded struct {
	PaymentID          string `json:"paymentId"`
	RefundID           string `json:"refundId"`
	Amount             int64  `json:"amount"`
	Currency           string `json:"currency"`
	Reason             string `json:"reason,omitempty"`
	ProcessorReference string `json:"processorReference,omitempty"`
}

// ShippingDetailsUpdated records recipient, address, method and cost (seed
// 000 section 6.4).
type ShippingDetailsUpdated struct {
	RecipientName         string    `json:"recipientName"`
	ShippingAddress       Address   `json:"shippingAddress"`
	ShippingMethod        string    `json:"shippingMethod"`
	EstimatedDeliveryDate time.Time `json:"estimatedDeliveryDate"`
	ShippingCost          int64     `json:"shippingCost"`
	Currency              string    `json:"currency"`
	Totals                Totals    `json:"totals"`
}

// ShippingAddressChanged records a new address for existing shipping details.
type ShippingAddressChanged struct {
	PreviousAddress Address `json:"previousAddress"`
	NewAddress      Address `json:"newAddress"`
	Reason          string  `json:"reason,omitempty"`
}

// BillingDetailsUpdated records the billing contact.
type BillingDetailsUpdated struct {
	Name           string  `json:"name"`
	Email          string  `json:"email,omitempty"`
	BillingAddress Address `json:"billingAddress"`
}

// TrackingInformationAdded records a carrier tracking number.
type TrackingInformationAdded struct {
	ShipmentID     string `json:"shipmentId"`
	Carrier        string `json:"carrier"`
	TrackingNumber string `json:"trackingNumber"`
	TrackingURL    string `json:"trackingUrl,omitempty"`
}

// InventoryReserved records stock held for the order.
type InventoryReserved struct {
	ReservationID string         `json:"reservationId"`
	Items         []ItemQuantity `json:"items"`
}

// InventoryReleased records a reservation given back.
type InventoryReleased struct {
	ReservationID string         `json:"reservationId"`
	Items         []ItemQuantity `json:"items"`
	Reason        string         `json:"reason"`
}

// OrderCancellationRequested records a request to cancel an order already
// in payment or fulfillment.
type OrderCancellationRequested struct {
	Reason      string `json:"reason"`
	RequestedBy string `json:"requestedBy,omitempty"`
}

// OrderCancelled records the cancellation and what it owes back.
type OrderCancelled struct {
	Reason       string `json:"reason"`
	RefundAmount int64  `json:"refundAmount"`
	Currency     string `json:"currency"`
}

// RefundRequested records that money should go back to the customer; the
// saga asks the payment gateway, whose answer becomes PAYMENT_REFUNDED.
type RefundRequested struct {
	RefundID string `json:"refundId"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	Reason   string `json:"reason"`
	ReturnID string `json:"returnId,omitempty"`
}

// CustomerNoteAdded records a note by the customer.
type CustomerNoteAdded struct {
	Text   string `json:"text"`
	Author string `json:"author,omitempty"`
}

// AdminNoteAdded records an internal note by an administrator.
type AdminNoteAdded struct {
	Text   string `json:"text"`
	Author string `json:"author,omitempty"`
}

// DiscountApplied records a discount; Amount is its value when applied,
// the totals recompute it as lines change.
type DiscountApplied struct {
	Code        string `json:"code"`
	Description string `json:"description,omitempty"`
	PercentBps  int64  `json:"percentBps"`
	FixedAmount int64  `json:"fixedAmount"`
	Amount      int64  `json:"amount"`
	Totals      Totals `json:"totals"`
}

// TaxCalculated records the jurisdiction and rate (parts per million) used.
type TaxCalculated struct {
	Jurisdiction  string `json:"jurisdiction"`
	RatePPM       int64  `json:"ratePpm"`
	TaxableAmount int64  `json:"taxableAmount"`
	TaxAmount     int64  `json:"taxAmount"`
	Totals        Totals `json:"totals"`
}

// OrderFlagged records a review flag; RequiresApproval holds fulfillment.
type OrderFlagged struct {
	Code             string `json:"code"`
	Reason           string `json:"reason"`
	RequiresApproval bool   `json:"requiresApproval"`
	FlaggedBy        string `json:"flaggedBy,omitempty"`
}

// NotificationSent records a message sent about the order.
type NotificationSent struct {
	NotificationID string `json:"notificationId"`
	Channel        string `json:"channel"`
	Template       string `json:"template"`
	Recipient      string `json:"recipient,omitempty"`
}

// OrderApproved lifts every approval hold.
type OrderApproved struct {
	ApprovedBy string `json:"approvedBy,omitempty"`
	Comment    string `json:"comment,omitempty"`
}

// OrderDelivered records delivery to the customer.
type OrderDelivered struct {
	ShipmentID string `json:"shipmentId,omitempty"`
	ReceivedBy string `json:"receivedBy,omitempty"`
}

// ReturnRequested records items the customer wants to return.
type ReturnRequested struct {
	ReturnID string         `json:"returnId"`
	Items    []ItemQuantity `json:"items"`
	Reason   string         `json:"reason"`
}

// ReturnReceived records that a return's items arrived back.
type ReturnReceived struct {
	ReturnID     string         `json:"returnId"`
	Items        []ItemQuantity `json:"items"`
	RefundAmount int64          `json:"refundAmount"`
}

// ItemsBackordered records units out of stock that the order waits for.
type ItemsBackordered struct {
	Items  []ItemQuantity `json:"items"`
	Reason string         `json:"reason"`
}

// ShipmentDispatched records one shipment handed to the carrier: which
// units, from which warehouse, with which tracking.
type ShipmentDispatched struct {
	ShipmentID     string         `json:"shipmentId"`
	WarehouseID    string         `json:"warehouseId,omitempty"`
	Items          []ItemQuantity `json:"items"`
	Carrier        string         `json:"carrier,omitempty"`
	TrackingNumber string         `json:"trackingNumber,omitempty"`
	TrackingURL    string         `json:"trackingUrl,omitempty"`
}

func (OrderCreated) EventType() EventType               { return EvtOrderCreated }
func (OrderItemsAdded) EventType() EventType            { return EvtOrderItemsAdded }
func (OrderItemsRemoved) EventType() EventType          { return EvtOrderItemsRemoved }
func (OrderItemsUpdated) EventType() EventType          { return EvtOrderItemsUpdated }
func (OrderStatusChanged) EventType() EventType         { return EvtOrderStatusChanged }
func (PaymentInitiated) EventType() EventType           { return EvtPaymentInitiated }
func (PaymentAuthorized) EventType() EventType          { return EvtPaymentAuthorized }
func (PaymentCaptured) EventType() EventType            { return EvtPaymentCaptured }
func (PaymentFailed) EventType() EventType              { return EvtPaymentFailed }
func (PaymentRefunded) EventType() EventType            { return EvtPaymentRefunded }
func (ShippingDetailsUpdated) EventType() EventType     { return EvtShippingDetailsUpdated }
func (ShippingAddressChanged) EventType() EventType     { return EvtShippingAddressChanged }
func (BillingDetailsUpdated) EventType() EventType      { return EvtBillingDetailsUpdated }
func (TrackingInformationAdded) EventType() EventType   { return EvtTrackingInformationAdded }
func (InventoryReserved) EventType() EventType          { return EvtInventoryReserved }
func (InventoryReleased) EventType() EventType          { return EvtInventoryReleased }
func (OrderCancellationRequested) EventType() EventType { return EvtOrderCancellationRequested }
func (OrderCancelled) EventType() EventType             { return EvtOrderCancelled }
func (RefundRequested) EventType() EventType            { return EvtRefundRequested }
func (CustomerNoteAdded) EventType() EventType          { return EvtCustomerNoteAdded }
func (AdminNoteAdded) EventType() EventType             { return EvtAdminNoteAdded }
func (DiscountApplied) EventType() EventType            { return EvtDiscountApplied }
func (TaxCalculated) EventType() EventType              { return EvtTaxCalculated }
func (OrderFlagged) EventType() EventType               { return EvtOrderFlagged }
func (NotificationSent) EventType() EventType           { return EvtNotificationSent }
func (OrderApproved) EventType() EventType              { return EvtOrderApproved }
func (OrderDelivered) EventType() EventType             { return EvtOrderDelivered }
func (ReturnRequested) EventType() EventType            { return EvtReturnRequested }
func (ReturnReceived) EventType() EventType             { return EvtReturnReceived }
func (ItemsBackordered) EventType() EventType           { return EvtItemsBackordered }
func (ShipmentDispatched) EventType() EventType         { return EvtShipmentDispatched }

// eventSamples has one zero payload per event type, in contract order.
var eventSamples = []EventData{
	OrderCreated{}, OrderItemsAdded{}, OrderItemsRemoved{}, OrderItemsUpdated{},
	OrderStatusChanged{}, PaymentInitiated{}, PaymentAuthorized{}, PaymentCaptured{},
	PaymentFailed{}, PaymentRefunded{}, ShippingDetailsUpdated{}, ShippingAddressChanged{},
	BillingDetailsUpdated{}, TrackingInformationAdded{}, InventoryReserved{},
	InventoryReleased{}, OrderCancellationRequested{}, OrderCancelled{}, RefundRequested{},
	CustomerNoteAdded{}, AdminNoteAdded{}, DiscountApplied{}, TaxCalculated{},
	OrderFlagged{}, NotificationSent{}, OrderApproved{}, OrderDelivered{},
	ReturnRequested{}, ReturnReceived{}, ItemsBackordered{}, ShipmentDispatched{},
}

// EventTypes lists every event type in contract order (seed 000's 25 first).
func EventTypes() []EventType {
	out := make([]EventType, len(eventSamples))
	for i, e := range eventSamples {
		out[i] = e.EventType()
	}
	return out
}

// EventSamples returns one zero payload per event type, for codecs.
func EventSamples() []EventData { return append([]EventData(nil), eventSamples...) }
