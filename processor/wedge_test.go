package processor_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/topics"
)

// Each of these once stopped its partition for good: the transaction that
// held it failed with MESSAGE_TOO_LARGE, aborted, and was polled again, for
// ever. Now each gets an outcome (a result or a dead letter), and valid
// commands after it, on its partition and on another, are decided.

// onPartition returns an order id whose partition is p (of n), or not p.
func onPartition(prefix string, n, p int32, same bool) string {
	for i := 0; ; i++ {
		id := fmt.Sprintf("%s-%d", prefix, i)
		got := int32(kgo.StickyKeyPartitioner(nil).ForTopic("").Partition(&kgo.Record{Key: []byte(id)}, int(n)))
		if (got == p) == same {
			return id
		}
	}
}

func partitionOf(id string, n int32) int32 {
	return int32(kgo.StickyKeyPartitioner(nil).ForTopic("").Partition(&kgo.Record{Key: []byte(id)}, int(n)))
}

// bigProducer can send records up to the broker's own limit.
func (b *bed) bigProducer() *kgo.Client {
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.brokers...), kgo.ProducerLinger(0), kgo.ProducerBatchMaxBytes(1_048_000))
	require.NoError(b.t, err)
	b.t.Cleanup(cl.Close)
	return cl
}

// followUps sends a valid CreateOrder on the wedge's partition and one on
// another, and checks both are accepted within seconds.
func (b *bed) followUps(wedgeKey string, already int) {
	b.t.Helper()
	p := partitionOf(wedgeKey, b.partitions)
	same := command(onPartition("same-"+wedgeKey[:min(len(wedgeKey), 8)], b.partitions, p, true), order.CreateOrder{CustomerID: "c", Currency: "USD"})
	other := command(onPartition("other-"+wedgeKey[:min(len(wedgeKey), 8)], b.partitions, p, false), order.CreateOrder{CustomerID: "c", Currency: "USD"})
	b.send(same, other)
	res := b.results(already + 2)
	assert.Equal(b.t, order.ResultAccepted, res[same.ID].Status, "a command on the wedge's partition after it: %s", res[same.ID].Message)
	assert.Equal(b.t, order.ResultAccepted, res[other.ID].Status, "a command on another partition: %s", res[other.ID].Message)
}

func testRecordAtTheBrokersLimitIsDeadLetteredTruncated(t *testing.T, b *bed) {
	_, stop := b.start("a")
	defer stop()
	big := []byte(strings.Repeat("not json ", 1_040_000/9))
	require.NoError(t, b.bigProducer().ProduceSync(context.Background(),
		&kgo.Record{Topic: b.names.Commands, Key: []byte("huge"), Value: big}).FirstErr())
	b.followUps("huge", 0)
	dl := b.read(b.names.DLQ, 1, 30*time.Second)[0]
	h := headers(dl)
	assert.Equal(t, "true", h[topics.HeaderDLQTruncated])
	assert.Equal(t, fmt.Sprint(len(big)), h[topics.HeaderDLQValueSize])
	assert.Len(t, h[topics.HeaderDLQValueSHA256], 64)
	assert.Equal(t, b.names.Commands, h[topics.HeaderDLQTopic])
	assert.NotEmpty(t, h[topics.HeaderDLQError])
	assert.Less(t, len(dl.Value), len(big))
}

func testHugeIdentifiersGetARejection(t *testing.T, b *bed) {
	_, stop := b.start("a")
	defer stop()
	longID := command("long-id", order.CreateOrder{CustomerID: "c", Currency: "USD"})
	longID.ID = strings.Repeat("c", 300_000)
	create := command("long-user", order.CreateOrder{CustomerID: "c", Currency: "USD"})
	note := command("long-user", order.AddCustomerNote{Text: "hello"})
	note.UserID = strings.Repeat("u", 400_000)
	b.send(longID, create, note)
	res := b.results(3)
	for c, field := range map[*order.Command]string{&longID: "commandId", &note: "userId"} {
		r, ok := res[c.ID]
		require.True(t, ok, "no result for the %s with a long %s", c.Type, field)
		assert.Equal(t, order.ResultRejected, r.Status, "%s: %s %s", c.Type, r.Code, r.Message)
		assert.Equal(t, order.CodeValidationFailed, r.Code, r.Message)
		assert.Equal(t, field, r.Field, r.Message)
		assert.Less(t, len(r.Message), 2000, "the message does not copy the long value")
	}
	b.followUps("long-user", 3)
}

func testAnOrderFilledToTheLimitsNeverOutgrowsItsRecord(t *testing.T, b *bed) {
	_, stop := b.start("a")
	defer stop()
	const id = "full"
	text := strings.Repeat("t", 2000)
	var items []order.LineItem
	for i := range 100 {
		items = append(items, order.LineItem{ProductID: fmt.Sprintf("sku-%03d", i), Name: text, Quantity: 1, UnitPrice: 100})
	}
	cmds := []order.Command{command(id, order.CreateOrder{CustomerID: "c", Currency: "USD", Items: items})}
	for range 100 {
		cmds = append(cmds, command(id, order.AddCustomerNote{Text: text}), command(id, order.AddAdminNote{Text: text}),
			command(id, order.FlagOrder{Code: "REVIEW", Reason: text}))
	}
	b.send(cmds...)
	res := b.results(len(cmds))
	limited := 0
	for _, c := range cmds {
		r, ok := res[c.ID]
		require.True(t, ok, "every command gets a result")
		if r.Status == order.ResultRejected && r.Code == order.CodeLimitExceeded {
			limited++
		}
	}
	assert.Positive(t, limited, "some command finds the order full")
	for _, r := range b.read(b.names.State, 1, 10*time.Second) {
		assert.Less(t, len(r.Value), 1_000_000, "no state record reaches the record limit")
	}
	b.followUps(id, len(cmds))
}

func TestWedgeRecordAtTheBrokersLimitOnKfake(t *testing.T) {
	testRecordAtTheBrokersLimitIsDeadLetteredTruncated(t, kfakeBed(t))
}
func TestWedgeRecordAtTheBrokersLimitOnRealKafka(t *testing.T) {
	testRecordAtTheBrokersLimitIsDeadLetteredTruncated(t, realBed(t))
}
func TestWedgeHugeIdentifiersOnKfake(t *testing.T) { testHugeIdentifiersGetARejection(t, kfakeBed(t)) }
func TestWedgeHugeIdentifiersOnRealKafka(t *testing.T) {
	testHugeIdentifiersGetARejection(t, realBed(t))
}
func TestWedgeFullOrderOnKfake(t *testing.T) {
	testAnOrderFilledToTheLimitsNeverOutgrowsItsRecord(t, kfakeBed(t))
}
func TestWedgeFullOrderOnRealKafka(t *testing.T) {
	testAnOrderFilledToTheLimitsNeverOutgrowsItsRecord(t, realBed(t))
}
