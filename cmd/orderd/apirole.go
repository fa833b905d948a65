package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/api"
	"github.com/orderlog/orderlog/dashboard"
	"github.com/orderlog/orderlog/projections"
	"github.com/orderlog/orderlog/schemas"
)

// apiRole serves the HTTP API on its own address: writes go to
// order.commands and are answered from order.command-results; reads come
// from the Redis read models.
type apiRole struct {
	addr     string
	handler  http.Handler
	results  *api.KafkaResults
	sampler  *dashboard.Sampler
	producer *kgo.Client
	close    func() error
	ready    atomic.Bool
}

func newAPI(ctx context.Context, d deps) (Role, error) {
	n := d.topics.Names()
	rdb := newRedis(d.cfg.Redis, d.log)
	fail := func(err error) (Role, error) { rdb.Close(); return nil, err }
	reader, err := projections.NewReader(projections.ReaderConfig{Redis: rdb, Prefix: d.cfg.Redis.Prefix, PointerKey: d.cfg.Redis.PointerKey})
	if err != nil {
		return fail(err)
	}
	resultSerde, err := schemas.NewResults(ctx, d.serdeOpts(n.Results)...)
	if err != nil {
		return fail(err)
	}
	results, err := api.NewKafkaResults(api.ResultsConfig{Brokers: d.cfg.Brokers, Topic: n.Results, Results: resultSerde,
		ClientOpts: d.kafkaOpts, Logger: d.log.With("role", "api")})
	if err != nil {
		return fail(err)
	}
	auth, err := d.cfg.authenticator(ctx)
	if err != nil {
		return fail(err)
	}
	producer, err := kgo.NewClient(append(append([]kgo.Opt(nil), d.kafkaOpts...),
		kgo.SeedBrokers(d.cfg.Brokers...), kgo.ProducerLinger(0))...)
	if err != nil {
		return fail(fmt.Errorf("api producer: %w", err))
	}
	// The dashboard's charts: this process samples command results and the
	// projection lag (counted in records) for the last hour.
	sampler, err := dashboard.NewSampler(dashboard.SamplerConfig{Brokers: d.cfg.Brokers, ClientOpts: d.kafkaOpts, Results: n.Results,
		Queues: dashboard.NewKafkaQueuesCounting(producer, n.Events, n.DLQ, d.cfg.ProjectorGroup), Logger: d.log.With("role", "api")})
	if err != nil {
		producer.Close()
		return fail(fmt.Errorf("api dashboard sampler: %w", err))
	}
	srv, err := api.New(api.Config{Reader: reader, Commands: api.NewKafkaSender(producer, n.Commands), Results: results,
		Queues: sampler,
		Auth:   auth, JWTKey: []byte(d.cfg.JWTKey), Keys: api.NewRedisKeys(rdb, d.cfg.Redis.Prefix+"idempotency:", d.cfg.Auth.IdempotencyTTL),
		Timeout: d.cfg.APITimeout, Logger: d.log.With("role", "api")})
	if err != nil {
		producer.Close()
		return fail(err)
	}
	a := &apiRole{addr: d.cfg.APIAddr, handler: srv.Handler(), results: results, sampler: sampler, producer: producer, close: func() error { return nil }}
	return withRedis(a, rdb, d.cfg.Redis, d.log.With("role", "api")), nil
}

func (a *apiRole) Ready() bool { return a.ready.Load() }

// Run serves until ctx ends, then drains requests for up to 10 s.
func (a *apiRole) Run(ctx context.Context) error {
	defer a.close()
	defer a.producer.Close()
	ln, err := net.Listen("tcp", a.addr)
	if err != nil {
		return fmt.Errorf("api: listen on %s: %w", a.addr, err)
	}
	srv := &http.Server{Handler: a.handler, ReadHeaderTimeout: 5 * time.Second}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	resultsDone := make(chan error, 1)
	go func() { resultsDone <- a.results.Run(rctx) }()
	samplerDone := make(chan error, 1)
	go func() { samplerDone <- a.sampler.Run(rctx) }()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	a.ready.Store(true)
	select {
	case <-ctx.Done():
	case err := <-served:
		return fmt.Errorf("api: serve: %w", err)
	case err := <-resultsDone:
		return fmt.Errorf("api: results consumer: %w", err)
	}
	a.ready.Store(false)
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	err = srv.Shutdown(sctx)
	cancel()
	if rerr := <-resultsDone; rerr != nil && !errors.Is(rerr, context.Canceled) {
		err = errors.Join(err, rerr)
	}
	if serr := <-samplerDone; serr != nil && !errors.Is(serr, context.Canceled) {
		err = errors.Join(err, serr)
	}
	return err
}
