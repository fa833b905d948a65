package processor_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/topics"
)

const eventsPerLifecycle = 15

// checkLog asserts what the log must satisfy for every order: sequence
// numbers 1..n with no gap or duplicate, and the last state record equal to
// the fold of the events.
func checkLog(t *testing.T, b *bed, events map[string][]order.Event) {
	t.Helper()
	states := map[string]order.State{}
	for id, evs := range events {
		var folded order.State
		for i, e := range evs {
			require.Equal(t, int64(i+1), e.Seq, "order %s: event %d has seq %d", id, i, e.Seq)
			folded = order.Evolve(folded, e)
		}
		states[id] = folded
	}
	last := b.lastStates()
	for id, want := range states {
		got, ok := last[id]
		require.True(t, ok, "order %s has no state record", id)
		// The memory of handled commands is no fold of the events
		// (rejections leave none); everything else is.
		want.Recent, want.Handled, got.Recent, got.Handled = nil, order.Handled{}, nil, order.Handled{}
		require.True(t, reflect.DeepEqual(want, got), "order %s: state record differs from the fold of its events\nfold  %+v\nstate %+v", id, want, got)
	}
}

func testLifecycle(t *testing.T, b *bed) {
	_, stop := b.start("a")
	defer stop()
	const orders = 10
	var cmds []order.Command
	for i := range orders {
		cmds = append(cmds, lifecycle(fmt.Sprintf("order-%d", i))...)
	}
	b.send(cmds...)
	results := b.results(len(cmds))
	for _, c := range cmds {
		r := results[c.ID]
		require.Equal(t, order.ResultAccepted, r.Status, "%s %s: %s %s", c.Type, c.ID, r.Code, r.Message)
	}
	events := b.eventsByOrder(orders * eventsPerLifecycle)
	require.Len(t, events, orders)
	for id, evs := range events {
		require.Len(t, evs, eventsPerLifecycle, id)
		assert.Equal(t, order.StatusDelivered, evs[len(evs)-1].Data.(order.OrderStatusChanged).NewStatus.Name)
	}
	checkLog(t, b, events)
}

func TestLifecycleOnKfake(t *testing.T) { testLifecycle(t, kfakeBed(t)) }

func TestLifecycleOnRealKafka(t *testing.T) { testLifecycle(t, realBed(t)) }

func testRejectionsAndDuplicates(t *testing.T, b *bed) {
	_, stop := b.start("a")
	defer stop()
	create := command("o1", order.CreateOrder{CustomerID: "c", Currency: "USD"})
	place := command("o1", order.PlaceOrder{})
	missing := command("nope", order.AddCustomerNote{Text: "hi"})
	stale := command("o1", order.AddCustomerNote{Text: "hi"})
	v := int64(7)
	stale.ExpectedVersion = &v
	b.send(create, place, missing, stale, create)
	res := b.read(b.names.Results, 5, 30*time.Second)
	got := make([]order.CommandResult, len(res))
	for i, r := range res {
		got[i], _ = b.serdes.Results.Decode(r.Value)
	}
	// Results of one order arrive in command order.
	var o1 []order.CommandResult
	for _, r := range got {
		if r.OrderID == "o1" {
			o1 = append(o1, r)
		}
	}
	require.Len(t, o1, 4)
	assert.Equal(t, order.ResultAccepted, o1[0].Status)
	assert.Equal(t, order.ResultRejected, o1[1].Status)
	assert.Equal(t, order.CodePreconditionFailed, o1[1].Code, "placing needs an item")
	assert.Equal(t, order.CodeVersionConflict, o1[2].Code)
	assert.Equal(t, order.ResultDuplicate, o1[3].Status)
	assert.Equal(t, o1[0].EventIDs, o1[3].EventIDs)
	for _, r := range got {
		if r.OrderID == "nope" {
			assert.Equal(t, order.CodeOrderNotFound, r.Code)
		}
	}
}

func TestRejectionsAndDuplicatesOnKfake(t *testing.T) { testRejectionsAndDuplicates(t, kfakeBed(t)) }

func testPoison(t *testing.T, b *bed) {
	_, stop := b.start("a")
	defer stop()
	good := command("good", order.CreateOrder{CustomerID: "c", Currency: "EUR"})
	goodJSON := mustJSON(t, good)
	poison := []struct {
		rec  *kgo.Record
		want string
	}{
		{&kgo.Record{Key: []byte("p1"), Value: []byte(`{"commandId": "x", "type": "AddItems", "orderId": `)}, "JSON"},
		{&kgo.Record{Key: nil, Value: mustJSON(t, command("nokey", order.PlaceOrder{}))}, "no key"},
		{&kgo.Record{Key: []byte("p3"), Value: []byte(`{"commandId":"x","type":"Teleport","orderId":"p3","data":{}}`)}, "unknown command type"},
		{&kgo.Record{Key: []byte("other"), Value: goodJSON}, "is not the command's orderId"},
		{&kgo.Record{Key: []byte("p5"), Value: []byte{0xC3, 0x01, 9, 9, 9, 9, 9, 9, 9, 9, 1}}, "unknown writer schema"},
		{&kgo.Record{Key: []byte("p6"), Value: []byte{0x17, 0x42}}, "not Avro"},
		{&kgo.Record{Key: []byte("p7"), Value: []byte(`{"commandId":"x","type":"AddItems","orderId":"p7","data":{"itemz":[]}}`)}, `unknown field "itemz"`},
	}
	for _, p := range poison {
		b.sendRaw(p.rec)
	}
	b.send(good)
	dlq := b.read(b.names.DLQ, len(poison), 30*time.Second)
	reasons := map[string]string{}
	for _, r := range dlq {
		h := headers(r)
		reasons[string(r.Value)] = h[topics.HeaderDLQError]
		assert.Equal(t, b.names.Commands, h[topics.HeaderDLQTopic])
		assert.NotEmpty(t, h[topics.HeaderDLQOffset])
		assert.NotEmpty(t, h[topics.HeaderDLQPartition])
	}
	for _, p := range poison {
		assert.Contains(t, reasons[string(p.rec.Value)], p.want, "poison %q", p.rec.Value)
	}
	res := b.results(1)
	assert.Equal(t, order.ResultAccepted, res[good.ID].Status, "a good command after poison is processed")
}

func TestPoisonGoesToTheDLQOnKfake(t *testing.T)     { testPoison(t, kfakeBed(t)) }
func TestPoisonGoesToTheDLQOnRealKafka(t *testing.T) { testPoison(t, realBed(t)) }

func testRestart(t *testing.T, b *bed) {
	_, stop := b.start("a")
	first := lifecycle("r1")
	b.send(first[:4]...)
	b.results(4)
	stop()

	// A second member restores the order from order.state and goes on.
	_, stop2 := b.start("b")
	defer stop2()
	b.send(first[3]) // a resend of a command applied before the restart
	b.send(first[4:]...)
	all := b.read(b.names.Results, len(first)+1, 30*time.Second)
	for i, r := range all {
		res, err := b.serdes.Results.Decode(r.Value)
		require.NoError(t, err)
		want := order.ResultAccepted
		if i == 4 {
			want = order.ResultDuplicate
		}
		assert.Equal(t, want, res.Status, "result %d (%s): %s %s", i, res.CommandType, res.Code, res.Message)
	}
	checkLog(t, b, b.eventsByOrder(eventsPerLifecycle))
}

func TestRestartRestoresStateOnKfake(t *testing.T)     { testRestart(t, kfakeBed(t)) }
func TestRestartRestoresStateOnRealKafka(t *testing.T) { testRestart(t, realBed(t)) }

func testReroute(t *testing.T, b *bed) {
	_, stop := b.start("a")
	defer stop()
	c := command("stray", order.CreateOrder{CustomerID: "c", Currency: "USD"})
	right := int32(kgo.StickyKeyPartitioner(nil).ForTopic("").Partition(&kgo.Record{Key: []byte("stray")}, int(b.partitions)))
	wrong := (right + 1) % b.partitions
	b.sendRaw(&kgo.Record{Key: []byte("stray"), Value: mustJSON(t, c), Partition: wrong})
	res := b.read(b.names.Results, 1, 30*time.Second)
	require.Equal(t, right, res[0].Partition, "the result is on the order's partition")
	r, _ := b.serdes.Results.Decode(res[0].Value)
	assert.Equal(t, order.ResultAccepted, r.Status)
}

func TestStrayCommandIsReroutedOnKfake(t *testing.T) { testReroute(t, kfakeBed(t)) }
