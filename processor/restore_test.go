package processor_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/processor"
	"github.com/orderlog/orderlog/topics"
)

// undecodableState is a state record that cannot be read (a single-object
// encoding header with a schema fingerprint nobody has), for order o-bad,
// on its partition.
func undecodableState(t *testing.T, b *bed) {
	t.Helper()
	require.NoError(t, b.producer.ProduceSync(context.Background(),
		&kgo.Record{Topic: b.names.State, Partition: partitionOf("o-bad", b.partitions), Key: []byte("o-bad"), Value: []byte{0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9}}).FirstErr())
}

// TestAnUndecodableStateIsNeverSkipped: a state record that cannot be read
// must not leave its order at an older (here: no) state, or the next command
// would be decided on it. With the state cache (the default) the restore
// keeps the record as it is; the order's next command finds it undecodable
// and is dead-lettered with that reason, while the partition's other orders
// go on. Every state kept decoded (DecodedStates -1), the restore fails, is
// retried, and the member stays not ready.
func TestAnUndecodableStateIsNeverSkippedOnKfake(t *testing.T) {
	t.Run("cached", func(t *testing.T) {
		b := kfakeBed(t)
		undecodableState(t, b)
		p, stop := b.start("a")
		defer stop()
		b.send(command("o-bad", order.CreateOrder{CustomerID: "c", Currency: "USD"}))
		var reason string
		require.Eventually(t, func() bool {
			for _, r := range b.readToEnd(b.names.DLQ) {
				if string(r.Key) == "o-bad" {
					reason = headers(r)[topics.HeaderDLQError]
					return true
				}
			}
			return false
		}, 30*time.Second, 50*time.Millisecond, "the command is dead-lettered")
		require.Contains(t, reason, "the state of o-bad cannot be decoded")
		require.True(t, p.Ready())
		for _, r := range b.readToEnd(b.names.Results) {
			require.NotEqual(t, "o-bad", string(r.Key), "no command was decided without its order's state")
		}
		// Another order of the same partition is decided.
		other := onPartition("o-other", b.partitions, partitionOf("o-bad", b.partitions), true)
		b.send(command(other, order.CreateOrder{CustomerID: "c", Currency: "USD"}))
		require.Eventually(t, func() bool {
			for _, r := range b.readToEnd(b.names.Results) {
				if string(r.Key) == other {
					return true
				}
			}
			return false
		}, 30*time.Second, 50*time.Millisecond, "the partition goes on")
	})
	t.Run("all decoded", func(t *testing.T) {
		b := kfakeBed(t)
		undecodableState(t, b)
		reg := prometheus.NewRegistry()
		p, stop := b.startWith("a", func(c *processor.Config) { c.DecodedStates = -1; c.Metrics = processor.NewMetrics(reg) })
		defer stop()
		b.send(command("o-bad", order.CreateOrder{CustomerID: "c", Currency: "USD"}))
		require.Eventually(t, func() bool { return counter(t, reg, "orderlog_processor_restore_failures_total") >= 2 },
			30*time.Second, 50*time.Millisecond, "the restore fails and is retried")
		require.False(t, p.Ready(), "a member whose restore fails is not ready")
		require.Empty(t, b.readToEnd(b.names.Results), "no command was decided without its order's state")
	})
}

// counter is the value of a counter in reg (0 when absent).
func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			v := 0.0
			for _, m := range mf.GetMetric() {
				v += m.GetCounter().GetValue()
			}
			return v
		}
	}
	return 0
}
