package dashboard

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// SamplerConfig configures a Sampler.
type SamplerConfig struct {
	Brokers []string
	// ClientOpts are extra franz-go options (TLS, SASL, logging).
	ClientOpts []kgo.Opt
	// Results is the full name of order.command-results.
	Results string
	// Queues answers the projection lag the sampler samples, and the
	// snapshot's lag and DLQ size (the Sampler passes them through):
	// NewKafkaQueuesCounting, so that an idle projector lags 0.
	Queues Queues
	// Interval is one point of the charts (default 10 s); Window how far
	// back they reach (default 1 h).
	Interval time.Duration
	Window   time.Duration
	Logger   *slog.Logger
	// Now is the clock (default time.Now), for tests.
	Now func() time.Time
}

// Charts are the dashboard's charts over the last Window: one point per
// Interval, oldest first, since the sampler started (an API process keeps
// its own, in memory).
type Charts struct {
	IntervalSeconds float64   `json:"intervalSeconds"`
	WindowSeconds   float64   `json:"windowSeconds"`
	Since           time.Time `json:"since"`
	Points          []Point   `json:"points"`
}

// Point is one interval of the charts, ending At.
type Point struct {
	At time.Time `json:"at"`
	// Commands is how many command results this API process read in the
	// interval (one per command the processor handled, duplicates too);
	// CommandsPerSecond is that over the interval.
	Commands          int64   `json:"commands"`
	CommandsPerSecond float64 `json:"commandsPerSecond"`
	// P99Millis is the 99th percentile of command→result: from the
	// command's log time (a result's record timestamp is its command's) to
	// when this process read the result, as a client waiting for it sees
	// it; null for an interval without results. Histogram buckets 10%
	// apart bound its error.
	P99Millis *float64 `json:"p99Millis"`
	// ProjectionLag is Queues.ProjectionLag sampled at At; null if it
	// failed.
	ProjectionLag *int64 `json:"projectionLag"`
}

// ChartSource is implemented by Queues that also keep the charts
// (Sampler); Collect puts them in the snapshot.
type ChartSource interface {
	Charts(now time.Time) Charts
}

// Sampler keeps the dashboard's charts in memory: it reads every command
// result (read_committed, no group, from the end of the topic when it
// starts) and, every Interval, closes a point with their count, their p99
// command→result and the projection lag. It is the Queues of the
// dashboard too, passing ProjectionLag and DLQSize through to
// cfg.Queues. Run it for as long as the API serves.
type Sampler struct {
	Queues
	cfg    SamplerConfig
	client *kgo.Client
	log    *slog.Logger

	mu      sync.Mutex
	started time.Time
	points  []Point
	open    latencies
}

// NewSampler creates the sampler's consumer; Run samples.
func NewSampler(cfg SamplerConfig) (*Sampler, error) {
	if len(cfg.Brokers) == 0 || cfg.Results == "" || cfg.Queues == nil {
		return nil, errors.New("dashboard: SamplerConfig needs Brokers, Results and Queues")
	}
	setDefault(&cfg.Interval, 10*time.Second)
	setDefault(&cfg.Window, time.Hour)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.ConsumeTopics(cfg.Results),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxWait(200 * time.Millisecond),
	}, cfg.ClientOpts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	return &Sampler{Queues: cfg.Queues, cfg: cfg, client: cl, log: cfg.Logger, started: cfg.Now()}, nil
}

func setDefault(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// Run samples until ctx ends, then closes its client.
func (s *Sampler) Run(ctx context.Context) error {
	defer s.client.Close()
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		for {
			fs := s.client.PollFetches(ctx)
			if ctx.Err() != nil {
				return
			}
			fs.EachError(func(t string, p int32, err error) {
				s.log.Warn("dashboard sampler: fetch command results", "topic", t, "partition", p, "error", err)
			})
			now := s.cfg.Now()
			s.mu.Lock()
			fs.EachRecord(func(r *kgo.Record) { s.open.add(now.Sub(r.Timestamp)) })
			s.mu.Unlock()
		}
	}()
	tick := time.NewTicker(s.cfg.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			<-polled
			return nil
		case <-tick.C:
			s.close(ctx)
		}
	}
}

// close ends the open interval: its results, and the lag sampled now.
func (s *Sampler) close(ctx context.Context) {
	lctx, cancel := context.WithTimeout(ctx, min(2*time.Second, s.cfg.Interval))
	lag, err := s.Queues.ProjectionLag(lctx)
	cancel()
	var lagp *int64
	var ub *UpperBoundError
	if err == nil || errors.As(err, &ub) {
		lagp = &lag
	} else if ctx.Err() == nil {
		s.log.Debug("dashboard sampler: projection lag", "error", err)
	}
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeLocked(now, lagp)
}

func (s *Sampler) closeLocked(now time.Time, lag *int64) {
	p := Point{At: now.UTC(), Commands: int64(s.open.n), ProjectionLag: lag,
		CommandsPerSecond: float64(s.open.n) / s.cfg.Interval.Seconds()}
	if s.open.n > 0 {
		ms := s.open.quantile(0.99).Seconds() * 1000
		p.P99Millis = &ms
	}
	s.open = latencies{}
	s.points = append(s.points, p)
	cut := now.Add(-s.cfg.Window)
	if i := slices.IndexFunc(s.points, func(p Point) bool { return p.At.After(cut) }); i > 0 {
		s.points = slices.Delete(s.points, 0, i)
	}
}

// Charts returns the closed points of the last Window at now.
func (s *Sampler) Charts(now time.Time) Charts {
	s.mu.Lock()
	defer s.mu.Unlock()
	cut := now.Add(-s.cfg.Window)
	pts := []Point{}
	for _, p := range s.points {
		if p.At.After(cut) {
			pts = append(pts, p)
		}
	}
	return Charts{IntervalSeconds: s.cfg.Interval.Seconds(), WindowSeconds: s.cfg.Window.Seconds(),
		Since: s.started.UTC(), Points: pts}
}

// CountsRecords reports whether the wrapped Queues count records.
func (s *Sampler) CountsRecords() bool {
	c, ok := s.Queues.(Counter)
	return ok && c.CountsRecords()
}

// latencies is a histogram of durations in buckets histRatio apart, from
// histBase up (about 0.1 ms to an hour), for the open interval's p99.
type latencies struct {
	counts [histBuckets]uint32
	n      uint64
}

const (
	histBase    = 100 * time.Microsecond
	histRatio   = 1.1
	histBuckets = 185
)

func (l *latencies) add(d time.Duration) {
	i := 0
	if d > histBase {
		i = min(int(math.Log(float64(d)/float64(histBase))/math.Log(histRatio))+1, histBuckets-1)
	}
	l.counts[i]++
	l.n++
}

// quantile returns the upper bound of the bucket holding the q-quantile.
func (l *latencies) quantile(q float64) time.Duration {
	want := uint64(math.Ceil(q * float64(l.n)))
	var seen uint64
	for i, c := range l.counts {
		seen += uint64(c)
		if seen >= want {
			return time.Duration(float64(histBase) * math.Pow(histRatio, float64(i)))
		}
	}
	return time.Duration(float64(histBase) * math.Pow(histRatio, histBuckets-1))
}
