package failover

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/e2e/internal/chaoskit"
	"github.com/orderlog/orderlog/processor"
)

// sample is one command's wait: handed to the producer, result read.
type sample struct{ sent, answered time.Time }

func (s sample) wait() time.Duration { return s.answered.Sub(s.sent) }

// clock times every command from its send to its result. A command id sent
// twice (a planned resend) is answered twice, in order.
type clock struct {
	mu      sync.Mutex
	sent    map[string][]time.Time
	samples []sample
	answers int
}

func newClock() *clock { return &clock{sent: map[string][]time.Time{}} }

func (c *clock) onSend(p *chaoskit.Planned, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent[p.Cmd.ID] = append(c.sent[p.Cmd.ID], at)
}

func (c *clock) onResult(id string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.answers++
	q := c.sent[id]
	if len(q) == 0 {
		return // a result read before its send was noted: not timed
	}
	c.samples = append(c.samples, sample{sent: q[0], answered: at})
	c.sent[id] = q[1:]
}

func (c *clock) answered() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.answers
}

// follow reads topic's results read_committed from the start until ctx
// ends, timing each.
func (c *clock) follow(ctx context.Context, brokers []string, topic string, s processor.Serdes) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxWait(50*time.Millisecond))
	if err != nil {
		return err
	}
	go func() {
		defer cl.Close()
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			now := time.Now()
			fs.EachRecord(func(r *kgo.Record) {
				if res, err := s.Results.Decode(r.Value); err == nil {
					c.onResult(res.CommandID, now)
				}
			})
		}
	}()
	return nil
}

// window is the figures of the commands sent in [from, to).
type window struct {
	name          string
	from, to      time.Time
	fault         time.Time
	n             int
	p50, p99, max time.Duration
	// raised is how long after the fault commands still waited more than
	// a second: the last such answer's time minus the fault's.
	raised time.Duration
}

func (c *clock) window(name string, fault, from, to time.Time) window {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := window{name: name, fault: fault, from: from, to: to}
	var waits []time.Duration
	for _, s := range c.samples {
		if s.sent.Before(from) || !s.sent.Before(to) {
			continue
		}
		waits = append(waits, s.wait())
		if s.wait() > time.Second {
			w.raised = max(w.raised, s.answered.Sub(fault))
		}
	}
	if len(waits) == 0 {
		return w
	}
	slices.Sort(waits)
	w.n = len(waits)
	w.p50 = waits[len(waits)/2]
	w.p99 = waits[min(len(waits)-1, len(waits)*99/100)]
	w.max = waits[len(waits)-1]
	return w
}

func (w window) String() string {
	return fmt.Sprintf("%-28s %6d commands  p50 %7s  p99 %7s  max %7s  waits >1s until %s after the fault",
		w.name, w.n, ms(w.p50), ms(w.p99), ms(w.max), ms(w.raised))
}

func ms(d time.Duration) string { return d.Round(time.Millisecond).String() }
