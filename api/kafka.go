package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/schemas"
)

// KafkaSender is the CommandSender on Kafka: a command is produced as JSON
// (schemas.CommandJSON) to order.commands, keyed by orderId, so the
// default (murmur2) partitioner puts an order's commands on one partition.
type KafkaSender struct {
	client *kgo.Client
	topic  string
}

// NewKafkaSender sends through client (which the caller owns and closes)
// to topic, the full name of order.commands.
func NewKafkaSender(client *kgo.Client, topic string) *KafkaSender {
	return &KafkaSender{client: client, topic: topic}
}

// Send produces c and waits for the broker's acknowledgement.
func (s *KafkaSender) Send(ctx context.Context, c order.Command) error {
	v, err := schemas.CommandJSON(c)
	if err != nil {
		return fmt.Errorf("encode command %s: %w", c.ID, err)
	}
	rec := &kgo.Record{Topic: s.topic, Key: []byte(c.OrderID), Value: v}
	if err := s.client.ProduceSync(ctx, rec).FirstErr(); err != nil {
		return fmt.Errorf("produce command %s to %s: %w", c.ID, s.topic, err)
	}
	return nil
}

// ResultsConfig configures a KafkaResults.
type ResultsConfig struct {
	Brokers []string
	// Topic is the full name of order.command-results.
	Topic   string
	Results *schemas.Serde[order.CommandResult]
	// Retain is how long a result nobody waits for (yet) is kept, and how
	// far back in the topic the consumer starts (default 30 s).
	Retain time.Duration
	// MaxEarly bounds the results kept for no waiter (default 100000):
	// every API process reads every result, most of them for commands
	// another process sent, so the oldest are dropped first.
	MaxEarly int
	// ClientOpts are extra franz-go options (TLS, SASL, logging).
	ClientOpts []kgo.Opt
	Logger     *slog.Logger
}

// KafkaResults is the ResultWaiter on Kafka: a consumer of
// order.command-results (read_committed, no group: every API process reads
// every partition) that hands each result to whoever waits for its
// commandId. A result that arrives before its waiter is kept for Retain,
// so Send-then-Wait never misses one; a result is delivered once.
type KafkaResults struct {
	cfg    ResultsConfig
	client *kgo.Client
	log    *slog.Logger

	mu      sync.Mutex
	waiters map[string][]chan order.CommandResult
	early   map[string]early
	order   []earlyRef // early's entries, oldest first (some taken since)
	n       uint64
}

type earlyRef struct {
	id string
	n  uint64
}

type early struct {
	res order.CommandResult
	at  time.Time
	n   uint64 // which delivery, so an old earlyRef never drops a newer one
}

// NewKafkaResults creates the consumer; Run consumes.
func NewKafkaResults(cfg ResultsConfig) (*KafkaResults, error) {
	if len(cfg.Brokers) == 0 || cfg.Topic == "" || cfg.Results == nil {
		return nil, errors.New("api: ResultsConfig needs Brokers, Topic and Results")
	}
	if cfg.Retain <= 0 {
		cfg.Retain = 30 * time.Second
	}
	if cfg.MaxEarly <= 0 {
		cfg.MaxEarly = 100_000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	start := time.Now().Add(-cfg.Retain)
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.ConsumeTopics(cfg.Topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AfterMilli(start.UnixMilli())),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxWait(100 * time.Millisecond),
	}, cfg.ClientOpts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("results consumer: %w", err)
	}
	return &KafkaResults{cfg: cfg, client: cl, log: cfg.Logger,
		waiters: map[string][]chan order.CommandResult{}, early: map[string]early{}}, nil
}

// Run consumes results until ctx ends, then closes the client.
func (k *KafkaResults) Run(ctx context.Context) error {
	defer k.client.Close()
	prune := time.NewTicker(k.cfg.Retain / 4)
	defer prune.Stop()
	for {
		fs := k.client.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil
		}
		fs.EachError(func(t string, p int32, err error) {
			k.log.Warn("fetch command results", "topic", t, "partition", p, "err", err)
		})
		fs.EachRecord(func(r *kgo.Record) {
			res, err := k.cfg.Results.Decode(r.Value)
			if err != nil {
				k.log.Warn("undecodable command result", "partition", r.Partition, "offset", r.Offset, "err", err)
				return
			}
			k.deliver(res)
		})
		select {
		case <-prune.C:
			k.prune(time.Now())
		default:
		}
	}
}

func (k *KafkaResults) deliver(res order.CommandResult) {
	k.mu.Lock()
	defer k.mu.Unlock()
	ws := k.waiters[res.CommandID]
	if len(ws) == 0 {
		k.n++
		k.early[res.CommandID] = early{res: res, at: time.Now(), n: k.n}
		k.order = append(k.order, earlyRef{id: res.CommandID, n: k.n})
		for len(k.early) > k.cfg.MaxEarly && len(k.order) > 0 {
			k.dropOldest()
		}
		return
	}
	delete(k.waiters, res.CommandID)
	for _, ch := range ws {
		ch <- res
	}
}

func (k *KafkaResults) prune(now time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for len(k.order) > 0 {
		if e, ok := k.early[k.order[0].id]; ok && e.n == k.order[0].n && now.Sub(e.at) <= k.cfg.Retain {
			return
		}
		k.dropOldest()
	}
}

// dropOldest forgets the oldest early result (if it was not taken).
func (k *KafkaResults) dropOldest() {
	if ref := k.order[0]; k.early[ref.id].n == ref.n {
		delete(k.early, ref.id)
	}
	k.order[0] = earlyRef{}
	k.order = k.order[1:]
	if len(k.order) == 0 {
		k.order = nil // let the backing array go
	}
}

// Wait returns the result of the command, or ctx's error.
func (k *KafkaResults) Wait(ctx context.Context, commandID string) (order.CommandResult, error) {
	k.mu.Lock()
	if e, ok := k.early[commandID]; ok {
		delete(k.early, commandID)
		k.mu.Unlock()
		return e.res, nil
	}
	ch := make(chan order.CommandResult, 1)
	k.waiters[commandID] = append(k.waiters[commandID], ch)
	k.mu.Unlock()
	select {
	case res := <-ch:
		return res, nil
	case <-ctx.Done():
		k.mu.Lock()
		defer k.mu.Unlock()
		select {
		case res := <-ch: // delivered meanwhile
			return res, nil
		default:
		}
		ws := k.waiters[commandID]
		for i, c := range ws {
			if c == ch {
				ws = append(ws[:i], ws[i+1:]...)
				break
			}
		}
		if len(ws) == 0 {
			delete(k.waiters, commandID)
		} else {
			k.waiters[commandID] = ws
		}
		return order.CommandResult{}, fmt.Errorf("wait for the result of command %s: %w", commandID, ctx.Err())
	}
}
