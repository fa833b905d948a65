package dashboard

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/projections"
)

type fakeReads struct {
	counters projections.Counters
	page     projections.Page
	err      error
	limit    int
}

func (f *fakeReads) Counters(context.Context) (projections.Counters, error) { return f.counters, f.err }

func (f *fakeReads) Orders(_ context.Context, _ string, limit int) (projections.Page, error) {
	f.limit = limit
	return f.page, nil
}

type fakeQueues struct {
	lag, dlq       int64
	lagErr, dlqErr error
}

func (f fakeQueues) ProjectionLag(context.Context) (int64, error) { return f.lag, f.lagErr }
func (f fakeQueues) DLQSize(context.Context) (int64, error)       { return f.dlq, f.dlqErr }

// countingQueues count records and answer an upper bound for the DLQ.
type countingQueues struct{ fakeQueues }

func (countingQueues) CountsRecords() bool { return true }
func (countingQueues) DLQSize(context.Context) (int64, error) {
	return 30000, &UpperBoundError{Value: 30000, Err: ErrTooLongToCount}
}

func ptr(n int64) *int64 { return &n }

func TestCollectSumsTheCountersAndReportsMissingQueueNumbers(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 4, 30, 0, time.FixedZone("CET", 3600))
	m1 := time.Date(2026, 11, 21, 9, 3, 0, 0, time.UTC)
	view := projections.View{State: order.State{OrderID: "o-1", CustomerID: "alice", Status: order.StatusPlaced,
		Currency: "EUR", Version: 3}, Totals: order.Totals{Total: 4200}}
	reads := &fakeReads{
		counters: projections.Counters{
			OrdersByStatus:  map[order.Status]int64{order.StatusPlaced: 2, order.StatusCancelled: 1},
			Revenue:         []projections.Revenue{{Currency: "EUR", Day: "2026-11-21", Amount: 4200}},
			EventsPerMinute: []projections.MinuteCount{{Minute: m1, ByType: map[order.EventType]int64{order.EvtOrderCreated: 2, order.EvtOrderStatusChanged: 3}}, {Minute: m1.Add(time.Minute), ByType: map[order.EventType]int64{}}},
		},
		page: projections.Page{Orders: []projections.View{view}},
	}
	for _, tc := range []struct {
		name     string
		queues   Queues
		lag, dlq *int64
		problems int
		unit     string
		charts   bool
	}{
		{name: "no queues configured", queues: nil, problems: 1},
		{name: "queues answer, no charts", queues: fakeQueues{lag: 7, dlq: 2}, lag: ptr(7), dlq: ptr(2), problems: 1, unit: "offsets"},
		{name: "queues and charts", queues: &Sampler{Queues: fakeQueues{lag: 7, dlq: 2}}, lag: ptr(7), dlq: ptr(2), unit: "offsets", charts: true},
		{name: "lag fails", queues: fakeQueues{lagErr: errors.New("group not found"), dlq: 2}, dlq: ptr(2), problems: 2, unit: "offsets"},
		{name: "both fail", queues: fakeQueues{lagErr: context.DeadlineExceeded, dlqErr: errors.New("no topic")}, problems: 3, unit: "offsets"},
		{name: "an upper bound is shown with its problem", queues: &Sampler{Queues: countingQueues{fakeQueues{lag: 0}}},
			lag: ptr(0), dlq: ptr(30000), problems: 1, unit: "records", charts: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Collect(context.Background(), reads, tc.queues, now)
			require.NoError(t, err)
			require.Equal(t, now.UTC(), s.At)
			require.Equal(t, RecentLimit, reads.limit)
			require.Len(t, s.OrdersByStatus, len(Statuses), "every status is present")
			require.Equal(t, int64(2), s.OrdersByStatus[order.StatusPlaced])
			require.Equal(t, int64(1), s.OrdersByStatus[order.StatusCancelled])
			require.Equal(t, int64(0), s.OrdersByStatus[order.StatusShipped])
			require.Equal(t, int64(3), s.TotalOrders)
			require.Equal(t, []Revenue{{Currency: "EUR", Day: "2026-11-21", Amount: 4200}}, s.Revenue)
			require.Len(t, s.EventsPerMinute, 2)
			require.Equal(t, int64(5), s.EventsPerMinute[0].Total)
			require.Equal(t, int64(0), s.EventsPerMinute[1].Total)
			require.Equal(t, []RecentOrder{{OrderID: "o-1", CustomerID: "alice", Status: order.StatusPlaced,
				Currency: "EUR", Total: 4200, Version: 3}}, s.RecentOrders)
			require.Equal(t, tc.lag, s.ProjectionLag)
			require.Equal(t, tc.dlq, s.DLQSize)
			require.Len(t, s.Problems, tc.problems, "%q", s.Problems)
			require.Equal(t, tc.unit, s.QueueUnit)
			require.Equal(t, tc.charts, s.Charts != nil)
		})
	}
}

func TestCollectFailsWhenRedisFails(t *testing.T) {
	_, err := Collect(context.Background(), &fakeReads{err: errors.New("connection refused")}, nil, time.Now())
	require.ErrorContains(t, err, "connection refused")
}
