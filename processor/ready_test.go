package processor_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/processor"
)

// TestReadyWhenTheAssignmentBeatsTheSessionGoroutine: on a loaded machine the
// goroutine that creates the group session can be descheduled while the
// client's own goroutine joins the group and restores the partitions. The
// member must still become ready and process commands; it once reset its
// "joined" flag after that and stayed not ready until a rebalance that a
// lone member never gets (CI: "processor not ready after 90s").
func TestReadyWhenTheAssignmentBeatsTheSessionGoroutine(t *testing.T) {
	b := kfakeBed(t)
	p, err := processor.New(processor.Config{
		Brokers: b.brokers, Group: b.group, TransactionalID: b.group + "-a", Topics: b.names,
		Serdes: b.serdes, Logger: testLogger(), TransactionTimeout: 5 * time.Second,
	})
	require.NoError(t, err)
	held := false
	processor.SetSessionCreated(p, func() {
		// Stand for the descheduled goroutine: go on only once the
		// assignment callback has completed.
		deadline := time.Now().Add(20 * time.Second)
		for !processor.Joined(p) && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		held = processor.Joined(p)
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})

	waitReady(t, p)
	require.True(t, held, "the session goroutine went on before the assignment completed; the test did not set up the race")
	c := command("o-ready", order.CreateOrder{CustomerID: "c", Currency: "USD"})
	b.send(c)
	res := b.results(1)[c.ID]
	require.Equal(t, order.ResultAccepted, res.Status, "%s %s", res.Code, res.Message)
}
