package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/internal/gather"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/schemas"
)

// Config is what a projector needs. Brokers, Group, Topic, Events and Redis
// are required; the rest have defaults that work on a laptop.
type Config struct {
	Brokers []string
	// Group is the projector's consumer group. A new group starts at the
	// beginning of the log; a rebuild uses a group of its own.
	Group string
	// Topic is the full name of order.events (topics.Names.Events).
	Topic  string
	Events *schemas.Serde[order.Event]
	Redis  redis.UniversalClient
	// Prefix goes in front of every key (default "orderlog:").
	Prefix string
	// PointerKey names the key holding the prefix readers use (default
	// "orderlog:active-prefix").
	PointerKey string
	// Activate makes Prefix the active prefix once the group has projected
	// the whole log as it stood at some moment after start (a rebuild).
	Activate bool
	// TypeIndexRetention is how long the events-by-type index keeps an
	// event (default 30 days).
	TypeIndexRetention time.Duration
	// MinuteCounterTTL is how long after its minute a per-minute events
	// counter expires (default 24 h).
	MinuteCounterTTL time.Duration
	// CacheSize bounds the views kept in memory (default 10000; negative:
	// none, every base view is read from Redis).
	CacheSize int
	// MaxPollRecords bounds a batch (default 5000).
	MaxPollRecords int
	// Gather is how long a batch that its poll did not fill waits for one
	// more fetch, which brings the events that came while the previous
	// batch was written (default gather.DefaultWait, 2 ms; negative:
	// never; see internal/gather).
	Gather time.Duration
	// PipelineSize is the script calls sent per Redis round trip (default
	// 200: the next chunk is rendered while Redis runs one); MaxChain the
	// events of one order per call (default 256).
	PipelineSize int
	MaxChain     int
	// RetryBackoff is the wait before a held partition (a gap, an
	// undecodable record) is fetched again, doubling per attempt up to
	// MaxRetryBackoff (defaults 500 ms and 30 s).
	RetryBackoff    time.Duration
	MaxRetryBackoff time.Duration
	// ClientOpts are extra franz-go options (TLS, SASL, logging).
	ClientOpts []kgo.Opt
	Logger     *slog.Logger
	Metrics    *Metrics
	// Now is the clock (default time.Now), for tests.
	Now func() time.Time
	// OnApplied, if set, is called with every event the projector applied
	// and when it was visible in Redis (the benchmark measures command to
	// visible with it). It runs on the projector's goroutine: keep it cheap.
	OnApplied func(e order.Event, visible time.Time)
}

func (c *Config) validate() error {
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("projector: Brokers is empty"))
	}
	if c.Group == "" {
		errs = append(errs, errors.New("projector: Group is empty"))
	}
	if c.Topic == "" {
		errs = append(errs, errors.New("projector: Topic (order.events) is empty"))
	}
	if c.Events == nil {
		errs = append(errs, errors.New("projector: Events serde is nil"))
	}
	if c.Redis == nil {
		errs = append(errs, errors.New("projector: Redis client is nil"))
	}
	setDefault(&c.Prefix, DefaultPrefix)
	setDefault(&c.PointerKey, DefaultPointerKey)
	if err := ValidatePrefix(c.Prefix); err != nil {
		errs = append(errs, fmt.Errorf("projector: %w", err))
	}
	setDefault(&c.TypeIndexRetention, 30*24*time.Hour)
	setDefault(&c.MinuteCounterTTL, 24*time.Hour)
	setDefault(&c.CacheSize, 10_000)
	setDefault(&c.MaxPollRecords, 5000)
	setDefault(&c.Gather, gather.DefaultWait)
	setDefault(&c.PipelineSize, 200)
	setDefault(&c.MaxChain, 256)
	setDefault(&c.RetryBackoff, 500*time.Millisecond)
	setDefault(&c.MaxRetryBackoff, 30*time.Second)
	for name, d := range map[string]time.Duration{"TypeIndexRetention": c.TypeIndexRetention, "MinuteCounterTTL": c.MinuteCounterTTL,
		"RetryBackoff": c.RetryBackoff, "MaxRetryBackoff": c.MaxRetryBackoff} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("projector: %s is %s; it must be positive", name, d))
		}
	}
	for name, n := range map[string]int{"MaxPollRecords": c.MaxPollRecords, "PipelineSize": c.PipelineSize, "MaxChain": c.MaxChain} {
		if n < 1 {
			errs = append(errs, fmt.Errorf("projector: %s is %d; it must be at least 1", name, n))
		}
	}
	if c.MaxChain > 1000 {
		errs = append(errs, fmt.Errorf("projector: MaxChain is %d; at most 1000 (the script unpacks a run's events onto Lua's stack)", c.MaxChain))
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Metrics == nil {
		c.Metrics = NewMetrics(nil)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return errors.Join(errs...)
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Projector is one member of the projector group: it consumes order.events
// and keeps the read models of one key prefix up to date.
type Projector struct {
	cfg     Config
	log     *slog.Logger
	metrics *Metrics
	ap      *applier

	client    atomic.Pointer[kgo.Client]
	running   atomic.Bool
	joined    atomic.Bool
	activated atomic.Bool

	mu   sync.Mutex // guards held: rebalance callbacks run on other goroutines
	held map[int32]*hold

	lastTrim      time.Time
	redisFailures int // batches failed on Redis in a row (the poll loop's)
}

// hold is a partition stopped before a record it could not project.
type hold struct {
	offset   int64
	time     time.Time // the record's timestamp, for the lag
	attempts int
	until    time.Time // fetch again after this
	paused   bool
	gaps     map[string]int64 // orderId -> gap seq already counted
}

// New checks the config and prepares a projector; Run starts it.
func New(cfg Config) (*Projector, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger.With("role", "projector", "prefix", cfg.Prefix)
	p := &Projector{cfg: cfg, log: log, metrics: cfg.Metrics, held: map[int32]*hold{}}
	p.ap = &applier{
		rdb: cfg.Redis, k: keys{cfg.Prefix}, cache: newViewCache(cfg.CacheSize), log: log, now: cfg.Now, metrics: cfg.Metrics,
		typeRetention: cfg.TypeIndexRetention, minuteTTL: cfg.MinuteCounterTTL, maxChain: cfg.MaxChain, pipelineSize: cfg.PipelineSize,
	}
	return p, nil
}

// Ready reports whether the projector runs and has joined its group. A
// held partition does not make it unready (readers are served; the
// partitions_held metric and the logs say what waits).
func (p *Projector) Ready() bool { return p.running.Load() && p.joined.Load() }

// Activated reports whether this projector has made its prefix the active
// one (Config.Activate).
func (p *Projector) Activated() bool { return p.activated.Load() }

// Prefix is the key prefix this projector writes.
func (p *Projector) Prefix() string { return p.cfg.Prefix }

// Run joins the group and projects events until ctx is done. It returns nil
// after a clean shutdown, or the error that kept it from starting.
func (p *Projector) Run(ctx context.Context) error {
	if err := errors.Join(applyScript.Load(ctx, p.cfg.Redis).Err(), shardScript.Load(ctx, p.cfg.Redis).Err()); err != nil {
		if ctx.Err() != nil {
			return nil // stopped while starting: a clean shutdown
		}
		return fmt.Errorf("projector: load the apply scripts into Redis: %w", err)
	}
	cl, err := kgo.NewClient(p.clientOpts()...)
	if err != nil {
		return fmt.Errorf("projector: client: %w", err)
	}
	p.client.Store(cl)
	p.running.Store(true)
	defer func() {
		p.running.Store(false)
		cl.Close()
		p.log.Info("projector stopped; left the group")
	}()
	p.log.Info("projector started", "group", p.cfg.Group, "topic", p.cfg.Topic)
	if p.cfg.Activate {
		go p.activateWhenCaughtUp(ctx)
	}
	for {
		p.resumeDue(cl)
		p.trimTypeIndex(ctx)
		pctx, cancel := context.WithTimeout(ctx, p.pollWait())
		fs := cl.PollRecords(pctx, p.cfg.MaxPollRecords)
		cancel()
		fs = gather.More(ctx, fs, p.cfg.MaxPollRecords, p.cfg.Gather, cl.PollRecords)
		if ctx.Err() != nil || fs.IsClientClosed() {
			cl.AllowRebalance()
			return nil
		}
		fs.EachError(func(t string, part int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				p.log.Warn("fetch error", "topic", t, "partition", part, "error", err)
			}
		})
		if fs.NumRecords() > 0 {
			p.handle(ctx, cl, fs)
		}
		cl.AllowRebalance()
	}
}

func (p *Projector) clientOpts() []kgo.Opt {
	return append(append([]kgo.Opt(nil), p.cfg.ClientOpts...),
		kgo.SeedBrokers(p.cfg.Brokers...),
		kgo.ConsumerGroup(p.cfg.Group),
		kgo.ConsumeTopics(p.cfg.Topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		// Transaction markers come back as records, so that committed
		// offsets reach the end of the log and "caught up" can be seen.
		kgo.KeepControlRecords(),
		kgo.DisableAutoCommit(),
		// A fetch waits at most this long for data; a held partition
		// resumed meanwhile is fetched by the next request.
		kgo.FetchMaxWait(500*time.Millisecond),
		// No rebalance between a poll and its commit: offsets are only
		// committed for partitions still owned.
		kgo.BlockRebalanceOnPoll(),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			p.metrics.partitions.Add(float64(len(m[p.cfg.Topic])))
			p.joined.Store(true)
			p.log.Info("partitions assigned", "partitions", m[p.cfg.Topic])
		}),
		kgo.OnPartitionsRevoked(func(_ context.Context, cl *kgo.Client, m map[string][]int32) {
			p.drop(cl, m[p.cfg.Topic], "revoked")
		}),
		kgo.OnPartitionsLost(func(_ context.Context, cl *kgo.Client, m map[string][]int32) {
			p.drop(cl, m[p.cfg.Topic], "lost")
		}),
	)
}

// drop forgets partitions that moved to another member: their holds (the
// new owner starts from the committed offset, which stops before a hold, and
// meets the gap itself) and their gauges.
func (p *Projector) drop(cl *kgo.Client, parts []int32, why string) {
	if len(parts) == 0 {
		return
	}
	p.mu.Lock()
	for _, part := range parts {
		if _, ok := p.held[part]; ok {
			delete(p.held, part)
			p.metrics.stalled.Dec()
		}
		p.metrics.lagEvents.DeleteLabelValues(strconv.Itoa(int(part)))
		p.metrics.lagSeconds.DeleteLabelValues(strconv.Itoa(int(part)))
	}
	p.mu.Unlock()
	cl.ResumeFetchPartitions(map[string][]int32{p.cfg.Topic: parts})
	p.metrics.partitions.Sub(float64(len(parts)))
	p.log.Info("partitions dropped", "partitions", parts, "why", why)
}

// resumeDue fetches held partitions again once their wait is over, and
// keeps their lag gauge moving while they wait.
func (p *Projector) resumeDue(cl *kgo.Client) {
	now := p.cfg.Now()
	var due []int32
	p.mu.Lock()
	for part, h := range p.held {
		p.metrics.lagSeconds.WithLabelValues(strconv.Itoa(int(part))).Set(now.Sub(h.time).Seconds())
		if h.paused && !now.Before(h.until) {
			h.paused = false
			due = append(due, part)
		}
	}
	p.mu.Unlock()
	if len(due) > 0 {
		cl.ResumeFetchPartitions(map[string][]int32{p.cfg.Topic: due})
		p.log.Info("retrying held partitions", "partitions", due)
	}
}

// pollWait is how long a poll may block: until the next held partition is
// due, at most half a second.
func (p *Projector) pollWait() time.Duration {
	wait := 500 * time.Millisecond
	now := p.cfg.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, h := range p.held {
		if h.paused {
			wait = min(wait, max(h.until.Sub(now), time.Millisecond))
		}
	}
	return wait
}

// trimTypeIndex drops events older than the retention from the
// events-by-type index, once a minute.
func (p *Projector) trimTypeIndex(ctx context.Context) {
	now := p.cfg.Now()
	if now.Sub(p.lastTrim) < time.Minute {
		return
	}
	p.lastTrim = now
	cutoff := "(" + strconv.FormatInt(now.Add(-p.cfg.TypeIndexRetention).UnixMilli(), 10)
	pipe := p.cfg.Redis.Pipeline()
	for s := range NumShards {
		for _, t := range order.EventTypes() {
			pipe.ZRemRangeByScore(ctx, p.ap.k.typeIndex(s, t), "-inf", cutoff)
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && ctx.Err() == nil {
		p.log.Warn("trim the events-by-type index", "error", err)
	}
}
