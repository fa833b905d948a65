package projections

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/orderlog/orderlog/order"
)

// BenchmarkApply measures events per second into Redis (the test bed's
// redis-server) through the applier: base views, views and writes computed
// in Go, the apply script pipelined. The log is 2000 random orders
// interleaved by time; batch is the poll size. Each iteration projects the
// whole log into a fresh prefix.
//
//	source .testbed/env && go test -run '^$' -bench Apply -benchtime 5x ./projections/
func BenchmarkApply(b *testing.B) {
	rdb := testRedis(b)
	h := genHistory(42, 2000, 60, time.Now())
	for _, batch := range []int{500, 5000} {
		for _, cache := range []int{10_000, -1} {
			b.Run(fmt.Sprintf("batch=%d/cache=%d", batch, cache), func(b *testing.B) {
				benchApply(b, rdb, h.log, batch, cache)
			})
		}
	}
}

func benchApply(b *testing.B, rdb *redis.Client, events []order.Event, batch, cache int) {
	ctx := context.Background()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		prefix := testPrefix(b, rdb)
		a := newTestApplier(rdb, prefix, cache)
		b.StartTimer()
		start := time.Now()
		for s := 0; s < len(events); s += batch {
			if _, err := a.apply(ctx, events[s:min(s+batch, len(events))]); err != nil {
				b.Fatal(err)
			}
		}
		total += time.Since(start)
		b.StopTimer()
		deleteMatching(rdb, prefix+"*")
		b.StartTimer()
	}
	b.ReportMetric(float64(len(events)*b.N)/total.Seconds(), "events/s")
	b.ReportMetric(0, "ns/op")
}
