package main

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// latencies collects one sample per command (or request, or event);
// percentiles are exact, over the sorted samples.
type latencies struct {
	mu      sync.Mutex
	samples []time.Duration
	sorted  bool
	bounds  int // samples that are lower bounds: answers not in when the run gave up waiting
}

func newLatencies(capacity int) *latencies {
	return &latencies{samples: make([]time.Duration, 0, capacity)}
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.samples = append(l.samples, d)
	l.sorted = false
	l.mu.Unlock()
}

// addBound adds a lower bound: an answer still outstanding after d.
func (l *latencies) addBound(d time.Duration) {
	l.mu.Lock()
	l.samples = append(l.samples, d)
	l.sorted = false
	l.bounds++
	l.mu.Unlock()
}

// behind is how many answers were not in when the run gave up waiting.
func (l *latencies) behind() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bounds
}

// show renders the p-quantile, as a lower bound ("≥") when it may be one
// of the outstanding answers (they are the latest, so the top ranks).
func (l *latencies) show(p float64) string {
	d := l.pct(p)
	n, b := l.count(), l.behind()
	if b > 0 && p*float64(n) > float64(n-b) {
		return "≥ " + ms(d)
	}
	return ms(d)
}

func (l *latencies) count() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.samples)
}

// pct is the p-quantile (0 <= p <= 1) by the nearest-rank method: the
// smallest sample with at least p of the samples at or below it; 1 is
// the maximum. Zero without samples.
func (l *latencies) pct(p float64) time.Duration {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.samples) == 0 {
		return 0
	}
	if !l.sorted {
		slices.Sort(l.samples)
		l.sorted = true
	}
	rank := int(p*float64(len(l.samples))+0.999999999) - 1
	return l.samples[min(max(rank, 0), len(l.samples)-1)]
}

// spread is the median and range of the same figure over rounds.
type spread struct {
	median, lo, hi float64
	n              int
}

func spreadOf(xs []float64) spread {
	if len(xs) == 0 {
		return spread{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return spread{median: m, lo: s[0], hi: s[len(s)-1], n: len(s)}
}

// String is "median [lo..hi]" as whole numbers with thousands separators.
func (s spread) String() string {
	return fmt.Sprintf("%s [%s..%s]", thousands(s.median), thousands(s.lo), thousands(s.hi))
}

// thousands formats x rounded to a whole number, with commas.
func thousands(x float64) string {
	neg := x < 0
	if neg {
		x = -x
	}
	d := fmt.Sprintf("%.0f", x)
	var out []byte
	for i := range len(d) {
		if i > 0 && (len(d)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, d[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// ms renders a latency for the tables: milliseconds with one decimal
// below a second, else seconds with two.
func ms(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

// us renders a small duration in microseconds, "?" when unknown (zero).
func us(d time.Duration) string {
	if d == 0 {
		return "?"
	}
	return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond))
}

// steadyClock times the steady part of a run: the rate between the moment
// the warm-up's last item was seen and the moment the last item was.
type steadyClock struct {
	mu             sync.Mutex
	warm, total    int
	seen           int
	start          time.Time // the run's start, for the total rate
	warmAt, lastAt time.Time
	seenAt         time.Time // the latest observation
	done           chan struct{}
}

func newSteadyClock(warm, total int, start time.Time) *steadyClock {
	return &steadyClock{warm: warm, total: total, start: start, done: make(chan struct{})}
}

// observe counts n more items seen at t; it closes done when the last one is.
func (c *steadyClock) observe(n int, t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	before := c.seen
	c.seen += n
	c.seenAt = t
	if before < c.warm && c.seen >= c.warm {
		c.warmAt = t
	}
	if before < c.total && c.seen >= c.total {
		c.lastAt = t
		close(c.done)
	}
}

// steady is the items per second after the warm-up; total the items per
// second from the start.
func (c *steadyClock) steady() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lastAt.IsZero() || !c.lastAt.After(c.warmAt) {
		return 0
	}
	return float64(c.total-c.warm) / c.lastAt.Sub(c.warmAt).Seconds()
}

// totalRate is the items per second from the start to the last item, or,
// before that, to the latest seen.
func (c *steadyClock) totalRate() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.lastAt.IsZero() {
		return float64(c.total) / c.lastAt.Sub(c.start).Seconds()
	}
	if c.seenAt.After(c.start) {
		return float64(c.seen) / c.seenAt.Sub(c.start).Seconds()
	}
	return 0
}
