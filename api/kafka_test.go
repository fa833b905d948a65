package api

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
)

func TestKafkaResultsDeliversEarlyLateAndOnce(t *testing.T) {
	k := &KafkaResults{cfg: ResultsConfig{Retain: time.Minute, MaxEarly: 100}, waiters: map[string][]chan order.CommandResult{}, early: map[string]early{}}
	ctx := context.Background()

	// A result that arrives before its waiter is kept for it, once.
	k.deliver(order.CommandResult{CommandID: "c-1", Version: 3})
	res, err := k.Wait(ctx, "c-1")
	require.NoError(t, err)
	require.Equal(t, int64(3), res.Version)
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, err = k.Wait(short, "c-1")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Empty(t, k.waiters, "a waiter that gave up is forgotten")

	// A waiter gets a result that arrives later.
	got := make(chan order.CommandResult)
	go func() {
		r, _ := k.Wait(ctx, "c-2")
		got <- r
	}()
	require.Eventually(t, func() bool {
		k.mu.Lock()
		defer k.mu.Unlock()
		return len(k.waiters["c-2"]) == 1
	}, time.Second, time.Millisecond)
	k.deliver(order.CommandResult{CommandID: "c-2", Version: 7})
	require.Equal(t, int64(7), (<-got).Version)

	// Unclaimed results expire.
	k.deliver(order.CommandResult{CommandID: "c-3"})
	k.prune(time.Now().Add(2 * time.Minute))
	require.Empty(t, k.early)
	require.Empty(t, k.order)
}

func TestKafkaResultsKeepsAtMostMaxEarly(t *testing.T) {
	k := &KafkaResults{cfg: ResultsConfig{Retain: time.Minute, MaxEarly: 2}, waiters: map[string][]chan order.CommandResult{}, early: map[string]early{}}
	k.deliver(order.CommandResult{CommandID: "a"})
	res, err := k.Wait(context.Background(), "a")
	require.NoError(t, err)
	require.Equal(t, "a", res.CommandID)
	k.deliver(order.CommandResult{CommandID: "a", Status: order.ResultDuplicate}) // delivered again
	k.deliver(order.CommandResult{CommandID: "b"})
	k.deliver(order.CommandResult{CommandID: "c"})
	require.Len(t, k.early, 2)
	require.NotContains(t, k.early, "a", "the oldest goes first")
	k.prune(time.Now())
	require.Len(t, k.early, 2, "young results stay")
}
