package order

// Status is where an order stands in its lifecycle.
type Status string

// The statuses, in lifecycle order. Their ids are part of the event contract
// (ORDER_STATUS_CHANGED carries both id and name) and never change.
const (
	StatusNone            Status = ""
	StatusDraft           Status = "DRAFT"
	StatusPlaced          Status = "PLACED"
	StatusConfirmed       Status = "CONFIRMED"
	StatusShipped         Status = "SHIPPED"
	StatusDelivered       Status = "DELIVERED"
	StatusCancelled       Status = "CANCELLED"
	StatusReturnRequested Status = "RETURN_REQUESTED"
	StatusReturned        Status = "RETURNED"
)

// Statuses lists every status an order can be in, in lifecycle order.
var Statuses = []Status{
	StatusDraft, StatusPlaced, StatusConfirmed, StatusShipped, StatusDelivered,
	StatusCancelled, StatusReturnRequested, StatusReturned,
}

var statusIDs = map[Status]int32{
	StatusDraft: 1, StatusPlaced: 2, StatusConfirmed: 3, StatusShipped: 4,
	StatusDelivered: 5, StatusCancelled: 6, StatusReturnRequested: 7, StatusReturned: 8,
}

var statusDescriptions = map[Status]string{
	StatusDraft:           "created, items may change",
	StatusPlaced:          "submitted, awaiting payment",
	StatusConfirmed:       "payment captured, ready for fulfillment",
	StatusShipped:         "handed to the carrier",
	StatusDelivered:       "received by the customer",
	StatusCancelled:       "cancelled before shipment",
	StatusReturnRequested: "customer asked to return items",
	StatusReturned:        "returned items received back",
}

// ID is the stable numeric id of the status (0 for StatusNone).
func (s Status) ID() int32 { return statusIDs[s] }

// Description says in a few words what the status means.
func (s Status) Description() string { return statusDescriptions[s] }

// Ref is the {id, name} pair used in events.
func (s Status) Ref() StatusRef { return StatusRef{ID: s.ID(), Name: s} }

// Terminal reports whether no further fulfillment can happen in s.
func (s Status) Terminal() bool { return s == StatusCancelled || s == StatusReturned }

// StatusRef names a status in an event, as seed 000's ORDER_STATUS_CHANGED does.
type StatusRef struct {
	ID   int32  `json:"id"`
	Name Status `json:"name"`
}
