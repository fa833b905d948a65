package stream

import (
	"maps"
	"slices"
	"sync"
	"time"
)

// part holds the states of one owned partition. A *part names one
// assignment: a batch applies its states only to the part it decided from,
// never to one a later assignment of the partition restored meanwhile.
type part[S any] struct {
	mu     sync.RWMutex // guards states and due: each partition is decided (or restored) on its own goroutine
	states map[string]S
	due    map[string]time.Time // keys whose timer is due at the time, when the topology has timers
	// Guarded by stores.mu:
	restored bool
	problem  string // why the partition cannot make progress now; "" when it can
}

// stores holds the partitions this member owns. The group's callbacks run
// on other goroutines than the poll loop, so it locks: mu for the set of
// parts and their flags, each part's own lock for its states.
type stores[S any] struct {
	mu    sync.RWMutex
	parts map[int32]*part[S]
	due   func(S) (time.Time, bool)
}

func newStores[S any](due func(S) (time.Time, bool)) *stores[S] {
	return &stores[S]{parts: map[int32]*part[S]{}, due: due}
}

// assign creates empty, not yet restored parts.
func (s *stores[S]) assign(ps []int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range ps {
		s.parts[p] = &part[S]{states: map[string]S{}, due: map[string]time.Time{}}
	}
}

func (s *stores[S]) drop(ps []int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range ps {
		delete(s.parts, p)
	}
}

// owned is the partitions held, restored or not, sorted.
func (s *stores[S]) owned() []int32 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Sorted(maps.Keys(s.parts))
}

func (s *stores[S]) dropAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.parts)
}

// current returns the restored part of p, or nil.
func (s *stores[S]) current(p int32) *part[S] {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if pt := s.parts[p]; pt != nil && pt.restored {
		return pt
	}
	return nil
}

// restoring returns the part of p whether restored or not.
func (s *stores[S]) restoring(p int32) *part[S] {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.parts[p]
}

// lookup returns the state of key in the current assignment of p.
func (s *stores[S]) lookup(p int32, key string) (S, bool) {
	pt := s.current(p)
	if pt == nil {
		var zero S
		return zero, false
	}
	pt.mu.RLock()
	defer pt.mu.RUnlock()
	st, ok := pt.states[key]
	return st, ok
}

func (s *stores[S]) get(pt *part[S], key string) S {
	pt.mu.RLock()
	defer pt.mu.RUnlock()
	return pt.states[key]
}

// owns reports whether pt is still the assignment of partition p. A part
// dropped after the check is written in vain, never read again.
func (s *stores[S]) owns(p int32, pt *part[S]) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.parts[p] == pt
}

// put sets key's state in pt if pt is still the partition's assignment.
func (s *stores[S]) put(p int32, pt *part[S], key string, st S) {
	if !s.owns(p, pt) {
		return
	}
	pt.mu.Lock()
	defer pt.mu.Unlock()
	pt.states[key] = st
	if s.due == nil {
		return
	}
	if t, ok := s.due(st); ok {
		pt.due[key] = t
	} else {
		delete(pt.due, key)
	}
}

func (s *stores[S]) remove(p int32, pt *part[S], key string) {
	if !s.owns(p, pt) {
		return
	}
	pt.mu.Lock()
	defer pt.mu.Unlock()
	delete(pt.states, key)
	delete(pt.due, key)
}

func (s *stores[S]) markRestored(ps []int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range ps {
		if pt := s.parts[p]; pt != nil {
			pt.restored = true
		}
	}
}

// setProblem records why partition p cannot make progress ("" clears it).
func (s *stores[S]) setProblem(p int32, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pt := s.parts[p]; pt != nil {
		pt.problem = why
	}
}

// dueAt lists the keys whose timer is due at now, by partition.
func (s *stores[S]) dueAt(now time.Time) map[int32][]string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out map[int32][]string
	for pn, pt := range s.parts {
		if !pt.restored {
			continue
		}
		pt.mu.RLock()
		for k, t := range pt.due {
			if !t.After(now) {
				if out == nil {
					out = map[int32][]string{}
				}
				out[pn] = append(out[pn], k)
			}
		}
		pt.mu.RUnlock()
	}
	return out
}

// status is what readiness and the gauges need.
type status struct {
	partitions, states int
	restoring          []int32
	problems           map[int32]string
}

func (s *stores[S]) status() status {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := status{partitions: len(s.parts)}
	for pn, pt := range s.parts {
		pt.mu.RLock()
		st.states += len(pt.states)
		pt.mu.RUnlock()
		if !pt.restored {
			st.restoring = append(st.restoring, pn)
		}
		if pt.problem != "" {
			if st.problems == nil {
				st.problems = map[int32]string{}
			}
			st.problems[pn] = pt.problem
		}
	}
	return st
}

// each calls f with every owned state (diagnostics and gauges), under the
// stores' read locks: f must not call back into the stores.
func (s *stores[S]) each(f func(key string, st S)) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, pt := range s.parts {
		pt.mu.RLock()
		for k, st := range pt.states {
			f(k, st)
		}
		pt.mu.RUnlock()
	}
}
