package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/orderlog/orderlog/fulfillment"
	"github.com/orderlog/orderlog/processor"
	"github.com/orderlog/orderlog/projections"
	"github.com/orderlog/orderlog/saga"
	"github.com/orderlog/orderlog/schemas"
	"github.com/orderlog/orderlog/simulators"
	"github.com/orderlog/orderlog/topics"
)

// Role is one part of orderlog that an orderd process can run: it works
// until ctx is done, then stops cleanly and returns nil, or returns the
// error that stopped it. Ready says whether it can take traffic now.
type Role interface {
	Run(ctx context.Context) error
	Ready() bool
}

// roleSpec names a role and builds it. Adding a role to orderd is adding
// one entry to roles.
type roleSpec struct {
	name  string
	build func(ctx context.Context, d deps) (Role, error)
}

var roles = []roleSpec{
	{name: "processor", build: newProcessor},
	{name: "projector", build: newProjector},
	{name: "api", build: newAPI},
	{name: "saga", build: newSaga},
	{name: "simulators", build: newSimulators},
}

// deps are what every role may use.
type deps struct {
	cfg       Config
	log       *slog.Logger
	metrics   prometheus.Registerer
	kafkaOpts []kgo.Opt // TLS, SASL and logging; seed brokers are cfg.Brokers
	topics    topics.Set
	registry  *sr.Client // nil without --schema-registry-url
}

// serdeOpts are the schemas options of the values of topic: with a schema
// registry, the Confluent wire format under subject "<topic>-value".
func (d deps) serdeOpts(topic string) []schemas.Option {
	if d.registry == nil {
		return nil
	}
	return []schemas.Option{schemas.WithRegistry(d.registry, topic+"-value")}
}

func roleNames() []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = r.name
	}
	return out
}

func lookupRole(name string) *roleSpec {
	for i := range roles {
		if roles[i].name == name {
			return &roles[i]
		}
	}
	return nil
}

func newProcessor(ctx context.Context, d deps) (Role, error) {
	n := d.topics.Names()
	s, err := processor.NewSerdes(ctx, n, d.serdeOpts)
	if err != nil {
		return nil, err
	}
	p, err := processor.New(processor.Config{
		Brokers:            d.cfg.Brokers,
		Group:              d.cfg.Group,
		TransactionalID:    d.cfg.TransactionalID,
		Threads:            d.cfg.ProcessorThreads,
		DecodedStates:      d.cfg.DecodedStates,
		Topics:             n,
		Serdes:             s,
		ClientOpts:         d.kafkaOpts,
		MaxPollRecords:     d.cfg.MaxPollRecords,
		Gather:             gather(d.cfg.Gather),
		TransactionTimeout: d.cfg.TransactionTimeout,
		SessionTimeout:     d.cfg.SessionTimeout,
		Logger:             d.log,
		Metrics:            processor.NewMetrics(d.metrics),
	})
	if err != nil {
		return nil, fmt.Errorf("processor: %w", err)
	}
	return p, nil
}

func newSaga(ctx context.Context, d deps) (Role, error) {
	n := d.topics.Names()
	s, err := saga.NewSerdes(ctx, n, d.serdeOpts)
	if err != nil {
		return nil, err
	}
	sc := d.cfg.Saga
	pol := fulfillment.DefaultPolicy()
	pol.PaymentTimeout, pol.ShipmentTimeout, pol.RequestTimeout = sc.PaymentTimeout, sc.ShipmentTimeout, sc.RequestTimeout
	pol.MaxAttempts, pol.MaxPaymentAttempts = int32(sc.RequestAttempts), int32(sc.PaymentAttempts)
	pol.AllowBackorder, pol.BackorderRecheck, pol.Retention = sc.AllowBackorder, sc.BackorderRecheck, sc.Retention
	// Retries wait a tenth of the request timeout at first, doubling, and
	// never more than the timeout itself.
	pol.Backoff = saga.NewBackoff(max(sc.RequestTimeout/10, 100*time.Millisecond), sc.RequestTimeout)
	g, err := saga.New(saga.Config{
		Brokers:    d.cfg.Brokers,
		ClientOpts: d.kafkaOpts,
		Group:      sc.Group,
		// The processor of the same process has its own producer: a
		// transactional id is one producer's.
		TransactionalID:    d.cfg.SagaTransactionalID,
		Topics:             n,
		Serdes:             s,
		Policy:             pol,
		TransactionTimeout: d.cfg.TransactionTimeout,
		SessionTimeout:     d.cfg.SessionTimeout,
		Logger:             d.log,
		Metrics:            saga.NewMetrics(d.metrics),
	})
	if err != nil {
		return nil, fmt.Errorf("saga: %w", err)
	}
	return g, nil
}

func newSimulators(_ context.Context, d deps) (Role, error) {
	sc := d.cfg.Sim
	c := simulators.DefaultConfig()
	c.Brokers, c.ClientOpts, c.Topics, c.Group = d.cfg.Brokers, d.kafkaOpts, d.topics.Names(), sc.Group
	c.SerdeOptions, c.Logger, c.Metrics, c.Seed = d.serdeOpts, d.log, simulators.NewMetrics(d.metrics), sc.Seed
	behave := func(b *simulators.Behavior, failure float64) {
		b.Latency = simulators.Latency{Min: sc.LatencyMin, Max: sc.LatencyMax}
		b.FailureRate, b.UnavailableRate, b.DropRate = failure, sc.UnavailableRate, sc.DropRate
	}
	behave(&c.Payment, sc.PaymentDeclineRate)
	behave(&c.Inventory.Behavior, 0)
	behave(&c.Shipping.Behavior, sc.ShippingFailureRate)
	c.Inventory.Warehouses, c.Inventory.DefaultStock = sc.Warehouses, sc.Stock
	c.Shipping.DeliveryDelay = sc.DeliveryDelay
	s, err := simulators.New(c)
	if err != nil {
		return nil, fmt.Errorf("simulators: %w", err)
	}
	return s, nil
}

// newRedis returns the read models' client (standalone, cluster or
// sentinel, by --redis-mode). It does not connect: waitRedis does, when the
// role runs.
func newRedis(cfg RedisConfig, log *slog.Logger) redis.UniversalClient {
	redisLog.Store(log.With("component", "redis"))
	redisLogOnce.Do(func() { projections.LogRedisClient(redisLog.Load) })
	return projections.NewRedis(cfg.Settings())
}

// go-redis's own messages go to the log of the latest orderd run of this
// process (tests run several).
var (
	redisLogOnce sync.Once
	redisLog     atomic.Pointer[slog.Logger]
)

// waitRedis runs a role that needs Redis once Redis can be used: until then
// it checks every second, backing off to 10 s, logs why it waits (once, and
// again when the reason changes), and is not ready, with the reason in
// /readyz. A Redis that is down at start is waited for, not a crash.
type waitRedis struct {
	Role
	rdb   redis.UniversalClient
	addr  string
	cfg   RedisConfig
	log   *slog.Logger
	close func() error
	err   atomic.Pointer[error]
}

func withRedis(r Role, rdb redis.UniversalClient, cfg RedisConfig, log *slog.Logger) *waitRedis {
	w := &waitRedis{Role: r, rdb: rdb, addr: cfg.Addr, cfg: cfg, log: log, close: rdb.Close}
	err := errors.New("connecting to redis at " + cfg.Addr)
	w.err.Store(&err)
	return w
}

func (w *waitRedis) Run(ctx context.Context) error {
	defer w.close()
	wait, last := time.Second, ""
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := projections.CheckRedis(cctx, w.rdb)
		cancel()
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		if ferr := redisFatal(w.cfg, err); ferr != nil {
			return fmt.Errorf("redis at %s: %w", w.addr, ferr)
		}
		err = fmt.Errorf("redis at %s (%s): %w", w.addr, settingName("redis-addr"), err)
		w.err.Store(&err)
		if msg := err.Error(); msg != last {
			w.log.Error("redis cannot be used; waiting for it", "error", err, "retryIn", wait)
			last = msg
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(wait*2, 10*time.Second)
	}
	if last != "" {
		w.log.Info("redis answers", "addr", w.addr)
	}
	w.err.Store(nil)
	return w.Role.Run(ctx)
}

// Health says why the role is not ready while it waits for Redis.
func (w *waitRedis) Health() error {
	if e := w.err.Load(); e != nil {
		return *e
	}
	return healthOf(w.Role)
}

func newProjector(ctx context.Context, d deps) (Role, error) {
	events, err := schemas.NewEvents(ctx, d.serdeOpts(d.topics.Names().Events)...)
	if err != nil {
		return nil, err
	}
	rdb := newRedis(d.cfg.Redis, d.log)
	cfg := projections.Config{
		Brokers:    d.cfg.Brokers,
		Group:      d.cfg.ProjectorGroup,
		Topic:      d.topics.Names().Events,
		Events:     events,
		Redis:      rdb,
		Prefix:     d.cfg.Redis.Prefix,
		PointerKey: d.cfg.Redis.PointerKey,
		Gather:     gather(d.cfg.Gather),
		ClientOpts: d.kafkaOpts,
		Logger:     d.log.With("role", "projector"),
		Metrics:    projections.NewMetrics(d.metrics),
	}
	if np := d.cfg.Redis.RebuildPrefix; np != "" {
		// A rebuild projects the log under the new prefix next to the one
		// readers use, switches them when caught up, and goes on as the
		// live projector of the new prefix.
		return withRedis(&funcRole{run: func(ctx context.Context) error { return projections.Rebuild(ctx, cfg, np) }}, rdb, d.cfg.Redis, d.log.With("role", "projector")), nil
	}
	p, err := projections.New(cfg)
	if err != nil {
		rdb.Close()
		return nil, err
	}
	return withRedis(p, rdb, d.cfg.Redis, d.log.With("role", "projector")), nil
}

// funcRole is a role that is ready as soon as it runs.
type funcRole struct {
	run     func(context.Context) error
	running atomic.Bool
}

func (f *funcRole) Run(ctx context.Context) error {
	f.running.Store(true)
	defer f.running.Store(false)
	return f.run(ctx)
}

func (f *funcRole) Ready() bool { return f.running.Load() }

// gather is --gather as stream.Config.Gather and projections.Config.Gather
// take it: 0 there is the default, never is negative.
func gather(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
