package changelog

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestReadToEndReadsCommittedRecordsThroughTheLastMarker(t *testing.T) {
	ctx := t.Context()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "state"))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	seeds := kgo.SeedBrokers(c.ListenAddrs()...)

	// Partition 0: plain records; partition 1: a committed and an aborted
	// transaction, so its log ends in a control record; partition 2: empty.
	plain, err := kgo.NewClient(seeds, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	require.NoError(t, err)
	defer plain.Close()
	require.NoError(t, plain.ProduceSync(ctx,
		&kgo.Record{Topic: "state", Partition: 0, Key: []byte("a"), Value: []byte("a1")},
		&kgo.Record{Topic: "state", Partition: 0, Key: []byte("a"), Value: []byte("a2")}).FirstErr())
	txn, err := kgo.NewClient(seeds, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.TransactionalID("t"))
	require.NoError(t, err)
	defer txn.Close()
	for _, commit := range []bool{true, false} {
		require.NoError(t, txn.BeginTransaction())
		v := []byte("committed")
		if !commit {
			v = []byte("aborted")
		}
		require.NoError(t, txn.ProduceSync(ctx, &kgo.Record{Topic: "state", Partition: 1, Key: []byte("b"), Value: v}).FirstErr())
		require.NoError(t, txn.EndTransaction(ctx, kgo.TransactionEndTry(commit)))
	}

	adm := kadm.NewClient(plain)
	got := map[string][]string{}
	controls := 0
	err = ReadToEnd(ctx, adm, []kgo.Opt{seeds}, "state", []int32{0, 1, 2}, func(fps []kgo.FetchTopicPartition) error {
		seen := map[int32]bool{}
		for _, fp := range fps {
			require.False(t, seen[fp.Partition], "a partition once per call")
			seen[fp.Partition] = true
			for _, r := range fp.Records {
				if r.Attrs.IsControl() {
					controls++
					continue
				}
				got[string(r.Key)] = append(got[string(r.Key)], string(r.Value))
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, map[string][]string{"a": {"a1", "a2"}, "b": {"committed"}}, got, "read_committed, every partition to its end")
	require.Equal(t, 2, controls, "the commit and abort markers are handed over too")

	// Nothing to read returns at once; apply's error ends the read.
	require.NoError(t, ReadToEnd(ctx, adm, []kgo.Opt{seeds}, "state", []int32{2}, func([]kgo.FetchTopicPartition) error {
		t.Fatal("apply called for an empty partition")
		return nil
	}))
	boom := errors.New("undecodable")
	err = ReadToEnd(ctx, adm, []kgo.Opt{seeds}, "state", []int32{0}, func([]kgo.FetchTopicPartition) error { return boom })
	require.ErrorIs(t, err, boom)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	require.Error(t, ReadToEnd(cctx, adm, []kgo.Opt{seeds}, "state", []int32{0}, func([]kgo.FetchTopicPartition) error { return nil }))
}
