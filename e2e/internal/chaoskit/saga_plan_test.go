package chaoskit

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
)

// The plan needs no broker: that its orders are placed, and held for
// approval exactly when they are meant to be, is checked with order.Decide,
// so a change of the rules that breaks the saga chaos runs shows up here.
func TestSagaPlanPlacesOrdersAsIntended(t *testing.T) {
	const n = 300 // e2e/chaos's saga run
	orders := NewSagaPlan("plan", n, 30*time.Second, rand.New(rand.NewPCG(3, 4)))
	require.Len(t, orders, n)
	var scarce, high, approved, requested, cancelled int
	for _, o := range orders {
		var s order.State
		for _, c := range o.Place {
			c.Time = OracleTime
			events, err := order.Decide(s, c)
			require.NoError(t, err, "order %s: %s", o.ID, c.Type)
			for _, e := range events {
				s = order.Evolve(s, e)
			}
		}
		require.Equal(t, order.StatusPlaced, s.Status, o.ID)
		require.Equal(t, o.HighValue, s.AwaitingApproval(), "order %s, total %d: held for approval", o.ID, s.Totals().Total)
		if s.Lines[0].ProductID == SagaScarce {
			scarce++
		}
		if o.HighValue {
			high++
		}
		if o.Approve != nil {
			approved++
			require.True(t, o.HighValue, "only held orders are approved")
		}
		if o.Cancel != nil {
			switch o.Cancel.Data.(type) {
			case order.RequestCancellation:
				requested++
			case order.CancelOrder:
				cancelled++
			}
		}
	}
	t.Logf("%d orders: %d with the scarce product, %d held for approval (%d approved later), %d RequestCancellation, %d CancelOrder",
		len(orders), scarce, high, approved, requested, cancelled)
	assert.Positive(t, scarce)
	assert.Positive(t, approved)
	assert.Positive(t, high-approved, "some orders stay held for approval")
	assert.Positive(t, requested)
	assert.Positive(t, cancelled)

	sends, err := SagaSends(orders)
	require.NoError(t, err)
	next := map[string]int{}
	last := time.Duration(0)
	for _, s := range sends {
		require.GreaterOrEqual(t, s.At, last, "sends are in time order")
		last = s.At
		if n := next[s.Cmd.OrderID]; n < 4 {
			require.Equal(t, fmt.Sprintf("%s-c%d", s.Cmd.OrderID, n+1), s.Cmd.ID, "an order is placed before anything else is sent for it")
		}
		next[s.Cmd.OrderID]++
	}
}

// TestLastToRestNamesTheOrderThatSettledLast: an order at rest once
// cancelled, after one that never settles and one that rested earlier.
func TestLastToRestNamesTheOrderThatSettledLast(t *testing.T) {
	orders := NewSagaPlan("rest", 3, time.Second, rand.New(rand.NewPCG(5, 6)))
	logs := NewOrderLogs(Serdes(t), 6)
	at := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	fold := func(o *SagaOrder, cmds ...order.Command) {
		l := logs.Order(o.ID)
		logs.Orders[o.ID] = l
		for _, c := range cmds {
			at = at.Add(time.Second)
			c.Time = at
			events, err := order.Decide(l.State, c)
			require.NoError(t, err, c.Type)
			for _, e := range events {
				e.Time = at
				l.State = order.Evolve(l.State, e)
				l.Events = append(l.Events, e)
			}
		}
	}
	cancel := func(o *SagaOrder) order.Command {
		return order.Command{ID: o.ID + "-cancel", Type: order.CmdCancelOrder, OrderID: o.ID, Data: order.CancelOrder{Reason: "customer cancelled"}}
	}
	fold(orders[0], append(slices.Clone(orders[0].Place), cancel(orders[0]))...)
	fold(orders[1], orders[1].Place...) // PLACED: never at rest
	fold(orders[2], append(slices.Clone(orders[2].Place), cancel(orders[2]))...)
	got := lastToRest(logs, orders)
	require.Contains(t, got, "order rest-s0002, ")
	require.Contains(t, got, "ORDER_CANCELLED")
}
