package processor_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/schemas"
)

func mustJSON(t *testing.T, c order.Command) []byte {
	v, err := schemas.CommandJSON(c)
	require.NoError(t, err)
	return v
}

func headers(r *kgo.Record) map[string]string {
	h := map[string]string{}
	for _, x := range r.Headers {
		h[x.Key] = string(x.Value)
	}
	return h
}

// lastStates reads order.state to its end and keeps the last state per order.
func (b *bed) lastStates() map[string]order.State {
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.brokers...), kgo.ConsumeTopics(b.names.State),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	require.NoError(b.t, err)
	defer cl.Close()
	out := map[string]order.State{}
	idle := 0
	for idle < 2 {
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		if fs.NumRecords() == 0 {
			idle++
			continue
		}
		idle = 0
		fs.EachRecord(func(r *kgo.Record) {
			st, err := b.serdes.States.Decode(r.Value)
			require.NoError(b.t, err)
			out[string(r.Key)] = st
		})
	}
	return out
}
