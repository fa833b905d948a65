package processor_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/order"
)

// A commandId already handled for an order gets its original result for
// the order's life: after a thousand other commands, after a restart, and
// for a rejection as for an acceptance. No event id is written twice.
func testDedupForTheOrdersLife(t *testing.T, b *bed) {
	_, stop := b.start("a")
	const id = "long-lived"
	line := func(q int64) []order.LineItem {
		return []order.LineItem{{ProductID: "sku-1", Quantity: q, UnitPrice: 100}}
	}
	first := command(id, order.UpdateItems{Items: line(2)})
	rejected := command(id, order.ApplyDiscount{Code: "NO-SUCH-PROMO"})
	cmds := []order.Command{command(id, order.CreateOrder{CustomerID: "c", Currency: "USD", Items: line(1)}), first, rejected}
	for i := range 1000 {
		cmds = append(cmds, command(id, order.UpdateItems{Items: line(int64(3 + i%5))}))
	}
	b.send(cmds...)
	all := b.resultList(len(cmds))
	byID := map[string]order.CommandResult{}
	var version int64
	for _, r := range all {
		byID[r.CommandID] = r
		version = max(version, r.Version)
	}
	orig, origRej := byID[first.ID], byID[rejected.ID]
	require.Equal(t, order.ResultAccepted, orig.Status, "%s %s", orig.Code, orig.Message)
	require.NotEmpty(t, orig.EventIDs)
	require.Equal(t, order.ResultRejected, origRej.Status)

	check := func(when string, rs []order.CommandResult) {
		t.Helper()
		require.Len(t, rs, 2)
		d, r := rs[0], rs[1]
		assert.Equal(t, order.ResultDuplicate, d.Status, "%s: the accepted command resent is a duplicate", when)
		assert.Equal(t, orig.Version, d.Version, "%s: with its original version", when)
		assert.Equal(t, orig.EventIDs, d.EventIDs, "%s: and its original event ids", when)
		assert.Equal(t, order.ResultRejected, r.Status, "%s: the rejected command resent is rejected again", when)
		assert.Equal(t, origRej.Code, r.Code, "%s: with its original code", when)
	}
	b.send(first, rejected)
	check("after 1,000 commands", b.resultList(len(cmds) + 2)[len(cmds):])
	stop()

	_, stop2 := b.start("b")
	defer stop2()
	b.send(first, rejected)
	check("after a restart", b.resultList(len(cmds) + 4)[len(cmds)+2:])

	seen := map[string]int64{}
	for _, e := range b.eventsByOrder(int(version))[id] {
		prev, dup := seen[e.ID]
		require.False(t, dup, "event id %s at seq %d and %d", e.ID, prev, e.Seq)
		seen[e.ID] = e.Seq
	}
	assert.Len(t, seen, int(version), "one event per version, none more")
}

// resultList reads the first n results in log order (one order: one
// partition, so log order is command order).
func (b *bed) resultList(n int) []order.CommandResult {
	b.t.Helper()
	var out []order.CommandResult
	for _, r := range b.read(b.names.Results, n, 60*time.Second) {
		out = append(out, b.decodeResult(r))
	}
	return out
}

func (b *bed) decodeResult(r *kgo.Record) order.CommandResult {
	res, err := b.serdes.Results.Decode(r.Value)
	require.NoError(b.t, err)
	return res
}

func TestDedupForTheOrdersLifeOnKfake(t *testing.T)     { testDedupForTheOrdersLife(t, kfakeBed(t)) }
func TestDedupForTheOrdersLifeOnRealKafka(t *testing.T) { testDedupForTheOrdersLife(t, realBed(t)) }
