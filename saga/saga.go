package saga

import (
	"github.com/orderlog/orderlog/fulfillment"
	"github.com/orderlog/orderlog/integration"
	"github.com/orderlog/orderlog/stream"
)

// Saga is one member of the saga group.
type Saga struct {
	*stream.Member[fulfillment.State, fulfillment.Input]
}

// New validates cfg and returns a saga member; Run starts it.
func New(cfg Config) (*Saga, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger.With("role", "saga")
	br := newBreakers(cfg.Breakers, func(sys integration.System, open bool) {
		v := 0.0
		if open {
			v = 1
		}
		cfg.Metrics.breakerOpen.WithLabelValues(string(sys)).Set(v)
		log.Warn("circuit breaker changed", "system", sys, "open", open)
	})
	m, err := stream.New(stream.Config{
		Brokers: cfg.Brokers, Group: cfg.Group, TransactionalID: cfg.TransactionalID, ClientOpts: cfg.ClientOpts,
		MaxPollRecords: 2000, TransactionTimeout: cfg.TransactionTimeout, SessionTimeout: cfg.SessionTimeout,
		Tick: cfg.Tick, Now: cfg.Now, Logger: cfg.Logger, Metrics: cfg.Metrics.runtime,
	}, Topology(cfg, br.open, br.observe))
	if err != nil {
		return nil, err
	}
	s := &Saga{m}
	inFlight := func() float64 {
		n := 0
		s.Each(func(_ string, st fulfillment.State) {
			if st.InFlight() {
				n++
			}
		})
		return float64(n)
	}
	cfg.Metrics.inFlight.Store(&inFlight)
	return s, nil
}
