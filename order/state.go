package order

import (
	"slices"
	"time"
)

// RecentCommandWindow is how many of an order's most recent accepted command
// ids Evolve keeps in State.Recent. The window predates the lifelong memory
// (State.Handled) that Handle keeps; Decide still answers from it, for
// callers that fold with Evolve alone, and Handle moves it into Handled.
const RecentCommandWindow = 32

// State is everything the rules need to know about one order. The zero State
// is "no such order". It is a value: Evolve returns a new one and never
// mutates slices it shares with its input.
type State struct {
	OrderID     string    `json:"orderId"`
	OrderNumber string    `json:"orderNumber"`
	CustomerID  string    `json:"customerId"`
	Currency    string    `json:"currency"`
	Status      Status    `json:"status"`
	Version     int64     `json:"version"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`

	Lines     []Line     `json:"lines"`
	Discounts []Discount `json:"discounts"`
	Tax       TaxInfo    `json:"tax"`
	Shipping  *Shipping  `json:"shipping"`
	Billing   *Billing   `json:"billing"`
	Payment   Payment    `json:"payment"`

	Reservations []Reservation `json:"reservations"`
	Shipments    []Shipment    `json:"shipments"`
	Tracking     []Tracking    `json:"tracking"`
	Flags        []Flag        `json:"flags"`
	Returns      []Return      `json:"returns"`
	Notes        []Note        `json:"notes"`

	CancellationRequested bool   `json:"cancellationRequested"`
	CancelReason          string `json:"cancelReason"`
	Notifications         int64  `json:"notifications"`

	// Recent holds the last RecentCommandWindow accepted commands, oldest
	// first, as Evolve folds them from the events' causation ids. Handle
	// empties it: a state Handle returns remembers commands in Handled.
	Recent []RecentCommand `json:"recent"`

	// Handled remembers every command handled for the order, for its whole
	// life (Handle keeps it; Evolve leaves it alone).
	Handled Handled `json:"handled,omitzero"`
}

// Line is one product on the order.
type Line struct {
	ProductID string `json:"productId"`
	Name      string `json:"name"`
	Quantity  int64  `json:"quantity"`
	UnitPrice int64  `json:"unitPrice"`
	// Returning counts units asked back by return requests.
	Returning int64 `json:"returning"`
	// Backordered counts units out of stock that the order waits for: not
	// reserved, and Reserved + Backordered <= Quantity. A reservation of the
	// product lowers it.
	Backordered int64 `json:"backordered"`
}

// Amount is quantity times unit price.
func (l Line) Amount() int64 { return l.Quantity * l.UnitPrice }

// Discount is an applied discount; its amount is recomputed with the totals.
type Discount struct {
	Code        string `json:"code"`
	Description string `json:"description"`
	PercentBps  int64  `json:"percentBps"`
	FixedAmount int64  `json:"fixedAmount"`
}

// TaxInfo is the jurisdiction and rate last calculated.
type TaxInfo struct {
	Jurisdiction string `json:"jurisdiction"`
	RatePPM      int64  `json:"ratePpm"`
	Calculated   bool   `json:"calculated"`
}

// Shipping is where and how the order ships.
type Shipping struct {
	RecipientName         string    `json:"recipientName"`
	Address               Address   `json:"address"`
	Method                string    `json:"method"`
	Cost                  int64     `json:"cost"`
	EstimatedDeliveryDate time.Time `json:"estimatedDeliveryDate"`
}

// Billing is who pays.
type Billing struct {
	Name    string  `json:"name"`
	Email   string  `json:"email"`
	Address Address `json:"address"`
}

// PaymentStatus is where the order's payment stands.
type PaymentStatus string

// The payment statuses.
const (
	PayNone       PaymentStatus = ""
	PayInitiated  PaymentStatus = "INITIATED"
	PayAuthorized PaymentStatus = "AUTHORIZED"
	PayCaptured   PaymentStatus = "CAPTURED"
	PayFailed     PaymentStatus = "FAILED"
)

// Payment tracks the order's single payment and the money that moved.
type Payment struct {
	ID              string        `json:"id"`
	Method          string        `json:"method"`
	Status          PaymentStatus `json:"status"`
	Amount          int64         `json:"amount"`
	Authorized      int64         `json:"authorized"`
	Captured        int64         `json:"captured"`
	Refunded        int64         `json:"refunded"`
	RefundRequested int64         `json:"refundRequested"`
	Failures        int64         `json:"failures"`
}

// Refundable is what was captured and not yet asked back. RefundRequested
// counts every refund asked for, including refunds the gateway made unasked,
// so Refunded <= RefundRequested <= Captured.
func (p Payment) Refundable() int64 { return p.Captured - p.RefundRequested }

// Reservation is stock held for the order.
type Reservation struct {
	ID    string         `json:"id"`
	Items []ItemQuantity `json:"items"`
}

// Shipment is one parcel handed to the carrier: some reserved units of the
// order, from one warehouse, and whether it was delivered.
type Shipment struct {
	ID             string         `json:"id"`
	WarehouseID    string         `json:"warehouseId"`
	Items          []ItemQuantity `json:"items"`
	Carrier        string         `json:"carrier"`
	TrackingNumber string         `json:"trackingNumber"`
	TrackingURL    string         `json:"trackingUrl"`
	Delivered      bool           `json:"delivered"`
}

// Tracking is a carrier tracking number.
type Tracking struct {
	ShipmentID     string `json:"shipmentId"`
	Carrier        string `json:"carrier"`
	TrackingNumber string `json:"trackingNumber"`
	TrackingURL    string `json:"trackingUrl"`
}

// Flag is a review flag; RequiresApproval holds fulfillment until Approved.
type Flag struct {
	Code             string `json:"code"`
	Reason           string `json:"reason"`
	RequiresApproval bool   `json:"requiresApproval"`
	Approved         bool   `json:"approved"`
}

// Return is a return request and whether its items came back.
type Return struct {
	ID       string         `json:"id"`
	Items    []ItemQuantity `json:"items"`
	Reason   string         `json:"reason"`
	Received bool           `json:"received"`
}

// Note is a customer or admin note.
type Note struct {
	Admin  bool      `json:"admin"`
	Text   string    `json:"text"`
	Author string    `json:"author"`
	At     time.Time `json:"at"`
}

// RecentCommand remembers an accepted command and the events it produced.
type RecentCommand struct {
	ID       string `json:"id"`
	FirstSeq int64  `json:"firstSeq"`
	LastSeq  int64  `json:"lastSeq"`
}

// Exists reports whether the order was created.
func (s State) Exists() bool { return s.Status != StatusNone }

// AwaitingApproval reports whether a flag holds fulfillment.
func (s State) AwaitingApproval() bool {
	return slices.ContainsFunc(s.Flags, func(f Flag) bool { return f.RequiresApproval && !f.Approved })
}

// Reserved returns how many units of a product are reserved.
func (s State) Reserved(productID string) int64 {
	var n int64
	for _, r := range s.Reservations {
		for _, it := range r.Items {
			if it.ProductID == productID {
				n += it.Quantity
			}
		}
	}
	return n
}

// FullyReserved reports whether every line's quantity is reserved.
func (s State) FullyReserved() bool {
	for _, l := range s.Lines {
		if s.Reserved(l.ProductID) < l.Quantity {
			return false
		}
	}
	return len(s.Lines) > 0
}

// FullyAllocated reports whether every unit of every line is either
// reserved or backordered: nothing is unaccounted for. Payment is captured,
// and shipments leave, only then.
func (s State) FullyAllocated() bool {
	for _, l := range s.Lines {
		if s.Reserved(l.ProductID)+l.Backordered < l.Quantity {
			return false
		}
	}
	return len(s.Lines) > 0
}

// Shipped returns how many units of a product left in shipments.
func (s State) Shipped(productID string) int64 {
	var n int64
	for _, sh := range s.Shipments {
		for _, it := range sh.Items {
			if it.ProductID == productID {
				n += it.Quantity
			}
		}
	}
	return n
}

// FullyShipped reports whether every unit of every line left in a shipment:
// none is backordered or reserved and waiting.
func (s State) FullyShipped() bool {
	for _, l := range s.Lines {
		if s.Shipped(l.ProductID) < l.Quantity {
			return false
		}
	}
	return len(s.Lines) > 0
}

// UndeliveredShipments returns the ids of the shipments not yet delivered,
// in dispatch order.
func (s State) UndeliveredShipments() []string {
	var out []string
	for _, sh := range s.Shipments {
		if !sh.Delivered {
			out = append(out, sh.ID)
		}
	}
	return out
}

// shipment returns the index of the shipment with id, or -1.
func (s State) shipment(id string) int {
	return slices.IndexFunc(s.Shipments, func(sh Shipment) bool { return sh.ID == id })
}

func (s State) line(productID string) (int, bool) {
	i := slices.IndexFunc(s.Lines, func(l Line) bool { return l.ProductID == productID })
	return i, i >= 0
}

func (s State) recent(commandID string) (RecentCommand, bool) {
	for _, r := range s.Recent {
		if r.ID == commandID {
			return r, true
		}
	}
	return RecentCommand{}, false
}

// Totals recomputes the money figures from lines, discounts, tax and shipping.
func (s State) Totals() Totals {
	var t Totals
	for _, l := range s.Lines {
		t.Subtotal += l.Amount()
	}
	for _, d := range s.Discounts {
		t.Discount += discountAmount(d, t.Subtotal)
	}
	t.Discount = min(t.Discount, t.Subtotal)
	t.Tax = mulRate(t.Subtotal-t.Discount, s.Tax.RatePPM)
	if s.Shipping != nil {
		t.Shipping = s.Shipping.Cost
	}
	t.Total = t.Subtotal - t.Discount + t.Tax + t.Shipping
	return t
}

func discountAmount(d Discount, subtotal int64) int64 {
	if d.PercentBps > 0 {
		return mulRate(subtotal, d.PercentBps*100)
	}
	return min(d.FixedAmount, subtotal)
}
