package chaos

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/e2e/internal/chaoskit"
	"github.com/orderlog/orderlog/integration"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/processor"
	"github.com/orderlog/orderlog/saga"
)

// orderLogs folds order.events, read read_committed, into every order's
// state with order.Evolve, and notes what no log may contain: a gap or a
// repeat in an order's sequence numbers, an event id seen twice (in any
// orders; both offsets reported), an event off its order's key or
// partition.
type orderLogs struct {
	serdes   processor.Serdes
	parts    int
	orders   map[string]*orderLog
	ids      chaoskit.EventIDs
	problems []string
	events   int
}

// orderLog is one order's fold and its events.
type orderLog struct {
	state  order.State
	events []order.Event
}

func newOrderLogs(s processor.Serdes, parts int) *orderLogs {
	return &orderLogs{serdes: s, parts: parts, orders: map[string]*orderLog{}, ids: chaoskit.EventIDs{}}
}

func (l *orderLogs) add(r *kgo.Record) {
	e, err := l.serdes.Events.Decode(r.Value)
	if err != nil {
		l.problems = append(l.problems, fmt.Sprintf("event at %d@%d: %v", r.Partition, r.Offset, err))
		return
	}
	l.events++
	o := l.orders[e.OrderID]
	if o == nil {
		o = &orderLog{}
		l.orders[e.OrderID] = o
	}
	if want := o.state.Version + 1; e.Seq != want {
		kind := "a gap"
		if e.Seq <= o.state.Version {
			kind = "a duplicate"
		}
		l.problems = append(l.problems, fmt.Sprintf("order %s: event %s (%s, caused by %s) at %d@%d has seq %d, want %d: %s",
			e.OrderID, e.ID, e.Type, e.CausationID, r.Partition, r.Offset, e.Seq, want, kind))
	}
	at := chaoskit.EventAt{OrderID: e.OrderID, Partition: r.Partition, Offset: r.Offset}
	if first, again := l.ids.Note(e.ID, at); again {
		l.problems = append(l.problems, fmt.Sprintf("event id %s twice on order.events: at %s and at %s (%s, seq %d)", e.ID, first, at, e.Type, e.Seq))
	}
	if string(r.Key) != e.OrderID || r.Partition != chaoskit.PartitionOf(e.OrderID, l.parts) {
		l.problems = append(l.problems, fmt.Sprintf("order %s: event %s with key %q on partition %d", e.OrderID, e.ID, r.Key, r.Partition))
	}
	o.state = order.Evolve(o.state, e)
	o.events = append(o.events, e)
}

// follower reads a topic read_committed from its start and hands each
// record to add, under mu, until ctx is done.
type follower struct{ mu sync.Mutex }

func follow(ctx context.Context, brokers []string, topic string, add func(*kgo.Record)) (*follower, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		return nil, err
	}
	f := &follower{}
	go func() {
		defer cl.Close()
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			f.mu.Lock()
			fs.EachRecord(add)
			f.mu.Unlock()
		}
	}()
	return f, nil
}

// settled says whether an order has come to rest: terminal (DELIVERED,
// RETURNED, or CANCELLED with every captured cent refunded and no stock
// held), or explicitly waiting (CONFIRMED or SHIPPED and held for approval,
// flagged for review — the saga flags an order (SHIPMENT_FAILED,
// SHIPMENT_OVERDUE, COMPENSATION_FAILED) when it gives up on a step and
// hands it to a person —, or waiting for backordered units with nothing
// else in flight). Otherwise it says what it still
// waits for.
func settled(o *orderLog) (bool, string) {
	s := o.state
	switch s.Status {
	case order.StatusDelivered, order.StatusReturned:
		return true, string(s.Status)
	case order.StatusCancelled:
		var why []string
		if s.Payment.Captured != s.Payment.Refunded {
			if refundHandedOver(o) {
				return true, "CANCELLED, refund handed to a person (COMPENSATION_FAILED)"
			}
			why = append(why, fmt.Sprintf("captured %d, refunded %d", s.Payment.Captured, s.Payment.Refunded))
		}
		if len(s.Reservations) > 0 {
			why = append(why, fmt.Sprintf("holds %d reservations", len(s.Reservations)))
		}
		if len(why) > 0 {
			return false, "CANCELLED, " + strings.Join(why, ", ")
		}
		return true, "CANCELLED"
	case order.StatusConfirmed, order.StatusShipped:
		if s.AwaitingApproval() {
			return true, string(s.Status) + ", held for approval"
		}
		for _, f := range s.Flags {
			if !f.RequiresApproval {
				return true, string(s.Status) + ", flagged " + f.Code
			}
		}
		if backordered(s) > 0 && unshippedReserved(s) == 0 {
			return true, string(s.Status) + ", waiting for backordered units"
		}
		return false, fmt.Sprintf("%s, no hold: %d units reserved and not shipped, %d backordered, undelivered shipments %v, cancellation requested %v",
			s.Status, unshippedReserved(s), backordered(s), s.UndeliveredShipments(), s.CancellationRequested)
	case order.StatusNone:
		return false, "no events"
	default:
		return false, string(s.Status)
	}
}

// refundHandedOver reports whether the saga gave up on a compensation (a
// refund, a void) and said so: a COMPENSATION_FAILED flag, or an admin note
// on a cancelled order (flags are refused there).
func refundHandedOver(o *orderLog) bool {
	for _, f := range o.state.Flags {
		if f.Code == "COMPENSATION_FAILED" {
			return true
		}
	}
	for _, n := range o.state.Notes {
		if n.Admin && strings.HasPrefix(n.Text, "COMPENSATION_FAILED") {
			return true
		}
	}
	return false
}

func backordered(s order.State) int64 {
	var n int64
	for _, l := range s.Lines {
		n += l.Backordered
	}
	return n
}

func unshippedReserved(s order.State) int64 {
	var n int64
	for _, l := range s.Lines {
		n += max(0, s.Reserved(l.ProductID)-s.Shipped(l.ProductID))
	}
	return n
}

// describe is an order's status and its last events, for a failure message.
func (o *orderLog) describe(last int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "status %s, version %d, payment %s captured %d refunded %d; last events:",
		o.state.Status, o.state.Version, o.state.Payment.Status, o.state.Payment.Captured, o.state.Payment.Refunded)
	for _, e := range o.events[max(0, len(o.events)-last):] {
		fmt.Fprintf(&b, "\n      #%d %s (by %s)%s", e.Seq, e.Type, e.CausationID, eventDetail(e))
	}
	return b.String()
}

func eventDetail(e order.Event) string {
	switch d := e.Data.(type) {
	case order.OrderStatusChanged:
		return fmt.Sprintf(": %s -> %s", d.PreviousStatus.Name, d.NewStatus.Name)
	case order.OrderCancelled:
		return ": " + d.Reason
	case order.OrderFlagged:
		return ": " + d.Code + " " + d.Reason
	case order.AdminNoteAdded:
		return ": " + d.Text
	case order.PaymentFailed:
		return ": " + d.Reason
	case order.ShipmentDispatched:
		return ": " + d.ShipmentID
	case order.OrderDelivered:
		return ": " + d.ShipmentID
	}
	return ""
}

// sagaSummary counts what a run went through: final statuses, and orders by
// the compensation paths their events show.
type sagaSummary struct {
	final    map[string]int // settled's description, or "UNSETTLED <status>"
	paths    map[string]int // orders per path
	cancels  map[string]int // cancelled orders per kind of reason
	unsettle []string
}

func summarize(logs *orderLogs, planned []*sagaOrder) *sagaSummary {
	s := &sagaSummary{final: map[string]int{}, paths: map[string]int{}, cancels: map[string]int{}}
	for _, p := range planned {
		o := logs.orders[p.id]
		if o == nil {
			o = &orderLog{}
		}
		ok, why := settled(o)
		if !ok {
			s.final["UNSETTLED "+string(o.state.Status)]++
			s.unsettle = append(s.unsettle, p.id)
		} else {
			s.final[why]++
		}
		types := map[order.EventType]int{}
		for _, e := range o.events {
			types[e.Type]++
			if f, ok := e.Data.(order.OrderFlagged); ok {
				s.paths["flagged "+f.Code]++
			}
		}
		count := func(name string, cond bool) {
			if cond {
				s.paths[name]++
			}
		}
		count("payment failed at least once", types[order.EvtPaymentFailed] > 0)
		count("paid on a later attempt", types[order.EvtPaymentFailed] > 0 && types[order.EvtPaymentCaptured] > 0)
		count("items backordered", types[order.EvtItemsBackordered] > 0)
		count("backorder arrived later (reserved after backordering)", backorderArrived(o))
		count("split into several shipments", types[order.EvtShipmentDispatched] > 1)
		count("cancellation requested", types[order.EvtOrderCancellationRequested] > 0)
		count("refund requested", types[order.EvtRefundRequested] > 0)
		count("refund recorded", types[order.EvtPaymentRefunded] > 0)
		count("inventory released", types[order.EvtInventoryReleased] > 0)
		count("approved", types[order.EvtOrderApproved] > 0)
		count("admin note", types[order.EvtAdminNoteAdded] > 0)
		if o.state.Status == order.StatusCancelled {
			s.cancels[cancelKind(o.state.CancelReason)]++
		}
	}
	return s
}

// backorderArrived reports whether a reservation came after the order's
// first ITEMS_BACKORDERED: a re-check found stock.
func backorderArrived(o *orderLog) bool {
	seen := false
	for _, e := range o.events {
		switch e.Type {
		case order.EvtItemsBackordered:
			seen = true
		case order.EvtInventoryReserved:
			if seen {
				return true
			}
		}
	}
	return false
}

// cancelKind groups the reasons the saga and the customers give.
func cancelKind(reason string) string {
	for _, k := range []struct{ prefix, kind string }{
		{"payment failed", "payment failed (declines)"},
		{"payment not authorized", "payment deadline"},
		{"inventory short", "inventory short"},
		{"inventory RESERVE", "inventory gave no answer"},
		{"cancellation requested", "cancellation requested (saga)"},
		{"customer cancelled", "CancelOrder by the customer"},
	} {
		if strings.HasPrefix(reason, k.prefix) {
			return k.kind
		}
	}
	return "other: " + reason
}

// formatCounts renders counts sorted by key.
func formatCounts(m map[string]int) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, m[k])
	}
	return strings.Join(parts, "; ")
}

// sagaCommandOutcomes counts the results of the saga's commands (ids
// "saga-...") by command type and status/code, from order.command-results.
func sagaCommandOutcomes(s processor.Serdes, recs []*kgo.Record) (counts map[string]int, examples, problems []string) {
	out := map[string]int{}
	for _, r := range recs {
		res, err := s.Results.Decode(r.Value)
		if err != nil {
			problems = append(problems, fmt.Sprintf("result at %d@%d: %v", r.Partition, r.Offset, err))
			continue
		}
		if !strings.HasPrefix(res.CommandID, "saga-") || res.Status == order.ResultAccepted {
			continue
		}
		k := fmt.Sprintf("%s %s %s", res.CommandType, res.Status, res.Code)
		if out[k] < 2 {
			examples = append(examples, fmt.Sprintf("%s: %s at version %d: %s", res.CommandID, k, res.Version, res.Message))
		}
		out[k]++
	}
	return out, examples, problems
}

// paymentTrail is what the (simulated) gateway confirmed for one payment.
type paymentTrail struct{ authorized, captured, voided, refunded bool }

// gateway is what the (simulated) payment gateway answered OK, read from
// payment.results: per order, per payment.
type gateway struct {
	serdes   saga.Serdes
	trails   map[string]map[string]*paymentTrail
	problems []string
}

func newGateway(s saga.Serdes) *gateway {
	return &gateway{serdes: s, trails: map[string]map[string]*paymentTrail{}}
}

func (g *gateway) add(r *kgo.Record) {
	res, err := g.serdes.PaymentRes.Decode(r.Value)
	if err != nil {
		g.problems = append(g.problems, fmt.Sprintf("payment result at %d@%d: %v", r.Partition, r.Offset, err))
		return
	}
	if res.Outcome != integration.OutcomeOK {
		return
	}
	if g.trails[res.OrderID] == nil {
		g.trails[res.OrderID] = map[string]*paymentTrail{}
	}
	p := g.trails[res.OrderID][res.PaymentID]
	if p == nil {
		p = &paymentTrail{}
		g.trails[res.OrderID][res.PaymentID] = p
	}
	switch res.Action {
	case integration.PayAuthorize:
		p.authorized = true
	case integration.PayCapture:
		p.captured = true
	case integration.PayVoid:
		p.voided = true
	case integration.PayRefund:
		p.refunded = true
	}
}

// moneyLeftAtGateway lists the payments of an order whose money the gateway
// still holds although the order does not keep it: every payment of a
// cancelled order, and every payment but the captured one of any other. A
// capture must have been refunded, an authorization voided (or captured
// and refunded) — unless the saga gave up on that and said so.
func moneyLeftAtGateway(o *orderLog, trails map[string]*paymentTrail) []string {
	if refundHandedOver(o) {
		return nil
	}
	var out []string
	for _, id := range slices.Sorted(maps.Keys(trails)) {
		p := trails[id]
		if o.state.Status != order.StatusCancelled && o.state.Payment.ID == id && o.state.Payment.Captured > 0 {
			continue // the order's own payment
		}
		switch {
		case p.captured && !p.refunded:
			out = append(out, fmt.Sprintf("payment %s captured at the gateway, never refunded", id))
		case p.authorized && !p.captured && !p.voided:
			out = append(out, fmt.Sprintf("payment %s authorized at the gateway, never voided", id))
		}
	}
	return out
}
