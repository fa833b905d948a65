package processor

import (
	"sync"

	"github.com/orderlog/orderlog/order"
)

// Store holds the states of the orders of one partition. The in-memory
// implementation is the default; an on-disk one can replace it.
//
// A Store must be safe for concurrent use: a partition's store is filled by
// the restore (in the group's assignment callback) while the poll loop reads
// Len of every store for the orders metric, and the other way round.
type Store interface {
	Get(orderID string) (order.State, bool)
	Put(orderID string, s order.State)
	Delete(orderID string)
	Len() int
}

// NewMemStore returns an in-memory Store.
func NewMemStore() Store { return &memStore{m: map[string]order.State{}} }

type memStore struct {
	mu sync.RWMutex
	m  map[string]order.State
}

func (s *memStore) Get(id string) (order.State, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st, ok := s.m[id]
	return st, ok
}

func (s *memStore) Put(id string, st order.State) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[id] = st
}

func (s *memStore) Delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
}

func (s *memStore) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.m)
}

// stores holds the Store of every partition this member owns and whether it
// is restored. Callbacks from the group run on other goroutines, so it locks.
type stores struct {
	mu       sync.RWMutex
	newStore func() Store
	byPart   map[int32]Store
	restored map[int32]bool
	// gen numbers each assignment of a partition: a batch applies its
	// states only to the store it decided from, never to one a later
	// assignment restored meanwhile.
	gen  map[int32]uint64
	next uint64
}

func newStores(newStore func() Store) *stores {
	return &stores{newStore: newStore, byPart: map[int32]Store{}, restored: map[int32]bool{}, gen: map[int32]uint64{}}
}

// assign creates empty stores for partitions about to be restored.
func (s *stores) assign(parts []int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range parts {
		s.byPart[p] = s.newStore()
		s.restored[p] = false
		s.next++
		s.gen[p] = s.next
	}
}

func (s *stores) markRestored(p int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byPart[p]; ok {
		s.restored[p] = true
	}
}

func (s *stores) drop(parts []int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range parts {
		delete(s.byPart, p)
		delete(s.restored, p)
		delete(s.gen, p)
	}
}

func (s *stores) dropAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.byPart)
	clear(s.restored)
	clear(s.gen)
}

func (s *stores) get(p int32) (Store, bool) {
	st, _, ok := s.getGen(p)
	return st, ok
}

// getGen is get with the partition's assignment number.
func (s *stores) getGen(p int32) (Store, uint64, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st, ok := s.byPart[p]
	return st, s.gen[p], ok && s.restored[p]
}

// ready reports whether every owned partition is restored.
func (s *stores) ready() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, ok := range s.restored {
		if !ok {
			return false
		}
	}
	return true
}

func (s *stores) counts() (partitions, orders int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, st := range s.byPart {
		orders += st.Len()
	}
	return len(s.byPart), orders
}

// storeForRestore returns a partition's store whether or not it is restored.
func (s *stores) storeForRestore(p int32) (Store, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st, ok := s.byPart[p]
	return st, ok
}
