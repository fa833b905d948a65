package chaos

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/e2e/internal/chaoskit"
	"github.com/orderlog/orderlog/internal/testenv"
	"github.com/orderlog/orderlog/saga"
	"github.com/orderlog/orderlog/topics"
)

// The shape of a saga chaos run. ORDERLOG_CHAOS_SAGA_ORDERS changes the
// number of orders; ORDERLOG_CHAOS_SEED replays a run's plan, kills and
// simulated outcomes (ORDERLOG_SIM_SEED); ORDERLOG_CHAOS_ORDERD_ENV adds
// settings to every orderd, as in the processor chaos test.
const (
	sagaDefaultOrders = 300
	sagaPlaceFor      = 30 * time.Second  // orders are placed over this
	sagaChaosFor      = 40 * time.Second  // kill -9 every 3–5 s for this long
	sagaSettleFor     = 120 * time.Second // then every order must come to rest within this
)

// sagaSettings are the orderd settings of the run besides brokers, topics
// and groups: short saga deadlines so that every path ends within the run,
// and simulated outside systems that decline, fail, answer UNAVAILABLE,
// lose requests and run out of the scarce product. Session and transaction
// timeouts are orderd's defaults (see timeouts in chaos_test.go).
func sagaSettings(seed uint64) []string {
	return []string{
		"ORDERLOG_ROLES=processor,saga,simulators",
		"ORDERLOG_SAGA_REQUEST_TIMEOUT=2s",
		"ORDERLOG_SAGA_REQUEST_ATTEMPTS=4",
		"ORDERLOG_SAGA_PAYMENT_TIMEOUT=40s",
		"ORDERLOG_SAGA_SHIPMENT_TIMEOUT=60s",
		"ORDERLOG_SAGA_BACKORDER_RECHECK=3s",
		fmt.Sprintf("ORDERLOG_SIM_SEED=%d", int64(seed>>1)),
		"ORDERLOG_SIM_PAYMENT_DECLINE_RATE=0.15",
		"ORDERLOG_SIM_UNAVAILABLE_RATE=0.1",
		"ORDERLOG_SIM_DROP_RATE=0.05",
		"ORDERLOG_SIM_SHIPPING_FAILURE_RATE=0.05",
		fmt.Sprintf("ORDERLOG_SIM_STOCK=%d", sagaStock),
		"ORDERLOG_SIM_LATENCY_MIN=20ms",
		"ORDERLOG_SIM_LATENCY_MAX=100ms",
		"ORDERLOG_SIM_DELIVERY_DELAY=1s",
	}
}

// TestSagaKillNineEveryOrderEndsSettled runs three orderd with the command
// processor, the fulfillment saga and the simulated outside systems, places
// a few hundred orders (some cancelled by their customer at a random moment,
// some held for approval and some of those approved) and, for 40 s, kills
// one orderd with SIGKILL every 3–5 s and starts a fresh one. Then, reading
// order.events read_committed and folding every order with order.Evolve, it
// waits until every order has come to rest and checks:
//
//  1. every order is settled: DELIVERED, CANCELLED, or explicitly waiting
//     (held for approval, flagged for review after the saga gave up, or
//     waiting for backordered units) — none stuck in PLACED, CONFIRMED or
//     SHIPPED without a hold;
//  2. a cancelled order got back every captured cent (Payment.Refunded ==
//     Payment.Captured), unless the saga gave up on the refund and said so;
//     and, from payment.results, the gateway holds no money the order does
//     not keep: every capture but the order's own was refunded, every other
//     authorization voided;
//  3. a cancelled order holds no reservation;
//  4. every order's events have sequence numbers 1..n, and no event id
//     appears twice; nothing was dead-lettered;
//  5. no orderd exited on its own.
//
// It also requires the run to have gone through the compensation paths:
// some orders delivered, some with a declined payment, some cancelled for
// their payment (or their stock), some backordered.
func TestSagaKillNineEveryOrderEndsSettled(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	require.NotEmpty(t, orderdBin, "TestMain did not build orderd")
	require.True(t, hasSessionTimeout, "orderd lacks ORDERLOG_SESSION_TIMEOUT")
	prefix := testenv.TopicPrefix(t)
	seed := chaoskit.EnvUint(t, "ORDERLOG_CHAOS_SEED", chaoskit.RandomSeed())
	n := int(chaoskit.EnvUint(t, "ORDERLOG_CHAOS_SAGA_ORDERS", sagaDefaultOrders))
	rng := mrand.New(mrand.NewPCG(seed, seed>>1))
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), sagaChaosFor+sagaSettleFor+120*time.Second)
	defer cancel()

	planned := newSagaPlan("saga", n, sagaPlaceFor, rng) // the topics are this run's own
	sends, err := sagaSends(planned)
	require.NoError(t, err)

	admCl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	require.NoError(t, err)
	defer admCl.Close()
	adm := kadm.NewClient(admCl)
	set, err := topics.New(topics.Config{Prefix: prefix, Partitions: partitions, ReplicationFactor: 1})
	require.NoError(t, err)
	_, err = set.Ensure(ctx, adm)
	require.NoError(t, err)
	names := set.Names()

	logDir, err := os.MkdirTemp("", "orderlog-saga-chaos-logs-")
	require.NoError(t, err)
	settings := sagaSettings(seed)
	env := append([]string{
		"ORDERLOG_KAFKA_BROKERS=" + strings.Join(brokers, ","),
		"ORDERLOG_TOPIC_PREFIX=" + prefix,
		"ORDERLOG_GROUP=" + prefix + "orderd",
		"ORDERLOG_SAGA_GROUP=" + prefix + "saga",
		"ORDERLOG_SIM_GROUP=" + prefix + "simulators",
		fmt.Sprintf("ORDERLOG_PARTITIONS=%d", partitions),
		"ORDERLOG_LOG_FORMAT=text",
	}, settings...)
	t.Logf("seed %d: %d orders, %d command records, placed over %s; topic prefix %s; %v",
		seed, n, len(sends), sagaPlaceFor, prefix, settings)
	f := chaoskit.NewFleet(t, orderdBin, logDir, append(env, strings.Fields(os.Getenv("ORDERLOG_CHAOS_ORDERD_ENV"))...)...)
	for range processors {
		f.Start()
	}
	require.NoError(t, f.WaitReady(60*time.Second))
	t.Logf("%d orderd ready after %s", processors, time.Since(start).Round(time.Millisecond))

	serde := chaoskit.Serdes(t)
	sagaSerdes, err := saga.NewSerdes(ctx, topics.NewNames(""), nil)
	require.NoError(t, err)
	// Followed as the run goes, to know when every order has come to rest;
	// the verdict reads the topics again at the end.
	live, liveGW := newOrderLogs(serde, partitions), newGateway(sagaSerdes)
	evFollower, err := follow(ctx, brokers, names.Events, live.add)
	require.NoError(t, err)
	gwFollower, err := follow(ctx, brokers, names.PaymentResults, liveGW.add)
	require.NoError(t, err)
	// unsettledNow lists the orders not at rest: not settled, or money left at
	// the gateway (a void or refund may still be on its way).
	unsettledNow := func() (out []string, why map[string]int, events int) {
		evFollower.mu.Lock()
		defer evFollower.mu.Unlock()
		gwFollower.mu.Lock()
		defer gwFollower.mu.Unlock()
		why = map[string]int{}
		for _, p := range planned {
			o := live.orders[p.id]
			if o == nil {
				o = &orderLog{}
			}
			ok, reason := settled(o)
			if ok && len(moneyLeftAtGateway(o, liveGW.trails[p.id])) > 0 {
				ok, reason = false, string(o.state.Status)+", money left at the gateway"
			}
			if !ok {
				out = append(out, p.id)
				why[coarse(reason)]++
			}
		}
		return out, why, live.events
	}
	producer, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	require.NoError(t, err)
	defer producer.Close()
	loadStart := time.Now()
	ld := startSagaLoad(ctx, producer, names.Commands, sends, loadStart)
	since := func() float64 { return time.Since(loadStart).Seconds() }
	logCrashes := func() {
		for _, c := range f.ReplaceCrashed() {
			t.Logf("%5.1fs CRASH %s; started a fresh one", since(), c)
		}
	}
	progress := func() string {
		unsettled, why, events := unsettledNow()
		return fmt.Sprintf("%d sent, %d events, %d unsettled: %s", ld.Sent.Load(), events, len(unsettled), formatCounts(why))
	}

	// The chaos: kill -9 a random orderd every 3–5 s, start a fresh one.
	for time.Since(loadStart) < sagaChaosFor {
		time.Sleep(time.Duration(3000+rng.IntN(2000)) * time.Millisecond)
		k := f.KillRandom(rng)
		s := f.Start()
		t.Logf("%5.1fs kill -9 %s, start %s; %s", since(), k.Name, s.Name, progress())
		logCrashes()
	}
	<-ld.Done
	require.NoError(t, ld.Err())
	chaosEnd := time.Now()
	t.Logf("%5.1fs chaos over (%d kills), load done; %s", since(), f.Kills(), progress())

	// The settling: no more kills; every order must come to rest.
	var unsettled []string
	for last := time.Now(); ; time.Sleep(time.Second) {
		logCrashes()
		unsettled, _, _ = unsettledNow()
		if len(unsettled) == 0 || time.Since(chaosEnd) > sagaSettleFor {
			break
		}
		if time.Since(last) > 10*time.Second {
			t.Logf("%5.1fs settling: %s", since(), progress())
			last = time.Now()
		}
	}
	settle := time.Since(chaosEnd)
	t.Logf("%5.1fs %d orders unsettled, %s after the chaos", since(), len(unsettled), settle.Round(time.Millisecond))
	require.NoError(t, f.TerminateAll(30*time.Second))
	crashes := f.Crashes()

	// The verdict, from a complete read of the topics once no transaction
	// is open.
	require.NoError(t, chaoskit.WaitStable(ctx, adm, names.Events, names.Results, names.DLQ, names.PaymentResults))
	logs := newOrderLogs(serde, partitions)
	evRecs, err := chaoskit.ReadAll(ctx, brokers, adm, names.Events)
	require.NoError(t, err)
	for _, r := range evRecs {
		logs.add(r)
	}
	resRecs, err := chaoskit.ReadAll(ctx, brokers, adm, names.Results)
	require.NoError(t, err)
	refused, refusedExamples, resProblems := sagaCommandOutcomes(serde, resRecs)
	dlq, err := chaoskit.ReadAll(ctx, brokers, adm, names.DLQ)
	require.NoError(t, err)
	payRecs, err := chaoskit.ReadAll(ctx, brokers, adm, names.PaymentResults)
	require.NoError(t, err)
	gw := newGateway(sagaSerdes)
	for _, r := range payRecs {
		gw.add(r)
	}

	sum := summarize(logs, planned)
	t.Logf("saga chaos summary: seed %d, %d orders, %d events, %d kills, %d crashes, %s elapsed (chaos %s, settled %s after it)",
		seed, n, logs.events, f.Kills(), len(crashes), time.Since(start).Round(time.Second), sagaChaosFor,
		settle.Round(time.Second))
	t.Logf("final: %s", formatCounts(sum.final))
	t.Logf("paths (orders): %s", formatCounts(sum.paths))
	t.Logf("cancelled because: %s", formatCounts(sum.cancels))
	t.Logf("saga commands not accepted: %s", formatCounts(refused))
	for _, e := range refusedExamples {
		t.Logf("  e.g. %s", e)
	}

	var problems []string
	problems = append(problems, logs.problems...)
	problems = append(problems, resProblems...)
	problems = append(problems, gw.problems...)
	for _, p := range planned {
		if o := logs.orders[p.id]; o != nil {
			for _, m := range moneyLeftAtGateway(o, gw.trails[p.id]) {
				problems = append(problems, fmt.Sprintf("order %s: %s: %s", p.id, m, o.describe(8)))
			}
		}
	}
	for _, r := range dlq {
		problems = append(problems, fmt.Sprintf("dead-lettered: key %s offset %d: %s", r.Key, r.Offset, chaoskit.Header(r, topics.HeaderDLQError)))
	}
	for _, id := range sum.unsettle { // money left at the gateway is listed above
		o := logs.orders[id]
		if o == nil {
			problems = append(problems, fmt.Sprintf("order %s: no events at all", id))
			continue
		}
		_, why := settled(o)
		problems = append(problems, fmt.Sprintf("order %s not settled (%s): %s", id, why, o.describe(12)))
	}
	for i, p := range problems {
		if i == 25 {
			t.Errorf("... and %d more", len(problems)-i)
			break
		}
		t.Error(p)
	}
	for _, c := range crashes {
		t.Errorf("an orderd exited on its own: %s", c)
	}
	// A run that never took the compensation paths proved nothing.
	for _, need := range []struct {
		what string
		n    int
	}{
		{"orders DELIVERED", sum.final["DELIVERED"]},
		{"orders with a PAYMENT_FAILED", sum.paths["payment failed at least once"]},
		{"orders cancelled for their payment or stock", sum.cancels["payment failed (declines)"] + sum.cancels["payment deadline"] +
			sum.cancels["inventory short"] + sum.cancels["inventory gave no answer"]},
		{"orders with ITEMS_BACKORDERED", sum.paths["items backordered"]},
		{"orders cancelled on request", sum.cancels["cancellation requested (saga)"] + sum.cancels["CancelOrder by the customer"]},
	} {
		if need.n == 0 {
			t.Errorf("the run had no %s: it did not exercise that path", need.what)
		}
	}
	if t.Failed() {
		t.Fatalf("%d problems, %d crashes (seed %d, orderd logs in %s)", len(problems), len(crashes), seed, logDir)
	}
	os.RemoveAll(logDir)
}

// startSagaLoad sends each record at its time after start, keyed by orderId
// with kgo's default partitioner (murmur2, as the Java client).
func startSagaLoad(ctx context.Context, cl *kgo.Client, topic string, sends []sagaSend, start time.Time) *chaoskit.Load {
	ld := chaoskit.NewLoad()
	go func() {
		defer close(ld.Done)
		for i := 0; i < len(sends); {
			select {
			case <-ctx.Done():
				ld.Fail(ctx.Err())
				return
			case <-time.After(time.Until(start.Add(sends[i].at))):
			}
			for ; i < len(sends) && !start.Add(sends[i].at).After(time.Now()); i++ {
				s := sends[i]
				cl.Produce(ctx, &kgo.Record{Topic: topic, Key: []byte(s.cmd.OrderID), Value: s.value}, func(_ *kgo.Record, err error) {
					if err != nil {
						ld.Fail(err)
					}
				})
				ld.Sent.Add(1)
			}
		}
		if err := cl.Flush(ctx); err != nil {
			ld.Fail(err)
		}
	}()
	return ld
}

// coarse is the gist of why an order is not settled, to count them: the
// reason up to its first detail.
func coarse(why string) string {
	if i := strings.IndexAny(why, ":0123456789"); i > 0 {
		why = why[:i]
	}
	return strings.TrimRight(why, " ,")
}
