package records

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// MaxCounted bounds the offsets one count reads per partition; a range
// longer than that is counted in offsets (an upper bound, transaction
// markers included) and the count says so.
const MaxCounted = 20000

// fetchBytes is how much one fetch of a count asks for.
const fetchBytes = 1 << 20

// ErrTooLongToCount says a range was longer than MaxCounted: the number
// returned with it is end minus start offset, an upper bound.
var ErrTooLongToCount = errors.New("more offsets than are counted one by one")

// Range is a stretch of one partition's offsets to count.
type Range struct {
	Topic     string
	TopicID   [16]byte
	Partition int32
	Leader    int32
	From, To  int64 // [From, To)
}

// Counter counts the data records of committed transactions (and of
// non-transactional producers) in offset ranges, as a read_committed
// consumer would see them: no transaction markers, no aborted records. It
// reads the batch headers of raw fetches from each partition's leader (no
// decompression: a batch of a topic that is not compacted holds every
// offset from its first to its last). Kafka's offsets alone cannot tell,
// since every commit or abort takes an offset of every partition the
// transaction wrote.
type Counter struct {
	cl  *kgo.Client
	adm *kadm.Client
}

// NewCounter counts through cl, which the caller owns (any client will do).
func NewCounter(cl *kgo.Client) *Counter { return &Counter{cl: cl, adm: kadm.NewClient(cl)} }

// Count returns the committed data records in r.
func (c *Counter) Count(ctx context.Context, r Range) (int64, error) {
	if r.To <= r.From {
		return 0, nil
	}
	if r.To-r.From > MaxCounted {
		return r.To - r.From, ErrTooLongToCount
	}
	var n int64
	aborting := map[int64]bool{} // producers whose aborted transaction we are in
	var aborted []kmsg.FetchResponseTopicPartitionAbortedTransaction
	at := r.From
	for at < r.To {
		resp, err := c.fetch(ctx, r, at)
		if err != nil {
			return 0, err
		}
		aborted = mergeAborted(aborted, resp.AbortedTransactions)
		b := resp.RecordBatches
		progressed := false
		for len(b) >= 12 {
			var batch kmsg.RecordBatch
			if err := batch.ReadFrom(b); err != nil {
				break // a partial batch at the end of the response
			}
			b = b[12+int(batch.Length):]
			first, last := batch.FirstOffset, batch.FirstOffset+int64(batch.LastOffsetDelta)
			if last < at {
				continue
			}
			progressed = true
			for len(aborted) > 0 && aborted[0].FirstOffset <= first {
				aborting[aborted[0].ProducerID] = true
				aborted = aborted[1:]
			}
			control, txn := batch.Attributes&0x20 != 0, batch.Attributes&0x10 != 0
			switch {
			case control:
				delete(aborting, batch.ProducerID) // the marker ends the producer's transaction
			case txn && aborting[batch.ProducerID]:
			default:
				n += min(last+1, r.To) - max(first, at)
			}
			at = last + 1
			if at >= r.To {
				break
			}
		}
		stable := resp.LastStableOffset
		if stable < 0 {
			stable = resp.HighWatermark
		}
		if !progressed {
			if at >= stable || at >= resp.HighWatermark {
				break // nothing more is readable: the range ends in an open transaction
			}
			return 0, fmt.Errorf("count records of %s/%d: no batch at offset %d", r.Topic, r.Partition, at)
		}
	}
	return n, nil
}

func mergeAborted(have, more []kmsg.FetchResponseTopicPartitionAbortedTransaction) []kmsg.FetchResponseTopicPartitionAbortedTransaction {
	for _, a := range more {
		if !slices.ContainsFunc(have, func(h kmsg.FetchResponseTopicPartitionAbortedTransaction) bool {
			return h.ProducerID == a.ProducerID && h.FirstOffset == a.FirstOffset
		}) {
			have = append(have, a)
		}
	}
	slices.SortFunc(have, func(a, b kmsg.FetchResponseTopicPartitionAbortedTransaction) int {
		return int(a.FirstOffset - b.FirstOffset)
	})
	return have
}

// fetch asks the partition's leader for the batches from offset at,
// read_committed.
func (c *Counter) fetch(ctx context.Context, r Range, at int64) (*kmsg.FetchResponseTopicPartition, error) {
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID = -1
	req.MaxWaitMillis = 0
	req.MinBytes = 1
	req.MaxBytes = fetchBytes
	req.IsolationLevel = 1 // read_committed
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic, rt.TopicID = r.Topic, r.TopicID
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.Partition, rp.FetchOffset, rp.PartitionMaxBytes = r.Partition, at, fetchBytes
	rp.CurrentLeaderEpoch, rp.LogStartOffset = -1, -1
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	kresp, err := c.cl.Broker(int(r.Leader)).Request(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s/%d at %d: %w", r.Topic, r.Partition, at, err)
	}
	resp := kresp.(*kmsg.FetchResponse)
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return nil, fmt.Errorf("fetch %s/%d at %d: %w", r.Topic, r.Partition, at, err)
	}
	for i := range resp.Topics {
		for j := range resp.Topics[i].Partitions {
			p := &resp.Topics[i].Partitions[j]
			if p.Partition != r.Partition {
				continue
			}
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return nil, fmt.Errorf("fetch %s/%d at %d: %w", r.Topic, r.Partition, at, err)
			}
			return p, nil
		}
	}
	return nil, fmt.Errorf("fetch %s/%d at %d: the broker did not answer for the partition", r.Topic, r.Partition, at)
}

// Ranges returns, for each partition of topic, the range from from(p) to
// its last stable offset (what a read_committed reader can read), with the
// leader and topic id a fetch needs.
func (c *Counter) Ranges(ctx context.Context, topic string, from func(p int32) (int64, bool)) ([]Range, error) {
	md, err := c.adm.Metadata(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("metadata of %s: %w", topic, err)
	}
	td, ok := md.Topics[topic]
	if !ok || td.Err != nil {
		return nil, fmt.Errorf("topic %s not found: %v", topic, td.Err)
	}
	stable, err := c.adm.ListCommittedOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("last stable offsets of %s: %w", topic, err)
	}
	var out []Range
	var errs []error
	for _, p := range td.Partitions.Sorted() {
		lso, ok := stable.Lookup(topic, p.Partition)
		if !ok || lso.Err != nil {
			errs = append(errs, fmt.Errorf("last stable offset of %s/%d missing", topic, p.Partition))
			continue
		}
		start, ok := from(p.Partition)
		if !ok {
			continue
		}
		out = append(out, Range{Topic: topic, TopicID: td.ID, Partition: p.Partition, Leader: p.Leader,
			From: start, To: lso.Offset})
	}
	return out, errors.Join(errs...)
}
