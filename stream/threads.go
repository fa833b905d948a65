package stream

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Threads is several members of one topology in one process, each its own
// group member with its own transactional producer, as Kafka Streams'
// stream threads are. A member is bound by its transactions' round trips
// more than by its CPU: while one waits for its commit, another decides,
// so the process keeps its cores busy and its partitions' batches short.
type Threads[S, I any] struct {
	members []*Member[S, I]
}

// NewThreads prepares n members of top (at least one). With n > 1 each
// member's transactional id is cfg.TransactionalID with "-t<i>" appended,
// so ids stay stable per slot and keep the group's prefix.
func NewThreads[S, I any](cfg Config, top Topology[S, I], n int) (*Threads[S, I], error) {
	if n < 1 {
		return nil, fmt.Errorf("%s: %d threads: want at least 1", top.Name, n)
	}
	t := &Threads[S, I]{}
	for i := range n {
		c := cfg
		if n > 1 {
			c.TransactionalID = ThreadTransactionalID(cfg.TransactionalID, i, n)
			if cfg.Logger != nil {
				c.Logger = cfg.Logger.With("thread", i)
			}
		}
		m, err := New(c, top)
		if err != nil {
			return nil, err
		}
		t.members = append(t.members, m)
	}
	return t, nil
}

// Run runs every member until ctx is done. A member that cannot start
// stops the others; the errors are joined.
func (t *Threads[S, I]) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(t.members))
	var wg sync.WaitGroup
	for i, m := range t.members {
		wg.Go(func() {
			if errs[i] = m.Run(ctx); errs[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Health is nil when every member is ready, else what each that is not
// says.
func (t *Threads[S, I]) Health() error {
	if len(t.members) == 1 {
		return t.members[0].Health()
	}
	var why []string
	for i, m := range t.members {
		if err := m.Health(); err != nil {
			why = append(why, fmt.Sprintf("thread %d: %v", i, err))
		}
	}
	if len(why) > 0 {
		return errors.New(strings.Join(why, "; "))
	}
	return nil
}

// Ready reports whether Health is nil.
func (t *Threads[S, I]) Ready() bool { return t.Health() == nil }

// State returns the state of a key one of the members owns.
func (t *Threads[S, I]) State(key string) (S, bool) {
	for _, m := range t.members {
		if st, ok := m.State(key); ok {
			return st, true
		}
	}
	var zero S
	return zero, false
}

// Each calls f with every state the members own.
func (t *Threads[S, I]) Each(f func(key string, st S)) {
	for _, m := range t.members {
		m.Each(f)
	}
}
