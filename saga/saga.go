package saga

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/fulfillment"
	"github.com/orderlog/orderlog/integration"
	"github.com/orderlog/orderlog/internal/session"
)

// Saga is one member of the saga group.
type Saga struct {
	cfg         Config
	log         *slog.Logger
	metrics     *Metrics
	stores      *stores
	breakers    *breakers
	admin       *kgo.Client
	partitionOf func(key []byte) int32
	running     atomic.Bool
	joined      atomic.Bool
}

// New validates cfg and returns a saga member; Run starts it.
func New(cfg Config) (*Saga, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Saga{cfg: cfg, log: cfg.Logger.With("role", "saga"), metrics: cfg.Metrics, stores: newStores()}
	s.breakers = newBreakers(cfg.Breakers, func(sys integration.System, open bool) {
		v := 0.0
		if open {
			v = 1
		}
		s.metrics.breakerOpen.WithLabelValues(string(sys)).Set(v)
		s.log.Warn("circuit breaker changed", "system", sys, "open", open)
	})
	admin, err := kgo.NewClient(append(append([]kgo.Opt(nil), cfg.ClientOpts...), kgo.SeedBrokers(cfg.Brokers...))...)
	if err != nil {
		return nil, fmt.Errorf("saga: admin client: %w", err)
	}
	s.admin = admin
	return s, nil
}

// Ready reports whether the member joined the group and restored the saga
// state of its partitions.
func (s *Saga) Ready() bool { return s.running.Load() && s.joined.Load() && s.stores.ready() }

// Run joins the group and runs the saga until ctx is done.
func (s *Saga) Run(ctx context.Context) error {
	defer s.admin.Close()
	td, err := kadm.NewClient(s.admin).ListTopics(ctx, s.cfg.Topics.Events)
	if err != nil {
		return fmt.Errorf("saga: describe %s: %w", s.cfg.Topics.Events, err)
	}
	t, ok := td[s.cfg.Topics.Events]
	if !ok || t.Err != nil {
		return fmt.Errorf("saga: topic %s is missing (create it with `orderctl topics create`): %v", s.cfg.Topics.Events, t.Err)
	}
	n := len(t.Partitions)
	keyed := kgo.StickyKeyPartitioner(nil).ForTopic(s.cfg.Topics.Events)
	s.partitionOf = func(k []byte) int32 { return int32(keyed.Partition(&kgo.Record{Key: k}, n)) }
	s.log.Info("saga started", "group", s.cfg.Group, "transactionalId", s.cfg.TransactionalID, "partitions", n)
	defer s.log.Info("saga stopped; left the group")
	session.Run(ctx, time.Second, s.session, func(err error) {
		s.log.Error("saga session ended by a failed transaction; starting a new one", "error", err)
	})
	return nil
}

func (s *Saga) session(ctx context.Context) error {
	// joined is reset before the client exists, never after: the client's
	// group goroutine may join, restore and set it before
	// NewGroupTransactSession returns here (see the processor's session).
	s.joined.Store(false)
	sess, err := kgo.NewGroupTransactSession(s.sessionOpts(ctx)...)
	if err != nil {
		return fmt.Errorf("saga: session: %w", err)
	}
	s.running.Store(true)
	defer func() {
		s.running.Store(false)
		s.joined.Store(false)
		sess.Close()
		s.stores.dropAll()
		s.metrics.partitions.Set(0)
	}()
	for {
		pctx, cancel := context.WithTimeout(ctx, s.cfg.Tick)
		fs := sess.PollRecords(pctx, 2000)
		cancel()
		if ctx.Err() != nil || fs.IsClientClosed() {
			return nil
		}
		fs.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				s.log.Warn("fetch error", "topic", t, "partition", p, "error", err)
			}
		})
		now := s.cfg.Now()
		due := s.stores.dueAt(now)
		if fs.NumRecords() == 0 && len(due) == 0 {
			continue
		}
		if err := s.transact(sess, fs, due, now); err != nil {
			return err
		}
	}
}

func (s *Saga) sessionOpts(ctx context.Context) []kgo.Opt {
	t := s.cfg.Topics
	return append(append([]kgo.Opt(nil), s.cfg.ClientOpts...),
		kgo.SeedBrokers(s.cfg.Brokers...),
		kgo.ConsumerGroup(s.cfg.Group),
		kgo.ConsumeTopics(t.Events, t.PaymentResults, t.InventoryResults, t.ShippingResults),
		// Range gives a member the same partition numbers of every topic:
		// all that concerns one order comes to one member.
		kgo.Balancers(kgo.RangeBalancer()),
		kgo.TransactionalID(s.cfg.TransactionalID),
		kgo.TransactionTimeout(s.cfg.TransactionTimeout),
		kgo.SessionTimeout(s.cfg.SessionTimeout),
		kgo.RebalanceTimeout(endTimeout/2),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.RequireStableFetchOffsets(),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.MetadataMinAge(100*time.Millisecond),
		kgo.OnPartitionsAssigned(func(actx context.Context, _ *kgo.Client, m map[string][]int32) {
			parts := m[t.Events]
			rctx, cancel := context.WithCancel(actx)
			defer cancel()
			defer context.AfterFunc(ctx, cancel)()
			s.restoreUntilDone(rctx, parts)
			s.metrics.partitions.Add(float64(len(parts)))
			s.joined.Store(true)
		}),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, m map[string][]int32) { s.drop(m[t.Events], "revoked") }),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, m map[string][]int32) { s.drop(m[t.Events], "lost") }),
	)
}

func (s *Saga) drop(parts []int32, why string) {
	if len(parts) == 0 {
		return
	}
	s.stores.drop(parts)
	s.metrics.partitions.Sub(float64(len(parts)))
	s.log.Info("partitions dropped", "partitions", parts, "why", why)
}

// endTimeout bounds one transaction's produce, flush and end.
const endTimeout = 2 * time.Minute

// transact reacts to a polled batch and to the due timers in one
// transaction, and applies the new states once it commits.
func (s *Saga) transact(sess *kgo.GroupTransactSession, fs kgo.Fetches, due []key, now time.Time) error {
	if err := sess.Begin(); err != nil {
		return fmt.Errorf("saga: begin transaction: %w", err)
	}
	b := s.newBatch(now)
	fs.EachRecord(b.record)
	for _, k := range due {
		b.tick(k)
	}
	out, err := b.finish()
	tctx, cancel := context.WithTimeout(context.Background(), endTimeout)
	defer cancel()
	var produceErr atomic.Pointer[error]
	if err == nil {
		for _, r := range out {
			sess.Produce(tctx, r, func(_ *kgo.Record, err error) {
				if err != nil {
					produceErr.CompareAndSwap(nil, &err)
				}
			})
		}
	}
	if ferr := sess.Client().Flush(tctx); ferr != nil {
		return fmt.Errorf("saga: flush: %w", ferr)
	}
	commit := err == nil && produceErr.Load() == nil
	committed, eerr := sess.End(tctx, kgo.TransactionEndTry(commit))
	if eerr != nil {
		return fmt.Errorf("saga: end transaction: %w", eerr)
	}
	if !committed {
		s.metrics.transactions.WithLabelValues("aborted").Inc()
		reason := "rebalance or failed offset commit"
		if err != nil {
			reason = err.Error()
		} else if p := produceErr.Load(); p != nil {
			reason = (*p).Error()
		}
		if err != nil || produceErr.Load() != nil {
			// Not a rebalance: a record the saga cannot write. Say so
			// loudly and do not spin; the batch is polled again.
			s.log.Error("saga transaction aborted; the batch will be polled again", "records", fs.NumRecords(), "reason", reason)
			time.Sleep(time.Second)
			return nil
		}
		s.log.Info("saga transaction aborted; the batch will be polled again", "records", fs.NumRecords(), "reason", reason)
		return nil
	}
	b.apply()
	s.metrics.transactions.WithLabelValues("committed").Inc()
	_, inFlight := s.stores.counts()
	s.metrics.inFlight.Set(float64(inFlight))
	return nil
}

// env is what React sees of the world.
func (s *Saga) env(now time.Time) fulfillment.Env {
	return fulfillment.Env{Now: now, Open: s.breakers.open}
}
