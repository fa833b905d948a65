package dashboard

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/projections"
)

// Reads is what a snapshot needs from the read models; *projections.Reader
// has it.
type Reads interface {
	Counters(ctx context.Context) (projections.Counters, error)
	Orders(ctx context.Context, cursor string, limit int) (projections.Page, error)
}

// Queues reports the numbers that live in Kafka, not Redis. KafkaQueues is
// the real one.
type Queues interface {
	// ProjectionLag is how many records of order.events the projector
	// group has yet to commit, summed over partitions.
	ProjectionLag(ctx context.Context) (int64, error)
	// DLQSize is how many records order.commands.dlq holds, summed over
	// partitions. An *UpperBoundError carries a number that is only an
	// upper bound (the page shows it, with the problem).
	DLQSize(ctx context.Context) (int64, error)
}

// Snapshot is the body of GET /api/v1/dashboard: every number the page
// shows, read at At.
type Snapshot struct {
	At time.Time `json:"at"`
	// OrdersByStatus counts orders per current status; every status is
	// present, 0 included.
	OrdersByStatus map[order.Status]int64 `json:"ordersByStatus"`
	TotalOrders    int64                  `json:"totalOrders"`
	// Revenue is captured minus refunded money per currency and UTC day,
	// in minor units, oldest day first.
	Revenue []Revenue `json:"revenue"`
	// EventsPerMinute is the last hour, one entry per UTC minute, oldest
	// first (minutes without events are 0).
	EventsPerMinute []Minute      `json:"eventsPerMinute"`
	RecentOrders    []RecentOrder `json:"recentOrders"`
	// ProjectionLag and DLQSize are null when unknown; Problems says why.
	ProjectionLag *int64 `json:"projectionLag"`
	DLQSize       *int64 `json:"dlqSize"`
	// QueueUnit says what lag and DLQ size count: "records", or "offsets"
	// (transaction markers included) from Queues that cannot count.
	QueueUnit string `json:"queueUnit"`
	// Charts are commands/s, p99 command→result and projection lag over
	// the last hour, as this API process sampled them (Sampler); null
	// without a sampler, and Problems says so.
	Charts   *Charts  `json:"charts"`
	Problems []string `json:"problems"`
}

// Counter is implemented by Queues that count records, not offsets.
type Counter interface {
	CountsRecords() bool
}

// Revenue is one currency's net takings on one UTC day, in minor units.
type Revenue struct {
	Currency string `json:"currency"`
	Day      string `json:"day"`
	Amount   int64  `json:"amount"`
}

// Minute is the events stamped in one UTC minute.
type Minute struct {
	Minute time.Time                 `json:"minute"`
	Total  int64                     `json:"total"`
	ByType map[order.EventType]int64 `json:"byType"`
}

// RecentOrder is one line of the recent orders table.
type RecentOrder struct {
	OrderID    string       `json:"orderId"`
	CustomerID string       `json:"customerId"`
	Status     order.Status `json:"status"`
	Currency   string       `json:"currency"`
	Total      int64        `json:"total"`
	Version    int64        `json:"version"`
	CreatedAt  time.Time    `json:"createdAt"`
	UpdatedAt  time.Time    `json:"updatedAt"`
}

// Statuses are the statuses the page shows, in lifecycle order.
var Statuses = []order.Status{order.StatusDraft, order.StatusPlaced, order.StatusConfirmed, order.StatusShipped,
	order.StatusDelivered, order.StatusCancelled, order.StatusReturnRequested, order.StatusReturned}

// RecentLimit is how many recent orders a snapshot holds.
const RecentLimit = 10

// Collect reads a snapshot: the counters and recent orders from Redis
// (an error there fails it), the lag and DLQ size from queues (nil, or an
// error there, leaves them null with a problem noted).
func Collect(ctx context.Context, reads Reads, queues Queues, now time.Time) (Snapshot, error) {
	c, err := reads.Counters(ctx)
	if err != nil {
		return Snapshot{}, fmt.Errorf("dashboard: %w", err)
	}
	pg, err := reads.Orders(ctx, "", RecentLimit)
	if err != nil {
		return Snapshot{}, fmt.Errorf("dashboard: recent orders: %w", err)
	}
	s := Snapshot{At: now.UTC(), OrdersByStatus: map[order.Status]int64{}, Revenue: []Revenue{},
		EventsPerMinute: []Minute{}, RecentOrders: []RecentOrder{}, Problems: []string{}}
	for _, st := range Statuses {
		s.OrdersByStatus[st] = 0
	}
	for st, n := range c.OrdersByStatus {
		s.OrdersByStatus[st] = n
		s.TotalOrders += n
	}
	for _, r := range c.Revenue {
		s.Revenue = append(s.Revenue, Revenue{Currency: r.Currency, Day: r.Day, Amount: r.Amount})
	}
	for _, m := range c.EventsPerMinute {
		mm := Minute{Minute: m.Minute.UTC(), ByType: m.ByType}
		for _, n := range m.ByType {
			mm.Total += n
		}
		s.EventsPerMinute = append(s.EventsPerMinute, mm)
	}
	for _, v := range pg.Orders {
		s.RecentOrders = append(s.RecentOrders, RecentOrder{OrderID: v.OrderID, CustomerID: v.CustomerID,
			Status: v.Status, Currency: v.Currency, Total: v.Totals.Total, Version: v.Version,
			CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt})
	}
	if queues == nil {
		s.Problems = append(s.Problems, "projection lag and DLQ size: no Kafka admin configured for the dashboard")
		return s, nil
	}
	if cs, ok := queues.(ChartSource); ok {
		c := cs.Charts(now)
		s.Charts = &c
	} else {
		s.Problems = append(s.Problems, "charts: this API process samples nothing (no dashboard.Sampler configured)")
	}
	s.QueueUnit = "offsets"
	if c, ok := queues.(Counter); ok && c.CountsRecords() {
		s.QueueUnit = "records"
	}
	s.ProjectionLag = s.queueNumber(ctx, "projection lag", queues.ProjectionLag)
	s.DLQSize = s.queueNumber(ctx, "DLQ size", queues.DLQSize)
	return s, nil
}

func (s *Snapshot) queueNumber(ctx context.Context, what string, f func(context.Context) (int64, error)) *int64 {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	n, err := f(ctx)
	var ub *UpperBoundError
	if errors.As(err, &ub) {
		s.Problems = append(s.Problems, what+": "+ub.Error())
		return &ub.Value
	}
	if err != nil {
		msg := err.Error()
		if errors.Is(err, context.DeadlineExceeded) {
			msg = "Kafka did not answer within 2s"
		}
		s.Problems = append(s.Problems, what+": "+msg)
		return nil
	}
	return &n
}
