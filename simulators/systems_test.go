package simulators

import (
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/integration"
)

// gauge reads the value of a gauge or counter.
func gauge(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	require.NoError(t, m.Write(&d))
	if d.Gauge != nil {
		return d.Gauge.GetValue()
	}
	return d.Counter.GetValue()
}

func pay(id, action string) integration.PaymentRequest {
	return integration.PaymentRequest{RequestID: id, OrderID: "o-" + id, CorrelationID: "c-" + id, Action: action,
		PaymentID: "p-" + id, Amount: 4200, Currency: "EUR"}
}

// outcome returns the outcome of the first answer, or DROPPED for none.
func outcome(out []answer) string {
	if len(out) == 0 {
		return outcomeDropped
	}
	return outcomeOf(out[0].value)
}

func TestPaymentAuthorizeIsAnsweredWithTheRequestsIDs(t *testing.T) {
	s := newTest(t, nil)
	req := pay("a1", integration.PayAuthorize)
	out := s.payment("o-a1", req)
	require.Len(t, out, 1)
	require.Equal(t, "o-a1", out[0].key)
	res := out[0].value.(integration.PaymentResult)
	require.Equal(t, integration.OutcomeOK, res.Outcome)
	require.Equal(t, "a1", res.RequestID)
	require.Equal(t, "o-a1", res.OrderID)
	require.Equal(t, "c-a1", res.CorrelationID)
	require.Equal(t, "p-a1", res.PaymentID)
	require.Equal(t, integration.PayAuthorize, res.Action)
	require.EqualValues(t, 4200, res.Amount)
	require.True(t, strings.HasPrefix(res.Reference, "AUTH-"), res.Reference)
}

func TestResultsAreKeyedByTheRecordKey(t *testing.T) {
	s := newTest(t, nil)
	out := s.payment("the-key", pay("k1", integration.PayAuthorize))
	require.Equal(t, "the-key", out[0].key)
	require.Equal(t, "o-k1", out[0].value.(integration.PaymentResult).OrderID, "orderId is copied from the request")

	noOrderID := pay("k2", integration.PayAuthorize)
	noOrderID.OrderID = ""
	out = s.payment("the-key", noOrderID)
	require.Equal(t, "the-key", out[0].key)
	require.Equal(t, "the-key", out[0].value.(integration.PaymentResult).OrderID, "no orderId: the record key")

	out = s.payment("", pay("k3", integration.PayAuthorize))
	require.Equal(t, "o-k3", out[0].key, "no record key: the orderId")
}

func TestRatesOfZeroAndOneAreDeterministic(t *testing.T) {
	type call func(s *Simulators, id string) []answer
	payAs := func(action string) call {
		return func(s *Simulators, id string) []answer { return s.payment("o", pay(id, action)) }
	}
	reserveCall := func(s *Simulators, id string) []answer {
		return s.inventory("o-"+id, reserve(id, "o-"+id, false, item("sku-1", 1)))
	}
	releaseCall := func(s *Simulators, id string) []answer {
		return s.inventory("o-"+id, integration.InventoryRequest{RequestID: id, OrderID: "o-" + id, Action: integration.InvRelease})
	}
	dispatch := func(s *Simulators, id string) []answer {
		return s.shipping("o-"+id, integration.ShippingRequest{RequestID: id, OrderID: "o-" + id, Action: integration.ShipDispatch})
	}
	on := func(set func(*Config, Behavior), b Behavior) func(*Config) { return func(c *Config) { set(c, b) } }
	payment := func(c *Config, b Behavior) { c.Payment = b }
	inventory := func(c *Config, b Behavior) { c.Inventory.Behavior = b }
	shipping := func(c *Config, b Behavior) { c.Shipping.Behavior = b }
	all := Behavior{FailureRate: 1, UnavailableRate: 1, DropRate: 1}

	tests := []struct {
		name   string
		config func(*Config)
		call   call
		want   string
	}{
		{"authorize, rates 0", nil, payAs(integration.PayAuthorize), integration.OutcomeOK},
		{"authorize, failure 1", on(payment, Behavior{FailureRate: 1}), payAs(integration.PayAuthorize), integration.OutcomeFailed},
		{"authorize, unavailable 1", on(payment, Behavior{FailureRate: 1, UnavailableRate: 1}), payAs(integration.PayAuthorize), integration.OutcomeUnavailable},
		{"authorize, drop 1", on(payment, all), payAs(integration.PayAuthorize), outcomeDropped},
		{"capture, failure 1", on(payment, Behavior{FailureRate: 1}), payAs(integration.PayCapture), integration.OutcomeFailed},
		{"void, failure 1: never refused", on(payment, Behavior{FailureRate: 1}), payAs(integration.PayVoid), integration.OutcomeOK},
		{"refund, failure 1: never refused", on(payment, Behavior{FailureRate: 1}), payAs(integration.PayRefund), integration.OutcomeOK},
		{"refund, unavailable 1", on(payment, Behavior{UnavailableRate: 1}), payAs(integration.PayRefund), integration.OutcomeUnavailable},
		{"unknown payment action", nil, payAs("STEAL"), integration.OutcomeFailed},
		{"reserve, rates 0", nil, reserveCall, integration.OutcomeOK},
		{"reserve, failure 1", on(inventory, Behavior{FailureRate: 1}), reserveCall, integration.OutcomeFailed},
		{"release, failure 1: never refused", on(inventory, Behavior{FailureRate: 1}), releaseCall, integration.OutcomeOK},
		{"release, unavailable 1", on(inventory, Behavior{UnavailableRate: 1}), releaseCall, integration.OutcomeUnavailable},
		{"reserve, drop 1", on(inventory, all), reserveCall, outcomeDropped},
		{"dispatch, rates 0", nil, dispatch, integration.OutcomeOK},
		{"dispatch, failure 1", on(shipping, Behavior{FailureRate: 1}), dispatch, integration.OutcomeFailed},
		{"dispatch, unavailable 1", on(shipping, Behavior{UnavailableRate: 1}), dispatch, integration.OutcomeUnavailable},
		{"dispatch, drop 1", on(shipping, Behavior{DropRate: 1}), dispatch, outcomeDropped},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTest(t, tc.config)
			for i := range 200 {
				require.Equal(t, tc.want, outcome(tc.call(s, fmt.Sprintf("req-%d", i))), "request %d", i)
			}
		})
	}
}

func TestFailedAuthorizeIsACardDecline(t *testing.T) {
	s := newTest(t, func(c *Config) { c.Payment.FailureRate = 1 })
	res := s.payment("o", pay("a1", integration.PayAuthorize))[0].value.(integration.PaymentResult)
	require.Equal(t, "card declined", res.Reason)
	require.Equal(t, "51", res.Code)
	require.Empty(t, res.Reference)
	require.EqualValues(t, 4200, res.Amount)
}

func TestDroppedAndUnavailableReservesHoldNothing(t *testing.T) {
	for _, b := range []Behavior{{DropRate: 1}, {UnavailableRate: 1}, {FailureRate: 1}} {
		s := newTest(t, func(c *Config) { c.Inventory.Behavior = b })
		s.inventory("o1", reserve("r1", "o1", false, item("sku-1", 3)))
		require.Empty(t, s.Reserved("o1"), "%+v", b)
		require.EqualValues(t, 1000, s.Stock(DefaultWarehouse1, "sku-1"))
	}
}

func TestRepeatedRequestIsAnsweredWithTheFirstAnswerAndReservesOnce(t *testing.T) {
	s := newTest(t, nil)
	req := reserve("r1", "o1", false, item("sku-1", 10))
	first := inv(t, s, req)
	require.Equal(t, integration.OutcomeOK, first.Outcome)
	for range 3 {
		require.Equal(t, first, inv(t, s, req))
	}
	require.EqualValues(t, 990, s.Stock(DefaultWarehouse1, "sku-1"), "reserved once")
	require.Len(t, s.Reserved("o1"), 1)
	require.EqualValues(t, 3, gauge(t, s.metrics.repeated.WithLabelValues("inventory")))

	// A FAILED answer is final too: repeated even after stock appears.
	short := reserve("r2", "o2", false, item("sku-1", 5000))
	require.Equal(t, integration.OutcomeFailed, inv(t, s, short).Outcome)
	inv(t, s, integration.InventoryRequest{RequestID: "rs", OrderID: "o3", Action: integration.InvRestock, Items: []integration.Item{item("sku-1", 5000)}})
	require.Equal(t, integration.OutcomeFailed, inv(t, s, short).Outcome)
	require.Empty(t, s.Reserved("o2"))

	// A shipment's repeat is its SHIPPED answer, not a second DELIVERED.
	d := integration.ShippingRequest{RequestID: "d1", OrderID: "o1", Action: integration.ShipDispatch}
	out := s.shipping("o1", d)
	require.Len(t, out, 2)
	again := s.shipping("o1", d)
	require.Len(t, again, 1)
	require.Equal(t, out[0].value, again[0].value)
}

func TestUnavailableIsNotFinalARetryTriesAgain(t *testing.T) {
	s := newTest(t, func(c *Config) { c.Payment.UnavailableRate = 0.5; c.Payment.DropRate = 0.2 })
	retriedToOK := 0
	for i := range 50 {
		req := pay(fmt.Sprintf("a%d", i), integration.PayAuthorize)
		var got []string
		for len(got) == 0 || got[len(got)-1] != integration.OutcomeOK {
			require.Less(t, len(got), 30, "request %d never answered OK: %v", i, got)
			got = append(got, outcome(s.payment("o", req)))
		}
		if len(got) > 1 {
			retriedToOK++
		}
		// Once OK, it stays OK with the same reference.
		first := s.payment("o", req)[0].value
		require.Equal(t, first, s.payment("o", req)[0].value)
	}
	require.Positive(t, retriedToOK, "with these rates some requests need a retry")
}

func TestTheSeedMakesOutcomesReproducibleWhateverTheArrivalOrder(t *testing.T) {
	rates := func(seed int64) func(*Config) {
		return func(c *Config) {
			c.Seed = seed
			c.Payment = Behavior{Latency: Latency{Min: time.Millisecond, Max: time.Second}, FailureRate: 0.3, UnavailableRate: 0.2, DropRate: 0.1}
		}
	}
	run := func(seed int64, reverse bool) map[string]string {
		s := newTest(t, rates(seed))
		got := make(map[string]string)
		for i := range 100 {
			if reverse {
				i = 99 - i
			}
			id := fmt.Sprintf("a%d", i)
			out := s.payment("o", pay(id, integration.PayAuthorize))
			got[id] = outcome(out)
			if len(out) > 0 {
				got[id] += fmt.Sprintf(" %v %s", out[0].after, out[0].value.(integration.PaymentResult).Reference)
			}
		}
		return got
	}
	a := run(7, false)
	require.Equal(t, a, run(7, true))
	require.NotEqual(t, a, run(8, false))
	seen := map[string]bool{}
	for _, v := range a {
		seen[strings.Fields(v)[0]] = true
	}
	require.Len(t, seen, 4, "every outcome occurs at these rates: %v", seen)
}

func TestLatencyIsDrawnWithinItsBounds(t *testing.T) {
	l := Latency{Min: 50 * time.Millisecond, Max: 300 * time.Millisecond}
	lo, hi := time.Duration(math.MaxInt64), time.Duration(0)
	for i := range 1000 {
		d := l.draw(dice(1, "payment", fmt.Sprint(i), 0))
		lo, hi = min(lo, d), max(hi, d)
	}
	require.GreaterOrEqual(t, lo, l.Min)
	require.LessOrEqual(t, hi, l.Max)
	require.Less(t, lo, 60*time.Millisecond)
	require.Greater(t, hi, 290*time.Millisecond)
	require.Equal(t, time.Second, Latency{Min: time.Second, Max: time.Second}.draw(dice(1, "x", "y", 0)))
}

func TestDispatchAnswersShippedThenDelivered(t *testing.T) {
	s := newTest(t, func(c *Config) {
		c.Shipping.Latency = Latency{Min: 10 * time.Millisecond, Max: 10 * time.Millisecond}
		c.Shipping.DeliveryDelay = time.Minute
		c.Shipping.Carriers = []string{"Owl"}
	})
	req := integration.ShippingRequest{RequestID: "d1", OrderID: "o1", CorrelationID: "c1", Action: integration.ShipDispatch,
		ShipmentID: "s1", Recipient: "Ada Lovelace"}
	out := s.shipping("o1", req)
	require.Len(t, out, 2)
	shipped, delivered := out[0].value.(integration.ShippingResult), out[1].value.(integration.ShippingResult)
	require.Equal(t, 10*time.Millisecond, out[0].after)
	require.Equal(t, time.Minute+10*time.Millisecond, out[1].after)
	require.Equal(t, integration.ShipmentShipped, shipped.Status)
	require.Equal(t, "Owl", shipped.Carrier)
	require.Regexp(t, `^OW\d{10}$`, shipped.TrackingNumber)
	require.Equal(t, "https://tracking.example/Owl/"+shipped.TrackingNumber, shipped.TrackingURL)
	require.Equal(t, "s1", shipped.ShipmentID)
	require.Equal(t, "c1", shipped.CorrelationID)
	require.Equal(t, integration.ShipmentDelivered, delivered.Status)
	require.Equal(t, "Ada Lovelace", delivered.ReceivedBy)
	require.Equal(t, shipped.TrackingNumber, delivered.TrackingNumber)
	for _, r := range []integration.ShippingResult{shipped, delivered} {
		require.Equal(t, integration.OutcomeOK, r.Outcome)
	}

	lost := newTest(t, func(c *Config) { c.Shipping.DeliveryDelay = -1 })
	require.Len(t, lost.shipping("o1", req), 1, "a negative DeliveryDelay never delivers")
}

func TestNotificationsAreKeptBoundedAndRepeatsIgnored(t *testing.T) {
	s := newTest(t, func(c *Config) { c.Notification.Keep = 3 })
	for i := range 5 {
		s.notification("o1", integration.NotificationRequest{RequestID: fmt.Sprint(i), OrderID: "o1", Template: "order-shipped"})
	}
	s.notification("o1", integration.NotificationRequest{RequestID: "4", OrderID: "o1", Template: "order-shipped"})
	var ids []string
	for _, n := range s.Notifications() {
		ids = append(ids, n.RequestID)
	}
	require.Equal(t, []string{"2", "3", "4"}, ids)
	require.EqualValues(t, 5, gauge(t, s.metrics.requests.WithLabelValues("notification", "order-shipped", outcomeReceived)))
	require.EqualValues(t, 1, gauge(t, s.metrics.repeated.WithLabelValues("notification")))
}

func TestMemoForgetsTheOldestRequestIDs(t *testing.T) {
	m := newMemo(2)
	for _, id := range []string{"a", "b"} {
		_, try := m.begin(id)
		require.Zero(t, try)
		m.remember(id, []answer{{key: id}})
	}
	first, _ := m.begin("a")
	require.Equal(t, []answer{{key: "a"}}, first)
	m.begin("c") // evicts a
	first, try := m.begin("a")
	require.Nil(t, first, "a was forgotten")
	require.Zero(t, try)
	first, _ = m.begin("c")
	require.Nil(t, first, "c has no final answer yet")
	_, try = m.begin("c")
	require.EqualValues(t, 2, try)
}

func TestSchedulerStopCancelsWhatHasNotRun(t *testing.T) {
	sc := newScheduler(NewMetrics(nil))
	var ran atomic.Int32
	done := make(chan struct{})
	sc.after(0, func() { ran.Add(1); close(done) })
	sc.after(time.Hour, func() { ran.Add(1) })
	<-done
	sc.stop()
	sc.after(0, func() { ran.Add(1) })
	time.Sleep(20 * time.Millisecond)
	require.EqualValues(t, 1, ran.Load())
	require.Zero(t, gauge(t, sc.metrics.pendingAnswers))
}

func TestNewNamesTheBadSetting(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"no brokers", func(c *Config) { c.Brokers = nil }, "Brokers is empty"},
		{"no group", func(c *Config) { c.Group = "" }, "Group is empty"},
		{"no topic", func(c *Config) { c.Topics.ShippingResults = "" }, "Topics.ShippingResults is empty"},
		{"rate above 1", func(c *Config) { c.Payment.FailureRate = 1.5 }, "Payment.FailureRate is 1.5"},
		{"negative rate", func(c *Config) { c.Shipping.DropRate = -0.1 }, "Shipping.DropRate is -0.1"},
		{"NaN rate", func(c *Config) { c.Inventory.UnavailableRate = math.NaN() }, "Inventory.UnavailableRate is NaN"},
		{"latency upside down", func(c *Config) { c.Payment.Latency = Latency{Min: time.Second} }, "Payment.Latency is 1s..0s"},
		{"no warehouse", func(c *Config) { c.Inventory.Warehouses = nil }, "Inventory.Warehouses is empty"},
		{"warehouse twice", func(c *Config) { c.Inventory.Warehouses = []string{"a", "a"} }, `lists "a" twice`},
		{"stock elsewhere", func(c *Config) { c.Inventory.Stock = map[string]map[string]int64{"north": {"x": 1}} }, `warehouse "north", which is not in`},
		{"negative stock", func(c *Config) { c.Inventory.DefaultStock = -1 }, "Inventory.DefaultStock is -1"},
		{"empty carrier", func(c *Config) { c.Shipping.Carriers = []string{""} }, "Shipping.Carriers has an empty name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Brokers = []string{"127.0.0.1:1"}
			cfg.Topics = testNames()
			tc.change(&cfg)
			_, err := New(cfg)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestDefaultConfigIsValidOnceConnected(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Brokers, cfg.Topics = []string{"127.0.0.1:1"}, testNames()
	s, err := New(cfg)
	require.NoError(t, err)
	require.False(t, s.Ready())
	require.EqualValues(t, 1000, s.Stock(DefaultWarehouse2, "anything"))
	require.Zero(t, s.Stock("nowhere", "anything"))
}
