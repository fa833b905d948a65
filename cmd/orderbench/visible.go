package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/processor"
	"github.com/orderlog/orderlog/projections"
)

// eventsPerLifecycle is how many events one lifecycle() emits.
const eventsPerLifecycle = 15

// runVisible sends recs at rate through an in-process processor and
// projector and measures, per event, from its command's produce timestamp
// (the event's timestamp) to the moment the projector saw it written to
// Redis: command produced to visible in the read model.
func runVisible(ctx context.Context, cfg config, target redisTarget, recs []*kgo.Record, rate float64) (run, string, error) {
	prefix := fmt.Sprintf("vis-%d.", time.Now().UnixNano())
	names, err := newTopics(ctx, cfg, prefix)
	if err != nil {
		return run{}, "", err
	}
	serdes, err := processor.NewSerdes(ctx, names, nil)
	if err != nil {
		return run{}, "", err
	}
	_, stop, err := startProcessor(ctx, cfg, names, serdes, prefix+"orderd")
	if err != nil {
		return run{}, "", err
	}
	defer stop()

	want := len(recs) / 9 * eventsPerLifecycle
	lat := &latencies{samples: make([]time.Duration, 0, want)}
	var applied atomic.Int64
	done := make(chan time.Time, 1)
	rdb := target.client()
	defer rdb.Close()
	proj, err := projections.New(projections.Config{Brokers: cfg.brokers, Group: prefix + "projector", Topic: names.Events,
		Events: serdes.Events, Redis: rdb, Prefix: prefix,
		OnApplied: func(e order.Event, visible time.Time) {
			lat.add(visible.Sub(e.Time))
			if applied.Add(1) == int64(want) {
				done <- visible
			}
		}})
	if err != nil {
		return run{}, "", err
	}
	pctx, cancel := context.WithCancel(ctx)
	pdone := make(chan error, 1)
	go func() { pdone <- proj.Run(pctx) }()
	defer func() { cancel(); <-pdone }()
	for !proj.Ready() {
		time.Sleep(5 * time.Millisecond)
	}

	producer, err := kgo.NewClient(kgo.SeedBrokers(cfg.brokers...), kgo.ProducerLinger(time.Millisecond))
	if err != nil {
		return run{}, "", err
	}
	defer producer.Close()
	start := time.Now()
	if err := produce(ctx, producer, names.Commands, recs, rate, func(int) {}); err != nil {
		return run{}, "", err
	}
	select {
	case end := <-done:
		return run{name: fmt.Sprintf("visible in %s at %.0f cmd/s", target.name, rate), commands: len(recs), elapsed: end.Sub(start), lat: lat, rate: rate}, prefix, nil
	case err := <-pdone:
		return run{}, "", fmt.Errorf("projector stopped: %v", err)
	case <-ctx.Done():
		return run{}, "", ctx.Err()
	}
}
