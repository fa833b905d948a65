package processor_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/internal/benchload"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/processor"
	"github.com/orderlog/orderlog/schemas"
	"github.com/orderlog/orderlog/stream"
	"github.com/orderlog/orderlog/topics"
)

// BenchmarkBatch is the processor's work per command without Kafka: a
// batch of JSON commands (benchload's lifecycles, 1,000 orders in step,
// as orderbench sends them) decoded, decided against the states, encoded
// as events, results and states, through the runtime's batch code
// (stream.Tester), one batch per step. Run it with -cpu 1 for the CPU
// of a command (the batch runs partitions in parallel). orderbench measures the same mix on the broker; this
// is where the CPU of one command goes, with its allocations.
func BenchmarkBatch(b *testing.B) {
	names := topics.NewNames("")
	serdes, err := processor.NewSerdes(context.Background(), names, nil)
	require.NoError(b, err)
	top := processor.Topology(names, serdes, order.DefaultPolicy(), nil)
	newTester := func() *stream.Tester[order.State, order.Command] {
		tst, err := stream.NewTester(top, stream.TesterOptions{Partitions: 6})
		require.NoError(b, err)
		return tst
	}
	tester := newTester()
	const orders = 1000
	var steps [benchload.Steps][]*kgo.Record
	for i := range orders {
		for s, c := range benchload.Lifecycle(fmt.Sprintf("o-%06d", i)) {
			v, err := schemas.CommandJSON(c)
			require.NoError(b, err)
			steps[s] = append(steps[s], &kgo.Record{Topic: names.Commands, Partition: tester.PartitionOf(c.OrderID), Key: []byte(c.OrderID), Value: v})
		}
	}
	b.ReportAllocs()
	n := 0
	cpu0 := cpuTime(b)
	for b.Loop() {
		if n%benchload.Steps == 0 { // a fresh tester per lifecycle: no state grows without bound
			b.StopTimer()
			tester = newTester()
			b.StartTimer()
		}
		require.NoError(b, tester.SendRecords(steps[n%benchload.Steps]...))
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*orders), "ns/cmd")
	// The process's CPU time, the garbage collector's included: on a busy
	// machine a steadier figure than the elapsed time.
	b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/float64(n*orders), "cpu-ns/cmd")
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	require.NoError(b, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
