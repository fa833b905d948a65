package brokerchaos

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

// waits records when each command was sent and when its result was
// committed, to tell how long commands waited during a fault.
type waits struct {
	mu   sync.Mutex
	sent map[string]time.Time // command id → first send (resends are not timed)
	got  map[string]time.Time // command id → first result seen (read_committed)
}

func newWaits() *waits {
	return &waits{sent: map[string]time.Time{}, got: map[string]time.Time{}}
}

// onSend is the load's hook.
func (w *waits) onSend(p *chaoskit.Planned, at time.Time) {
	if p.Resend {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.sent[p.Cmd.ID]; !ok {
		w.sent[p.Cmd.ID] = at
	}
}

// follow notes the first result of every command on topic, read_committed,
// until ctx is done.
func (w *waits) follow(ctx context.Context, brokers []string, topic string, s processor.Serdes) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		return err
	}
	go func() {
		defer cl.Close()
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			now := time.Now()
			w.mu.Lock()
			fs.EachRecord(func(r *kgo.Record) {
				if res, err := s.Results.Decode(r.Value); err == nil {
					if _, ok := w.got[res.CommandID]; !ok {
						w.got[res.CommandID] = now
					}
				}
			})
			w.mu.Unlock()
		}
	}()
	return nil
}

// span is a stretch of the run: a fault, from its start until the cluster
// was whole again.
type span struct {
	name     string
	from, to time.Time
}

// stats are the waits of the commands sent within a span.
type stats struct {
	n, unanswered int
	p50, p99, max time.Duration
}

func (s stats) String() string {
	return fmt.Sprintf("%d commands: p50 %s, p99 %s, max %s, %d unanswered", s.n,
		s.p50.Round(time.Millisecond), s.p99.Round(time.Millisecond), s.max.Round(time.Millisecond), s.unanswered)
}

// within returns the waits of the commands sent in [from, to]; with
// outside, those sent outside every span of others instead.
func (w *waits) within(sp span) stats {
	return w.stats(func(at time.Time) bool { return !at.Before(sp.from) && !at.After(sp.to) })
}

func (w *waits) outside(spans []span) stats {
	return w.stats(func(at time.Time) bool {
		for _, sp := range spans {
			if !at.Before(sp.from) && !at.After(sp.to) {
				return false
			}
		}
		return true
	})
}

func (w *waits) stats(in func(time.Time) bool) stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	var ds []time.Duration
	var st stats
	for id, at := range w.sent {
		if !in(at) {
			continue
		}
		got, ok := w.got[id]
		if !ok {
			st.unanswered++
			continue
		}
		ds = append(ds, got.Sub(at))
	}
	st.n = len(ds) + st.unanswered
	if len(ds) == 0 {
		return st
	}
	slices.Sort(ds)
	st.p50 = ds[len(ds)/2]
	st.p99 = ds[min(len(ds)-1, len(ds)*99/100)]
	st.max = ds[len(ds)-1]
	return st
}
