package projections

import (
	"slices"
	"strings"
	"time"

	"github.com/orderlog/orderlog/order"
)

// AttentionKind is why an order needs a support person (doc.go, "Needs
// attention").
type AttentionKind string

// The kinds, most urgent first (AttentionKinds).
const (
	// AttentionCompensationFailed: the saga could not undo something (a
	// refund, a void, a release, a restock refused or never answered; the
	// order refused its RecordRefund or CancelOrder): a flag
	// COMPENSATION_FAILED, SAGA_REFUND_REJECTED or SAGA_CANCEL_REJECTED, or
	// on a closed order the saga's admin note with such a code.
	AttentionCompensationFailed AttentionKind = "COMPENSATION_FAILED"
	// AttentionHeld: a flag that requires approval holds fulfillment
	// (order.State.AwaitingApproval); only ApproveOrder lifts it.
	AttentionHeld AttentionKind = "HELD_FOR_APPROVAL"
	// AttentionOverdue: the saga flagged a missed shipment or delivery
	// deadline (SHIPMENT_OVERDUE, DELIVERY_OVERDUE), or the estimated
	// delivery date passed without a delivery.
	AttentionOverdue AttentionKind = "OVERDUE"
	// AttentionFlagged: any other review flag that is neither approved nor
	// acknowledged.
	AttentionFlagged AttentionKind = "FLAGGED"
	// AttentionStuck: a PLACED or CONFIRMED order, with no flag and nothing
	// backordered, that had no event for StuckAfter: the saga moves such
	// an order on in seconds to minutes, so nothing visible is in flight.
	AttentionStuck AttentionKind = "STUCK"
)

// AttentionKinds lists the kinds, most urgent first.
var AttentionKinds = []AttentionKind{AttentionCompensationFailed, AttentionHeld, AttentionOverdue, AttentionFlagged, AttentionStuck}

// StuckAfter is how long a PLACED or CONFIRMED order may go without an
// event before it counts as stuck. It is part of the attention index's
// scores (doc.go): changing it takes effect for an order at its next event,
// or for all at a rebuild. The saga's own deadlines are longer for
// payment (15 min, then it cancels) and much longer for shipping (48 h,
// then it flags), so a stuck order is one those deadlines did not catch.
const StuckAfter = 30 * time.Minute

// sagaNoteSuffix ends the admin note the saga writes instead of a flag on
// a closed order (fulfillment's flagOrNote: "CODE: why; needs a person").
const sagaNoteSuffix = "; needs a person"

// AttentionReason is one reason an order needs attention.
type AttentionReason struct {
	Kind AttentionKind `json:"kind"`
	// Code is the flag's or note's code (COMPENSATION_FAILED,
	// SHIPMENT_OVERDUE, an admin's own code), empty for STUCK and for an
	// estimated delivery date that passed.
	Code   string `json:"code,omitempty"`
	Reason string `json:"reason"`
	// Since is when the reason arose: the flag's or note's event time, the
	// estimated delivery date, the order's last event (STUCK).
	Since time.Time `json:"since"`
	// Due is when it counts: Since, or StuckAfter past the last event, or
	// the end of the estimated delivery day.
	Due time.Time `json:"-"`
}

// AttentionItem is one order of the needs-attention list: its most urgent
// reason first, then the others.
type AttentionItem struct {
	OrderID    string            `json:"orderId"`
	CustomerID string            `json:"customerId"`
	Status     order.Status      `json:"status"`
	Version    int64             `json:"version"`
	UpdatedAt  time.Time         `json:"updatedAt"`
	Reasons    []AttentionReason `json:"reasons"`
}

// Attention returns the reasons the order needs attention at now, most
// urgent first, and whether there is any.
func Attention(v View, now time.Time) (AttentionItem, bool) {
	var due []AttentionReason
	for _, r := range attentionReasons(v) {
		if !r.Due.After(now) {
			if r.Kind == AttentionStuck {
				r.Reason = "no event for " + now.Sub(r.Since).Round(time.Minute).String() + " in " + string(v.Status) +
					"; the saga shows nothing in flight"
			}
			due = append(due, r)
		}
	}
	if len(due) == 0 {
		return AttentionItem{}, false
	}
	slices.SortStableFunc(due, func(a, b AttentionReason) int {
		return slices.Index(AttentionKinds, a.Kind) - slices.Index(AttentionKinds, b.Kind)
	})
	return AttentionItem{OrderID: v.OrderID, CustomerID: v.CustomerID, Status: v.Status, Version: v.Version,
		UpdatedAt: v.UpdatedAt, Reasons: due}, true
}

// attentionDue is when the order first needs attention if no further
// event comes (its score in the attention index), and false if it never
// will.
func attentionDue(v View) (time.Time, bool) {
	var first time.Time
	for _, r := range attentionReasons(v) {
		if first.IsZero() || r.Due.Before(first) {
			first = r.Due
		}
	}
	return first, !first.IsZero()
}

// attentionReasons derives every reason from the view alone, due now or
// later; Attention filters them by the clock.
func attentionReasons(v View) []AttentionReason {
	if !v.Exists() {
		return nil
	}
	closed := v.Status == order.StatusCancelled || v.Status == order.StatusReturned
	var out []AttentionReason
	for i, f := range v.Flags {
		since := v.flagTime(i)
		kind := flagKind(f)
		switch {
		case f.Approved:
			continue
		case closed && kind != AttentionCompensationFailed:
			continue // a hold or a deadline of an order that is over
		case !f.RequiresApproval && v.acknowledged(since):
			continue
		}
		out = append(out, AttentionReason{Kind: kind, Code: f.Code, Reason: strings.TrimSuffix(f.Reason, sagaNoteSuffix), Since: since, Due: since})
	}
	for _, n := range v.Notes {
		code, why, ok := sagaNote(n)
		if !ok || v.acknowledged(n.At) {
			continue
		}
		out = append(out, AttentionReason{Kind: flagKind(order.Flag{Code: code}), Code: code, Reason: why, Since: n.At, Due: n.At})
	}
	if closed {
		return out
	}
	if (v.Status == order.StatusPlaced || v.Status == order.StatusConfirmed) && len(out) == 0 && !backordered(v.State) {
		out = append(out, AttentionReason{Kind: AttentionStuck, Reason: "no event in " + string(v.Status),
			Since: v.UpdatedAt, Due: v.UpdatedAt.Add(StuckAfter)})
	}
	if sh := v.Shipping; sh != nil && !sh.EstimatedDeliveryDate.IsZero() && !delivered(v.Status) {
		edd := sh.EstimatedDeliveryDate.UTC()
		end := time.Date(edd.Year(), edd.Month(), edd.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
		out = append(out, AttentionReason{Kind: AttentionOverdue,
			Reason: "estimated delivery " + edd.Format(time.DateOnly) + " passed without a delivery", Since: edd, Due: end})
	}
	return out
}

// flagTime is when flag i was raised (View.FlagTimes); a view projected
// before FlagTimes existed answers its last update.
func (v View) flagTime(i int) time.Time {
	if i < len(v.FlagTimes) {
		return v.FlagTimes[i]
	}
	return v.UpdatedAt
}

// acknowledged reports whether a person wrote an admin note at or after
// since: a flag that holds nothing, or the saga's note, then leaves the
// list (the note says what was done).
func (v View) acknowledged(since time.Time) bool {
	return slices.ContainsFunc(v.Notes, func(n order.Note) bool {
		_, _, saga := sagaNote(n)
		return n.Admin && !saga && !n.At.Before(since)
	})
}

// sagaNote parses the saga's "CODE: why; needs a person" admin note.
func sagaNote(n order.Note) (code, why string, ok bool) {
	if !n.Admin || !strings.HasSuffix(n.Text, sagaNoteSuffix) {
		return "", "", false
	}
	code, why, ok = strings.Cut(strings.TrimSuffix(strings.TrimSuffix(n.Text, sagaNoteSuffix), sagaNoteSuffix), ": ")
	if !ok || code == "" || strings.ContainsAny(code, " \t") {
		return "", "", false
	}
	return code, why, true
}

func flagKind(f order.Flag) AttentionKind {
	switch {
	case f.Code == "COMPENSATION_FAILED" || f.Code == "SAGA_REFUND_REJECTED" || f.Code == "SAGA_CANCEL_REJECTED":
		return AttentionCompensationFailed
	case f.RequiresApproval:
		return AttentionHeld
	case f.Code == "SHIPMENT_OVERDUE" || f.Code == "DELIVERY_OVERDUE":
		return AttentionOverdue
	}
	return AttentionFlagged
}

func delivered(s order.Status) bool {
	switch s {
	case order.StatusDelivered, order.StatusReturnRequested, order.StatusReturned:
		return true
	}
	return false
}

func backordered(s order.State) bool {
	return slices.ContainsFunc(s.Lines, func(l order.Line) bool { return l.Backordered > 0 })
}

// attentionOp adds the order's entry in its shard's attention index to a
// shard script: ZADD with the time it needs attention (now or later), or
// ZREM when it never will.
func (a *applier) attentionOp(s *shardCall, shard int, orderID string, v *View) {
	if due, ok := attentionDue(*v); ok {
		s.op("Z", a.k.attention(shard), due.UnixMilli(), orderID)
		return
	}
	s.op("R", a.k.attention(shard), orderID)
}
