package stream

import (
	"context"
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// DefaultMaxRecordBytes is the producer's batch limit when Config sets
// none: franz-go's default, which mirrors Kafka's max.message.bytes.
const DefaultMaxRecordBytes = 1_000_012

// batchOverhead is what a record batch adds around its records (the v2
// batch header is 61 bytes), with room to spare.
const batchOverhead = 128

// Limits are the largest records each topic takes: the smaller of the
// topic's max.message.bytes and the producer's batch limit, less a batch's
// own header. A record larger than its topic's limit is never produced.
type Limits struct {
	byTopic  map[string]int
	producer int
}

// NewLimits returns limits of producerMax bytes for every topic, lowered
// for the topics named in maxMessageBytes.
func NewLimits(producerMax int, maxMessageBytes map[string]int) Limits {
	l := Limits{byTopic: map[string]int{}, producer: producerMax}
	for t, n := range maxMessageBytes {
		l.byTopic[t] = min(n, producerMax)
	}
	return l
}

// Batch is the batch size the producer may build for topic.
func (l Limits) Batch(topic string) int {
	if n, ok := l.byTopic[topic]; ok {
		return n
	}
	return l.producer
}

// Record is the largest record, as RecordSize counts it, topic takes.
func (l Limits) Record(topic string) int { return l.Batch(topic) - batchOverhead }

// Check returns a *TooLargeError when r does not fit its topic.
func (l Limits) Check(r *kgo.Record, what string) error {
	if n, limit := RecordSize(r), l.Record(r.Topic); n > limit {
		return &TooLargeError{Topic: r.Topic, What: what, Size: n, Limit: limit}
	}
	return nil
}

// RecordSize bounds the bytes r takes in a record batch: key, value and
// headers with their length prefixes, the attributes, timestamp and offset
// deltas and the record's own length, each varint at its widest.
func RecordSize(r *kgo.Record) int { return recordSize(len(r.Key), r.Value, r.Headers) }

func recordSize(key int, value []byte, headers []kgo.RecordHeader) int {
	n := 5 + 1 + 10 + 5 + 5 + key + 5 + len(value) + 5
	for _, h := range headers {
		n += 5 + len(h.Key) + 5 + len(h.Value)
	}
	return n
}

// ReadLimits reads the max.message.bytes of topics from the cluster and
// combines them with the producer's limit.
func ReadLimits(ctx context.Context, adm *kadm.Client, producerMax int, topics ...string) (Limits, error) {
	rcs, err := adm.DescribeTopicConfigs(ctx, topics...)
	if err != nil {
		return Limits{}, fmt.Errorf("describe the configs of %v: %w", topics, err)
	}
	got := map[string]int{}
	for _, rc := range rcs {
		if rc.Err != nil {
			return Limits{}, fmt.Errorf("configs of topic %s: %w", rc.Name, rc.Err)
		}
		for _, c := range rc.Configs {
			if c.Key != "max.message.bytes" || c.Value == nil {
				continue
			}
			n, err := strconv.Atoi(*c.Value)
			if err != nil {
				return Limits{}, fmt.Errorf("topic %s: max.message.bytes %q: %w", rc.Name, *c.Value, err)
			}
			got[rc.Name] = n
		}
	}
	return NewLimits(producerMax, got), nil
}
