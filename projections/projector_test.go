package projections

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/order"
)

// testProjectsTheLogAndReplays produces the events of random orders, checks
// that the projection equals the fold of the events, and that replaying the
// whole log (a new group, the same prefix) finds every event a duplicate and
// changes nothing.
func testProjectsTheLogAndReplays(t *testing.T, b *bed, h *history, produce func(...order.Event)) {
	produce(h.log...)
	p, stop := b.start(b.config("first"))
	waitCaughtUp(t, p, 30*time.Second)
	stop()
	require.Equal(t, len(h.log), counter(p, Applied))
	want := expected(b.prefix, h.orders)
	got := snapshot(t, b.rdb, b.prefix)
	requireSameKeys(t, want, got)
	checkReader(t, b.reader(b.prefix), h)

	again, stop := b.start(b.config("replay"))
	waitCaughtUp(t, again, 30*time.Second)
	stop()
	assert.Equal(t, 0, counter(again, Applied))
	assert.Equal(t, len(h.log), counter(again, Duplicate))
	requireSameKeys(t, got, snapshot(t, b.rdb, b.prefix))
}

func TestProjectorOnKfake(t *testing.T) {
	b := kfakeBed(t)
	testProjectsTheLogAndReplays(t, b, genHistory(10, 300, 60, time.Now()), b.produce)
}

// On the real broker the events come in transactions, as the processor
// writes them, and an aborted transaction's events are never projected.
func TestProjectorOnRealKafka(t *testing.T) {
	onEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		b := realBedOn(t, rdb)
		h := genHistory(11, 150, 60, time.Now())
		txn, err := kgo.NewClient(kgo.SeedBrokers(b.brokers...), kgo.TransactionalID(b.group+"-txn"),
			kgo.RecordPartitioner(kgo.ManualPartitioner()))
		require.NoError(t, err)
		defer txn.Close()
		ctx := context.Background()
		inTxn := func(commit bool, events ...order.Event) {
			require.NoError(t, txn.BeginTransaction())
			for _, e := range events {
				txn.Produce(ctx, b.record(e, partitionOf(e.OrderID)), nil)
			}
			require.NoError(t, txn.Flush(ctx))
			require.NoError(t, txn.EndTransaction(ctx, kgo.TransactionEndTry(commit)))
		}
		// An aborted transaction with a bogus next event of the first order.
		bogus := h.orders[h.ids[0]][len(h.orders[h.ids[0]])-1]
		bogus.Seq, bogus.ID, bogus.Type, bogus.Data = bogus.Seq+1, "aborted", order.EvtAdminNoteAdded, order.AdminNoteAdded{Text: "never"}
		testProjectsTheLogAndReplays(t, b, h, func(events ...order.Event) {
			for start := 0; start < len(events); start += 500 {
				inTxn(true, events[start:min(start+500, len(events))]...)
				if start == 0 {
					inTxn(false, bogus)
				}
			}
		})
	})
}

// checkReader checks the read side against the events.
func checkReader(t *testing.T, r *Reader, h *history) {
	ctx := context.Background()
	jsonOf := func(v any) string {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		return string(b)
	}
	for _, id := range h.ids[:20] {
		evs := h.orders[id]
		v, err := r.Order(ctx, id)
		require.NoError(t, err)
		require.Equal(t, jsonOf(Fold(evs)), jsonOf(v))
		last := evs[len(evs)-1].Seq
		got, err := r.WaitForVersion(ctx, id, last, time.Second)
		require.NoError(t, err)
		require.Equal(t, last, got)
		_, err = r.WaitForVersion(ctx, id, last+1, 30*time.Millisecond)
		require.ErrorIs(t, err, context.DeadlineExceeded)

		all, err := r.Events(ctx, id, 1, 0)
		require.NoError(t, err)
		require.Equal(t, jsonOf(evs), jsonOf(all))
		mid, err := r.Events(ctx, id, 2, 3)
		require.NoError(t, err)
		require.Equal(t, jsonOf(evs[1:min(3, len(evs))]), jsonOf(mid))
		at, err := r.OrderAtVersion(ctx, id, 1)
		require.NoError(t, err)
		require.Equal(t, jsonOf(Fold(evs[:1])), jsonOf(at))
		k := len(evs) / 2
		at, err = r.OrderAt(ctx, id, evs[k].Time)
		require.NoError(t, err)
		n := 0
		for n < len(evs) && !evs[n].Time.After(evs[k].Time) {
			n++
		}
		require.Equal(t, jsonOf(Fold(evs[:n])), jsonOf(at))
	}
	_, err := r.Order(ctx, "no-such-order")
	require.ErrorIs(t, err, ErrNotFound)
	_, err = r.Events(ctx, "no-such-order", 1, 0)
	require.ErrorIs(t, err, ErrNotFound)

	// Every order once, newest first, through small pages.
	views := map[string]View{}
	byCustomer := map[string][]string{}
	byStatus := map[order.Status][]string{}
	for _, id := range h.ids {
		v := Fold(h.orders[id])
		views[id] = v
		byCustomer[v.CustomerID] = append(byCustomer[v.CustomerID], id)
		byStatus[v.Status] = append(byStatus[v.Status], id)
	}
	newestFirst := func(ids []string) []string {
		out := slices.Clone(ids)
		slices.SortFunc(out, func(a, b string) int {
			if c := views[b].CreatedAt.Compare(views[a].CreatedAt); c != 0 {
				return c
			}
			return -compareStrings(a, b)
		})
		return out
	}
	pageAll := func(read func(cursor string) (Page, error)) []string {
		var out []string
		cursor := ""
		for {
			pg, err := read(cursor)
			require.NoError(t, err)
			for _, v := range pg.Orders {
				out = append(out, v.OrderID)
			}
			if pg.Next == "" {
				return out
			}
			cursor = pg.Next
		}
	}
	require.Equal(t, newestFirst(h.ids), pageAll(func(c string) (Page, error) { return r.Orders(ctx, c, 37) }))
	for cust, ids := range byCustomer {
		require.Equal(t, newestFirst(ids), pageAll(func(c string) (Page, error) { return r.OrdersByCustomer(ctx, cust, c, 3) }), cust)
	}
	for st, ids := range byStatus {
		require.Equal(t, newestFirst(ids), pageAll(func(c string) (Page, error) { return r.OrdersByStatus(ctx, st, c, 5) }), st)
	}
	_, err = r.Orders(ctx, "not a cursor!", 5)
	require.ErrorIs(t, err, ErrBadCursor)

	// Events by type and time, newest first.
	var created []order.Event
	for _, e := range h.log {
		if e.Type == order.EvtOrderCreated {
			created = append(created, e)
		}
	}
	got, err := r.EventsByType(ctx, order.EvtOrderCreated, time.Time{}, time.Time{}, 1000)
	require.NoError(t, err)
	require.Len(t, got, len(created))
	for i := 1; i < len(got); i++ {
		require.False(t, got[i].Time.After(got[i-1].Time), "newest first")
	}
	from, to := created[len(created)/4].Time, created[len(created)/2].Time
	got, err = r.EventsByType(ctx, order.EvtOrderCreated, from, to, 1000)
	require.NoError(t, err)
	want := 0
	for _, e := range created {
		if !e.Time.Before(from) && !e.Time.After(to) {
			want++
		}
	}
	require.Len(t, got, want)

	// Counters.
	c, err := r.Counters(ctx)
	require.NoError(t, err)
	statuses := map[order.Status]int64{}
	for _, v := range views {
		statuses[v.Status]++
	}
	require.Equal(t, statuses, c.OrdersByStatus)
	revenue := map[string]int64{}
	for _, e := range h.log {
		switch d := e.Data.(type) {
		case order.PaymentCaptured:
			revenue[revenueField(d.Currency, e.Time)] += d.Amount
		case order.PaymentRefunded:
			revenue[revenueField(d.Currency, e.Time)] -= d.Amount
		}
	}
	gotRevenue := map[string]int64{}
	for _, rv := range c.Revenue {
		gotRevenue[rv.Currency+":"+rv.Day] = rv.Amount
	}
	for f, v := range revenue {
		if v == 0 {
			delete(revenue, f)
		}
	}
	require.Equal(t, revenue, gotRevenue)
	require.Len(t, c.EventsPerMinute, 180)
	var inWindow, counted int64
	start := c.EventsPerMinute[0].Minute
	for _, e := range h.log {
		if !e.Time.Before(start) {
			inWindow++
		}
	}
	for _, m := range c.EventsPerMinute {
		for _, n := range m.ByType {
			counted += n
		}
	}
	require.Equal(t, inWindow, counted)
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// A gap (an order's event 3 missing when 4 arrives) is detected, logged and
// counted once; the event is not applied, the partition's offsets are not
// committed past it, and the partition is retried until the missing event
// arrives (here on another partition), after which the projection is the
// fold of everything. Other partitions go on meanwhile.
func TestProjectorHoldsAPartitionAtAGapUntilTheMissingEventArrives(t *testing.T) {
	b := kfakeBed(t)
	x := longOrder(8)
	xp := partitionOf(x[0].OrderID)
	h := genHistory(12, 60, 40, time.Now())
	var same, other []order.Event // other orders, on x's partition and elsewhere
	for _, e := range h.log {
		if partitionOf(e.OrderID) == xp {
			same = append(same, e)
		} else {
			other = append(other, e)
		}
	}
	require.NotEmpty(t, same)
	require.NotEmpty(t, other)
	b.produce(x[:2]...)
	b.produce(same[:len(same)/2]...)
	b.produce(x[3:]...) // event 3 is missing
	b.produce(same[len(same)/2:]...)
	b.produce(other...)

	cfg := b.config("gap")
	p, _ := b.start(cfg)
	r := b.reader(b.prefix)
	ctx := context.Background()
	eventually(t, 20*time.Second, "a gap detected and the other partitions projected", func() bool {
		for _, e := range other {
			if v, _ := r.Version(ctx, e.OrderID); v < h.orders[e.OrderID][len(h.orders[e.OrderID])-1].Seq {
				return false
			}
		}
		return metricValue(p.metrics.gaps) == 1
	})
	time.Sleep(time.Second) // several retries
	v, err := r.Version(ctx, x[0].OrderID)
	require.NoError(t, err)
	assert.Equal(t, int64(2), v, "nothing after the gap is applied")
	assert.Equal(t, 1.0, metricValue(p.metrics.gaps), "a gap is counted once, however often it is retried")
	assert.Equal(t, 1.0, metricValue(p.metrics.stalled))
	assert.Greater(t, counter(p, Gap), 1, "retried")
	gapOffset := int64(2 + len(same)/2) // x1, x2, half of same, then x4
	assert.Equal(t, gapOffset, b.committed(cfg.Group, xp), "offsets are committed up to the gap and not past it")
	assert.False(t, metricValue(p.metrics.lagEvents.WithLabelValues(strconv.Itoa(int(xp)))) == 0, "the held partition shows lag")

	// The missing event arrives on another partition.
	b.producer.ProduceSync(ctx, b.record(x[2], (xp+1)%bedPartitions))
	waitCaughtUp(t, p, 20*time.Second)
	all := h.orders
	all[x[0].OrderID] = x
	requireSameKeys(t, expected(b.prefix, all), snapshot(t, b.rdb, b.prefix))
	assert.Equal(t, 0.0, metricValue(p.metrics.stalled))
	assert.Equal(t, 1.0, metricValue(p.metrics.gaps))
}

// A record that cannot be decoded holds its partition: it is never skipped.
func TestProjectorHoldsAPartitionAtAnUndecodableRecord(t *testing.T) {
	b := kfakeBed(t)
	evs := longOrder(4)
	part := partitionOf(evs[0].OrderID)
	ctx := context.Background()
	b.produce(evs[:2]...)
	require.NoError(t, b.producer.ProduceSync(ctx, &kgo.Record{Topic: b.names.Events, Partition: part, Key: []byte(evs[0].OrderID),
		Value: []byte{0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9}}).FirstErr())
	b.produce(evs[2:]...)
	cfg := b.config("poison")
	p, _ := b.start(cfg)
	eventually(t, 20*time.Second, "the undecodable record held its partition", func() bool {
		return metricValue(p.metrics.decodeErrs) >= 2 && metricValue(p.metrics.stalled) == 1
	})
	v, err := b.reader(b.prefix).Version(ctx, evs[0].OrderID)
	require.NoError(t, err)
	assert.Equal(t, int64(2), v)
	assert.Equal(t, int64(2), b.committed(cfg.Group, part))
}

// A rebuild projects the whole log under a new prefix while readers keep
// reading the old one, switches them atomically once caught up, and the old
// keys can then be deleted without touching the new ones.
func testRebuildUnderANewPrefixThenSwitch(t *testing.T, b *bed) {
	ctx := context.Background()
	pa, pb := b.prefix+"a:", b.prefix+"b:"
	h := genHistory(13, 300, 60, time.Now())
	_, err := DeletePrefix(ctx, b.rdb, b.pointer, pa)
	require.ErrorContains(t, err, "is not set", "without a pointer, nothing is deleted")
	half := len(h.log) / 2
	b.produce(h.log[:half]...)
	_, err = Activate(ctx, b.rdb, b.pointer, pa)
	require.NoError(t, err)
	cfgA := b.config("a")
	cfgA.Prefix = pa
	a, stopA := b.start(cfgA)
	waitCaughtUp(t, a, 30*time.Second)
	r := b.reader("unused:")

	cfgB := b.config("b")
	stopB := b.run(func(ctx context.Context) error { return Rebuild(ctx, cfgB, pb) })
	b.produce(h.log[half:]...)
	first := h.log[0].OrderID
	var readsDuring int
	eventually(t, 30*time.Second, "the rebuild switched readers", func() bool {
		_, err := r.Order(ctx, first) // served all along, by a or by b
		require.NoError(t, err)
		readsDuring++
		p, err := r.Prefix(ctx)
		require.NoError(t, err)
		return p == pb
	})
	assert.Greater(t, readsDuring, 1)
	waitCaughtUp(t, a, 30*time.Second)
	eventually(t, 30*time.Second, "the new prefix has every event", func() bool {
		for _, id := range h.ids {
			if v, _ := r.Version(ctx, id); v != h.orders[id][len(h.orders[id])-1].Seq {
				return false
			}
		}
		return true
	})
	wantB := expected(pb, h.orders)
	requireSameKeys(t, wantB, snapshot(t, b.rdb, pb))
	requireSameKeys(t, expected(pa, h.orders), snapshot(t, b.rdb, pa))

	stopA()
	_, err = DeletePrefix(ctx, b.rdb, b.pointer, pb)
	require.Error(t, err, "the active prefix is not deleted")
	n, err := DeletePrefix(ctx, b.rdb, b.pointer, pa)
	require.NoError(t, err)
	assert.Equal(t, len(expected(pa, h.orders)), n)
	assert.Empty(t, snapshot(t, b.rdb, pa))
	requireSameKeys(t, wantB, snapshot(t, b.rdb, pb))
	assert.Equal(t, pb, b.rdb.Get(ctx, b.pointer).Val())
	stopB()
}

func TestRebuildUnderANewPrefixThenSwitchOnKfake(t *testing.T) {
	testRebuildUnderANewPrefixThenSwitch(t, kfakeBed(t))
}

func TestRebuildUnderANewPrefixThenSwitchOnRealKafka(t *testing.T) {
	onEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		testRebuildUnderANewPrefixThenSwitch(t, realBedOn(t, rdb))
	})
}

// Deleting a prefix that is the start of the active one ("orderlog:" and
// "orderlog:order:") deletes its own keys and none of the active one's.
func TestDeletePrefixSparesALongerActivePrefix(t *testing.T) {
	onEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		base := testPrefix(t, rdb)
		active := base + "order:" // its keys match base+"order:*"
		ctx := context.Background()
		pointer := base + "active-prefix"
		evs := longOrder(3)
		orders := map[string][]order.Event{evs[0].OrderID: evs}
		applyAll(t, newTestApplier(rdb, base, 10), evs, 10)
		applyAll(t, newTestApplier(rdb, active, 10), evs, 10)
		_, err := Activate(ctx, rdb, pointer, active)
		require.NoError(t, err)
		n, err := DeletePrefix(ctx, rdb, pointer, base)
		require.NoError(t, err)
		assert.Equal(t, len(expected(base, orders)), n)
		want := expected(active, orders)
		want[pointer] = "string:" + active
		requireSameKeys(t, want, snapshot(t, rdb, base))
	})
}

func TestConfigNamesWhatIsMissing(t *testing.T) {
	_, err := New(Config{Prefix: "bad prefix*"})
	require.Error(t, err)
	for _, want := range []string{"Brokers", "Group", "Topic", "Events", "Redis", "key prefix"} {
		assert.ErrorContains(t, err, want)
	}
	_, err = New(Config{Brokers: []string{"x"}, Group: "g", Topic: "t", MaxChain: 5000})
	assert.ErrorContains(t, err, "MaxChain")
}
