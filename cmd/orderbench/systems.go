package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/processor"
	"github.com/orderlog/orderlog/topics"
)

// system is one of the things the throughput and latency runs compare: it
// reads names.Commands and writes one result per command to names.Results.
type system interface {
	label() string
	// start runs the system until the returned stop is called; it returns
	// once the system is ready to consume (partitions assigned, state
	// restored). stop reports what went wrong while it ran, or that its
	// results were not all what they should be; a transactional system
	// fills txns by the time stop returns.
	start(ctx context.Context, cfg config, names topics.Names, wantResults int, txns *txnStats) (stop func() error, err error)
	// indexOf returns the load index of the command a result answers.
	indexOf(l load) func(*kgo.Record) (int, bool)
}

// indexHeader carries a command's load index on the records of the pipes'
// latency runs (the pipes copy a command's headers onto its result).
const indexHeader = "orderbench-i"

func headerIndex(r *kgo.Record) (int, bool) {
	for _, h := range r.Headers {
		if h.Key == indexHeader {
			i, err := strconv.Atoi(string(h.Value))
			return i, err == nil
		}
	}
	return 0, false
}

// tagged returns copies of recs carrying their index in indexHeader.
func tagged(recs []*kgo.Record) []*kgo.Record {
	out := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		out[i] = &kgo.Record{Key: r.Key, Value: r.Value, Headers: []kgo.RecordHeader{{Key: indexHeader, Value: []byte(strconv.Itoa(i))}}}
	}
	return out
}

// assigned returns a kgo option that closes ready on the first assignment.
func assigned(ready chan struct{}) kgo.Opt {
	var once sync.Once
	return kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) {
		once.Do(func() { close(ready) })
	})
}

// waitReady waits for ready, for the loop to fail, or gives up after a minute.
func waitReady(ctx context.Context, ready chan struct{}, failed chan error) error {
	select {
	case <-ready:
		return nil
	case err := <-failed:
		return fmt.Errorf("stopped before it was assigned partitions: %w", err)
	case <-time.After(time.Minute):
		return errors.New("no partitions assigned after a minute")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pipe is the at-least-once copy: a consumer-group member that copies each
// command's bytes to order.command-results on the same partition. No
// transaction, no decoding, no logic.
type pipe struct{}

func (pipe) label() string                              { return "at-least-once pipe" }
func (pipe) indexOf(load) func(*kgo.Record) (int, bool) { return headerIndex }

func (pipe) start(ctx context.Context, cfg config, names topics.Names, _ int, _ *txnStats) (func() error, error) {
	ready := make(chan struct{})
	cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.brokers...), kgo.ConsumerGroup(names.Results+".pipe"),
		kgo.ConsumeTopics(names.Commands), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), assigned(ready))
	if err != nil {
		return nil, fmt.Errorf("pipe client: %w", err)
	}
	pctx, cancel := context.WithCancel(ctx)
	failed := make(chan error, 1)
	var produceErr firstError
	go func() {
		defer close(failed)
		for pctx.Err() == nil {
			fs := cl.PollRecords(pctx, 10_000)
			fs.EachRecord(func(r *kgo.Record) {
				cl.Produce(pctx, &kgo.Record{Topic: names.Results, Partition: r.Partition, Key: r.Key, Value: r.Value, Headers: r.Headers},
					func(_ *kgo.Record, err error) { produceErr.set(err) })
			})
		}
	}()
	stop := func() error {
		cancel()
		<-failed
		cl.Close()
		return produceErr.get(pctx)
	}
	if err := waitReady(ctx, ready, failed); err != nil {
		stop()
		return nil, fmt.Errorf("pipe: %w", err)
	}
	return stop, nil
}

// firstError keeps the first error a callback reports.
type firstError struct {
	mu  sync.Mutex
	err error
}

func (f *firstError) set(err error) {
	if err == nil {
		return
	}
	f.mu.Lock()
	if f.err == nil {
		f.err = err
	}
	f.mu.Unlock()
}

// get returns the error unless it is the cancellation of ctx (a stop).
func (f *firstError) get(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil && ctx.Err() != nil && errors.Is(f.err, context.Canceled) {
		return nil
	}
	return f.err
}

// orderlog is the processor, in this process.
type orderlog struct{}

func (orderlog) label() string { return "orderlog processor" }

func (orderlog) indexOf(l load) func(*kgo.Record) (int, bool) {
	index := make(map[string]int, len(l.cmdIDs))
	for i, id := range l.cmdIDs {
		index[id] = i
	}
	serdes, err := processor.NewSerdes(context.Background(), topics.Names{}, nil)
	if err != nil {
		panic(fmt.Sprintf("serdes: %v", err))
	}
	return func(r *kgo.Record) (int, bool) {
		res, err := serdes.Results.Decode(r.Value)
		if err != nil {
			return 0, false
		}
		i, ok := index[res.CommandID]
		return i, ok
	}
}

func (orderlog) start(ctx context.Context, cfg config, names topics.Names, want int, txns *txnStats) (func() error, error) {
	serdes, err := processor.NewSerdes(ctx, names, nil)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	_, stop, err := startProcessor(ctx, cfg, names, serdes, names.Results+".orderd", processor.NewMetrics(reg))
	if err != nil {
		return nil, err
	}
	return func() error {
		stop()
		if txns != nil {
			*txns = processorTxns(reg)
		}
		return allAccepted(reg, want)
	}, nil
}

// txnStats are a transactional system's transactions over a run.
type txnStats struct {
	count    int     // committed and aborted
	seconds  float64 // their time from begin to end, summed
	produced float64 // records produced in them
}

// processorTxns reads the runtime's transaction metrics.
func processorTxns(reg *prometheus.Registry) txnStats {
	var t txnStats
	mfs, err := reg.Gather()
	if err != nil {
		return t
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			h := m.GetHistogram()
			switch mf.GetName() {
			case "orderlog_processor_transaction_duration_seconds":
				t.count, t.seconds = int(h.GetSampleCount()), h.GetSampleSum()
			case "orderlog_processor_transaction_records":
				t.produced = h.GetSampleSum()
			}
		}
	}
	return t
}

// allAccepted checks the processor's committed outcomes: every command of
// the benchmark is valid, so anything but ACCEPTED is a fault (and a run
// that measured it would measure something else).
func allAccepted(reg *prometheus.Registry, want int) error {
	mfs, err := reg.Gather()
	if err != nil {
		return err
	}
	byOutcome := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "orderlog_processor_commands_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" {
					byOutcome[l.GetValue()] += m.GetCounter().GetValue()
				}
			}
		}
	}
	if int(byOutcome[string(order.ResultAccepted)]) != want || len(byOutcome) > 1 {
		return fmt.Errorf("processor outcomes %v, want %d %s only", byOutcome, want, order.ResultAccepted)
	}
	return nil
}

// benchLogger is the logger of the systems under test: when ORDERBENCH_LOG
// names a level, their logs on stderr (debug: every processor transaction's
// phases, every projector batch); else nil, their default.
func benchLogger() *slog.Logger {
	var level slog.Level
	if lv := os.Getenv("ORDERBENCH_LOG"); lv != "" && level.UnmarshalText([]byte(lv)) == nil {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	}
	return nil
}

// startProcessor runs an in-process processor and waits until it is ready.
func startProcessor(ctx context.Context, cfg config, names topics.Names, serdes processor.Serdes, group string, m *processor.Metrics) (*processor.Processor, func(), error) {
	var opts []kgo.Opt
	if os.Getenv("ORDERBENCH_KGO_DEBUG") != "" {
		opts = append(opts, kgo.WithLogger(kgo.BasicLogger(os.Stderr, kgo.LogLevelDebug, nil)))
	}
	p, err := processor.New(processor.Config{Brokers: cfg.brokers, Group: group, TransactionalID: group + "-1", Logger: benchLogger(),
		Topics: names, Serdes: serdes, ClientOpts: opts, MaxPollRecords: cfg.maxPoll, Gather: cfg.gather, Metrics: m, Threads: cfg.threads})
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
			cancel()
			return nil, nil, fmt.Errorf("processor stopped: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return nil, nil, errors.New("processor not ready after 10 minutes")
		}
	}
	return p, stop, nil
}
