package dashboard

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/internal/records"
)

// KafkaQueues is Queues on Kafka.
type KafkaQueues struct {
	adm            *kadm.Client
	counter        *records.Counter // nil: offsets only (NewKafkaQueues)
	eventsTopic    string
	dlqTopic       string
	projectorGroup string
}

// NewKafkaQueues reads through adm (which the caller owns) the lag of
// projectorGroup on eventsTopic (order.events) and the size of dlqTopic
// (order.commands.dlq); the names are the full ones, prefix included. It
// knows offsets only, so both numbers count transaction markers (an idle
// partition lags 1, a dead letter counts 2); NewKafkaQueuesCounting
// counts records.
func NewKafkaQueues(adm *kadm.Client, eventsTopic, dlqTopic, projectorGroup string) *KafkaQueues {
	return &KafkaQueues{adm: adm, eventsTopic: eventsTopic, dlqTopic: dlqTopic, projectorGroup: projectorGroup}
}

// NewKafkaQueuesCounting is NewKafkaQueues that counts records, not
// offsets: through cl (which the caller owns; any client, a producer's
// will do) it reads the batch headers of the ranges it counts
// (package internal/records), so transaction markers and aborted records do not
// count. A range longer than MaxCounted offsets is counted in offsets.
func NewKafkaQueuesCounting(cl *kgo.Client, eventsTopic, dlqTopic, projectorGroup string) *KafkaQueues {
	q := NewKafkaQueues(kadm.NewClient(cl), eventsTopic, dlqTopic, projectorGroup)
	q.counter = records.NewCounter(cl)
	return q
}

// CountsRecords reports whether q counts records (NewKafkaQueuesCounting)
// or offsets.
func (q *KafkaQueues) CountsRecords() bool { return q.counter != nil }

// ProjectionLag sums, over the partitions of order.events, what the
// projector group has not committed: with a counter, the committed data
// records from its committed offset to the last stable offset (so an idle
// partition, whose last offset is a commit marker, lags 0); without, the
// end offset minus the committed offset (kadm.Lag: from the start offset
// where the group has not committed). Either can sit a little above 0
// between commits. A group that does not exist or has committed nothing
// is an error, not 0.
func (q *KafkaQueues) ProjectionLag(ctx context.Context) (int64, error) {
	lags, err := q.adm.Lag(ctx, q.projectorGroup)
	if err != nil {
		return 0, fmt.Errorf("lag of group %s: %w", q.projectorGroup, err)
	}
	gl, ok := lags[q.projectorGroup]
	if !ok {
		return 0, fmt.Errorf("lag of group %s: not described", q.projectorGroup)
	}
	if err := gl.Error(); err != nil {
		return 0, fmt.Errorf("lag of group %s: %w", q.projectorGroup, err)
	}
	if gl.State == "Dead" || len(gl.Lag) == 0 {
		return 0, fmt.Errorf("lag of group %s: the group has committed nothing yet", q.projectorGroup)
	}
	var sum int64
	committed := map[int32]int64{}
	for _, l := range gl.Lag[q.eventsTopic] {
		if l.Err != nil {
			return 0, fmt.Errorf("lag of group %s on %s/%d: %w", q.projectorGroup, l.Topic, l.Partition, l.Err)
		}
		sum += l.Lag
		committed[l.Partition] = l.End.Offset - l.Lag
	}
	if q.counter == nil {
		return sum, nil
	}
	return q.countFrom(ctx, q.eventsTopic, func(p int32) (int64, bool) {
		at, ok := committed[p]
		return at, ok
	})
}

// countFrom sums the committed data records of topic's partitions from
// from(p) to their last stable offsets.
func (q *KafkaQueues) countFrom(ctx context.Context, topic string, from func(p int32) (int64, bool)) (int64, error) {
	ranges, err := q.counter.Ranges(ctx, topic, from)
	if err != nil {
		return 0, err
	}
	var sum int64
	var long []error
	for _, r := range ranges {
		n, err := q.counter.Count(ctx, r)
		switch {
		case errors.Is(err, ErrTooLongToCount):
			long = append(long, fmt.Errorf("%s/%d: %d offsets: %w", r.Topic, r.Partition, n, err))
		case err != nil:
			return 0, err
		}
		sum += n
	}
	if len(long) > 0 {
		return sum, &UpperBoundError{Value: sum, Err: errors.Join(long...)}
	}
	return sum, nil
}

// MaxCounted bounds the offsets one count reads per partition; a range
// longer than that is counted in offsets (an upper bound, transaction
// markers included) and the count says so.
const MaxCounted = records.MaxCounted

// ErrTooLongToCount says a range was longer than MaxCounted: the number
// returned with it is end minus start offset, an upper bound.
var ErrTooLongToCount = records.ErrTooLongToCount

// UpperBoundError is a count that is an upper bound: some partition had
// more than MaxCounted offsets to count, and they were counted as offsets.
type UpperBoundError struct {
	Value int64
	Err   error
}

func (e *UpperBoundError) Error() string {
	return fmt.Sprintf("at most %d (counted in offsets where too long to read): %v", e.Value, e.Err)
}

func (e *UpperBoundError) Unwrap() error { return e.Err }

// DLQSize is how many dead letters the DLQ holds now (after retention):
// with a counter, its committed data records from each partition's start
// offset; without, end minus start offset summed over its partitions,
// transaction markers included (the processor writes dead letters in its
// transactions, so one dead letter takes two offsets).
func (q *KafkaQueues) DLQSize(ctx context.Context) (int64, error) {
	starts, err := q.adm.ListStartOffsets(ctx, q.dlqTopic)
	if err != nil {
		return 0, fmt.Errorf("start offsets of %s: %w", q.dlqTopic, err)
	}
	if q.counter != nil {
		if len(starts) == 0 {
			return 0, fmt.Errorf("topic %s not found", q.dlqTopic)
		}
		return q.countFrom(ctx, q.dlqTopic, func(p int32) (int64, bool) {
			s, ok := starts.Lookup(q.dlqTopic, p)
			return s.Offset, ok && s.Err == nil
		})
	}
	ends, err := q.adm.ListEndOffsets(ctx, q.dlqTopic)
	if err != nil {
		return 0, fmt.Errorf("end offsets of %s: %w", q.dlqTopic, err)
	}
	var sum int64
	var errs []error
	ends.Each(func(e kadm.ListedOffset) {
		if e.Err != nil {
			errs = append(errs, fmt.Errorf("end offset of %s/%d: %w", e.Topic, e.Partition, e.Err))
			return
		}
		s, ok := starts.Lookup(e.Topic, e.Partition)
		if !ok || s.Err != nil {
			errs = append(errs, fmt.Errorf("start offset of %s/%d missing", e.Topic, e.Partition))
			return
		}
		sum += e.Offset - s.Offset
	})
	if len(ends) == 0 {
		errs = append(errs, fmt.Errorf("topic %s not found", q.dlqTopic))
	}
	return sum, errors.Join(errs...)
}
