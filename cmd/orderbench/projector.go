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
}

func (r projectorRun) String() string {
	return fmt.Sprintf("%-44s %8d events (+%d warm-up) %9s events/s steady (redis-benchmark -P 16 SET: %s/s)",
		r.name, r.events, r.warm, thousands(r.steady), thousands(r.redisSetRPS))
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
		Events: serde, Redis: rdb, Prefix: prefix, OnApplied: func(_ order.Event, at time.Time) { clock.observe(1, at) }})
	if err != nil {
		return projectorRun{}, err
	}
	pctx, cancel := context.WithCancel(ctx)
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
		return projectorRun{}, fmt.Errorf("projector into %s: %w", target.name, err)
	}
	res := projectorRun{name: "projector into " + target.name, events: len(events) - warm, warm: warm, steady: clock.steady()}
	res.redisSetRPS, err = redisBenchmark(ctx, target)
	return res, err
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
