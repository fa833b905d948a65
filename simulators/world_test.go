package simulators_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/integration"
	"github.com/orderlog/orderlog/schemas"
	"github.com/orderlog/orderlog/simulators"
	"github.com/orderlog/orderlog/topics"
)

// world is a Kafka cluster (kfake or a real broker) with orderlog's topics,
// running simulators, and the saga's side: serdes, a producer of requests
// and a reader of results.
type world struct {
	t        *testing.T
	names    topics.Names
	sim      *simulators.Simulators
	producer *kgo.Client
	reader   *kgo.Client
	optsFor  func(string) []schemas.Option

	payReq  *schemas.Serde[integration.PaymentRequest]
	payRes  *schemas.Serde[integration.PaymentResult]
	invReq  *schemas.Serde[integration.InventoryRequest]
	invRes  *schemas.Serde[integration.InventoryResult]
	shipReq *schemas.Serde[integration.ShippingRequest]
	shipRes *schemas.Serde[integration.ShippingResult]
	noteReq *schemas.Serde[integration.NotificationRequest]

	results []*kgo.Record
}

func testLogger() *slog.Logger {
	if os.Getenv("ORDERLOG_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// newWorld creates the topics under prefix and starts simulators with
// short latencies; optsFor gives the serdes' options (nil: no registry).
func newWorld(t *testing.T, brokers []string, prefix string, optsFor func(string) []schemas.Option) *world {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	set, err := topics.New(topics.Config{Prefix: prefix, Partitions: 3, ReplicationFactor: 1})
	require.NoError(t, err)
	adm, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	require.NoError(t, err)
	defer adm.Close()
	_, err = set.Ensure(ctx, kadm.NewClient(adm))
	require.NoError(t, err)

	w := &world{t: t, names: set.Names(), optsFor: optsFor}
	if w.optsFor == nil {
		w.optsFor = func(string) []schemas.Option { return nil }
	}
	w.serdes(ctx)

	cfg := simulators.DefaultConfig()
	cfg.Brokers, cfg.Topics, cfg.Group, cfg.Logger = brokers, w.names, prefix+"simulators", testLogger()
	cfg.SerdeOptions, cfg.Seed = optsFor, 1
	fast := simulators.Latency{Min: 5 * time.Millisecond, Max: 30 * time.Millisecond}
	cfg.Payment.Latency, cfg.Inventory.Latency, cfg.Shipping.Latency = fast, fast, fast
	cfg.Shipping.DeliveryDelay = 200 * time.Millisecond
	cfg.Inventory.Warehouses = []string{"east", "west"}
	cfg.Inventory.Stock = map[string]map[string]int64{"east": {"sku-1": 2}, "west": {"sku-1": 10}}
	cfg.Inventory.DefaultStock = 0
	w.sim, err = simulators.New(cfg)
	require.NoError(t, err)

	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.sim.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(15 * time.Second):
			t.Error("Run did not return within 15s of its context's end")
		}
	})

	w.producer, err = kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ProducerLinger(0))
	require.NoError(t, err)
	t.Cleanup(w.producer.Close)
	w.reader, err = kgo.NewClient(kgo.SeedBrokers(brokers...),
		kgo.ConsumeTopics(w.names.PaymentResults, w.names.InventoryResults, w.names.ShippingResults))
	require.NoError(t, err)
	t.Cleanup(w.reader.Close)

	require.Eventually(t, w.sim.Ready, 15*time.Second, 20*time.Millisecond, "simulators joined their group")
	return w
}

func (w *world) serdes(ctx context.Context) {
	var err error
	n, o := w.names, w.optsFor
	w.payReq, err = schemas.New[integration.PaymentRequest](ctx, schemas.KindPaymentRequest, o(n.PaymentRequests)...)
	require.NoError(w.t, err)
	w.payRes, err = schemas.New[integration.PaymentResult](ctx, schemas.KindPaymentResult, o(n.PaymentResults)...)
	require.NoError(w.t, err)
	w.invReq, err = schemas.New[integration.InventoryRequest](ctx, schemas.KindInventoryRequest, o(n.InventoryRequests)...)
	require.NoError(w.t, err)
	w.invRes, err = schemas.New[integration.InventoryResult](ctx, schemas.KindInventoryResult, o(n.InventoryResults)...)
	require.NoError(w.t, err)
	w.shipReq, err = schemas.New[integration.ShippingRequest](ctx, schemas.KindShippingRequest, o(n.ShippingRequests)...)
	require.NoError(w.t, err)
	w.shipRes, err = schemas.New[integration.ShippingResult](ctx, schemas.KindShippingResult, o(n.ShippingResults)...)
	require.NoError(w.t, err)
	w.noteReq, err = schemas.New[integration.NotificationRequest](ctx, schemas.KindNotificationRequest, o(n.NotificationRequests)...)
	require.NoError(w.t, err)
}

// enc fails the test on an encoding error.
func (w *world) enc(b []byte, err error) []byte {
	w.t.Helper()
	require.NoError(w.t, err)
	return b
}

// send produces one encoded request keyed by orderID and returns its
// partition.
func (w *world) send(topic, orderID string, value []byte) int32 {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(w.t.Context(), 10*time.Second)
	defer cancel()
	r, err := w.producer.ProduceSync(ctx, &kgo.Record{Topic: topic, Key: []byte(orderID), Value: value}).First()
	require.NoError(w.t, err)
	return r.Partition
}

// await reads results until done says it has them all, or fails after 15s.
func (w *world) await(done func([]*kgo.Record) bool) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(w.t.Context(), 15*time.Second)
	defer cancel()
	for !done(w.results) {
		fetches := w.reader.PollFetches(ctx)
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			w.t.Fatalf("results not all in after 15s; have %d", len(w.results))
		}
		fetches.EachError(func(topic string, p int32, err error) { w.t.Logf("fetch %s/%d: %v", topic, p, err) })
		w.results = append(w.results, fetches.Records()...)
	}
}

func onTopic(rs []*kgo.Record, topic string) []*kgo.Record {
	var out []*kgo.Record
	for _, r := range rs {
		if r.Topic == topic {
			out = append(out, r)
		}
	}
	return out
}

// exerciseEverySystem sends one request to each system, plus a repeat,
// and checks the answers on the results topics: decoded with the schemas
// serdes, keyed by orderId on the request's partition, ids copied.
func exerciseEverySystem(t *testing.T, w *world) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	n := w.names
	authorize := integration.PaymentRequest{RequestID: "pay-1", OrderID: "order-1", CorrelationID: "corr-1",
		Action: integration.PayAuthorize, PaymentID: "pm-1", Amount: 2599, Currency: "EUR", Attempt: 1, RequestedAt: now}
	payPart := w.send(n.PaymentRequests, "order-1", w.enc(w.payReq.Encode(authorize)))
	authorize.Attempt = 2 // the saga's retry: same requestId
	w.send(n.PaymentRequests, "order-1", w.enc(w.payReq.Encode(authorize)))

	reserve := integration.InventoryRequest{RequestID: "inv-1", OrderID: "order-2", CorrelationID: "corr-2",
		Action: integration.InvReserve, Items: []integration.Item{{ProductID: "sku-1", Quantity: 5}}, Attempt: 1, RequestedAt: now}
	invPart := w.send(n.InventoryRequests, "order-2", w.enc(w.invReq.Encode(reserve)))
	short := reserve
	short.RequestID, short.OrderID, short.Items = "inv-2", "order-3", []integration.Item{{ProductID: "sku-1", Quantity: 100}}
	w.send(n.InventoryRequests, "order-3", w.enc(w.invReq.Encode(short)))

	dispatch := integration.ShippingRequest{RequestID: "ship-1", OrderID: "order-4", CorrelationID: "corr-4",
		Action: integration.ShipDispatch, ShipmentID: "sh-1", Recipient: "Grace Hopper", Attempt: 1, RequestedAt: now}
	shipPart := w.send(n.ShippingRequests, "order-4", w.enc(w.shipReq.Encode(dispatch)))

	note := integration.NotificationRequest{RequestID: "note-1", OrderID: "order-1", CorrelationID: "corr-1",
		CustomerID: "cust-1", Channel: "email", Template: "order-confirmed", RequestedAt: now}
	w.send(n.NotificationRequests, "order-1", w.enc(w.noteReq.Encode(note)))

	w.await(func(rs []*kgo.Record) bool {
		return len(onTopic(rs, n.PaymentResults)) >= 2 && len(onTopic(rs, n.InventoryResults)) >= 2 &&
			len(onTopic(rs, n.ShippingResults)) >= 2
	})

	pays := onTopic(w.results, n.PaymentResults)
	var first integration.PaymentResult
	for i, r := range pays {
		require.Equal(t, "order-1", string(r.Key))
		require.Equal(t, payPart, r.Partition, "on the order's partition")
		res, err := w.payRes.Decode(r.Value)
		require.NoError(t, err)
		require.Equal(t, integration.OutcomeOK, res.Outcome)
		require.Equal(t, "pay-1", res.RequestID)
		require.Equal(t, "corr-1", res.CorrelationID)
		require.EqualValues(t, 2599, res.Amount)
		require.False(t, res.At.IsZero())
		if i == 0 {
			first = res
		}
		require.Equal(t, first.Reference, res.Reference, "the repeat is answered with the first answer")
	}

	byRequest := map[string]integration.InventoryResult{}
	for _, r := range onTopic(w.results, n.InventoryResults) {
		res, err := w.invRes.Decode(r.Value)
		require.NoError(t, err)
		require.Equal(t, res.OrderID, string(r.Key))
		byRequest[res.RequestID] = res
	}
	ok := byRequest["inv-1"]
	require.Equal(t, integration.OutcomeOK, ok.Outcome, ok.Reason)
	require.Equal(t, "corr-2", ok.CorrelationID)
	require.Len(t, ok.Allocations, 2)
	require.Equal(t, "inv-1-east", ok.Allocations[0].ReservationID)
	require.Equal(t, ok.Allocations, w.sim.Reserved("order-2"))
	require.Equal(t, integration.OutcomeFailed, byRequest["inv-2"].Outcome)
	require.Contains(t, byRequest["inv-2"].Reason, "sku-1")
	require.Empty(t, w.sim.Reserved("order-3"))
	require.EqualValues(t, 7, w.sim.Stock("west", "sku-1"))
	for _, r := range onTopic(w.results, n.InventoryResults) {
		if string(r.Key) == "order-2" {
			require.Equal(t, invPart, r.Partition)
		}
	}

	var statuses []string
	for _, r := range onTopic(w.results, n.ShippingResults) {
		require.Equal(t, "order-4", string(r.Key))
		require.Equal(t, shipPart, r.Partition)
		res, err := w.shipRes.Decode(r.Value)
		require.NoError(t, err)
		require.Equal(t, "ship-1", res.RequestID)
		require.Equal(t, "sh-1", res.ShipmentID)
		require.NotEmpty(t, res.TrackingNumber)
		statuses = append(statuses, res.Status)
	}
	require.Equal(t, []string{integration.ShipmentShipped, integration.ShipmentDelivered}, statuses)

	require.Eventually(t, func() bool { return len(w.sim.Notifications()) == 1 }, 5*time.Second, 10*time.Millisecond)
	got := w.sim.Notifications()[0]
	require.Equal(t, note.RequestID, got.RequestID)
	require.Equal(t, note.Template, got.Template)
	require.Equal(t, note.CustomerID, got.CustomerID)
	require.True(t, note.RequestedAt.Equal(got.RequestedAt))
}
