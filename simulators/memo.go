package simulators

import (
	"hash/fnv"
	"math/rand/v2"
	"sync"
	"time"
)

// memo remembers, for the last limit requestIds of one system, how often
// each was tried and its first final answer (OK or FAILED). A dropped or
// UNAVAILABLE request is not final: its retry is a fresh try with fresh
// dice, as with a real system that lost or refused it.
type memo struct {
	mu      sync.Mutex
	limit   int
	entries map[string]*memoEntry
	ring    []string // requestIds in the order first seen, for eviction
	next    int
}

type memoEntry struct {
	tries uint64
	first []answer // nil until a final answer
}

func newMemo(limit int) *memo {
	return &memo{limit: limit, entries: make(map[string]*memoEntry)}
}

// begin returns the first final answer of requestID if there is one, and
// otherwise counts a new try and returns its number (0 for the first).
func (m *memo) begin(requestID string) (first []answer, try uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[requestID]
	if !ok {
		e = &memoEntry{}
		m.add(requestID, e)
	}
	if e.first != nil {
		return e.first, e.tries
	}
	try = e.tries
	e.tries++
	return nil, try
}

// remember stores the final answer of requestID.
func (m *memo) remember(requestID string, first []answer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.entries[requestID]; ok && e.first == nil {
		e.first = first
	}
}

// add inserts e, forgetting the oldest requestId when full; the caller
// holds mu.
func (m *memo) add(requestID string, e *memoEntry) {
	if m.limit <= 0 {
		return
	}
	if len(m.ring) < m.limit {
		m.ring = append(m.ring, requestID)
	} else {
		delete(m.entries, m.ring[m.next])
		m.ring[m.next] = requestID
		m.next = (m.next + 1) % m.limit
	}
	m.entries[requestID] = e
}

// dice returns the random source of one try of one request: it depends on
// the seed, the system, the requestId and the try only, so a run is
// reproducible whatever order the requests arrive in.
func dice(seed int64, system, requestID string, try uint64) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(system))
	h.Write([]byte{0})
	h.Write([]byte(requestID))
	return rand.New(rand.NewPCG(uint64(seed), h.Sum64()^(try*0x9e3779b97f4a7c15)))
}

// verdict is what a Behavior makes of one try.
type verdict int

const (
	verdictAnswer verdict = iota
	verdictDrop
	verdictUnavailable
	verdictFail
)

// roll draws the verdict of one try. The caller answers verdictFail as OK
// for actions that are never refused.
func (b Behavior) roll(r *rand.Rand) verdict {
	// Always three draws, so the draws after them do not depend on the rates.
	drop, unavailable, fail := r.Float64(), r.Float64(), r.Float64()
	switch {
	case drop < b.DropRate:
		return verdictDrop
	case unavailable < b.UnavailableRate:
		return verdictUnavailable
	case fail < b.FailureRate:
		return verdictFail
	}
	return verdictAnswer
}

// draw returns a latency in [Min, Max].
func (l Latency) draw(r *rand.Rand) time.Duration {
	if l.Max <= l.Min {
		return l.Min
	}
	return l.Min + time.Duration(r.Int64N(int64(l.Max-l.Min)+1))
}
