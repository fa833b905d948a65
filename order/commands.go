package order

import (
	"strings"
	"time"
)

// CommandType names a command. Names are PascalCase verbs and part of the
// command contract on order.commands.
type CommandType string

// Command is a request to change one order. Data holds the type-specific
// payload; NewCommandData returns an empty one for a given type.
type Command struct {
	ID              string      `json:"commandId"`
	Type            CommandType `json:"type"`
	OrderID         string      `json:"orderId"`
	ExpectedVersion *int64      `json:"expectedVersion,omitempty"`
	CorrelationID   string      `json:"correlationId,omitempty"`
	UserID          string      `json:"userId,omitempty"`
	// Time is when the command entered the log (the record timestamp). It
	// stamps the events, so deciding a command again gives the same events.
	Time time.Time   `json:"-"`
	Data CommandData `json:"data"`
}

// SystemUserPrefix starts the userId of a command that one of orderlog's
// own services sent (the fulfillment saga's is "system:saga"): the status
// changes it causes say triggerType SYSTEM, not USER. An edge that takes
// user ids from outside (the API's token subjects) must not pass one on
// that starts with it.
const SystemUserPrefix = "system:"

// SystemUser returns the userId of service name's commands.
func SystemUser(name string) string { return SystemUserPrefix + name }

// IsSystemUser reports whether userID is a service's (or empty: no user).
func IsSystemUser(userID string) bool {
	return userID == "" || strings.HasPrefix(userID, SystemUserPrefix)
}

// CommandData is the type-specific payload of a command.
type CommandData interface {
	CommandType() CommandType
}

// LineItem is a product line as given in commands and events. Quantity and
// UnitPrice (minor units of the order currency) must be positive / non-negative.
type LineItem struct {
	ProductID string `json:"productId"`
	Name      string `json:"name,omitempty"`
	Quantity  int64  `json:"quantity"`
	UnitPrice int64  `json:"unitPrice"`
}

// ItemQuantity names a quantity of one product, for reservations and returns.
type ItemQuantity struct {
	ProductID   string `json:"productId"`
	Quantity    int64  `json:"quantity"`
	WarehouseID string `json:"warehouseId,omitempty"`
}

// Address is a postal address. Country is ISO 3166-1 alpha-2; State is the
// region code used for tax (e.g. "NY").
type Address struct {
	Line1      string `json:"line1"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postalCode"`
	Country    string `json:"country"`
}

// Shipping details as given by CreateOrder and UpdateShippingDetails.
type ShippingInput struct {
	RecipientName string  `json:"recipientName"`
	Address       Address `json:"address"`
	Method        string  `json:"method,omitempty"`
}

// Billing details as given by CreateOrder and UpdateBillingDetails.
type BillingInput struct {
	Name    string  `json:"name"`
	Email   string  `json:"email,omitempty"`
	Address Address `json:"address"`
}

// The command types, one per thing that can happen to an order.
const (
	CmdCreateOrder           CommandType = "CreateOrder"
	CmdAddItems              CommandType = "AddItems"
	CmdRemoveItems           CommandType = "RemoveItems"
	CmdUpdateItems           CommandType = "UpdateItems"
	CmdApplyDiscount         CommandType = "ApplyDiscount"
	CmdCalculateTax          CommandType = "CalculateTax"
	CmdPlaceOrder            CommandType = "PlaceOrder"
	CmdUpdateShippingDetails CommandType = "UpdateShippingDetails"
	CmdChangeShippingAddress CommandType = "ChangeShippingAddress"
	CmdUpdateBillingDetails  CommandType = "UpdateBillingDetails"
	CmdInitiatePayment       CommandType = "InitiatePayment"
	CmdAuthorizePayment      CommandType = "AuthorizePayment"
	CmdCapturePayment        CommandType = "CapturePayment"
	CmdFailPayment           CommandType = "FailPayment"
	CmdReserveInventory      CommandType = "ReserveInventory"
	CmdReleaseInventory      CommandType = "ReleaseInventory"
	CmdAddTracking           CommandType = "AddTracking"
	CmdShipOrder             CommandType = "ShipOrder"
	CmdDeliverOrder          CommandType = "DeliverOrder"
	CmdRequestCancellation   CommandType = "RequestCancellation"
	CmdCancelOrder           CommandType = "CancelOrder"
	CmdRequestReturn         CommandType = "RequestReturn"
	CmdReceiveReturn         CommandType = "ReceiveReturn"
	CmdRequestRefund         CommandType = "RequestRefund"
	CmdRecordRefund          CommandType = "RecordRefund"
	CmdAddCustomerNote       CommandType = "AddCustomerNote"
	CmdAddAdminNote          CommandType = "AddAdminNote"
	CmdFlagOrder             CommandType = "FlagOrder"
	CmdApproveOrder          CommandType = "ApproveOrder"
	CmdRecordNotification    CommandType = "RecordNotification"
	CmdBackorderItems        CommandType = "BackorderItems"
)

// CreateOrder opens a draft order. Items, shipping and billing are optional.
type CreateOrder struct {
	CustomerID    string         `json:"customerId"`
	Currency      string         `json:"currency"`
	OrderNumber   string         `json:"orderNumber,omitempty"`
	SourceChannel string         `json:"sourceChannel,omitempty"`
	Items         []LineItem     `json:"items,omitempty"`
	Shipping      *ShippingInput `json:"shipping,omitempty"`
	Billing       *BillingInput  `json:"billing,omitempty"`
}

// AddItems adds lines; a product already on the order gains quantity.
type AddItems struct {
	Items []LineItem `json:"items"`
}

// RemoveItems removes whole lines by product id.
type RemoveItems struct {
	ProductIDs []string `json:"productIds"`
}

// UpdateItems sets the quantity (and, if non-zero, the unit price) of lines.
type UpdateItems struct {
	Items []LineItem `json:"items"`
}

// ApplyDiscount applies a promo code from the policy, or a manual discount
// given as a percentage (basis points) or a fixed amount.
type ApplyDiscount struct {
	Code        string `json:"code,omitempty"`
	Description string `json:"description,omitempty"`
	PercentBps  int64  `json:"percentBps,omitempty"`
	FixedAmount int64  `json:"fixedAmount,omitempty"`
}

// CalculateTax computes tax for a jurisdiction; empty fields default to the
// shipping address.
type CalculateTax struct {
	Country string `json:"country,omitempty"`
	Region  string `json:"region,omitempty"`
}

// PlaceOrder submits a draft for payment.
type PlaceOrder struct{}

// UpdateShippingDetails sets recipient, address and method.
type UpdateShippingDetails struct {
	ShippingInput
}

// ChangeShippingAddress replaces the shipping address of an order that has one.
type ChangeShippingAddress struct {
	Address Address `json:"address"`
	Reason  string  `json:"reason,omitempty"`
}

// UpdateBillingDetails sets the billing name, email and address.
type UpdateBillingDetails struct {
	BillingInput
}

// InitiatePayment starts a payment for the order total.
type InitiatePayment struct {
	PaymentID     string `json:"paymentId"`
	PaymentMethod string `json:"paymentMethod"`
}

// AuthorizePayment records the gateway's authorization.
type AuthorizePayment struct {
	PaymentID          string `json:"paymentId"`
	Amount             int64  `json:"amount"`
	ProcessorReference string `json:"processorReference,omitempty"`
}

// CapturePayment records the capture of the full order total. Amount, if
// given, must equal the total.
type CapturePayment struct {
	PaymentID             string `json:"paymentId"`
	Amount                int64  `json:"amount,omitempty"`
	ProcessorReference    string `json:"processorReference,omitempty"`
	ProcessorResponseCode string `json:"processorResponseCode,omitempty"`
	Last4                 string `json:"last4,omitempty"`
	CardBrand             string `json:"cardBrand,omitempty"`
}

// FailPayment records that the payment failed.
type FailPayment struct {
	PaymentID string `json:"paymentId"`
	Reason    string `json:"reason"`
	Code      string `json:"code,omitempty"`
	Retryable bool   `json:"retryable,omitempty"`
}

// ReserveInventory records a reservation of some or all lines.
type ReserveInventory struct {
	ReservationID string         `json:"reservationId"`
	Items         []ItemQuantity `json:"items"`
}

// ReleaseInventory releases one reservation, or all when ReservationID is empty.
type ReleaseInventory struct {
	ReservationID string `json:"reservationId,omitempty"`
	Reason        string `json:"reason,omitempty"`
}

// AddTracking records a carrier tracking number.
type AddTracking struct {
	ShipmentID     string `json:"shipmentId,omitempty"`
	Carrier        string `json:"carrier"`
	TrackingNumber string `json:"trackingNumber"`
	TrackingURL    string `json:"trackingUrl,omitempty"`
}

// BackorderItems records units of the order's lines that are out of stock:
// not reserved, and waited for. A later ReserveInventory of the product
// covers them. Reason defaults to "out of stock".
type BackorderItems struct {
	Items  []ItemQuantity `json:"items"`
	Reason string         `json:"reason"`
}

// ShipOrder hands one shipment to the carrier: Items (each at most the
// product's reserved units not yet shipped), or every reserved unit not yet
// shipped when Items is empty. ShipmentID defaults to "shipment-N", N the
// number of shipments plus one. The first shipment moves the order to
// SHIPPED; later ones (a split order, a backorder that arrived) keep it there.
type ShipOrder struct {
	ShipmentID     string         `json:"shipmentId,omitempty"`
	WarehouseID    string         `json:"warehouseId,omitempty"`
	Items          []ItemQuantity `json:"items,omitempty"`
	Carrier        string         `json:"carrier,omitempty"`
	TrackingNumber string         `json:"trackingNumber,omitempty"`
	TrackingURL    string         `json:"trackingUrl,omitempty"`
}

// DeliverOrder records delivery of one shipment to the customer. ShipmentID
// may be empty when exactly one shipment is undelivered. The order is
// DELIVERED once every shipment is and no unit is left to ship.
type DeliverOrder struct {
	ShipmentID string `json:"shipmentId,omitempty"`
	ReceivedBy string `json:"receivedBy,omitempty"`
}

// RequestCancellation asks for cancellation of an order already in payment
// or fulfillment; the fulfillment saga refunds and releases, then cancels.
type RequestCancellation struct {
	Reason string `json:"reason"`
}

// CancelOrder cancels before shipment, releasing inventory and requesting a
// refund of what was captured.
type CancelOrder struct {
	Reason string `json:"reason"`
}

// RequestReturn asks to return delivered items.
type RequestReturn struct {
	ReturnID string         `json:"returnId"`
	Items    []ItemQuantity `json:"items"`
	Reason   string         `json:"reason"`
}

// ReceiveReturn records that the returned items arrived; it requests the refund.
type ReceiveReturn struct {
	ReturnID string `json:"returnId"`
}

// RequestRefund asks for a (goodwill) refund of part of what was captured.
type RequestRefund struct {
	RefundID string `json:"refundId"`
	Amount   int64  `json:"amount"`
	Reason   string `json:"reason"`
}

// RecordRefund records a refund the payment gateway made.
type RecordRefund struct {
	RefundID           string `json:"refundId"`
	Amount             int64  `json:"amount"`
	Reason             string `json:"reason,omitempty"`
	ProcessorReference string `json:"processorReference,omitempty"`
}

// AddCustomerNote adds a note written by the customer.
type AddCustomerNote struct {
	Text string `json:"text"`
}

// AddAdminNote adds an internal note written by an administrator.
type AddAdminNote struct {
	Text string `json:"text"`
}

// FlagOrder flags the order for review; RequiresApproval holds fulfillment
// until ApproveOrder.
type FlagOrder struct {
	Code             string `json:"code"`
	Reason           string `json:"reason"`
	RequiresApproval bool   `json:"requiresApproval,omitempty"`
}

// ApproveOrder lifts every pending approval hold.
type ApproveOrder struct {
	Comment string `json:"comment,omitempty"`
}

// RecordNotification records a notification sent about the order.
type RecordNotification struct {
	NotificationID string `json:"notificationId"`
	Channel        string `json:"channel"`
	Template       string `json:"template"`
	Recipient      string `json:"recipient,omitempty"`
}

func (CreateOrder) CommandType() CommandType           { return CmdCreateOrder }
func (AddItems) CommandType() CommandType              { return CmdAddItems }
func (RemoveItems) CommandType() CommandType           { return CmdRemoveItems }
func (UpdateItems) CommandType() CommandType           { return CmdUpdateItems }
func (ApplyDiscount) CommandType() CommandType         { return CmdApplyDiscount }
func (CalculateTax) CommandType() CommandType          { return CmdCalculateTax }
func (PlaceOrder) CommandType() CommandType            { return CmdPlaceOrder }
func (UpdateShippingDetails) CommandType() CommandType { return CmdUpdateShippingDetails }
func (ChangeShippingAddress) CommandType() CommandType { return CmdChangeShippingAddress }
func (UpdateBillingDetails) CommandType() CommandType  { return CmdUpdateBillingDetails }
func (InitiatePayment) CommandType() CommandType       { return CmdInitiatePayment }
func (AuthorizePayment) CommandType() CommandType      { return CmdAuthorizePayment }
func (CapturePayment) CommandType() CommandType        { return CmdCapturePayment }
func (FailPayment) CommandType() CommandType           { return CmdFailPayment }
func (ReserveInventory) CommandType() CommandType      { return CmdReserveInventory }
func (ReleaseInventory) CommandType() CommandType      { return CmdReleaseInventory }
func (AddTracking) CommandType() CommandType           { return CmdAddTracking }
func (ShipOrder) CommandType() CommandType             { return CmdShipOrder }
func (DeliverOrder) CommandType() CommandType          { return CmdDeliverOrder }
func (RequestCancellation) CommandType() CommandType   { return CmdRequestCancellation }
func (CancelOrder) CommandType() CommandType           { return CmdCancelOrder }
func (RequestReturn) CommandType() CommandType         { return CmdRequestReturn }
func (ReceiveReturn) CommandType() CommandType         { return CmdReceiveReturn }
func (RequestRefund) CommandType() CommandType         { return CmdRequestRefund }
func (RecordRefund) CommandType() CommandType          { return CmdRecordRefund }
func (AddCustomerNote) CommandType() CommandType       { return CmdAddCustomerNote }
func (AddAdminNote) CommandType() CommandType          { return CmdAddAdminNote }
func (FlagOrder) CommandType() CommandType             { return CmdFlagOrder }
func (ApproveOrder) CommandType() CommandType          { return CmdApproveOrder }
func (RecordNotification) CommandType() CommandType    { return CmdRecordNotification }
func (BackorderItems) CommandType() CommandType        { return CmdBackorderItems }

// commandSamples has one zero payload per command type; it is the registry
// behind CommandTypes and NewCommandData.
var commandSamples = []CommandData{
	CreateOrder{}, AddItems{}, RemoveItems{}, UpdateItems{}, ApplyDiscount{},
	CalculateTax{}, PlaceOrder{}, UpdateShippingDetails{}, ChangeShippingAddress{},
	UpdateBillingDetails{}, InitiatePayment{}, AuthorizePayment{}, CapturePayment{},
	FailPayment{}, ReserveInventory{}, ReleaseInventory{}, AddTracking{}, ShipOrder{},
	DeliverOrder{}, RequestCancellation{}, CancelOrder{}, RequestReturn{},
	ReceiveReturn{}, RequestRefund{}, RecordRefund{}, AddCustomerNote{},
	AddAdminNote{}, FlagOrder{}, ApproveOrder{}, RecordNotification{},
	BackorderItems{},
}

// CommandTypes lists every command type in a stable order.
func CommandTypes() []CommandType {
	out := make([]CommandType, len(commandSamples))
	for i, c := range commandSamples {
		out[i] = c.CommandType()
	}
	return out
}

// CommandSamples returns one zero payload per command type, for codecs that
// need to register every payload type.
func CommandSamples() []CommandData { return append([]CommandData(nil), commandSamples...) }
