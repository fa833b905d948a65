package stream

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// part holds the states of one owned partition. A *part names one
// assignment: a batch applies its states only to the part it decided from,
// never to one a later assignment of the partition restored meanwhile.
type part[S any] struct {
	mu     sync.RWMutex         // guards states, coded and due: each partition is decided (or restored) on its own goroutine
	states map[string]S         // every state; with a cache (stores.cache), those used last
	coded  map[string][]byte    // with a cache: every state, as its changelog record holds it
	due    map[string]time.Time // keys whose timer is due at the time, when the topology has timers
	// Guarded by stores.mu:
	restored bool
	problem  string // why the partition cannot make progress now; "" when it can
}

// stores holds the partitions this member owns. The group's callbacks run
// on other goroutines than the poll loop, so it locks: mu for the set of
// parts and their flags, each part's own lock for its states.
//
// With a cache (Changelog.Decoded), a part holds every state encoded and
// at most cache decoded: a state is decoded when first needed and one
// other is dropped, at random, when the cache is full.
type stores[S any] struct {
	mu     sync.RWMutex
	parts  map[int32]*part[S]
	due    func(S) (time.Time, bool)
	decode func([]byte) (S, error)
	cache  int // decoded states per part; 0: every state decoded, no bytes kept
}

func newStores[S any](due func(S) (time.Time, bool), decode func([]byte) (S, error), cache int) *stores[S] {
	return &stores[S]{parts: map[int32]*part[S]{}, due: due, decode: decode, cache: cache}
}

// assign creates empty, not yet restored parts.
func (s *stores[S]) assign(ps []int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range ps {
		pt := &part[S]{states: map[string]S{}, due: map[string]time.Time{}}
		if s.cache > 0 {
			pt.coded = map[string][]byte{}
		}
		s.parts[p] = pt
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
	_, ok := pt.states[key]
	if !ok && s.cache > 0 {
		_, ok = pt.coded[key]
	}
	pt.mu.RUnlock()
	if !ok {
		var zero S
		return zero, false
	}
	st, err := s.get(pt, key)
	return st, err == nil
}

// get returns the state of key in pt (the zero state when it has none),
// decoding it if it is only held encoded.
func (s *stores[S]) get(pt *part[S], key string) (S, error) {
	pt.mu.RLock()
	st, ok := pt.states[key]
	var b []byte
	if !ok && s.cache > 0 {
		b = pt.coded[key]
	}
	pt.mu.RUnlock()
	if ok || b == nil {
		return st, nil
	}
	st, err := s.decode(b)
	if err != nil {
		var zero S
		return zero, fmt.Errorf("the state of %s cannot be decoded: %w", clip(key, 200), err)
	}
	pt.mu.Lock()
	if bytes.Equal(pt.coded[key], b) { // not changed meanwhile
		s.keep(pt, key, st)
	}
	pt.mu.Unlock()
	return st, nil
}

// keep puts a decoded state in pt (locked), dropping another decoded one
// if the cache is full.
func (s *stores[S]) keep(pt *part[S], key string, st S) {
	pt.states[key] = st
	if s.cache <= 0 || len(pt.states) <= s.cache {
		return
	}
	for k := range pt.states { // map order is random: a random victim
		if k != key {
			delete(pt.states, k)
			return
		}
	}
}

// owns reports whether pt is still the assignment of partition p. A part
// dropped after the check is written in vain, never read again.
func (s *stores[S]) owns(p int32, pt *part[S]) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.parts[p] == pt
}

// put sets key's state in pt if pt is still the partition's assignment;
// coded is the state's changelog record, kept with a cache.
func (s *stores[S]) put(p int32, pt *part[S], key string, st S, coded []byte) {
	if !s.owns(p, pt) {
		return
	}
	pt.mu.Lock()
	defer pt.mu.Unlock()
	s.keep(pt, key, st)
	if s.cache > 0 {
		pt.coded[key] = coded
	}
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
	delete(pt.coded, key)
	delete(pt.due, key)
}

// restoreCoded applies a fetch of changelog records to pt, a partition
// being restored with a cache: in order, under one lock, each kept as it
// is (see restoreRecord). It returns how many records it read.
func (s *stores[S]) restoreCoded(p int32, pt *part[S], records []*kgo.Record) int {
	if !s.owns(p, pt) {
		return 0
	}
	pt.mu.Lock()
	defer pt.mu.Unlock()
	n := 0
	for _, r := range records {
		if r.Attrs.IsControl() {
			continue
		}
		n++
		key := string(r.Key)
		delete(pt.states, key)
		if r.Value == nil {
			delete(pt.coded, key)
			continue
		}
		pt.coded[key] = bytes.Clone(r.Value)
	}
	return n
}

// restoreRecord applies one changelog record to pt, a partition being
// restored: a tombstone removes the key; with a cache the record is kept
// as it is (copied from the fetch, which it would otherwise hold in
// memory) and decoded when first needed; else it is decoded now.
func (s *stores[S]) restoreRecord(p int32, pt *part[S], key string, value []byte) error {
	switch {
	case value == nil:
		s.remove(p, pt, key)
	case s.cache > 0:
		if !s.owns(p, pt) {
			return nil
		}
		pt.mu.Lock()
		delete(pt.states, key)
		pt.coded[key] = bytes.Clone(value)
		pt.mu.Unlock()
	default:
		st, err := s.decode(value)
		if err != nil {
			return err
		}
		s.put(p, pt, key, st, nil)
	}
	return nil
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
		if s.cache > 0 {
			st.states += len(pt.coded)
		} else {
			st.states += len(pt.states)
		}
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
// stores' read locks: f must not call back into the stores. With a cache,
// states held only encoded are decoded for f (and not kept); one that
// cannot be is left out.
func (s *stores[S]) each(f func(key string, st S)) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, pt := range s.parts {
		pt.mu.RLock()
		for k, st := range pt.states {
			f(k, st)
		}
		for k, b := range pt.coded {
			if _, ok := pt.states[k]; ok {
				continue
			}
			if st, err := s.decode(b); err == nil {
				f(k, st)
			}
		}
		pt.mu.RUnlock()
	}
}
