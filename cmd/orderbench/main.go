// Command orderbench measures orderlog's processor on a real Kafka broker:
// end-to-end commands per second and command->result latency, against the
// ceiling of a plain franz-go consume->produce pipe on the same broker and
// partition count, latency at half of the measured peak, and the restore
// time and memory of a large order.state. `make bench` runs it on the test
// bed and writes docs/performance.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"time"
)

type config struct {
	brokers    []string
	orders     int
	partitions int32
	states     int
	halfSecs   int
	doc        string
	cpuProfile string
	maxPoll    int
	redisAddr  string
	cluster    string // seeds of a Redis Cluster for the cluster runs; "" skips them
}

func main() {
	var cfg config
	brokers := flag.String("brokers", envOr("ORDERLOG_KAFKA_BROKERS", "127.0.0.1:9092"), "Kafka bootstrap brokers (ORDERLOG_KAFKA_BROKERS)")
	flag.IntVar(&cfg.orders, "orders", 5000, "order lifecycles (9 commands each) in the full-speed runs")
	partitions := flag.Int("partitions", 6, "partitions of every topic")
	flag.IntVar(&cfg.states, "restore-states", 1_000_000, "order states to restore (0 skips the restore run)")
	flag.IntVar(&cfg.halfSecs, "half-load-seconds", 15, "length of the run at half the measured peak")
	flag.StringVar(&cfg.doc, "doc", "", "write the figures as markdown to this file")
	flag.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the full-speed processor run here")
	flag.StringVar(&cfg.redisAddr, "redis", envOr("ORDERLOG_REDIS_ADDR", ""), "Redis for the projector run (ORDERLOG_REDIS_ADDR; empty skips it)")
	flag.StringVar(&cfg.cluster, "redis-cluster", envOr("ORDERLOG_REDIS_CLUSTER_ADDRS", ""), "Redis Cluster seeds, comma-separated, for the projector and command->visible runs on a cluster (ORDERLOG_REDIS_CLUSTER_ADDRS; empty skips them)")
	flag.IntVar(&cfg.maxPoll, "max-poll-records", 0, "commands per transaction at most (0: the processor's default)")
	flag.Parse()
	cfg.brokers = strings.Split(*brokers, ",")
	cfg.partitions = int32(*partitions)
	level := slog.LevelWarn
	if os.Getenv("ORDERBENCH_DEBUG") != "" {
		level = slog.LevelDebug
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := bench(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "orderbench:", err)
		os.Exit(1)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func bench(ctx context.Context, cfg config) error {
	r := report{machine: machine(), started: time.Now(), cfg: cfg}
	fmt.Println(r.machine)
	recs, ids := lifecycles(fmt.Sprintf("b%d", time.Now().Unix()), cfg.orders)
	fmt.Printf("load: %d orders, %d commands, %d partitions\n", cfg.orders, len(recs), cfg.partitions)

	// Warm the broker (JIT, page cache, first topic creations) so the
	// first measured run is not the one that pays for it.
	wrecs, _ := lifecycles(fmt.Sprintf("w%d", time.Now().Unix()), min(cfg.orders, 2000))
	if _, err := runPipe(ctx, cfg, wrecs); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	var err error
	if r.pipe, err = runPipe(ctx, cfg, recs); err != nil {
		return fmt.Errorf("pipe: %w", err)
	}
	fmt.Println(r.pipe)
	if r.full, err = runProcessor(ctx, cfg, "orderlog processor, full", recs, ids, 0, cfg.cpuProfile); err != nil {
		return fmt.Errorf("processor: %w", err)
	}
	fmt.Println(r.full)
	half := r.full.perSecond() / 2
	n := max(1, int(half*float64(cfg.halfSecs))/9)
	hrecs, hids := lifecycles(fmt.Sprintf("h%d", time.Now().Unix()), n)
	if r.half, err = runProcessor(ctx, cfg, fmt.Sprintf("orderlog at %.0f cmd/s", half), hrecs, hids, half, ""); err != nil {
		return fmt.Errorf("processor at half load: %w", err)
	}
	fmt.Println(r.half)
	if cfg.states > 0 {
		if r.restore, err = runRestore(ctx, cfg); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		fmt.Println(r.restore)
	}
	if cfg.redisAddr != "" {
		single := redisTarget{name: "Redis", addrs: []string{cfg.redisAddr}}
		if r.projector, err = runProjector(ctx, cfg, single); err != nil {
			return fmt.Errorf("projector: %w", err)
		}
		fmt.Println(r.projector)
		// The read side's peak is the whole pipeline's (processor and
		// projector on the same cores): measure it, then run at half of it.
		peakRecs, _ := lifecycles(fmt.Sprintf("vp%d", time.Now().Unix()), cfg.orders)
		peak, _, err := runVisible(ctx, cfg, single, peakRecs, 0)
		if err != nil {
			return fmt.Errorf("command to visible, full speed: %w", err)
		}
		peak.name = "visible in Redis, full speed"
		fmt.Println(peak)
		vhalf := peak.perSecond() / 2
		vrecs, _ := lifecycles(fmt.Sprintf("v%d", time.Now().Unix()), max(1, int(vhalf*float64(cfg.halfSecs))/9))
		var vprefix string
		if r.visible, vprefix, err = runVisible(ctx, cfg, single, vrecs, vhalf); err != nil {
			return fmt.Errorf("command to visible: %w", err)
		}
		r.visiblePeak = peak
		fmt.Println(r.visible)
		ids := make([]string, 0, len(vrecs)/9)
		for _, rec := range vrecs[:len(vrecs)/9] {
			ids = append(ids, string(rec.Key))
		}
		if r.apiGet, err = runAPIGet(ctx, cfg, vprefix, ids, 1000, 10*time.Second); err != nil {
			return fmt.Errorf("api get: %w", err)
		}
		fmt.Println(r.apiGet)
		if cfg.cluster != "" {
			if err := benchCluster(ctx, cfg, &r, vhalf); err != nil {
				return err
			}
		}
	}
	fmt.Print(r.summary())
	if cfg.doc != "" {
		return os.WriteFile(cfg.doc, []byte(r.markdown()), 0o644)
	}
	return nil
}

// benchCluster runs the projector and command->visible on the Redis
// Cluster, beside the redis-server's figures: the same load, and
// command->visible at the same rate as the redis-server's half-load run.
func benchCluster(ctx context.Context, cfg config, r *report, rate float64) error {
	c := redisTarget{name: "Redis Cluster", addrs: strings.Split(cfg.cluster, ","), cluster: true}
	var err error
	if r.projectorCluster, err = runProjector(ctx, cfg, c); err != nil {
		return fmt.Errorf("projector on the cluster: %w", err)
	}
	fmt.Println(r.projectorCluster)
	recs, _ := lifecycles(fmt.Sprintf("vc%d", time.Now().Unix()), max(1, int(rate*float64(cfg.halfSecs))/9))
	if r.visibleCluster, _, err = runVisible(ctx, cfg, c, recs, rate); err != nil {
		return fmt.Errorf("command to visible on the cluster: %w", err)
	}
	fmt.Println(r.visibleCluster)
	return nil
}
