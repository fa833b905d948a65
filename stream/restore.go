package stream

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/internal/changelog"
)

// restoreUntilDone restores parts, retrying with backoff until it succeeds
// or ctx ends (the partitions were taken away). A partition without its
// states is never handled: fetching starts only when this returns, and
// until then the member is not ready.
func (m *Member[S, I]) restoreUntilDone(ctx context.Context, parts []int32) {
	wait := 200 * time.Millisecond
	for {
		err := m.restore(ctx, parts)
		if err == nil || ctx.Err() != nil {
			return
		}
		m.metrics.restoreErrors.Inc()
		for _, p := range parts {
			m.stores.setProblem(p, clip("restore failed: "+err.Error(), 300))
		}
		m.log.Error("restore failed; retrying", "partitions", parts, "error", err, "retryIn", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 10*time.Second)
	}
}

// restore fills the stores of parts from the changelog, read_committed, up
// to each partition's high watermark at the time of assignment (package
// changelog says why the high watermark and not the last stable offset).
// Partitions are restored in parallel: decoding, when the states are kept
// decoded (Changelog.Decoded 0), is the cost of a restore.
func (m *Member[S, I]) restore(ctx context.Context, parts []int32) error {
	if len(parts) == 0 {
		return nil
	}
	start := time.Now()
	topic := m.top.State.Topic
	m.stores.assign(parts)
	var records atomic.Int64
	lastLog := time.Now()
	opts := append(slices.Clone(m.cfg.ClientOpts), kgo.SeedBrokers(m.cfg.Brokers...))
	err := changelog.ReadToEnd(ctx, kadm.NewClient(m.admin), opts, topic, parts, func(fps []kgo.FetchTopicPartition) error {
		errs := make([]error, len(fps))
		parallel(len(fps), func(i int) {
			n, err := m.restorePartition(fps[i])
			records.Add(int64(n))
			errs[i] = err
		})
		if time.Since(lastLog) > 2*time.Second {
			m.log.Info("restoring", "partitions", parts, "records", records.Load())
			lastLog = time.Now()
		}
		return errors.Join(errs...)
	})
	if err != nil {
		return fmt.Errorf("restore %s: %w", topic, err)
	}
	for _, p := range parts {
		m.stores.setProblem(p, "")
	}
	m.stores.markRestored(parts)
	d := time.Since(start)
	m.metrics.restoreTime.Observe(d.Seconds())
	m.metrics.restoreRecs.Add(float64(records.Load()))
	st := m.stores.status()
	m.setStates(st.states)
	m.log.Info("restored partitions", "partitions", parts, "records", records.Load(), "states", st.states,
		"duration", d.Round(time.Millisecond))
	return nil
}

// restorePartition puts one fetched partition's state records in its
// store, a tombstone deleting its key, and returns how many it read (each
// key's last of the fetch is the one decoded). A
// record it cannot decode fails the restore: skipping it would leave the key
// at an older state, and the next input would be decided on it.
func (m *Member[S, I]) restorePartition(fp kgo.FetchTopicPartition) (int, error) {
	pt := m.stores.restoring(fp.Partition)
	if pt == nil {
		return 0, nil
	}
	if m.stores.cache > 0 {
		return m.stores.restoreCoded(fp.Partition, pt, fp.Records), nil
	}
	// A key written many times (the changelog's head is not compacted
	// yet: an order's every batch) is restored once per fetch, from its
	// last record: decoding (or copying) it is the cost of a restore.
	last := make(map[string]int, len(fp.Records))
	for i, r := range fp.Records {
		if !r.Attrs.IsControl() {
			last[string(r.Key)] = i
		}
	}
	n := 0
	for i, r := range fp.Records {
		if r.Attrs.IsControl() {
			continue
		}
		n++
		if last[string(r.Key)] != i {
			continue // a later record of this fetch has the key's newer state
		}
		if err := m.stores.restoreRecord(fp.Partition, pt, string(r.Key), r.Value); err != nil {
			return n, fmt.Errorf("state of %q at %s/%d@%d: %w", r.Key, fp.Topic, fp.Partition, r.Offset, err)
		}
	}
	return n, nil
}
