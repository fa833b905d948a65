package dashboard

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
)

// KafkaQueues is Queues on Kafka's admin API.
type KafkaQueues struct {
	adm            *kadm.Client
	eventsTopic    string
	dlqTopic       string
	projectorGroup string
}

// NewKafkaQueues reads through adm (which the caller owns) the lag of
// projectorGroup on eventsTopic (order.events) and the size of dlqTopic
// (order.commands.dlq); the names are the full ones, prefix included.
func NewKafkaQueues(adm *kadm.Client, eventsTopic, dlqTopic, projectorGroup string) *KafkaQueues {
	return &KafkaQueues{adm: adm, eventsTopic: eventsTopic, dlqTopic: dlqTopic, projectorGroup: projectorGroup}
}

// ProjectionLag sums, over the partitions of order.events, the end offset
// minus the projector group's committed offset (kadm.Lag: from the start
// offset where the group has not committed). It counts what the projector
// has not yet committed, so it can stay a little above 0 between commits.
// A group that does not exist or has committed nothing is an error, not 0.
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
	for _, l := range gl.Lag[q.eventsTopic] {
		if l.Err != nil {
			return 0, fmt.Errorf("lag of group %s on %s/%d: %w", q.projectorGroup, l.Topic, l.Partition, l.Err)
		}
		sum += l.Lag
	}
	return sum, nil
}

// DLQSize sums end minus start offset over the DLQ's partitions: what it
// holds now (after retention), transaction markers included when the DLQ
// is written transactionally.
func (q *KafkaQueues) DLQSize(ctx context.Context) (int64, error) {
	starts, err := q.adm.ListStartOffsets(ctx, q.dlqTopic)
	if err != nil {
		return 0, fmt.Errorf("start offsets of %s: %w", q.dlqTopic, err)
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
