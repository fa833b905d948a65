package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
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
		Topics:             n,
		Serdes:             s,
		ClientOpts:         d.kafkaOpts,
		MaxPollRecords:     d.cfg.MaxPollRecords,
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
		TransactionalID:    d.cfg.TransactionalID + "-saga",
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

func newRedis(ctx context.Context, cfg RedisConfig) (*redis.Client, error) {
	opts := &redis.Options{Addr: cfg.Addr, Password: cfg.Password}
	if cfg.TLS {
		opts.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	rdb := redis.NewClient(opts)
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("redis at %s: %w", cfg.Addr, err)
	}
	return rdb, nil
}

func newProjector(ctx context.Context, d deps) (Role, error) {
	events, err := schemas.NewEvents(ctx, d.serdeOpts(d.topics.Names().Events)...)
	if err != nil {
		return nil, err
	}
	rdb, err := newRedis(ctx, d.cfg.Redis)
	if err != nil {
		return nil, err
	}
	cfg := projections.Config{
		Brokers:    d.cfg.Brokers,
		Group:      d.cfg.ProjectorGroup,
		Topic:      d.topics.Names().Events,
		Events:     events,
		Redis:      rdb,
		Prefix:     d.cfg.Redis.Prefix,
		PointerKey: d.cfg.Redis.PointerKey,
		ClientOpts: d.kafkaOpts,
		Logger:     d.log.With("role", "projector"),
		Metrics:    projections.NewMetrics(d.metrics),
	}
	if np := d.cfg.Redis.RebuildPrefix; np != "" {
		// A rebuild projects the log under the new prefix next to the one
		// readers use, switches them when caught up, and goes on as the
		// live projector of the new prefix.
		return closingRole{Role: &funcRole{run: func(ctx context.Context) error { return projections.Rebuild(ctx, cfg, np) }}, close: rdb.Close}, nil
	}
	p, err := projections.New(cfg)
	if err != nil {
		rdb.Close()
		return nil, err
	}
	return closingRole{Role: p, close: rdb.Close}, nil
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

// closingRole closes what the role used once it has stopped.
type closingRole struct {
	Role
	close func() error
}

func (r closingRole) Run(ctx context.Context) error {
	defer r.close()
	return r.Role.Run(ctx)
}
