package saga

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/internal/changelog"
)

// restoreUntilDone restores parts from order.saga-state, retrying until it
// succeeds or ctx ends. Fetching starts only after it returns, so no input
// meets a partition without its state.
func (s *Saga) restoreUntilDone(ctx context.Context, parts []int32) {
	wait := 200 * time.Millisecond
	for {
		err := s.restore(ctx, parts)
		if err == nil || ctx.Err() != nil {
			return
		}
		s.log.Error("restore failed; retrying", "partitions", parts, "error", err, "retryIn", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 10*time.Second)
	}
}

// restore reads the saga state partitions read_committed up to their high
// watermark (package changelog says why), a tombstone deleting its order.
func (s *Saga) restore(ctx context.Context, parts []int32) error {
	if len(parts) == 0 {
		return nil
	}
	start := time.Now()
	topic := s.cfg.Topics.SagaState
	s.stores.assign(parts)
	records := 0
	opts := append(append([]kgo.Opt(nil), s.cfg.ClientOpts...), kgo.SeedBrokers(s.cfg.Brokers...))
	err := changelog.ReadToEnd(ctx, kadm.NewClient(s.admin), opts, topic, parts, func(fps []kgo.FetchTopicPartition) error {
		for _, fp := range fps {
			for _, r := range fp.Records {
				if r.Attrs.IsControl() {
					continue
				}
				records++
				k := key{r.Partition, string(r.Key)}
				if r.Value == nil {
					s.stores.remove(k)
					continue
				}
				st, err := s.cfg.Serdes.States.Decode(r.Value)
				if err != nil {
					return fmt.Errorf("saga state of %s at %s/%d@%d: %w", k.orderID, topic, r.Partition, r.Offset, err)
				}
				s.stores.put(k, st)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("restore %s: %w", topic, err)
	}
	s.stores.markRestored(parts)
	orders, inFlight := s.stores.counts()
	s.metrics.inFlight.Set(float64(inFlight))
	s.log.Info("restored partitions", "partitions", parts, "records", records, "orders", orders, "inFlight", inFlight,
		"duration", time.Since(start).Round(time.Millisecond))
	return nil
}
