package simulators

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/integration"
	"github.com/orderlog/orderlog/schemas"
	"github.com/orderlog/orderlog/topics"
)

// Simulators are the four simulated outside systems in one consumer group
// member.
type Simulators struct {
	cfg     Config
	log     *slog.Logger
	metrics *Metrics
	stock   *inventory
	memos   map[integration.System]*memo
	sched   *scheduler

	notesMu sync.Mutex
	notes   []integration.NotificationRequest

	started atomic.Bool
	running atomic.Bool
	joined  atomic.Bool
}

// New checks cfg and prepares the simulators; Run connects them.
func New(cfg Config) (*Simulators, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Simulators{
		cfg: cfg, log: cfg.Logger.With("role", "simulators"), metrics: cfg.Metrics,
		stock: newInventory(cfg.Inventory), memos: make(map[integration.System]*memo),
	}
	s.sched = newScheduler(s.metrics)
	for _, sys := range []integration.System{integration.Payment, integration.Inventory, integration.Shipping, integration.Notification} {
		s.memos[sys] = newMemo(cfg.Remember)
	}
	s.stock.onChange = func(w string, n int64) { s.metrics.reservedUnits.WithLabelValues(w).Set(float64(n)) }
	for _, w := range cfg.Inventory.Warehouses {
		s.metrics.reservedUnits.WithLabelValues(w).Set(0)
	}
	return s, nil
}

// Ready reports whether Run has joined the consumer group.
func (s *Simulators) Ready() bool { return s.running.Load() && s.joined.Load() }

// Stock returns the units of product on hand (not held) at warehouse; 0 for
// a warehouse that does not exist.
func (s *Simulators) Stock(warehouse, product string) int64 { return s.stock.stock(warehouse, product) }

// Reserved returns the allocations the inventory holds for an order: made
// by a RESERVE, not yet released or shipped. Empty for an order that holds
// nothing, as a cancelled order should.
func (s *Simulators) Reserved(orderID string) []integration.Allocation {
	return s.stock.reserved(orderID)
}

// Notifications returns the notifications received, oldest first; the
// newest Notification.Keep of them.
func (s *Simulators) Notifications() []integration.NotificationRequest {
	s.notesMu.Lock()
	defer s.notesMu.Unlock()
	return slices.Clone(s.notes)
}

// serdes are the codecs of the integration topics.
type serdes struct {
	payReq  *schemas.Serde[integration.PaymentRequest]
	payRes  *schemas.Serde[integration.PaymentResult]
	invReq  *schemas.Serde[integration.InventoryRequest]
	invRes  *schemas.Serde[integration.InventoryResult]
	shipReq *schemas.Serde[integration.ShippingRequest]
	shipRes *schemas.Serde[integration.ShippingResult]
	noteReq *schemas.Serde[integration.NotificationRequest]
}

func newSerdes(ctx context.Context, t topics.Names, optsFor func(string) []schemas.Option) (serdes, error) {
	if optsFor == nil {
		optsFor = func(string) []schemas.Option { return nil }
	}
	var (
		s    serdes
		errs [7]error
	)
	s.payReq, errs[0] = schemas.New[integration.PaymentRequest](ctx, schemas.KindPaymentRequest, optsFor(t.PaymentRequests)...)
	s.payRes, errs[1] = schemas.New[integration.PaymentResult](ctx, schemas.KindPaymentResult, optsFor(t.PaymentResults)...)
	s.invReq, errs[2] = schemas.New[integration.InventoryRequest](ctx, schemas.KindInventoryRequest, optsFor(t.InventoryRequests)...)
	s.invRes, errs[3] = schemas.New[integration.InventoryResult](ctx, schemas.KindInventoryResult, optsFor(t.InventoryResults)...)
	s.shipReq, errs[4] = schemas.New[integration.ShippingRequest](ctx, schemas.KindShippingRequest, optsFor(t.ShippingRequests)...)
	s.shipRes, errs[5] = schemas.New[integration.ShippingResult](ctx, schemas.KindShippingResult, optsFor(t.ShippingResults)...)
	s.noteReq, errs[6] = schemas.New[integration.NotificationRequest](ctx, schemas.KindNotificationRequest, optsFor(t.NotificationRequests)...)
	if err := errors.Join(errs[:]...); err != nil {
		return serdes{}, fmt.Errorf("simulators: serdes: %w", err)
	}
	return s, nil
}

// Run joins the group, answers requests until ctx is done, and returns nil
// after a clean stop. Answers still waiting out their latency when it stops
// are never sent, as when a real system crashes.
func (s *Simulators) Run(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("simulators: Run may be called only once")
	}
	s.running.Store(true)
	defer s.running.Store(false)
	sd, err := newSerdes(ctx, s.cfg.Topics, s.cfg.SerdeOptions)
	if err != nil {
		return err
	}
	t := s.cfg.Topics
	opts := []kgo.Opt{
		kgo.SeedBrokers(s.cfg.Brokers...),
		kgo.ConsumerGroup(s.cfg.Group),
		kgo.ConsumeTopics(t.PaymentRequests, t.InventoryRequests, t.ShippingRequests, t.NotificationRequests),
		// The saga writes requests in transactions: answer committed ones only.
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.SessionTimeout(10 * time.Second),
		kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) { s.joined.Store(true) }),
	}
	cl, err := kgo.NewClient(append(opts, s.cfg.ClientOpts...)...)
	if err != nil {
		return fmt.Errorf("simulators: client: %w", err)
	}
	s.log.Info("simulators starting", "group", s.cfg.Group, "warehouses", s.cfg.Inventory.Warehouses)
	s.consume(ctx, cl, sd)

	s.sched.stop()
	flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := cl.Flush(flushCtx); err != nil {
		s.log.Warn("simulators: results not flushed at stop", "err", err)
	}
	cl.Close() // commits the polled offsets and leaves the group
	s.joined.Store(false)
	s.log.Info("simulators stopped")
	return nil
}

// consume polls the requests topics until ctx is done. Deciding a request
// is quick; its answer waits out its latency in the scheduler, never here.
func (s *Simulators) consume(ctx context.Context, cl *kgo.Client, sd serdes) {
	for {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil || fetches.IsClientClosed() {
			return
		}
		failed := false
		fetches.EachError(func(topic string, p int32, err error) {
			if errors.Is(err, context.Canceled) {
				return
			}
			failed = true
			s.log.Warn("simulators: fetch", "topic", topic, "partition", p, "err", err)
		})
		fetches.EachRecord(func(r *kgo.Record) { s.handle(cl, sd, r) })
		if failed && fetches.NumRecords() == 0 {
			select { // do not spin on a persistent error (a missing topic)
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}
}

// handle decodes one request, decides it and schedules its answers.
func (s *Simulators) handle(cl *kgo.Client, sd serdes, r *kgo.Record) {
	t := s.cfg.Topics
	key := string(r.Key)
	var (
		out []answer
		sys integration.System
		err error
	)
	switch r.Topic {
	case t.PaymentRequests:
		sys = integration.Payment
		var req integration.PaymentRequest
		if req, err = sd.payReq.Decode(r.Value); err == nil {
			out = s.payment(key, req)
			s.logRequest(sys, req.OrderID, req.RequestID, req.CorrelationID, req.Action, out)
		}
	case t.InventoryRequests:
		sys = integration.Inventory
		var req integration.InventoryRequest
		if req, err = sd.invReq.Decode(r.Value); err == nil {
			out = s.inventory(key, req)
			s.logRequest(sys, req.OrderID, req.RequestID, req.CorrelationID, req.Action, out)
		}
	case t.ShippingRequests:
		sys = integration.Shipping
		var req integration.ShippingRequest
		if req, err = sd.shipReq.Decode(r.Value); err == nil {
			out = s.shipping(key, req)
			s.logRequest(sys, req.OrderID, req.RequestID, req.CorrelationID, req.Action, out)
		}
	case t.NotificationRequests:
		sys = integration.Notification
		var req integration.NotificationRequest
		if req, err = sd.noteReq.Decode(r.Value); err == nil {
			s.notification(key, req)
		}
	default:
		return
	}
	if err != nil {
		s.metrics.invalid.WithLabelValues(string(sys)).Inc()
		s.log.Warn("simulators: undecodable request skipped", "system", sys, "topic", r.Topic,
			"partition", r.Partition, "offset", r.Offset, "orderId", key, "err", err)
		return
	}
	for _, a := range out {
		s.sched.after(a.after, func() { s.send(cl, sd, sys, a) })
	}
}

func (s *Simulators) logRequest(sys integration.System, orderID, requestID, correlationID, action string, out []answer) {
	outcome := outcomeDropped
	if len(out) > 0 {
		outcome = outcomeOf(out[0].value)
	}
	s.log.Debug("simulated request", "system", sys, "orderId", orderID, "requestId", requestID,
		"correlationId", correlationID, "action", action, "outcome", outcome)
}

// send stamps an answer's At, encodes it and produces it asynchronously.
func (s *Simulators) send(cl *kgo.Client, sd serdes, sys integration.System, a answer) {
	now := s.cfg.Now()
	var (
		topic string
		value []byte
		err   error
	)
	switch v := a.value.(type) {
	case integration.PaymentResult:
		v.At = now
		topic = s.cfg.Topics.PaymentResults
		value, err = sd.payRes.Encode(v)
	case integration.InventoryResult:
		v.At = now
		topic = s.cfg.Topics.InventoryResults
		value, err = sd.invRes.Encode(v)
	case integration.ShippingResult:
		v.At = now
		topic = s.cfg.Topics.ShippingResults
		value, err = sd.shipRes.Encode(v)
	default:
		err = fmt.Errorf("no results topic for %T", a.value)
	}
	if err != nil {
		s.metrics.produceErrors.WithLabelValues(string(sys)).Inc()
		s.log.Error("simulators: encode result", "system", sys, "orderId", a.key, "err", err)
		return
	}
	rec := &kgo.Record{Topic: topic, Key: []byte(a.key), Value: value}
	cl.Produce(context.Background(), rec, func(_ *kgo.Record, err error) {
		if err != nil {
			s.metrics.produceErrors.WithLabelValues(string(sys)).Inc()
			s.log.Warn("simulators: produce result", "system", sys, "topic", topic, "orderId", a.key, "err", err)
			return
		}
		s.metrics.results.WithLabelValues(string(sys)).Inc()
	})
}

// outcomeOf returns the Outcome of a result value.
func outcomeOf(v any) string {
	switch v := v.(type) {
	case integration.PaymentResult:
		return v.Outcome
	case integration.InventoryResult:
		return v.Outcome
	case integration.ShippingResult:
		return v.Outcome
	}
	return ""
}
