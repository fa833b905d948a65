package stream_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/internal/testenv"
)

// TestADepartedMembersOpenTransactionIsFencedAtOnce: a member of the group
// died in the middle of a batch (killed -9), leaving a transaction open on
// the changelog and an output, with a transaction timeout of a minute.
// The member that takes its partitions fences it at the assignment: its
// restore does not wait at the open transaction, it is ready long before
// the broker would have aborted it, and readers of the output see what it
// writes next (and never the dead member's record).
func TestADepartedMembersOpenTransactionIsFencedAtOnce(t *testing.T) {
	c := newCluster(t, testenv.KafkaBrokers(t), testenv.TopicPrefix(t))
	dead, err := kgo.NewClient(kgo.SeedBrokers(c.brokers...), kgo.TransactionalID(c.prefix+"g-dead"),
		kgo.TransactionTimeout(time.Minute), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	require.NoError(t, err)
	t.Cleanup(dead.Close)
	require.NoError(t, dead.BeginTransaction())
	require.NoError(t, dead.ProduceSync(t.Context(),
		&kgo.Record{Topic: c.prefix + state, Partition: 0, Key: []byte("z"), Value: []byte(`{"n":99}`)},
		&kgo.Record{Topic: c.prefix + out, Partition: 0, Key: []byte("z"), Value: []byte("from the dead member")},
	).FirstErr())
	assert.Equal(t, "Ongoing", txnState(t, c, c.prefix+"g-dead"))

	start := time.Now()
	m := c.member("g-b", nil) // transactional id <group>-b: a member of this group by convention
	require.Eventually(t, m.Ready, 20*time.Second, 20*time.Millisecond,
		"not ready while the dead member's transaction (1 min timeout) is open: %v", m.Health())
	t.Logf("ready %s after start, with the dead member's transaction fenced", time.Since(start).Round(time.Millisecond))
	assert.NotEqual(t, "Ongoing", txnState(t, c, c.prefix+"g-dead"))

	key := keyOn(0, 3)
	c.send(key, note{Text: "after"})
	got := c.read(out, 1)
	assert.Equal(t, "after", string(got[0].Value), "the dead member's record is aborted, never read")
}

func txnState(t *testing.T, c *cluster, id string) string {
	t.Helper()
	d, err := c.adm.DescribeTransactions(context.Background(), id)
	require.NoError(t, err)
	return d[id].State
}

// keyOn returns a key that the default partitioner puts on partition p of n.
func keyOn(p int32, n int) string {
	for i := 0; ; i++ {
		k := "k" + string(rune('a'+i%26)) + string(rune('a'+i/26%26))
		if partitionOfKey(k, n) == p {
			return k
		}
	}
}
