package processor_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/internal/testenv"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/processor"
	"github.com/orderlog/orderlog/schemas"
	"github.com/orderlog/orderlog/topics"
)

// The rebalance test: processors join and leave while commands stream in, so
// partitions (and with them the orders' states) move between members in the
// middle of the load. Every command must still get exactly one result, and
// every order a gapless log whose fold is its last state record.

const (
	rebalanceOrders     = 300
	rebalancePartitions = 6
	// The load sends a chunk every loadTick; 300 lifecycles of 9 commands
	// take about 15 s, long enough for three group changes.
	loadChunk = 9
	loadTick  = 50 * time.Millisecond
)

func TestRebalanceUnderLoadOnKfake(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	testRebalanceUnderLoad(t, newBedPartitions(t, c.ListenAddrs(), "", rebalancePartitions))
}

func TestRebalanceUnderLoadOnRealKafka(t *testing.T) {
	testRebalanceUnderLoad(t, newBedPartitions(t, testenv.KafkaBrokers(t), testenv.TopicPrefix(t), rebalancePartitions))
}

func testRebalanceUnderLoad(t *testing.T, b *bed) {
	start := time.Now()
	cmds := interleavedLifecycles(rebalanceOrders, 40)
	_, stopA := b.start("a")
	b.waitMembers(1)

	ld := b.startLoad(cmds)
	ld.waitSent(len(cmds) / 4)
	_, stopB := b.start("b")
	b.waitMembers(2)
	t.Logf("B joined after %d of %d commands", ld.sent.Load(), len(cmds))

	ld.waitSent(len(cmds) / 2)
	stopA()
	b.waitMembers(1)
	t.Logf("A left after %d commands", ld.sent.Load())

	ld.waitSent(len(cmds) * 2 / 3)
	_, stopC := b.start("c")
	b.waitMembers(2)
	t.Logf("C joined after %d commands", ld.sent.Load())
	require.NoError(t, ld.wait())

	results := b.readAll(b.names.Results, len(cmds), 40*time.Second)
	eventRecs := b.readAll(b.names.Events, rebalanceOrders*eventsPerLifecycle, 20*time.Second)
	stopB()
	stopC()

	byCmd := map[string][]order.CommandResult{}
	for _, r := range results {
		res, err := b.serdes.Results.Decode(r.Value)
		require.NoError(t, err)
		byCmd[res.CommandID] = append(byCmd[res.CommandID], res)
	}
	events := map[string][]order.Event{}
	byCause := map[string][]string{}
	for _, r := range eventRecs {
		e, err := b.serdes.Events.Decode(r.Value)
		require.NoError(t, err)
		events[e.OrderID] = append(events[e.OrderID], e)
		byCause[e.CausationID] = append(byCause[e.CausationID], e.ID)
	}
	for _, c := range cmds {
		rs := byCmd[c.ID]
		require.Len(t, rs, 1, "command %s (%s of %s) must have exactly one result", c.ID, c.Type, c.OrderID)
		r := rs[0]
		require.Equal(t, order.ResultAccepted, r.Status, "%s %s of %s: %s %s", c.Type, c.ID, c.OrderID, r.Code, r.Message)
		require.Equal(t, byCause[c.ID], r.EventIDs, "the events of command %s", c.ID)
	}
	require.Len(t, byCmd, len(cmds), "results for commands never sent")
	require.Len(t, events, rebalanceOrders)
	for id, evs := range events {
		require.Len(t, evs, eventsPerLifecycle, "events of order %s", id)
	}
	checkLog(t, b, events)
	t.Logf("%d commands, %d orders, %d events in %s", len(cmds), len(events), len(eventRecs), time.Since(start).Round(time.Millisecond))
}

// newBedPartitions is newBed with a partition count other than 3.
func newBedPartitions(t *testing.T, brokers []string, prefix string, partitions int32) *bed {
	set, err := topics.New(topics.Config{Prefix: prefix, Partitions: partitions, ReplicationFactor: 1})
	require.NoError(t, err)
	adm, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	require.NoError(t, err)
	defer adm.Close()
	_, err = set.Ensure(context.Background(), kadm.NewClient(adm))
	require.NoError(t, err)
	b := &bed{t: t, brokers: brokers, names: set.Names(), partitions: partitions, group: prefix + "orderd", serdes: newSerdes(t)}
	b.producer, err = kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ProducerLinger(0))
	require.NoError(t, err)
	t.Cleanup(b.producer.Close)
	return b
}

// interleavedLifecycles returns the lifecycles of n orders, interleaved: at
// any time about window orders are in flight, and each order's commands keep
// their order.
func interleavedLifecycles(n, window int) []order.Command {
	queues := make([][]order.Command, n)
	for i := range queues {
		queues[i] = lifecycle(fmt.Sprintf("rb-%d-%d", time.Now().UnixNano(), i))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var out []order.Command
	active, next := []int{}, 0
	for len(active) > 0 || next < n {
		for len(active) < window && next < n {
			active = append(active, next)
			next++
		}
		k := rng.IntN(len(active))
		q := active[k]
		out = append(out, queues[q][0])
		if queues[q] = queues[q][1:]; len(queues[q]) == 0 {
			active = slices.Delete(active, k, k+1)
		}
	}
	return out
}

// load streams commands from a goroutine at a steady rate.
type load struct {
	t    *testing.T
	sent atomic.Int64
	done chan error
}

func (b *bed) startLoad(cmds []order.Command) *load {
	ld := &load{t: b.t, done: make(chan error, 1)}
	recs := make([]*kgo.Record, len(cmds))
	for i, c := range cmds {
		v, err := schemas.CommandJSON(c)
		require.NoError(b.t, err)
		recs[i] = &kgo.Record{Topic: b.names.Commands, Key: []byte(c.OrderID), Value: v}
	}
	go func() {
		tick := time.NewTicker(loadTick)
		defer tick.Stop()
		for i := 0; i < len(recs); i += loadChunk {
			<-tick.C
			chunk := recs[i:min(i+loadChunk, len(recs))]
			if err := b.producer.ProduceSync(context.Background(), chunk...).FirstErr(); err != nil {
				ld.done <- fmt.Errorf("load: produce: %w", err)
				return
			}
			ld.sent.Add(int64(len(chunk)))
		}
		ld.done <- nil
	}()
	return ld
}

func (ld *load) waitSent(n int) {
	ld.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for ld.sent.Load() < int64(n) {
		if time.Now().After(deadline) {
			ld.t.Fatalf("load: %d commands sent, want %d within 30s", ld.sent.Load(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (ld *load) wait() error {
	select {
	case err := <-ld.done:
		return err
	case <-time.After(60 * time.Second):
		return fmt.Errorf("load: not done within 60s (%d sent)", ld.sent.Load())
	}
}

// waitMembers waits until the group is stable with n members that each own
// at least one partition of the commands topic: proof that partitions moved.
func (b *bed) waitMembers(n int) {
	b.t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.brokers...))
	require.NoError(b.t, err)
	defer cl.Close()
	adm := kadm.NewClient(cl)
	deadline := time.Now().Add(30 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		gs, err := adm.DescribeGroups(ctx, b.group)
		cancel()
		if err == nil {
			if g, err := gs.On(b.group, nil); err == nil && g.Err == nil {
				owning := 0
				for _, m := range g.Members {
					if c, ok := m.Assigned.AsConsumer(); ok && len(c.Topics) > 0 && len(c.Topics[0].Partitions) > 0 {
						owning++
					}
				}
				if g.State == "Stable" && len(g.Members) == n && owning == n {
					return
				}
				last = fmt.Sprintf("state %s, %d members, %d owning partitions", g.State, len(g.Members), owning)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.t.Fatalf("group %s: want %d members owning partitions within 30s; last: %s", b.group, n, last)
}

// readAll reads topic read_committed until it has at least n records and
// then nothing new arrives for a second, so extra records (duplicates) are
// seen too.
func (b *bed) readAll(topic string, n int, timeout time.Duration) []*kgo.Record {
	b.t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	require.NoError(b.t, err)
	defer cl.Close()
	deadline := time.Now().Add(timeout)
	var out []*kgo.Record
	for {
		wait := time.Until(deadline)
		if len(out) >= n {
			wait = time.Second
		}
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		fs := cl.PollFetches(ctx)
		cancel()
		got := fs.Records()
		out = append(out, got...)
		if len(got) == 0 && len(out) >= n {
			return out
		}
		if len(out) < n && time.Now().After(deadline) {
			b.t.Fatalf("read %s: got %d records, want %d, within %s", topic, len(out), n, timeout)
		}
	}
}

// A member that dies inside a transaction leaves it open until the broker
// times it out, and until then the last stable offset of the partitions it
// wrote stays behind it. A later owner's committed states can lie beyond that
// point; the next owner must wait for them instead of restoring up to the
// last stable offset and deciding on a stale state. A producer of this group
// (its transactional id starts with "<group>-") is fenced by the next owner
// at once; any other is waited out.
func testRestoreWaitsOutAnOpenTransaction(t *testing.T, b *bed, zombieID string, fenced bool) {
	pa, stopA := b.start("a")
	waitReady(t, pa)
	first := lifecycle("r1")
	part := int32(kgo.StickyKeyPartitioner(nil).ForTopic("").Partition(&kgo.Record{Key: []byte("r1")}, int(b.partitions)))

	// The zombie: a transactional producer that wrote to r1's state
	// partition and never ended its transaction.
	zombie, err := kgo.NewClient(kgo.SeedBrokers(b.brokers...), kgo.TransactionalID(zombieID),
		kgo.TransactionTimeout(time.Minute), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	require.NoError(t, err)
	t.Cleanup(zombie.Close)
	require.NoError(t, zombie.BeginTransaction())
	require.NoError(t, zombie.ProduceSync(context.Background(),
		&kgo.Record{Topic: b.names.State, Partition: part, Key: []byte("r1"), Value: []byte("never committed")}).FirstErr())

	b.send(first[:4]...)
	b.results(4)
	stopA()

	pb, _ := b.start("b")
	if fenced {
		// Long before the zombie's minute is up.
		require.Eventually(t, pb.Ready, 20*time.Second, 20*time.Millisecond, "b not ready: %v", pb.Health())
		err := zombie.EndTransaction(context.Background(), kgo.TryCommit)
		require.Error(t, err, "the zombie was fenced: it cannot commit")
	} else {
		require.Eventually(t, func() bool {
			h := pb.Health()
			return h != nil && strings.Contains(h.Error(), "restoring partitions")
		}, 30*time.Second, 10*time.Millisecond, "b should be restoring, held at the open transaction: %v", pb.Health())
		require.False(t, pb.Ready(), "b must not be ready while a transaction before its states is open")
		require.NoError(t, zombie.EndTransaction(context.Background(), kgo.TryAbort))
	}
	b.send(first[4:]...)
	all := b.read(b.names.Results, len(first), 30*time.Second)
	for i, r := range all {
		res, err := b.serdes.Results.Decode(r.Value)
		require.NoError(t, err)
		require.Equal(t, order.ResultAccepted, res.Status, "result %d (%s): %s %s", i, res.CommandType, res.Code, res.Message)
	}
	checkLog(t, b, b.eventsByOrder(eventsPerLifecycle))
}

func TestRestoreWaitsOutAnOpenTransactionOnKfake(t *testing.T) {
	b := kfakeBed(t)
	testRestoreWaitsOutAnOpenTransaction(t, b, "another-"+b.group, false)
}

func TestRestoreWaitsOutAnOpenTransactionOnRealKafka(t *testing.T) {
	b := realBed(t)
	testRestoreWaitsOutAnOpenTransaction(t, b, "another-"+b.group, false)
}

func TestTheNextOwnerFencesADeadMembersTransactionOnKfake(t *testing.T) {
	b := kfakeBed(t)
	testRestoreWaitsOutAnOpenTransaction(t, b, b.group+"-zombie", true)
}

func TestTheNextOwnerFencesADeadMembersTransactionOnRealKafka(t *testing.T) {
	b := realBed(t)
	testRestoreWaitsOutAnOpenTransaction(t, b, b.group+"-zombie", true)
}

func waitReady(t *testing.T, p *processor.Processor) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !p.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("processor not ready within 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
