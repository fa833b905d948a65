package projections

import (
	"slices"
	"time"

	"github.com/orderlog/orderlog/order"
)

// View is the read model of one order: the state the domain folds
// (order.Evolve), plus what readers want and the rules do not need — the
// status history, the totals, the approval and the source channel. Its JSON
// is stored in the order's hash and is what the API serves.
//
// The embedded State's fields appear flattened in the JSON under their
// order.State names (status, lines, payment, shipping, billing, notes,
// flags, tracking, returns, createdAt, updatedAt, version, ...), except
// Recent, the processor's dedup window, which a view does not keep.
type View struct {
	order.State

	// OmitRecent shadows State.Recent in the JSON (a shallower field of
	// the same name wins), so "recent" never appears. Always nil.
	OmitRecent *struct{} `json:"recent,omitempty"`

	SourceChannel string         `json:"sourceChannel,omitempty"`
	Totals        order.Totals   `json:"totals"`
	Approval      Approval       `json:"approval"`
	StatusHistory []StatusChange `json:"statusHistory"`
	// LastEventID is the id of the event that made this version.
	LastEventID string `json:"lastEventId"`
	// FlagTimes[i] is when Flags[i] was raised (the needs-attention list's
	// age; attention.go). Views projected before it existed lack it.
	FlagTimes []time.Time `json:"flagTimes,omitempty"`
}

// StatusChange is one ORDER_STATUS_CHANGED event.
type StatusChange struct {
	Seq         int64        `json:"seq"`
	From        order.Status `json:"from"`
	To          order.Status `json:"to"`
	Reason      string       `json:"reason"`
	TriggerType string       `json:"triggerType,omitempty"`
	At          time.Time    `json:"at"`
}

// Approval says whether a flag holds the order and who lifted the hold.
type Approval struct {
	Required   bool      `json:"required"`
	Pending    bool      `json:"pending"`
	ApprovedBy string    `json:"approvedBy,omitempty"`
	Comment    string    `json:"comment,omitempty"`
	ApprovedAt time.Time `json:"approvedAt,omitzero"`
}

// Evolve folds one event into the view. Like order.Evolve it never fails
// and never mutates slices shared with v, so views can be cached and
// evolved further.
func Evolve(v View, e order.Event) View {
	v.State = order.Evolve(v.State, e)
	v.State.Recent = nil
	v.OmitRecent = nil
	v.LastEventID = e.ID
	switch d := e.Data.(type) {
	case order.OrderCreated:
		v.SourceChannel = d.SourceChannel
	case order.OrderStatusChanged:
		v.StatusHistory = append(slices.Clip(v.StatusHistory), StatusChange{
			Seq: e.Seq, From: d.PreviousStatus.Name, To: d.NewStatus.Name,
			Reason: d.Reason, TriggerType: d.TriggerType, At: e.Time,
		})
	case order.OrderFlagged:
		v.FlagTimes = append(slices.Clip(v.FlagTimes), e.Time)
	case order.OrderApproved:
		v.Approval.ApprovedBy, v.Approval.Comment, v.Approval.ApprovedAt = d.ApprovedBy, d.Comment, e.Time
	}
	v.Totals = v.State.Totals()
	v.Approval.Required = slices.ContainsFunc(v.State.Flags, func(f order.Flag) bool { return f.RequiresApproval })
	v.Approval.Pending = v.State.AwaitingApproval()
	return v
}

// Fold folds events, in sequence, from the empty view.
func Fold(events []order.Event) View {
	var v View
	for _, e := range events {
		v = Evolve(v, e)
	}
	return v
}
