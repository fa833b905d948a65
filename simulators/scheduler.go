package simulators

import (
	"sync"
	"time"
)

// scheduler runs functions after a delay, each on its own timer, so a slow
// simulated system never holds up the consume loop. stop cancels what has
// not started and waits for what has.
type scheduler struct {
	metrics *Metrics
	mu      sync.Mutex
	closed  bool
	next    uint64
	pending map[uint64]*time.Timer
	wg      sync.WaitGroup
}

func newScheduler(m *Metrics) *scheduler {
	return &scheduler{metrics: m, pending: make(map[uint64]*time.Timer)}
}

// after runs f after d, unless stop comes first.
func (s *scheduler) after(d time.Duration, f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	id := s.next
	s.next++
	s.wg.Add(1)
	s.metrics.pendingAnswers.Inc()
	// The timer's func takes mu, so it cannot run before pending holds it.
	s.pending[id] = time.AfterFunc(d, func() {
		defer s.wg.Done()
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return
		}
		delete(s.pending, id)
		s.metrics.pendingAnswers.Dec()
		s.mu.Unlock()
		f()
	})
}

// stop cancels the functions not yet started and waits for the running ones.
func (s *scheduler) stop() {
	s.mu.Lock()
	s.closed = true
	for _, t := range s.pending {
		if t.Stop() {
			s.wg.Done()
		}
		s.metrics.pendingAnswers.Dec()
	}
	s.pending = nil
	s.mu.Unlock()
	s.wg.Wait()
}
