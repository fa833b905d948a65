package stream

import (
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// core is what a batch needs of the runtime, without Kafka: the member and
// the Tester share it.
type core[S, I any] struct {
	top         Topology[S, I]
	inputs      map[string]Input[I]
	outputs     map[string]bool
	limits      Limits
	stores      *stores[S]
	partitionOf func(key []byte) int32
	log         *slog.Logger
	quarantine  *quarantine
}

func newCore[S, I any](top Topology[S, I], log *slog.Logger) (*core[S, I], error) {
	if err := top.validate(); err != nil {
		return nil, err
	}
	c := &core[S, I]{top: top, inputs: map[string]Input[I]{}, outputs: map[string]bool{}, stores: newStores(top.Due, top.State.Decode, top.State.Decoded),
		log: log, quarantine: newQuarantine(), limits: NewLimits(DefaultMaxRecordBytes, nil)}
	for _, in := range top.Inputs {
		c.inputs[in.Topic] = in
	}
	for _, o := range top.Outputs {
		c.outputs[o] = true
	}
	return c, nil
}

func (t Topology[S, I]) validate() error {
	switch {
	case t.Name == "":
		return fmt.Errorf("stream: the topology has no name")
	case len(t.Inputs) == 0:
		return fmt.Errorf("stream %s: no inputs", t.Name)
	case t.Handle == nil:
		return fmt.Errorf("stream %s: no handler", t.Name)
	case t.State.Topic == "" || t.State.Encode == nil || t.State.Decode == nil:
		return fmt.Errorf("stream %s: the state changelog needs a topic and a codec", t.Name)
	case t.State.Decoded < 0 || t.State.Decoded > 0 && t.Due != nil:
		return fmt.Errorf("stream %s: State.Decoded must be 0, or positive for a topology without timers", t.Name)
	case t.DeadLetters == "":
		return fmt.Errorf("stream %s: no dead-letter topic", t.Name)
	}
	for _, in := range t.Inputs {
		if in.Topic == "" || in.Decode == nil {
			return fmt.Errorf("stream %s: every input needs a topic and a decoder", t.Name)
		}
	}
	return nil
}

// topics lists every topic the member writes to: outputs, changelog, dead
// letters, and the inputs (re-routing).
// written is the topics a member writes: its outputs, its changelog and
// its dead letters.
func (t Topology[S, I]) written() []string {
	out := slices.Clone(t.Outputs)
	for _, n := range []string{t.State.Topic, t.DeadLetters} {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func (t Topology[S, I]) topics() []string {
	seen := map[string]bool{}
	var out []string
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, in := range t.Inputs {
		add(in.Topic)
	}
	for _, o := range t.Outputs {
		add(o)
	}
	add(t.State.Topic)
	add(t.DeadLetters)
	return out
}

// step is how an input is handled: each isolation moves it one step up.
type step int

const (
	stepHandle     step = iota // decode and Handle
	stepRefuse                 // Refuse instead of Handle
	stepDeadLetter             // dead-letter the record whole
	stepTruncate               // dead-letter a truncated copy
	stepSkip                   // write nothing but an error log
)

func (s step) String() string {
	return [...]string{"handle", "refuse", "dead-letter", "dead-letter truncated", "skip"}[s]
}

type coord struct {
	topic     string
	partition int32
	offset    int64
}

func coordOf(r *kgo.Record) coord { return coord{r.Topic, r.Partition, r.Offset} }

// quarantine remembers the inputs that made a transaction fail and the
// step they are handled at now, until they are committed or their
// partition goes away.
type quarantine struct {
	mu    sync.Mutex
	m     map[coord]isolated
	n     atomic.Int64 // len(m)+len(timers), read without the lock on the hot path
	timer map[timerKey]time.Time
}

// timerKey names a key's timer on a partition.
type timerKey struct {
	partition int32
	key       string
}

type isolated struct {
	step   step
	reason string
}

func newQuarantine() *quarantine {
	return &quarantine{m: map[coord]isolated{}, timer: map[timerKey]time.Time{}}
}

func (q *quarantine) count() { q.n.Store(int64(len(q.m) + len(q.timer))) }

// holdTimer holds the timer of key due at due.
func (q *quarantine) holdTimer(p int32, key string, due time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.timer[timerKey{p, key}] = due
	q.count()
}

// timerHeld reports whether the timer of key due at due is held; a hold of
// another due time (an input moved the timer) is released.
func (q *quarantine) timerHeld(p int32, key string, due time.Time) bool {
	if q.n.Load() == 0 {
		return false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	k := timerKey{p, key}
	held, ok := q.timer[k]
	if ok && !held.Equal(due) {
		delete(q.timer, k)
		q.count()
		return false
	}
	return ok
}

func (q *quarantine) get(c coord) (isolated, bool) {
	if q.n.Load() == 0 {
		return isolated{}, false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	v, ok := q.m[c]
	return v, ok
}

// raise moves c to at least step s, keeping the first reason.
func (q *quarantine) raise(c coord, s step, reason string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	v, ok := q.m[c]
	if !ok {
		v.reason = reason
	}
	v.step = max(v.step, s)
	q.m[c] = v
	q.count()
}

// done forgets the records of a committed batch.
func (q *quarantine) done(cs []coord) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, c := range cs {
		delete(q.m, c)
	}
	q.count()
}

// forget drops every entry of the partitions (revoked or lost).
func (q *quarantine) forget(parts []int32) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for c := range q.m {
		for _, p := range parts {
			if c.partition == p {
				delete(q.m, c)
			}
		}
	}
	for k := range q.timer {
		if slices.Contains(parts, k.partition) {
			delete(q.timer, k)
		}
	}
	q.count()
}

func (q *quarantine) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.m)
}

// wallClock stamps records whose handler gave no time: the real time, never
// a batch's Now, which tests move, while the broker refuses timestamps far
// from its own (message.timestamp.after.max.ms, 1 h by default since Kafka 4).
func wallClock() time.Time { return time.Now() }
