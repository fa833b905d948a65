package main

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/internal/benchload"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/processor"
)

// restoreRun is the outcome of restoring a large order.state.
type restoreRun struct {
	states      int
	produce     time.Duration
	restore     time.Duration
	bytesPerOrd float64
	avgValue    int
}

func (r restoreRun) String() string {
	return fmt.Sprintf("%-28s %8d states restored in %s (%.0f states/s), %.0f B heap per order, %d B per state record",
		"restore", r.states, r.restore.Round(time.Millisecond), float64(r.states)/r.restore.Seconds(), r.bytesPerOrd, r.avgValue)
}

// template is the state of one delivered lifecycle as the processor writes
// it (order.Decider.Handle: the events folded, every command remembered).
func template() order.State {
	var s order.State
	d := order.Decider{Policy: order.DefaultPolicy()}
	for i, c := range benchload.Lifecycle("tmpl-000000") {
		c.Time = time.Unix(1_790_000_000+int64(i), 0).UTC()
		next, _, res := d.Handle(s, c)
		if res.Status != order.ResultAccepted {
			panic(fmt.Sprintf("%s: %s %s", c.Type, res.Code, res.Message))
		}
		s = next
	}
	return s
}

func runRestore(ctx context.Context, cfg config) (restoreRun, error) {
	prefix := fmt.Sprintf("restore-%d.", time.Now().UnixNano())
	names, err := newTopics(ctx, cfg, prefix)
	if err != nil {
		return restoreRun{}, err
	}
	serdes, err := processor.NewSerdes(ctx, names, nil)
	if err != nil {
		return restoreRun{}, err
	}
	producer, err := kgo.NewClient(kgo.SeedBrokers(cfg.brokers...), kgo.ProducerLinger(5*time.Millisecond),
		kgo.ProducerBatchMaxBytes(1<<20), kgo.MaxBufferedRecords(100_000))
	if err != nil {
		return restoreRun{}, err
	}
	defer producer.Close()
	tmpl := template()
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var produceErr error
	total := 0
	for i := range cfg.states {
		s := tmpl
		id := fmt.Sprintf("r%08d", i)
		s.OrderID, s.CustomerID, s.OrderNumber = id, "cust-"+id[len(id)-4:], order.OrderNumber(id)
		v, err := serdes.States.Encode(s)
		if err != nil {
			return restoreRun{}, err
		}
		total += len(v)
		wg.Add(1)
		producer.Produce(ctx, &kgo.Record{Topic: names.State, Key: []byte(id), Value: v}, func(_ *kgo.Record, err error) {
			defer wg.Done()
			if err != nil {
				mu.Lock()
				produceErr = err
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if produceErr != nil {
		return restoreRun{}, produceErr
	}
	res := restoreRun{states: cfg.states, produce: time.Since(start), avgValue: total / cfg.states}

	start = time.Now()
	p, stop, err := startProcessor(ctx, cfg, names, serdes, prefix+"orderd", nil)
	if err != nil {
		return restoreRun{}, err
	}
	res.restore = time.Since(start)
	// The heap with the processor's states, less the heap once it has
	// stopped and let them go: the states' own, whatever else the run
	// left (the producer's buffers) counted on neither side.
	var with, without runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&with)
	runtime.KeepAlive(p)
	stop()
	p = nil
	runtime.GC()
	runtime.ReadMemStats(&without)
	res.bytesPerOrd = (float64(with.HeapAlloc) - float64(without.HeapAlloc)) / float64(cfg.states)
	return res, nil
}
