package processor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/internal/session"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/topics"
)

// Config is what a processor needs. Brokers, Group, TransactionalID, Topics
// and Serdes are required.
type Config struct {
	Brokers []string
	Group   string
	// TransactionalID must be unique per running process.
	TransactionalID string
	Topics          topics.Names
	Serdes          Serdes
	Policy          order.Policy
	// ClientOpts are extra franz-go options (TLS, SASL, logging).
	ClientOpts []kgo.Opt
	// MaxPollRecords bounds a transaction's commands (default 5000): larger
	// transactions spread the fixed cost of a commit over more commands.
	MaxPollRecords int
	// TransactionTimeout bounds how long a crashed member's open transaction
	// blocks read_committed readers (default 10s).
	TransactionTimeout time.Duration
	// SessionTimeout is how long the group waits for a silent member before
	// moving its partitions (default 10s; Kafka's default of 45s makes a
	// crash stall its partitions that long).
	SessionTimeout time.Duration
	NewStore       func() Store
	Logger         *slog.Logger
	Metrics        *Metrics
}

func (c *Config) validate() error {
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("processor: Brokers is empty"))
	}
	if c.Group == "" {
		errs = append(errs, errors.New("processor: Group is empty"))
	}
	if c.TransactionalID == "" {
		errs = append(errs, errors.New("processor: TransactionalID is empty"))
	}
	t := c.Topics
	if t.Commands == "" || t.Events == "" || t.State == "" || t.Results == "" || t.DLQ == "" {
		errs = append(errs, fmt.Errorf("processor: every topic must be named, got %+v", t))
	}
	s := c.Serdes
	if s.Commands == nil || s.Events == nil || s.Results == nil || s.States == nil {
		errs = append(errs, errors.New("processor: every serde must be set"))
	}
	if c.MaxPollRecords == 0 {
		c.MaxPollRecords = 5000
	}
	if c.TransactionTimeout == 0 {
		c.TransactionTimeout = 10 * time.Second
	}
	if c.SessionTimeout == 0 {
		c.SessionTimeout = 10 * time.Second
	}
	if c.NewStore == nil {
		c.NewStore = NewMemStore
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Metrics == nil {
		c.Metrics = NewMetrics(nil)
	}
	if c.Policy.MaxLines == 0 {
		c.Policy = order.DefaultPolicy()
	}
	return errors.Join(errs...)
}

// Processor is one member of the processor group.
type Processor struct {
	cfg     Config
	log     *slog.Logger
	metrics *Metrics
	stores  *stores
	admin   *kgo.Client
	h       *handler
	running atomic.Bool
	joined  atomic.Bool // the group assigned this member its partitions at least once
	// sessionCreated, when set (by tests), runs right after a session's
	// client is created, standing for a goroutine a loaded machine
	// deschedules there while the group joins.
	sessionCreated func()
}

// New checks the config and prepares a processor; Run starts it.
func New(cfg Config) (*Processor, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	p := &Processor{cfg: cfg, log: cfg.Logger.With("role", "processor"), metrics: cfg.Metrics, stores: newStores(cfg.NewStore)}
	admin, err := kgo.NewClient(append(append([]kgo.Opt(nil), cfg.ClientOpts...), kgo.SeedBrokers(cfg.Brokers...))...)
	if err != nil {
		return nil, fmt.Errorf("processor: admin client: %w", err)
	}
	p.admin = admin
	return p, nil
}

// Ready reports whether the processor has joined its group and every
// partition it owns is restored. A member that owns no partition (more
// members than partitions) is ready once it has joined.
func (p *Processor) Ready() bool { return p.running.Load() && p.joined.Load() && p.stores.ready() }

// partitionCount reads how many partitions the commands topic has.
func (p *Processor) partitionCount(ctx context.Context) (int, error) {
	td, err := kadm.NewClient(p.admin).ListTopics(ctx, p.cfg.Topics.Commands)
	if err != nil {
		return 0, fmt.Errorf("processor: describe %s: %w", p.cfg.Topics.Commands, err)
	}
	t, ok := td[p.cfg.Topics.Commands]
	if !ok || t.Err != nil {
		return 0, fmt.Errorf("processor: topic %s is missing (create it with `orderctl topics create`): %v", p.cfg.Topics.Commands, t.Err)
	}
	return len(t.Partitions), nil
}

// Run joins the group and processes commands until ctx is done. It returns
// nil after a clean shutdown, or the error that ended the session (a fenced
// producer, an unrecoverable transaction error).
func (p *Processor) Run(ctx context.Context) error {
	defer p.admin.Close()
	n, err := p.partitionCount(ctx)
	if err != nil {
		return err
	}
	keyed := kgo.StickyKeyPartitioner(nil).ForTopic(p.cfg.Topics.Commands)
	p.h = &handler{
		decider: order.Decider{Policy: p.cfg.Policy}, serdes: p.cfg.Serdes, topics: p.cfg.Topics, stores: p.stores,
		log: p.log, metrics: p.metrics, now: time.Now,
		partitionOf: func(key []byte) int32 { return int32(keyed.Partition(&kgo.Record{Key: key}, n)) },
	}
	p.log.Info("processor started", "group", p.cfg.Group, "transactionalId", p.cfg.TransactionalID, "partitions", n)
	defer p.log.Info("processor stopped; left the group")
	session.Run(ctx, time.Second, p.session, func(err error) {
		p.metrics.restarts.Inc()
		p.log.Error("session ended by a failed transaction; starting a new one", "error", err)
	})
	return nil
}

// session runs one group transact session until ctx is done (nil) or a
// transaction fails (the error).
func (p *Processor) session(ctx context.Context) error {
	// joined is reset before the client exists, never after: the client's
	// group goroutine joins, runs OnPartitionsAssigned (restore) and sets
	// joined on its own, possibly before NewGroupTransactSession returns
	// here when this goroutine is descheduled on a loaded machine. A reset
	// after that erased the assignment, and the member stayed not ready
	// until the next rebalance, which a lone member never gets.
	p.joined.Store(false)
	sess, err := kgo.NewGroupTransactSession(p.sessionOpts(ctx)...)
	if err != nil {
		return fmt.Errorf("processor: session: %w", err)
	}
	if p.sessionCreated != nil {
		p.sessionCreated()
	}
	p.running.Store(true)
	defer func() {
		p.running.Store(false)
		p.joined.Store(false)
		sess.Close()
		p.stores.dropAll()
		p.metrics.partitions.Set(0)
		p.log.Info("processor session closed; left the group")
	}()
	for {
		fs := sess.PollRecords(ctx, p.cfg.MaxPollRecords)
		if ctx.Err() != nil || fs.IsClientClosed() {
			return nil
		}
		fs.EachError(func(t string, part int32, err error) {
			p.log.Warn("fetch error", "topic", t, "partition", part, "error", err)
		})
		p.observeLag(fs)
		if fs.NumRecords() == 0 {
			continue
		}
		if err := p.transact(sess, fs); err != nil {
			return err
		}
	}
}

func (p *Processor) sessionOpts(ctx context.Context) []kgo.Opt {
	return append(append([]kgo.Opt(nil), p.cfg.ClientOpts...),
		kgo.SeedBrokers(p.cfg.Brokers...),
		kgo.ConsumerGroup(p.cfg.Group),
		kgo.ConsumeTopics(p.cfg.Topics.Commands),
		kgo.TransactionalID(p.cfg.TransactionalID),
		kgo.TransactionTimeout(p.cfg.TransactionTimeout),
		kgo.SessionTimeout(p.cfg.SessionTimeout),
		kgo.RebalanceTimeout(endTimeout/2),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.RequireStableFetchOffsets(),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		// A produce right after a commit can meet CONCURRENT_TRANSACTIONS
		// while the broker writes the previous markers; franz-go retries it
		// after a metadata refresh, which by default waits up to 5 s.
		kgo.MetadataMinAge(100*time.Millisecond),
		kgo.OnPartitionsAssigned(func(actx context.Context, _ *kgo.Client, m map[string][]int32) {
			parts := m[p.cfg.Topics.Commands]
			// Stop retrying when the partitions go away or the member stops.
			rctx, cancel := context.WithCancel(actx)
			defer cancel()
			defer context.AfterFunc(ctx, cancel)()
			p.restoreUntilDone(rctx, parts)
			p.metrics.partitions.Add(float64(len(parts)))
			p.joined.Store(true)
		}),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			p.drop(m[p.cfg.Topics.Commands], "revoked")
		}),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			p.drop(m[p.cfg.Topics.Commands], "lost")
		}),
	)
}

func (p *Processor) drop(parts []int32, why string) {
	if len(parts) == 0 {
		return
	}
	p.stores.drop(parts)
	p.metrics.partitions.Sub(float64(len(parts)))
	for _, part := range parts {
		p.metrics.lag.DeleteLabelValues(strconv.Itoa(int(part)))
	}
	p.log.Info("partitions dropped", "partitions", parts, "why", why)
}

// endTimeout bounds one transaction's produce, flush and end, including a
// rebalance that End waits out (the rebalance timeout is half of it).
const endTimeout = 2 * time.Minute

// transact handles one polled batch in one transaction. Partitions are
// independent (an order lives in one), so each partition's commands are
// decided on their own goroutine, in offset order within the partition.
func (p *Processor) transact(sess *kgo.GroupTransactSession, fs kgo.Fetches) error {
	start := time.Now()
	if err := sess.Begin(); err != nil {
		return fmt.Errorf("processor: begin transaction: %w", err)
	}
	var parts []kgo.FetchTopicPartition
	fs.EachPartition(func(fp kgo.FetchTopicPartition) {
		if len(fp.Records) > 0 {
			parts = append(parts, fp)
		}
	})
	batches := make([]*batch, len(parts))
	outs := make([][]*kgo.Record, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, fp := range parts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			b := p.h.newBatch()
			batches[i] = b
			for _, r := range fp.Records {
				if errs[i] = b.add(r); errs[i] != nil {
					return
				}
			}
			outs[i], errs[i] = b.finish()
		}()
	}
	wg.Wait()
	batchErr := errors.Join(errs...)
	var out []*kgo.Record
	if batchErr == nil {
		for _, o := range outs {
			out = append(out, o...)
		}
	}
	// The transaction's own context: shutdown must not cut a commit in half,
	// and End may wait for a rebalance to settle, so the bound is generous;
	// reaching it ends the session (the client is in an unknown state).
	tctx, cancel := context.WithTimeout(context.Background(), endTimeout)
	defer cancel()
	var produceErr atomic.Pointer[error]
	for _, r := range out {
		sess.Produce(tctx, r, func(_ *kgo.Record, err error) {
			if err != nil {
				produceErr.CompareAndSwap(nil, &err)
			}
		})
	}
	decided := time.Since(start)
	// Flush first so that a failed produce is known before deciding to
	// commit: a transaction missing a record must abort.
	if err := sess.Client().Flush(tctx); err != nil {
		return fmt.Errorf("processor: flush: %w", err)
	}
	commit := batchErr == nil && produceErr.Load() == nil
	committed, err := sess.End(tctx, kgo.TransactionEndTry(commit))
	if err != nil {
		return fmt.Errorf("processor: end transaction: %w", err)
	}
	p.metrics.txnDuration.Observe(time.Since(start).Seconds())
	p.metrics.txnRecords.Observe(float64(len(out)))
	if !committed {
		p.metrics.transactions.WithLabelValues("aborted").Inc()
		p.log.Info("transaction aborted; the batch will be polled again", "commands", fs.NumRecords(), "reason", abortReason(batchErr, produceErr.Load()))
		if batchErr != nil {
			time.Sleep(200 * time.Millisecond)
		}
		return nil
	}
	for _, b := range batches {
		b.apply()
	}
	p.log.Debug("transaction committed", "commands", fs.NumRecords(), "records", len(out),
		"decide", decided.Round(time.Microsecond), "total", time.Since(start).Round(time.Microsecond))
	p.metrics.transactions.WithLabelValues("committed").Inc()
	_, orders := p.stores.counts()
	p.metrics.orders.Set(float64(orders))
	return nil
}

func abortReason(batchErr error, produceErr *error) string {
	switch {
	case batchErr != nil:
		return batchErr.Error()
	case produceErr != nil:
		return (*produceErr).Error()
	}
	return "rebalance or failed offset commit"
}

func (p *Processor) observeLag(fs kgo.Fetches) {
	fs.EachPartition(func(fp kgo.FetchTopicPartition) {
		if n := len(fp.Records); n > 0 {
			lag := fp.HighWatermark - fp.Records[n-1].Offset - 1
			p.metrics.lag.WithLabelValues(strconv.Itoa(int(fp.Partition))).Set(float64(lag))
		}
	})
}
