package processor

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/internal/changelog"
)

// restore fills the stores of parts from the state topic, read_committed,
// up to each partition's high watermark at the time of assignment (package
// changelog says why the high watermark and not the last stable offset).
// restoreUntilDone restores parts, retrying with backoff until it succeeds
// or ctx ends (the partitions were taken away). A partition without its
// state must never be processed: fetching starts only when this returns, and
// until then the member is not ready.
func (p *Processor) restoreUntilDone(ctx context.Context, parts []int32) {
	backoff := 200 * time.Millisecond
	for {
		err := p.restore(ctx, parts)
		if err == nil || ctx.Err() != nil {
			return
		}
		p.metrics.restoreErrors.Inc()
		p.log.Error("restore failed; retrying", "partitions", parts, "error", err, "retryIn", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

func (p *Processor) restore(ctx context.Context, parts []int32) error {
	if len(parts) == 0 {
		return nil
	}
	start := time.Now()
	p.stores.assign(parts)
	records, lastLog := 0, time.Now()
	opts := append(append([]kgo.Opt(nil), p.cfg.ClientOpts...), kgo.SeedBrokers(p.cfg.Brokers...))
	err := changelog.ReadToEnd(ctx, kadm.NewClient(p.admin), opts, p.cfg.Topics.State, parts,
		func(fps []kgo.FetchTopicPartition) error {
			// Partitions are decoded in parallel: decoding is the cost of
			// a restore, and each partition has its own store.
			var wg sync.WaitGroup
			var n atomic.Int64
			errs := make([]error, len(fps))
			sem := make(chan struct{}, runtime.GOMAXPROCS(0))
			for i, fp := range fps {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer func() { <-sem; wg.Done() }()
					c, err := p.restorePartition(fp)
					n.Add(int64(c))
					errs[i] = err
				}()
			}
			wg.Wait()
			records += int(n.Load())
			if time.Since(lastLog) > 2*time.Second {
				p.log.Info("restoring", "records", records)
				lastLog = time.Now()
			}
			return errors.Join(errs...)
		})
	if err != nil {
		return fmt.Errorf("restore %s: %w", p.cfg.Topics.State, err)
	}
	for _, part := range parts {
		p.stores.markRestored(part)
	}
	d := time.Since(start)
	p.metrics.restoreTime.Observe(d.Seconds())
	p.metrics.restoreRecs.Add(float64(records))
	_, orders := p.stores.counts()
	p.log.Info("restored partitions", "partitions", parts, "records", records, "orders", orders, "duration", d.Round(time.Millisecond))
	return nil
}

// restorePartition puts one fetched partition's state records in its store
// and returns how many it read. A record it cannot decode fails the restore:
// skipping it would leave the order at an older state and the next command
// would be decided on it.
func (p *Processor) restorePartition(fp kgo.FetchTopicPartition) (int, error) {
	store, ok := p.stores.storeForRestore(fp.Partition)
	if !ok {
		return 0, nil
	}
	records := 0
	for _, r := range fp.Records {
		if r.Attrs.IsControl() {
			continue
		}
		records++
		if r.Value == nil {
			store.Delete(string(r.Key))
			continue
		}
		st, err := p.cfg.Serdes.States.Decode(r.Value)
		if err != nil {
			return records, fmt.Errorf("state of order %q at %s/%d@%d: %w", r.Key, fp.Topic, fp.Partition, r.Offset, err)
		}
		store.Put(string(r.Key), st)
	}
	return records, nil
}
