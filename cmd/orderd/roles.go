package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/orderlog/orderlog/processor"
	"github.com/orderlog/orderlog/schemas"
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
