package chaoskit

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/processor"
)

// OrderLogs folds order.events, read read_committed, into every order's
// state with order.Evolve, and notes what no log may contain: a gap or a
// repeat in an order's sequence numbers, an event id seen twice (in any
// orders; both offsets reported), an event off its order's key or
// partition.
type OrderLogs struct {
	serdes   processor.Serdes
	parts    int
	Orders   map[string]*OrderLog
	ids      EventIDs
	Problems []string
	Events   int
}

// OrderLog is one order's fold and its events.
type OrderLog struct {
	State  order.State
	Events []order.Event
}

// NewOrderLogs is an empty fold of a topic set with parts partitions.
func NewOrderLogs(s processor.Serdes, parts int) *OrderLogs {
	return &OrderLogs{serdes: s, parts: parts, Orders: map[string]*OrderLog{}, ids: EventIDs{}}
}

// Order is the log of id, empty when it has no events.
func (l *OrderLogs) Order(id string) *OrderLog {
	if o := l.Orders[id]; o != nil {
		return o
	}
	return &OrderLog{}
}

// Add folds one record of order.events.
func (l *OrderLogs) Add(r *kgo.Record) {
	e, err := l.serdes.Events.Decode(r.Value)
	if err != nil {
		l.Problems = append(l.Problems, fmt.Sprintf("event at %d@%d: %v", r.Partition, r.Offset, err))
		return
	}
	l.Events++
	o := l.Orders[e.OrderID]
	if o == nil {
		o = &OrderLog{}
		l.Orders[e.OrderID] = o
	}
	if want := o.State.Version + 1; e.Seq != want {
		kind := "a gap"
		if e.Seq <= o.State.Version {
			kind = "a duplicate"
		}
		l.Problems = append(l.Problems, fmt.Sprintf("order %s: event %s (%s, caused by %s) at %d@%d has seq %d, want %d: %s",
			e.OrderID, e.ID, e.Type, e.CausationID, r.Partition, r.Offset, e.Seq, want, kind))
	}
	at := EventAt{OrderID: e.OrderID, Partition: r.Partition, Offset: r.Offset}
	if first, again := l.ids.Note(e.ID, at); again {
		l.Problems = append(l.Problems, fmt.Sprintf("event id %s twice on order.events: at %s and at %s (%s, seq %d)", e.ID, first, at, e.Type, e.Seq))
	}
	if string(r.Key) != e.OrderID || r.Partition != PartitionOf(e.OrderID, l.parts) {
		l.Problems = append(l.Problems, fmt.Sprintf("order %s: event %s with key %q on partition %d", e.OrderID, e.ID, r.Key, r.Partition))
	}
	o.State = order.Evolve(o.State, e)
	o.Events = append(o.Events, e)
}

// Follower reads a topic read_committed from its start and hands each
// record to its add function, under Mu, until its context is done. Hold
// Mu to read what add builds.
type Follower struct{ Mu sync.Mutex }

// Follow starts a Follower of topic.
func Follow(ctx context.Context, brokers []string, topic string, add func(*kgo.Record)) (*Follower, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		return nil, err
	}
	f := &Follower{}
	go func() {
		defer cl.Close()
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			f.Mu.Lock()
			fs.EachRecord(add)
			f.Mu.Unlock()
		}
	}()
	return f, nil
}

// Settled says whether an order has come to rest: terminal (DELIVERED,
// RETURNED, or CANCELLED with every captured cent refunded and no stock
// held), or explicitly waiting (CONFIRMED or SHIPPED and held for approval,
// flagged for review — the saga flags an order (SHIPMENT_FAILED,
// SHIPMENT_OVERDUE, COMPENSATION_FAILED) when it gives up on a step and
// hands it to a person —, or waiting for backordered units with nothing
// else in flight). Otherwise it says what it still waits for.
func Settled(o *OrderLog) (bool, string) {
	s := o.State
	switch s.Status {
	case order.StatusDelivered, order.StatusReturned:
		return true, string(s.Status)
	case order.StatusCancelled:
		var why []string
		if s.Payment.Captured != s.Payment.Refunded {
			if refundHandedOver(o) {
				return true, "CANCELLED, refund handed to a person (COMPENSATION_FAILED)"
			}
			why = append(why, fmt.Sprintf("captured %d, refunded %d", s.Payment.Captured, s.Payment.Refunded))
		}
		if len(s.Reservations) > 0 {
			why = append(why, fmt.Sprintf("holds %d reservations", len(s.Reservations)))
		}
		if len(why) > 0 {
			return false, "CANCELLED, " + strings.Join(why, ", ")
		}
		return true, "CANCELLED"
	case order.StatusConfirmed, order.StatusShipped:
		if s.AwaitingApproval() {
			return true, string(s.Status) + ", held for approval"
		}
		for _, f := range s.Flags {
			if !f.RequiresApproval {
				return true, string(s.Status) + ", flagged " + f.Code
			}
		}
		if backordered(s) > 0 && unshippedReserved(s) == 0 {
			return true, string(s.Status) + ", waiting for backordered units"
		}
		return false, fmt.Sprintf("%s, no hold: %d units reserved and not shipped, %d backordered, undelivered shipments %v, cancellation requested %v",
			s.Status, unshippedReserved(s), backordered(s), s.UndeliveredShipments(), s.CancellationRequested)
	case order.StatusNone:
		return false, "no events"
	default:
		return false, string(s.Status)
	}
}

// refundHandedOver reports whether the saga gave up on a compensation (a
// refund, a void) and said so: a COMPENSATION_FAILED flag, or an admin note
// on a cancelled order (flags are refused there).
func refundHandedOver(o *OrderLog) bool {
	for _, f := range o.State.Flags {
		if f.Code == "COMPENSATION_FAILED" {
			return true
		}
	}
	for _, n := range o.State.Notes {
		if n.Admin && strings.HasPrefix(n.Text, "COMPENSATION_FAILED") {
			return true
		}
	}
	return false
}

func backordered(s order.State) int64 {
	var n int64
	for _, l := range s.Lines {
		n += l.Backordered
	}
	return n
}

func unshippedReserved(s order.State) int64 {
	var n int64
	for _, l := range s.Lines {
		n += max(0, s.Reserved(l.ProductID)-s.Shipped(l.ProductID))
	}
	return n
}

// Describe is an order's status and its last events, for a failure
// message.
func (o *OrderLog) Describe(last int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "status %s, version %d, payment %s captured %d refunded %d; last events:",
		o.State.Status, o.State.Version, o.State.Payment.Status, o.State.Payment.Captured, o.State.Payment.Refunded)
	for _, e := range o.Events[max(0, len(o.Events)-last):] {
		fmt.Fprintf(&b, "\n      #%d %s (by %s)%s", e.Seq, e.Type, e.CausationID, eventDetail(e))
	}
	return b.String()
}

func eventDetail(e order.Event) string {
	switch d := e.Data.(type) {
	case order.OrderStatusChanged:
		return fmt.Sprintf(": %s -> %s", d.PreviousStatus.Name, d.NewStatus.Name)
	case order.OrderCancelled:
		return ": " + d.Reason
	case order.OrderFlagged:
		return ": " + d.Code + " " + d.Reason
	case order.AdminNoteAdded:
		return ": " + d.Text
	case order.PaymentFailed:
		return ": " + d.Reason
	case order.ShipmentDispatched:
		return ": " + d.ShipmentID
	case order.OrderDelivered:
		return ": " + d.ShipmentID
	}
	return ""
}
