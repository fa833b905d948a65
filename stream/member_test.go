package stream_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/internal/testenv"
	"github.com/orderlog/orderlog/stream"
)

// cluster is the test topology's topics on a Kafka cluster, under a prefix.
type cluster struct {
	t       *testing.T
	brokers []string
	prefix  string
	cl      *kgo.Client
	adm     *kadm.Client
}

func kfakeCluster(t *testing.T) *cluster {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return newCluster(t, c.ListenAddrs(), "")
}

func newCluster(t *testing.T, brokers []string, prefix string) *cluster {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ProducerLinger(0))
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	c := &cluster{t: t, brokers: brokers, prefix: prefix, cl: cl, adm: kadm.NewClient(cl)}
	for _, name := range []string{in, out, state, dlq, refuse} {
		_, err := c.adm.CreateTopic(t.Context(), 3, 1, nil, prefix+name)
		require.NoError(t, err)
	}
	return c
}

// topology is the test topology on the cluster's prefixed topics.
func (c *cluster) topology() stream.Topology[tally, note] {
	t := topology(true)
	p := c.prefix
	t.Inputs[0].Topic = p + in
	t.Outputs = []string{p + out, p + refuse}
	t.State.Topic, t.DeadLetters = p+state, p+dlq
	handle, ref := t.Handle, t.Refuse
	rename := func(o stream.Out[tally]) stream.Out[tally] {
		for i := range o.Records {
			o.Records[i].Topic = p + o.Records[i].Topic
		}
		return o
	}
	t.Handle = func(m stream.Msg[note], st tally) (stream.Out[tally], error) {
		o, err := handle(m, st)
		return rename(o), err
	}
	t.Refuse = func(m stream.Msg[note], st tally, why error) (stream.Out[tally], error) {
		o, err := ref(m, st, why)
		return rename(o), err
	}
	return t
}

func (c *cluster) member(id string, hook func(*stream.Member[tally, note])) *stream.Member[tally, note] {
	m, err := stream.New(stream.Config{Brokers: c.brokers, Group: c.prefix + "g", TransactionalID: c.prefix + id,
		TransactionTimeout: 5 * time.Second, Tick: 100 * time.Millisecond, Logger: testLogger()}, c.topology())
	require.NoError(c.t, err)
	if hook != nil {
		hook(m)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	c.t.Cleanup(func() {
		cancel()
		require.NoError(c.t, <-done)
	})
	return m
}

func (c *cluster) send(key string, n note) {
	v, err := json.Marshal(n)
	require.NoError(c.t, err)
	require.NoError(c.t, c.cl.ProduceSync(context.Background(), &kgo.Record{Topic: c.prefix + in, Key: []byte(key), Value: v}).FirstErr())
}

// read returns the first n committed records of topic (unprefixed name).
func (c *cluster) read(topic string, n int) []*kgo.Record {
	c.t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.brokers...), kgo.ConsumeTopics(c.prefix+topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	require.NoError(c.t, err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got []*kgo.Record
	for len(got) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			c.t.Fatalf("read %s: %d records, want %d", topic, len(got), n)
		}
		got = append(got, fs.Records()...)
	}
	return got
}

func waitReady(t *testing.T, m *stream.Member[tally, note]) {
	t.Helper()
	require.Eventually(t, m.Ready, 60*time.Second, 20*time.Millisecond, "not ready: %v", m.Health())
}

// TestReadyWhenTheAssignmentBeatsTheSessionGoroutine: on a loaded machine the
// goroutine that creates the group session can be descheduled while the
// client's own goroutine joins the group and restores the partitions. The
// member must still become ready; it once reset its "joined" flag after
// that and stayed not ready until a rebalance that a lone member never gets.
func TestReadyWhenTheAssignmentBeatsTheSessionGoroutine(t *testing.T) {
	c := kfakeCluster(t)
	held := false
	m := c.member("a", func(m *stream.Member[tally, note]) {
		stream.SetSessionCreated(m, func() {
			// Stand for the descheduled goroutine: go on only once the
			// assignment callback has completed.
			deadline := time.Now().Add(20 * time.Second)
			for !stream.Joined(m) && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			held = stream.Joined(m)
		})
	})
	waitReady(t, m)
	require.True(t, held, "the session goroutine went on before the assignment completed; the test did not set up the race")
	c.send("k", note{Text: "a"})
	assert.Equal(t, "a", string(c.read(out, 1)[0].Value))
}

// TestARecordTheBrokerRefusesIsIsolatedAndTheOthersGoOn: the broker refuses
// an output that the member believed would fit (max.message.bytes lowered
// after the member read it). The transaction aborts; the member corners the
// input whose output failed, refuses it, and every other input of the batch
// is handled, exactly once.
func TestARecordTheBrokerRefusesIsIsolatedAndTheOthersGoOn(t *testing.T) {
	c := newCluster(t, testenv.KafkaBrokers(t), testenv.TopicPrefix(t))
	m := c.member("a", nil)
	waitReady(t, m)
	_, err := c.adm.AlterTopicConfigs(t.Context(), []kadm.AlterConfig{{Name: "max.message.bytes", Value: ptr("20000")}}, c.prefix+out)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		rc, err := c.adm.DescribeTopicConfigs(t.Context(), c.prefix+out)
		if err != nil || len(rc) == 0 {
			return false
		}
		for _, cf := range rc[0].Configs {
			if cf.Key == "max.message.bytes" && cf.Value != nil {
				return *cf.Value == "20000"
			}
		}
		return false
	}, 10*time.Second, 50*time.Millisecond)
	const n = 20
	var rs []*kgo.Record
	for i := range n {
		nt := note{Text: fmt.Sprint(i)}
		if i == 7 {
			nt.Echo = 50_000
		}
		v, _ := json.Marshal(nt)
		rs = append(rs, &kgo.Record{Topic: c.prefix + in, Key: []byte(fmt.Sprintf("k%d", i%4)), Value: v})
	}
	require.NoError(t, c.cl.ProduceSync(context.Background(), rs...).FirstErr())
	got := c.read(out, n-1)
	texts := map[string]int{}
	for _, r := range got {
		texts[string(r.Value)]++
	}
	for i := range n {
		if i != 7 {
			assert.Equal(t, 1, texts[fmt.Sprint(i)], "input %d handled exactly once", i)
		}
	}
	ref := c.read(refuse, 1)
	assert.Contains(t, string(ref[0].Value), "MESSAGE_TOO_LARGE")
	waitReady(t, m)
}

func ptr(s string) *string { return &s }

func testLogger() *slog.Logger {
	if os.Getenv("ORDERLOG_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// A partition whose batches keep failing (here: a handler that says a
// registry is down, for good) makes the member not ready, naming the
// partition and the reason. (A Retry aborts the whole batch: it is the
// cluster's or the registry's fault, not the record's.)
func TestAPartitionThatCannotMakeProgressIsNamedByHealth(t *testing.T) {
	c := kfakeCluster(t)
	m := c.member("a", nil)
	waitReady(t, m)
	c.send("stuck", note{Retry: true})
	require.Eventually(t, func() bool {
		err := m.Health()
		return err != nil && strings.Contains(err.Error(), "a registry is down")
	}, 30*time.Second, 20*time.Millisecond, "health: %v", m.Health())
	assert.Contains(t, m.Health().Error(), fmt.Sprintf("partition %d", partitionOfKey("stuck", 3)))
}

func partitionOfKey(key string, n int) int32 {
	return int32(kgo.StickyKeyPartitioner(nil).ForTopic("").Partition(&kgo.Record{Key: []byte(key)}, n))
}
