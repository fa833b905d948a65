package chaoskit

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/processor"
)

// Waits records when each command was sent and when its result was read
// (read_committed), to tell how long commands waited during a fault.
// Resends are not timed: a command id is timed from its first send to its
// first result.
type Waits struct {
	mu   sync.Mutex
	sent map[string]time.Time
	got  map[string]time.Time
}

// NewWaits is an empty record; pass its OnSend to StartTimedLoad and call
// Follow.
func NewWaits() *Waits {
	return &Waits{sent: map[string]time.Time{}, got: map[string]time.Time{}}
}

// OnSend is the load's hook.
func (w *Waits) OnSend(p *Planned, at time.Time) {
	if p.Resend {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.sent[p.Cmd.ID]; !ok {
		w.sent[p.Cmd.ID] = at
	}
}

// Follow notes the first result of every command on topic, read_committed
// from the start, until ctx is done.
func (w *Waits) Follow(ctx context.Context, brokers []string, topic string, s processor.Serdes) error {
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

// Answered is how many commands have their first result.
func (w *Waits) Answered() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.got)
}

// Stats are the waits of some commands.
type Stats struct {
	N, Unanswered int
	P50, P99, Max time.Duration
	// LastSlow is when the last of them that waited more than a second
	// was answered (zero: none did).
	LastSlow time.Time
}

func (s Stats) String() string {
	return fmt.Sprintf("%d commands: p50 %s, p99 %s, max %s, %d unanswered", s.N,
		s.P50.Round(time.Millisecond), s.P99.Round(time.Millisecond), s.Max.Round(time.Millisecond), s.Unanswered)
}

// Within is the waits of the commands sent in [from, to).
func (w *Waits) Within(from, to time.Time) Stats {
	return w.Stats(func(at time.Time) bool { return !at.Before(from) && at.Before(to) })
}

// Stats is the waits of the commands whose send time in reports.
func (w *Waits) Stats(in func(sent time.Time) bool) Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	var ds []time.Duration
	var st Stats
	for id, at := range w.sent {
		if !in(at) {
			continue
		}
		got, ok := w.got[id]
		if !ok {
			st.Unanswered++
			continue
		}
		d := got.Sub(at)
		ds = append(ds, d)
		if d > time.Second && got.After(st.LastSlow) {
			st.LastSlow = got
		}
	}
	st.N = len(ds) + st.Unanswered
	if len(ds) == 0 {
		return st
	}
	slices.Sort(ds)
	st.P50 = ds[len(ds)/2]
	st.P99 = ds[min(len(ds)-1, len(ds)*99/100)]
	st.Max = ds[len(ds)-1]
	return st
}
