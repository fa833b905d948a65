package chaoskit

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/saga"
	"github.com/orderlog/orderlog/topics"
)

// SagaWatch follows a saga run's order.events and payment.results as the
// run goes, to tell when every planned order has come to rest; the verdict
// (ReadAndVerifySaga) reads the topics again at the end.
type SagaWatch struct {
	planned   []*SagaOrder
	logs      *OrderLogs
	gw        *Gateway
	ev, payFl *Follower
}

// WatchSaga follows the topics of names until ctx is done.
func WatchSaga(ctx context.Context, t testing.TB, brokers []string, names topics.Names, planned []*SagaOrder, parts int) *SagaWatch {
	t.Helper()
	ss, err := saga.NewSerdes(ctx, topics.NewNames(""), nil)
	require.NoError(t, err)
	w := &SagaWatch{planned: planned, logs: NewOrderLogs(Serdes(t), parts), gw: NewGateway(ss)}
	w.ev, err = Follow(ctx, brokers, names.Events, w.logs.Add)
	require.NoError(t, err)
	w.payFl, err = Follow(ctx, brokers, names.PaymentResults, w.gw.Add)
	require.NoError(t, err)
	return w
}

// Unsettled lists the orders not at rest: not Settled, or with money left
// at the gateway (a void or refund may still be on its way); why counts
// them by the gist of the reason; events is how many events were read.
func (w *SagaWatch) Unsettled() (ids []string, why map[string]int, events int) {
	w.ev.Mu.Lock()
	defer w.ev.Mu.Unlock()
	w.payFl.Mu.Lock()
	defer w.payFl.Mu.Unlock()
	why = map[string]int{}
	for _, p := range w.planned {
		o := w.logs.Order(p.ID)
		ok, reason := Settled(o)
		if ok && len(w.gw.MoneyLeft(o, p.ID)) > 0 {
			ok, reason = false, string(o.State.Status)+", money left at the gateway"
		}
		if !ok {
			ids = append(ids, p.ID)
			why[coarse(reason)]++
		}
	}
	return ids, why, w.logs.Events
}

// AtRest reports whether every planned order has come to rest.
func (w *SagaWatch) AtRest() bool {
	ids, _, _ := w.Unsettled()
	return len(ids) == 0
}

// Progress is a line for the log: events read, orders not at rest and why.
func (w *SagaWatch) Progress() string {
	ids, why, events := w.Unsettled()
	return fmt.Sprintf("%d events, %d unsettled: %s", events, len(ids), FormatCounts(why))
}

// coarse is the gist of why an order is not settled, to count them: the
// reason up to its first detail.
func coarse(why string) string {
	if i := strings.IndexAny(why, ":0123456789"); i > 0 {
		why = why[:i]
	}
	return strings.TrimRight(why, " ,")
}

// SagaVerdict is what ReadAndVerifySaga found.
type SagaVerdict struct {
	Problems []string
	Summary  *SagaSummary
	Events   int
	// Refused counts the saga's commands that were not accepted, by
	// type and status/code; RefusedExamples shows two of each.
	Refused         map[string]int
	RefusedExamples []string
	// Last is the order that came to rest last, with its events up to
	// then and their times: what the run's settling waited for at the end.
	Last string
}

// ReadAndVerifySaga reads a saga run's order.events, results, dead letters
// and payment.results whole, read_committed, once no transaction is open,
// and checks them: every planned order settled (Settled), no money left at
// the gateway, every order's events gapless with no event id twice,
// nothing dead-lettered.
func ReadAndVerifySaga(ctx context.Context, t testing.TB, brokers []string, adm *kadm.Client, names topics.Names, planned []*SagaOrder, parts int) *SagaVerdict {
	t.Helper()
	require.NoError(t, WaitStable(ctx, adm, names.Events, names.Results, names.DLQ, names.PaymentResults))
	read := func(topic string) []*kgo.Record {
		recs, err := ReadAll(ctx, brokers, adm, topic)
		require.NoError(t, err)
		return recs
	}
	serde := Serdes(t)
	logs := NewOrderLogs(serde, parts)
	for _, r := range read(names.Events) {
		logs.Add(r)
	}
	v := &SagaVerdict{Events: logs.Events}
	var resProblems []string
	v.Refused, v.RefusedExamples, resProblems = SagaCommandOutcomes(serde, read(names.Results))
	dlq := read(names.DLQ)
	ss, err := saga.NewSerdes(ctx, topics.NewNames(""), nil)
	require.NoError(t, err)
	gw := NewGateway(ss)
	for _, r := range read(names.PaymentResults) {
		gw.Add(r)
	}

	v.Summary = Summarize(logs, planned)
	v.Last = lastToRest(logs, planned)
	v.Problems = append(v.Problems, logs.Problems...)
	v.Problems = append(v.Problems, resProblems...)
	v.Problems = append(v.Problems, gw.Problems...)
	for _, p := range planned {
		if o := logs.Orders[p.ID]; o != nil {
			for _, m := range gw.MoneyLeft(o, p.ID) {
				v.Problems = append(v.Problems, fmt.Sprintf("order %s: %s: %s", p.ID, m, o.Describe(8)))
			}
		}
	}
	for _, r := range dlq {
		v.Problems = append(v.Problems, fmt.Sprintf("dead-lettered: key %s offset %d: %s", r.Key, r.Offset, Header(r, topics.HeaderDLQError)))
	}
	for _, id := range v.Summary.Unsettled { // money left at the gateway is listed above
		o := logs.Orders[id]
		if o == nil {
			v.Problems = append(v.Problems, fmt.Sprintf("order %s: no events at all", id))
			continue
		}
		_, why := Settled(o)
		v.Problems = append(v.Problems, fmt.Sprintf("order %s not settled (%s): %s", id, why, o.Describe(12)))
	}
	return v
}

// lastToRest describes the planned order that came to rest last: the one
// whose log settled (Settled, and stayed so) at the latest event.
func lastToRest(logs *OrderLogs, planned []*SagaOrder) string {
	var id string
	var last *OrderLog
	at := -1
	for _, p := range planned {
		o := logs.Order(p.ID)
		if i := restedAt(o); i >= 0 && (last == nil || o.Events[i].Time.After(last.Events[at].Time)) {
			id, last, at = p.ID, o, i
		}
	}
	if last == nil {
		return "none"
	}
	var b strings.Builder
	first := last.Events[0].Time
	fmt.Fprintf(&b, "order %s, %s after its first event, at event #%d of %d:", id, last.Events[at].Time.Sub(first).Round(time.Millisecond), at+1, len(last.Events))
	for _, e := range last.Events[:at+1] {
		fmt.Fprintf(&b, "\n      +%s #%d %s (by %s)%s", e.Time.Sub(first).Round(time.Millisecond), e.Seq, e.Type, e.CausationID, eventDetail(e))
	}
	return b.String()
}

// restedAt is the index of the event from which on o's log is Settled, or
// -1 if it does not end settled.
func restedAt(o *OrderLog) int {
	at := -1
	var prefix OrderLog
	for i, e := range o.Events {
		prefix.State = order.Evolve(prefix.State, e)
		if ok, _ := Settled(&prefix); !ok {
			at = -1
		} else if at < 0 {
			at = i
		}
	}
	return at
}

// Log writes the verdict's counts: final statuses, compensation paths,
// reasons for cancelling, the saga's refused commands.
func (v *SagaVerdict) Log(t testing.TB) {
	t.Helper()
	t.Logf("final: %s", FormatCounts(v.Summary.Final))
	t.Logf("paths (orders): %s", FormatCounts(v.Summary.Paths))
	t.Logf("cancelled because: %s", FormatCounts(v.Summary.Cancels))
	t.Logf("saga commands not accepted: %s", FormatCounts(v.Refused))
	for _, e := range v.RefusedExamples {
		t.Logf("  e.g. %s", e)
	}
	t.Logf("last to come to rest: %s", v.Last)
}

// Unexercised names the compensation paths the run did not go through: a
// run that never took them proved nothing about them.
func (v *SagaVerdict) Unexercised() []string {
	s := v.Summary
	var out []string
	for _, need := range []struct {
		what string
		n    int
	}{
		{"orders DELIVERED", s.Final["DELIVERED"]},
		{"orders with a PAYMENT_FAILED", s.Paths["payment failed at least once"]},
		{"orders cancelled for their payment or stock", s.Cancels["payment failed (declines)"] + s.Cancels["payment deadline"] +
			s.Cancels["inventory short"] + s.Cancels["inventory gave no answer"]},
		{"orders with ITEMS_BACKORDERED", s.Paths["items backordered"]},
		{"orders cancelled on request", s.Cancels["cancellation requested (saga)"] + s.Cancels["CancelOrder by the customer"]},
	} {
		if need.n == 0 {
			out = append(out, need.what)
		}
	}
	return out
}

// SagaSummary counts what a run went through: final statuses, and orders
// by the compensation paths their events show.
type SagaSummary struct {
	Final     map[string]int // Settled's description, or "UNSETTLED <status>"
	Paths     map[string]int // orders per path
	Cancels   map[string]int // cancelled orders per kind of reason
	Unsettled []string       // the orders not settled
}

// Summarize counts the planned orders' final statuses and paths.
func Summarize(logs *OrderLogs, planned []*SagaOrder) *SagaSummary {
	s := &SagaSummary{Final: map[string]int{}, Paths: map[string]int{}, Cancels: map[string]int{}}
	for _, p := range planned {
		o := logs.Order(p.ID)
		ok, why := Settled(o)
		if !ok {
			s.Final["UNSETTLED "+string(o.State.Status)]++
			s.Unsettled = append(s.Unsettled, p.ID)
		} else {
			s.Final[why]++
		}
		types := map[order.EventType]int{}
		for _, e := range o.Events {
			types[e.Type]++
			if f, ok := e.Data.(order.OrderFlagged); ok {
				s.Paths["flagged "+f.Code]++
			}
		}
		count := func(name string, cond bool) {
			if cond {
				s.Paths[name]++
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
		if o.State.Status == order.StatusCancelled {
			s.Cancels[cancelKind(o.State.CancelReason)]++
		}
	}
	return s
}

// backorderArrived reports whether a reservation came after the order's
// first ITEMS_BACKORDERED: a re-check found stock.
func backorderArrived(o *OrderLog) bool {
	seen := false
	for _, e := range o.Events {
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

// FormatCounts renders counts sorted by key: "a: 1; b: 2".
func FormatCounts(m map[string]int) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, m[k])
	}
	return strings.Join(parts, "; ")
}
