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
)

// restore fills the stores of parts from the state topic, read_committed, up
// to each partition's high watermark at the time of assignment. Control
// records are kept so the position can be compared with the end offset even
// when the log ends in a transaction marker.
//
// The end is the high watermark, not the last stable offset: a member killed
// inside a transaction leaves it open until the broker times it out, and the
// last stable offset stays behind it while the next owners commit states
// after it. Restoring only up to the last stable offset would then miss those
// committed states, while the group's committed offsets (which are stable)
// already lie past their commands: the new owner would decide on a stale
// state and write duplicate sequence numbers. The same holds for the commit
// markers of the previous owner's last transaction, which the broker writes
// after answering EndTxn. Reading read_committed up to the high watermark
// waits until every transaction that wrote before it has ended.
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
	adm := kadm.NewClient(p.admin)
	ends, err := adm.ListEndOffsets(ctx, p.cfg.Topics.State)
	if err != nil {
		return fmt.Errorf("restore: list end offsets of %s: %w", p.cfg.Topics.State, err)
	}
	starts, err := adm.ListStartOffsets(ctx, p.cfg.Topics.State)
	if err != nil {
		return fmt.Errorf("restore: list start offsets of %s: %w", p.cfg.Topics.State, err)
	}
	want := map[int32]int64{}
	consume := map[int32]kgo.Offset{}
	for _, part := range parts {
		end, ok := ends.Lookup(p.cfg.Topics.State, part)
		if !ok || end.Err != nil {
			return fmt.Errorf("restore: no end offset for %s/%d: %v", p.cfg.Topics.State, part, end.Err)
		}
		begin, _ := starts.Lookup(p.cfg.Topics.State, part)
		if end.Offset <= begin.Offset {
			p.stores.markRestored(part)
			continue
		}
		want[part] = end.Offset
		consume[part] = kgo.NewOffset().AtStart()
	}
	var records int
	if len(want) > 0 {
		records, err = p.readStates(ctx, want, consume)
		if err != nil {
			return err
		}
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

func (p *Processor) readStates(ctx context.Context, want map[int32]int64, consume map[int32]kgo.Offset) (int, error) {
	opts := append(append([]kgo.Opt(nil), p.cfg.ClientOpts...),
		kgo.SeedBrokers(p.cfg.Brokers...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{p.cfg.Topics.State: consume}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(),
		kgo.FetchMaxBytes(64<<20),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return 0, fmt.Errorf("restore: client: %w", err)
	}
	defer cl.Close()
	records := 0
	lastLog := time.Now()
	for len(want) > 0 {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return records, fmt.Errorf("restore: %w", err)
		}
		var ferr error
		fs.EachError(func(t string, part int32, err error) {
			ferr = fmt.Errorf("restore: fetch %s/%d: %w", t, part, err)
		})
		if ferr != nil {
			return records, ferr
		}
		// Partitions are decoded in parallel: decoding is the cost of a
		// restore, and each partition has its own store.
		var parts []kgo.FetchTopicPartition
		fs.EachPartition(func(fp kgo.FetchTopicPartition) {
			if n := len(fp.Records); n > 0 && fp.Records[n-1].Offset+1 >= want[fp.Partition] {
				delete(want, fp.Partition)
			}
			parts = append(parts, fp)
		})
		var wg sync.WaitGroup
		var n atomic.Int64
		errs := make([]error, len(parts))
		sem := make(chan struct{}, runtime.GOMAXPROCS(0))
		for i, fp := range parts {
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
		if err := errors.Join(errs...); err != nil {
			return records, err
		}
		if time.Since(lastLog) > 2*time.Second {
			p.log.Info("restoring", "records", records, "partitionsLeft", len(want))
			lastLog = time.Now()
		}
	}
	return records, nil
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
			return records, fmt.Errorf("restore: state of order %q at %s/%d@%d: %w", r.Key, fp.Topic, fp.Partition, r.Offset, err)
		}
		store.Put(string(r.Key), st)
	}
	return records, nil
}
