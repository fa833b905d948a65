package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// section is a part of the report a run adds beside the built-in ones (the
// -failover run's, say): its markdown, and its targets for the table.
type section interface {
	markdown() string
	targets() []target
}

type report struct {
	machine           string
	started, finished time.Time
	cfg               config
	loadStart         string
	loadEnd           string
	failure           error // the run that failed; the report stops before it

	orders, total int                     // of every throughput run
	tput          map[string][]throughput // by system label, in round order
	profiled      throughput
	tops          profileTops

	latency  []latencyRun // orderlog and the transactional pipe at cfg.fixedRate, orderlog at half its peak
	sections []section

	projector, projectorCluster projectorRun
	visiblePeak                 visibleRun // processor and projector together at full speed
	visible, visibleCluster     visibleRun // at half of visiblePeak
	visibleFixed                visibleRun // at cfg.fixedRate (the command->result run's), when below half
	apiPost, apiGet             apiRun
	restore                     restoreRun
}

func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.SplitN(string(b), "\n", 2)[0], "MemTotal: %d kB", &kb)
		mem = fmt.Sprintf(", %.0f GiB", float64(kb)/(1<<20))
	}
	return fmt.Sprintf("%d cores (%s)%s, %s, Kafka %s single KRaft node on loopback", runtime.NumCPU(), cpu, mem,
		runtime.Version(), envOr("ORDERLOG_KAFKA_VERSION", "?"))
}

const (
	labelOrderlog = "orderlog processor"
	labelPipe     = "at-least-once pipe"
	labelTxpipe   = "transactional pipe"
)

// peak is orderlog's median steady throughput.
func (r report) peak() float64 { return steadyRates(r.tput[labelOrderlog]).median }

// ratio is a/b per round: the rounds' systems ran back to back.
func (r report) ratio(a, b string) spread {
	as, bs := r.tput[a], r.tput[b]
	var xs []float64
	for i := range min(len(as), len(bs)) {
		if bs[i].steady > 0 {
			xs = append(xs, as[i].steady/bs[i].steady)
		}
	}
	return spreadOf(xs)
}

type status int

const (
	missed status = iota
	met
	notRun
)

type target struct {
	what, want, got string
	status          status
}

func check(ok bool) status {
	if ok {
		return met
	}
	return missed
}

func p99Target(what string, limit time.Duration, lat *latencies) target {
	if lat.count() == 0 {
		return target{what: what, want: "<= " + ms(limit), got: "not run", status: notRun}
	}
	p := lat.pct(0.99)
	got := fmt.Sprintf("%s (p50 %s, max %s)", lat.show(0.99), lat.show(0.5), lat.show(1))
	if n := lat.behind(); n > 0 {
		return target{what: what, want: "<= " + ms(limit), got: fmt.Sprintf("%s; fell behind the rate, %d answers outstanding", got, n), status: missed}
	}
	return target{what: what, want: "<= " + ms(limit), got: got, status: check(p <= limit)}
}

// apiTarget is p99Target of an API run; a failed request misses it.
func apiTarget(what string, limit time.Duration, x apiRun) target {
	t := p99Target(what, limit, x.lat)
	if x.failed > 0 {
		t.got += fmt.Sprintf("; %d requests failed", x.failed)
		t.status = missed
	}
	return t
}

// targets are the issue's, in its order, each with what this run measured.
func (r report) targets() []target {
	var ts []target
	if ol, tx := steadyRates(r.tput[labelOrderlog]), steadyRates(r.tput[labelTxpipe]); ol.n > 0 && tx.n > 0 {
		q := r.ratio(labelOrderlog, labelTxpipe)
		ts = append(ts, target{"EOS throughput vs the transactional pipe", ">= 50%",
			fmt.Sprintf("%.0f%% [%.0f%%..%.0f%%], the median and range of the rounds' ratios (medians %s / %s cmd/s)", 100*q.median, 100*q.lo, 100*q.hi, thousands(ol.median), thousands(tx.median)),
			check(q.median >= 0.5)})
	}
	ts = append(ts, target{"EOS throughput vs the Kafka Streams peer", ">= 3x",
		"not run by make bench (the peer is in ../shared/peers); see the side-by-side below", notRun})
	for i, x := range r.latency {
		switch i {
		case 0:
			ts = append(ts, p99Target(fmt.Sprintf("p99 command->result at %s cmd/s", thousands(x.rate)), 40*time.Millisecond, x.lat))
		case 2:
			ts = append(ts, p99Target(fmt.Sprintf("p99 command->result at half of orderlog's peak (%s cmd/s)", thousands(x.rate)), 50*time.Millisecond, x.lat))
		}
	}
	if r.cfg.redisAddr != "" && r.cfg.runs["readside"] {
		ts = append(ts, p99Target(fmt.Sprintf("p99 command->visible in Redis at half of the pipeline's peak (%s cmd/s)", thousands(r.visible.rate)), 100*time.Millisecond, r.visible.lat))
		ts = append(ts, target{"projector into one redis-server", ">= 100,000 events/s",
			fmt.Sprintf("%s events/s, median [range] of %d runs (redis-benchmark -P 16 SET: %s/s)", r.projector.rounds, r.projector.rounds.n, thousands(r.projector.redisSetRPS)),
			check(r.projector.steady >= 100_000)})
		ts = append(ts, apiTarget(fmt.Sprintf("API POST /orders p99 at %s req/s", thousands(r.apiPost.rate)), 50*time.Millisecond, r.apiPost))
		ts = append(ts, apiTarget(fmt.Sprintf("API GET /orders/{id} p99 at %s req/s", thousands(r.apiGet.rate)), 2*time.Millisecond, r.apiGet))
	}
	if r.restore.states > 0 {
		limit := time.Duration(float64(3*time.Second) * float64(r.restore.states) / 1e6)
		ts = append(ts,
			target{fmt.Sprintf("restore of %s states", thousands(float64(r.restore.states))), "<= " + ms(limit),
				fmt.Sprintf("%s (%s states/s)", ms(r.restore.restore), thousands(float64(r.restore.states)/r.restore.restore.Seconds())), check(r.restore.restore <= limit)},
			target{"heap per order state", "<= 1,024 B", fmt.Sprintf("%s B", thousands(r.restore.bytesPerOrd)), check(r.restore.bytesPerOrd <= 1024)})
	}
	for _, s := range r.sections {
		ts = append(ts, s.targets()...)
	}
	if r.projectorCluster.events > 0 {
		ts = append(ts, target{"projector into the Redis Cluster (3 primaries; same target)", ">= 100,000 events/s",
			fmt.Sprintf("%s events/s, median [range] of %d runs (redis-benchmark --cluster -P 16 SET: %s/s)", r.projectorCluster.rounds, r.projectorCluster.rounds.n, thousands(r.projectorCluster.redisSetRPS)),
			check(r.projectorCluster.steady >= 100_000)})
		ts = append(ts, p99Target(fmt.Sprintf("p99 command->visible in the Redis Cluster at %s cmd/s (same target)", thousands(r.visibleCluster.rate)), 100*time.Millisecond, r.visibleCluster.lat))
	}
	return ts
}

func (s status) String() string {
	switch s {
	case met:
		return "met"
	case notRun:
		return "n/a"
	}
	return "MISSED"
}

func (r report) summary() string {
	var b strings.Builder
	if r.failure != nil {
		fmt.Fprintf(&b, "\nINCOMPLETE: %v\n", r.failure)
	}
	fmt.Fprintf(&b, "\n%-78s %-22s %s\n", "target", "want", "measured")
	for _, t := range r.targets() {
		fmt.Fprintf(&b, "%-78s %-22s %-7s %s\n", t.what, t.want, t.status, t.got)
	}
	return b.String()
}
