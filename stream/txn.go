package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// decide runs every partition's share of a batch, in parallel; decided,
// when set, is called with each unit that succeeds as soon as it does
// (from its goroutine), so that its records can be on their way while the
// other partitions are decided.
func (c *core[S, I]) decide(byPart map[int32][]*kgo.Record, due map[int32][]string, now time.Time, decided func(i int, u *unit[S, I])) ([]*unit[S, I], error) {
	parts := slices.Collect(maps.Keys(byPart))
	for p := range due {
		if _, ok := byPart[p]; !ok {
			parts = append(parts, p)
		}
	}
	slices.Sort(parts)
	units := make([]*unit[S, I], len(parts))
	errs := make([]error, len(parts))
	parallel(len(parts), func(i int) {
		units[i], errs[i] = c.run(parts[i], now, byPart[parts[i]], due[parts[i]])
		if errs[i] == nil && decided != nil {
			decided(i, units[i])
		}
	})
	return units, errors.Join(errs...)
}

// parallel calls f(0..n-1), as many at once as there are processors, and
// returns when every call has.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			f(i)
		}()
	}
	wg.Wait()
}

// byPartition groups fetched records by partition number, each in offset
// order per topic.
func byPartition(fs kgo.Fetches) map[int32][]*kgo.Record {
	out := map[int32][]*kgo.Record{}
	fs.EachPartition(func(fp kgo.FetchTopicPartition) {
		if len(fp.Records) > 0 {
			out[fp.Partition] = append(out[fp.Partition], fp.Records...)
		}
	})
	return out
}

// produced is the fate of one output record.
type produced struct {
	unit, index int
	err         error
}

// transact handles one polled batch and the due timers in one transaction
// and, once it commits, applies the new states.
func (m *Member[S, I]) transact(sess *kgo.GroupTransactSession, fs kgo.Fetches, due map[int32][]string, now time.Time) error {
	start := time.Now()
	if err := sess.Begin(); err != nil {
		return fmt.Errorf("%s: begin transaction: %w", m.top.Name, err)
	}
	byPart := byPartition(fs)
	// The transaction's own context: shutdown must not cut a commit in
	// half, and End may wait for a rebalance to settle, so the bound is
	// generous; reaching it ends the session.
	tctx, cancel := context.WithTimeout(context.Background(), endTimeout)
	defer cancel()
	// Each partition's records are produced as soon as it is decided; a
	// batch that fails anywhere aborts, and its records with it.
	out := newProducer[S, I](tctx, sess)
	units, batchErr := m.decide(byPart, due, now, out.unit)
	ph := phases{start: start, decided: time.Now()}
	var failed []produced
	records := int(out.records.Load())
	if batchErr == nil {
		var err error
		if failed, err = out.wait(tctx); err != nil {
			return fmt.Errorf("%s: flush: %w", m.top.Name, err)
		}
	}
	ph.produced = time.Now()
	committed, err := sess.End(tctx, kgo.TransactionEndTry(batchErr == nil && len(failed) == 0))
	if err != nil {
		return fmt.Errorf("%s: end transaction: %w", m.top.Name, err)
	}
	m.metrics.txnDuration.Observe(time.Since(start).Seconds())
	m.metrics.txnRecords.Observe(float64(records))
	parts := unitPartitions(units, byPart)
	if !committed {
		m.metrics.transactions.WithLabelValues("aborted").Inc()
		switch {
		case batchErr != nil:
			m.struggle(parts, batchErr.Error())
		case len(failed) > 0:
			m.isolate(units, failed, fs.NumRecords(), parts)
		default:
			m.log.Info("transaction aborted by a rebalance or a failed offset commit; the batch will be polled again",
				"records", fs.NumRecords())
		}
		return nil
	}
	m.committed(units, parts, records, ph)
	return nil
}

// producer produces the records of a transaction's units as they are
// decided and tells which failed: Flush returns once the buffered records
// are done, but a record refused before it was buffered (too large for the
// client) is answered on another goroutine, and a transaction must never
// commit without it.
type producer[S, I any] struct {
	ctx     context.Context
	sess    *kgo.GroupTransactSession
	wg      sync.WaitGroup
	mu      sync.Mutex
	failed  []produced
	records atomic.Int64
}

func newProducer[S, I any](ctx context.Context, sess *kgo.GroupTransactSession) *producer[S, I] {
	return &producer[S, I]{ctx: ctx, sess: sess}
}

// unit produces the records of unit ui, in order.
func (p *producer[S, I]) unit(ui int, u *unit[S, I]) {
	p.records.Add(int64(len(u.out)))
	for i, r := range u.out {
		p.wg.Add(1)
		p.sess.Produce(p.ctx, r, func(_ *kgo.Record, err error) {
			defer p.wg.Done()
			if err != nil {
				p.mu.Lock()
				p.failed = append(p.failed, produced{ui, i, err})
				p.mu.Unlock()
			}
		})
	}
}

// wait flushes and returns every record that failed: known before deciding
// to commit, since a transaction missing a record must abort.
func (p *producer[S, I]) wait(ctx context.Context) ([]produced, error) {
	if err := p.sess.Client().Flush(ctx); err != nil {
		return nil, err
	}
	p.wg.Wait()
	return p.failed, nil
}

// unitPartitions is every partition the batch worked on: of its records
// and of its timers.
func unitPartitions[S, I any](units []*unit[S, I], byPart map[int32][]*kgo.Record) []int32 {
	parts := slices.Collect(maps.Keys(byPart))
	for _, u := range units {
		if !slices.Contains(parts, u.partition) {
			parts = append(parts, u.partition)
		}
	}
	slices.Sort(parts)
	return parts
}

// committed makes a committed batch the member's: states applied, effects
// run, isolated inputs forgotten, stuck partitions cleared, metrics.
// phases is when a transaction's parts ended: how long deciding, producing
// (up to every record's acknowledgement) and ending it took.
type phases struct{ start, decided, produced time.Time }

func (m *Member[S, I]) committed(units []*unit[S, I], parts []int32, records int, ph phases) {
	m.metrics.transactions.WithLabelValues("committed").Inc()
	var t tally
	var done []coord
	for _, u := range units {
		u.apply()
		for _, f := range u.after {
			f()
		}
		t.add(u.tally)
		for i, r := range u.inputs {
			if u.steps[i] != stepHandle {
				done = append(done, coordOf(r))
			}
		}
	}
	m.quarantine.done(done)
	m.metrics.committed(t)
	grow := false
	for _, p := range parts {
		if m.failing[p] > 0 {
			delete(m.failing, p)
			m.stores.setProblem(p, "")
			m.metrics.stuck.WithLabelValues(strconv.Itoa(int(p))).Set(0)
		}
		if m.bisecting[p] {
			grow = true
		}
	}
	// The poll grows back only once a batch of a partition being
	// bisected committed: growing after batches of other partitions only
	// would swing between two sizes and never corner the record.
	if grow && m.pollLimit < m.cfg.MaxPollRecords {
		m.pollLimit = min(m.cfg.MaxPollRecords, 2*m.pollLimit)
	}
	if m.pollLimit >= m.cfg.MaxPollRecords {
		clear(m.bisecting)
	}
	st := m.stores.status()
	m.setStates(st.states)
	if m.log.Enabled(context.Background(), slog.LevelDebug) {
		m.log.Debug("transaction committed", "inputs", t.inputs, "timers", t.timers, "records", records,
			"duration", time.Since(ph.start).Round(time.Microsecond),
			"decide", ph.decided.Sub(ph.start).Round(time.Microsecond),
			"produce", ph.produced.Sub(ph.decided).Round(time.Microsecond),
			"end", time.Since(ph.produced).Round(time.Microsecond))
	}
}

// recordFault reports whether a produce error lies in the record itself
// (its size, timestamp or content), so isolating the record that caused it
// helps; any other failure (a broker down, an authorization) is the
// cluster's, and isolating would dead-letter good records.
func recordFault(err error) bool {
	for _, e := range []error{kerr.MessageTooLarge, kerr.InvalidTimestamp, kerr.InvalidRecord,
		kerr.CorruptMessage, kerr.RecordListTooLarge} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// isolate follows a transaction aborted by failed produces. When they lie
// in the records: a timer whose record failed is held (franz-go fails a
// whole produce batch, so the inputs that shared its partition are not
// blamed); else, when the failed records came from one input, that input
// moves one step up its ladder (refused, dead-lettered, truncated,
// skipped); from several, the next poll takes half as many records, until
// one input is alone.
func (m *Member[S, I]) isolate(units []*unit[S, I], failed []produced, n int, parts []int32) {
	type suspect struct{ unit, input int }
	suspects := map[suspect]error{}
	timers := map[suspect]error{}
	var other error
	for _, f := range failed {
		if !recordFault(f.err) {
			other = f.err
			continue
		}
		if in := units[f.unit].origin[f.index]; in >= 0 {
			suspects[suspect{f.unit, in}] = f.err
		} else {
			timers[suspect{f.unit, -1 - in}] = f.err
		}
	}
	if len(suspects) == 0 && len(timers) == 0 {
		if other == nil {
			other = failed[0].err
		}
		m.struggle(parts, "producing failed: "+other.Error())
		return
	}
	m.metrics.isolations.Inc()
	switch {
	case len(timers) > 0:
		for s, err := range timers {
			units[s.unit].holdTimer(s.input, fmt.Sprintf("an output was refused by Kafka: %v", err))
		}
	case len(suspects) == 1:
		for s, err := range suspects {
			u := units[s.unit]
			r := u.inputs[s.input]
			next := u.steps[s.input] + 1
			m.quarantine.raise(coordOf(r), next, fmt.Sprintf("an output was refused by Kafka: %v", err))
			m.log.Warn("input isolated: an output failed its transaction", "topic", r.Topic, "partition", r.Partition,
				"offset", r.Offset, "next", next.String(), "error", err)
		}
	default:
		for s := range suspects {
			m.bisecting[units[s.unit].partition] = true
		}
		m.pollLimit = max(1, min(m.pollLimit, n)/2)
		m.log.Warn("outputs of several inputs failed their transaction; polling fewer records to find the one at fault",
			"inputs", len(suspects), "nextPoll", m.pollLimit)
	}
}

// struggle counts a failed batch against its partitions: after three in a
// row a partition is reported stuck (Health, partition_stuck) until a
// batch of it commits. It pauses before the batch is polled again, longer
// each time, so a failure that lasts does not spin.
func (m *Member[S, I]) struggle(parts []int32, reason string) {
	worst := 0
	for _, p := range parts {
		m.failing[p]++
		worst = max(worst, m.failing[p])
		if m.failing[p] >= 3 {
			m.stores.setProblem(p, clip(reason, 300))
			m.metrics.stuck.WithLabelValues(strconv.Itoa(int(p))).Set(1)
		}
	}
	pause := min(200*time.Millisecond<<min(worst, 5), 5*time.Second)
	m.log.Error("transaction aborted; the batch will be polled again", "partitions", parts, "reason", reason,
		"failedInARow", worst, "retryIn", pause)
	select {
	case <-m.stop:
	case <-time.After(pause):
	}
}
