package chaoskit

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Load sends records from a goroutine: Sent counts them, Done is closed
// when the last is flushed (or the context ends), Err says what failed.
type Load struct {
	Sent atomic.Int64
	Done chan struct{}
	mu   sync.Mutex
	err  error
}

// NewLoad is a Load for a sender of its own (one that keeps its own
// schedule): it calls Fail, adds to Sent and closes Done.
func NewLoad() *Load { return &Load{Done: make(chan struct{})} }

// StartLoad sends p.Sends over about d, keyed by orderId with kgo's default
// partitioner (murmur2, as the Java client).
func StartLoad(ctx context.Context, cl *kgo.Client, topic string, p *Plan, d time.Duration) *Load {
	return StartTimedLoad(ctx, cl, topic, p, d, nil)
}

// StartTimedLoad is StartLoad calling onSend (when not nil), from the
// load's goroutine, with each record and the time it was handed to the
// client: where a command's wait for its result begins.
func StartTimedLoad(ctx context.Context, cl *kgo.Client, topic string, p *Plan, d time.Duration, onSend func(*Planned, time.Time)) *Load {
	const tick = 20 * time.Millisecond
	chunk := max(1, int(int64(len(p.Sends))*int64(tick)/int64(d))+1)
	ld := NewLoad()
	go func() {
		defer close(ld.Done)
		t := time.NewTicker(tick)
		defer t.Stop()
		for i := 0; i < len(p.Sends); i += chunk {
			select {
			case <-ctx.Done():
				ld.Fail(ctx.Err())
				return
			case <-t.C:
			}
			for _, s := range p.Sends[i:min(i+chunk, len(p.Sends))] {
				if onSend != nil {
					onSend(s, time.Now())
				}
				ld.send(ctx, cl, topic, s.Cmd.OrderID, s.Value)
			}
		}
		if err := cl.Flush(ctx); err != nil {
			ld.Fail(err)
		}
	}()
	return ld
}

// send produces one command record keyed by its order and counts it; a
// failed produce fails the load.
func (ld *Load) send(ctx context.Context, cl *kgo.Client, topic, orderID string, value []byte) {
	cl.Produce(ctx, &kgo.Record{Topic: topic, Key: []byte(orderID), Value: value}, func(_ *kgo.Record, err error) {
		if err != nil {
			ld.Fail(err)
		}
	})
	ld.Sent.Add(1)
}

// Fail records the first error of the load.
func (ld *Load) Fail(err error) {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	if ld.err == nil {
		ld.err = fmt.Errorf("load: %w", err)
	}
}

// Err is the first error of the load, or nil.
func (ld *Load) Err() error {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	return ld.err
}
