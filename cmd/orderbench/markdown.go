package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"
)

// The side-by-side against the peers is measured with ../shared/peers
// (which the project's benchmark must not depend on) and written by hand
// between these markers; writeDoc keeps it.
const (
	sideBySideStart = "<!-- side-by-side: written by hand, kept by make bench -->"
	sideBySideEnd   = "<!-- /side-by-side -->"
)

const sideBySideStub = sideBySideStart + `
## Side by side with the peers

Not measured yet on this machine: run ` + "`../shared/peers/sidebyside.py`" + ` (see its README) and quote its figures here.
` + sideBySideEnd + "\n"

// writeDoc writes the report to path, keeping the side-by-side section of
// the file it replaces.
func writeDoc(path string, r report) error {
	keep := sideBySideStub
	old, err := os.ReadFile(path)
	switch {
	case err == nil:
		if s := keptSection(string(old)); s != "" {
			keep = s
		}
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("read %s: %w", path, err)
	}
	if err := os.WriteFile(path, []byte(r.markdown()+"\n"+keep), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// keptSection is doc's side-by-side section, markers included, or "".
func keptSection(doc string) string {
	i := strings.Index(doc, sideBySideStart)
	j := strings.Index(doc, sideBySideEnd)
	if i < 0 || j < i {
		return ""
	}
	return doc[i:j+len(sideBySideEnd)] + "\n"
}

func (r report) markdown() string {
	var b strings.Builder
	b.WriteString("# Performance\n\nWritten by `make bench` (`cmd/orderbench`); do not edit the figures by hand (the side-by-side section at the end is kept). Where the time goes: [performance-analysis.md](performance-analysis.md).\n\n")
	fmt.Fprintf(&b, "Run %s, %s, on %s. Load average (1, 5, 15 min) %s at the start, %s at the end.",
		r.started.UTC().Format("2006-01-02 15:04 MST"), r.finished.Sub(r.started).Round(time.Second), r.machine, r.loadStart, r.loadEnd)
	if r.cfg.note != "" {
		b.WriteString(" " + r.cfg.note)
	}
	if r.cfg.quick {
		b.WriteString(" **A -quick run: sizes cut to check the harness; the figures are not comparable.**")
	}
	if r.failure != nil {
		fmt.Fprintf(&b, "\n\n**Incomplete: a run failed, and what follows it was not run: %v**", r.failure)
	}
	b.WriteString("\n\nThe systems under test, the load generators and the measuring consumers run in one process and share the machine's cores with the broker and Redis: compare figures within one run.\n\n")
	r.targetsMarkdown(&b)
	r.throughputMarkdown(&b)
	r.latencyMarkdown(&b)
	for _, s := range r.sections {
		b.WriteString(s.markdown())
	}
	if r.cfg.redisAddr != "" && r.cfg.runs["readside"] {
		r.readSideMarkdown(&b)
	}
	if r.restore.states > 0 {
		fmt.Fprintf(&b, "## Restore and memory\n\n%s order states (%d B each as Avro: delivered orders with 2 lines and 9 commands remembered) restored from order.state into a processor in %s (%s states/s), the processor ready after it; %s B of heap per order state (the heap after a GC with the restored processor, less the heap after it stopped, over the states; each state is held as its order.state record, the last used 20,000 per partition also decoded, none right after a restore).\n\n",
			thousands(float64(r.restore.states)), r.restore.avgValue, ms(r.restore.restore), thousands(float64(r.restore.states)/r.restore.restore.Seconds()), thousands(r.restore.bytesPerOrd))
	}
	r.profilesMarkdown(&b)
	return b.String()
}

func (r report) targetsMarkdown(b *strings.Builder) {
	b.WriteString("## Targets\n\n| target | want | measured | |\n|---|---|---|---|\n")
	for _, t := range r.targets() {
		mark := t.status.String()
		if t.status == missed {
			mark = "**missed**"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", t.what, t.want, t.got, mark)
	}
	b.WriteString("\n")
}

func (r report) throughputMarkdown(b *strings.Builder) {
	if len(r.tput) == 0 {
		return
	}
	fmt.Fprintf(b, "## Throughput, steady state\n\nThe same %s preloaded JSON commands (%s order lifecycles of %d: create with 2 lines, shipping, place, initiate, authorize, reserve, capture, ship, deliver; %d orders at a time interleaved step by step) on %d partitions, read by each system with a group of its own, in turn, %d rounds (A B C A B C). The clock starts when a read_committed consumer of the results has seen the first %s (the warm-up) and stops at the last: %s commands timed per run.",
		thousands(float64(r.total)), thousands(float64(r.orders)), stepsPerLifecycle, interleave, r.cfg.partitions, r.cfg.rounds, thousands(float64(r.cfg.warm)), thousands(float64(r.total-r.cfg.warm)))
	if r.cfg.warmupRound {
		b.WriteString(" Before the rounds, each system ran once on a smaller input (not reported).")
	}
	b.WriteString("\n\n| system | commands/s steady, median [range] | from its start, median | per round (the machine's 1-minute load as it started) | CPU per command, median: this process, the broker | allocated per command, median | transactions, round 1: commands, records produced, time each (mean) |\n|---|---|---|---|---|---|---|\n")
	for _, sys := range throughputSystems {
		ts := r.tput[sys.label()]
		tot, self, broker, alloc := make([]float64, len(ts)), make([]float64, len(ts)), make([]float64, len(ts)), make([]float64, len(ts))
		per := make([]string, len(ts))
		for i, t := range ts {
			tot[i], per[i] = t.total, fmt.Sprintf("%s (load %s)", thousands(t.steady), t.load)
			self[i], broker[i], alloc[i] = float64(t.selfCPU), float64(t.brokerCPU), t.allocated
		}
		txn := "none"
		if len(ts) > 0 && ts[0].txns.count > 0 {
			txn = strings.TrimPrefix(ts[0].txnNote(), ", ")
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s, %s | %s B | %s |\n", sys.label(), steadyRates(ts), thousands(spreadOf(tot).median), strings.Join(per, ", "),
			us(time.Duration(spreadOf(self).median)), us(time.Duration(spreadOf(broker).median)), thousands(spreadOf(alloc).median), txn)
	}
	b.WriteString("\nCPU per command is the CPU time over the whole run, of this process (the system under test and the counting consumer) and of the broker (from /proc; ? when its pid file was not found), divided by the run's commands: other work on the machine sways it much less than the rates. Allocated bytes likewise (the Go runtime's TotalAlloc).\n\n")
	for _, q := range [][2]string{{labelOrderlog, labelTxpipe}, {labelOrderlog, labelPipe}, {labelTxpipe, labelPipe}} {
		s := r.ratio(q[0], q[1])
		fmt.Fprintf(b, "- %s / %s, per round: median %.2f [%.2f..%.2f]\n", q[0], q[1], s.median, s.lo, s.hi)
	}
	fmt.Fprintf(b, "\nThe at-least-once pipe copies each command to the results topic, no transaction. The transactional pipe is the exactly-once ceiling: one transaction per polled batch with its offsets (a franz-go GroupTransactSession, read_committed; at most %d commands per transaction, as the processor), writing per command its bytes as its result and as one event and, once per order per batch, as its state, on the command's partition: orderlog's records, without decoding or logic.\n\n", r.cfg.batch())
}

func (r report) latencyMarkdown(b *strings.Builder) {
	if len(r.latency) == 0 {
		return
	}
	fmt.Fprintf(b, "## Latency, command to result\n\nCommands at a fixed rate (open loop: each is measured from when it was due if the producer fell behind) into a fresh topic set; from the command handed to the producer to its result read by a read_committed consumer. Each run sends for %s; the commands of the first %s are not measured. A run whose answers are not all in %s after its last send stops waiting: each command still unanswered counts as a sample of how long it has waited (≥, a lower bound), so a system that falls behind its rate shows it.\n\n",
		r.cfg.latWarm+r.cfg.latMeasure, r.cfg.latWarm, r.cfg.drain)
	b.WriteString("| run | offered/s | achieved/s | samples | p50 | p99 | max |\n|---|---|---|---|---|---|---|\n")
	for _, x := range r.latency {
		fmt.Fprintf(b, "| %s | %s | %s | %d | %s | %s | %s |\n", x.name, thousands(x.rate), thousands(x.achieved), x.lat.count(),
			x.lat.show(0.5), x.lat.show(0.99), x.lat.show(1))
	}
	b.WriteString("\n")
}

func (r report) readSideMarkdown(b *strings.Builder) {
	b.WriteString("## Read side\n\n")
	fmt.Fprintf(b, "Projector: the events of %s lifecycles (decided and written to order.events beforehand) applied to one redis-server, %d times (each by a group of its own into a key prefix of its own): %s events/s after the first tenth (%s events timed per run), the median [range] of the runs; CPU per event %s in this process, %s in Redis; redis-benchmark -P 16 SET on the same server: %s/s.\n\n",
		thousands(float64(r.cfg.projectorOrders)), r.projector.rounds.n, r.projector.rounds, thousands(float64(r.projector.events)),
		us(r.projector.goCPU), us(r.projector.redisCPU), thousands(r.projector.redisSetRPS))
	if r.projectorCluster.events > 0 {
		fmt.Fprintf(b, "On a Redis Cluster of three primaries and three replicas (on loopback, the same machine): %s events/s; redis-benchmark --cluster -P 16 SET: %s/s. Each event is two script calls there (its shard's, then its order's), each in one slot.\n\n",
			r.projectorCluster.rounds, thousands(r.projectorCluster.redisSetRPS))
	}
	fmt.Fprintf(b, "The pipeline (processor and projector in one process) at full speed: %s commands/s steady over %s commands, timed on the events written to Redis. Command to visible is measured per event, from its command's produce timestamp to the projector having written it.\n\n",
		thousands(r.visiblePeak.steady), thousands(float64(r.cfg.visiblePeak)))
	b.WriteString("| run | offered/s | samples | p50 | p99 | max |\n|---|---|---|---|---|---|\n")
	for _, x := range []visibleRun{r.visible, r.visibleFixed, r.visibleCluster} {
		if x.lat.count() > 0 {
			fmt.Fprintf(b, "| %s | %s | %d | %s | %s | %s |\n", x.name, thousands(x.rate), x.lat.count(), x.lat.show(0.5), x.lat.show(0.99), x.lat.show(1))
		}
	}
	for _, x := range []apiRun{r.apiPost, r.apiGet} {
		if x.lat.count() > 0 || x.failed > 0 {
			fmt.Fprintf(b, "| %s%s | %s | %d | %s | %s | %s |\n", x.name, x.failures(), thousands(x.rate), x.lat.count(), x.lat.show(0.5), x.lat.show(0.99), x.lat.show(1))
		}
	}
	b.WriteString("\nThe API runs over loopback HTTP in this process, requests open loop, each measured from when it was due to its full response. POST creates an order with two lines through the whole stack (API producer, processor, result, projector) and is answered once the projection shows the order at the result's version; GET reads the delivered orders of the command-to-visible run.\n\n")
}

func (r report) profilesMarkdown(b *strings.Builder) {
	if r.cfg.profileDir == "" || r.profiled.steady == 0 {
		return
	}
	fmt.Fprintf(b, "## Profiles\n\nOne more processor run over the same input, not counted above (%s commands/s steady with the profiler on), profiled from the processor's start to its last result: this whole process, so the measuring consumer is in it too. Files in `%s`: processor.cpu.pprof, and processor.allocs.pprof read against processor.allocs.base.pprof (`go tool pprof -sample_index=alloc_space -base ...`).\n\n",
		thousands(r.profiled.steady), r.cfg.profileDir)
	if r.tops.err != nil {
		fmt.Fprintf(b, "(No summary: %v.)\n\n", r.tops.err)
		return
	}
	if len(r.tops.parts) > 0 {
		b.WriteString("Where the CPU went, by what the processor does (samples under each function, of all the process's; parts overlap where one calls another):\n\n| part | CPU |\n|---|---|\n")
		for _, p := range r.tops.parts {
			fmt.Fprintf(b, "| %s | %.0f%% |\n", p.what, 100*p.share)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(b, "CPU, top entries by flat time:\n\n```\n%s\n```\n\nAllocated bytes during the run, top entries:\n\n```\n%s\n```\n\n", r.tops.cpu, r.tops.allocs)
}
