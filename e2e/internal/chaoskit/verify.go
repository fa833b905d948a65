package chaoskit

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

// Counter counts the committed records of a topic as they arrive.
type Counter struct{ N atomic.Int64 }

// CountRecords follows topic read_committed from its start until ctx is done.
func CountRecords(ctx context.Context, brokers []string, topic string) (*Counter, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		return nil, err
	}
	c := &Counter{}
	go func() {
		defer cl.Close()
		for ctx.Err() == nil {
			c.N.Add(int64(cl.PollFetches(ctx).NumRecords()))
		}
	}()
	return c, nil
}

// WaitStable waits until no transaction is open on any partition of topics:
// the last stable offset equals the high watermark everywhere. A killed
// processor's transaction stays open until the broker times it out.
func WaitStable(ctx context.Context, adm *kadm.Client, topics ...string) error {
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

// ReadAll reads topic read_committed from the start to its high watermark.
// Call it once WaitStable has returned.
func ReadAll(ctx context.Context, brokers []string, adm *kadm.Client, topic string) ([]*kgo.Record, error) {
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

// Verdict is what Verify found.
type Verdict struct {
	Problems []string
	byStatus map[order.ResultStatus]int
	results  int
	Events   int
	States   int
}

func (v *Verdict) problem(format string, args ...any) {
	v.Problems = append(v.Problems, fmt.Sprintf(format, args...))
}

// Verify checks what a run wrote, read whole with ReadAll, against its
// plan: the results, events, states and dead letters of a topic set with
// parts partitions.
func Verify(p *Plan, s processor.Serdes, parts int, results, events, states, dlq []*kgo.Record) *Verdict {
	return (&checker{p: p, serdes: s, parts: parts, results: results, events: events, states: states, dlq: dlq}).check()
}

// ReadAndVerify reads every topic of names to its end, read_committed,
// once no transaction is open, and checks it against the plan.
func ReadAndVerify(ctx context.Context, t testing.TB, brokers []string, adm *kadm.Client, names topics.Names, p *Plan, parts int) *Verdict {
	t.Helper()
	require.NoError(t, WaitStable(ctx, adm, names.Results, names.Events, names.State, names.DLQ))
	var recs [4][]*kgo.Record
	for i, topic := range []string{names.Results, names.Events, names.State, names.DLQ} {
		var err error
		recs[i], err = ReadAll(ctx, brokers, adm, topic)
		require.NoError(t, err)
	}
	return Verify(p, Serdes(t), parts, recs[0], recs[1], recs[2], recs[3])
}

// CheckEvents checks events alone (gapless per order, every event id
// once, keyed and partitioned by order) and returns the problems found.
func CheckEvents(s processor.Serdes, parts int, events []*kgo.Record) []string {
	v := &Verdict{}
	(&checker{serdes: s, parts: parts, events: events}).checkEvents(v)
	return v.Problems
}

// Folds is the fold of every order's events with order.Evolve.
func Folds(s processor.Serdes, parts int, events []*kgo.Record) (map[string]order.State, []string) {
	v := &Verdict{}
	_, folds := (&checker{serdes: s, parts: parts, events: events}).checkEvents(v)
	return folds, v.Problems
}

// checker verifies the topics against the plan.
type checker struct {
	p       *Plan
	serdes  processor.Serdes
	parts   int
	results []*kgo.Record
	events  []*kgo.Record
	states  []*kgo.Record
	dlq     []*kgo.Record
}

func (c *checker) check() *Verdict {
	v := &Verdict{byStatus: map[order.ResultStatus]int{}, results: len(c.results), Events: len(c.events), States: len(c.states)}
	for _, r := range c.dlq {
		v.problem("dead-lettered: key %s offset %d: %s", r.Key, r.Offset, Header(r, topics.HeaderDLQError))
	}
	byCause, folds := c.checkEvents(v)
	c.checkResults(v, byCause)
	c.checkStates(v, folds)
	return v
}

// checkEvents: per order, sequence numbers 1..n; every event id once in the
// whole log (a repeat is reported with both offsets); returns the
// event ids by causing command and the fold of every order's events.
func (c *checker) checkEvents(v *Verdict) (map[string][]string, map[string]order.State) {
	byCause := map[string][]string{}
	folds := map[string]order.State{}
	ids := EventIDs{}
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
		if first, again := ids.Note(e.ID, EventAt{e.OrderID, r.Partition, r.Offset}); again {
			v.problem("event id %s twice on order.events: at %s and at %s", e.ID, first, EventAt{e.OrderID, r.Partition, r.Offset})
		}
		if string(r.Key) != e.OrderID || r.Partition != PartitionOf(e.OrderID, c.parts) {
			v.problem("order %s: event %s with key %q on partition %d", e.OrderID, e.ID, r.Key, r.Partition)
		}
		folds[e.OrderID] = order.Evolve(s, e)
		byCause[e.CausationID] = append(byCause[e.CausationID], e.ID)
	}
	return byCause, folds
}

// EventAt is where an event is on order.events.
type EventAt struct {
	OrderID   string
	Partition int32
	Offset    int64
}

func (a EventAt) String() string {
	return fmt.Sprintf("%d@%d (order %s)", a.Partition, a.Offset, a.OrderID)
}

// EventIDs is where each event id was first seen on order.events, across
// all orders: an id must appear once in the whole log.
type EventIDs map[string]EventAt

// Note records id at at, unless it was seen before: then it returns where,
// and true.
func (ids EventIDs) Note(id string, at EventAt) (first EventAt, again bool) {
	if first, again = ids[id]; !again {
		ids[id] = at
	}
	return first, again
}

// checkResults: per order, one result per command record, in order, each
// the predicted one, naming exactly the events its command caused.
func (c *checker) checkResults(v *Verdict, byCause map[string][]string) {
	got := map[string][]order.CommandResult{}
	for _, r := range c.results {
		res, err := c.serdes.Results.Decode(r.Value)
		if err != nil {
			v.problem("result at %d@%d: %v", r.Partition, r.Offset, err)
			continue
		}
		if r.Partition != PartitionOf(res.OrderID, c.parts) {
			v.problem("result of %s on partition %d", res.CommandID, r.Partition)
		}
		got[res.OrderID] = append(got[res.OrderID], res)
		v.byStatus[res.Status]++
	}
	for id, want := range c.p.ByOrder {
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

func (c *checker) checkResult(v *Verdict, w *Planned, r order.CommandResult, byCause map[string][]string) {
	if r.CommandID != w.Cmd.ID {
		v.problem("order %s: result for %s where %s (%s) was next", w.Cmd.OrderID, r.CommandID, w.Cmd.ID, w.Cmd.Type)
		return
	}
	if r.Status != w.Want || r.Code != w.Code {
		v.problem("order %s: %s (%s, resend %v): got %s %s %q, want %s %s",
			w.Cmd.OrderID, w.Cmd.ID, w.Cmd.Type, w.Resend, r.Status, r.Code, r.Message, w.Want, w.Code)
	}
	caused := byCause[r.CommandID]
	switch r.Status {
	case order.ResultAccepted, order.ResultDuplicate:
		if !slices.Equal(r.EventIDs, caused) {
			v.problem("order %s: %s result %s names events %v, the log has %v", w.Cmd.OrderID, r.Status, r.CommandID, r.EventIDs, caused)
		}
	case order.ResultRejected:
		// A rejected command id caused no event: resent, it is rejected
		// again (the order remembers it), never accepted.
		if len(r.EventIDs) > 0 || len(caused) > 0 {
			v.problem("order %s: rejected %s names events %v, the log has %v", w.Cmd.OrderID, r.CommandID, r.EventIDs, caused)
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
func (c *checker) checkStates(v *Verdict, folds map[string]order.State) {
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

// Summary counts the results by status: "ACCEPTED 19800, DUPLICATE 540, ...".
func (v *Verdict) Summary() string {
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

// Header is the value of r's header key, or "".
func Header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// PartitionOf is where kgo's default partitioner (murmur2, as the Java
// client) puts an order.
func PartitionOf(orderID string, n int) int32 {
	return int32(kgo.StickyKeyPartitioner(nil).ForTopic("").Partition(&kgo.Record{Key: []byte(orderID)}, n))
}

// withoutMemory is s without what it remembers of the commands it handled
// (order.State.Recent and Handled): rejections leave no event, so the
// memory is not a fold of the events; everything else is.
func withoutMemory(s order.State) order.State {
	s.Recent, s.Handled = nil, order.Handled{}
	return s
}
