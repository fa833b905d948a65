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
	steady      float64 // events/s after the warm-up
	redisSetRPS float64 // redis-benchmark -P 16 SET on the same server (or cluster)
	// CPU per event over the whole projection (warm-up included): this
	// process's (the projector: poll, decode, fold, render, pipeline) and
	// Redis's (INFO cpu, summed over the primaries; it includes any other
	// client's work meanwhile). On a loaded machine these say more than
	// the rate.
	goCPU, redisCPU time.Duration
}

func (r projectorRun) String() string {
	return fmt.Sprintf("%-44s %8d events (+%d warm-up) %9s events/s steady (redis-benchmark -P 16 SET: %s/s); CPU per event: projector %.2f µs, Redis %.2f µs",
		r.name, r.events, r.warm, thousands(r.steady), thousands(r.redisSetRPS),
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
// then measures how fast a projector applies them all to Redis.
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
	warm := len(events) / 10
	clock := newSteadyClock(warm, len(events), time.Now())
	p, err := projections.New(projections.Config{Brokers: cfg.brokers, Group: prefix + "projector", Topic: names.Events,
		Events: serde, Redis: rdb, Prefix: prefix, Gather: cfg.gather, OnApplied: func(_ order.Event, at time.Time) { clock.observe(1, at) }})
	if err != nil {
		return projectorRun{}, err
	}
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	cpu0, rcpu0 := cpuNow(0), redisCPU(ctx, rdb)
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
		return projectorRun{}, fmt.Errorf("projector into %s: %w", target.name, err)
	}
	goCPU, _ := perCommand(cpu0, cpuNow(0), len(events))
	res := projectorRun{name: "projector into " + target.name, events: len(events) - warm, warm: warm, steady: clock.steady(),
		goCPU: goCPU, redisCPU: (redisCPU(ctx, rdb) - rcpu0) / time.Duration(len(events))}
	res.redisSetRPS, err = redisBenchmark(ctx, target)
	return res, err
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
