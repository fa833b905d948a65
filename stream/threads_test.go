package stream_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/stream"
)

// TestThreadsShareTheWorkAndEachHandlesItsKeysOnce: two threads of one
// process are two group members; between them they own every partition,
// each input is handled once, and every key's state is found through the
// process.
func TestThreadsShareTheWorkAndEachHandlesItsKeysOnce(t *testing.T) {
	c := kfakeCluster(t)
	th, err := stream.NewThreads(stream.Config{Brokers: c.brokers, Group: "g", TransactionalID: "g-p",
		TransactionTimeout: 5 * time.Second, Logger: testLogger()}, c.topology(), 2)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- th.Run(ctx) }()
	t.Cleanup(func() { cancel(); require.NoError(t, <-done) })
	require.Eventually(t, th.Ready, 60*time.Second, 20*time.Millisecond, "not ready: %v", th.Health())
	require.Eventually(t, func() bool { return membersOwningPartitions(t, c, "g") == 2 }, 30*time.Second, 50*time.Millisecond,
		"both threads should own partitions")

	const n = 30
	for i := range n {
		c.send(fmt.Sprintf("k%d", i%6), note{Text: fmt.Sprint(i)})
	}
	got := map[string]int{}
	for _, r := range c.read(out, n) {
		got[string(r.Value)]++
	}
	for i := range n {
		assert.Equal(t, 1, got[fmt.Sprint(i)], "input %d", i)
	}
	require.Eventually(t, func() bool {
		for k := range 6 {
			if _, ok := th.State(fmt.Sprintf("k%d", k)); !ok {
				return false
			}
		}
		return true
	}, 10*time.Second, 20*time.Millisecond, "every key's state is reachable through the process")
	keys := 0
	th.Each(func(string, tally) { keys++ })
	assert.Equal(t, 6, keys)
}

func membersOwningPartitions(t *testing.T, c *cluster, group string) int {
	gs, err := c.adm.DescribeGroups(context.Background(), group)
	require.NoError(t, err)
	n := 0
	for _, m := range gs[group].Members {
		if a, ok := m.Assigned.AsConsumer(); ok && len(a.Topics) > 0 {
			n++
		}
	}
	return n
}
