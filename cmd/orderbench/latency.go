package main

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// latencyRun is command->result at a fixed rate: from the moment a command
// is handed to the producer (or was due, if the producer fell behind) to
// the moment a read_committed consumer reads its result.
type latencyRun struct {
	name     string
	rate     float64 // offered
	achieved float64 // results per second over the whole run
	lat      *latencies
}

func (r latencyRun) String() string {
	return fmt.Sprintf("%-44s %7d samples  %7s/s achieved  p50 %9s  p99 %9s  max %9s%s", r.name, r.lat.count(), thousands(r.achieved),
		r.lat.show(0.5), r.lat.show(0.99), r.lat.show(1), behindNote(r.lat))
}

// runLatency sends fr's load to sys at its rate and measures every command
// sent after the warm-up.
func runLatency(ctx context.Context, cfg config, sys system, name string, fr fixedRate) (latencyRun, error) {
	names, err := newTopics(ctx, cfg, fmt.Sprintf("lat-%d.", time.Now().UnixNano()))
	if err != nil {
		return latencyRun{}, err
	}
	l := lifecycles(fmt.Sprintf("l%d", time.Now().UnixNano()), fr.items())
	recs := tagged(l.recs[:fr.items()])
	stop, err := sys.start(ctx, cfg, names, len(recs), nil)
	if err != nil {
		return latencyRun{}, fmt.Errorf("%s: %w", sys.label(), err)
	}
	consumer, err := kgo.NewClient(kgo.SeedBrokers(cfg.brokers...), kgo.ConsumeTopics(names.Results),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxWait(fetchMaxWait))
	if err != nil {
		return latencyRun{}, errors.Join(err, stop())
	}
	defer consumer.Close()
	producer, err := kgo.NewClient(kgo.SeedBrokers(cfg.brokers...), kgo.ProducerLinger(time.Millisecond))
	if err != nil {
		return latencyRun{}, errors.Join(err, stop())
	}
	defer producer.Close()

	start := time.Now().Add(50 * time.Millisecond)
	pr := newProbe(fr, start, len(recs), sys.indexOf(l))
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	consumed := make(chan struct{})
	go func() { defer close(consumed); pr.consume(cctx, consumer) }()
	err = produce(ctx, producer, names.Commands, recs, schedule{start: start, rate: fr.rate},
		func(i int, at time.Time) { pr.sent[i].Store(at.UnixNano()) })
	if err == nil {
		if err = drain(ctx, cfg, pr.clock); errors.Is(err, errBehind) {
			cancel()
			<-consumed
			pr.outstanding(time.Now())
			err = nil
		}
	}
	if serr := stop(); serr != nil {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return latencyRun{}, fmt.Errorf("%s at %.0f/s: %w", sys.label(), fr.rate, err)
	}
	return latencyRun{name: name, rate: fr.rate, achieved: pr.clock.totalRate(), lat: pr.lat}, nil
}

// probe matches results to the commands of a fixed-rate run.
type probe struct {
	fr       fixedRate
	start    time.Time
	sent     []atomic.Int64 // when each command's latency counts from, Unix ns
	answered []atomic.Bool
	lat      *latencies
	clock    *steadyClock
	indexOf  func(*kgo.Record) (int, bool)
}

func newProbe(fr fixedRate, start time.Time, n int, indexOf func(*kgo.Record) (int, bool)) *probe {
	return &probe{fr: fr, start: start, sent: make([]atomic.Int64, n), answered: make([]atomic.Bool, n),
		lat: newLatencies(n), clock: newSteadyClock(0, n, start), indexOf: indexOf}
}

// consume reads results until ctx ends, measuring those of commands sent
// after the warm-up.
func (p *probe) consume(ctx context.Context, cl *kgo.Client) {
	for ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		now := time.Now()
		n := 0
		fs.EachRecord(func(r *kgo.Record) {
			n++
			i, ok := p.indexOf(r)
			if !ok {
				return
			}
			p.answered[i].Store(true)
			if at := time.Unix(0, p.sent[i].Load()); p.fr.counts(p.start, at) {
				p.lat.add(now.Sub(at))
			}
		})
		if n > 0 {
			p.clock.observe(n, now)
		}
	}
}

// outstanding counts every command still unanswered at now, at least as
// long as it has waited: a system that falls behind its rate is not hidden
// by dropping its slowest answers. Call it once consume has returned.
func (p *probe) outstanding(now time.Time) {
	for i := range p.sent {
		if at := time.Unix(0, p.sent[i].Load()); !p.answered[i].Load() && p.fr.counts(p.start, at) {
			p.lat.addBound(now.Sub(at))
		}
	}
}

// fetchMaxWait bounds the measuring consumers' long poll. With data
// flowing the broker answers as soon as there is any; this only matters
// when a result is the first after a quiet spell.
const fetchMaxWait = 100 * time.Millisecond

// errBehind is a fixed-rate run whose answers were not all in within
// -drain of its last send.
var errBehind = errors.New("fell behind its rate")

// drain waits for the clock's last item for at most cfg.drain.
func drain(ctx context.Context, cfg config, clock *steadyClock) error {
	dctx, cancel := context.WithTimeout(ctx, cfg.drain)
	defer cancel()
	err := waitDone(dctx, clock, cfg.stall)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		return errBehind
	}
	return err
}

// behindNote says how many answers a run gave up on.
func behindNote(l *latencies) string {
	if n := l.behind(); n > 0 {
		return fmt.Sprintf(" (fell behind: %d not answered within the drain, counted as lower bounds)", n)
	}
	return ""
}
