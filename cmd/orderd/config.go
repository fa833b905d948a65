package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orderlog/orderlog/internal/kafkaopts"
	"github.com/orderlog/orderlog/internal/redisopts"
	"github.com/orderlog/orderlog/processor"
	"github.com/orderlog/orderlog/stream"
	"github.com/orderlog/orderlog/topics"
)

// Config is everything orderd reads at start: flags, then ORDERLOG_*
// environment variables, then defaults. Load fills and validates it.
type Config struct {
	Roles               []string
	Brokers             []string
	Kafka               kafkaopts.Config
	TopicPrefix         string
	Partitions          int
	ReplicationFactor   int
	CreateTopics        bool
	Group               string
	Instance            string // this process's stable name in its groups; derived per process when empty
	TransactionalID     string // the processor's; <group>-<instance> when empty
	SagaTransactionalID string // <saga-group>-<instance>, or <transactional-id>-saga when that is set
	SchemaRegistryURL   string // empty: no registry, Avro single-object encoding
	HTTPAddr            string
	LogLevel            slog.Level
	LogFormat           string
	TransactionTimeout  time.Duration
	SessionTimeout      time.Duration
	MaxPollRecords      int
	Gather              time.Duration
	ProcessorThreads    int
	DecodedStates       int
	ShutdownTimeout     time.Duration
	Redis               RedisConfig
	ProjectorGroup      string
	APIAddr             string
	JWTKey              string
	APITimeout          time.Duration
	Auth                AuthConfig // config_auth.go
	Saga                SagaConfig
	Sim                 SimConfig
	// Dev runs everything in one process on an embedded Kafka and Redis
	// (dev.go); dev holds them once run has started them.
	Dev bool
	dev *devEnv
}

// RedisConfig is where the projector writes the read models and the api
// reads them.
type RedisConfig struct {
	// Config is where Redis is and how to prove orderd to it: address,
	// mode, ACL user and password, TLS files (internal/redisopts, shared
	// with orderctl).
	redisopts.Config
	Prefix string
	// PointerKey holds the prefix readers use (projections' active prefix).
	PointerKey string
	// RebuildPrefix, if set, makes the projector rebuild the read models
	// from the start of the log under this prefix and switch readers to it
	// once caught up.
	RebuildPrefix string
}

// SagaConfig is the fulfillment saga's (role saga).
type SagaConfig struct {
	Group            string
	PaymentTimeout   time.Duration
	ShipmentTimeout  time.Duration
	RequestTimeout   time.Duration
	RequestAttempts  int
	PaymentAttempts  int
	AllowBackorder   bool
	BackorderRecheck time.Duration
	Retention        time.Duration
}

// SimConfig is the simulated outside systems' (role simulators).
type SimConfig struct {
	Group               string
	Seed                int64
	LatencyMin          time.Duration
	LatencyMax          time.Duration
	PaymentDeclineRate  float64
	ShippingFailureRate float64
	UnavailableRate     float64
	DropRate            float64
	Warehouses          []string
	Stock               int64
	DeliveryDelay       time.Duration
}

// envPrefix goes in front of every setting's environment variable: the flag
// --kafka-brokers is ORDERLOG_KAFKA_BROKERS.
const envPrefix = "ORDERLOG_"

func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// settingName is how messages name a setting: "ORDERLOG_PARTITIONS / --partitions".
func settingName(flagName string) string { return envName(flagName) + " / --" + flagName }

// defaultTxnID is shown in --help for the derived transactional id.
const defaultTxnID = "orderd-<hostname>-<pid>-<random>"

// flagSet declares every setting once: flag name, default and help. The
// environment variable is derived from the flag name.
func flagSet(c *Config) *flag.FlagSet {
	fs := flag.NewFlagSet("orderd", flag.ContinueOnError)
	fs.Var(listValue{&c.Roles}, "roles", "roles to run, comma-separated: "+strings.Join(roleNames(), ", "))
	fs.Var(listValue{&c.Brokers}, "kafka-brokers", "Kafka seed brokers, comma-separated host:port")
	fs.StringVar(&c.TopicPrefix, "topic-prefix", "", `put in front of every topic name ("staging." gives staging.order.events)`)
	fs.IntVar(&c.Partitions, "partitions", 6, "partitions of every co-partitioned topic, when creating and verifying them")
	fs.IntVar(&c.ReplicationFactor, "replication-factor", 1, "replication factor of the topics; -1 for the broker's default")
	fs.BoolVar(&c.CreateTopics, "create-topics", true, "create missing topics at start (they are verified either way)")
	fs.StringVar(&c.Group, "group", "orderlog-processor", "consumer group of the processors")
	fs.StringVar(&c.Instance, "instance", "", "this process's name in its groups, stable across its restarts (a StatefulSet pod's name); transactional ids are <group>-<instance> and <saga-group>-<instance>, so a restarted process fences its predecessor's open transaction at once. Two live processes must not share it (default: <host>-<pid>-<random>, unique but not stable)")
	fs.StringVar(&c.TransactionalID, "transactional-id", "", "the processor's Kafka transactional id (default <group>-<instance>); must be unique per process")
	fs.StringVar(&c.SchemaRegistryURL, "schema-registry-url", "", "Confluent-compatible schema registry; when set, Avro values use the Confluent wire format, else single-object encoding")
	fs.StringVar(&c.HTTPAddr, "http-addr", "127.0.0.1:9090", "listen address of /metrics, /healthz and /readyz")
	fs.TextVar(&c.LogLevel, "log-level", slog.LevelInfo, "debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", "json", "json or text")
	c.Kafka.Flags(fs) // internal/kafkaopts: TLS, client certificate, SASL
	fs.DurationVar(&c.TransactionTimeout, "transaction-timeout", 10*time.Second, "how long a crashed processor's open transaction can block readers")
	fs.DurationVar(&c.SessionTimeout, "session-timeout", stream.DefaultSessionTimeout, "how long the group waits for a silent member before moving its partitions; the broker's group.min.session.timeout.ms (default 6s) bounds it from below (docs/operations.md, Failover)")
	fs.IntVar(&c.MaxPollRecords, "max-poll-records", 5000, "most commands per transaction")
	fs.DurationVar(&c.Gather, "gather", stream.DefaultGather, "how long a batch that its poll did not fill (a processor transaction, a projector batch) waits for one more fetch, which brings the records that came during the previous batch (0: never)")
	fs.IntVar(&c.ProcessorThreads, "processor-threads", 2, "group members the processor role runs in this process, each with its own transactional producer (<transactional-id>-t<i>): one decides while another commits")
	fs.IntVar(&c.DecodedStates, "processor-decoded-states", processor.DefaultDecodedStates, "order states each partition keeps decoded, those used last; every state is also kept encoded as on order.state (about a quarter of the memory) and decoded again when needed; -1 keeps every state decoded")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "how long roles may take to stop on SIGTERM")
	c.Redis.Config.Flags(fs) // internal/redisopts: address, mode, ACL user and password, TLS
	fs.StringVar(&c.Redis.Prefix, "redis-prefix", "orderlog:", "prefix of every read-model key")
	fs.StringVar(&c.Redis.PointerKey, "redis-pointer-key", "orderlog:active-prefix", "Redis key naming the prefix readers use (a rebuild switches it)")
	fs.StringVar(&c.Redis.RebuildPrefix, "rebuild-prefix", "", "projector: rebuild the read models under this new prefix from the start of the log, then switch readers to it")
	fs.StringVar(&c.ProjectorGroup, "projector-group", "orderlog-projector", "consumer group of the projectors")
	fs.StringVar(&c.APIAddr, "api-addr", "127.0.0.1:8080", "listen address of the HTTP API (api role)")
	fs.StringVar(&c.JWTKey, "jwt-key", "", "HMAC key of the API's bearer tokens (api role; prefer the variable)")
	fs.DurationVar(&c.APITimeout, "api-timeout", 5*time.Second, "how long an API write waits for its command's result")
	authFlags(fs, c)
	fs.StringVar(&c.Saga.Group, "saga-group", "orderlog-saga", "consumer group of the saga members")
	fs.DurationVar(&c.Saga.PaymentTimeout, "saga-payment-timeout", 15*time.Minute, "saga: cancel a placed order whose payment is not authorized within this")
	fs.DurationVar(&c.Saga.ShipmentTimeout, "saga-shipment-timeout", 48*time.Hour, "saga: flag an order for review when its shipments are not all handed to the carrier within this of payment")
	fs.DurationVar(&c.Saga.RequestTimeout, "saga-request-timeout", 30*time.Second, "saga: send a request to an outside system again when it has no answer within this")
	fs.IntVar(&c.Saga.RequestAttempts, "saga-request-attempts", 5, "saga: most times one request is sent before its failure path runs")
	fs.IntVar(&c.Saga.PaymentAttempts, "saga-payment-attempts", 3, "saga: most payments initiated for an order after declines before it is cancelled")
	fs.BoolVar(&c.Saga.AllowBackorder, "saga-allow-backorder", true, "saga: backorder what inventory lacks and ship the rest, instead of cancelling the order")
	fs.DurationVar(&c.Saga.BackorderRecheck, "saga-backorder-recheck", time.Hour, "saga: how often backordered items are asked of inventory again")
	fs.DurationVar(&c.Saga.Retention, "saga-retention", 7*24*time.Hour, "saga: how long the state of a cancelled or returned order is kept (late answers are compensated meanwhile)")
	fs.StringVar(&c.Sim.Group, "sim-group", "orderlog-simulators", "simulators: consumer group of the requests topics")
	fs.Int64Var(&c.Sim.Seed, "sim-seed", 1, "simulators: seed of the random outcomes and latencies (same seed, same answers)")
	fs.DurationVar(&c.Sim.LatencyMin, "sim-latency-min", 50*time.Millisecond, "simulators: shortest time to answer a request")
	fs.DurationVar(&c.Sim.LatencyMax, "sim-latency-max", 300*time.Millisecond, "simulators: longest time to answer a request")
	fs.Float64Var(&c.Sim.PaymentDeclineRate, "sim-payment-decline-rate", 0, "simulators: share of payment authorizations and captures declined (0 to 1)")
	fs.Float64Var(&c.Sim.ShippingFailureRate, "sim-shipping-failure-rate", 0, "simulators: share of shipments the carrier refuses (0 to 1)")
	fs.Float64Var(&c.Sim.UnavailableRate, "sim-unavailable-rate", 0, "simulators: share of requests answered UNAVAILABLE, by every system (0 to 1)")
	fs.Float64Var(&c.Sim.DropRate, "sim-drop-rate", 0, "simulators: share of requests never answered, by every system (0 to 1)")
	fs.Var(listValue{&c.Sim.Warehouses}, "sim-warehouses", "simulators: warehouses, comma-separated, in the order stock is taken from them")
	fs.Int64Var(&c.Sim.Stock, "sim-stock", 1000, "simulators: units of every product in every warehouse at start")
	fs.DurationVar(&c.Sim.DeliveryDelay, "sim-delivery-delay", 2*time.Second, "simulators: time from a shipment's SHIPPED to its DELIVERED answer")
	fs.BoolVar(&c.Dev, "dev", false, "dev mode: embedded Kafka (kfake) and Redis (miniredis), roles processor,projector,api, demo traffic; nothing is kept")
	return fs
}

// defaults are the values of the settings whose zero value is not the
// default and which flag.FlagSet cannot express (lists).
func defaults() Config {
	return Config{Roles: []string{"processor"}, Brokers: []string{"127.0.0.1:9092"},
		Redis: RedisConfig{Config: redisopts.Defaults()},
		Sim:   SimConfig{Warehouses: []string{"wh-east", "wh-west"}}}
}

// errHelp is returned by Load for --help, after the usage was written.
var errHelp = flag.ErrHelp

// Load fills a Config from args and the environment (lookup is os.LookupEnv
// outside tests) and validates it. A flag wins over its variable, the
// variable over the default. For --help it writes the usage to out and
// returns errHelp.
func Load(args []string, lookup func(string) (string, bool), out io.Writer) (Config, error) {
	c := defaults()
	fs := flagSet(&c)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if v, ok := lookup(envName(f.Name)); ok {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %v", envName(f.Name), v, err))
			}
		}
	})
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(out, fs)
			return c, errHelp
		}
		return c, err
	}
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %q: every setting is a --flag", fs.Args()))
	}
	if err := errors.Join(errs...); err != nil {
		return c, err
	}
	if c.Dev {
		if err := c.devDefaults(explicitSettings(fs, lookup)); err != nil {
			return c, err
		}
	}
	c.deriveTransactionalIDs()
	return c, c.validate()
}

// deriveTransactionalIDs fills the instance and the transactional ids left
// unset. An id that starts with its group's name and a dash lets the
// group's members fence it when its process dies (package stream).
func (c *Config) deriveTransactionalIDs() {
	if c.Instance == "" {
		c.Instance = newInstance()
	}
	if c.TransactionalID == "" {
		c.TransactionalID = c.Group + "-" + c.Instance
		c.SagaTransactionalID = c.Saga.Group + "-" + c.Instance
	} else {
		c.SagaTransactionalID = c.TransactionalID + "-saga"
	}
}

func newInstance() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// validate checks every setting and names each bad one.
func (c *Config) validate() error {
	var errs []error
	bad := func(flagName, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", settingName(flagName), fmt.Sprintf(format, args...)))
	}
	c.validateRoles(bad)
	if len(c.Brokers) == 0 {
		bad("kafka-brokers", "must name at least one broker")
	}
	for _, b := range c.Brokers {
		if err := checkHostPort(b); err != nil {
			bad("kafka-brokers", "%q: %v", b, err)
		}
	}
	if c.Partitions < 1 || c.Partitions > math.MaxInt32 {
		bad("partitions", "must be >= 1, got %d", c.Partitions)
	}
	if (c.ReplicationFactor < 1 && c.ReplicationFactor != -1) || c.ReplicationFactor > math.MaxInt16 {
		bad("replication-factor", "must be >= 1, or -1 for the broker's default, got %d", c.ReplicationFactor)
	}
	if _, err := topics.New(topics.Config{Prefix: c.TopicPrefix, Partitions: 1, ReplicationFactor: 1}); err != nil {
		bad("topic-prefix", "%v", err)
	}
	if strings.TrimSpace(c.Group) == "" {
		bad("group", "must not be empty")
	}
	if strings.TrimSpace(c.TransactionalID) == "" {
		bad("transactional-id", "must not be blank (leave it unset to derive one)")
	}
	if c.SchemaRegistryURL != "" {
		if u, err := url.Parse(c.SchemaRegistryURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("schema-registry-url", "want an http(s)://host[:port][/path] URL, got %q", c.SchemaRegistryURL)
		}
	}
	if err := checkHostPort(c.HTTPAddr); err != nil {
		bad("http-addr", "%q: %v", c.HTTPAddr, err)
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		bad("log-format", "must be json or text, got %q", c.LogFormat)
	}
	c.validateKafka(bad)
	if c.TransactionTimeout < time.Second {
		bad("transaction-timeout", "must be at least 1s, got %s", c.TransactionTimeout)
	}
	if strings.TrimSpace(c.Instance) == "" || strings.ContainsAny(c.Instance, " \t\n") {
		bad("instance", "must be a name without spaces, got %q", c.Instance)
	}
	if c.SessionTimeout < time.Second || c.SessionTimeout > 5*time.Minute {
		bad("session-timeout", "must be between 1s and 5m (and within the broker's group.min/max.session.timeout.ms), got %s", c.SessionTimeout)
	}
	if c.DecodedStates < -1 || c.DecodedStates == 0 {
		bad("processor-decoded-states", "must be positive, or -1 for every state, got %d", c.DecodedStates)
	}
	if c.ProcessorThreads < 1 || c.ProcessorThreads > 64 {
		bad("processor-threads", "must be between 1 and 64, got %d", c.ProcessorThreads)
	}
	if c.MaxPollRecords < 1 {
		bad("max-poll-records", "must be >= 1, got %d", c.MaxPollRecords)
	}
	if c.Gather < 0 || c.Gather > time.Second {
		bad("gather", "must be between 0 and 1s, got %s", c.Gather)
	}
	c.validateRedis(bad)
	if strings.TrimSpace(c.Redis.Prefix) == "" {
		bad("redis-prefix", "must not be empty")
	}
	if slices.Contains(c.Roles, "api") {
		if err := checkHostPort(c.APIAddr); err != nil {
			bad("api-addr", "%q: %v", c.APIAddr, err)
		}
		if c.Auth.OIDCIssuer == "" && len(c.JWTKey) < 32 {
			bad("jwt-key", "the api role needs an HMAC key of at least 32 bytes, got %d", len(c.JWTKey))
		}
	}
	if c.APITimeout <= 0 {
		bad("api-timeout", "must be > 0, got %s", c.APITimeout)
	}
	if strings.TrimSpace(c.ProjectorGroup) == "" {
		bad("projector-group", "must not be empty")
	}
	if c.ShutdownTimeout <= 0 {
		bad("shutdown-timeout", "must be > 0, got %s", c.ShutdownTimeout)
	}
	c.validateSaga(bad)
	c.validateSim(bad)
	c.validateAuth(bad)
	return errors.Join(errs...)
}

func (c *Config) validateSaga(bad func(string, string, ...any)) {
	sc := c.Saga
	if strings.TrimSpace(sc.Group) == "" {
		bad("saga-group", "must not be empty")
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"saga-payment-timeout", sc.PaymentTimeout}, {"saga-shipment-timeout", sc.ShipmentTimeout},
		{"saga-request-timeout", sc.RequestTimeout}, {"saga-backorder-recheck", sc.BackorderRecheck}, {"saga-retention", sc.Retention}} {
		if d.v <= 0 {
			bad(d.name, "must be > 0, got %s", d.v)
		}
	}
	if sc.RequestAttempts < 1 || sc.RequestAttempts > 100 {
		bad("saga-request-attempts", "must be from 1 to 100, got %d", sc.RequestAttempts)
	}
	if sc.PaymentAttempts < 1 || sc.PaymentAttempts > 100 {
		bad("saga-payment-attempts", "must be from 1 to 100, got %d", sc.PaymentAttempts)
	}
}

func (c *Config) validateSim(bad func(string, string, ...any)) {
	sc := c.Sim
	if strings.TrimSpace(sc.Group) == "" {
		bad("sim-group", "must not be empty")
	}
	if sc.LatencyMin < 0 || sc.LatencyMax < sc.LatencyMin {
		bad("sim-latency-max", "must be >= %s (sim-latency-min) >= 0, got %s", sc.LatencyMin, sc.LatencyMax)
	}
	for _, r := range []struct {
		name string
		v    float64
	}{{"sim-payment-decline-rate", sc.PaymentDeclineRate}, {"sim-shipping-failure-rate", sc.ShippingFailureRate},
		{"sim-unavailable-rate", sc.UnavailableRate}, {"sim-drop-rate", sc.DropRate}} {
		if r.v < 0 || r.v > 1 {
			bad(r.name, "must be from 0 to 1, got %g", r.v)
		}
	}
	if len(sc.Warehouses) == 0 {
		bad("sim-warehouses", "name at least one warehouse")
	}
	if sc.Stock < 0 {
		bad("sim-stock", "must be >= 0, got %d", sc.Stock)
	}
}

func (c *Config) validateRoles(bad func(string, string, ...any)) {
	if len(c.Roles) == 0 {
		bad("roles", "name at least one role (known: %s)", strings.Join(roleNames(), ", "))
	}
	seen := map[string]bool{}
	for _, r := range c.Roles {
		switch {
		case lookupRole(r) == nil:
			bad("roles", "unknown role %q (known: %s)", r, strings.Join(roleNames(), ", "))
		case seen[r]:
			bad("roles", "role %q is listed twice", r)
		}
		seen[r] = true
	}
}

func (c *Config) validateKafka(bad func(string, string, ...any)) {
	for _, p := range c.Kafka.Problems(settingName) {
		bad(p.Flag, "%s", p.Msg)
	}
}

// validateRedis checks the Redis settings: each address, then what
// redisopts finds (the mode, the addresses it takes, the master name of
// mode sentinel, the ACL user, the TLS files).
func (c *Config) validateRedis(bad func(name, format string, args ...any)) {
	for _, a := range c.Redis.Addrs() {
		if err := checkHostPort(a); err != nil {
			bad("redis-addr", "%q: %v", a, err)
		}
	}
	for _, p := range c.Redis.Problems() {
		bad(p.Flag, "%s", p.Msg)
	}
}

func checkHostPort(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return errors.New("want host:port")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	return nil
}

// usage lists every setting with its variable and default.
func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, `Usage: orderd [flags]

orderd runs orderlog's roles (%s) in one process, with /metrics,
/healthz and /readyz on --http-addr. Each setting is a flag or an environment
variable; a flag wins over its variable, the variable over the default.

`, strings.Join(roleNames(), ", "))
	type row struct{ flag, env, def, help string }
	var rows []row
	wf, we := 0, 0
	d := defaults()
	fs.VisitAll(func(f *flag.Flag) {
		r := row{"--" + f.Name, envName(f.Name), f.DefValue, f.Usage}
		switch f.Name {
		case "roles":
			r.def = strings.Join(d.Roles, ",")
		case "kafka-brokers":
			r.def = strings.Join(d.Brokers, ",")
		case "sim-warehouses":
			r.def = strings.Join(d.Sim.Warehouses, ",")
		case "transactional-id":
			r.def = defaultTxnID
		}
		if r.def == "" {
			r.def = `""`
		}
		wf, we = max(wf, len(r.flag)), max(we, len(r.env))
		rows = append(rows, r)
	})
	fmt.Fprintf(w, "  %-*s  %-*s  %s\n", wf, "FLAG", we, "VARIABLE", "DEFAULT")
	for _, r := range rows {
		fmt.Fprintf(w, "  %-*s  %-*s  %s\n      %s\n", wf, r.flag, we, r.env, r.def, r.help)
	}
}

// listValue is a comma-separated flag; blanks are dropped.
type listValue struct{ p *[]string }

func (l listValue) String() string {
	if l.p == nil {
		return ""
	}
	return strings.Join(*l.p, ",")
}

func (l listValue) Set(s string) error {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	*l.p = out
	return nil
}
