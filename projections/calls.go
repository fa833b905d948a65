package projections

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	gojson "github.com/goccy/go-json"

	"github.com/orderlog/orderlog/order"
)

// call is one run of the apply script: consecutive events of one order.
type call struct {
	orderID string
	shard   int
	idx     []int // indexes of the events in the batch
	first   int64
	// applying calls carry the view and the writes of their events;
	// others only ask the script to confirm duplicates or a gap.
	applying bool
	view     *View          // the view after the last event, when applying
	events   []*order.Event // when applying
	steps    []step         // per event, when applying: what the shard writes need
}

// step is what one event changed of its order, for the shard's writes.
type step struct {
	created            bool // the order's first event
	before, after      order.Status
	createdAt          int64 // ms
	customer, currency string
}

func (c *call) last() int64 { return c.first + int64(len(c.idx)) - 1 }

// plan appends the calls for one order's events of the batch: runs of
// consecutive events that follow the base (applying, with their views
// computed here), and runs the base says are duplicates or after a gap (no
// view: the script only confirms what they are).
func (a *applier) plan(calls []*call, id string, b base, idxs []int, events []order.Event) []*call {
	known, hasView := b.version, b.view != nil
	var view View // evolved in place: one copy per call, not per event
	if hasView {
		view = *b.view
	}
	var cur *call
	flush := func() {
		if cur != nil && cur.applying {
			after := view
			cur.view = &after
		}
		if cur != nil {
			calls = append(calls, cur)
		}
	}
	for _, ix := range idxs {
		e := &events[ix]
		applying := hasView && e.Seq == known+1
		if cur == nil || cur.applying != applying || len(cur.idx) >= a.maxChain || cur.last()+1 != e.Seq {
			flush()
			cur = &call{orderID: id, shard: shardOf(id), first: e.Seq, applying: applying}
		}
		cur.idx = append(cur.idx, ix)
		if applying {
			st := step{created: view.Version == 0, before: view.Status}
			view = Evolve(view, *e)
			st.after, st.createdAt = view.Status, view.CreatedAt.UnixMilli()
			st.customer, st.currency = view.CustomerID, view.Currency
			cur.steps = append(cur.steps, st)
			known = e.Seq
			cur.events = append(cur.events, e)
		}
	}
	flush()
	return calls
}

// jsonArena renders JSON for a chunk of calls into one growing buffer, so
// that a chunk costs a few allocations instead of one per view and event.
// The slices it returns stay valid (a grown buffer leaves the old one to
// them) until the arena is reset, after the chunk has been sent.
//
// It encodes with github.com/goccy/go-json, whose output is encoding/json's
// byte for byte (HTML escaped, invalid UTF-8 replaced, U+2028 escaped; held
// by TestArenaJSONIsEncodingJSONs) at less than half the CPU: rendering
// views and events was the largest part of the projector's own work.
type jsonArena struct {
	buf bytes.Buffer
	enc *gojson.Encoder
}

func newJSONArena() *jsonArena {
	a := &jsonArena{}
	a.enc = gojson.NewEncoder(&a.buf) // escapes HTML, as json.Marshal does
	return a
}

func (a *jsonArena) marshal(v any) ([]byte, error) {
	start := a.buf.Len()
	if err := a.enc.Encode(v); err != nil {
		return nil, err
	}
	b := a.buf.Bytes()
	return b[start : len(b)-1 : len(b)-1], nil // without Encode's newline
}

func (a *jsonArena) reset() { a.buf.Reset() }

// script is a call's KEYS and ARGV, as applySource or shardSource reads
// them.
type script struct {
	keys []string
	args []any
}

// scripts renders the call's order script: the view and the events' JSON
// for an applying call.
func (a *applier) scripts(c *call, buf *jsonArena) script {
	order := script{keys: []string{a.k.order(c.orderID)}}
	if !c.applying {
		order.args = []any{len(c.idx), c.first, ""}
		return order
	}
	order.keys = append(order.keys, a.k.orderEvents(c.orderID))
	view, err := buf.marshal(c.view)
	if err != nil { // a View always marshals; a failure is a bug
		panic(fmt.Sprintf("marshal view of order %s: %v", c.orderID, err))
	}
	order.args = make([]any, 0, 3+len(c.events))
	order.args = append(order.args, len(c.idx), c.first, view)
	for _, e := range c.events {
		b, err := buf.marshal(e)
		if err != nil { // an order.Event always marshals; a failure is a bug
			panic(fmt.Sprintf("marshal event %s of order %s: %v", e.ID, e.OrderID, err))
		}
		order.args = append(order.args, b)
	}
	return order
}

// shardRun adds to s, the call of the run's shard, the run of call c (its
// index ci in the chunk) from its event index from on (0: the whole run;
// more when the shard already has the first ones): the shard's writes of
// those events (doc.go's key table: the events-by-type index, the
// per-minute counters, the order's sets and status counter, the revenue),
// summed over them: the events-by-type members in one ZADD per type, the
// per-minute counters per field, the revenue per field, and the order's
// move from its status before events[from] to its status after the last.
// The shard script applies a run whole or not at all, so its writes can be
// summed.
func (a *applier) shardRun(s *shardCall, ci int, c *call, now time.Time, from int) {
	sh := c.shard
	evs, steps := c.events[from:], c.steps[from:]
	s.begin(ci, c.orderID, c.first+int64(from), len(evs))

	type field struct{ key, name string }
	var types []order.EventType
	var minuteKeys []string
	var minuteFields, revenueFields []field
	typeArgs := map[order.EventType][]any{}
	var minute time.Time // of minuteKey: consecutive events mostly share it
	var minuteKey string
	minuteExp := map[string]int64{}
	counts := map[field]int64{}
	cutoff := now.Add(-a.typeRetention)
	for i, e := range evs {
		if !e.Time.Before(cutoff) {
			if _, ok := typeArgs[e.Type]; !ok {
				types = append(types, e.Type)
			}
			typeArgs[e.Type] = append(typeArgs[e.Type], e.Time.UnixMilli(), typeMember(e.OrderID, e.Seq))
		}
		m := e.Time.Truncate(time.Minute)
		if exp := m.Add(a.minuteTTL); exp.After(now) {
			if minuteKey == "" || !m.Equal(minute) {
				minute, minuteKey = m, a.k.minute(sh, e.Time)
			}
			k := minuteKey
			if _, ok := minuteExp[k]; !ok {
				minuteKeys = append(minuteKeys, k)
			}
			minuteExp[k] = exp.Unix()
			f := field{k, string(e.Type)}
			if _, ok := counts[f]; !ok {
				minuteFields = append(minuteFields, f)
			}
			counts[f]++
		}
		var f field
		var amount int64
		switch d := e.Data.(type) {
		case order.PaymentCaptured:
			f, amount = field{a.k.revenue(sh), revenueField(orCurrency(d.Currency, steps[i].currency), e.Time)}, d.Amount
		case order.PaymentRefunded:
			f, amount = field{a.k.revenue(sh), revenueField(orCurrency(d.Currency, steps[i].currency), e.Time)}, -d.Amount
		default:
			continue
		}
		if _, ok := counts[f]; !ok {
			revenueFields = append(revenueFields, f)
		}
		counts[f] += amount
	}
	for _, t := range types {
		s.op("Z", a.k.typeIndex(sh, t), typeArgs[t]...)
	}
	for _, f := range minuteFields {
		s.op("H", f.key, f.name, counts[f])
	}
	for _, k := range minuteKeys {
		s.op("E", k, minuteExp[k])
	}
	for _, f := range revenueFields {
		if counts[f] != 0 {
			s.op("C", f.key, f.name, counts[f])
		}
	}
	first, last := steps[0], steps[len(steps)-1]
	created := strconv.FormatInt(last.createdAt, 10)
	if first.created {
		s.op("Z", a.k.orders(sh), created, c.orderID)
		s.op("Z", a.k.customer(sh, last.customer), created, c.orderID)
	}
	if first.before != last.after {
		if first.before != order.StatusNone {
			s.op("R", a.k.status(sh, first.before), c.orderID)
			s.op("C", a.k.statusCounts(sh), string(first.before), -1)
		}
		s.op("Z", a.k.status(sh, last.after), created, c.orderID)
		s.op("C", a.k.statusCounts(sh), string(last.after), 1)
	}
	a.attentionOp(s, sh, c.orderID, c.view)
	s.end()
}

// shardCalls renders the shard writes of a chunk's applying calls: one
// shard script call per shard the chunk touches, its runs in the chunk's
// order (so an order's runs stay in sequence) and their writes merged, a
// shard's runs split over more calls when they would pass maxShardArgs
// arguments.
func (a *applier) shardCalls(calls []*call, now time.Time) []*shardCall {
	var by [NumShards]*shardCall
	var out []*shardCall
	for i, c := range calls {
		if !c.applying {
			continue
		}
		s := by[c.shard]
		if s == nil || s.size >= maxShardArgs {
			s = newShardCall(a.k, c.shard, true)
			by[c.shard] = s
			out = append(out, s)
		}
		a.shardRun(s, i, c, now, 0)
	}
	return out
}

func orCurrency(c, fallback string) string {
	if c != "" {
		return c
	}
	return fallback
}
