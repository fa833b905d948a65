package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/api"
)

// runAPIPost serves the whole write path over loopback: the API (its
// command producer and results consumer), the processor and the projector,
// on one topic set and Redis. POST /api/v1/orders creates an order with two
// lines; the API answers once the command's result has arrived and the
// projection shows the order at the result's version (read your writes).
func runAPIPost(ctx context.Context, cfg config, target redisTarget, fr fixedRate) (apiRun, error) {
	p, err := startPipeline(ctx, cfg, target, nil)
	if err != nil {
		return apiRun{}, err
	}
	defer p.stop()
	results, err := api.NewKafkaResults(api.ResultsConfig{Brokers: cfg.brokers, Topic: p.names.Results, Results: p.serdes.Results})
	if err != nil {
		return apiRun{}, err
	}
	rctx, cancel := context.WithCancel(ctx)
	rdone := make(chan error, 1)
	go func() { rdone <- results.Run(rctx) }()
	defer func() { cancel(); <-rdone }()
	producer, err := kgo.NewClient(kgo.SeedBrokers(cfg.brokers...), kgo.ProducerLinger(0))
	if err != nil {
		return apiRun{}, err
	}
	defer producer.Close()
	c, closeAPI, err := serveAPI(p.rdb, p.prefix, api.NewKafkaSender(producer, p.names.Commands), results)
	if err != nil {
		return apiRun{}, err
	}
	defer closeAPI()
	run := time.Now().UnixNano()
	lat, failed, first := paced(ctx, fr, func(ctx context.Context, i int) error {
		body := fmt.Sprintf(`{"orderId":"post%d-%07d","customerId":"cust-%03d","currency":"USD","items":[`+
			`{"productId":"sku-1","name":"Widget","quantity":2,"unitPrice":1999},`+
			`{"productId":"sku-2","name":"Gadget","quantity":1,"unitPrice":4500}]}`, run, i, i%1000)
		return c.do(ctx, http.MethodPost, api.Prefix+"/orders", body, http.StatusCreated)
	})
	if err := errors.Join(ctx.Err(), p.stop()); err != nil {
		return apiRun{}, fmt.Errorf("api post: %w", err)
	}
	return apiRun{name: fmt.Sprintf("API POST /orders at %s/s", thousands(fr.rate)), rate: fr.rate, lat: lat, failed: failed, firstErr: first}, nil
}
