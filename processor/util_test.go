package processor_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/internal/changelog"
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

// readToEnd reads topic's records (not its transaction markers) up to its
// end offsets now, read_committed, as a restore does.
func (b *bed) readToEnd(topic string) []*kgo.Record {
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.brokers...))
	require.NoError(b.t, err)
	defer cl.Close()
	parts := make([]int32, b.partitions)
	for i := range parts {
		parts[i] = int32(i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out []*kgo.Record
	require.NoError(b.t, changelog.ReadToEnd(ctx, kadm.NewClient(cl), []kgo.Opt{kgo.SeedBrokers(b.brokers...)}, topic, parts,
		func(fps []kgo.FetchTopicPartition) error {
			for _, fp := range fps {
				for _, r := range fp.Records {
					if !r.Attrs.IsControl() {
						out = append(out, r)
					}
				}
			}
			return nil
		}))
	return out
}

// lastStates keeps the last state per order of order.state to its end.
func (b *bed) lastStates() map[string]order.State {
	out := map[string]order.State{}
	for _, r := range b.readToEnd(b.names.State) {
		if r.Value == nil {
			delete(out, string(r.Key))
			continue
		}
		st, err := b.serdes.States.Decode(r.Value)
		require.NoError(b.t, err)
		out[string(r.Key)] = st
	}
	return out
}
