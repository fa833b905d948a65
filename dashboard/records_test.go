package dashboard

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/internal/testenv"
)

// TestCountingQueuesCountRecordsNotMarkers: a dead letter written in a
// transaction is one dead letter (its commit marker takes an offset too),
// an aborted one is none, and a projector that committed every event of an
// idle partition lags 0 where offsets say 1. On kfake, and on the test
// bed's Kafka when there is one.
func TestCountingQueuesCountRecordsNotMarkers(t *testing.T) {
	t.Run("kfake", func(t *testing.T) {
		c, err := kfake.NewCluster(kfake.NumBrokers(1))
		require.NoError(t, err)
		t.Cleanup(c.Close)
		countsRecords(t, c.ListenAddrs(), "")
	})
	t.Run("kafka", func(t *testing.T) { countsRecords(t, testenv.KafkaBrokers(t), testenv.TopicPrefix(t)) })
}

func countsRecords(t *testing.T, brokers []string, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	events, dlq, group := prefix+"order.events", prefix+"order.commands.dlq", prefix+"orderlog-projector"
	plain, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	require.NoError(t, err)
	t.Cleanup(plain.Close)
	adm := kadm.NewClient(plain)
	_, err = adm.CreateTopic(ctx, 2, 1, nil, events)
	require.NoError(t, err)
	_, err = adm.CreateTopic(ctx, 2, 1, nil, dlq)
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = adm.DeleteTopics(context.Background(), events, dlq) })
	txn, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.TransactionalID(prefix+"dashboard-test"))
	require.NoError(t, err)
	t.Cleanup(txn.Close)
	inTxn := func(end kgo.TransactionEndTry, recs ...*kgo.Record) {
		require.NoError(t, txn.BeginTransaction())
		require.NoError(t, txn.ProduceSync(ctx, recs...).FirstErr())
		require.NoError(t, txn.EndTransaction(ctx, end))
	}
	rec := func(topic string, p int32) *kgo.Record {
		return &kgo.Record{Topic: topic, Partition: p, Value: []byte("x")}
	}

	inTxn(kgo.TryCommit, rec(dlq, 0))                                  // p0: record, commit marker
	inTxn(kgo.TryAbort, rec(dlq, 1))                                   // p1: aborted record, abort marker
	require.NoError(t, plain.ProduceSync(ctx, rec(dlq, 1)).FirstErr()) // p1: a plain record
	inTxn(kgo.TryCommit, rec(events, 0), rec(events, 0), rec(events, 0), rec(events, 1))

	offsets := NewKafkaQueues(adm, events, dlq, group)
	counting := NewKafkaQueuesCounting(plain, events, dlq, group)
	n, err := offsets.DLQSize(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(5), n, "offsets: 2 records, 1 aborted, 2 markers")
	n, err = counting.DLQSize(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(2), n, "records: the committed one and the plain one")

	_, err = counting.ProjectionLag(ctx)
	require.Error(t, err, "a group that never committed has no lag to report (not 0)")
	for _, tc := range []struct {
		name                string
		p0, p1              int64
		wantOffsets, wantRs int64
	}{
		{name: "caught up and idle", p0: 3, p1: 1, wantOffsets: 2, wantRs: 0},
		{name: "two events behind on p0", p0: 1, p1: 1, wantOffsets: 4, wantRs: 2},
		{name: "nothing projected", p0: 0, p1: 0, wantOffsets: 6, wantRs: 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			offs := kadm.Offsets{}
			offs.Add(kadm.Offset{Topic: events, Partition: 0, At: tc.p0})
			offs.Add(kadm.Offset{Topic: events, Partition: 1, At: tc.p1})
			_, err := adm.CommitOffsets(ctx, group, offs)
			require.NoError(t, err)
			lag, err := offsets.ProjectionLag(ctx)
			require.NoError(t, err)
			require.Equal(t, tc.wantOffsets, lag, "offsets count the commit markers")
			lag, err = counting.ProjectionLag(ctx)
			require.NoError(t, err)
			require.Equal(t, tc.wantRs, lag, "records")
		})
	}

	_, err = NewKafkaQueuesCounting(plain, events, prefix+"no.such.topic", group).DLQSize(ctx)
	require.Error(t, err, "a missing DLQ is an error, not 0")
}
