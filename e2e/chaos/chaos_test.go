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

// The shape of a run. ORDERLOG_CHAOS_ORDERS and ORDERLOG_CHAOS_LOAD_SECONDS
// change the first two, ORDERLOG_CHAOS_SEED replays a run's plan and kills,
// ORDERLOG_CHAOS_ORDERD_ENV adds settings to every orderd
// ("ORDERLOG_LOG_LEVEL=debug"; later entries win).
const (
	defaultOrders = 2200             // ~9.4 command records each: > 20,000
	defaultLoad   = 50 * time.Second // the load, and the kills, last this long
	processors    = 3
	partitions    = 6
	window        = 400 // orders in flight at a time
)

// timeouts returns the orderd settings of a run and how long the drain may
// take. Where orderd has ORDERLOG_SESSION_TIMEOUT it runs with its own
// defaults (a 2 s session; the member that takes a killed member's
// partitions fences its open transaction at once), as production does.
// An older orderd gets franz-go's 45 s session and a 60 s transaction
// timeout, which must exceed it: a live processor whose transaction waits
// for a rebalance to commit its offsets fails once the transaction timeout
// passes.
func timeouts() (settings []string, drain time.Duration) {
	if hasSessionTimeout {
		return nil, 60 * time.Second
	}
	return []string{"ORDERLOG_TRANSACTION_TIMEOUT=60s"}, 110 * time.Second
}

// TestKillNineUnderLoadLosesAndDuplicatesNothing runs three orderd in one
// group under a steady load and, every 2–4 s, kills one with SIGKILL and
// starts a fresh one; then it checks, reading read_committed, that every
// command has exactly the predicted result, every order a gapless log of its
// accepted commands' events, and a last state equal to the fold of its log.
// A processor that exits on its own meanwhile is replaced, and fails the
// test at the end: killing one member must not bring down another.
func TestKillNineUnderLoadLosesAndDuplicatesNothing(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	require.NotEmpty(t, orderdBin, "TestMain did not build orderd")
	prefix := testenv.TopicPrefix(t)
	seed := chaoskit.EnvUint(t, "ORDERLOG_CHAOS_SEED", chaoskit.RandomSeed())
	orders := int(chaoskit.EnvUint(t, "ORDERLOG_CHAOS_ORDERS", defaultOrders))
	loadFor := time.Duration(chaoskit.EnvUint(t, "ORDERLOG_CHAOS_LOAD_SECONDS", uint64(defaultLoad/time.Second))) * time.Second
	settings, drainTimeout := timeouts()
	rng := mrand.New(mrand.NewPCG(seed, seed>>1))
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), loadFor+drainTimeout+90*time.Second)
	defer cancel()

	// Order ids need not carry the prefix: the topics are this run's own,
	// and an orderId is at most order.MaxOrderIDLen bytes.
	p, err := chaoskit.NewPlan("run", orders, window, rng)
	require.NoError(t, err)
	t.Logf("seed %d: %d command records for %d orders over %s; topic prefix %s; %v",
		seed, len(p.Sends), p.Orders, loadFor, prefix, settings)

	admCl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	require.NoError(t, err)
	defer admCl.Close()
	adm := kadm.NewClient(admCl)
	set, err := topics.New(topics.Config{Prefix: prefix, Partitions: partitions, ReplicationFactor: 1})
	require.NoError(t, err)
	_, err = set.Ensure(ctx, adm)
	require.NoError(t, err)
	names := set.Names()

	logDir, err := os.MkdirTemp("", "orderlog-chaos-logs-")
	require.NoError(t, err)
	env := append([]string{
		"ORDERLOG_KAFKA_BROKERS=" + strings.Join(brokers, ","),
		"ORDERLOG_TOPIC_PREFIX=" + prefix,
		"ORDERLOG_GROUP=" + prefix + "orderd",
		fmt.Sprintf("ORDERLOG_PARTITIONS=%d", partitions),
		"ORDERLOG_LOG_FORMAT=text",
	}, settings...)
	f := chaoskit.NewFleet(t, orderdBin, logDir, append(env, strings.Fields(os.Getenv("ORDERLOG_CHAOS_ORDERD_ENV"))...)...)
	for range processors {
		f.Start()
	}
	require.NoError(t, f.WaitReady(60*time.Second))
	t.Logf("%d orderd ready after %s", processors, time.Since(start).Round(time.Millisecond))

	results, err := chaoskit.CountRecords(ctx, brokers, names.Results)
	require.NoError(t, err)
	producer, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	require.NoError(t, err)
	defer producer.Close()
	loadStart := time.Now()
	ld := chaoskit.StartLoad(ctx, producer, names.Commands, p, loadFor)
	logCrashes := func() {
		for _, c := range f.ReplaceCrashed() {
			t.Logf("%5.1fs CRASH %s; started a fresh one", time.Since(loadStart).Seconds(), c)
		}
	}

	// The chaos: kill -9 a random processor every 2–4 s, start a fresh one.
	for done := false; !done; {
		select {
		case <-ld.Done:
			done = true
		case <-time.After(time.Duration(2000+rng.IntN(2000)) * time.Millisecond):
			k := f.KillRandom(rng)
			n := f.Start()
			t.Logf("%5.1fs kill -9 %s, start %s; %d sent, %d results", time.Since(loadStart).Seconds(), k.Name, n.Name, ld.Sent.Load(), results.N.Load())
		}
		logCrashes()
	}
	require.NoError(t, ld.Err())
	t.Logf("%5.1fs load done: %d sent, %d results", time.Since(loadStart).Seconds(), ld.Sent.Load(), results.N.Load())

	// The drain: the processors left (three) answer the rest; partitions a
	// killed processor held wait for its session and its transaction to
	// time out.
	drainStart := time.Now()
	logDrain := chaoskit.Every(10*time.Second, func() {
		t.Logf("%5.1fs draining: %d of %d results", time.Since(loadStart).Seconds(), results.N.Load(), len(p.Sends))
	})
	if !chaoskit.Await(drainTimeout, 250*time.Millisecond, func() bool { return results.N.Load() >= int64(len(p.Sends)) },
		func() { logCrashes(); logDrain() }) {
		t.Fatalf("%d of %d results after %s of drain (logs in %s)", results.N.Load(), len(p.Sends), drainTimeout, logDir)
	}
	t.Logf("%5.1fs every command answered, %s after the load", time.Since(loadStart).Seconds(), time.Since(drainStart).Round(time.Millisecond))
	require.NoError(t, f.TerminateAll(30*time.Second))
	crashes := f.Crashes()

	v := chaoskit.ReadAndVerify(ctx, t, brokers, adm, names, p, partitions)
	t.Logf("chaos summary: %d command records, %d orders, %d kills, %d crashes, %s elapsed; results: %s; %d events, %d state records",
		len(p.Sends), p.Orders, f.Kills(), len(crashes), time.Since(start).Round(time.Second), v.Summary(), v.Events, v.States)
	for i, pr := range v.Problems {
		if i == 30 {
			t.Errorf("... and %d more", len(v.Problems)-i)
			break
		}
		t.Error(pr)
	}
	for _, c := range crashes {
		t.Errorf("a processor exited on its own: %s", c)
	}
	if t.Failed() {
		t.Fatalf("%d problems, %d crashes (seed %d, orderd logs in %s)", len(v.Problems), len(crashes), seed, logDir)
	}
	os.RemoveAll(logDir)
}
