package saga

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/fulfillment"
	"github.com/orderlog/orderlog/integration"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/schemas"
	"github.com/orderlog/orderlog/topics"
)

// Config is everything a saga member needs.
type Config struct {
	Brokers         []string
	ClientOpts      []kgo.Opt // TLS, SASL, logging
	Group           string    // consumer group of the saga members
	TransactionalID string    // unique per member
	Topics          topics.Names
	Serdes          Serdes
	Policy          fulfillment.Policy
	Breakers        BreakerSettings
	// Now is the clock of timers and requests; time.Now by default.
	Now func() time.Time
	// Tick is how often due timers are looked for; 500 ms by default.
	Tick               time.Duration
	SessionTimeout     time.Duration
	TransactionTimeout time.Duration
	Logger             *slog.Logger
	Metrics            *Metrics
}

func (c *Config) validate() error {
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("saga: Brokers is empty"))
	}
	if c.Group == "" || c.TransactionalID == "" {
		errs = append(errs, errors.New("saga: Group and TransactionalID are required"))
	}
	t := c.Topics
	for _, n := range []string{t.Events, t.Commands, t.Results, t.DLQ, t.SagaState, t.PaymentRequests, t.PaymentResults,
		t.InventoryRequests, t.InventoryResults, t.ShippingRequests, t.ShippingResults, t.NotificationRequests} {
		if n == "" {
			errs = append(errs, fmt.Errorf("saga: every topic must be named, got %+v", t))
			break
		}
	}
	if !c.Serdes.complete() {
		errs = append(errs, errors.New("saga: every serde must be set (NewSerdes)"))
	}
	if c.Policy.Backoff == nil {
		c.Policy.Backoff = NewBackoff(time.Second, time.Minute)
	}
	if err := c.Policy.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Breakers.Failures == 0 {
		c.Breakers = BreakerSettings{Failures: 5, OpenFor: 30 * time.Second}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Tick <= 0 {
		c.Tick = 500 * time.Millisecond
	}
	if c.SessionTimeout == 0 {
		c.SessionTimeout = 10 * time.Second
	}
	if c.TransactionTimeout == 0 {
		c.TransactionTimeout = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Metrics == nil {
		c.Metrics = NewMetrics(nil)
	}
	return errors.Join(errs...)
}

// Serdes are the codecs of the saga's topics.
type Serdes struct {
	Events        *schemas.Serde[order.Event]
	Commands      *schemas.Serde[order.Command]
	Results       *schemas.Serde[order.CommandResult]
	States        *schemas.Serde[fulfillment.State]
	PaymentReq    *schemas.Serde[integration.PaymentRequest]
	PaymentRes    *schemas.Serde[integration.PaymentResult]
	InventoryReq  *schemas.Serde[integration.InventoryRequest]
	InventoryRes  *schemas.Serde[integration.InventoryResult]
	ShippingReq   *schemas.Serde[integration.ShippingRequest]
	ShippingRes   *schemas.Serde[integration.ShippingResult]
	Notifications *schemas.Serde[integration.NotificationRequest]
}

func (s Serdes) complete() bool {
	return s.Events != nil && s.Commands != nil && s.Results != nil && s.States != nil && s.PaymentReq != nil && s.PaymentRes != nil &&
		s.InventoryReq != nil && s.InventoryRes != nil && s.ShippingReq != nil && s.ShippingRes != nil && s.Notifications != nil
}

// NewSerdes builds the saga's serdes; optsFor gives the options of a topic's
// serde (a registry subject), nil for single-object encoding everywhere.
func NewSerdes(ctx context.Context, n topics.Names, optsFor func(topic string) []schemas.Option) (Serdes, error) {
	if optsFor == nil {
		optsFor = func(string) []schemas.Option { return nil }
	}
	var s Serdes
	var err error
	add := func(e error) {
		if e != nil && err == nil {
			err = e
		}
	}
	var e error
	s.Events, e = schemas.NewEvents(ctx, optsFor(n.Events)...)
	add(e)
	s.Commands, e = schemas.NewCommands(ctx, optsFor(n.Commands)...)
	add(e)
	s.Results, e = schemas.NewResults(ctx, optsFor(n.Results)...)
	add(e)
	s.States, e = schemas.New[fulfillment.State](ctx, schemas.KindSagaState, optsFor(n.SagaState)...)
	add(e)
	s.PaymentReq, e = schemas.New[integration.PaymentRequest](ctx, schemas.KindPaymentRequest, optsFor(n.PaymentRequests)...)
	add(e)
	s.PaymentRes, e = schemas.New[integration.PaymentResult](ctx, schemas.KindPaymentResult, optsFor(n.PaymentResults)...)
	add(e)
	s.InventoryReq, e = schemas.New[integration.InventoryRequest](ctx, schemas.KindInventoryRequest, optsFor(n.InventoryRequests)...)
	add(e)
	s.InventoryRes, e = schemas.New[integration.InventoryResult](ctx, schemas.KindInventoryResult, optsFor(n.InventoryResults)...)
	add(e)
	s.ShippingReq, e = schemas.New[integration.ShippingRequest](ctx, schemas.KindShippingRequest, optsFor(n.ShippingRequests)...)
	add(e)
	s.ShippingRes, e = schemas.New[integration.ShippingResult](ctx, schemas.KindShippingResult, optsFor(n.ShippingResults)...)
	add(e)
	s.Notifications, e = schemas.New[integration.NotificationRequest](ctx, schemas.KindNotificationRequest, optsFor(n.NotificationRequests)...)
	add(e)
	if err != nil {
		return Serdes{}, fmt.Errorf("saga: serdes: %w", err)
	}
	return s, nil
}
