package main

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/internal/benchload"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/projections"
	"github.com/orderlog/orderlog/schemas"
)

// projectorRun is the outcome of projecting a log of events into Redis.
type projectorRun struct {
	name        string
	events      int     // measured, after the warm-up
	warm        int     // events of the warm-up
	steady      float64 // events/s after the warm-up, the median of the runs
	rounds      spread  // the runs' events/s (cfg.rounds runs of the same log)
	redisSetRPS float64 // redis-benchmark -P 16 SET on the same server (or cluster)
	// CPU per event over the whole projections (warm-ups included): this
	// process's (the projector: poll, decode, fold, render, pipeline) and
	// Redis's (INFO cpu, summed over the primaries; it includes any other
	// client's work meanwhile). On a loaded machine these say more than
	// the rate.
	goCPU, redisCPU time.Duration
}

func (r projectorRun) String() string {
	return fmt.Sprintf("%-44s %8d events (+%d warm-up) %s events/s steady, median [range] of %d runs (redis-benchmark -P 16 SET: %s/s); CPU per event: projector %.2f µs, Redis %.2f µs",
		r.name, r.events, r.warm, r.rounds, r.rounds.n, thousands(r.redisSetRPS),
		float64(r.goCPU.Nanoseconds())/1e3, float64(r.redisCPU.Nanoseconds())/1e3)
}

// redisTarget is a Redis the read-side runs write to: the redis-server or
// the Redis Cluster.
type redisTarget struct {
	name    string // "Redis", "Redis Cluster"
	addrs   []string
	cluster bool
}

func (t redisTarget) client() redis.UniversalClient {
	mode := projections.RedisStandalone
	if t.cluster {
		mode = projections.RedisCluster
	}
	return projections.NewRedis(projections.RedisSettings{Addrs: t.addrs, Mode: mode})
}

// lifecycleEvents decides n lifecycles and returns their events.
func lifecycleEvents(prefix string, n int) []order.Event {
	var out []order.Event
	for i := range n {
		var s order.State
		for j, c := range benchload.Lifecycle(fmt.Sprintf("%s-%06d", prefix, i)) {
			c.Time = time.Now().UTC().Truncate(time.Millisecond).Add(time.Duration(j) * time.Millisecond)
			evs, err := order.Decide(s, c)
			if err != nil {
				panic(err)
			}
			for _, e := range evs {
				s = order.Evolve(s, e)
			}
			out = append(out, evs...)
		}
	}
	return out
}

// runProjector writes the events of cfg.projectorOrders lifecycles to order.events,
// then measures how fast a projector applies them all to Redis, cfg.rounds
// times.
func runProjector(ctx context.Context, cfg config, target redisTarget) (projectorRun, error) {
	prefix := fmt.Sprintf("proj-%d.", time.Now().UnixNano())
	names, err := newTopics(ctx, cfg, prefix)
	if err != nil {
		return projectorRun{}, err
	}
	serde, err := schemas.NewEvents(ctx)
	if err != nil {
		return projectorRun{}, err
	}
	events := lifecycleEvents(prefix, cfg.projectorOrders)
	producer, err := kgo.NewClient(kgo.SeedBrokers(cfg.brokers...), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		return projectorRun{}, err
	}
	defer producer.Close()
	var wg sync.WaitGroup
	for _, e := range events {
		v, err := serde.Encode(e)
		if err != nil {
			return projectorRun{}, err
		}
		wg.Add(1)
		producer.Produce(ctx, &kgo.Record{Topic: names.Events, Key: []byte(e.OrderID), Value: v}, func(*kgo.Record, error) { wg.Done() })
	}
	wg.Wait()
	if err := producer.Flush(ctx); err != nil {
		return projectorRun{}, err
	}

	rdb := target.client()
	defer rdb.Close()
	if err := projections.CheckRedis(ctx, rdb); err != nil {
		return projectorRun{}, fmt.Errorf("%s at %s: %w", target.name, strings.Join(target.addrs, ","), err)
	}
	// The same log, projected cfg.rounds times, each time by a group of
	// its own into a key prefix of its own: one run is one sample of a
	// figure that swings on a shared machine.
	warm := len(events) / 10
	res := projectorRun{name: "projector into " + target.name, events: len(events) - warm, warm: warm}
	cpu0, rcpu0 := cpuNow(0), redisCPU(ctx, rdb)
	var rates []float64
	for round := range max(cfg.rounds, 1) {
		steady, err := projectOnce(ctx, cfg, names.Events, serde, rdb, fmt.Sprintf("%sr%d.", prefix, round), len(events), warm)
		if err != nil {
			return projectorRun{}, fmt.Errorf("projector into %s, run %d: %w", target.name, round+1, err)
		}
		rates = append(rates, steady)
	}
	all := len(events) * len(rates)
	res.rounds = spreadOf(rates)
	res.steady = res.rounds.median
	res.goCPU, _ = perCommand(cpu0, cpuNow(0), all)
	res.redisCPU = (redisCPU(ctx, rdb) - rcpu0) / time.Duration(all)
	res.redisSetRPS, err = redisBenchmark(ctx, target)
	return res, err
}

// projectOnce projects the whole log of n events into Redis under prefix
// with a new group, and returns its events/s after the first warm.
func projectOnce(ctx context.Context, cfg config, topic string, serde *schemas.Serde[order.Event], rdb redis.UniversalClient, prefix string, n, warm int) (float64, error) {
	clock := newSteadyClock(warm, n, time.Now())
	p, err := projections.New(projections.Config{Brokers: cfg.brokers, Group: prefix + "projector", Topic: topic,
		Events: serde, Redis: rdb, Prefix: prefix, Gather: cfg.gather, OnApplied: func(_ order.Event, at time.Time) { clock.observe(1, at) }})
	if err != nil {
		return 0, err
	}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(pctx) }()
	waited := make(chan error, 1)
	go func() { waited <- waitDone(pctx, clock, cfg.stall) }()
	select {
	case err = <-waited:
		cancel()
		<-done
	case err = <-done:
		cancel()
		err = fmt.Errorf("projector stopped: %v", err)
	}
	if err != nil {
		return 0, err
	}
	return clock.steady(), nil
}

// redisCPU is used_cpu_sys+used_cpu_user of the redis-server, or the sum
// over a cluster's primaries.
func redisCPU(ctx context.Context, rdb redis.UniversalClient) time.Duration {
	var total time.Duration
	var mu sync.Mutex
	read := func(ctx context.Context, c *redis.Client) error {
		var sum float64
		for _, line := range strings.Split(c.Info(ctx, "cpu").Val(), "\n") {
			k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
			if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
				f, _ := strconv.ParseFloat(v, 64)
				sum += f
			}
		}
		mu.Lock()
		total += time.Duration(sum * float64(time.Second))
		mu.Unlock()
		return nil
	}
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		_ = c.ForEachMaster(ctx, read)
	case *redis.Client:
		_ = read(ctx, c)
	}
	return total
}

var rpsRe = regexp.MustCompile(`SET: ([0-9.]+) requests per second`)

// redisBenchmark runs redis-benchmark's pipelined SET against the target
// (with --cluster on a cluster: the keys spread over its primaries).
func redisBenchmark(ctx context.Context, target redisTarget) (float64, error) {
	host, port, _ := strings.Cut(target.addrs[0], ":")
	args := []string{"-h", host, "-p", port, "-t", "set", "-n", "300000", "-P", "16", "-q"}
	if target.cluster {
		args = append(args, "--cluster")
	}
	out, err := exec.CommandContext(ctx, "redis-benchmark", args...).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("redis-benchmark: %v: %s", err, out)
	}
	m := rpsRe.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("redis-benchmark: no SET figure in %q", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}
