package saga

import (
	"errors"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/sony/gobreaker/v2"

	"github.com/orderlog/orderlog/integration"
)

// NewBackoff returns a fulfillment.Policy.Backoff: exponential from initial,
// doubling, randomized by ±50 %, never above ceiling.
func NewBackoff(initial, ceiling time.Duration) func(attempt int32) time.Duration {
	return func(attempt int32) time.Duration {
		b := &backoff.ExponentialBackOff{InitialInterval: initial, RandomizationFactor: 0.5, Multiplier: 2, MaxInterval: ceiling}
		b.Reset()
		d := initial
		for range max(attempt, 1) {
			d = b.NextBackOff()
		}
		return min(d, ceiling)
	}
}

// BreakerSettings says when an outside system's breaker opens: after
// Failures consecutive missing or UNAVAILABLE answers, for OpenFor.
type BreakerSettings struct {
	Failures uint32
	OpenFor  time.Duration
}

// breakers holds one circuit breaker per outside system.
type breakers struct {
	mu sync.Mutex
	by map[integration.System]*gobreaker.TwoStepCircuitBreaker[struct{}]
}

var errNoAnswer = errors.New("no answer")

func newBreakers(s BreakerSettings, onChange func(sys integration.System, open bool)) *breakers {
	b := &breakers{by: map[integration.System]*gobreaker.TwoStepCircuitBreaker[struct{}]{}}
	for _, sys := range integration.Systems {
		b.by[sys] = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
			Name:        string(sys),
			MaxRequests: 1,
			Timeout:     s.OpenFor,
			ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= s.Failures },
			OnStateChange: func(_ string, _, to gobreaker.State) {
				if onChange != nil {
					onChange(sys, to == gobreaker.StateOpen)
				}
			},
		})
	}
	return b
}

// open reports whether sys's breaker holds requests back.
func (b *breakers) open(sys integration.System) bool {
	cb, ok := b.by[sys]
	return ok && cb.State() == gobreaker.StateOpen
}

// observe counts one answer (ok) or missing answer of sys.
func (b *breakers) observe(sys integration.System, ok bool) {
	cb, found := b.by[sys]
	if !found {
		return
	}
	done, err := cb.Allow()
	if err != nil {
		return // open: nothing is counted until it half-opens
	}
	if ok {
		done(nil)
	} else {
		done(errNoAnswer)
	}
}
