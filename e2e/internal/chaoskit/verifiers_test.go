package chaoskit

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/order"
)

// TestVerifiersReportAnEventIDTwiceWithBothOffsets: an event id in two
// orders' logs, each gapless on its own, is reported by the processor's
// verifier and by the saga's, naming where both are. Needs no test bed.
func TestVerifiersReportAnEventIDTwiceWithBothOffsets(t *testing.T) {
	const partitions = 6
	s := Serdes(t)
	event := func(orderID, eventID string, offset int64) *kgo.Record {
		v, err := s.Events.Encode(order.Event{ID: eventID, OrderID: orderID, Type: order.EvtOrderCreated, Seq: 1,
			Time: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC), ServiceID: order.ServiceID,
			Data: order.OrderCreated{CustomerID: "cust-1", OrderNumber: order.OrderNumber(orderID), Currency: "USD", InitialStatus: order.StatusDraft.Ref()}})
		require.NoError(t, err)
		return &kgo.Record{Key: []byte(orderID), Value: v, Partition: PartitionOf(orderID, partitions), Offset: offset}
	}
	events := []*kgo.Record{event("o-1", "evt-1", 4), event("o-2", "evt-2", 5), event("o-3", "evt-1", 9)}
	want := fmt.Sprintf("event id evt-1 twice on order.events: at %d@4 (order o-1) and at %d@9 (order o-3)",
		PartitionOf("o-1", partitions), PartitionOf("o-3", partitions))

	require.Equal(t, []string{want}, CheckEvents(s, partitions, events), "processor verifier")

	logs := NewOrderLogs(s, partitions)
	for _, r := range events {
		logs.Add(r)
	}
	require.Len(t, logs.Problems, 1, "saga verifier: %q", logs.Problems)
	require.True(t, strings.HasPrefix(logs.Problems[0], want), "saga verifier: %q, want it to start with %q", logs.Problems[0], want)
}

// TestSagaCommandOutcomesCountOnlyTheSagasOwnCommands: a customer's
// command refused on a saga run's order (its id also starts with "saga-")
// is not counted as the saga's. Needs no test bed.
func TestSagaCommandOutcomesCountOnlyTheSagasOwnCommands(t *testing.T) {
	s := Serdes(t)
	result := func(cmdID string, typ order.CommandType, status order.ResultStatus) *kgo.Record {
		v, err := s.Results.Encode(order.CommandResult{CommandID: cmdID, OrderID: "saga-s0001", CommandType: typ, Status: status,
			Code: order.CodeInvalidTransition, Version: 9, Time: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)})
		require.NoError(t, err)
		return &kgo.Record{Value: v}
	}
	counts, examples, problems := SagaCommandOutcomes(s, []*kgo.Record{
		result("saga-s0001-c6", order.CmdCancelOrder, order.ResultRejected),
		result("saga-saga-s0001-initiate-payment-1", order.CmdInitiatePayment, order.ResultRejected),
		result("saga-saga-s0001-reserve-1", order.CmdReserveInventory, order.ResultAccepted),
	})
	require.Empty(t, problems)
	require.Equal(t, map[string]int{"InitiatePayment REJECTED INVALID_TRANSITION": 1}, counts)
	require.Len(t, examples, 1)
}
