package saga

import (
	"sync"
	"time"

	"github.com/orderlog/orderlog/fulfillment"
)

// key names one order on one partition.
type key struct {
	partition int32
	orderID   string
}

// part is the saga state of the orders of one owned partition, and when
// each order's next timer is due.
type part struct {
	states   map[string]fulfillment.State
	due      map[string]time.Time
	restored bool
}

// stores holds the partitions this member owns.
type stores struct {
	mu    sync.Mutex
	parts map[int32]*part
}

func newStores() *stores { return &stores{parts: map[int32]*part{}} }

func (s *stores) assign(ps []int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range ps {
		s.parts[p] = &part{states: map[string]fulfillment.State{}, due: map[string]time.Time{}}
	}
}

func (s *stores) drop(ps []int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range ps {
		delete(s.parts, p)
	}
}

func (s *stores) dropAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.parts)
}

// get returns the state of k and whether its partition is owned.
func (s *stores) get(k key) (fulfillment.State, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.parts[k.partition]
	if !ok {
		return fulfillment.State{}, false
	}
	return p.states[k.orderID], true
}

// token names the current assignment of partition p (nil: not owned): a
// batch applies its states only to the assignment it decided from.
func (s *stores) token(p int32) *part {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.parts[p]
}

// put stores st for k, if k's partition is still owned.
func (s *stores) put(k key, st fulfillment.State) { s.putIf(k, st, nil) }

// putIf stores st for k if k's partition is still owned and, when tok is
// not nil, still by the assignment tok names.
func (s *stores) putIf(k key, st fulfillment.State, tok *part) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.parts[k.partition]
	if !ok || (tok != nil && p != tok) {
		return
	}
	p.states[k.orderID] = st
	if t, ok := st.NextDue(); ok {
		p.due[k.orderID] = t
	} else {
		delete(p.due, k.orderID)
	}
}

func (s *stores) markRestored(ps []int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range ps {
		if pt, ok := s.parts[p]; ok {
			pt.restored = true
		}
	}
}

// due lists the orders whose next timer is due at now.
func (s *stores) dueAt(now time.Time) []key {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []key
	for pn, p := range s.parts {
		for id, t := range p.due {
			if !t.After(now) {
				out = append(out, key{pn, id})
			}
		}
	}
	return out
}

// counts returns how many orders are owned and how many are in flight
// (fulfillment.State.InFlight: the retention timer does not count).
func (s *stores) counts() (orders, inFlight int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.parts {
		orders += len(p.states)
		for id := range p.due { // only orders with a timer can be in flight
			if p.states[id].InFlight() {
				inFlight++
			}
		}
	}
	return orders, inFlight
}

func (s *stores) ready() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.parts {
		if !p.restored {
			return false
		}
	}
	return true
}

// State returns a copy of the saga state of an owned order (for tests and
// diagnostics).
func (s *Saga) State(orderID string) (fulfillment.State, bool) {
	s.stores.mu.Lock()
	defer s.stores.mu.Unlock()
	for _, p := range s.stores.parts {
		if st, ok := p.states[orderID]; ok {
			return st, true
		}
	}
	return fulfillment.State{}, false
}

func (s *stores) remove(k key) { s.removeIf(k, nil) }

func (s *stores) removeIf(k key, tok *part) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.parts[k.partition]; ok && (tok == nil || p == tok) {
		delete(p.states, k.orderID)
		delete(p.due, k.orderID)
	}
}
