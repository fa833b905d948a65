package saga_test

// The saga on the test bed's real Kafka broker, with the processor and the
// simulators in the same test process.

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/fulfillment"
	"github.com/orderlog/orderlog/integration"
	"github.com/orderlog/orderlog/internal/changelog"
	"github.com/orderlog/orderlog/internal/testenv"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/saga"
	"github.com/orderlog/orderlog/schemas"
	"github.com/orderlog/orderlog/simulators"
)

func fastPolicy() fulfillment.Policy {
	p := fulfillment.DefaultPolicy()
	p.RequestTimeout = 2 * time.Second
	p.Backoff = saga.NewBackoff(100*time.Millisecond, time.Second)
	p.BackorderRecheck = time.Second
	return p
}

func templates(evs []order.Event) []string {
	var out []string
	for _, e := range evs {
		if n, ok := e.Data.(order.NotificationSent); ok {
			out = append(out, n.Template)
		}
	}
	return out
}

// TestSagaDeliversASplitOrderOnARealBroker: one product is in stock only
// partly in the first warehouse, so the order ships as two shipments, from
// two warehouses, and is delivered when both are.
//
// With the test bed's schema registry (ORDERLOG_SCHEMA_REGISTRY_URL), every
// record of the run, saga state and integration topics included, is in the
// Confluent wire format with schemas registered there.
func TestSagaDeliversASplitOrderOnARealBroker(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	var opts []rigOption
	if url := os.Getenv("ORDERLOG_SCHEMA_REGISTRY_URL"); url != "" {
		opts = append(opts, withRegistry(url))
	}
	r := newRig(t, brokers, testenv.TopicPrefix(t), fastPolicy(), func(c *simulators.Config) {
		c.Inventory.Warehouses = []string{"wh-a", "wh-b"}
		c.Inventory.Stock = map[string]map[string]int64{"wh-a": {"sku-1": 1}, "wh-b": {"sku-1": 10, "sku-2": 10}}
		c.Inventory.DefaultStock = 0
	}, opts...)
	r.send(placed("o-split", order.LineItem{ProductID: "sku-1", Quantity: 3, UnitPrice: 1000}, order.LineItem{ProductID: "sku-2", Quantity: 1, UnitPrice: 500})...)

	st := r.waitFor("o-split", 60*time.Second, "DELIVERED", func(s order.State) bool { return s.Status == order.StatusDelivered })
	require.Len(t, st.Shipments, 2, "one shipment per warehouse")
	for _, sh := range st.Shipments {
		require.True(t, sh.Delivered)
		require.NotEmpty(t, sh.TrackingNumber)
	}
	require.Equal(t, st.Totals().Total, st.Payment.Captured)
	require.Empty(t, r.sim.Reserved("o-split"), "shipping consumed the reservations")
	// The saga records the delivered notification after it sees DELIVERED.
	r.waitFor("o-split", 30*time.Second, "notified of delivery", func(order.State) bool {
		return slices.Contains(templates(r.eventsOf("o-split")), "order-delivered")
	})
	if len(opts) > 0 {
		raw := func(b []byte) ([]byte, error) { return b, nil }
		for _, topic := range []string{r.names.SagaState, r.names.PaymentRequests, r.names.InventoryResults, r.names.ShippingRequests} {
			vals := readAll(t, r, topic, raw)
			require.NotEmpty(t, vals, topic)
			for _, v := range vals {
				require.EqualValues(t, 0, v[0], "%s: Confluent framing (magic byte 0) with a registry", topic)
			}
		}
	}
	tpl := templates(r.eventsOf("o-split"))
	require.Contains(t, tpl, "order-confirmed")
	require.Contains(t, tpl, "order-delivered")
	require.Len(t, slices.DeleteFunc(slices.Clone(tpl), func(s string) bool { return !strings.HasPrefix(s, "order-shipped") }), 2)
}

// TestSagaCancelsAndVoidsWhenStockIsShort: without backorders, a short
// reservation cancels the order and the authorization is voided.
func TestSagaCancelsAndVoidsWhenStockIsShort(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	pol := fastPolicy()
	pol.AllowBackorder = false
	r := newRig(t, brokers, testenv.TopicPrefix(t), pol, func(c *simulators.Config) {
		c.Inventory.Stock = map[string]map[string]int64{simulators.DefaultWarehouse1: {"rare": 1}}
		c.Inventory.DefaultStock = 0
	})
	r.send(placed("o-short", order.LineItem{ProductID: "rare", Quantity: 2, UnitPrice: 2500})...)

	st := r.waitFor("o-short", 60*time.Second, "CANCELLED", func(s order.State) bool { return s.Status == order.StatusCancelled })
	require.Contains(t, st.CancelReason, "inventory short")
	require.Zero(t, st.Payment.Captured)
	require.Empty(t, st.Reservations)
	require.Empty(t, r.sim.Reserved("o-short"))
	require.Equal(t, int64(1), r.sim.Stock(simulators.DefaultWarehouse1, "rare"), "nothing was taken")

	// The authorization was voided at the gateway. The saga asks for the
	// void when it sees the cancellation, so after the order's state does.
	var actions []string
	require.Eventually(t, func() bool {
		actions = actions[:0]
		for _, q := range readAll(t, r, r.names.PaymentRequests, paymentRequests(t)) {
			if q.OrderID == "o-short" {
				actions = append(actions, q.Action)
			}
		}
		return slices.Contains(actions, integration.PayVoid)
	}, 30*time.Second, 100*time.Millisecond, "the authorization is voided")
	require.Contains(t, actions, integration.PayAuthorize)
	require.NotContains(t, actions, integration.PayCapture)
	// The saga records the notification after it sees CANCELLED.
	r.waitFor("o-short", 30*time.Second, "notified of the cancellation", func(order.State) bool {
		return slices.Contains(templates(r.eventsOf("o-short")), "order-cancelled")
	})

	// A week later the saga forgets the order: its state is gone from the
	// member and a tombstone ends its key on order.saga-state.
	st0, held := r.saga.State("o-short")
	require.True(t, held)
	t.Logf("saga state before: step %s requests %+v timers %+v", st0.Step, st0.Requests, st0.Timers)
	r.clock.advance(pol.Retention + time.Hour)
	require.Eventually(t, func() bool { _, held := r.saga.State("o-short"); return !held }, 30*time.Second, 50*time.Millisecond)
	recs := readAllRecords(t, r, r.names.SagaState)
	last := map[string][]byte{}
	for _, rec := range recs {
		last[string(rec.Key)] = rec.Value
	}
	v, ok := last["o-short"]
	require.True(t, ok)
	require.Nil(t, v, "the last saga-state record of a forgotten order is a tombstone")
}

// TestSagaTimerFiresOnceAfterARestart: the gateway never answers; the saga
// stops before the payment deadline, the clock passes it, and a fresh saga
// member restores the timer from order.saga-state and fires it: the order
// is cancelled by exactly one command.
func TestSagaTimerFiresOnceAfterARestart(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	pol := fastPolicy()
	pol.PaymentTimeout = 10 * time.Minute
	pol.RequestTimeout = time.Hour // no retries muddle the count
	r := newRig(t, brokers, testenv.TopicPrefix(t), pol, func(c *simulators.Config) { c.Payment.DropRate = 1 })
	r.send(placed("o-late", order.LineItem{ProductID: "sku-1", Quantity: 1, UnitPrice: 900})...)
	r.waitFor("o-late", 60*time.Second, "payment initiated", func(s order.State) bool { return s.Payment.Status == order.PayInitiated })

	r.stopSaga()
	r.clock.advance(11 * time.Minute)
	time.Sleep(500 * time.Millisecond)
	require.Equal(t, order.StatusPlaced, r.waitFor("o-late", time.Second, "placed", func(order.State) bool { return true }).Status,
		"nothing cancels the order while no saga runs")

	r.startSaga()
	st := r.waitFor("o-late", 60*time.Second, "CANCELLED", func(s order.State) bool { return s.Status == order.StatusCancelled })
	require.Contains(t, st.CancelReason, "payment not authorized within 10m0s")

	// Give a second firing every chance to happen, then count.
	time.Sleep(2 * time.Second)
	cmds := readAll(t, r, r.names.Commands, commands(t))
	n := 0
	for _, c := range cmds {
		if c.OrderID == "o-late" && c.Type == order.CmdCancelOrder {
			n++
		}
	}
	require.Equal(t, 1, n, "the deadline fired exactly once")
	cancelled := 0
	for _, e := range r.eventsOf("o-late") {
		if e.Type == order.EvtOrderCancelled {
			cancelled++
		}
	}
	require.Equal(t, 1, cancelled)
}

// readAll reads a topic from the start to its current end, read_committed,
// decoding values with decode.
func readAll[T any](t *testing.T, r *rig, topic string, decode func([]byte) (T, error)) []T {
	t.Helper()
	var out []T
	for _, rec := range readAllRecords(t, r, topic) {
		v, err := decode(rec.Value)
		if err != nil {
			t.Errorf("%s at %d/%d: %v", topic, rec.Partition, rec.Offset, err)
			continue
		}
		out = append(out, v)
	}
	return out
}

// readAllRecords reads a topic's records (not the transaction markers) from
// the start to the end offsets it has now, read_committed.
func readAllRecords(t *testing.T, r *rig, topic string) []*kgo.Record {
	t.Helper()
	var out []*kgo.Record
	err := changelog.ReadToEnd(t.Context(), kadm.NewClient(r.cl), []kgo.Opt{kgo.SeedBrokers(r.brokers...)}, topic, []int32{0, 1, 2},
		func(fps []kgo.FetchTopicPartition) error {
			for _, fp := range fps {
				for _, rec := range fp.Records {
					if !rec.Attrs.IsControl() {
						out = append(out, rec)
					}
				}
			}
			return nil
		})
	require.NoError(t, err)
	return out
}

func paymentRequests(t *testing.T) func([]byte) (integration.PaymentRequest, error) {
	sd, err := schemas.New[integration.PaymentRequest](t.Context(), schemas.KindPaymentRequest)
	require.NoError(t, err)
	return sd.Decode
}

func commands(t *testing.T) func([]byte) (order.Command, error) {
	sd, err := schemas.NewCommands(t.Context())
	require.NoError(t, err)
	return func(b []byte) (order.Command, error) { return schemas.DecodeCommand(b, sd) }
}

func count(evs []order.Event, t order.EventType) int {
	n := 0
	for _, e := range evs {
		if e.Type == t {
			n++
		}
	}
	return n
}

// TestSagaGivesUpAfterDeclinedPayments: every authorization is declined;
// the saga tries MaxPaymentAttempts payments, then cancels.
func TestSagaGivesUpAfterDeclinedPayments(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	r := newRig(t, brokers, testenv.TopicPrefix(t), fastPolicy(), func(c *simulators.Config) { c.Payment.FailureRate = 1 })
	r.send(placed("o-declined", order.LineItem{ProductID: "sku-1", Quantity: 1, UnitPrice: 4200})...)
	st := r.waitFor("o-declined", 60*time.Second, "CANCELLED", func(s order.State) bool { return s.Status == order.StatusCancelled })
	require.Contains(t, st.CancelReason, "payment failed 3 times")
	evs := r.eventsOf("o-declined")
	require.Equal(t, 3, count(evs, order.EvtPaymentInitiated))
	require.Equal(t, 3, count(evs, order.EvtPaymentFailed))
	require.Zero(t, count(evs, order.EvtInventoryReserved), "nothing is reserved before the payment is authorized")
}

// TestSagaRefundsAndReleasesWhenCancelledAfterCapture: the carrier never
// answers, the customer asks to cancel; the saga cancels, the order asks
// for the refund and releases its stock, and the saga carries both out.
func TestSagaRefundsAndReleasesWhenCancelledAfterCapture(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	r := newRig(t, brokers, testenv.TopicPrefix(t), fastPolicy(), func(c *simulators.Config) { c.Shipping.DropRate = 1 })
	r.send(placed("o-regret", order.LineItem{ProductID: "sku-1", Quantity: 2, UnitPrice: 1500})...)
	r.waitFor("o-regret", 60*time.Second, "CONFIRMED", func(s order.State) bool { return s.Status == order.StatusConfirmed })
	require.NotEmpty(t, r.sim.Reserved("o-regret"))

	r.send(order.Command{ID: "o-regret-cancel", Type: order.CmdRequestCancellation, OrderID: "o-regret", UserID: "cust",
		Data: order.RequestCancellation{Reason: "found it cheaper"}})
	st := r.waitFor("o-regret", 60*time.Second, "CANCELLED and refunded", func(s order.State) bool {
		return s.Status == order.StatusCancelled && s.Payment.Refunded == s.Payment.Captured
	})
	require.Positive(t, st.Payment.Captured)
	require.Empty(t, st.Reservations)
	require.Eventually(t, func() bool { return len(r.sim.Reserved("o-regret")) == 0 }, 30*time.Second, 50*time.Millisecond,
		"the warehouse released the stock")
}

// TestSagaShipsWhatIsInStockAndTheBackorderLater: one unit of three is in
// stock; it ships, the rest is backordered and the order waits in SHIPPED;
// stock comes back, the re-check reserves it, it ships, and the order is
// delivered.
func TestSagaShipsWhatIsInStockAndTheBackorderLater(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	r := newRig(t, brokers, testenv.TopicPrefix(t), fastPolicy(), func(c *simulators.Config) {
		c.Inventory.Stock = map[string]map[string]int64{simulators.DefaultWarehouse1: {"scarce": 1}}
		c.Inventory.DefaultStock = 0
	})
	r.send(placed("o-back", order.LineItem{ProductID: "scarce", Quantity: 3, UnitPrice: 700})...)
	st := r.waitFor("o-back", 60*time.Second, "SHIPPED with a delivered first shipment", func(s order.State) bool {
		return s.Status == order.StatusShipped && len(s.Shipments) == 1 && s.Shipments[0].Delivered
	})
	require.EqualValues(t, 2, st.Lines[0].Backordered)
	require.Contains(t, templates(r.eventsOf("o-back")), "items-backordered")

	// Stock arrives: a restock the inventory service is told of.
	rq, err := schemas.New[integration.InventoryRequest](t.Context(), schemas.KindInventoryRequest)
	require.NoError(t, err)
	v, err := rq.Encode(integration.InventoryRequest{RequestID: "restock-1", OrderID: "supplier", Action: integration.InvRestock,
		Items: []integration.Item{{ProductID: "scarce", Quantity: 5, WarehouseID: simulators.DefaultWarehouse1}}, RequestedAt: time.Now()})
	require.NoError(t, err)
	require.NoError(t, r.cl.ProduceSync(t.Context(), &kgo.Record{Topic: r.names.InventoryRequests, Key: []byte("supplier"), Value: v}).FirstErr())

	st = r.waitFor("o-back", 60*time.Second, "DELIVERED", func(s order.State) bool { return s.Status == order.StatusDelivered })
	require.Len(t, st.Shipments, 2)
	require.Zero(t, st.Lines[0].Backordered)
	require.Equal(t, st.Totals().Total, st.Payment.Captured, "paid in full at capture, backorder included")
}

// TestSagaRefundsAndRestocksAReturn: a delivered order's items come back;
// the order asks for the refund, the saga gets it from the gateway and puts
// the items back on the shelf.
func TestSagaRefundsAndRestocksAReturn(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	r := newRig(t, brokers, testenv.TopicPrefix(t), fastPolicy(), func(c *simulators.Config) {
		c.Inventory.Stock = map[string]map[string]int64{simulators.DefaultWarehouse1: {"mug": 5}}
		c.Inventory.DefaultStock = 0
	})
	r.send(placed("o-ret", order.LineItem{ProductID: "mug", Quantity: 2, UnitPrice: 1200})...)
	r.waitFor("o-ret", 60*time.Second, "DELIVERED", func(s order.State) bool { return s.Status == order.StatusDelivered })
	require.Equal(t, int64(3), r.sim.Stock(simulators.DefaultWarehouse1, "mug"), "two mugs left with the carrier")

	item := []order.ItemQuantity{{ProductID: "mug", Quantity: 1}}
	r.send(order.Command{ID: "o-ret-r1", Type: order.CmdRequestReturn, OrderID: "o-ret", UserID: "cust",
		Data: order.RequestReturn{ReturnID: "ret-1", Items: item, Reason: "chipped"}},
		order.Command{ID: "o-ret-r2", Type: order.CmdReceiveReturn, OrderID: "o-ret", UserID: "warehouse",
			Data: order.ReceiveReturn{ReturnID: "ret-1"}})
	st := r.waitFor("o-ret", 60*time.Second, "RETURNED and refunded", func(s order.State) bool {
		return s.Status == order.StatusReturned && s.Payment.Refunded > 0 && s.Payment.Refunded == s.Payment.RefundRequested
	})
	require.Less(t, st.Payment.Refunded, st.Payment.Captured, "one of two mugs refunded, shipping kept")
	require.Eventually(t, func() bool { return r.sim.Stock(simulators.DefaultWarehouse1, "mug") == 4 }, 30*time.Second, 50*time.Millisecond,
		"the returned mug is back on the shelf")
}
