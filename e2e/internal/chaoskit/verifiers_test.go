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
