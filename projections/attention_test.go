package projections

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
)

// story builds one order's events, a minute apart from t0.
type story struct {
	id  string
	t0  time.Time
	evs []order.Event
}

func newStory(id string, t0 time.Time) *story {
	s := &story{id: id, t0: t0}
	return s.add(order.OrderCreated{CustomerID: "alice", Currency: "EUR", InitialStatus: order.StatusRef{Name: order.StatusDraft}})
}

func (s *story) add(d order.EventData) *story {
	n := int64(len(s.evs) + 1)
	s.evs = append(s.evs, order.Event{ID: fmt.Sprintf("%s-%d", s.id, n), OrderID: s.id, Type: d.EventType(),
		Seq: n, Time: s.t0.Add(time.Duration(n-1) * time.Minute), Data: d})
	return s
}

func (s *story) status(to order.Status) *story {
	var from order.Status
	if len(s.evs) > 0 {
		from = Fold(s.evs).Status
	}
	return s.add(order.OrderStatusChanged{PreviousStatus: order.StatusRef{Name: from}, NewStatus: order.StatusRef{Name: to}})
}

func (s *story) placed() *story {
	return s.add(order.OrderItemsAdded{Items: []order.LineItem{{ProductID: "sku-1", Quantity: 2, UnitPrice: 500}}}).status(order.StatusPlaced)
}

func (s *story) flag(code string, hold bool) *story {
	return s.add(order.OrderFlagged{Code: code, Reason: "why " + code, RequiresApproval: hold})
}

func (s *story) note(text string) *story {
	return s.add(order.AdminNoteAdded{Text: text, Author: "root"})
}

func (s *story) last() time.Time { return s.evs[len(s.evs)-1].Time }

func TestAttentionDerivesEachKindFromTheView(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		story  *story
		after  time.Duration // now = the last event + after
		want   []AttentionKind
		codes  []string
		since  int    // the most urgent reason's event (seq), 0: not checked
		reason string // the most urgent reason's text, "": not checked
	}{
		{name: "a draft never needs attention", story: newStory("o", t0), after: 48 * time.Hour},
		{name: "a fresh placed order is fine", story: newStory("o", t0).placed(), after: StuckAfter - time.Minute},
		{name: "a placed order with no event for StuckAfter is stuck", story: newStory("o", t0).placed(), after: StuckAfter,
			want: []AttentionKind{AttentionStuck}, since: 3},
		{name: "a confirmed order waiting for backordered stock is not stuck",
			story: newStory("o", t0).placed().status(order.StatusConfirmed).add(order.ItemsBackordered{Items: []order.ItemQuantity{{ProductID: "sku-1", Quantity: 1}}}),
			after: 10 * StuckAfter},
		{name: "a shipped order is not stuck (carriers take days)", story: newStory("o", t0).placed().status(order.StatusConfirmed).status(order.StatusShipped),
			after: 10 * StuckAfter},
		{name: "a holding flag is held for approval at once", story: newStory("o", t0).placed().flag("HIGH_VALUE", true),
			want: []AttentionKind{AttentionHeld}, codes: []string{"HIGH_VALUE"}, since: 4},
		{name: "an approval lifts the hold", story: newStory("o", t0).placed().flag("HIGH_VALUE", true).add(order.OrderApproved{ApprovedBy: "root"}),
			after: time.Minute},
		{name: "a note does not lift a hold", story: newStory("o", t0).placed().flag("HIGH_VALUE", true).note("looked at it"),
			want: []AttentionKind{AttentionHeld}, codes: []string{"HIGH_VALUE"}},
		{name: "a flag that holds nothing is flagged", story: newStory("o", t0).placed().flag("SHIPMENT_FAILED", false),
			want: []AttentionKind{AttentionFlagged}, codes: []string{"SHIPMENT_FAILED"}},
		{name: "a person's note after a flag acknowledges it", story: newStory("o", t0).placed().flag("SHIPMENT_FAILED", false).note("called the carrier"),
			after: 10 * StuckAfter, want: []AttentionKind{AttentionStuck}},
		{name: "the saga's overdue flags are overdue", story: newStory("o", t0).placed().status(order.StatusConfirmed).flag("SHIPMENT_OVERDUE", false),
			want: []AttentionKind{AttentionOverdue}, codes: []string{"SHIPMENT_OVERDUE"}},
		{name: "a failed compensation comes first", story: newStory("o", t0).placed().flag("HIGH_VALUE", true).flag("COMPENSATION_FAILED", false),
			want: []AttentionKind{AttentionCompensationFailed, AttentionHeld}, codes: []string{"COMPENSATION_FAILED", "HIGH_VALUE"}, since: 5},
		{name: "a refused refund is a failed compensation", story: newStory("o", t0).placed().status(order.StatusConfirmed).
			flag("SAGA_REFUND_REJECTED", false),
			want: []AttentionKind{AttentionCompensationFailed}, codes: []string{"SAGA_REFUND_REJECTED"}},
		{name: "the saga's refused ship step is flagged", story: newStory("o", t0).placed().status(order.StatusConfirmed).
			add(order.OrderFlagged{Code: "SAGA_SHIP_REJECTED", Reason: "ShipOrder: PRECONDITION_FAILED: no shipping details; needs a person"}),
			want: []AttentionKind{AttentionFlagged}, codes: []string{"SAGA_SHIP_REJECTED"}, reason: "ShipOrder: PRECONDITION_FAILED: no shipping details"},
		{name: "the saga's doubled suffix on a closed order's note is cut",
			story: newStory("o", t0).placed().status(order.StatusCancelled).note("SAGA_REFUND_REJECTED: RecordRefund: gone; needs a person; needs a person"),
			want:  []AttentionKind{AttentionCompensationFailed}, codes: []string{"SAGA_REFUND_REJECTED"}, reason: "RecordRefund: gone"},
		{name: "a closed order keeps only its failed compensation",
			story: newStory("o", t0).placed().flag("HIGH_VALUE", true).flag("COMPENSATION_FAILED", false).status(order.StatusCancelled),
			want:  []AttentionKind{AttentionCompensationFailed}, codes: []string{"COMPENSATION_FAILED"}},
		{name: "the saga's note on a closed order needs a person",
			story: newStory("o", t0).placed().status(order.StatusCancelled).note("COMPENSATION_FAILED: refund r-1 refused: closed card; needs a person"),
			want:  []AttentionKind{AttentionCompensationFailed}, codes: []string{"COMPENSATION_FAILED"}, since: 5},
		{name: "a person's note after the saga's note acknowledges it",
			story: newStory("o", t0).placed().status(order.StatusCancelled).note("COMPENSATION_FAILED: refund r-1 refused: closed card; needs a person").note("refunded by bank transfer"),
			after: 48 * time.Hour},
		{name: "a shipment after cancellation needs a person",
			story: newStory("o", t0).placed().status(order.StatusCancelled).note("SHIPPED_AFTER_CANCELLATION: the carrier took shipment s-1; recall it; needs a person"),
			want:  []AttentionKind{AttentionFlagged}, codes: []string{"SHIPPED_AFTER_CANCELLATION"}},
		{name: "an estimated delivery day that ended is overdue",
			story: newStory("o", t0).add(order.ShippingDetailsUpdated{RecipientName: "A", EstimatedDeliveryDate: t0.Add(24 * time.Hour)}).placed().
				status(order.StatusConfirmed).status(order.StatusShipped),
			after: 48 * time.Hour, want: []AttentionKind{AttentionOverdue}},
		{name: "a delivered order is never overdue",
			story: newStory("o", t0).add(order.ShippingDetailsUpdated{RecipientName: "A", EstimatedDeliveryDate: t0.Add(24 * time.Hour)}).placed().
				status(order.StatusConfirmed).status(order.StatusShipped).status(order.StatusDelivered),
			after: 72 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Fold(tc.story.evs)
			now := tc.story.last().Add(tc.after)
			item, ok := Attention(v, now)
			var kinds []AttentionKind
			var codes []string
			for _, r := range item.Reasons {
				kinds = append(kinds, r.Kind)
				if r.Code != "" {
					codes = append(codes, r.Code)
				}
				require.NotEmpty(t, r.Reason)
				require.False(t, r.Since.After(now), "a reason is never from the future")
			}
			require.Equal(t, tc.want, kinds)
			require.Equal(t, len(tc.want) > 0, ok)
			if tc.codes != nil {
				require.Equal(t, tc.codes, codes)
			}
			if tc.reason != "" {
				require.Equal(t, tc.reason, item.Reasons[0].Reason)
			}
			if tc.since > 0 {
				require.Equal(t, tc.story.evs[tc.since-1].Time, item.Reasons[0].Since)
			}
			if ok {
				require.Equal(t, "o", item.OrderID)
				require.Equal(t, v.Version, item.Version)
			}
			// The index's score says when the first reason becomes due: at
			// or before now when there is one, after now when there is not.
			due, indexed := attentionDue(v)
			if ok {
				require.True(t, indexed)
				require.False(t, due.After(now))
			} else if indexed {
				require.True(t, due.After(now), "due %s, now %s", due, now)
			}
		})
	}
}

// TestReaderAttentionListsWhatTheIndexSays projects orders through the
// shard script and reads the list at a clock that moves: the held and
// compensation-failed orders at once, oldest first; the placed one once it
// is stuck; the approved and the delivered ones never.
func TestReaderAttentionListsWhatTheIndexSays(t *testing.T) {
	onEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		prefix := testPrefix(t, rdb)
		t0 := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Millisecond)
		held := newStory("held", t0.Add(10*time.Minute)).placed().flag("HIGH_VALUE", true)
		comp := newStory("comp", t0).placed().status(order.StatusCancelled).note("COMPENSATION_FAILED: void v-1 refused: gone; needs a person")
		approved := newStory("approved", t0).placed().flag("HIGH_VALUE", true).add(order.OrderApproved{ApprovedBy: "root"}).
			status(order.StatusConfirmed).status(order.StatusShipped)
		placed := newStory("placed", t0.Add(20*time.Minute)).placed()
		var all []order.Event
		for _, s := range []*story{held, comp, approved, placed} {
			all = append(all, s.evs...)
		}
		applyAll(t, newTestApplier(rdb, prefix, 0), all, 7)

		now := placed.last().Add(StuckAfter - time.Second)
		r, err := NewReader(ReaderConfig{Redis: rdb, Prefix: prefix, Now: func() time.Time { return now }})
		require.NoError(t, err)
		ids := func(l AttentionList) []string {
			var out []string
			for _, it := range l.Orders {
				out = append(out, it.OrderID)
			}
			return out
		}
		l, err := r.Attention(ctx, 0)
		require.NoError(t, err)
		require.Equal(t, []string{"comp", "held"}, ids(l), "oldest reason first")
		require.Equal(t, int64(2), l.Total)
		require.Equal(t, AttentionCompensationFailed, l.Orders[0].Reasons[0].Kind)
		require.Equal(t, AttentionHeld, l.Orders[1].Reasons[0].Kind)

		now = now.Add(time.Second)
		l, err = r.Attention(ctx, 0)
		require.NoError(t, err)
		require.Equal(t, []string{"comp", "held", "placed"}, ids(l))
		require.Equal(t, AttentionStuck, l.Orders[2].Reasons[0].Kind)

		l, err = r.Attention(ctx, 1)
		require.NoError(t, err)
		require.Len(t, l.Orders, 1, "the limit")
		require.Equal(t, int64(3), l.Total, "the total counts them all")

		// Approving the held order takes it off the list.
		more := held.add(order.OrderApproved{ApprovedBy: "root"})
		more.evs[len(more.evs)-1].Time = now
		applyAll(t, newTestApplier(rdb, prefix, 0), more.evs[len(more.evs)-1:], 1)
		l, err = r.Attention(ctx, 0)
		require.NoError(t, err)
		require.Equal(t, []string{"comp", "placed"}, ids(l))
	})
}
