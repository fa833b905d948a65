package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/topics"
)

// txpipe is the exactly-once ceiling: what a processor would reach on
// this broker and client if deciding cost nothing. One transaction per
// polled batch of at most as many commands as the processor takes in one
// (-max-poll-records bounds both), with the batch's consumer offsets (a GroupTransactSession,
// read_committed), writing what orderlog writes: per command its bytes as
// its result and as one event, and once per order per batch its last
// command's bytes as the order's state (compacted order.state), each on the
// command's partition. No decoding, no logic.
type txpipe struct{}

func (txpipe) label() string                              { return "transactional pipe" }
func (txpipe) indexOf(load) func(*kgo.Record) (int, bool) { return headerIndex }

func (txpipe) start(ctx context.Context, cfg config, names topics.Names, _ int, txns *txnStats) (func() error, error) {
	ready := make(chan struct{})
	group := names.Results + ".txpipe"
	sess, err := kgo.NewGroupTransactSession(kgo.SeedBrokers(cfg.brokers...), kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(names.Commands), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.RequireStableFetchOffsets(),
		kgo.TransactionalID(group+"-1"), kgo.RecordPartitioner(kgo.ManualPartitioner()), assigned(ready))
	if err != nil {
		return nil, fmt.Errorf("txpipe session: %w", err)
	}
	pctx, cancel := context.WithCancel(ctx)
	failed := make(chan error, 1)
	var stats txnStats
	go func() {
		defer close(failed)
		for pctx.Err() == nil {
			if err := txBatch(pctx, sess, names, cfg.batch(), &stats); err != nil && pctx.Err() == nil {
				failed <- err
				return
			}
		}
	}()
	stop := func() error {
		cancel()
		err := <-failed
		sess.Close()
		if txns != nil {
			*txns = stats
		}
		return err
	}
	if err := waitReady(ctx, ready, failed); err != nil {
		stop()
		return nil, fmt.Errorf("txpipe: %w", err)
	}
	return stop, nil
}

// processorMaxPoll is processor.Config.MaxPollRecords's default: the
// transactional pipe's batches are no larger than the processor's. (Polling
// all that is buffered makes a preloaded input one huge transaction whose
// results all appear at once: no rate to time.)
const processorMaxPoll = 5000

// batch is the most commands in one transaction, processor's and pipe's.
func (c config) batch() int {
	if c.maxPoll > 0 {
		return c.maxPoll
	}
	return processorMaxPoll
}

// txBatch copies one polled batch in one transaction.
func txBatch(ctx context.Context, sess *kgo.GroupTransactSession, names topics.Names, maxPoll int, stats *txnStats) error {
	fs := sess.PollRecords(ctx, maxPoll)
	if err := fs.Err0(); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("txpipe poll: %w", err)
	}
	if fs.Empty() {
		return nil
	}
	if err := sess.Begin(); err != nil {
		return fmt.Errorf("txpipe begin: %w", err)
	}
	began := time.Now()
	var produceErr firstError
	done := func(_ *kgo.Record, err error) { produceErr.set(err) }
	last := map[string]*kgo.Record{}
	fs.EachRecord(func(r *kgo.Record) {
		sess.Produce(ctx, &kgo.Record{Topic: names.Events, Partition: r.Partition, Key: r.Key, Value: r.Value}, done)
		sess.Produce(ctx, &kgo.Record{Topic: names.Results, Partition: r.Partition, Key: r.Key, Value: r.Value, Headers: r.Headers}, done)
		last[string(r.Key)] = r
	})
	for _, r := range last {
		sess.Produce(ctx, &kgo.Record{Topic: names.State, Partition: r.Partition, Key: r.Key, Value: r.Value}, done)
	}
	if err := sess.Client().Flush(ctx); err != nil {
		produceErr.set(err)
	}
	perr := produceErr.get(ctx)
	committed, err := sess.End(ctx, kgo.TransactionEndTry(perr == nil))
	stats.count++
	stats.seconds += time.Since(began).Seconds()
	stats.produced += float64(2*fs.NumRecords() + len(last))
	switch {
	case err != nil:
		return fmt.Errorf("txpipe end: %w", err)
	case perr != nil:
		return fmt.Errorf("txpipe produce: %w", perr)
	case !committed:
		// A rebalance during the batch: the session aborted it and the
		// records are read again. With one member there should be none.
		return errors.New("txpipe: transaction aborted by a rebalance")
	}
	return nil
}
