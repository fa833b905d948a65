package brokerchaos

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/internal/testenv"
	"github.com/orderlog/orderlog/topics"
)

// TestOrderctlCreatesTopicsAsProductionLaysThemOut: on three brokers,
// `orderctl topics create --replication-factor 3 --min-insync-replicas 2`
// makes every topic with three replicas, spread over the three nodes, and
// min.insync.replicas 2, as docs/operations.md's recipe says.
func TestOrderctlCreatesTopicsAsProductionLaysThemOut(t *testing.T) {
	testenv.KafkaClasspath(t)
	require.NotNil(t, cluster, "TestMain did not start the three-node cluster")
	prefix := testenv.TopicPrefix(t)
	createTopics(t, cluster.brokers, prefix)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.brokers...))
	require.NoError(t, err)
	defer cl.Close()
	adm := kadm.NewClient(cl)
	set, err := topics.New(topics.Config{Prefix: prefix, Partitions: partitions, ReplicationFactor: 3})
	require.NoError(t, err)
	names := set.TopicNames()
	// createTopics has waited until every broker hosts every topic in sync.
	tds, err := adm.ListTopics(ctx, names...)
	require.NoError(t, err)
	rcs, err := adm.DescribeTopicConfigs(ctx, names...)
	require.NoError(t, err)
	for _, name := range names {
		td := tds[name]
		require.NoError(t, td.Err, name)
		nodes := map[int32]bool{}
		for _, p := range td.Partitions {
			require.Len(t, p.Replicas, 3, "%s partition %d", name, p.Partition)
			require.Len(t, p.ISR, 3, "%s partition %d", name, p.Partition)
			for _, r := range p.Replicas {
				nodes[r] = true
			}
		}
		require.Len(t, nodes, 3, "%s: replicas on every node", name)
		rc, err := rcs.On(name, nil)
		require.NoError(t, err)
		minISR := ""
		for _, c := range rc.Configs {
			if c.Key == topics.ConfigMinInsyncReplicas {
				minISR = c.MaybeValue()
			}
		}
		require.Equal(t, "2", minISR, "%s min.insync.replicas", name)
	}
	out := strings.Join(names, ",")
	t.Logf("%d topics with 3 replicas and min.insync.replicas 2: %s", len(names), out)
}
