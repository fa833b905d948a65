package projections

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/orderlog/orderlog/order"
)

// BenchmarkApply measures events per second into Redis (the test bed's
// redis-server) through the applier: base views, views and writes computed
// in Go, the apply script pipelined. The log is 2000 random orders
// (about 58,000 events) interleaved by time, as order.events has them;
// batch is the poll size (500: runs of ~1.3 events per order and call, as
// live traffic gives; 5000: ~4), cache the view cache (-1: every base view
// read from Redis), pipeline the calls per round trip; contiguous has each
// order's events one after the other, as orderbench's projector run has. Each iteration
// projects the whole log into a fresh prefix. Besides events/s it reports
// the CPU this process and redis-server spend per event, which says more
// than wall time on a shared machine.
//
//	source .testbed/env && go test -run '^$' -bench . -benchtime 3x ./projections/
func BenchmarkApply(b *testing.B) {
	rdb := testRedis(b)
	h := genHistory(42, 2000, 60, time.Now())
	for _, batch := range []int{500, 5000} {
		for _, cache := range []int{10_000, -1} {
			for _, pipe := range []int{100, 500} {
				b.Run(fmt.Sprintf("batch=%d/cache=%d/pipeline=%d", batch, cache, pipe), func(b *testing.B) {
					benchApply(b, rdb, h.log, batch, cache, pipe)
				})
			}
		}
	}
	// As orderbench's projector run writes order.events: each order's
	// events one after the other (runs of up to a whole lifecycle per call).
	var byOrder []order.Event
	for _, id := range h.ids {
		byOrder = append(byOrder, h.orders[id]...)
	}
	b.Run("contiguous/batch=5000/cache=10000/pipeline=200", func(b *testing.B) {
		benchApply(b, rdb, byOrder, 5000, 10_000, 200)
	})
}

func benchApply(b *testing.B, rdb redis.UniversalClient, events []order.Event, batch, cache, pipeline int) {
	ctx := context.Background()
	var total time.Duration
	var cpu cpuMeter
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		prefix := testPrefix(b, rdb)
		a := newTestApplier(rdb, prefix, cache)
		a.pipelineSize = pipeline
		b.StartTimer()
		start := time.Now()
		cpu.start(rdb)
		for s := 0; s < len(events); s += batch {
			if _, err := a.apply(ctx, events[s:min(s+batch, len(events))]); err != nil {
				b.Fatal(err)
			}
		}
		cpu.stop(rdb)
		total += time.Since(start)
		b.StopTimer()
		deleteMatching(rdb, prefix)
		b.StartTimer()
	}
	b.ReportMetric(float64(len(events)*b.N)/total.Seconds(), "events/s")
	cpu.report(b, len(events)*b.N)
	b.ReportMetric(0, "ns/op")
}

// BenchmarkProjector measures the whole projector on kfake: poll, Avro
// decode, apply, commit. The log (2000 random orders) is produced once; each
// iteration projects all of it with a new group into a fresh prefix.
func BenchmarkProjector(b *testing.B) {
	rdb := testRedis(b)
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	bd := newBed(b, rdb, c.ListenAddrs(), "")
	h := genHistory(42, 2000, 60, time.Now())
	for s := 0; s < len(h.log); s += 5000 {
		bd.produce(h.log[s:min(s+5000, len(h.log))]...)
	}
	var total time.Duration
	var cpu cpuMeter
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		cfg := bd.config(fmt.Sprintf("bench-%d", i))
		cfg.Prefix = testPrefix(b, rdb)
		p, err := New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		b.StartTimer()
		start := time.Now()
		cpu.start(rdb)
		go func() { done <- p.Run(ctx) }()
		for counter(p, Applied) < len(h.log) {
			time.Sleep(5 * time.Millisecond)
		}
		cpu.stop(rdb)
		total += time.Since(start)
		b.StopTimer()
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		deleteMatching(rdb, cfg.Prefix)
		b.StartTimer()
	}
	b.ReportMetric(float64(len(h.log)*b.N)/total.Seconds(), "events/s")
	cpu.report(b, len(h.log)*b.N)
	b.ReportMetric(0, "ns/op")
}

// cpuMeter sums the CPU time this process and redis-server spend in the
// timed sections: on a shared, busy machine wall time says little, CPU per
// event says what the work costs (redis-server's includes any other client's
// work at the same time: use a bed of your own).
type cpuMeter struct {
	goCPU, redisCPU time.Duration
	g0, r0          time.Duration
}

func (m *cpuMeter) start(rdb redis.UniversalClient) { m.g0, m.r0 = processCPU(), redisCPU(rdb) }

func (m *cpuMeter) stop(rdb redis.UniversalClient) {
	m.goCPU += processCPU() - m.g0
	m.redisCPU += redisCPU(rdb) - m.r0
}

func (m *cpuMeter) report(b *testing.B, events int) {
	b.ReportMetric(float64(m.goCPU.Microseconds())/float64(events), "go-cpu-µs/event")
	b.ReportMetric(float64(m.redisCPU.Microseconds())/float64(events), "redis-cpu-µs/event")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func redisCPU(rdb redis.UniversalClient) time.Duration {
	info := rdb.Info(context.Background(), "cpu").Val()
	var total float64
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
			f, _ := strconv.ParseFloat(v, 64)
			total += f
		}
	}
	return time.Duration(total * float64(time.Second))
}
