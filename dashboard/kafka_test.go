package dashboard

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestKafkaQueuesCountTheDLQAndTheProjectorsLag runs on kfake: a DLQ of
// two partitions with records on both, and a projector group that has
// committed part of order.events.
func TestKafkaQueuesCountTheDLQAndTheProjectorsLag(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const events, dlq, group = "order.events", "order.commands.dlq", "orderlog-projector"
	_, err = adm.CreateTopic(ctx, 2, 1, nil, events)
	require.NoError(t, err)
	_, err = adm.CreateTopic(ctx, 2, 1, nil, dlq)
	require.NoError(t, err)

	q := NewKafkaQueues(adm, events, dlq, group)
	n, err := q.DLQSize(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "an empty DLQ")

	var recs []*kgo.Record
	for i := range 5 {
		recs = append(recs, &kgo.Record{Topic: dlq, Partition: int32(i % 2), Value: []byte("bad")})
	}
	for i := range 6 {
		recs = append(recs, &kgo.Record{Topic: events, Partition: int32(i % 2), Value: []byte("e")})
	}
	require.NoError(t, cl.ProduceSync(ctx, recs...).FirstErr())
	n, err = q.DLQSize(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(5), n)

	_, err = q.ProjectionLag(ctx)
	require.Error(t, err, "a group that never committed has no lag to report (not 0)")

	offs := kadm.Offsets{}
	offs.Add(kadm.Offset{Topic: events, Partition: 0, At: 3}) // all of partition 0
	offs.Add(kadm.Offset{Topic: events, Partition: 1, At: 1}) // 1 of 3
	_, err = adm.CommitOffsets(ctx, group, offs)
	require.NoError(t, err)
	lag, err := q.ProjectionLag(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(2), lag)

	_, err = NewKafkaQueues(adm, events, "no.such.topic", group).DLQSize(ctx)
	require.Error(t, err, "a missing DLQ is an error, not 0")
}
