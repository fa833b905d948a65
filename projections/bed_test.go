package projections

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/internal/testenv"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/schemas"
	"github.com/orderlog/orderlog/topics"
)

const bedPartitions = 3

// bed is a Kafka cluster (kfake or the real broker) with orderlog's topics,
// the real redis-server and a key prefix of the test's own.
type bed struct {
	t        testing.TB
	brokers  []string
	group    string // prefix for consumer groups
	names    topics.Names
	serde    *schemas.Serde[order.Event]
	producer *kgo.Client
	rdb      redis.UniversalClient
	prefix   string
	pointer  string
}

func kfakeBed(t *testing.T) *bed {
	rdb := testRedis(t) // skip before starting anything without Redis
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return newBed(t, rdb, c.ListenAddrs(), "")
}

// realBedOn is a bed on the real broker and rdb (the redis-server or the
// cluster).
func realBedOn(t *testing.T, rdb redis.UniversalClient) *bed {
	return newBed(t, rdb, testenv.KafkaBrokers(t), testenv.TopicPrefix(t))
}

func newBed(t testing.TB, rdb redis.UniversalClient, brokers []string, topicPrefix string) *bed {
	ctx := context.Background()
	set, err := topics.New(topics.Config{Prefix: topicPrefix, Partitions: bedPartitions, ReplicationFactor: 1})
	require.NoError(t, err)
	adm, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	require.NoError(t, err)
	defer adm.Close()
	_, err = set.Ensure(ctx, kadm.NewClient(adm))
	require.NoError(t, err)
	serde, err := schemas.NewEvents(ctx)
	require.NoError(t, err)
	producer, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	require.NoError(t, err)
	t.Cleanup(producer.Close)
	prefix := testPrefix(t, rdb)
	return &bed{t: t, brokers: brokers, group: topicPrefix + "projector", names: set.Names(), serde: serde,
		producer: producer, rdb: rdb, prefix: prefix, pointer: prefix + "active-prefix"}
}

// partitionOf is the partition of an order, as the processor writes it.
func partitionOf(orderID string) int32 {
	return int32(kgo.StickyKeyPartitioner(nil).ForTopic("").Partition(&kgo.Record{Key: []byte(orderID)}, bedPartitions))
}

func (b *bed) record(e order.Event, partition int32) *kgo.Record {
	v, err := b.serde.Encode(e)
	require.NoError(b.t, err)
	return &kgo.Record{Topic: b.names.Events, Partition: partition, Key: []byte(e.OrderID), Value: v, Timestamp: e.Time,
		Headers: []kgo.RecordHeader{{Key: "event-type", Value: []byte(e.Type)}}}
}

// produce writes events to their orders' partitions, in order.
func (b *bed) produce(events ...order.Event) {
	b.t.Helper()
	rs := make([]*kgo.Record, len(events))
	for i, e := range events {
		rs[i] = b.record(e, partitionOf(e.OrderID))
	}
	require.NoError(b.t, b.producer.ProduceSync(context.Background(), rs...).FirstErr())
}

func (b *bed) config(group string) Config {
	return Config{
		Brokers: b.brokers, Group: b.group + "-" + group, Topic: b.names.Events, Events: b.serde, Redis: b.rdb,
		Prefix: b.prefix, PointerKey: b.pointer, Logger: testLogger().With("group", group),
		RetryBackoff: 100 * time.Millisecond, MaxRetryBackoff: 300 * time.Millisecond,
	}
}

// start runs a projector until the test ends or stop is called.
func (b *bed) start(cfg Config) (p *Projector, stop func()) {
	p, err := New(cfg)
	require.NoError(b.t, err)
	return p, b.run(func(ctx context.Context) error { return p.Run(ctx) })
}

// run runs fn until the test ends or stop is called; fn must return nil.
func (b *bed) run(fn func(ctx context.Context) error) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				require.NoError(b.t, err)
			case <-time.After(30 * time.Second):
				b.t.Error("projector did not stop within 30s")
			}
		})
	}
	b.t.Cleanup(stop)
	return stop
}

func (b *bed) reader(prefix string) *Reader {
	r, err := NewReader(ReaderConfig{Redis: b.rdb, Prefix: prefix, PointerKey: b.pointer, CounterMinutes: 180})
	require.NoError(b.t, err)
	return r
}

// waitCaughtUp waits until the projector's group has committed the end of
// every partition.
func waitCaughtUp(t *testing.T, p *Projector, timeout time.Duration) {
	t.Helper()
	eventually(t, timeout, "projector caught up with the log", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ok, err := p.CaughtUp(ctx)
		return err == nil && ok
	})
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func counter(p *Projector, outcome Outcome) int {
	return int(metricValue(p.metrics.events.WithLabelValues(outcome.String())))
}

// committed returns the group's committed offset of a partition (-1: none).
func (b *bed) committed(group string, partition int32) int64 {
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.brokers...))
	require.NoError(b.t, err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	os, err := kadm.NewClient(cl).FetchOffsets(ctx, group)
	require.NoError(b.t, err)
	o, ok := os.Lookup(b.names.Events, partition)
	if !ok {
		return -1
	}
	return o.At
}

// metricValue reads a counter or gauge.
func metricValue(m prometheus.Metric) float64 {
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		panic(err)
	}
	if d.Counter != nil {
		return d.Counter.GetValue()
	}
	return d.Gauge.GetValue()
}
