package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPercentilesAreNearestRank(t *testing.T) {
	l := newLatencies(100)
	for i := 100; i >= 1; i-- { // unsorted on purpose
		l.add(time.Duration(i) * time.Millisecond)
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{
		{0, 1 * time.Millisecond},
		{0.5, 50 * time.Millisecond},
		{0.99, 99 * time.Millisecond},
		{0.999, 100 * time.Millisecond},
		{1, 100 * time.Millisecond},
	} {
		require.Equal(t, tc.want, l.pct(tc.p), "p%v", tc.p)
	}
	l.add(time.Second) // a sample after a sort is counted
	require.Equal(t, time.Second, l.pct(1))
	require.Equal(t, 101, l.count())
}

func TestPercentilesOfNothingAreZero(t *testing.T) {
	var none *latencies
	require.Zero(t, none.pct(0.99))
	require.Zero(t, none.count())
	require.Zero(t, newLatencies(0).pct(0.5))
}

func TestSpreadIsMedianAndRange(t *testing.T) {
	for _, tc := range []struct {
		name string
		xs   []float64
		want spread
		str  string
	}{
		{"odd", []float64{30, 10, 20}, spread{median: 20, lo: 10, hi: 30, n: 3}, "20 [10..30]"},
		{"even", []float64{40, 10, 20, 30}, spread{median: 25, lo: 10, hi: 40, n: 4}, "25 [10..40]"},
		{"one", []float64{43028.4}, spread{median: 43028.4, lo: 43028.4, hi: 43028.4, n: 1}, "43,028 [43,028..43,028]"},
		{"none", nil, spread{}, "0 [0..0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := spreadOf(tc.xs)
			require.Equal(t, tc.want, s)
			require.Equal(t, tc.str, s.String())
		})
	}
}

func TestThousands(t *testing.T) {
	for x, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 291798.4: "291,798", 1e6: "1,000,000", -1234: "-1,234", 999.6: "1,000"} {
		require.Equal(t, want, thousands(x), "%v", x)
	}
}

func TestSteadyClockTimesOnlyAfterTheWarmUp(t *testing.T) {
	t0 := time.Unix(1000, 0)
	c := newSteadyClock(100, 1100, t0)
	c.observe(60, t0.Add(time.Second))
	c.observe(60, t0.Add(2*time.Second)) // crosses the warm-up: the clock starts here
	require.Zero(t, c.steady(), "not done yet")
	require.InDelta(t, 60.0, c.totalRate(), 1e-9, "so far: 120 in 2 s")
	c.observe(500, t0.Add(4*time.Second))
	select {
	case <-c.done:
		t.Fatal("done before the last item")
	default:
	}
	c.observe(480, t0.Add(7*time.Second))
	<-c.done
	require.InDelta(t, 1000.0/5, c.steady(), 1e-9)
	require.InDelta(t, 1100.0/7, c.totalRate(), 1e-9)
	c.observe(5, t0.Add(8*time.Second)) // a duplicate after the end changes nothing
	require.InDelta(t, 1000.0/5, c.steady(), 1e-9)
}

func TestScheduleChargesALateSendToTheSystem(t *testing.T) {
	start := time.Now().Add(-time.Second) // a second behind already
	s := schedule{start: start, rate: 100}
	require.Equal(t, start.Add(500*time.Millisecond), s.wait(50), "a late item counts from when it was due")
	ahead := schedule{start: time.Now().Add(time.Hour), rate: 1}
	require.Equal(t, ahead.start, ahead.due(0))
	before := time.Now()
	free := schedule{start: before}
	require.False(t, free.wait(7).Before(before), "no rate: every item at once, from when it is sent")
}

func TestFixedRateDropsTheWarmUp(t *testing.T) {
	fr := fixedRate{rate: 1000, warm: 2 * time.Second, measure: 3 * time.Second}
	require.Equal(t, 5000, fr.items())
	start := time.Unix(0, 0)
	require.False(t, fr.counts(start, start.Add(1999*time.Millisecond)))
	require.True(t, fr.counts(start, start.Add(2*time.Second)))
}

func TestLifecyclesInterleaveEachBlockStepByStep(t *testing.T) {
	l := lifecycles("t", 2*interleave*stepsPerLifecycle+1) // a third block of one order
	require.Len(t, l.orders, 2*interleave+1)
	require.Len(t, l.recs, len(l.orders)*stepsPerLifecycle)
	require.Len(t, l.cmdIDs, len(l.recs))
	require.Equal(t, "t-0000000-c1", l.cmdIDs[0])
	require.Equal(t, "t-0000001-c1", l.cmdIDs[1], "the next order's first step, not the first order's second")
	require.Equal(t, "t-0000000-c2", l.cmdIDs[interleave])
	require.Equal(t, "t-0001000-c1", l.cmdIDs[interleave*stepsPerLifecycle], "the second block starts with its orders' creates")
	require.Equal(t, "t-0002000-c9", l.cmdIDs[len(l.cmdIDs)-1])
	seen := map[string]bool{}
	for i, id := range l.cmdIDs {
		require.False(t, seen[id], "commandId %s twice", id)
		seen[id] = true
		require.Contains(t, string(l.recs[i].Value), `"commandId":"`+id+`"`)
	}
}

func TestTaggedRecordsCarryTheirIndex(t *testing.T) {
	l := lifecycles("x", 20)
	for i, r := range tagged(l.recs) {
		got, ok := headerIndex(r)
		require.True(t, ok)
		require.Equal(t, i, got)
		require.Equal(t, l.recs[i].Value, r.Value)
	}
	_, ok := headerIndex(l.recs[0])
	require.False(t, ok, "an untagged record has no index")
}

func TestProfilePartsAreTheLargestCumulativeShare(t *testing.T) {
	top := `Duration: 6.07s, Total samples = 2.82s (46.45%)
      flat  flat%   sum%        cum   cum%
         0     0%     0%      1.97s 69.86%  github.com/orderlog/orderlog/stream.parallel.func1
         0     0%     0%      0.72s 25.53%  github.com/orderlog/orderlog/order.Decider.Handle
         0     0%     0%      0.10s  3.55%  github.com/orderlog/orderlog/order.Decider.Handle.func1
     0.03s  1.06%  3.55%      0.51s 18.09%  runtime.mallocgc`
	got := map[string]float64{}
	for _, p := range parseParts(top) {
		got[p.what] = p.share
	}
	require.InDelta(t, 0.6986, got[cpuParts[0].what], 1e-9)
	require.InDelta(t, 0.2553, got["deciding (order.Decider.Handle)"], 1e-9)
	require.InDelta(t, 0.1809, got["allocating (runtime.mallocgc)"], 1e-9)
	require.Zero(t, got["decoding commands (schemas.DecodeCommand: JSON)"], "not in the profile")
	require.Len(t, got, len(cpuParts))
}

func TestCPUPerCommandOfThisProcess(t *testing.T) {
	got, ok := procCPU(os.Getpid())
	require.True(t, ok, "this process's /proc/<pid>/stat")
	later := got
	for deadline := time.Now().Add(10 * time.Second); later == got && time.Now().Before(deadline); {
		later, ok = procCPU(os.Getpid()) // spinning: the CPU time grows by a tick
		require.True(t, ok)
	}
	require.Greater(t, later, got, "spinning shows in utime")
	require.Equal(t, os.Getpid(), brokerPID(writeFile(t, fmt.Sprintf("%d\n", os.Getpid()))))
	require.Zero(t, brokerPID(writeFile(t, "not a pid")))
	require.Zero(t, brokerPID("/nonexistent/kafka.pid"))

	from := cpuTime{self: time.Second, broker: 2 * time.Second, brokerKnown: true}
	to := cpuTime{self: 3 * time.Second, broker: 6 * time.Second, brokerKnown: true}
	self, broker := perCommand(from, to, 1000)
	require.Equal(t, 2*time.Millisecond, self)
	require.Equal(t, 4*time.Millisecond, broker)
	require.InDelta(t, 1500.0, allocatedPerCommand(cpuTime{allocated: 500_000}, cpuTime{allocated: 2_000_000}, 1000), 1e-9)
	_, broker = perCommand(cpuTime{}, to, 1000)
	require.Zero(t, broker, "unknown at the start: unknown")
}

func writeFile(t *testing.T, content string) string {
	p := filepath.Join(t.TempDir(), "kafka.pid")
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

func TestOutstandingAnswersShowAsLowerBounds(t *testing.T) {
	l := newLatencies(100)
	for i := 1; i <= 98; i++ {
		l.add(time.Duration(i) * time.Millisecond)
	}
	l.addBound(30 * time.Second)
	l.addBound(31 * time.Second)
	require.Equal(t, 2, l.behind())
	require.Equal(t, "50.0 ms", l.show(0.5), "the median is an answer")
	require.Equal(t, "98.0 ms", l.show(0.98))
	require.Equal(t, "≥ 30.00 s", l.show(0.99), "p99 is among the outstanding")
	require.Equal(t, "≥ 31.00 s", l.show(1))
	tg := p99Target("p99", 40*time.Millisecond, l)
	require.Equal(t, missed, tg.status)
	require.Contains(t, tg.got, "fell behind the rate, 2 answers outstanding")
}

func TestAFailedRequestMissesTheAPITarget(t *testing.T) {
	x := apiRun{rate: 500, lat: newLatencies(1), failed: 3, firstErr: errors.New("status 503")}
	x.lat.add(time.Millisecond)
	tg := apiTarget("POST", 50*time.Millisecond, x)
	require.Equal(t, missed, tg.status)
	require.Contains(t, tg.got, "3 requests failed")
	require.Contains(t, x.String(), "3 failed; the first: status 503")
}

func TestAProbeCountsTheUnansweredAfterTheWarmUp(t *testing.T) {
	start := time.Unix(100, 0)
	pr := newProbe(fixedRate{rate: 1, warm: 2 * time.Second, measure: 3 * time.Second}, start, 5, headerIndex)
	for i := range 5 {
		pr.sent[i].Store(start.Add(time.Duration(i) * time.Second).UnixNano())
	}
	pr.answered[3].Store(true)
	pr.outstanding(start.Add(10 * time.Second))
	// 0 and 1 are in the warm-up, 3 was answered: 2 and 4 are outstanding.
	require.Equal(t, 2, pr.lat.behind())
	require.Equal(t, 6*time.Second, pr.lat.pct(0), "command 4 has waited 6 s")
	require.Equal(t, 8*time.Second, pr.lat.pct(1), "command 2 has waited 8 s")
}
