package saga_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/orderlog/orderlog/fulfillment"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/processor"
	"github.com/orderlog/orderlog/saga"
	"github.com/orderlog/orderlog/schemas"
	"github.com/orderlog/orderlog/simulators"
	"github.com/orderlog/orderlog/topics"
)

// clock is the saga's injectable clock: real time plus an offset the test
// moves forward.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// rig is a processor, a saga and the simulators on one set of topics, with
// a reader folding order.events.
type rig struct {
	t       *testing.T
	brokers []string
	prefix  string
	names   topics.Names
	clock   *clock
	cl      *kgo.Client
	policy  fulfillment.Policy
	sim     *simulators.Simulators
	optsFor func(topic string) []schemas.Option

	mu     sync.Mutex
	orders map[string]order.State
	events map[string][]order.Event

	saga     *saga.Saga
	stopSaga func()
}

// withRegistry, set on a rig before it starts, makes every serde use the
// schema registry (Confluent framing).
type rigOption func(*rig)

func withRegistry(url string) rigOption {
	return func(r *rig) {
		cl, err := sr.NewClient(sr.URLs(url))
		require.NoError(r.t, err)
		r.optsFor = func(topic string) []schemas.Option { return []schemas.Option{schemas.WithRegistry(cl, topic+"-value")} }
	}
}

func newRig(t *testing.T, brokers []string, prefix string, pol fulfillment.Policy, simCfg func(*simulators.Config), opts ...rigOption) *rig {
	t.Helper()
	ctx := t.Context()
	set, err := topics.New(topics.Config{Prefix: prefix, Partitions: 3, ReplicationFactor: 1})
	require.NoError(t, err)
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	_, err = set.Ensure(ctx, kadm.NewClient(cl))
	require.NoError(t, err)
	r := &rig{t: t, brokers: brokers, prefix: prefix, names: set.Names(), clock: &clock{}, cl: cl, policy: pol,
		orders: map[string]order.State{}, events: map[string][]order.Event{}}
	for _, o := range opts {
		o(r)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("ORDERLOG_TEST_LOGS") != "" {
		quiet = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}

	ps, err := processor.NewSerdes(ctx, r.names, r.optsFor)
	require.NoError(t, err)
	p, err := processor.New(processor.Config{Brokers: brokers, Group: prefix + "processor", TransactionalID: prefix + "processor",
		Topics: r.names, Serdes: ps, Logger: quiet, Metrics: processor.NewMetrics(nil)})
	require.NoError(t, err)
	r.run(p.Run, p.Ready, "processor")

	sc := simulators.DefaultConfig()
	sc.Brokers, sc.Topics, sc.Group, sc.Logger, sc.SerdeOptions = brokers, r.names, prefix+"simulators", quiet, r.optsFor
	fast := simulators.Latency{Min: 5 * time.Millisecond, Max: 30 * time.Millisecond}
	sc.Payment.Latency, sc.Inventory.Latency, sc.Shipping.Latency = fast, fast, fast
	sc.Shipping.DeliveryDelay = 200 * time.Millisecond
	if simCfg != nil {
		simCfg(&sc)
	}
	r.sim, err = simulators.New(sc)
	require.NoError(t, err)
	r.run(r.sim.Run, r.sim.Ready, "simulators")

	r.startSaga()
	r.follow()
	return r
}

// run starts a role until the test ends and waits until it is ready.
func (r *rig) run(run func(context.Context) error, ready func() bool, name string) (stop func()) {
	r.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				r.t.Errorf("%s: %v", name, err)
			}
		})
	}
	r.t.Cleanup(stop)
	require.Eventually(r.t, ready, 90*time.Second, 20*time.Millisecond, "%s ready", name)
	return stop
}

func testLogger() *slog.Logger {
	if os.Getenv("ORDERLOG_TEST_LOGS") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// startSaga starts a saga member (a fresh one after stopSaga: it restores
// from order.saga-state).
func (r *rig) startSaga() {
	r.t.Helper()
	ss, err := saga.NewSerdes(r.t.Context(), r.names, r.optsFor)
	require.NoError(r.t, err)
	g, err := saga.New(saga.Config{Brokers: r.brokers, Group: r.prefix + "saga", TransactionalID: r.prefix + "saga",
		Topics: r.names, Serdes: ss, Policy: r.policy, Now: r.clock.now, Tick: 100 * time.Millisecond,
		Logger: testLogger()})
	require.NoError(r.t, err)
	r.saga = g
	r.stopSaga = r.run(g.Run, g.Ready, "saga")
}

// follow folds order.events, read_committed, into r.orders.
func (r *rig) follow() {
	es, err := schemas.NewEvents(r.t.Context(), r.optsForTopic(r.names.Events)...)
	require.NoError(r.t, err)
	cl, err := kgo.NewClient(kgo.SeedBrokers(r.brokers...), kgo.ConsumeTopics(r.names.Events),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	require.NoError(r.t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	r.t.Cleanup(func() { cancel(); <-done; cl.Close() })
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			fs.EachRecord(func(rec *kgo.Record) {
				e, err := es.Decode(rec.Value)
				if err != nil {
					r.t.Errorf("event at %d/%d: %v", rec.Partition, rec.Offset, err)
					return
				}
				r.mu.Lock()
				r.orders[e.OrderID] = order.Evolve(r.orders[e.OrderID], e)
				r.events[e.OrderID] = append(r.events[e.OrderID], e)
				r.mu.Unlock()
			})
		}
	}()
}

func (r *rig) optsForTopic(topic string) []schemas.Option {
	if r.optsFor == nil {
		return nil
	}
	return r.optsFor(topic)
}

// send puts commands on order.commands, as JSON, in order.
func (r *rig) send(cmds ...order.Command) {
	r.t.Helper()
	for _, c := range cmds {
		v, err := schemas.CommandJSON(c)
		require.NoError(r.t, err)
		require.NoError(r.t, r.cl.ProduceSync(r.t.Context(), &kgo.Record{Topic: r.names.Commands, Key: []byte(c.OrderID), Value: v}).FirstErr())
	}
}

// waitFor waits until the order satisfies cond and returns it.
func (r *rig) waitFor(id string, d time.Duration, what string, cond func(order.State) bool) order.State {
	r.t.Helper()
	var st order.State
	ok := assertEventually(d, func() bool {
		r.mu.Lock()
		st = r.orders[id]
		r.mu.Unlock()
		return cond(st)
	})
	if !ok {
		r.mu.Lock()
		var types []order.EventType
		for _, e := range r.events[id] {
			types = append(types, e.Type)
		}
		r.mu.Unlock()
		r.t.Fatalf("order %s: not %s after %s; status %s, events %v", id, what, d, st.Status, types)
	}
	return st
}

func (r *rig) eventsOf(id string) []order.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]order.Event(nil), r.events[id]...)
}

func assertEventually(d time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// placed is the commands of an order placed with the given lines.
func placed(id string, lines ...order.LineItem) []order.Command {
	addr := order.Address{Line1: "1 Main St", City: "Berlin", PostalCode: "10115", Country: "DE"}
	datas := []order.CommandData{
		order.CreateOrder{CustomerID: "cust-" + id, Currency: "EUR", Items: lines},
		order.UpdateShippingDetails{ShippingInput: order.ShippingInput{RecipientName: "Ada", Address: addr}},
		order.UpdateBillingDetails{BillingInput: order.BillingInput{Name: "Ada", Email: "ada@example.com", Address: addr}},
		order.PlaceOrder{},
	}
	out := make([]order.Command, len(datas))
	for i, d := range datas {
		out[i] = order.Command{ID: id + "-c" + string(rune('1'+i)), Type: d.CommandType(), OrderID: id, CorrelationID: "corr-" + id,
			UserID: "test", Data: d}
	}
	return out
}
