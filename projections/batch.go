package projections

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/orderlog/orderlog/internal/gather"
	"github.com/orderlog/orderlog/order"
)

// A record's place in a batch: an index into the batch's events, or one of
// these.
const (
	refControl    = -1 // a transaction marker: nothing to project
	refUndecoded  = -2 // could not be decoded: the partition is held here
	refNotReached = -3 // after an undecodable record: not handled this time
)

// handle projects one polled batch and commits, per partition, the offsets
// up to the first record that could not be projected; a partition stopped
// at such a record is held (paused and rewound to it) and retried later.
func (p *Projector) handle(ctx context.Context, cl *kgo.Client, fs kgo.Fetches) {
	start := time.Now()
	parts := gather.Partitions(fs)
	events, refs := p.decode(parts)
	decoded := time.Now()
	results, err := p.ap.apply(ctx, events)
	applied := time.Now()
	if err != nil {
		p.rewind(ctx, cl, parts, err)
		return
	}
	if p.redisFailures > 0 {
		p.log.Info("redis answers again; the batch is projected", "failedAttempts", p.redisFailures)
		p.redisFailures = 0
	}
	p.count(events, results)
	now := p.cfg.Now()
	commits := map[int32]kgo.EpochOffset{}
	for i, fp := range parts {
		var done, blocked *kgo.Record
		at := -1
		for j, r := range fp.Records {
			ix := refs[i][j]
			if ix == refUndecoded || ix >= 0 && (results[ix].Outcome == Gap || results[ix].Outcome == Stale) {
				blocked, at = r, j
				break
			}
			done = r
		}
		next := fp.Records[0].Offset
		if done != nil {
			next = done.Offset + 1
			commits[fp.Partition] = kgo.EpochOffset{Epoch: done.LeaderEpoch, Offset: next}
		}
		if blocked != nil {
			p.hold(cl, fp, at, refs[i], events, results, now)
		} else {
			p.release(fp.Partition)
		}
		end := fp.HighWatermark
		if fp.LastStableOffset >= 0 { // read_committed: an open transaction cannot be read yet
			end = fp.LastStableOffset
		}
		lag := max(end-next, 0)
		label := strconv.Itoa(int(fp.Partition))
		p.metrics.lagEvents.WithLabelValues(label).Set(float64(lag))
		switch {
		case blocked != nil:
			p.metrics.lagSeconds.WithLabelValues(label).Set(now.Sub(blocked.Timestamp).Seconds())
		case lag > 0:
			p.metrics.lagSeconds.WithLabelValues(label).Set(now.Sub(done.Timestamp).Seconds())
		default:
			p.metrics.lagSeconds.WithLabelValues(label).Set(0)
		}
	}
	committing := time.Now()
	p.commit(ctx, cl, commits)
	took := time.Since(start)
	p.metrics.batch.Observe(took.Seconds())
	p.metrics.batchEvents.Observe(float64(len(events)))
	p.log.Debug("batch projected", "events", len(events), "partitions", len(parts), "took", took.Round(time.Microsecond),
		"decode", decoded.Sub(start).Round(time.Microsecond), "apply", applied.Sub(decoded).Round(time.Microsecond),
		"commit", time.Since(committing).Round(time.Microsecond))
}

// decode decodes the partitions' records in parallel and returns the events
// in log order per partition, and for each record its ref.
func (p *Projector) decode(parts []kgo.FetchTopicPartition) ([]order.Event, [][]int) {
	evs := make([][]order.Event, len(parts))
	refs := make([][]int, len(parts))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, fp := range parts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			refs[i] = make([]int, len(fp.Records))
			stopped := false
			for j, r := range fp.Records {
				switch {
				case stopped:
					refs[i][j] = refNotReached
				case r.Attrs.IsControl():
					refs[i][j] = refControl
				default:
					e, err := p.cfg.Events.Decode(r.Value)
					if err != nil {
						p.metrics.decodeErrs.Inc()
						p.log.Error("undecodable record on order.events; partition held", "partition", r.Partition,
							"offset", r.Offset, "key", string(r.Key), "error", err)
						refs[i][j], stopped = refUndecoded, true
						continue
					}
					refs[i][j] = len(evs[i])
					evs[i] = append(evs[i], e)
				}
			}
		}()
	}
	wg.Wait()
	var events []order.Event
	for i := range parts {
		base := len(events)
		events = append(events, evs[i]...)
		for j, ix := range refs[i] {
			if ix >= 0 {
				refs[i][j] = base + ix
			}
		}
	}
	return events, refs
}

// count updates the outcome counters and the event age of applied events.
func (p *Projector) count(events []order.Event, results []Result) {
	var n [Stale + 1]int
	now := p.cfg.Now()
	for i, r := range results {
		n[r.Outcome]++
		if r.Outcome == Applied {
			p.metrics.eventAge.Observe(now.Sub(events[i].Time).Seconds())
			if p.cfg.OnApplied != nil {
				p.cfg.OnApplied(events[i], now)
			}
		}
	}
	for o := Applied; o <= Stale; o++ {
		if n[o] > 0 {
			p.metrics.events.WithLabelValues(o.String()).Add(float64(n[o]))
		}
	}
}

// hold stops a partition at the record it could not project (index at):
// it logs and counts the partition's gaps (each once), pauses the
// partition, rewinds it to the record and sets when to fetch it again.
// Nothing from the record on is committed, so no gap is ever skipped.
func (p *Projector) hold(cl *kgo.Client, fp kgo.FetchTopicPartition, at int, refs []int, events []order.Event, results []Result, now time.Time) {
	r := fp.Records[at]
	reason := "undecodable record"
	if ix := refs[at]; ix >= 0 {
		reason = results[ix].Outcome.String()
	}
	p.mu.Lock()
	h := p.held[fp.Partition]
	switch {
	case h == nil:
		h = &hold{offset: r.Offset, gaps: map[string]int64{}}
		p.held[fp.Partition] = h
		p.metrics.stalled.Inc()
	case h.offset != r.Offset:
		h.offset, h.attempts = r.Offset, 0
	default:
		h.attempts++
	}
	for _, ix := range refs {
		if ix < 0 || results[ix].Outcome != Gap {
			continue
		}
		e := &events[ix]
		if seq, ok := h.gaps[e.OrderID]; ok && seq <= e.Seq {
			continue // counted already (this or an earlier event of the order)
		}
		h.gaps[e.OrderID] = e.Seq
		p.metrics.gaps.Inc()
		p.log.Warn("gap: event is not the next of its order; not applied, partition held", "orderId", e.OrderID,
			"sequenceNumber", e.Seq, "projectedVersion", results[ix].Version, "eventType", e.Type,
			"partition", fp.Partition, "heldAt", r.Offset, "correlationId", e.CorrelationID)
	}
	wait := min(p.cfg.RetryBackoff<<min(h.attempts, 16), p.cfg.MaxRetryBackoff)
	if reason == Stale.String() && h.attempts == 0 {
		wait = 0 // another writer moved the order on: read it again at once
	}
	h.time, h.until, h.paused = r.Timestamp, now.Add(wait), true
	attempts := h.attempts
	p.mu.Unlock()
	cl.PauseFetchPartitions(map[string][]int32{p.cfg.Topic: {fp.Partition}})
	cl.SetOffsets(map[string]map[int32]kgo.EpochOffset{p.cfg.Topic: {fp.Partition: {Epoch: -1, Offset: r.Offset}}})
	lvl := p.log.Info
	if attempts > 0 {
		lvl = p.log.Debug
	}
	lvl("partition held", "partition", fp.Partition, "offset", r.Offset, "reason", reason, "attempt", attempts+1, "retryIn", wait)
}

// release forgets the hold of a partition that moved past it.
func (p *Projector) release(part int32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if h, ok := p.held[part]; ok {
		delete(p.held, part)
		p.metrics.stalled.Dec()
		p.log.Info("held partition moves again", "partition", part, "offset", h.offset, "attempts", h.attempts+1)
	}
}

// rewind puts every partition of a batch that failed on Redis back to its
// first record, and waits a little: the batch is polled again.
func (p *Projector) rewind(ctx context.Context, cl *kgo.Client, parts []kgo.FetchTopicPartition, err error) {
	to := map[int32]kgo.EpochOffset{}
	for _, fp := range parts {
		to[fp.Partition] = kgo.EpochOffset{Epoch: -1, Offset: fp.Records[0].Offset}
	}
	cl.SetOffsets(map[string]map[int32]kgo.EpochOffset{p.cfg.Topic: to})
	if ctx.Err() != nil {
		return
	}
	p.metrics.redisErrs.Inc()
	p.redisFailures++
	if cc, ok := p.cfg.Redis.(*redis.ClusterClient); ok {
		cc.ReloadState(ctx) // a failover moved slots to a promoted replica: route the retry there
	}
	p.log.Error("projecting a batch failed on Redis; it will be polled again", "error", err,
		"attempt", p.redisFailures, "retryIn", time.Second)
	select {
	case <-ctx.Done():
	case <-time.After(time.Second):
	}
}

// commit commits offsets; a failed commit only means records are projected
// again, which finds them duplicate.
func (p *Projector) commit(ctx context.Context, cl *kgo.Client, offsets map[int32]kgo.EpochOffset) {
	if len(offsets) == 0 {
		return
	}
	cl.CommitOffsetsSync(ctx, map[string]map[int32]kgo.EpochOffset{p.cfg.Topic: offsets},
		func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
			if err == nil {
				for _, t := range resp.Topics {
					for _, pr := range t.Partitions {
						if perr := kerr.ErrorForCode(pr.ErrorCode); perr != nil {
							err = errors.Join(err, perr)
						}
					}
				}
			}
			if err != nil && ctx.Err() == nil {
				p.log.Warn("offset commit failed; records will be projected again (as duplicates)", "error", err)
			}
		})
}
