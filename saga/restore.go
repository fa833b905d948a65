package saga

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
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
// watermark, control records kept, for the reason the processor's restore
// gives: a transaction a killed member left open must end before its
// successor's committed states past it are read.
func (s *Saga) restore(ctx context.Context, parts []int32) error {
	if len(parts) == 0 {
		return nil
	}
	start := time.Now()
	topic := s.cfg.Topics.SagaState
	s.stores.assign(parts)
	adm := kadm.NewClient(s.admin)
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return fmt.Errorf("restore: end offsets of %s: %w", topic, err)
	}
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return fmt.Errorf("restore: start offsets of %s: %w", topic, err)
	}
	want := map[int32]int64{}
	consume := map[int32]kgo.Offset{}
	for _, p := range parts {
		end, ok := ends.Lookup(topic, p)
		if !ok || end.Err != nil {
			return fmt.Errorf("restore: no end offset for %s/%d: %v", topic, p, end.Err)
		}
		if begin, _ := starts.Lookup(topic, p); end.Offset > begin.Offset {
			want[p] = end.Offset
			consume[p] = kgo.NewOffset().AtStart()
		}
	}
	records := 0
	if len(want) > 0 {
		cl, err := kgo.NewClient(append(append([]kgo.Opt(nil), s.cfg.ClientOpts...),
			kgo.SeedBrokers(s.cfg.Brokers...),
			kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: consume}),
			kgo.FetchIsolationLevel(kgo.ReadCommitted()),
			kgo.KeepControlRecords())...)
		if err != nil {
			return fmt.Errorf("restore: client: %w", err)
		}
		defer cl.Close()
		for len(want) > 0 {
			fs := cl.PollFetches(ctx)
			if ctx.Err() != nil {
				return fmt.Errorf("restore: %w", ctx.Err())
			}
			var ferr error
			fs.EachError(func(t string, p int32, err error) { ferr = fmt.Errorf("restore: fetch %s/%d: %w", t, p, err) })
			if ferr != nil {
				return ferr
			}
			var derr error
			fs.EachRecord(func(r *kgo.Record) {
				if r.Offset+1 >= want[r.Partition] {
					delete(want, r.Partition)
				}
				if r.Attrs.IsControl() || derr != nil {
					return
				}
				records++
				k := key{r.Partition, string(r.Key)}
				if r.Value == nil {
					s.stores.remove(k)
					return
				}
				st, err := s.cfg.Serdes.States.Decode(r.Value)
				if err != nil {
					derr = fmt.Errorf("restore: saga state of %s at %s/%d@%d: %w", k.orderID, topic, r.Partition, r.Offset, err)
					return
				}
				s.stores.put(k, st)
			})
			if derr != nil {
				return derr
			}
		}
	}
	s.stores.markRestored(parts)
	orders, inFlight := s.stores.counts()
	s.metrics.inFlight.Set(float64(inFlight))
	s.log.Info("restored partitions", "partitions", parts, "records", records, "orders", orders, "inFlight", inFlight,
		"duration", time.Since(start).Round(time.Millisecond))
	return nil
}
