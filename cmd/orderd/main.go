// Command orderd runs orderlog's roles: today the exactly-once command
// processor; the projector, the HTTP API, the saga and the simulators join
// as further entries of the roles table (roles.go).
//
// Start-up, in order: read and validate the config (flags, ORDERLOG_*
// variables, defaults; `orderd --help` lists them); listen on --http-addr
// (/healthz answers from here on); create missing topics and verify them;
// register the schemas when a registry is configured; build and run the
// roles. /readyz turns 200 once every role is ready.
//
// SIGTERM or SIGINT cancels the roles (the processor finishes or aborts its
// open transaction and leaves the group), waits for them, stops the HTTP
// server and exits 0; a second signal kills at once. A role that fails ends
// the process with exit status 1; a bad config with 2.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/orderlog/orderlog/internal/kafkaopts"
	"github.com/orderlog/orderlog/topics"
)

// startTimeout bounds creating and verifying the topics and registering
// the schemas: a wrong broker address fails the start instead of hanging.
const startTimeout = time.Minute

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-ctx.Done()
		stop() // from now on a second signal kills the process
	}()
	os.Exit(run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr))
}

// run is orderd from config to exit status: 0 after a clean shutdown (ctx
// done), 1 when a role or the start failed, 2 for a bad config.
func run(ctx context.Context, args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) int {
	cfg, err := Load(args, lookup, stdout)
	if errors.Is(err, errHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "orderd: bad configuration:\n  %s\n(orderd --help lists every setting)\n",
			strings.ReplaceAll(err.Error(), "\n", "\n  "))
		return 2
	}
	log := newLogger(cfg, stderr)
	slog.SetDefault(log)
	if cfg.Dev {
		d, err := startDev(&cfg, stdout)
		if err != nil {
			log.Error("orderd failed", "error", err)
			return 1
		}
		defer d.Close()
	}
	log.Info("orderd starting", "roles", cfg.Roles, "brokers", cfg.Brokers, "topicPrefix", cfg.TopicPrefix,
		"group", cfg.Group, "transactionalId", cfg.TransactionalID, "schemaRegistry", cfg.SchemaRegistryURL,
		"httpAddr", cfg.HTTPAddr, "kafkaTLS", cfg.Kafka.TLS, "saslMechanism", cfg.Kafka.SASLMechanism)
	if err := serve(ctx, cfg, log); err != nil {
		log.Error("orderd failed", "error", err)
		return 1
	}
	log.Info("orderd stopped")
	return 0
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// serve runs the HTTP server and the roles until ctx is done or a role
// fails.
func serve(ctx context.Context, cfg Config, log *slog.Logger) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	h := &health{}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("%s: %w", settingName("http-addr"), err)
	}
	srv := &http.Server{Handler: newMux(reg, h), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server failed", "error", err)
		}
	}()
	log.Info("http listening", "addr", ln.Addr().String(), "paths", "/metrics /healthz /readyz")
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	running, err := start(ctx, cfg, log, reg)
	if err != nil {
		if ctx.Err() != nil {
			log.Info("stopped while starting", "reason", err)
			return nil
		}
		return err
	}
	readyGauges(reg, running)
	h.roles.Store(&running)
	defer h.stopping.Store(true)
	return runRoles(ctx, running, cfg.ShutdownTimeout, log, h)
}

// start prepares the topics and schema registry client and builds the
// roles.
func start(ctx context.Context, cfg Config, log *slog.Logger, reg prometheus.Registerer) ([]namedRole, error) {
	sctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	kopts, err := cfg.Kafka.ClientOpts()
	if err != nil {
		return nil, err // validate already checked this
	}
	kopts = append(kopts, kgo.WithLogger(kafkaopts.Logger(log.With("component", "kafka"))))
	set, err := topics.New(topics.Config{Prefix: cfg.TopicPrefix, Partitions: int32(cfg.Partitions), ReplicationFactor: int16(cfg.ReplicationFactor)})
	if err != nil {
		return nil, err
	}
	if err := prepareTopics(sctx, cfg, set, kopts, log); err != nil {
		return nil, explainStart(cfg, err)
	}
	d := deps{cfg: cfg, log: log, metrics: reg, kafkaOpts: kopts, topics: set}
	if cfg.SchemaRegistryURL != "" {
		if d.registry, err = sr.NewClient(sr.URLs(cfg.SchemaRegistryURL)); err != nil {
			return nil, fmt.Errorf("schema registry client: %w", err)
		}
	}
	var out []namedRole
	for _, name := range cfg.Roles {
		r, err := lookupRole(name).build(sctx, d)
		if err != nil {
			return nil, fmt.Errorf("start role %s: %w", name, explainStart(cfg, err))
		}
		out = append(out, namedRole{name: name, Role: r})
	}
	if cfg.dev != nil {
		out = append(out, namedRole{name: "dev", Role: &devRole{env: cfg.dev, d: d, others: out}})
	}
	return out, nil
}

// prepareTopics creates the missing topics (with --create-topics) and
// verifies that all of them are laid out as configured.
func prepareTopics(ctx context.Context, cfg Config, set topics.Set, kopts []kgo.Opt, log *slog.Logger) error {
	cl, err := kgo.NewClient(append(append([]kgo.Opt(nil), kopts...), kgo.SeedBrokers(cfg.Brokers...))...)
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	if cfg.CreateTopics {
		created, err := set.Ensure(ctx, adm)
		if err != nil {
			return fmt.Errorf("create topics on %s: %w", strings.Join(cfg.Brokers, ","), err)
		}
		if len(created) > 0 {
			log.Info("created topics", "topics", created)
		}
	}
	if err := set.Verify(ctx, adm); err != nil {
		return fmt.Errorf("verify topics on %s: %w", strings.Join(cfg.Brokers, ","), err)
	}
	return checkACLs(ctx, cfg, cl, set.Names())
}

type roleExit struct {
	name string
	err  error
}

// runRoles runs every role until ctx is done or one of them stops, then
// stops the others and waits for them up to timeout.
func runRoles(ctx context.Context, rs []namedRole, timeout time.Duration, log *slog.Logger, h *health) error {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	exits := make(chan roleExit, len(rs))
	for _, r := range rs {
		go func() { exits <- roleExit{r.name, r.Run(rctx)} }()
		log.Info("role started", "role", r.name)
	}
	var failed error
	left := len(rs)
	select {
	case <-ctx.Done():
		log.Info("shutting down", "reason", context.Cause(ctx))
	case e := <-exits:
		left--
		if e.err == nil {
			e.err = errors.New("stopped on its own")
		}
		failed = fmt.Errorf("role %s: %w", e.name, e.err)
		log.Error("role failed; stopping the others", "role", e.name, "error", e.err)
	}
	h.stopping.Store(true)
	cancel()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for ; left > 0; left-- {
		select {
		case e := <-exits:
			if e.err != nil && !errors.Is(e.err, context.Canceled) {
				failed = errors.Join(failed, fmt.Errorf("role %s: %w", e.name, e.err))
				log.Error("role stopped with an error", "role", e.name, "error", e.err)
				continue
			}
			log.Info("role stopped", "role", e.name)
		case <-deadline.C:
			return errors.Join(failed, fmt.Errorf("%d role(s) did not stop within %s (%s)", left, timeout, settingName("shutdown-timeout")))
		}
	}
	return failed
}
