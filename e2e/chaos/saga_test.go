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
	"github.com/orderlog/orderlog/topics"
)

// The shape of a saga chaos run. ORDERLOG_CHAOS_SAGA_ORDERS changes the
// number of orders; ORDERLOG_CHAOS_SEED replays a run's plan, kills and
// simulated outcomes (ORDERLOG_SIM_SEED); ORDERLOG_CHAOS_ORDERD_ENV adds
// settings to every orderd, as in the processor chaos test. The plan, the
// orderd settings (chaoskit.SagaSettings) and the verdict are chaoskit's,
// shared with e2e/brokerchaos. Session and transaction timeouts are
// orderd's defaults (see timeouts in chaos_test.go).
const (
	sagaDefaultOrders = 300
	sagaPlaceFor      = 30 * time.Second  // orders are placed over this
	sagaChaosFor      = 40 * time.Second  // kill -9 every 3–5 s for this long
	sagaSettleFor     = 120 * time.Second // then every order must come to rest within this
)

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

	planned := chaoskit.NewSagaPlan("saga", n, sagaPlaceFor, rng) // the topics are this run's own
	sends, err := chaoskit.SagaSends(planned)
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
	settings := chaoskit.SagaSettings(seed)
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

	// Followed as the run goes, to know when every order has come to rest;
	// the verdict reads the topics again at the end.
	watch := chaoskit.WatchSaga(ctx, t, brokers, names, planned, partitions)
	producer, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	require.NoError(t, err)
	defer producer.Close()
	loadStart := time.Now()
	ld := chaoskit.StartSagaLoad(ctx, producer, names.Commands, sends, loadStart)
	since := func() float64 { return time.Since(loadStart).Seconds() }
	logCrashes := func() {
		for _, c := range f.ReplaceCrashed() {
			t.Logf("%5.1fs CRASH %s; started a fresh one", since(), c)
		}
	}
	progress := func() string { return fmt.Sprintf("%d sent, %s", ld.Sent.Load(), watch.Progress()) }

	// The chaos: kill -9 a random orderd every 3–5 s, start a fresh one.
	for time.Since(loadStart) < sagaChaosFor {
		<-time.After(time.Duration(3000+rng.IntN(2000)) * time.Millisecond)
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
	logSettling := chaoskit.Every(10*time.Second, func() { t.Logf("%5.1fs settling: %s", since(), progress()) })
	chaoskit.Await(sagaSettleFor, time.Second, watch.AtRest, func() { logCrashes(); logSettling() })
	settle := time.Since(chaosEnd)
	unsettled, _, _ := watch.Unsettled()
	t.Logf("%5.1fs %d orders unsettled, %s after the chaos", since(), len(unsettled), settle.Round(time.Millisecond))
	require.NoError(t, f.TerminateAll(30*time.Second))
	crashes := f.Crashes()

	// The verdict, from a complete read of the topics once no transaction
	// is open.
	v := chaoskit.ReadAndVerifySaga(ctx, t, brokers, adm, names, planned, partitions)
	t.Logf("saga chaos summary: seed %d, %d orders, %d events, %d kills, %d crashes, %s elapsed (chaos %s, settled %s after it)",
		seed, n, v.Events, f.Kills(), len(crashes), time.Since(start).Round(time.Second), sagaChaosFor,
		settle.Round(time.Second))
	v.Log(t)
	for i, p := range v.Problems {
		if i == 25 {
			t.Errorf("... and %d more", len(v.Problems)-i)
			break
		}
		t.Error(p)
	}
	for _, c := range crashes {
		t.Errorf("an orderd exited on its own: %s", c)
	}
	// A run that never took the compensation paths proved nothing.
	for _, what := range v.Unexercised() {
		t.Errorf("the run had no %s: it did not exercise that path", what)
	}
	if t.Failed() {
		t.Fatalf("%d problems, %d crashes (seed %d, orderd logs in %s)", len(v.Problems), len(crashes), seed, logDir)
	}
	os.RemoveAll(logDir)
}
