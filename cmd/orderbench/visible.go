package main

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/processor"
	"github.com/orderlog/orderlog/projections"
	"github.com/orderlog/orderlog/topics"
)

// pipeline is a processor and a projector in this process, on one topic
// set and one Redis: the write side and the read side together.
type pipeline struct {
	names  topics.Names
	serdes processor.Serdes
	prefix string // the read models' key prefix
	rdb    redis.UniversalClient
	stop   func() error
}

// startPipeline starts both and returns once both are ready; onApplied is
// the projector's hook (nil: none).
func startPipeline(ctx context.Context, cfg config, target redisTarget, onApplied func(order.Event, time.Time)) (*pipeline, error) {
	prefix := fmt.Sprintf("pipe%d.", time.Now().UnixNano())
	names, err := newTopics(ctx, cfg, prefix)
	if err != nil {
		return nil, err
	}
	serdes, err := processor.NewSerdes(ctx, names, nil)
	if err != nil {
		return nil, err
	}
	_, stopProc, err := startProcessor(ctx, cfg, names, serdes, prefix+"orderd", nil)
	if err != nil {
		return nil, err
	}
	rdb := target.client()
	proj, err := projections.New(projections.Config{Brokers: cfg.brokers, Group: prefix + "projector", Topic: names.Events,
		Events: serdes.Events, Redis: rdb, Prefix: prefix, Gather: cfg.gather, OnApplied: onApplied, Logger: benchLogger()})
	if err != nil {
		stopProc()
		rdb.Close()
		return nil, err
	}
	pctx, cancel := context.WithCancel(ctx)
	pdone := make(chan error, 1)
	go func() { pdone <- proj.Run(pctx) }()
	p := &pipeline{names: names, serdes: serdes, prefix: prefix, rdb: rdb}
	var stopped atomic.Bool
	var projErr error
	p.stop = func() error {
		if stopped.Swap(true) {
			return projErr
		}
		cancel()
		projErr = <-pdone
		stopProc()
		rdb.Close()
		if errors.Is(projErr, context.Canceled) {
			projErr = nil
		}
		return projErr
	}
	for !proj.Ready() {
		select {
		case err := <-pdone:
			stopped.Store(true)
			cancel()
			stopProc()
			rdb.Close()
			return nil, fmt.Errorf("projector stopped before it was ready: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	return p, nil
}

// visibleRun is command -> visible in the read model: from a command's
// produce (its events carry the command's time) to the projector having
// written each of its events to Redis.
type visibleRun struct {
	name     string
	rate     float64 // offered, 0: as fast as it goes
	steady   float64 // commands/s after the warm-up (full-speed runs)
	achieved float64
	lat      *latencies
	prefix   string
	orders   []string
}

func (r visibleRun) String() string {
	if r.rate == 0 {
		return fmt.Sprintf("%-44s %9s cmd/s steady", r.name, thousands(r.steady))
	}
	return fmt.Sprintf("%-44s %7d samples  %7s/s achieved  p50 %9s  p99 %9s  max %9s%s", r.name, r.lat.count(), thousands(r.achieved),
		r.lat.show(0.5), r.lat.show(0.99), r.lat.show(1), behindNote(r.lat))
}

// runVisiblePeak sends commands as fast as the producer goes through the
// pipeline: its steady commands/s, timed on the events the projector
// writes (15 per lifecycle of 9 commands), the warm-up's excluded.
func runVisiblePeak(ctx context.Context, cfg config, target redisTarget, commands, warm int) (visibleRun, error) {
	l := lifecycles(fmt.Sprintf("vp%d", time.Now().UnixNano()), commands)
	events := len(l.orders) * eventsPerLifecycle
	clock := newSteadyClock(warm*eventsPerLifecycle/stepsPerLifecycle, events, time.Now())
	p, err := startPipeline(ctx, cfg, target, func(_ order.Event, at time.Time) { clock.observe(1, at) })
	if err != nil {
		return visibleRun{}, err
	}
	err = sendAll(ctx, cfg, p.names.Commands, l.recs, schedule{start: time.Now()}, func(int, time.Time) {})
	if err == nil {
		err = waitDone(ctx, clock, cfg.stall)
	}
	if err = errors.Join(err, p.stop()); err != nil {
		return visibleRun{}, fmt.Errorf("visible in %s, full speed: %w", target.name, err)
	}
	// Events per second, as commands per second.
	return visibleRun{name: "pipeline to " + target.name + ", full speed", steady: clock.steady() * stepsPerLifecycle / eventsPerLifecycle}, nil
}

// runVisible sends fr's load through the pipeline and measures every event
// of the commands sent after the warm-up.
func runVisible(ctx context.Context, cfg config, target redisTarget, fr fixedRate) (visibleRun, error) {
	l := lifecycles(fmt.Sprintf("v%d", time.Now().UnixNano()), fr.items())
	events := len(l.orders) * eventsPerLifecycle
	start := time.Now().Add(50 * time.Millisecond)
	clock := newSteadyClock(0, events, start)
	lat := newLatencies(events)
	p, err := startPipeline(ctx, cfg, target, func(e order.Event, at time.Time) {
		if fr.counts(start, e.Time) {
			lat.add(at.Sub(e.Time))
		}
		clock.observe(1, at)
	})
	if err != nil {
		return visibleRun{}, err
	}
	err = sendAll(ctx, cfg, p.names.Commands, l.recs, schedule{start: start, rate: fr.rate}, func(int, time.Time) {})
	lastSend := time.Now()
	behind := false
	if err == nil {
		if err = drain(ctx, cfg, clock); errors.Is(err, errBehind) {
			behind, err = true, nil
		}
	}
	err = errors.Join(err, p.stop())
	if behind {
		// An event not written yet waited at least since the last send.
		clock.mu.Lock()
		missing := clock.total - clock.seen
		clock.mu.Unlock()
		for range missing {
			lat.addBound(time.Since(lastSend))
		}
	}
	if err != nil {
		return visibleRun{}, fmt.Errorf("visible in %s at %.0f/s: %w", target.name, fr.rate, err)
	}
	return visibleRun{name: fmt.Sprintf("visible in %s at %s cmd/s", target.name, thousands(fr.rate)), rate: fr.rate,
		achieved: clock.totalRate() * stepsPerLifecycle / eventsPerLifecycle, lat: lat, prefix: p.prefix, orders: l.orders}, nil
}

// sendAll produces recs on the schedule with a client of its own.
func sendAll(ctx context.Context, cfg config, topic string, recs []*kgo.Record, sch schedule, sent func(int, time.Time)) error {
	producer, err := kgo.NewClient(kgo.SeedBrokers(cfg.brokers...), kgo.ProducerLinger(time.Millisecond))
	if err != nil {
		return err
	}
	defer producer.Close()
	return produce(ctx, producer, topic, recs, sch, sent)
}
