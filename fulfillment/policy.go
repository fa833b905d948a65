package fulfillment

import (
	"errors"
	"fmt"
	"time"

	"github.com/orderlog/orderlog/integration"
)

// Policy is how the saga behaves: deadlines, retries, backorders.
type Policy struct {
	// PaymentTimeout: a placed order whose payment is not authorized this
	// long after it was placed is cancelled.
	PaymentTimeout time.Duration
	// ShipmentTimeout: an order whose shipments are not all handed to the
	// carrier this long after capture is flagged for review.
	ShipmentTimeout time.Duration
	// RequestTimeout: a request with no answer this long is sent again.
	RequestTimeout time.Duration
	// MaxAttempts bounds how often one request is sent (timeouts and
	// UNAVAILABLE answers); then its failure path runs.
	MaxAttempts int32
	// MaxPaymentAttempts bounds how many payments are initiated for an
	// order after declines; then the order is cancelled.
	MaxPaymentAttempts int32
	// Backoff returns the wait before attempt n+1 of a request (n >= 1),
	// jitter included. saga.NewBackoff builds one on cenkalti/backoff.
	Backoff func(attempt int32) time.Duration
	// AllowBackorder lets inventory backorder what is short instead of
	// failing the reservation (and cancelling the order).
	AllowBackorder bool
	// BackorderRecheck is how often backordered items are asked for again.
	BackorderRecheck time.Duration
	// PaymentMethod is sent with InitiatePayment.
	PaymentMethod string
	// Retention is how long the saga keeps the state of a CANCELLED or
	// RETURNED order with nothing in flight (late answers are still
	// compensated meanwhile); then the state is deleted.
	Retention time.Duration
}

// DefaultPolicy is a policy for a shop: 15 minutes to pay, 48 hours to ship.
func DefaultPolicy() Policy {
	return Policy{
		PaymentTimeout:     15 * time.Minute,
		ShipmentTimeout:    48 * time.Hour,
		RequestTimeout:     30 * time.Second,
		MaxAttempts:        5,
		MaxPaymentAttempts: 3,
		Backoff:            func(n int32) time.Duration { return time.Duration(n) * time.Second },
		AllowBackorder:     true,
		BackorderRecheck:   time.Hour,
		PaymentMethod:      "card",
		Retention:          7 * 24 * time.Hour,
	}
}

// Validate reports what is wrong with p.
func (p Policy) Validate() error {
	var errs []error
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"PaymentTimeout", p.PaymentTimeout}, {"ShipmentTimeout", p.ShipmentTimeout},
		{"RequestTimeout", p.RequestTimeout}, {"BackorderRecheck", p.BackorderRecheck}, {"Retention", p.Retention}} {
		if d.v <= 0 {
			errs = append(errs, fmt.Errorf("fulfillment: %s must be positive, got %s", d.name, d.v))
		}
	}
	if p.MaxAttempts < 1 || p.MaxPaymentAttempts < 1 {
		errs = append(errs, fmt.Errorf("fulfillment: MaxAttempts (%d) and MaxPaymentAttempts (%d) must be at least 1",
			p.MaxAttempts, p.MaxPaymentAttempts))
	}
	if p.Backoff == nil {
		errs = append(errs, errors.New("fulfillment: Backoff is required"))
	}
	if p.PaymentMethod == "" {
		errs = append(errs, errors.New("fulfillment: PaymentMethod is required"))
	}
	return errors.Join(errs...)
}

// Env is what React needs from outside the order: the time, and which
// outside systems' circuit breakers are open.
type Env struct {
	Now  time.Time
	Open func(integration.System) bool // nil: all closed
}

func (e Env) open(s integration.System) bool { return e.Open != nil && e.Open(s) }
