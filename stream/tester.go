package stream

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Tester runs a Topology without Kafka: each Send or Tick is one
// transaction through the same batch code the member runs (decode, route,
// handle, size guards, dead letters, isolation of states that do not fit),
// committed at once into in-memory topics. Restart drops the states and
// restores them from the tester's changelog, as a new owner would.
type Tester[S, I any] struct {
	c          *core[S, I]
	now        time.Time
	partitions int
	logs       map[string][]*kgo.Record
	offsets    map[coord]int64 // next offset per topic and partition (offset field unused)
}

// TesterOptions shape a Tester; the zero value is usable.
type TesterOptions struct {
	// Partitions of every topic (default 1).
	Partitions int
	// Now is the initial clock (default the wall clock at NewTester).
	Now time.Time
	// MaxRecordBytes is the producer's limit (default DefaultMaxRecordBytes);
	// MaxMessageBytes lowers it per topic, as max.message.bytes does.
	MaxRecordBytes  int
	MaxMessageBytes map[string]int
	Logger          *slog.Logger
}

// NewTester returns a tester of top whose partitions are all owned and
// restored (empty).
func NewTester[S, I any](top Topology[S, I], o TesterOptions) (*Tester[S, I], error) {
	if o.Partitions <= 0 {
		o.Partitions = 1
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.MaxRecordBytes <= 0 {
		o.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	c, err := newCore(top, o.Logger)
	if err != nil {
		return nil, err
	}
	c.limits = NewLimits(o.MaxRecordBytes, o.MaxMessageBytes)
	keyed := kgo.StickyKeyPartitioner(nil).ForTopic(top.Inputs[0].Topic)
	n := o.Partitions
	c.partitionOf = func(k []byte) int32 { return int32(keyed.Partition(&kgo.Record{Key: k}, n)) }
	t := &Tester[S, I]{c: c, now: o.Now, partitions: n, logs: map[string][]*kgo.Record{}, offsets: map[coord]int64{}}
	t.assignAll()
	return t, nil
}

func (t *Tester[S, I]) assignAll() {
	all := make([]int32, t.partitions)
	for i := range all {
		all[i] = int32(i)
	}
	t.c.stores.assign(all)
	t.c.stores.markRestored(all)
}

// Now is the tester's clock.
func (t *Tester[S, I]) Now() time.Time { return t.now }

// Advance moves the clock.
func (t *Tester[S, I]) Advance(d time.Duration) { t.now = t.now.Add(d) }

// PartitionOf is the partition of key, as the member computes it.
func (t *Tester[S, I]) PartitionOf(key string) int32 { return t.c.partitionOf([]byte(key)) }

// Send appends one record to an input topic, on its key's partition, and
// handles it as one batch.
func (t *Tester[S, I]) Send(topic, key string, value []byte, headers ...kgo.RecordHeader) error {
	return t.SendRecords(&kgo.Record{Topic: topic, Partition: t.PartitionOf(key), Key: []byte(key), Value: value, Headers: headers})
}

// SendRecords appends records (their Topic, Partition, Key, Value and
// Headers as given) and handles them as one batch. An error is what would
// abort the member's transaction (a Retry, a state that cannot fit).
func (t *Tester[S, I]) SendRecords(rs ...*kgo.Record) error {
	byPart := map[int32][]*kgo.Record{}
	for _, r := range rs {
		r = t.append(r)
		byPart[r.Partition] = append(byPart[r.Partition], r)
	}
	return t.transact(byPart, nil)
}

// Tick fires the timers due at the tester's clock, as one batch.
func (t *Tester[S, I]) Tick() error {
	if t.c.top.Due == nil {
		return nil
	}
	return t.transact(nil, t.c.stores.dueAt(t.now))
}

func (t *Tester[S, I]) transact(byPart map[int32][]*kgo.Record, due map[int32][]string) error {
	units, err := t.c.decide(byPart, due, t.now, nil)
	if err != nil {
		return err
	}
	for _, u := range units {
		for _, r := range u.out {
			t.append(r)
		}
		u.apply()
		for _, f := range u.after {
			f()
		}
	}
	return nil
}

// append writes r to its topic's log, giving it an offset and a timestamp.
func (t *Tester[S, I]) append(r *kgo.Record) *kgo.Record {
	cp := *r
	if cp.Timestamp.IsZero() {
		cp.Timestamp = t.now
	}
	c := coord{topic: cp.Topic, partition: cp.Partition}
	cp.Offset = t.offsets[c]
	t.offsets[c]++
	t.logs[cp.Topic] = append(t.logs[cp.Topic], &cp)
	return &cp
}

// Records returns every record written to topic so far, inputs included.
func (t *Tester[S, I]) Records(topic string) []*kgo.Record { return t.logs[topic] }

// State returns the committed state of key.
func (t *Tester[S, I]) State(key string) (S, bool) {
	return t.c.stores.lookup(t.PartitionOf(key), key)
}

// Restart drops every state and restores them from the changelog written
// so far, as a new owner of the partitions would (decoding each record, or
// keeping it encoded with Changelog.Decoded).
func (t *Tester[S, I]) Restart() error {
	t.c.stores.dropAll()
	all := make([]int32, t.partitions)
	for i := range all {
		all[i] = int32(i)
	}
	t.c.stores.assign(all)
	for _, r := range t.logs[t.c.top.State.Topic] {
		pt := t.c.stores.restoring(r.Partition)
		if err := t.c.stores.restoreRecord(r.Partition, pt, string(r.Key), r.Value); err != nil {
			return fmt.Errorf("restore %s/%d@%d: %w", r.Topic, r.Partition, r.Offset, err)
		}
	}
	t.c.stores.markRestored(all)
	return nil
}
