package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

type report struct {
	machine          string
	started          time.Time
	cfg              config
	pipe, full, half run
	visiblePeak      run // processor and projector together at full speed
	visible          run // command produced -> visible in Redis, at half of visiblePeak
	apiGet           run // GET /orders/{id} at 1,000 requests/s
	restore          restoreRun
	projector        projectorRun
	projectorCluster projectorRun // the same, on the three-primary Redis Cluster
	visibleCluster   run          // command -> visible on the cluster, at visible's rate
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

type target struct {
	what, want, got string
	ok              bool
}

func (r report) targets() []target {
	ratio := r.full.perSecond() / r.pipe.perSecond()
	ts := []target{
		{"throughput vs plain pipe", ">= 50%", fmt.Sprintf("%.0f%% (%.0f / %.0f cmd/s)", 100*ratio, r.full.perSecond(), r.pipe.perSecond()), ratio >= 0.5},
		{"p99 command->result at half of peak", "<= 50 ms", r.half.lat.pct(0.99).Round(100 * time.Microsecond).String(), r.half.lat.pct(0.99) <= 50*time.Millisecond},
	}
	if r.restore.states > 0 {
		ts = append(ts,
			target{fmt.Sprintf("restore of %d states", r.restore.states), "<= 10 s", r.restore.restore.Round(time.Millisecond).String(), r.restore.restore <= 10*time.Second},
			target{"memory per order state", "<= 2048 B", fmt.Sprintf("%.0f B", r.restore.bytesPerOrd), r.restore.bytesPerOrd <= 2048})
	}
	if r.visible.lat != nil {
		ts = append(ts, target{"p99 command->visible in Redis at half of peak", "<= 100 ms",
			r.visible.lat.pct(0.99).Round(100 * time.Microsecond).String(), r.visible.lat.pct(0.99) <= 100*time.Millisecond})
	}
	if r.apiGet.lat != nil {
		ts = append(ts, target{"API GET /orders/{id} p99 at 1000 req/s", "<= 5 ms",
			r.apiGet.lat.pct(0.99).Round(10 * time.Microsecond).String(), r.apiGet.lat.pct(0.99) <= 5*time.Millisecond})
	}
	if r.projector.events > 0 {
		ts = append(ts, target{"projector into Redis", ">= 50000 events/s",
			fmt.Sprintf("%.0f events/s (%.2f of redis-benchmark -P 16 SET)", r.projector.perSecond(), r.projector.perSecond()/r.projector.redisSetRPS),
			r.projector.perSecond() >= 50000})
	}
	if r.projectorCluster.events > 0 {
		ts = append(ts, target{"projector into Redis Cluster (3 primaries)", ">= 50000 events/s",
			fmt.Sprintf("%.0f events/s (%.2f of redis-benchmark --cluster -P 16 SET)", r.projectorCluster.perSecond(), r.projectorCluster.perSecond()/r.projectorCluster.redisSetRPS),
			r.projectorCluster.perSecond() >= 50000})
	}
	if r.visibleCluster.lat != nil {
		ts = append(ts, target{"p99 command->visible in Redis Cluster at the same rate", "<= 100 ms",
			r.visibleCluster.lat.pct(0.99).Round(100 * time.Microsecond).String(), r.visibleCluster.lat.pct(0.99) <= 100*time.Millisecond})
	}
	return ts
}

func (r report) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-38s %-10s %s\n", "target", "want", "measured")
	for _, t := range r.targets() {
		mark := "MET"
		if !t.ok {
			mark = "MISSED"
		}
		fmt.Fprintf(&b, "%-38s %-10s %s  %s\n", t.what, t.want, t.got, mark)
	}
	return b.String()
}

func (r report) markdown() string {
	var b strings.Builder
	b.WriteString("# Performance\n\nWritten by `make bench` (`cmd/orderbench`); do not edit the figures by hand. Where the time goes, and what was changed to get here: [performance-analysis.md](performance-analysis.md).\n\n")
	fmt.Fprintf(&b, "Run %s on %s. Load: %d order lifecycles of 9 JSON commands (create with 2 lines, shipping, place, initiate, authorize, reserve, capture, ship, deliver), interleaved across orders, %d partitions. The processor, the load generator and the measuring consumer share the machine's cores, as do the pipe's.\n\n",
		r.started.UTC().Format("2006-01-02 15:04 MST"), r.machine, r.cfg.orders, r.cfg.partitions)
	b.WriteString("| run | commands | commands/s | p50 | p99 | p999 |\n|---|---|---|---|---|---|\n")
	runs := []run{r.pipe, r.full, r.half}
	if r.visible.lat != nil {
		runs = append(runs, r.visiblePeak, r.visible)
	}
	if r.visibleCluster.lat != nil {
		runs = append(runs, r.visibleCluster)
	}
	if r.apiGet.lat != nil {
		runs = append(runs, r.apiGet)
	}
	for _, x := range runs {
		fmt.Fprintf(&b, "| %s | %d | %.0f | %s | %s | %s |\n", x.name, x.commands, x.perSecond(),
			x.lat.pct(0.5).Round(100*time.Microsecond), x.lat.pct(0.99).Round(100*time.Microsecond), x.lat.pct(0.999).Round(100*time.Microsecond))
	}
	b.WriteString("\nLatency is from handing a command to the producer to its result (or, for the pipe, its copy) being read by a read_committed consumer; for \"visible in Redis\", from the command's produce timestamp to each of its events being written by the projector (processor and projector in the same process).\n\n")
	if r.restore.states > 0 {
		fmt.Fprintf(&b, "Restore: %d order states (%d B each as Avro, delivered orders with 2 lines) restored into memory in %s (%.0f states/s); %.0f B of heap per order.\n\n",
			r.restore.states, r.restore.avgValue, r.restore.restore.Round(time.Millisecond), float64(r.restore.states)/r.restore.restore.Seconds(), r.restore.bytesPerOrd)
	}
	if r.projector.events > 0 {
		fmt.Fprintf(&b, "Projector: %d events (the same lifecycles, decided and written to order.events beforehand) applied to Redis in %s: %.0f events/s; redis-benchmark -P 16 SET on the same server: %.0f/s.\n\n",
			r.projector.events, r.projector.elapsed.Round(time.Millisecond), r.projector.perSecond(), r.projector.redisSetRPS)
	}
	if r.projectorCluster.events > 0 {
		fmt.Fprintf(&b, "Projector on a Redis Cluster of three primaries and three replicas (redis-server on loopback, the same machine): %d events applied in %s: %.0f events/s; redis-benchmark --cluster -P 16 SET on it: %.0f/s. Each event is two script calls there (its shard's, then its order's), each in one slot.\n\n",
			r.projectorCluster.events, r.projectorCluster.elapsed.Round(time.Millisecond), r.projectorCluster.perSecond(), r.projectorCluster.redisSetRPS)
	}
	b.WriteString("| target | want | measured | |\n|---|---|---|---|\n")
	for _, t := range r.targets() {
		mark := "met"
		if !t.ok {
			mark = "**missed**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", t.what, t.want, t.got, mark)
	}
	return b.String()
}
