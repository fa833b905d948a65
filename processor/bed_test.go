package processor_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/internal/testenv"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/processor"
	"github.com/orderlog/orderlog/schemas"
	"github.com/orderlog/orderlog/topics"
)

// bed is a Kafka cluster (kfake or a real broker) with orderlog's topics,
// a producer, and processors started on demand.
type bed struct {
	t          *testing.T
	brokers    []string
	names      topics.Names
	partitions int32
	serdes     processor.Serdes
	producer   *kgo.Client
	group      string
}

func kfakeBed(t *testing.T) *bed {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return newBed(t, c.ListenAddrs(), "")
}

// realBed uses the broker `make test` starts, under a unique topic prefix.
func realBed(t *testing.T) *bed {
	return newBed(t, testenv.KafkaBrokers(t), testenv.TopicPrefix(t))
}

func newBed(t *testing.T, brokers []string, prefix string) *bed {
	ctx := context.Background()
	set, err := topics.New(topics.Config{Prefix: prefix, Partitions: 3, ReplicationFactor: 1})
	require.NoError(t, err)
	adm, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	require.NoError(t, err)
	defer adm.Close()
	_, err = set.Ensure(ctx, kadm.NewClient(adm))
	require.NoError(t, err)
	b := &bed{t: t, brokers: brokers, names: set.Names(), partitions: 3, group: prefix + "orderd"}
	b.serdes = newSerdes(t)
	b.producer, err = kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ProducerLinger(0))
	require.NoError(t, err)
	t.Cleanup(b.producer.Close)
	return b
}

func newSerdes(t *testing.T) processor.Serdes {
	s, err := processor.NewSerdes(context.Background(), topics.NewNames(""), nil)
	require.NoError(t, err)
	return s
}

func testLogger() *slog.Logger {
	if os.Getenv("ORDERLOG_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// start runs a processor until the test ends or stop is called.
func (b *bed) start(id string) (p *processor.Processor, stop func()) { return b.startWith(id, nil) }

// startWith is start with the config changed by set (nil: unchanged).
func (b *bed) startWith(id string, set func(*processor.Config)) (p *processor.Processor, stop func()) {
	cfg := processor.Config{
		Brokers: b.brokers, Group: b.group, TransactionalID: b.group + "-" + id, Topics: b.names,
		Serdes: b.serdes, Logger: testLogger().With("member", id), TransactionTimeout: 5 * time.Second,
	}
	if set != nil {
		set(&cfg)
	}
	p, err := processor.New(cfg)
	require.NoError(b.t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				require.NoError(b.t, err)
			case <-time.After(30 * time.Second):
				b.t.Error("processor did not stop within 30s")
			}
		})
	}
	b.t.Cleanup(stop)
	return p, stop
}

// send produces commands as JSON, keyed by orderId, partitioned as the Java
// client would.
func (b *bed) send(cmds ...order.Command) {
	for _, c := range cmds {
		v, err := schemas.CommandJSON(c)
		require.NoError(b.t, err)
		b.sendRaw(&kgo.Record{Key: []byte(c.OrderID), Value: v})
	}
}

func (b *bed) sendRaw(rs ...*kgo.Record) {
	for _, r := range rs {
		r.Topic = b.names.Commands
	}
	require.NoError(b.t, b.producer.ProduceSync(context.Background(), rs...).FirstErr())
}

// read returns the first n committed records of topic, waiting up to
// timeout; fewer means the test fails.
func (b *bed) read(topic string, n int, timeout time.Duration) []*kgo.Record {
	b.t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	require.NoError(b.t, err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			b.t.Fatalf("read %s: got %d records, want %d, within %s", topic, len(out), n, timeout)
		}
		out = append(out, fs.Records()...)
	}
	return out
}

// results reads n results and indexes them by command id.
func (b *bed) results(n int) map[string]order.CommandResult {
	out := map[string]order.CommandResult{}
	for _, r := range b.read(b.names.Results, n, 30*time.Second) {
		res, err := b.serdes.Results.Decode(r.Value)
		require.NoError(b.t, err)
		out[res.CommandID] = res
	}
	return out
}

// eventsByOrder reads n events and groups them by order, in log order.
func (b *bed) eventsByOrder(n int) map[string][]order.Event {
	out := map[string][]order.Event{}
	for _, r := range b.read(b.names.Events, n, 30*time.Second) {
		e, err := b.serdes.Events.Decode(r.Value)
		require.NoError(b.t, err)
		require.Equal(b.t, e.OrderID, string(r.Key))
		out[e.OrderID] = append(out[e.OrderID], e)
	}
	return out
}

var seq int

func command(orderID string, data order.CommandData) order.Command {
	seq++
	return order.Command{ID: fmt.Sprintf("cmd-%d-%d", time.Now().UnixNano(), seq), Type: data.CommandType(), OrderID: orderID, Data: data}
}

// lifecycle returns the commands of one order from creation to delivery.
func lifecycle(orderID string) []order.Command {
	addr := order.Address{Line1: "1 Main St", City: "New York", State: "NY", PostalCode: "10001", Country: "US"}
	return []order.Command{
		command(orderID, order.CreateOrder{CustomerID: "cust-" + orderID, Currency: "USD",
			Items: []order.LineItem{{ProductID: "sku-1", Quantity: 2, UnitPrice: 1999}}}),
		command(orderID, order.UpdateShippingDetails{ShippingInput: order.ShippingInput{RecipientName: "Jane", Address: addr}}),
		command(orderID, order.PlaceOrder{}),
		command(orderID, order.InitiatePayment{PaymentID: "pay-" + orderID, PaymentMethod: "CARD"}),
		command(orderID, order.AuthorizePayment{PaymentID: "pay-" + orderID, Amount: 1_000_000}),
		command(orderID, order.ReserveInventory{ReservationID: "res-" + orderID, Items: []order.ItemQuantity{{ProductID: "sku-1", Quantity: 2}}}),
		command(orderID, order.CapturePayment{PaymentID: "pay-" + orderID}),
		command(orderID, order.ShipOrder{Carrier: "UPS", TrackingNumber: "1Z-" + orderID}),
		command(orderID, order.DeliverOrder{ReceivedBy: "Jane"}),
	}
}
