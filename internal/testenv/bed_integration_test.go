package testenv_test

// The test bed proves itself: a real Kafka broker with working transactions
// and compaction settings, and a real redis-server. Skipped without the bed.

import (
	"context"
	"fmt"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/internal/testenv"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/schemas"
	"github.com/orderlog/orderlog/topics"
)

// recordValue is what the proof writes: an Avro-encoded order event to
// order.events, an Avro-encoded order state to order.state.
func recordValue(kind, orderID string, seq int) []byte {
	ctx := context.Background()
	at := time.Date(2026, 11, 21, 12, 0, seq, 0, time.UTC)
	var b []byte
	var err error
	switch kind {
	case "event":
		var s *schemas.Serde[order.Event]
		if s, err = schemas.NewEvents(ctx); err == nil {
			b, err = s.Encode(eventFor(orderID, seq, at))
		}
	default:
		var s *schemas.Serde[order.State]
		if s, err = schemas.NewStates(ctx); err == nil {
			b, err = s.Encode(order.State{OrderID: orderID, Status: order.StatusDraft, Currency: "USD", Version: int64(seq), UpdatedAt: at})
		}
	}
	if err != nil {
		panic(fmt.Sprintf("encode %s: %v", kind, err))
	}
	return b
}

func eventFor(orderID string, seq int, at time.Time) order.Event {
	return order.Event{ID: fmt.Sprintf("evt-%s-%d", orderID, seq), OrderID: orderID, Type: order.EvtOrderCreated,
		Seq: int64(seq), Time: at, ServiceID: order.ServiceID,
		Data: order.OrderCreated{CustomerID: "cust-1", OrderNumber: order.OrderNumber(orderID), Currency: "USD", InitialStatus: order.StatusDraft.Ref()}}
}

func TestBedKafkaReadCommittedSeesCommittedTransactionsOnly(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	prefix := testenv.TopicPrefix(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	adm := newAdmin(t, brokers)
	set, err := topics.New(topics.Config{Prefix: prefix, Partitions: 3, ReplicationFactor: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := set.Ensure(ctx, adm); err != nil {
		t.Fatalf("ensure topics: %v", err)
	}
	t.Cleanup(func() { deleteTopics(t, adm, set.TopicNames()) })
	names := set.Names()

	producer, err := kgo.NewClient(
		kgo.SeedBrokers(brokers...),
		kgo.TransactionalID(prefix+"producer"),
	)
	if err != nil {
		t.Fatalf("new transactional producer: %v", err)
	}
	defer producer.Close()

	const orderID = "order-1" // one key: every record lands in one partition, in order
	rec := func(topic, kind string, seq int) *kgo.Record {
		return &kgo.Record{Topic: topic, Key: []byte(orderID), Value: recordValue(kind, orderID, seq)}
	}
	event1, state1 := rec(names.Events, "event", 1), rec(names.State, "state", 1)
	abortedEvent, abortedState := rec(names.Events, "event", 99), rec(names.State, "state", 99)
	event2 := rec(names.Events, "event", 2)

	inTransaction(ctx, t, producer, kgo.TryCommit, event1, state1)
	inTransaction(ctx, t, producer, kgo.TryAbort, abortedEvent, abortedState)
	inTransaction(ctx, t, producer, kgo.TryCommit, event2)

	// Reading until event2 means reading past the aborted batch and its marker.
	untilEvent2 := func(got map[string][]string) bool {
		return slices.Contains(got[names.Events], string(event2.Value))
	}
	committed := consume(ctx, t, brokers, kgo.ReadCommitted(), []string{names.Events, names.State}, untilEvent2)
	if want := values(event1, event2); !slices.Equal(committed[names.Events], want) {
		t.Errorf("read_committed %s = %q, want %q", names.Events, committed[names.Events], want)
	}
	evs, err := schemas.NewEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range committed[names.Events] {
		e, err := evs.Decode([]byte(v))
		if err != nil {
			t.Fatalf("decode committed event %d: %v", i, err)
		}
		if want := eventFor(e.OrderID, int(e.Seq), e.Time); !reflect.DeepEqual(e, want) {
			t.Errorf("committed event %d decodes to %+v, want %+v", i, e, want)
		}
	}
	if want := values(state1); !slices.Equal(committed[names.State], want) {
		t.Errorf("read_committed %s = %q, want %q", names.State, committed[names.State], want)
	}

	// The aborted records are in the log all the same: read_uncommitted sees them.
	uncommitted := consume(ctx, t, brokers, kgo.ReadUncommitted(), []string{names.Events}, untilEvent2)
	if !slices.Contains(uncommitted[names.Events], string(abortedEvent.Value)) {
		t.Errorf("read_uncommitted %s = %q, want it to include the aborted %q",
			names.Events, uncommitted[names.Events], abortedEvent.Value)
	}

	rcs, err := adm.DescribeTopicConfigs(ctx, names.State)
	if err != nil {
		t.Fatalf("describe %s configs: %v", names.State, err)
	}
	rc, err := rcs.On(names.State, nil)
	if err != nil || rc.Err != nil {
		t.Fatalf("describe %s configs: %v %v", names.State, err, rc.Err)
	}
	for _, c := range rc.Configs {
		if c.Key == topics.ConfigCleanupPolicy && c.MaybeValue() != topics.CleanupCompact {
			t.Errorf("%s cleanup.policy = %q, want compact", names.State, c.MaybeValue())
		}
	}
	if err := set.Verify(ctx, adm); err != nil {
		t.Errorf("verify topics: %v", err)
	}
}

func TestBedRedisSetAndGet(t *testing.T) {
	addr := testenv.RedisAddr(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	key := testenv.TopicPrefix(t) + "greeting"
	t.Cleanup(func() { rdb.Del(context.Background(), key) })

	if err := rdb.Set(ctx, key, "hello", time.Minute).Err(); err != nil {
		t.Fatalf("SET %s on %s: %v", key, addr, err)
	}
	got, err := rdb.Get(ctx, key).Result()
	if err != nil {
		t.Fatalf("GET %s on %s: %v", key, addr, err)
	}
	if got != "hello" {
		t.Errorf("GET %s = %q, want %q", key, got, "hello")
	}
}

func TestBedKafkaConsoleConsumerRunsFromTheClasspath(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	classpath := testenv.KafkaClasspath(t)
	java, err := exec.LookPath("java")
	if err != nil {
		t.Skipf("java not on PATH: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	adm := newAdmin(t, brokers)
	topic := testenv.TopicPrefix(t) + "console"
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, topic); err != nil {
		t.Fatalf("create %s: %v", topic, err)
	}
	t.Cleanup(func() { deleteTopics(t, adm, []string{topic}) })
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("hello from go")}).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}

	out, err := exec.CommandContext(ctx, java, "-cp", classpath,
		"org.apache.kafka.tools.consumer.ConsoleConsumer",
		"--bootstrap-server", strings.Join(brokers, ","),
		"--topic", topic, "--from-beginning", "--max-messages", "1", "--timeout-ms", "30000",
	).Output()
	if err != nil {
		t.Fatalf("ConsoleConsumer: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "hello from go" {
		t.Errorf("ConsoleConsumer printed %q, want %q", got, "hello from go")
	}
}

func newAdmin(t *testing.T, brokers []string) *kadm.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatalf("new admin client: %v", err)
	}
	t.Cleanup(cl.Close)
	return kadm.NewClient(cl)
}

func deleteTopics(t *testing.T, adm *kadm.Client, names []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := adm.DeleteTopics(ctx, names...); err != nil {
		t.Logf("delete topics %v: %v", names, err)
	}
}

// inTransaction produces recs in one transaction and ends it with end.
func inTransaction(ctx context.Context, t *testing.T, cl *kgo.Client, end kgo.TransactionEndTry, recs ...*kgo.Record) {
	t.Helper()
	if err := cl.BeginTransaction(); err != nil {
		t.Fatalf("begin transaction: %v", err)
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce in transaction: %v", err)
	}
	if err := cl.EndTransaction(ctx, end); err != nil {
		t.Fatalf("end transaction (commit=%v): %v", end, err)
	}
}

// consume reads topics from the start with the given isolation level until
// done says it has enough, and returns the values read per topic.
func consume(ctx context.Context, t *testing.T, brokers []string, level kgo.IsolationLevel,
	topicNames []string, done func(map[string][]string) bool,
) map[string][]string {
	t.Helper()
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(brokers...),
		kgo.ConsumeTopics(topicNames...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(level),
	)
	if err != nil {
		t.Fatalf("new consumer: %v", err)
	}
	defer cl.Close()

	got := map[string][]string{}
	for !done(got) {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %q before %v", got, err)
		}
		fs.EachError(func(topic string, p int32, err error) {
			t.Fatalf("fetch %s[%d]: %v", topic, p, err)
		})
		fs.EachRecord(func(r *kgo.Record) {
			got[r.Topic] = append(got[r.Topic], string(r.Value))
		})
	}
	return got
}

func values(recs ...*kgo.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.Value)
	}
	return out
}
