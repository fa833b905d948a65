package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/topics"
)

// newTopics creates a topic set under prefix, with orderlog's configs.
func newTopics(ctx context.Context, cfg config, prefix string) (topics.Names, error) {
	set, err := topics.New(topics.Config{Prefix: prefix, Partitions: cfg.partitions, ReplicationFactor: 1})
	if err != nil {
		return topics.Names{}, err
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.brokers...))
	if err != nil {
		return topics.Names{}, err
	}
	defer cl.Close()
	if _, err := set.Ensure(ctx, kadm.NewClient(cl)); err != nil {
		return topics.Names{}, fmt.Errorf("create topics %s*: %w", prefix, err)
	}
	return set.Names(), nil
}

// preload writes the throughput runs' commands once, to an order.commands
// every run reads with a group of its own: the systems read the same
// records, and no load generator shares the cores with them while they run.
func preload(ctx context.Context, cfg config, recs []*kgo.Record) (string, error) {
	names, err := newTopics(ctx, cfg, fmt.Sprintf("input-%d.", time.Now().UnixNano()))
	if err != nil {
		return "", err
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.brokers...), kgo.ProducerLinger(5*time.Millisecond),
		kgo.ProducerBatchMaxBytes(1<<20), kgo.MaxBufferedRecords(200_000))
	if err != nil {
		return "", err
	}
	defer cl.Close()
	start := time.Now()
	if err := produce(ctx, cl, names.Commands, recs, schedule{}, func(int, time.Time) {}); err != nil {
		return "", fmt.Errorf("preload: %w", err)
	}
	fmt.Printf("preloaded %d commands in %s\n", len(recs), time.Since(start).Round(time.Millisecond))
	return names.Commands, nil
}

// throughput is one system's run over the preloaded commands.
type throughput struct {
	system        string
	commands      int // measured, after the warm-up
	warm          int
	steady, total float64 // commands/s after the warm-up; from the system's start
	elapsed       time.Duration
	load          string // the machine's 1-minute load average as the run started
	// CPU per command over the whole run: this process's (the system
	// under test and the counting consumer) and the broker's.
	selfCPU, brokerCPU time.Duration
	allocated          float64 // bytes this process allocated per command
	txns               txnStats
}

func (t throughput) String() string {
	return fmt.Sprintf("%-22s %8d cmds (+%d warm-up) %9s cmd/s steady, %9s cmd/s from start, %s, load %s, CPU/cmd %s here %s broker, %s B allocated/cmd%s",
		t.system, t.commands, t.warm, thousands(t.steady), thousands(t.total), t.elapsed.Round(time.Millisecond), t.load, us(t.selfCPU), us(t.brokerCPU), thousands(t.allocated), t.txnNote())
}

// runThroughput starts sys on the preloaded input and counts its results
// as a read_committed consumer sees them, until there is one per command.
// The clock of the steady rate starts when the warm-up's last result is
// seen. prof, if set, profiles the run from the system's start to its last
// result.
func runThroughput(ctx context.Context, cfg config, sys system, input string, total, warm int, prof *profiler) (throughput, error) {
	names, err := newTopics(ctx, cfg, fmt.Sprintf("tput-%d.", time.Now().UnixNano()))
	if err != nil {
		return throughput{}, err
	}
	names.Commands = input
	consumer, err := kgo.NewClient(kgo.SeedBrokers(cfg.brokers...), kgo.ConsumeTopics(names.Results),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxWait(fetchMaxWait))
	if err != nil {
		return throughput{}, err
	}
	defer consumer.Close()
	if prof != nil {
		if err := prof.start(); err != nil {
			return throughput{}, err
		}
	}
	load := strings.Fields(loadAvg())[0]
	cpu0 := cpuNow(cfg.brokerPID)
	start := time.Now()
	clock := newSteadyClock(warm, total, start)
	var txns txnStats
	stop, err := sys.start(ctx, cfg, names, total, &txns)
	if err != nil {
		return throughput{}, fmt.Errorf("%s: %w", sys.label(), err)
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go countResults(cctx, consumer, clock)
	err = waitDone(ctx, clock, cfg.stall)
	cpu1 := cpuNow(cfg.brokerPID)
	if prof != nil {
		err = errors.Join(err, prof.stop())
	}
	if serr := stop(); serr != nil {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return throughput{}, fmt.Errorf("%s: %w", sys.label(), err)
	}
	self, broker := perCommand(cpu0, cpu1, total)
	if warm > 0 && clock.steady() == 0 {
		return throughput{}, fmt.Errorf("%s: no steady rate: the warm-up's last result and the run's last came in one fetch (more -commands)", sys.label())
	}
	return throughput{system: sys.label(), commands: total - warm, warm: warm, steady: clock.steady(), total: clock.totalRate(),
		elapsed: clock.lastAt.Sub(start), load: load, selfCPU: self, brokerCPU: broker,
		allocated: allocatedPerCommand(cpu0, cpu1, total), txns: txns}, nil
}

func countResults(ctx context.Context, cl *kgo.Client, clock *steadyClock) {
	for ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		if n := fs.NumRecords(); n > 0 {
			clock.observe(n, time.Now())
		}
	}
}

// waitDone waits for the clock's last item; a run that makes no progress
// for stall is a failure, not a slow figure.
func waitDone(ctx context.Context, clock *steadyClock, stall time.Duration) error {
	last, lastAt := -1, time.Now()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-clock.done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case now := <-tick.C:
			clock.mu.Lock()
			seen := clock.seen
			clock.mu.Unlock()
			if seen != last {
				last, lastAt = seen, now
			} else if now.Sub(lastAt) > stall {
				return fmt.Errorf("no result for %s after %d of %d", stall, seen, clock.total)
			}
		}
	}
}

// rounds runs every system once per round, in the same order each round
// (A B C A B C), so that each sees the broker in the same mix of states.
func rounds(ctx context.Context, cfg config, systems []system, input string, total, warm int, n int) (map[string][]throughput, error) {
	out := map[string][]throughput{}
	for round := range n {
		for _, sys := range systems {
			t, err := runThroughput(ctx, cfg, sys, input, total, warm, nil)
			if err != nil {
				return nil, fmt.Errorf("round %d: %w", round+1, err)
			}
			fmt.Printf("round %d  %s\n", round+1, t)
			out[sys.label()] = append(out[sys.label()], t)
		}
	}
	return out, nil
}

func steadyRates(ts []throughput) spread {
	xs := make([]float64, len(ts))
	for i, t := range ts {
		xs[i] = t.steady
	}
	return spreadOf(xs)
}

// txnNote sums up the run's transactions, if it had any.
func (t throughput) txnNote() string {
	if t.txns.count == 0 {
		return ""
	}
	c := float64(t.txns.count)
	return fmt.Sprintf(", %d transactions: %s commands, %s records, %s each", t.txns.count,
		thousands(float64(t.commands+t.warm)/c), thousands(t.txns.produced/c), ms(time.Duration(t.txns.seconds/c*float64(time.Second))))
}
