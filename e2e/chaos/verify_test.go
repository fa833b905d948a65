package chaos

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/processor"
	"github.com/orderlog/orderlog/topics"
)

// counter counts the committed records of a topic as they arrive.
type counter struct{ n atomic.Int64 }

// countRecords follows topic read_committed from its start until ctx is done.
func countRecords(ctx context.Context, brokers []string, topic string) (*counter, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		return nil, err
	}
	c := &counter{}
	go func() {
		defer cl.Close()
		for ctx.Err() == nil {
			c.n.Add(int64(cl.PollFetches(ctx).NumRecords()))
		}
	}()
	return c, nil
}

// waitStable waits until no transaction is open on any partition of topics:
// the last stable offset equals the high watermark everywhere. A killed
// processor's transaction stays open until the broker times it out.
func waitStable(ctx context.Context, adm *kadm.Client, topics ...string) error {
	for {
		ends, err := adm.ListEndOffsets(ctx, topics...)
		if err == nil {
			var stable kadm.ListedOffsets
			stable, err = adm.ListCommittedOffsets(ctx, topics...)
			if err == nil {
				open := 0
				ends.Each(func(e kadm.ListedOffset) {
					if s, ok := stable.Lookup(e.Topic, e.Partition); !ok || s.Offset != e.Offset {
						open++
					}
				})
				if open == 0 {
					return nil
				}
				err = fmt.Errorf("%d partitions with an open transaction", open)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("topics not stable: %w (last: %v)", ctx.Err(), err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// readAll reads topic read_committed from the start to its high watermark.
// Call it once waitStable has returned.
func readAll(ctx context.Context, brokers []string, adm *kadm.Client, topic string) ([]*kgo.Record, error) {
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, err
	}
	want := map[int32]int64{}
	ends.Each(func(e kadm.ListedOffset) {
		if e.Offset > 0 {
			want[e.Partition] = e.Offset
		}
	})
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(), kgo.FetchMaxBytes(64<<20))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	var out []*kgo.Record
	for len(want) > 0 {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("read %s: %w; %d partitions short of their end", topic, err, len(want))
		}
		fs.EachRecord(func(r *kgo.Record) {
			if end, ok := want[r.Partition]; ok && r.Offset+1 >= end {
				delete(want, r.Partition)
			}
			if !r.Attrs.IsControl() {
				out = append(out, r)
			}
		})
	}
	return out, nil
}

// verdict is what the verification found.
type verdict struct {
	problems []string
	byStatus map[order.ResultStatus]int
	results  int
	events   int
	states   int
}

func (v *verdict) problem(format string, args ...any) {
	v.problems = append(v.problems, fmt.Sprintf(format, args...))
}

// checker verifies the topics against the plan.
type checker struct {
	p       *plan
	serdes  processor.Serdes
	parts   int
	results []*kgo.Record
	events  []*kgo.Record
	states  []*kgo.Record
	dlq     []*kgo.Record
}

func (c *checker) check() *verdict {
	v := &verdict{byStatus: map[order.ResultStatus]int{}, results: len(c.results), events: len(c.events), states: len(c.states)}
	for _, r := range c.dlq {
		v.problem("dead-lettered: key %s offset %d: %s", r.Key, r.Offset, header(r, topics.HeaderDLQError))
	}
	byCause, folds := c.checkEvents(v)
	c.checkResults(v, byCause)
	c.checkStates(v, folds)
	return v
}

// checkEvents: per order, sequence numbers 1..n; every event id once in the
// whole log (a repeat is reported with both offsets); returns the
// event ids by causing command and the fold of every order's events.
func (c *checker) checkEvents(v *verdict) (map[string][]string, map[string]order.State) {
	byCause := map[string][]string{}
	folds := map[string]order.State{}
	ids := eventIDs{}
	for _, r := range c.events {
		e, err := c.serdes.Events.Decode(r.Value)
		if err != nil {
			v.problem("event at %d@%d: %v", r.Partition, r.Offset, err)
			continue
		}
		s := folds[e.OrderID]
		if want := s.Version + 1; e.Seq != want {
			kind := "a gap"
			if e.Seq <= s.Version {
				kind = "a duplicate"
			}
			v.problem("order %s: event %s (%s, caused by %s) at %d@%d has seq %d, want %d: %s",
				e.OrderID, e.ID, e.Type, e.CausationID, r.Partition, r.Offset, e.Seq, want, kind)
		}
		if first, again := ids.note(e.ID, eventAt{e.OrderID, r.Partition, r.Offset}); again {
			v.problem("event id %s twice on order.events: at %s and at %s", e.ID, first, eventAt{e.OrderID, r.Partition, r.Offset})
		}
		if string(r.Key) != e.OrderID || r.Partition != partitionOf(e.OrderID, c.parts) {
			v.problem("order %s: event %s with key %q on partition %d", e.OrderID, e.ID, r.Key, r.Partition)
		}
		folds[e.OrderID] = order.Evolve(s, e)
		byCause[e.CausationID] = append(byCause[e.CausationID], e.ID)
	}
	return byCause, folds
}

// eventAt is where an event is on order.events.
type eventAt struct {
	orderID   string
	partition int32
	offset    int64
}

func (a eventAt) String() string {
	return fmt.Sprintf("%d@%d (order %s)", a.partition, a.offset, a.orderID)
}

// eventIDs is where each event id was first seen on order.events, across
// all orders: an id must appear once in the whole log.
type eventIDs map[string]eventAt

// note records id at at, unless it was seen before: then it returns where,
// and true.
func (ids eventIDs) note(id string, at eventAt) (first eventAt, again bool) {
	if first, again = ids[id]; !again {
		ids[id] = at
	}
	return first, again
}

// checkResults: per order, one result per command record, in order, each
// the predicted one, naming exactly the events its command caused.
func (c *checker) checkResults(v *verdict, byCause map[string][]string) {
	got := map[string][]order.CommandResult{}
	for _, r := range c.results {
		res, err := c.serdes.Results.Decode(r.Value)
		if err != nil {
			v.problem("result at %d@%d: %v", r.Partition, r.Offset, err)
			continue
		}
		if r.Partition != partitionOf(res.OrderID, c.parts) {
			v.problem("result of %s on partition %d", res.CommandID, r.Partition)
		}
		got[res.OrderID] = append(got[res.OrderID], res)
		v.byStatus[res.Status]++
	}
	for id, want := range c.p.byOrder {
		rs := got[id]
		delete(got, id)
		if len(rs) != len(want) {
			v.problem("order %s: %d results for %d command records: %s", id, len(rs), len(want), resultIDs(rs))
		}
		for i := range min(len(rs), len(want)) {
			c.checkResult(v, want[i], rs[i], byCause)
		}
		for cmd, n := range acceptedTimes(rs) {
			if n > 1 {
				v.problem("order %s: command %s accepted %d times", id, cmd, n)
			}
		}
	}
	for id, rs := range got {
		v.problem("order %s was never sent, yet has %d results", id, len(rs))
	}
}

func (c *checker) checkResult(v *verdict, w *planned, r order.CommandResult, byCause map[string][]string) {
	if r.CommandID != w.cmd.ID {
		v.problem("order %s: result for %s where %s (%s) was next", w.cmd.OrderID, r.CommandID, w.cmd.ID, w.cmd.Type)
		return
	}
	if r.Status != w.want || r.Code != w.code {
		v.problem("order %s: %s (%s, resend %v): got %s %s %q, want %s %s",
			w.cmd.OrderID, w.cmd.ID, w.cmd.Type, w.resend, r.Status, r.Code, r.Message, w.want, w.code)
	}
	caused := byCause[r.CommandID]
	switch r.Status {
	case order.ResultAccepted, order.ResultDuplicate:
		if !slices.Equal(r.EventIDs, caused) {
			v.problem("order %s: %s result %s names events %v, the log has %v", w.cmd.OrderID, r.Status, r.CommandID, r.EventIDs, caused)
		}
	case order.ResultRejected:
		// A rejected command id caused no event: resent, it is rejected
		// again (the order remembers it), never accepted.
		if len(r.EventIDs) > 0 || len(caused) > 0 {
			v.problem("order %s: rejected %s names events %v, the log has %v", w.cmd.OrderID, r.CommandID, r.EventIDs, caused)
		}
	}
}

func acceptedTimes(rs []order.CommandResult) map[string]int {
	n := map[string]int{}
	for _, r := range rs {
		if r.Status == order.ResultAccepted {
			n[r.CommandID]++
		}
	}
	return n
}

// checkStates: the last state record of every order equals the fold of its
// events; orders without events have no state.
func (c *checker) checkStates(v *verdict, folds map[string]order.State) {
	last := map[string]order.State{}
	for _, r := range c.states {
		if r.Value == nil {
			delete(last, string(r.Key))
			continue
		}
		st, err := c.serdes.States.Decode(r.Value)
		if err != nil {
			v.problem("state at %d@%d: %v", r.Partition, r.Offset, err)
			continue
		}
		last[string(r.Key)] = st
	}
	for id, fold := range folds {
		st, ok := last[id]
		switch {
		case !ok:
			v.problem("order %s: no state record for %d events", id, fold.Version)
		case !reflect.DeepEqual(withoutMemory(fold), withoutMemory(st)):
			v.problem("order %s: last state (version %d) differs from the fold of its events (version %d)", id, st.Version, fold.Version)
		}
		delete(last, id)
	}
	for id := range last {
		v.problem("order %s has a state record but no events", id)
	}
}

func (v *verdict) summary() string {
	keys := make([]string, 0, len(v.byStatus))
	for k := range v.byStatus {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, v.byStatus[order.ResultStatus(k)]))
	}
	return strings.Join(parts, ", ")
}

func resultIDs(rs []order.CommandResult) string {
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.CommandID+":"+string(r.Status))
	}
	return strings.Join(ids, " ")
}

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// partitionOf is where kgo's default partitioner (murmur2, as the Java
// client) puts an order.
func partitionOf(orderID string, n int) int32 {
	return int32(kgo.StickyKeyPartitioner(nil).ForTopic("").Partition(&kgo.Record{Key: []byte(orderID)}, n))
}

// TestVerifiersReportAnEventIDTwiceWithBothOffsets: an event id in two
// orders' logs, each gapless on its own, is reported by the processor's
// verifier and by the saga's, naming where both are. Needs no test bed.
func TestVerifiersReportAnEventIDTwiceWithBothOffsets(t *testing.T) {
	s := serdes(t)
	event := func(orderID, eventID string, offset int64) *kgo.Record {
		v, err := s.Events.Encode(order.Event{ID: eventID, OrderID: orderID, Type: order.EvtOrderCreated, Seq: 1,
			Time: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC), ServiceID: order.ServiceID,
			Data: order.OrderCreated{CustomerID: "cust-1", OrderNumber: order.OrderNumber(orderID), Currency: "USD", InitialStatus: order.StatusDraft.Ref()}})
		require.NoError(t, err)
		return &kgo.Record{Key: []byte(orderID), Value: v, Partition: partitionOf(orderID, partitions), Offset: offset}
	}
	events := []*kgo.Record{event("o-1", "evt-1", 4), event("o-2", "evt-2", 5), event("o-3", "evt-1", 9)}
	want := fmt.Sprintf("event id evt-1 twice on order.events: at %d@4 (order o-1) and at %d@9 (order o-3)",
		partitionOf("o-1", partitions), partitionOf("o-3", partitions))

	v := &verdict{}
	(&checker{serdes: s, parts: partitions, events: events}).checkEvents(v)
	require.Equal(t, []string{want}, v.problems, "processor verifier")

	logs := newOrderLogs(s, partitions)
	for _, r := range events {
		logs.add(r)
	}
	require.Len(t, logs.problems, 1, "saga verifier: %q", logs.problems)
	require.True(t, strings.HasPrefix(logs.problems[0], want), "saga verifier: %q, want it to start with %q", logs.problems[0], want)
}

// withoutMemory is s without what it remembers of the commands it handled
// (order.State.Recent and Handled): rejections leave no event, so the
// memory is not a fold of the events; everything else is.
func withoutMemory(s order.State) order.State {
	s.Recent, s.Handled = nil, order.Handled{}
	return s
}
