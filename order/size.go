package order

import (
	"math/bits"
	"time"
)

// The size of a state on order.state. A state is one Kafka record, and a
// record above the broker's limit (1 MB by default) cannot be written, so
// every state a command produces must stay within Policy.MaxStateBytes.
// EncodedSizeBound computes an upper bound of a state's encoded size
// without encoding it: Avro binary is a concatenation of its fields, a long
// a zigzag varint, a string its length and bytes, an array its item count,
// its items and a 0, a union its branch index and value. The bound counts
// those exactly and adds the longest framing; schemas tests prove it is
// never below the encoded size, and that it is exact, so a State field it
// forgot to count shows up there.

// framingBound is the longest framing of a record: single-object encoding
// (0xC3 0x01 and an 8-byte fingerprint); the Confluent one is 5 bytes.
const framingBound = 10

// EncodedSizeBound returns an upper bound, in bytes, of the size of s
// encoded as an order.state record value (Avro with its framing). It is a
// pure function of s and costs a walk over the state's lists.
func EncodedSizeBound(s State) int { return measure(&s).total() }

// stateSizes is the encoded size of a state in parts, so a rejection can
// name what fills it.
type stateSizes struct {
	order, lines, discounts, details, reservations, shipments, tracking, flags, returns, notes, memory int
}

func (z stateSizes) total() int {
	return framingBound + z.order + z.lines + z.discounts + z.details + z.reservations + z.shipments + z.tracking +
		z.flags + z.returns + z.notes + z.memory
}

// largest names the largest list of the state and its size.
func (z stateSizes) largest() (string, int) {
	name, size := "", -1
	for _, p := range []struct {
		name string
		size int
	}{
		{"lines", z.lines}, {"discounts", z.discounts}, {"shipping and billing details", z.details},
		{"reservations", z.reservations}, {"shipments", z.shipments}, {"tracking numbers", z.tracking},
		{"flags", z.flags}, {"returns", z.returns}, {"notes", z.notes},
		{"memory of handled commands", z.memory},
	} {
		if p.size > size {
			name, size = p.name, p.size
		}
	}
	return name, size
}

func measure(s *State) stateSizes {
	var z stateSizes
	z.order = strSize(s.OrderID) + strSize(s.OrderNumber) + strSize(s.CustomerID) + strSize(s.Currency) +
		strSize(string(s.Status)) + longSize(s.Version) + timeSize(s.CreatedAt) + timeSize(s.UpdatedAt) +
		strSize(s.Tax.Jurisdiction) + longSize(s.Tax.RatePPM) + 1 +
		strSize(s.Payment.ID) + strSize(s.Payment.Method) + strSize(string(s.Payment.Status)) +
		longSize(s.Payment.Amount) + longSize(s.Payment.Authorized) + longSize(s.Payment.Captured) +
		longSize(s.Payment.Refunded) + longSize(s.Payment.RefundRequested) + longSize(s.Payment.Failures) +
		1 + strSize(s.CancelReason) + longSize(s.Notifications)
	z.lines = arraySize(s.Lines, func(l *Line) int {
		return strSize(l.ProductID) + strSize(l.Name) + longSize(l.Quantity) + longSize(l.UnitPrice) +
			longSize(l.Returning) + longSize(l.Backordered)
	})
	z.discounts = arraySize(s.Discounts, func(d *Discount) int {
		return strSize(d.Code) + strSize(d.Description) + longSize(d.PercentBps) + longSize(d.FixedAmount)
	})
	z.details = 2 // the union indexes of shipping and billing
	if sh := s.Shipping; sh != nil {
		z.details += strSize(sh.RecipientName) + addressSize(&sh.Address) + strSize(sh.Method) + longSize(sh.Cost) +
			timeSize(sh.EstimatedDeliveryDate)
	}
	if b := s.Billing; b != nil {
		z.details += strSize(b.Name) + strSize(b.Email) + addressSize(&b.Address)
	}
	z.reservations = arraySize(s.Reservations, func(r *Reservation) int { return strSize(r.ID) + itemsSize(r.Items) })
	z.shipments = arraySize(s.Shipments, func(sh *Shipment) int {
		return strSize(sh.ID) + strSize(sh.WarehouseID) + itemsSize(sh.Items) + strSize(sh.Carrier) +
			strSize(sh.TrackingNumber) + strSize(sh.TrackingURL) + 1
	})
	z.tracking = arraySize(s.Tracking, func(t *Tracking) int {
		return strSize(t.ShipmentID) + strSize(t.Carrier) + strSize(t.TrackingNumber) + strSize(t.TrackingURL)
	})
	z.flags = arraySize(s.Flags, func(f *Flag) int { return strSize(f.Code) + strSize(f.Reason) + 2 })
	z.returns = arraySize(s.Returns, func(r *Return) int {
		return strSize(r.ID) + itemsSize(r.Items) + strSize(r.Reason) + 1
	})
	z.notes = arraySize(s.Notes, func(n *Note) int { return 1 + strSize(n.Text) + strSize(n.Author) + timeSize(n.At) })
	z.memory = arraySize(s.Recent, func(r *RecentCommand) int {
		return strSize(r.ID) + longSize(r.FirstSeq) + longSize(r.LastSeq)
	}) + handledSize(&s.Handled)
	return z
}

func handledSize(h *Handled) int {
	return arraySize(h.Accepted, acceptedSize) + arraySize(h.Rejected, rejectedSize)
}

func acceptedSize(a *AcceptedCommand) int {
	return longSize(a.Fingerprint) + longSize(a.Version) + longSize(a.Events)
}

func rejectedSize(r *RejectedCommand) int {
	return longSize(r.Fingerprint) + longSize(r.Version) + strSize(string(r.Code)) + strSize(r.Field) + strSize(r.Message)
}

func addressSize(a *Address) int {
	return strSize(a.Line1) + strSize(a.Line2) + strSize(a.City) + strSize(a.State) + strSize(a.PostalCode) + strSize(a.Country)
}

func itemsSize(items []ItemQuantity) int {
	return arraySize(items, func(it *ItemQuantity) int {
		return strSize(it.ProductID) + longSize(it.Quantity) + strSize(it.WarehouseID)
	})
}

// arraySize is the encoded size of an array: one block of items and the
// terminating 0, or the 0 alone.
func arraySize[T any](xs []T, item func(*T) int) int {
	if len(xs) == 0 {
		return 1
	}
	n := longSize(int64(len(xs))) + 1
	for i := range xs {
		n += item(&xs[i])
	}
	return n
}

// longSize is the length of a zigzag varint.
func longSize(v int64) int {
	u := uint64(v<<1) ^ uint64(v>>63)
	return (bits.Len64(u|1) + 6) / 7
}

func strSize(s string) int { return longSize(int64(len(s))) + len(s) }

// timeSize is the size of a timestamp-millis; the zero time is written as 0.
func timeSize(t time.Time) int {
	if t.IsZero() {
		return 1
	}
	return longSize(t.Unix()*1e3 + int64(t.Nanosecond()/1e6))
}

// budget is the largest state the policy lets a command produce.
func (p *Policy) budget() int {
	if p.MaxStateBytes > 0 {
		return p.MaxStateBytes
	}
	return DefaultMaxStateBytes
}

// rejectionMark is the size up to which a rejection is remembered: the
// budget less the reserve kept for accepted commands.
func (p *Policy) rejectionMark() int {
	reserve := p.StateReserveBytes
	if reserve <= 0 {
		reserve = DefaultStateReserveBytes
	}
	return p.budget() - reserve
}

// checkBudget refuses a state above the policy's budget, naming what fills it.
func (p *Policy) checkBudget(s *State) error {
	z := measure(s)
	size := z.total()
	if size <= p.budget() {
		return nil
	}
	what, n := z.largest()
	return overLimit("data", "the order's state would take %d bytes, above its budget of %d; its %s take %d bytes",
		size, p.budget(), what, n)
}
