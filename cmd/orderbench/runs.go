package main

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/processor"
	"github.com/orderlog/orderlog/topics"
)

func newTopics(ctx context.Context, cfg config, prefix string) (topics.Names, error) {
	set, err := topics.New(topics.Config{Prefix: prefix, Partitions: cfg.partitions, ReplicationFactor: 1})
	if err != nil {
		return topics.Names{}, err
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.brokers...))
	if err != nil {
		return topics.Names{}, err
	}
	defer cl.Close()
	_, err = set.Ensure(ctx, kadm.NewClient(cl))
	return set.Names(), err
}

// startProcessor runs an in-process processor and waits until it is ready.
func startProcessor(ctx context.Context, cfg config, names topics.Names, serdes processor.Serdes, group string) (*processor.Processor, func(), error) {
	var opts []kgo.Opt
	if os.Getenv("ORDERBENCH_KGO_DEBUG") != "" {
		opts = append(opts, kgo.WithLogger(kgo.BasicLogger(os.Stderr, kgo.LogLevelDebug, nil)))
	}
	p, err := processor.New(processor.Config{Brokers: cfg.brokers, Group: group, TransactionalID: group + "-1",
		Topics: names, Serdes: serdes, ClientOpts: opts, MaxPollRecords: cfg.maxPoll})
	if err != nil {
		return nil, nil, err
	}
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(pctx) }()
	stop := func() { cancel(); <-done }
	deadline := time.Now().Add(10 * time.Minute)
	for !p.Ready() {
		select {
		case err := <-done:
			return nil, nil, fmt.Errorf("processor stopped: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return nil, nil, fmt.Errorf("processor not ready after 10 minutes")
		}
	}
	return p, stop, nil
}

// runProcessor sends recs through an in-process processor and measures from
// each command's produce to its result being readable (read_committed).
func runProcessor(ctx context.Context, cfg config, name string, recs []*kgo.Record, ids []string, rate float64, profile string) (run, error) {
	prefix := fmt.Sprintf("bench-%d.", time.Now().UnixNano())
	names, err := newTopics(ctx, cfg, prefix)
	if err != nil {
		return run{}, err
	}
	serdes, err := processor.NewSerdes(ctx, names, nil)
	if err != nil {
		return run{}, err
	}
	_, stop, err := startProcessor(ctx, cfg, names, serdes, prefix+"orderd")
	if err != nil {
		return run{}, err
	}
	defer stop()
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return run{}, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return run{}, err
		}
		defer pprof.StopCPUProfile()
	}
	index := make(map[string]int, len(ids))
	for i, id := range ids {
		index[id] = i
	}
	sent := make([]atomic.Int64, len(recs))
	lat := &latencies{samples: make([]time.Duration, 0, len(recs))}
	var notAccepted atomic.Int64
	done := make(chan time.Time, 1)
	consumer, err := kgo.NewClient(kgo.SeedBrokers(cfg.brokers...), kgo.ConsumeTopics(names.Results),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxWait(fetchMaxWait()))
	if err != nil {
		return run{}, err
	}
	defer consumer.Close()
	go func() {
		seen := 0
		for seen < len(recs) && ctx.Err() == nil {
			fs := consumer.PollFetches(ctx)
			now := time.Now()
			fs.EachRecord(func(r *kgo.Record) {
				res, err := serdes.Results.Decode(r.Value)
				if err != nil {
					return
				}
				if res.Status != order.ResultAccepted {
					notAccepted.Add(1)
				}
				if i, ok := index[res.CommandID]; ok {
					lat.add(now.Sub(time.Unix(0, sent[i].Load())))
					seen++
				}
			})
		}
		done <- time.Now()
	}()
	producer, err := kgo.NewClient(kgo.SeedBrokers(cfg.brokers...), kgo.ProducerLinger(time.Millisecond))
	if err != nil {
		return run{}, err
	}
	defer producer.Close()
	start := time.Now()
	if err := produce(ctx, producer, names.Commands, recs, rate, func(i int) { sent[i].Store(time.Now().UnixNano()) }); err != nil {
		return run{}, err
	}
	select {
	case end := <-done:
		if n := notAccepted.Load(); n > 0 {
			return run{}, fmt.Errorf("%d commands were not accepted", n)
		}
		return run{name: name, commands: len(recs), elapsed: end.Sub(start), lat: lat, rate: rate}, nil
	case <-ctx.Done():
		return run{}, ctx.Err()
	}
}

// runPipe is the ceiling: a plain consumer-group member that copies every
// record from one topic to another, same partition, no transaction, no
// decoding, measured the same way.
func runPipe(ctx context.Context, cfg config, recs []*kgo.Record) (run, error) {
	prefix := fmt.Sprintf("pipe-%d.", time.Now().UnixNano())
	names, err := newTopics(ctx, cfg, prefix)
	if err != nil {
		return run{}, err
	}
	in, out := names.Commands, names.Events
	pipe, err := kgo.NewClient(kgo.SeedBrokers(cfg.brokers...), kgo.ConsumerGroup(prefix+"pipe"), kgo.ConsumeTopics(in),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		return run{}, err
	}
	pctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for pctx.Err() == nil {
			fs := pipe.PollRecords(pctx, 1000)
			fs.EachRecord(func(r *kgo.Record) {
				pipe.Produce(pctx, &kgo.Record{Topic: out, Partition: r.Partition, Key: r.Key, Value: r.Value, Headers: r.Headers}, nil)
			})
		}
	}()
	defer func() { cancel(); wg.Wait(); pipe.Close() }()

	sent := make([]atomic.Int64, len(recs))
	lat := &latencies{samples: make([]time.Duration, 0, len(recs))}
	consumer, err := kgo.NewClient(kgo.SeedBrokers(cfg.brokers...), kgo.ConsumeTopics(out),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return run{}, err
	}
	defer consumer.Close()
	done := make(chan time.Time, 1)
	go func() {
		seen := 0
		for seen < len(recs) && ctx.Err() == nil {
			fs := consumer.PollFetches(ctx)
			now := time.Now()
			fs.EachRecord(func(r *kgo.Record) {
				i, _ := strconv.Atoi(string(r.Headers[0].Value))
				lat.add(now.Sub(time.Unix(0, sent[i].Load())))
				seen++
			})
		}
		done <- time.Now()
	}()
	tagged := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		tagged[i] = &kgo.Record{Key: r.Key, Value: r.Value, Headers: []kgo.RecordHeader{{Key: "i", Value: []byte(strconv.Itoa(i))}}}
	}
	producer, err := kgo.NewClient(kgo.SeedBrokers(cfg.brokers...), kgo.ProducerLinger(time.Millisecond))
	if err != nil {
		return run{}, err
	}
	defer producer.Close()
	// Let the pipe join its group before the clock starts.
	time.Sleep(2 * time.Second)
	start := time.Now()
	if err := produce(ctx, producer, in, tagged, 0, func(i int) { sent[i].Store(time.Now().UnixNano()) }); err != nil {
		return run{}, err
	}
	select {
	case end := <-done:
		return run{name: "plain pipe (ceiling)", commands: len(recs), elapsed: end.Sub(start), lat: lat}, nil
	case <-ctx.Done():
		return run{}, ctx.Err()
	}
}

// fetchMaxWait is the long-poll bound of the measuring consumer
// (ORDERBENCH_FETCH_MAX_WAIT, default 100ms).
func fetchMaxWait() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("ORDERBENCH_FETCH_MAX_WAIT")); err == nil {
		return d
	}
	return 100 * time.Millisecond
}
