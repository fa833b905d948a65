package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// bench runs everything in the order the report shows it. When a run
// fails, the report of what ran before it is still written, saying so.
func bench(ctx context.Context, cfg config) error {
	r := report{machine: machine(), started: time.Now(), cfg: cfg, loadStart: loadAvg()}
	fmt.Println(r.machine)
	err := benchAll(ctx, cfg, &r)
	r.loadEnd, r.finished, r.failure = loadAvg(), time.Now(), err
	fmt.Print(r.summary())
	if cfg.doc != "" {
		err = errors.Join(err, writeDoc(cfg.doc, r))
	}
	return err
}

func benchAll(ctx context.Context, cfg config, r *report) error {
	if cfg.runs["throughput"] {
		if err := benchThroughput(ctx, cfg, r); err != nil {
			return err
		}
	}
	if cfg.runs["latency"] {
		if err := benchLatency(ctx, cfg, r); err != nil {
			return err
		}
	}
	// A -failover run (failover.go) goes here, and adds its section to
	// r.sections: after the steady-state figures, before the read side.
	if cfg.runs["readside"] && cfg.redisAddr != "" {
		if err := benchReadSide(ctx, cfg, r); err != nil {
			return err
		}
	}
	if cfg.runs["restore"] && cfg.states > 0 {
		var err error
		if r.restore, err = runRestore(ctx, cfg); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		fmt.Println(r.restore)
	}
	return nil
}

// throughputSystems are A B C of every round.
var throughputSystems = []system{orderlog{}, pipe{}, txpipe{}}

func benchThroughput(ctx context.Context, cfg config, r *report) error {
	if cfg.warmupRound {
		w := lifecycles(fmt.Sprintf("w%d", time.Now().Unix()), max(cfg.warm, 20_000))
		input, err := preload(ctx, cfg, w.recs)
		if err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
		for _, sys := range throughputSystems {
			t, err := runThroughput(ctx, cfg, sys, input, len(w.recs), 0, nil)
			if err != nil {
				return fmt.Errorf("warm-up: %w", err)
			}
			fmt.Printf("warm-up  %s\n", t)
		}
	}
	l := lifecycles(fmt.Sprintf("t%d", time.Now().Unix()), cfg.commands+cfg.warm)
	total := len(l.recs)
	r.orders, r.total = len(l.orders), total
	fmt.Printf("throughput: %d orders, %d commands (%d warm-up, %d measured) per run, %d partitions, %d rounds\n",
		len(l.orders), total, cfg.warm, total-cfg.warm, cfg.partitions, cfg.rounds)
	input, err := preload(ctx, cfg, l.recs)
	if err != nil {
		return err
	}
	l = load{}
	if r.tput, err = rounds(ctx, cfg, throughputSystems, input, total, cfg.warm, cfg.rounds); err != nil {
		return err
	}
	if cfg.profileDir != "" {
		prof := &profiler{dir: cfg.profileDir}
		t, err := runThroughput(ctx, cfg, orderlog{}, input, total, cfg.warm, prof)
		if err != nil {
			return fmt.Errorf("profiled run: %w", err)
		}
		fmt.Printf("profiled %s\n", t)
		r.profiled, r.tops = t, prof.tops(15)
		if r.tops.err != nil {
			fmt.Fprintln(os.Stderr, "orderbench: profiles written, but:", r.tops.err)
		}
	}
	return nil
}

func benchLatency(ctx context.Context, cfg config, r *report) error {
	runs := []struct {
		sys  system
		rate float64
		name string
	}{
		{orderlog{}, cfg.fixedRate, fmt.Sprintf("orderlog at %s cmd/s", thousands(cfg.fixedRate))},
		{txpipe{}, cfg.fixedRate, fmt.Sprintf("transactional pipe at %s cmd/s", thousands(cfg.fixedRate))},
	}
	if half := r.peak() / 2; half > 0 {
		runs = append(runs, struct {
			sys  system
			rate float64
			name string
		}{orderlog{}, half, fmt.Sprintf("orderlog at half its peak, %s cmd/s", thousands(half))})
	}
	for _, x := range runs {
		lr, err := runLatency(ctx, cfg, x.sys, x.name, fixedRate{rate: x.rate, warm: cfg.latWarm, measure: cfg.latMeasure})
		if err != nil {
			return err
		}
		fmt.Println(lr)
		r.latency = append(r.latency, lr)
	}
	return nil
}

func benchReadSide(ctx context.Context, cfg config, r *report) error {
	single := redisTarget{name: "Redis", addrs: []string{cfg.redisAddr}}
	fr := func(rate float64) fixedRate { return fixedRate{rate: rate, warm: cfg.latWarm, measure: cfg.latMeasure} }
	var err error
	if r.projector, err = runProjector(ctx, cfg, single); err != nil {
		return err
	}
	fmt.Println(r.projector)
	// The read side's peak is the whole pipeline's (processor and
	// projector on the same cores): measure it, then run at half of it.
	if r.visiblePeak, err = runVisiblePeak(ctx, cfg, single, cfg.visiblePeak, cfg.visiblePeak/10); err != nil {
		return err
	}
	fmt.Println(r.visiblePeak)
	half := r.visiblePeak.steady / 2
	if r.visible, err = runVisible(ctx, cfg, single, fr(half)); err != nil {
		return err
	}
	fmt.Println(r.visible)
	// And at the command->result run's rate, when that is below half the
	// peak: the read side's latency where it is not near saturation.
	if cfg.fixedRate < half {
		if r.visibleFixed, err = runVisible(ctx, cfg, single, fr(cfg.fixedRate)); err != nil {
			return err
		}
		fmt.Println(r.visibleFixed)
	}
	if r.apiPost, err = runAPIPost(ctx, cfg, single, fr(cfg.postRate)); err != nil {
		return err
	}
	fmt.Println(r.apiPost)
	// GET reads the delivered orders of the command->visible run.
	if r.apiGet, err = runAPIGet(ctx, cfg, r.visible.prefix, r.visible.orders, fixedRate{rate: cfg.getRate, warm: cfg.latWarm, measure: cfg.latMeasure / 2}); err != nil {
		return err
	}
	fmt.Println(r.apiGet)
	if cfg.cluster == "" {
		return nil
	}
	c := redisTarget{name: "Redis Cluster", addrs: strings.Split(cfg.cluster, ","), cluster: true}
	if r.projectorCluster, err = runProjector(ctx, cfg, c); err != nil {
		return err
	}
	fmt.Println(r.projectorCluster)
	// At the redis-server's rate, for a figure beside its own.
	if r.visibleCluster, err = runVisible(ctx, cfg, c, fr(half)); err != nil {
		return err
	}
	fmt.Println(r.visibleCluster)
	return nil
}

// loadAvg is the 1-, 5- and 15-minute load of the machine.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
