package saga_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/internal/testenv"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/schemas"
	"github.com/orderlog/orderlog/simulators"
)

// TestSagaCancelsAndRefundsWhenTheOrderRefusesItsShipment, on the real
// broker with the processor and the simulators: a reviewer holds a paid
// order (FlagOrder requiring approval) while the carrier is picking it up,
// so the processor refuses the saga's ShipOrder (APPROVAL_REQUIRED). The
// saga reads that rejection on order.command-results, flags the order
// SAGA_SHIP_REJECTED, tells the customer, and cancels it: the capture is
// refunded, the stock released, and the parcel noted for recall. No
// captured payment stays on an order that cannot ship.
func TestSagaCancelsAndRefundsWhenTheOrderRefusesItsShipment(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	r := newRig(t, brokers, testenv.TopicPrefix(t), fastPolicy(), func(c *simulators.Config) {
		c.Shipping.Latency = simulators.Latency{Min: 3 * time.Second, Max: 3 * time.Second} // time for the reviewer
	})
	r.send(placed("o-held", order.LineItem{ProductID: "sku-1", Quantity: 1, UnitPrice: 4200})...)
	r.waitFor("o-held", 60*time.Second, "CONFIRMED", func(s order.State) bool { return s.Status == order.StatusConfirmed })
	r.send(order.Command{ID: "review-1", Type: order.CmdFlagOrder, OrderID: "o-held", UserID: "admin-1",
		Data: order.FlagOrder{Code: "MANUAL_REVIEW", Reason: "address looks odd", RequiresApproval: true}})

	st := r.waitFor("o-held", 60*time.Second, "CANCELLED and refunded", func(s order.State) bool {
		return s.Status == order.StatusCancelled && s.Payment.Captured > 0 && s.Payment.Refunded == s.Payment.Captured
	})
	i := slices.IndexFunc(st.Flags, func(f order.Flag) bool { return f.Code == "SAGA_SHIP_REJECTED" })
	require.GreaterOrEqual(t, i, 0, "flags %+v", st.Flags)
	require.Contains(t, st.Flags[i].Reason, "ShipOrder")
	require.Contains(t, st.Flags[i].Reason, "APPROVAL_REQUIRED")
	require.Empty(t, st.Reservations)
	require.Empty(t, r.sim.Reserved("o-held"))
	r.waitFor("o-held", 30*time.Second, "told of the problem and the parcel", func(s order.State) bool {
		return slices.Contains(templates(r.eventsOf("o-held")), "order-problem-ship") &&
			slices.ContainsFunc(s.Notes, func(n order.Note) bool { return strings.HasPrefix(n.Text, "SHIPPED_AFTER_CANCELLATION") })
	})

	// The rejection the saga read is the processor's.
	rs, err := schemas.NewResults(t.Context())
	require.NoError(t, err)
	results := readAll(t, r, r.names.Results, rs.Decode)
	require.True(t, slices.ContainsFunc(results, func(res order.CommandResult) bool {
		return res.OrderID == "o-held" && res.CommandType == order.CmdShipOrder && res.Status == order.ResultRejected &&
			res.Code == order.CodeApprovalRequired && strings.HasPrefix(res.CommandID, "saga-o-held-")
	}), "the processor refused the saga's ShipOrder")
	// Every status change the saga caused says SYSTEM; the reviewer's and
	// the customer's say USER.
	for _, e := range r.eventsOf("o-held") {
		if d, ok := e.Data.(order.OrderStatusChanged); ok {
			want := "USER"
			if strings.HasPrefix(e.CausationID, "saga-") {
				want = "SYSTEM"
			}
			require.Equal(t, want, d.TriggerType, "%s caused by %s", d.NewStatus.Name, e.CausationID)
		}
	}
}
