package dashboard

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestLatencyQuantileIsWithinABucket(t *testing.T) {
	for _, tc := range []struct {
		name       string
		fast, slow int
		want       time.Duration
	}{
		{name: "one slow in a hundred is the 99th", fast: 99, slow: 1, want: time.Millisecond},
		{name: "two slow in a hundred", fast: 98, slow: 2, want: time.Second},
		{name: "all slow", slow: 5, want: time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var l latencies
			for range tc.fast {
				l.add(time.Millisecond)
			}
			for range tc.slow {
				l.add(time.Second)
			}
			got := l.quantile(0.99)
			require.GreaterOrEqual(t, got, tc.want, "the bucket's upper bound")
			require.Less(t, got, time.Duration(float64(tc.want)*histRatio), "within one bucket")
		})
	}
	var l latencies
	l.add(-time.Second) // a clock behind the broker's
	l.add(10 * time.Hour)
	require.Equal(t, uint32(1), l.counts[0])
	require.Equal(t, uint32(1), l.counts[histBuckets-1])
}

func TestSamplerKeepsTheLastWindow(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	s := &Sampler{cfg: SamplerConfig{Interval: 10 * time.Second, Window: time.Minute}, started: t0}
	lag := int64(3)
	for i := 1; i <= 10; i++ {
		for range i {
			s.open.add(time.Duration(i) * 10 * time.Millisecond)
		}
		s.closeLocked(t0.Add(time.Duration(i)*10*time.Second), &lag)
	}
	s.closeLocked(t0.Add(110*time.Second), nil) // an interval without results, the lag unknown
	c := s.Charts(t0.Add(110 * time.Second))
	require.Len(t, c.Points, 6, "the last minute: 6 intervals of 10 s")
	require.Equal(t, t0.Add(60*time.Second), c.Points[0].At)
	require.Equal(t, int64(6), c.Points[0].Commands)
	require.InDelta(t, 0.6, c.Points[0].CommandsPerSecond, 1e-9)
	require.InDelta(t, 60, *c.Points[0].P99Millis, 6)
	require.Equal(t, int64(3), *c.Points[0].ProjectionLag)
	last := c.Points[5]
	require.Zero(t, last.Commands)
	require.Nil(t, last.P99Millis, "no results: no percentile")
	require.Nil(t, last.ProjectionLag)
	require.Equal(t, 10.0, c.IntervalSeconds)
	require.Equal(t, t0, c.Since)
	require.Len(t, s.Charts(t0.Add(time.Hour)).Points, 0, "nothing left an hour later")
}

// TestSamplerChartsWhatItReads runs a Sampler on kfake: results written
// with their commands' timestamps 300 ms in the past become a point with
// their count, a p99 of at least 300 ms and the lag Queues answered.
func TestSamplerChartsWhatItReads(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	const results = "order.command-results"
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.DefaultProduceTopic(results))
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = kadm.NewClient(cl).CreateTopic(ctx, 2, 1, nil, results)
	require.NoError(t, err)
	s, err := NewSampler(SamplerConfig{Brokers: c.ListenAddrs(), Results: results, Queues: fakeQueues{lag: 7, dlq: 1},
		Interval: 100 * time.Millisecond})
	require.NoError(t, err)
	done := make(chan error, 1)
	rctx, stop := context.WithCancel(ctx)
	go func() { done <- s.Run(rctx) }()
	t.Cleanup(func() { stop(); require.NoError(t, <-done) })

	total := func() (n int64, p99 float64) {
		for _, p := range s.Charts(time.Now()).Points {
			n += p.Commands
			if p.P99Millis != nil {
				p99 = max(p99, *p.P99Millis)
			}
		}
		return n, p99
	}
	// The sampler starts at the end of the topic: send until it sees one.
	require.Eventually(t, func() bool {
		require.NoError(t, cl.ProduceSync(ctx, &kgo.Record{Value: []byte("warm-up")}).FirstErr())
		seen, _ := total()
		return seen > 0
	}, 10*time.Second, 50*time.Millisecond, "the sampler reads results")
	// settled waits for an empty interval that began after sent: what
	// was sent before is counted by then.
	settled := func(sent time.Time) int64 {
		require.Eventually(t, func() bool {
			pts := s.Charts(time.Now()).Points
			last := pts[len(pts)-1]
			return last.Commands == 0 && last.At.Add(-100*time.Millisecond).After(sent)
		}, 10*time.Second, 20*time.Millisecond)
		n, _ := total()
		return n
	}
	warm := settled(time.Now())
	var recs []*kgo.Record
	for range 20 {
		recs = append(recs, &kgo.Record{Value: []byte("r"), Timestamp: time.Now().Add(-300 * time.Millisecond)})
	}
	require.NoError(t, cl.ProduceSync(ctx, recs...).FirstErr())
	var n int64
	var p99 float64
	require.Eventually(t, func() bool {
		n, p99 = total()
		return n >= warm+20
	}, 10*time.Second, 20*time.Millisecond, "every result is counted")
	require.Equal(t, warm+20, settled(time.Now()), "every result counted once")
	require.GreaterOrEqual(t, p99, 300.0, "p99 command→result")
	require.Less(t, p99, 5000.0)
	pts := s.Charts(time.Now()).Points
	require.Equal(t, int64(7), *pts[len(pts)-1].ProjectionLag)
	lag, err := s.ProjectionLag(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(7), lag, "the sampler answers the snapshot's numbers through its Queues")
}
