package saga_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/fulfillment"
	"github.com/orderlog/orderlog/integration"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/saga"
	"github.com/orderlog/orderlog/stream"
	"github.com/orderlog/orderlog/topics"
)

// sagaTester is the saga's topology on the runtime's in-memory tester: no
// Kafka, the same handler, codecs, timers and dead-lettering.
type sagaTester struct {
	t     *testing.T
	tt    *stream.Tester[fulfillment.State, fulfillment.Input]
	cfg   saga.Config
	order order.State
	dec   order.Decider
	seen  map[string]int // records already returned by requests, per topic
	// refuse makes the order refuse the saga's commands of a type with a
	// rejection, as an aggregate rule the saga does not know would.
	refuse map[order.CommandType]*order.Rejection
}

func newSagaTester(t *testing.T) *sagaTester {
	return newSagaTesterWith(t, testLogger(), saga.NewMetrics(nil))
}

// newSagaTesterWith is newSagaTester with the saga's logger and metrics.
func newSagaTesterWith(t *testing.T, log *slog.Logger, met *saga.Metrics) *sagaTester {
	n := topics.NewNames("")
	sd, err := saga.NewSerdes(context.Background(), n, nil)
	require.NoError(t, err)
	pol := fulfillment.DefaultPolicy()
	pol.Backoff = saga.NewBackoff(time.Second, time.Minute)
	cfg := saga.Config{Topics: n, Serdes: sd, Policy: pol, Metrics: met, Logger: log}
	top := saga.Topology(cfg, func(integration.System) bool { return false }, func(integration.System, bool) {})
	tt, err := stream.NewTester(top, stream.TesterOptions{Partitions: 3, Now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)})
	require.NoError(t, err)
	return &sagaTester{t: t, tt: tt, cfg: cfg, dec: order.Decider{Policy: order.DefaultPolicy()}, seen: map[string]int{}}
}

// user decides a command on the order and feeds its events to the saga.
func (s *sagaTester) user(id string, d order.CommandData) {
	s.t.Helper()
	s.decide(order.Command{ID: "cmd-" + string(d.CommandType()), Type: d.CommandType(), OrderID: id, Data: d})
	s.loop()
}

func (s *sagaTester) decide(c order.Command) {
	s.t.Helper()
	c.Time = s.tt.Now()
	evs, err := s.dec.Decide(s.order, c)
	require.NoError(s.t, err, "%s", c.Type)
	for _, e := range evs {
		s.order = order.Evolve(s.order, e)
		v, err := s.cfg.Serdes.Events.Encode(e)
		require.NoError(s.t, err)
		require.NoError(s.t, s.tt.Send(s.cfg.Topics.Events, c.OrderID, v))
	}
}

// loop decides the commands the saga wrote on the order, as the processor
// would, feeds their events back, and answers each on
// order.command-results, until the saga writes no more.
func (s *sagaTester) loop() {
	s.t.Helper()
	for s.seen["command"] < len(s.tt.Records(s.cfg.Topics.Commands)) {
		r := s.tt.Records(s.cfg.Topics.Commands)[s.seen["command"]]
		s.seen["command"]++
		c, err := s.cfg.Serdes.Commands.Decode(r.Value)
		require.NoError(s.t, err)
		s.answer(c)
	}
}

// answer decides one of the saga's commands, which the order may refuse,
// and sends its result.
func (s *sagaTester) answer(c order.Command) {
	s.t.Helper()
	c.Time = s.tt.Now()
	var evs []order.Event
	var err error
	if rej := s.refuse[c.Type]; rej != nil {
		err = rej
	} else {
		evs, err = s.dec.Decide(s.order, c)
	}
	for _, e := range evs {
		s.order = order.Evolve(s.order, e)
		v, err := s.cfg.Serdes.Events.Encode(e)
		require.NoError(s.t, err)
		require.NoError(s.t, s.tt.Send(s.cfg.Topics.Events, c.OrderID, v))
	}
	v, err := s.cfg.Serdes.Results.Encode(order.ResultOf(c, s.order.Version, evs, err))
	require.NoError(s.t, err)
	require.NoError(s.t, s.tt.Send(s.cfg.Topics.Results, c.OrderID, v))
}

func (s *sagaTester) payments() []integration.PaymentRequest {
	var out []integration.PaymentRequest
	for _, r := range s.tt.Records(s.cfg.Topics.PaymentRequests)[s.seen["payment"]:] {
		q, err := s.cfg.Serdes.PaymentReq.Decode(r.Value)
		require.NoError(s.t, err)
		out = append(out, q)
	}
	s.seen["payment"] = len(s.tt.Records(s.cfg.Topics.PaymentRequests))
	return out
}

var nyAddress = order.Address{Line1: "1 Main St", City: "New York", State: "NY", PostalCode: "10001", Country: "US"}

func (s *sagaTester) place(id string) {
	s.user(id, order.CreateOrder{CustomerID: "cust-1", Currency: "USD",
		Items:    []order.LineItem{{ProductID: "sku-1", Name: "sku-1", Quantity: 1, UnitPrice: 1000}},
		Shipping: &order.ShippingInput{RecipientName: "Jane Doe", Address: nyAddress, Method: "STANDARD"},
		Billing:  &order.BillingInput{Name: "Jane Doe", Email: "jane@example.com", Address: nyAddress}})
	s.user(id, order.PlaceOrder{})
}

func TestSagaOnTheTesterAsksForPaymentWhenAnOrderIsPlaced(t *testing.T) {
	s := newSagaTester(t)
	s.place("o-1")
	qs := s.payments()
	require.NotEmpty(t, qs, "a placed order gets a payment request")
	assert.Equal(t, "o-1", qs[0].OrderID)
	st, ok := s.tt.State("o-1")
	require.True(t, ok)
	assert.Equal(t, "o-1", st.OrderID)
	require.NoError(t, s.tt.Restart(), "the saga state restores from its changelog")
	_, ok = s.tt.State("o-1")
	assert.True(t, ok)
}

func TestSagaOnTheTesterResendsAnUnansweredRequestWhenItsTimerIsDue(t *testing.T) {
	s := newSagaTester(t)
	s.place("o-2")
	first := s.payments()
	require.NotEmpty(t, first)
	require.NoError(t, s.tt.Tick())
	assert.Empty(t, s.payments(), "nothing is due yet")
	// The timeout comes due, then the retry after its backoff.
	var again []integration.PaymentRequest
	for range 4 {
		s.tt.Advance(s.cfg.Policy.RequestTimeout)
		require.NoError(t, s.tt.Tick())
		s.loop()
		if again = s.payments(); len(again) > 0 {
			break
		}
	}
	require.NotEmpty(t, again, "the unanswered request is sent again")
	assert.Equal(t, first[0].Action, again[0].Action)
}

func TestSagaOnTheTesterDeadLettersAnUnreadableResult(t *testing.T) {
	s := newSagaTester(t)
	require.NoError(t, s.tt.Send(s.cfg.Topics.PaymentResults, "o-3", []byte("garbage")))
	dl := s.tt.Records(s.cfg.Topics.DLQ)
	require.Len(t, dl, 1)
	var reason string
	for _, h := range dl[0].Headers {
		if h.Key == topics.HeaderDLQError {
			reason = string(h.Value)
		}
	}
	assert.Contains(t, reason, "cannot read payment record")
}
