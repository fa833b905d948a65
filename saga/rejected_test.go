package saga_test

import (
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/fulfillment"
	"github.com/orderlog/orderlog/integration"
	"github.com/orderlog/orderlog/internal/testenv"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/saga"
)

// TestSagaOnTheTesterReadsTheRejectionsOfItsCommands runs the path
// for each step: the order refuses one of the saga's commands (the
// aggregate refused ShipOrder for an order placed without shipping
// details); the saga reads the rejection on order.command-results and flags
// the order with a code naming the step and the reason, notifies the
// customer, follows the step table's compensation (before shipment the
// order is cancelled: a capture refunded, an authorization voided, stock
// released), logs a warning and counts it.
func TestSagaOnTheTesterReadsTheRejectionsOfItsCommands(t *testing.T) {
	noShipping := &order.Rejection{Code: order.CodePreconditionFailed,
		Message: "the order has no shipping details; send UpdateShippingDetails first"}
	tests := []struct {
		name    string
		refuse  order.CommandType
		code    string
		status  order.Status
		undo    []string // compensations asked of the payment gateway and the inventory
		refunds bool     // the customer gets back what was captured
	}{
		{"payment authorization", order.CmdAuthorizePayment, "SAGA_PAYMENT_REJECTED", order.StatusCancelled, []string{integration.PayVoid}, false},
		{"inventory reservation", order.CmdReserveInventory, "SAGA_RESERVE_REJECTED", order.StatusCancelled,
			[]string{integration.PayVoid, integration.InvRelease}, false},
		{"payment capture", order.CmdCapturePayment, "SAGA_CAPTURE_REJECTED", order.StatusCancelled,
			[]string{integration.PayRefund, integration.InvRelease}, false},
		{"shipment", order.CmdShipOrder, "SAGA_SHIP_REJECTED", order.StatusCancelled,
			[]string{integration.PayRefund, integration.InvRelease}, true},
		{"delivery", order.CmdDeliverOrder, "SAGA_DELIVER_REJECTED", order.StatusShipped, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logs := &testenv.SyncBuffer{}
			reg := prometheus.NewRegistry()
			s := newSagaTesterWith(t, slog.New(slog.NewJSONHandler(logs, nil)), saga.NewMetrics(reg))
			s.refuse = map[order.CommandType]*order.Rejection{tc.refuse: noShipping}
			s.place("o-1")
			s.serve("o-1")

			require.Equal(t, tc.status, s.order.Status)
			i := slices.IndexFunc(s.order.Flags, func(f order.Flag) bool { return f.Code == tc.code })
			require.GreaterOrEqual(t, i, 0, "flags %+v, want %s", s.order.Flags, tc.code)
			require.Contains(t, s.order.Flags[i].Reason, string(tc.refuse))
			require.Contains(t, s.order.Flags[i].Reason, "PRECONDITION_FAILED: the order has no shipping details")

			step := strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(tc.code, "SAGA_"), "_REJECTED"))
			require.Contains(t, s.notificationTemplates(), "order-problem-"+step)
			require.ElementsMatch(t, tc.undo, s.compensations())
			if tc.refunds {
				require.Positive(t, s.order.Payment.Captured)
				require.Equal(t, s.order.Payment.Captured, s.order.Payment.Refunded, "the captured payment is refunded")
			}
			if tc.status == order.StatusCancelled {
				require.Empty(t, s.order.Reservations)
			}

			require.Contains(t, logs.String(), `"level":"WARN","msg":"the order refused a saga command"`)
			require.Contains(t, logs.String(), `"commandType":"`+string(tc.refuse)+`"`)
			require.Equal(t, 1.0, rejections(t, reg, string(tc.refuse)))
		})
	}
}

// TestSagaOnTheTesterLeavesOtherResultsAlone: a result of another sender's
// command, or an accepted one, writes nothing, not even the saga state.
func TestSagaOnTheTesterLeavesOtherResultsAlone(t *testing.T) {
	s := newSagaTester(t)
	for _, res := range []order.CommandResult{
		{CommandID: "api-1", OrderID: "o-9", CommandType: order.CmdPlaceOrder, Status: order.ResultRejected, Code: order.CodeOrderNotFound},
		{CommandID: fulfillment.CommandIDPrefix("o-9") + "ship-x", OrderID: "o-9", CommandType: order.CmdShipOrder, Status: order.ResultAccepted},
		{CommandID: fulfillment.CommandIDPrefix("o-9") + "ship-x", OrderID: "o-9", CommandType: order.CmdShipOrder, Status: order.ResultRejected,
			Code: order.CodePreconditionFailed, Message: "an order the saga has no state of"},
	} {
		v, err := s.cfg.Serdes.Results.Encode(res)
		require.NoError(t, err)
		require.NoError(t, s.tt.Send(s.cfg.Topics.Results, res.OrderID, v))
	}
	_, ok := s.tt.State("o-9")
	require.False(t, ok, "no saga state is made for an order the saga never saw")
	for _, topic := range []string{s.cfg.Topics.Commands, s.cfg.Topics.SagaState, s.cfg.Topics.DLQ, s.cfg.Topics.NotificationRequests} {
		require.Empty(t, s.tt.Records(topic), topic)
	}
}

// serve plays healthy outside systems: every request is answered OK (a
// dispatch SHIPPED, then DELIVERED) until the saga asks nothing more.
func (s *sagaTester) serve(id string) {
	s.t.Helper()
	for range 50 {
		s.loop()
		n := 0
		for _, q := range s.since(s.cfg.Topics.PaymentRequests) {
			p, err := s.cfg.Serdes.PaymentReq.Decode(q.Value)
			require.NoError(s.t, err)
			send(s, s.cfg.Topics.PaymentResults, id, s.cfg.Serdes.PaymentRes.Encode, integration.PaymentResult{RequestID: p.RequestID, OrderID: id,
				Action: p.Action, PaymentID: p.PaymentID, RefundID: p.RefundID, Outcome: integration.OutcomeOK, Amount: p.Amount, Reference: "gw-" + p.RequestID})
			n++
		}
		for _, q := range s.since(s.cfg.Topics.InventoryRequests) {
			r, err := s.cfg.Serdes.InventoryReq.Decode(q.Value)
			require.NoError(s.t, err)
			res := integration.InventoryResult{RequestID: r.RequestID, OrderID: id, Action: r.Action, Outcome: integration.OutcomeOK}
			if r.Action == integration.InvReserve {
				items := slices.Clone(r.Items)
				for i := range items {
					items[i].WarehouseID = "wh-1"
				}
				res.Allocations = []integration.Allocation{{ReservationID: r.RequestID + "-wh-1", WarehouseID: "wh-1", Items: items}}
			}
			send(s, s.cfg.Topics.InventoryResults, id, s.cfg.Serdes.InventoryRes.Encode, res)
			n++
		}
		for _, q := range s.since(s.cfg.Topics.ShippingRequests) {
			r, err := s.cfg.Serdes.ShippingReq.Decode(q.Value)
			require.NoError(s.t, err)
			res := integration.ShippingResult{RequestID: r.RequestID, OrderID: id, ShipmentID: r.ShipmentID, Outcome: integration.OutcomeOK,
				Status: integration.ShipmentShipped, Carrier: "UPS", TrackingNumber: "1Z-" + r.ShipmentID}
			send(s, s.cfg.Topics.ShippingResults, id, s.cfg.Serdes.ShippingRes.Encode, res)
			res.Status, res.ReceivedBy = integration.ShipmentDelivered, "Jane"
			send(s, s.cfg.Topics.ShippingResults, id, s.cfg.Serdes.ShippingRes.Encode, res)
			n++
		}
		if n == 0 && s.seen["command"] == len(s.tt.Records(s.cfg.Topics.Commands)) {
			return
		}
	}
	s.t.Fatal("the saga kept asking after 50 rounds")
}

func (s *sagaTester) since(topic string) []*kgo.Record {
	all := s.tt.Records(topic)
	out := all[s.seen[topic]:]
	s.seen[topic] = len(all)
	return out
}

func send[T any](s *sagaTester, topic, key string, encode func(T) ([]byte, error), v T) {
	s.t.Helper()
	b, err := encode(v)
	require.NoError(s.t, err)
	require.NoError(s.t, s.tt.Send(topic, key, b))
}

// compensations lists the voids, refunds and releases the saga asked for.
func (s *sagaTester) compensations() []string {
	var out []string
	for _, r := range s.tt.Records(s.cfg.Topics.PaymentRequests) {
		p, err := s.cfg.Serdes.PaymentReq.Decode(r.Value)
		require.NoError(s.t, err)
		if p.Action == integration.PayVoid || p.Action == integration.PayRefund {
			out = append(out, p.Action)
		}
	}
	for _, r := range s.tt.Records(s.cfg.Topics.InventoryRequests) {
		q, err := s.cfg.Serdes.InventoryReq.Decode(r.Value)
		require.NoError(s.t, err)
		if q.Action == integration.InvRelease {
			out = append(out, q.Action)
		}
	}
	return out
}

func (s *sagaTester) notificationTemplates() []string {
	var out []string
	for _, r := range s.tt.Records(s.cfg.Topics.NotificationRequests) {
		n, err := s.cfg.Serdes.Notifications.Decode(r.Value)
		require.NoError(s.t, err)
		out = append(out, n.Template)
	}
	return out
}

// rejections reads orderlog_saga_command_rejections_total of a command type.
func rejections(t *testing.T, reg *prometheus.Registry, command string) float64 {
	mfs, err := reg.Gather()
	require.NoError(t, err)
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != "orderlog_saga_command_rejections_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "command" && l.GetValue() == command {
					sum += m.GetCounter().GetValue()
				}
			}
		}
	}
	return sum
}
