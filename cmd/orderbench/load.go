package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/internal/benchload"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/schemas"
)

// stepsPerLifecycle is how many commands one lifecycle sends;
// eventsPerLifecycle how many events they emit.
const (
	stepsPerLifecycle  = benchload.Steps
	eventsPerLifecycle = benchload.Events
)

// interleave is how many orders' lifecycles are interleaved step by step:
// the command mix is the same all along a run (a warm-up that is only
// CreateOrders would be no warm-up), and many orders are in flight at once.
const interleave = 1000

// load is a command stream: JSON commands keyed by orderId, with their
// commandIds and the order ids in order of creation.
type load struct {
	recs   []*kgo.Record
	cmdIDs []string
	orders []string
}

// lifecycles returns the commands of enough order lifecycles for at least
// commands commands, in blocks of interleave orders, each block's orders
// interleaved step by step.
func lifecycles(prefix string, commands int) load {
	n := (commands + stepsPerLifecycle - 1) / stepsPerLifecycle
	l := load{recs: make([]*kgo.Record, 0, n*stepsPerLifecycle), cmdIDs: make([]string, 0, n*stepsPerLifecycle)}
	for b := 0; b < n; b += interleave {
		block := make([][]order.Command, 0, interleave)
		for i := b; i < min(b+interleave, n); i++ {
			id := fmt.Sprintf("%s-%07d", prefix, i)
			block = append(block, benchload.Lifecycle(id))
			l.orders = append(l.orders, id)
		}
		for s := range stepsPerLifecycle {
			for _, cmds := range block {
				c := cmds[s]
				v, err := schemas.CommandJSON(c)
				if err != nil {
					panic(fmt.Sprintf("encode %s: %v", c.ID, err))
				}
				l.recs = append(l.recs, &kgo.Record{Key: []byte(c.OrderID), Value: v})
				l.cmdIDs = append(l.cmdIDs, c.ID)
			}
		}
	}
	return l
}

// schedule paces an open-loop load: item i is due at start + i/rate. A
// rate of 0 means every item is due at once.
type schedule struct {
	start time.Time
	rate  float64
}

func (s schedule) due(i int) time.Time {
	if s.rate <= 0 {
		return s.start
	}
	return s.start.Add(time.Duration(float64(i) / s.rate * float64(time.Second)))
}

// wait sleeps until item i is due, in small bursts: sleeping per item would
// cap the rate at the timer's resolution. It returns the time to measure
// item i's latency from: when it was handed over if that was early, when
// it was due if the load fell behind (a late send is charged to the system,
// not hidden: no coordinated omission).
func (s schedule) wait(i int) time.Time {
	due := s.due(i)
	if d := time.Until(due); d > 2*time.Millisecond {
		time.Sleep(d)
	}
	if now := time.Now(); now.Before(due) || s.rate <= 0 {
		return now
	}
	return due
}

// produce sends recs to topic on the schedule, calling sent with each
// record's index and the time its latency counts from, just before it is
// handed to the client. It returns once every record is acknowledged.
func produce(ctx context.Context, cl *kgo.Client, topic string, recs []*kgo.Record, sch schedule, sent func(i int, at time.Time)) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for i, r := range recs {
		at := sch.wait(i)
		r.Topic = topic
		wg.Add(1)
		sent(i, at)
		cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
			defer wg.Done()
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
		if ctx.Err() != nil {
			break
		}
	}
	wg.Wait()
	if firstErr != nil {
		return fmt.Errorf("produce to %s: %w", topic, firstErr)
	}
	return ctx.Err()
}

// fixedRate is a load at a fixed rate: warm-up seconds whose samples are
// dropped, then the measured seconds.
type fixedRate struct {
	rate          float64
	warm, measure time.Duration
}

func (f fixedRate) items() int { return int(f.rate * (f.warm + f.measure).Seconds()) }

// counts reports whether an item sent at at (a run started at start) is
// past the warm-up.
func (f fixedRate) counts(start, at time.Time) bool { return at.Sub(start) >= f.warm }
