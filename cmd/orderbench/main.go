package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

type config struct {
	brokers    []string
	partitions int32
	maxPoll    int
	threads    int
	gather     time.Duration
	stall      time.Duration // a run without progress this long fails
	drain      time.Duration // a fixed-rate run waits this long after its last send

	commands, warm int // per throughput run: measured commands, and the warm-up's before them
	rounds         int
	warmupRound    bool

	latWarm, latMeasure time.Duration // every fixed-rate run
	fixedRate           float64       // the processor's and the transactional pipe's first latency run
	visiblePeak         int           // commands of the pipeline's full-speed run
	postRate, getRate   float64
	projectorOrders     int
	states              int

	doc, profileDir, note string
	redisAddr, cluster    string // "" skips the read side, the cluster runs
	quick                 bool
	brokerPID             int // the broker's process, for its CPU per command; 0 unknown
	runs                  map[string]bool
}

// runNames are the parts -runs can name, in the order they run.
var runNames = []string{"throughput", "latency", "readside", "restore"}

func parseConfig(args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("orderbench", flag.ContinueOnError)
	brokers := fs.String("brokers", envOr("ORDERLOG_KAFKA_BROKERS", "127.0.0.1:9092"), "Kafka bootstrap brokers (ORDERLOG_KAFKA_BROKERS)")
	partitions := fs.Int("partitions", 6, "partitions of every topic")
	fs.IntVar(&cfg.threads, "processor-threads", 2, "group members of the processor under test (orderd's --processor-threads)")
	fs.DurationVar(&cfg.gather, "gather", 0, "the processor's and the projector's Gather (0: their default, negative: none; orderd's --gather)")
	fs.IntVar(&cfg.maxPoll, "max-poll-records", 0, "commands per transaction at most, processor and transactional pipe (0: the processor's default)")
	fs.DurationVar(&cfg.stall, "stall", time.Minute, "fail a run that makes no progress for this long")
	fs.DurationVar(&cfg.drain, "drain", 30*time.Second, "how long a fixed-rate run waits for its answers after its last send; the ones not in count as lower bounds")
	fs.IntVar(&cfg.commands, "commands", 500_000, "measured commands per throughput run (after the warm-up)")
	fs.IntVar(&cfg.warm, "warmup-commands", 50_000, "commands per throughput run before the clock starts")
	fs.IntVar(&cfg.rounds, "rounds", 3, "throughput rounds, each system once per round; also how many times the projector runs project their log")
	fs.BoolVar(&cfg.warmupRound, "warmup-round", false, "run each system once on a small input before the rounds (not reported)")
	fs.DurationVar(&cfg.latWarm, "latency-warmup", 5*time.Second, "start of every fixed-rate run whose samples are dropped")
	fs.DurationVar(&cfg.latMeasure, "latency-duration", 20*time.Second, "measured part of every fixed-rate run")
	fs.Float64Var(&cfg.fixedRate, "rate", 10_000, "commands/s of the first command->result latency run")
	fs.IntVar(&cfg.visiblePeak, "visible-peak-commands", 150_000, "commands of the pipeline's full-speed run (its peak sets command->visible's rate)")
	fs.Float64Var(&cfg.postRate, "post-rate", 500, "POST /orders per second")
	fs.Float64Var(&cfg.getRate, "get-rate", 1000, "GET /orders/{id} per second")
	fs.IntVar(&cfg.projectorOrders, "projector-orders", 20_000, "order lifecycles (15 events each) of the projector run")
	fs.IntVar(&cfg.states, "restore-states", 1_000_000, "order states to restore (0 skips the restore run)")
	fs.StringVar(&cfg.doc, "doc", "", "write the report as markdown to this file (its side-by-side section is kept)")
	fs.StringVar(&cfg.profileDir, "profile", "", "write CPU and allocation profiles of a processor throughput run here (empty: no profiled run)")
	fs.StringVar(&cfg.note, "note", "", "a sentence for the report about the machine's state (say, other work running on it)")
	fs.StringVar(&cfg.redisAddr, "redis", envOr("ORDERLOG_REDIS_ADDR", ""), "Redis for the read-side runs (ORDERLOG_REDIS_ADDR; empty skips them)")
	fs.StringVar(&cfg.cluster, "redis-cluster", envOr("ORDERLOG_REDIS_CLUSTER_ADDRS", ""), "Redis Cluster seeds, comma-separated, for the read-side runs on a cluster (ORDERLOG_REDIS_CLUSTER_ADDRS; empty skips them)")
	pidfile := fs.String("broker-pidfile", filepath.Join(envOr("ORDERLOG_BED_DIR", ".testbed"), "kafka", "kafka.pid"), "the broker's pid file, to read its CPU time (ORDERLOG_BED_DIR/kafka/kafka.pid); none: not reported")
	runs := fs.String("runs", strings.Join(runNames, ","), "the parts to run, comma-separated, of "+strings.Join(runNames, ", ")+" (latency at half of orderlog's peak needs throughput)")
	fs.BoolVar(&cfg.quick, "quick", false, "everything small, to check the harness (figures are not comparable): sizes not set by a flag are cut")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	cfg.brokers = strings.Split(*brokers, ",")
	cfg.partitions = int32(*partitions)
	cfg.brokerPID = brokerPID(*pidfile)
	cfg.runs = map[string]bool{}
	for _, name := range strings.Split(*runs, ",") {
		if name = strings.TrimSpace(name); name != "" {
			cfg.runs[name] = true
		}
	}
	if cfg.quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		quick := map[string]func(){
			"commands":              func() { cfg.commands = 50_000 },
			"warmup-commands":       func() { cfg.warm = 10_000 },
			"rounds":                func() { cfg.rounds = 2 },
			"latency-warmup":        func() { cfg.latWarm = 2 * time.Second },
			"latency-duration":      func() { cfg.latMeasure = 4 * time.Second },
			"visible-peak-commands": func() { cfg.visiblePeak = 30_000 },
			"projector-orders":      func() { cfg.projectorOrders = 2_000 },
			"restore-states":        func() { cfg.states = 100_000 },
			"drain":                 func() { cfg.drain = 10 * time.Second },
		}
		for name, cut := range quick {
			if !set[name] {
				cut()
			}
		}
	}
	return cfg, cfg.validate()
}

// validate names the setting at fault.
func (c config) validate() error {
	switch {
	case c.partitions < 1:
		return fmt.Errorf("-partitions %d: want at least 1", c.partitions)
	case c.commands < 1 || c.warm < 0:
		return fmt.Errorf("-commands %d, -warmup-commands %d: want a positive count and a warm-up of 0 or more", c.commands, c.warm)
	case c.rounds < 1:
		return fmt.Errorf("-rounds %d: want at least 1", c.rounds)
	case c.latMeasure <= 0 || c.latWarm < 0:
		return fmt.Errorf("-latency-duration %s, -latency-warmup %s: want a positive duration and a warm-up of 0 or more", c.latMeasure, c.latWarm)
	case c.fixedRate <= 0 || c.postRate <= 0 || c.getRate <= 0:
		return fmt.Errorf("-rate %.0f, -post-rate %.0f, -get-rate %.0f: want rates above 0", c.fixedRate, c.postRate, c.getRate)
	case c.visiblePeak < stepsPerLifecycle*10 || c.projectorOrders < 10:
		return fmt.Errorf("-visible-peak-commands %d, -projector-orders %d: too small to time", c.visiblePeak, c.projectorOrders)
	case !knownRuns(c.runs):
		return fmt.Errorf("-runs: want some of %s", strings.Join(runNames, ","))
	case c.stall <= 0 || c.drain <= 0:
		return fmt.Errorf("-stall %s, -drain %s: want positive durations", c.stall, c.drain)
	}
	return nil
}

func main() {
	cfg, err := parseConfig(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "orderbench:", err)
		os.Exit(2)
	}
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

func knownRuns(runs map[string]bool) bool {
	for name := range runs {
		if !slices.Contains(runNames, name) {
			return false
		}
	}
	return len(runs) > 0
}
