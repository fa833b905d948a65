package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/internal/testenv"
	"github.com/orderlog/orderlog/topics"
)

// TestFiveOrderdStartingAtOnceOnAFreshPrefixAllBecomeReady starts five
// orderd at the same moment on topics that do not exist yet, as a
// deployment does on a fresh cluster: they race to create the topics, and
// every one of them must still verify them and become ready (once, 2 of 10
// exited with "verify topics: ... does not exist"). Each topic is created
// by exactly one of them.
func TestFiveOrderdStartingAtOnceOnAFreshPrefixAllBecomeReady(t *testing.T) {
	t.Parallel()
	b := needBed(t)
	prefix := testenv.TopicPrefix(t)
	set, err := topics.New(topics.Config{Prefix: prefix, Partitions: partitions, ReplicationFactor: 1})
	require.NoError(t, err)
	const n = 5

	start := time.Now()
	var (
		ready   sync.WaitGroup // every process ready, or its subtest over
		mu      sync.Mutex
		creator = map[string][]int{} // topic -> the processes that created it
	)
	ready.Add(n)
	var running sync.WaitGroup
	for i := range n {
		// t.Run from n goroutines: the n start at once, each subtest
		// waits for its own /readyz (bounded) and fails on its own, and
		// its cleanup stops its orderd.
		running.Go(func() {
			t.Run(fmt.Sprintf("orderd-%d", i), func(t *testing.T) {
				var once sync.Once
				done := func() { once.Do(ready.Done) }
				defer done()
				p := startOrderd(t, b, prefix)
				t.Logf("ready after %s", time.Since(start).Round(time.Millisecond))
				created := createdTopics(t, p.logs())
				mu.Lock()
				for _, name := range created {
					creator[name] = append(creator[name], i)
				}
				mu.Unlock()
				done()
				ready.Wait() // all five are up at the same time before any stops
			})
		})
	}
	running.Wait()
	if t.Failed() {
		return
	}
	creators := map[int]bool{}
	for _, is := range creator {
		for _, i := range is {
			creators[i] = true
		}
	}
	t.Logf("all %d ready and stopped after %s; %d of them created topics", n, time.Since(start).Round(time.Millisecond), len(creators))
	require.Len(t, creator, len(set.TopicNames()), "topics created, by orderd: %v", creator)
	for _, name := range set.TopicNames() {
		require.Len(t, creator[name], 1, "%s created by orderd %v, want exactly one", name, creator[name])
	}
}

// createdTopics returns the topics an orderd log says it created.
func createdTopics(t *testing.T, logs string) []string {
	t.Helper()
	var out []string
	for line := range strings.Lines(logs) {
		var rec struct {
			Msg    string   `json:"msg"`
			Topics []string `json:"topics"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "created topics" {
			out = append(out, rec.Topics...)
		}
	}
	slices.Sort(out)
	return out
}
