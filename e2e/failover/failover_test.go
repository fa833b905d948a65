package failover

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

const (
	partitions = 6
	inFlight   = 400 // orders in flight at a time
	// commandsPerOrder is about how many records chaoskit plans per order.
	commandsPerOrder = 9.4
)

// action is one thing done to the fleet at a time after the load starts;
// it opens a fault window, which lasts until the next action or the end of
// the load.
type action struct {
	at    time.Duration
	label string
	do    func(t *testing.T, f *chaoskit.Fleet) error
}

type scenario struct {
	name    string
	members int
	rate    int // commands per second
	load    time.Duration
	actions []action
}

func kill(t *testing.T, f *chaoskit.Fleet) error { f.Kill(f.Running()[0]); return nil }
func term(t *testing.T, f *chaoskit.Fleet) error { return f.Terminate(f.Running()[0], 30*time.Second) }
func start(t *testing.T, f *chaoskit.Fleet) error {
	f.Start()
	return nil
}

// replace is one step of a rolling restart: SIGTERM the oldest member,
// start its successor and wait until every member is ready.
func replace(t *testing.T, f *chaoskit.Fleet) error {
	if err := term(t, f); err != nil {
		return err
	}
	f.Start()
	return f.WaitReady(60 * time.Second)
}

func benchMode() bool { return os.Getenv("ORDERLOG_FAILOVER_BENCH") == "1" }

// TestAKilledMemberStallsItsOrdersForSecondsAndLosesNothing kills one of two
// processors under load with SIGKILL and starts a fresh one later, then
// checks every invariant. The waits of each fault window are logged; the
// targets are checked by `make bench`, never here.
func TestAKilledMemberStallsItsOrdersForSecondsAndLosesNothing(t *testing.T) {
	rate, load := 800, 24*time.Second
	if benchMode() {
		rate, load = 5000, 45*time.Second
	}
	ws := run(t, scenario{name: "kill", members: 2, rate: rate, load: load, actions: []action{
		{at: load / 3, label: "kill -9 one of two", do: kill},
		{at: 2 * load / 3, label: "a fresh member joins", do: start},
	}})
	report(t, "kill -9", ws)
}

// TestAGracefulStopAndARollingRestartMoveOrdersAtOnce: SIGTERM of one of two
// members, and a rolling restart of three. Bench mode only (make bench):
// make test has the kill scenario and e2e/chaos's restarts.
func TestAGracefulStopAndARollingRestartMoveOrdersAtOnce(t *testing.T) {
	if !benchMode() {
		t.Skip("bench scenario: ORDERLOG_FAILOVER_BENCH=1 (make bench)")
	}
	const rate, load = 5000, 45 * time.Second
	t.Run("sigterm", func(t *testing.T) {
		ws := run(t, scenario{name: "term", members: 2, rate: rate, load: load, actions: []action{
			{at: load / 3, label: "SIGTERM one of two", do: term},
			{at: 2 * load / 3, label: "a fresh member joins", do: start},
		}})
		report(t, "SIGTERM", ws)
	})
	t.Run("rolling", func(t *testing.T) {
		ws := run(t, scenario{name: "rolling", members: 3, rate: rate, load: 50 * time.Second, actions: []action{
			{at: 10 * time.Second, label: "rolling: replace 1 of 3", do: replace},
			{at: 22 * time.Second, label: "rolling: replace 2 of 3", do: replace},
			{at: 34 * time.Second, label: "rolling: replace 3 of 3", do: replace},
		}})
		report(t, "rolling restart", ws)
	})
}

// run runs one scenario, checks the invariants and returns the windows:
// first the steady state before the first action, then one per action.
func run(t *testing.T, sc scenario) []window {
	brokers := testenv.KafkaBrokers(t)
	require.NotEmpty(t, orderdBin, "TestMain did not build orderd")
	prefix := testenv.TopicPrefix(t)
	seed := chaoskit.RandomSeed()
	rng := mrand.New(mrand.NewPCG(seed, seed>>1))
	ctx, cancel := context.WithTimeout(context.Background(), sc.load+5*time.Minute)
	defer cancel()
	p, err := chaoskit.NewPlan("run", int(float64(sc.rate)*sc.load.Seconds()/commandsPerOrder), inFlight, rng)
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

	logDir, err := os.MkdirTemp("", "orderlog-failover-logs-")
	require.NoError(t, err)
	// ORDERLOG_FAILOVER_ORDERD_ENV adds settings to every orderd
	// ("ORDERLOG_LOG_LEVEL=debug" logs each transaction's phases).
	f := chaoskit.NewFleet(t, orderdBin, logDir, append([]string{
		"ORDERLOG_KAFKA_BROKERS=" + strings.Join(brokers, ","),
		"ORDERLOG_TOPIC_PREFIX=" + prefix,
		"ORDERLOG_GROUP=" + prefix + "orderd",
		fmt.Sprintf("ORDERLOG_PARTITIONS=%d", partitions),
		"ORDERLOG_LOG_FORMAT=text",
	}, strings.Fields(os.Getenv("ORDERLOG_FAILOVER_ORDERD_ENV"))...)...)
	for range sc.members {
		f.Start()
	}
	require.NoError(t, f.WaitReady(60*time.Second))

	serdes := chaoskit.Serdes(t)
	w := chaoskit.NewWaits()
	require.NoError(t, w.Follow(ctx, brokers, names.Results, serdes))
	ids := map[string]bool{}
	for _, s := range p.Sends {
		ids[s.Cmd.ID] = true
	}
	producer, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ProducerLinger(0))
	require.NoError(t, err)
	defer producer.Close()
	t.Logf("seed %d: %d commands at %d/s over %s, %d members; logs in %s", seed, len(p.Sends), sc.rate, sc.load, sc.members, logDir)
	loadStart := time.Now()
	ld := chaoskit.StartTimedLoad(ctx, producer, names.Commands, p, sc.load, w.OnSend)

	var faults []time.Time
	for _, a := range sc.actions {
		select {
		case <-time.After(time.Until(loadStart.Add(a.at))):
		case <-ld.Done:
			t.Fatalf("the load ended before %q", a.label)
		}
		faults = append(faults, time.Now())
		require.NoError(t, a.do(t, f), a.label)
		t.Logf("%5.1fs %s; %d sent, %d answered", time.Since(loadStart).Seconds(), a.label, ld.Sent.Load(), w.Answered())
	}
	<-ld.Done
	require.NoError(t, ld.Err())
	loadEnd := time.Now()
	if !chaoskit.Await(3*time.Minute, 50*time.Millisecond, func() bool { return w.Answered() >= len(ids) }, nil) {
		t.Fatalf("%d of %d commands answered 3 minutes after the load (logs in %s)", w.Answered(), len(ids), logDir)
	}
	require.NoError(t, f.TerminateAll(30*time.Second))

	// The windows: the steady state, then each action's, from 2 s before
	// it (commands in flight when it happened wait too) to the next.
	ws := []window{windowOf(w, "steady (before the first)", loadStart, loadStart.Add(2*time.Second), faults[0].Add(-2*time.Second))}
	for i, a := range sc.actions {
		to := loadEnd
		if i+1 < len(faults) {
			to = faults[i+1].Add(-2 * time.Second)
		}
		ws = append(ws, windowOf(w, a.label, faults[i], faults[i].Add(-2*time.Second), to))
	}

	v := chaoskit.ReadAndVerify(ctx, t, brokers, adm, names, p, partitions)
	t.Logf("%s: %d commands, %d orders; results: %s; %d events", sc.name, len(p.Sends), p.Orders, v.Summary(), v.Events)
	for i, pr := range v.Problems {
		if i == 30 {
			t.Errorf("... and %d more", len(v.Problems)-i)
			break
		}
		t.Error(pr)
	}
	for _, cr := range f.Crashes() {
		t.Errorf("a processor exited on its own: %s", cr)
	}
	if t.Failed() {
		t.Fatalf("seed %d, orderd logs in %s", seed, logDir)
	}
	if os.Getenv("ORDERLOG_FAILOVER_KEEP_LOGS") == "" {
		os.RemoveAll(logDir)
	}
	return ws
}
