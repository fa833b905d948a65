package brokerchaos

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
	"github.com/orderlog/orderlog/topics"
)

// The saga's part of a run: ORDERLOG_CHAOS_SAGA_ORDERS orders (default
// defaultSagaOrders in the 45-s load, as many a second in a longer one)
// placed from the start of the load until sagaFollowUps before its end, so
// that the customers' cancellations and approvals, up to 15 s after
// placing, are sent under the load too; then every order must come to rest
// within sagaSettleFor of the drain: more than e2e/chaos's 120 s, as on
// the loaded 2-core machine a leader kill's run once took 111 s (1 order
// of 120 still PLACED for the last 40 s).
const (
	defaultSagaOrders = 120
	sagaFollowUps     = 15 * time.Second
	sagaSettleFor     = 180 * time.Second
)

// sagaRun is the fulfillment saga under the same broker fault: on the
// same cluster, a topic set, groups and orders of its own (the processor
// plan's predicted results leave no room for the saga's commands on its
// orders), three orderd with the roles processor, saga and simulators
// (chaoskit.SagaSettings; no Redis), and e2e/chaos's saga plan and
// verdict.
type sagaRun struct {
	t        *testing.T
	brokers  []string
	prefix   string
	names    topics.Names
	seed     uint64
	placeFor time.Duration
	planned  []*chaoskit.SagaOrder
	sends    []chaoskit.SagaSend
	fleet    *chaoskit.Fleet
	logDir   string
	watch    *chaoskit.SagaWatch
	load     *chaoskit.Load
	rested   chan struct{} // closed once every order has come to rest after the load
	restAt   time.Time     // when; read once rested is closed
}

// newSagaRun plans the saga's orders for a load of loadFor, creates its
// topics as createTopics does and starts its three orderd (ready once
// waitReady returns). Its plan has a seed of its own, derived from seed,
// so that the processor plan of a seed stays what it was.
func newSagaRun(t *testing.T, brokers []string, prefix string, seed uint64, loadFor time.Duration) *sagaRun {
	t.Helper()
	s := &sagaRun{t: t, brokers: brokers, prefix: prefix + "saga.", seed: seed, placeFor: loadFor - sagaFollowUps}
	s.names = topics.NewNames(s.prefix)
	n := int(chaoskit.EnvUint(t, "ORDERLOG_CHAOS_SAGA_ORDERS", uint64(defaultSagaOrders*int64(s.placeFor)/int64(defaultLoad-sagaFollowUps))))
	rng := mrand.New(mrand.NewPCG(seed+1, seed>>2))
	s.planned = chaoskit.NewSagaPlan("saga", n, s.placeFor, rng)
	var err error
	s.sends, err = chaoskit.SagaSends(s.planned)
	require.NoError(t, err)
	createTopics(t, brokers, s.prefix)

	s.logDir, err = os.MkdirTemp("", "orderlog-brokerchaos-saga-logs-")
	require.NoError(t, err)
	settings := chaoskit.SagaSettings(seed)
	t.Logf("saga: %d orders, %d command records, placed over %s; topic prefix %s; %v",
		n, len(s.sends), s.placeFor, s.prefix, settings)
	s.fleet = chaoskit.NewFleet(t, orderdBin, s.logDir, append([]string{
		"ORDERLOG_KAFKA_BROKERS=" + strings.Join(brokers, ","),
		"ORDERLOG_TOPIC_PREFIX=" + s.prefix,
		"ORDERLOG_GROUP=" + s.prefix + "orderd",
		"ORDERLOG_SAGA_GROUP=" + s.prefix + "saga",
		"ORDERLOG_SIM_GROUP=" + s.prefix + "simulators",
		fmt.Sprintf("ORDERLOG_PARTITIONS=%d", partitions),
		"ORDERLOG_REPLICATION_FACTOR=3",
		"ORDERLOG_CREATE_TOPICS=false",
		// The processor fleet's timeouts, so that both fleets meet the
		// fault alike (e2e/chaos's saga run has orderd's defaults).
		"ORDERLOG_SESSION_TIMEOUT=6s",
		"ORDERLOG_TRANSACTION_TIMEOUT=15s",
		"ORDERLOG_LOG_FORMAT=text",
	}, settings...)...)
	for range processors {
		s.fleet.Start()
	}
	return s
}

func (s *sagaRun) waitReady() error { return s.fleet.WaitReady(90 * time.Second) }

// start follows the saga's topics and sends its plan from loadStart on.
func (s *sagaRun) start(ctx context.Context, loadStart time.Time) {
	s.t.Helper()
	s.watch = chaoskit.WatchSaga(ctx, s.t, s.brokers, s.names, s.planned, partitions)
	producer, err := kgo.NewClient(kgo.SeedBrokers(s.brokers...))
	require.NoError(s.t, err)
	s.t.Cleanup(producer.Close)
	s.load = chaoskit.StartSagaLoad(ctx, producer, s.names.Commands, s.sends, loadStart)
	s.rested = make(chan struct{})
	go s.noteRest(ctx)
}

// noteRest notes when every order has first come to rest once the last
// command was sent (a customer's late cancellation may wake an order that
// rested before), whether the fault is over yet or not.
func (s *sagaRun) noteRest(ctx context.Context) {
	select {
	case <-s.load.Done:
	case <-ctx.Done():
		return
	}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for !s.watch.AtRest() {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
	s.restAt = time.Now()
	close(s.rested)
}

// isRested reports whether every order has come to rest (see noteRest).
func (s *sagaRun) isRested() bool {
	select {
	case <-s.rested:
		return true
	default:
		return false
	}
}

// verify stops the saga's orderd and checks what they wrote: every order
// settled, no money left at the gateway, no stock held by a cancelled
// order, gapless logs, unique event ids, nothing dead-lettered, no orderd
// that exited on its own. It returns the problems.
func (s *sagaRun) verify(ctx context.Context, adm *kadm.Client) []string {
	s.t.Helper()
	if err := s.fleet.TerminateAll(30 * time.Second); err != nil {
		s.t.Errorf("saga: %v", err)
	}
	crashes := s.fleet.Crashes()
	v := chaoskit.ReadAndVerifySaga(ctx, s.t, s.brokers, adm, s.names, s.planned, partitions)
	s.t.Logf("saga summary: %d orders, %d events, %d crashes", len(s.planned), v.Events, len(crashes))
	v.Log(s.t)
	if un := v.Unexercised(); len(un) > 0 {
		s.t.Logf("saga: the run had no %s", strings.Join(un, ", no "))
	}
	problems := v.Problems
	for _, c := range crashes {
		problems = append(problems, "saga: an orderd exited on its own: "+c)
	}
	if len(problems) > 0 {
		s.t.Logf("saga: %d problems (seed %d, orderd logs in %s)", len(problems), s.seed, s.logDir)
	} else {
		os.RemoveAll(s.logDir)
	}
	return problems
}
