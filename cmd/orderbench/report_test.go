package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func lat(ds ...time.Duration) *latencies {
	l := newLatencies(len(ds))
	for _, d := range ds {
		l.add(d)
	}
	return l
}

func sampleReport() report {
	rounds := func(xs ...float64) []throughput {
		var ts []throughput
		for _, x := range xs {
			ts = append(ts, throughput{steady: x, total: x * 0.9})
		}
		return ts
	}
	return report{
		cfg: config{partitions: 6, rounds: 3, warm: 50_000, redisAddr: "127.0.0.1:1", latWarm: 5 * time.Second, latMeasure: 20 * time.Second,
			runs: map[string]bool{"throughput": true, "latency": true, "readside": true, "restore": true}},
		tput: map[string][]throughput{
			labelOrderlog: rounds(150_000, 140_000, 160_000),
			labelPipe:     rounds(250_000, 240_000, 260_000),
			labelTxpipe:   rounds(290_000, 300_000, 280_000),
		},
		latency: []latencyRun{
			{name: "orderlog at 10,000 cmd/s", rate: 10_000, lat: lat(10*time.Millisecond, 39*time.Millisecond)},
			{name: "txpipe at 10,000 cmd/s", rate: 10_000, lat: lat(time.Second)},
			{name: "orderlog at half", rate: 75_000, lat: lat(10*time.Millisecond, 60*time.Millisecond)},
		},
		projector:   projectorRun{events: 1000, steady: 120_000, rounds: spreadOf([]float64{110_000, 120_000, 130_000}), redisSetRPS: 800_000},
		visiblePeak: visibleRun{steady: 40_000},
		visible:     visibleRun{rate: 20_000, lat: lat(50 * time.Millisecond)},
		apiPost:     apiRun{rate: 500, lat: lat(20 * time.Millisecond)},
		apiGet:      apiRun{rate: 1000, lat: lat(3 * time.Millisecond)},
		restore:     restoreRun{states: 1_000_000, restore: 2500 * time.Millisecond, bytesPerOrd: 1100},
	}
}

func TestTargetsSayWhatWasMetAndMissed(t *testing.T) {
	got := map[string]status{}
	for _, tg := range sampleReport().targets() {
		got[tg.what] = tg.status
	}
	require.Equal(t, map[string]status{
		"EOS throughput vs the transactional pipe":                                    met, // 150k/290k, 140k/300k, 160k/280k: median 0.52
		"EOS throughput vs the Kafka Streams peer":                                    notRun,
		"p99 command->result at 10,000 cmd/s":                                         met,
		"p99 command->result at half of orderlog's peak (75,000 cmd/s)":               missed,
		"p99 command->visible in Redis at half of the pipeline's peak (20,000 cmd/s)": met,
		"projector into one redis-server":                                             met,
		"API POST /orders p99 at 500 req/s":                                           met,
		"API GET /orders/{id} p99 at 1,000 req/s":                                     missed,
		"restore of 1,000,000 states":                                                 met,
		"heap per order state":                                                        missed,
	}, got)
}

func TestThroughputRatioIsPerRound(t *testing.T) {
	r := sampleReport()
	q := r.ratio(labelOrderlog, labelTxpipe)
	require.InDelta(t, 150.0/290, q.median, 1e-9)
	require.InDelta(t, 140.0/300, q.lo, 1e-9)
	require.InDelta(t, 160.0/280, q.hi, 1e-9)
	require.Equal(t, 150_000.0, r.peak())
}

func TestARunNotMadeIsNotATargetMet(t *testing.T) {
	r := report{cfg: config{redisAddr: "x", runs: map[string]bool{"readside": true}}, failure: errors.New("round 1: orderlog processor: no result for 1m0s")}
	for _, tg := range r.targets() {
		require.NotEqual(t, met, tg.status, "%s", tg.what)
	}
	require.Contains(t, r.markdown(), "**Incomplete: a run failed, and what follows it was not run: round 1: orderlog processor: no result for 1m0s**")
	require.Contains(t, r.summary(), "INCOMPLETE: round 1")
}

// failoverStub stands for a section a later run adds.
type failoverStub struct{}

func (failoverStub) markdown() string { return "## Failover\n\nstub\n\n" }
func (failoverStub) targets() []target {
	return []target{{what: "failover gap", want: "<= 1 s", got: "0.5 s", status: met}}
}

func TestMarkdownHasEveryTargetAndTheAddedSections(t *testing.T) {
	r := sampleReport()
	r.sections = append(r.sections, failoverStub{})
	md := r.markdown()
	for _, tg := range r.targets() {
		require.Contains(t, md, "| "+tg.what+" | "+tg.want+" | "+tg.got+" |")
	}
	require.Contains(t, md, "| failover gap | <= 1 s | 0.5 s | met |")
	require.Less(t, strings.Index(md, "## Latency"), strings.Index(md, "## Failover"), "failover after the latency")
	require.Less(t, strings.Index(md, "## Failover"), strings.Index(md, "## Read side"), "and before the read side")
	require.Contains(t, md, "| orderlog processor | 150,000 [140,000..160,000] |")
	require.Contains(t, md, "**missed**")
}

func TestWriteDocKeepsTheSideBySide(t *testing.T) {
	path := filepath.Join(t.TempDir(), "performance.md")
	r := sampleReport()
	require.NoError(t, writeDoc(path, r))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(b), sideBySideStub, "a new file gets the stub")

	hand := sideBySideStart + "\n## Side by side\n\norderlog 3.1x Kafka Streams\n" + sideBySideEnd
	require.NoError(t, os.WriteFile(path, []byte("# old figures\n\n"+hand+"\ntrailing\n"), 0o644))
	require.NoError(t, writeDoc(path, r))
	b, err = os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(b), hand)
	require.NotContains(t, string(b), "old figures")
	require.Equal(t, 1, strings.Count(string(b), sideBySideStart))
}

func TestQuickCutsOnlyTheSizesNotGiven(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		commands int
		rounds   int
	}{
		{"full", nil, 500_000, 3},
		{"quick", []string{"-quick"}, 50_000, 2},
		{"quick keeps a size given", []string{"-quick", "-commands", "70000"}, 70_000, 2},
		{"some runs", []string{"-runs", "throughput, latency"}, 500_000, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseConfig(tc.args)
			require.NoError(t, err)
			require.Equal(t, tc.commands, cfg.commands)
			require.Equal(t, tc.rounds, cfg.rounds)
		})
	}
}

func TestConfigNamesTheBadSetting(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-rounds", "0"}, "-rounds 0"},
		{[]string{"-partitions", "0"}, "-partitions 0"},
		{[]string{"-rate", "0"}, "-rate 0"},
		{[]string{"-latency-duration", "0s"}, "-latency-duration 0s"},
		{[]string{"-runs", "throughput,failover"}, "-runs: want some of throughput,latency,readside,restore"},
	} {
		_, err := parseConfig(tc.args)
		require.ErrorContains(t, err, tc.want)
	}
}

func TestTransactionsAreSummedUpPerRun(t *testing.T) {
	tp := throughput{commands: 450, warm: 50, txns: txnStats{count: 4, seconds: 2, produced: 1000}}
	require.Equal(t, ", 4 transactions: 125 commands, 250 records, 500.0 ms each", tp.txnNote())
	require.Empty(t, throughput{commands: 10}.txnNote(), "the at-least-once pipe has none")
}
