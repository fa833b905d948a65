package topics

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
)

// The base names of orderlog's topics (contract). A Set puts its prefix in
// front of them.
const (
	BaseCommands = "order.commands"
	BaseEvents   = "order.events"
	BaseState    = "order.state"
	BaseResults  = "order.command-results"
	BaseDLQ      = "order.commands.dlq"

	// The fulfillment saga's state and its integration contract with the
	// outside systems (package integration).
	BaseSagaState            = "order.saga-state"
	BasePaymentRequests      = "payment.requests"
	BasePaymentResults       = "payment.results"
	BaseInventoryRequests    = "inventory.requests"
	BaseInventoryResults     = "inventory.results"
	BaseShippingRequests     = "shipping.requests"
	BaseShippingResults      = "shipping.results"
	BaseNotificationRequests = "notification.requests"
)

// Topic config keys and values used by the catalog.
const (
	ConfigCleanupPolicy     = "cleanup.policy"
	ConfigRetentionMs       = "retention.ms"
	ConfigMinInsyncReplicas = "min.insync.replicas"

	CleanupDelete  = "delete"
	CleanupCompact = "compact"
)

const day = 24 * time.Hour

// entry declares one topic. Partitions and replication come from the Config,
// except for topics that are not co-partitioned and fix their own count.
type entry struct {
	base          string
	name          func(*Names) *string // the Names field holding the full name
	configs       map[string]string
	coPartitioned bool
	partitions    int32 // only when !coPartitioned; 0 = Config.Partitions
}

// catalog is the one list of orderlog's topics, in the order they are
// created and reported.
var catalog = []entry{
	{
		base:          BaseCommands,
		name:          func(n *Names) *string { return &n.Commands },
		configs:       deleteAfter(7 * day),
		coPartitioned: true,
	},
	{
		base:          BaseEvents,
		name:          func(n *Names) *string { return &n.Events },
		configs:       keepForever(),
		coPartitioned: true,
	},
	{
		base:          BaseState,
		name:          func(n *Names) *string { return &n.State },
		configs:       compacted(),
		coPartitioned: true,
	},
	{
		base:          BaseResults,
		name:          func(n *Names) *string { return &n.Results },
		configs:       deleteAfter(1 * day),
		coPartitioned: true,
	},
	{
		base:          BaseDLQ,
		name:          func(n *Names) *string { return &n.DLQ },
		configs:       deleteAfter(30 * day),
		coPartitioned: true,
	},
	{
		base:          BaseSagaState,
		name:          func(n *Names) *string { return &n.SagaState },
		configs:       compacted(),
		coPartitioned: true,
	},
	integrationTopic(BasePaymentRequests, func(n *Names) *string { return &n.PaymentRequests }),
	integrationTopic(BasePaymentResults, func(n *Names) *string { return &n.PaymentResults }),
	integrationTopic(BaseInventoryRequests, func(n *Names) *string { return &n.InventoryRequests }),
	integrationTopic(BaseInventoryResults, func(n *Names) *string { return &n.InventoryResults }),
	integrationTopic(BaseShippingRequests, func(n *Names) *string { return &n.ShippingRequests }),
	integrationTopic(BaseShippingResults, func(n *Names) *string { return &n.ShippingResults }),
	integrationTopic(BaseNotificationRequests, func(n *Names) *string { return &n.NotificationRequests }),
}

// integrationTopic declares a request or result topic of an outside system:
// keyed by orderId and co-partitioned, so the saga reads a result on the
// partition of its order; kept a week, like commands.
func integrationTopic(base string, name func(*Names) *string) entry {
	return entry{base: base, name: name, configs: deleteAfter(7 * day), coPartitioned: true}
}

func deleteAfter(d time.Duration) map[string]string {
	return map[string]string{
		ConfigCleanupPolicy: CleanupDelete,
		ConfigRetentionMs:   strconv.FormatInt(d.Milliseconds(), 10),
	}
}

func keepForever() map[string]string {
	return map[string]string{ConfigCleanupPolicy: CleanupDelete, ConfigRetentionMs: "-1"}
}

func compacted() map[string]string {
	return map[string]string{ConfigCleanupPolicy: CleanupCompact}
}

// Names are the full names of orderlog's topics, prefix included.
type Names struct {
	Commands string // order.commands: commands in, keyed by orderId
	Events   string // order.events: the source of truth, kept forever
	State    string // order.state: compacted changelog of the processor's store
	Results  string // order.command-results: one result per command
	DLQ      string // order.commands.dlq: commands that could not be read

	SagaState            string // order.saga-state: compacted state of the fulfillment saga, timers included
	PaymentRequests      string // payment.requests: to the payment gateway
	PaymentResults       string // payment.results: from the payment gateway
	InventoryRequests    string // inventory.requests: to the inventory service
	InventoryResults     string // inventory.results: from the inventory service
	ShippingRequests     string // shipping.requests: to the carrier
	ShippingResults      string // shipping.results: from the carrier
	NotificationRequests string // notification.requests: to the customer service
}

// NewNames returns the topic names under prefix ("" for none). It does not
// validate the prefix; New does.
func NewNames(prefix string) Names {
	var n Names
	for _, e := range catalog {
		*e.name(&n) = prefix + e.base
	}
	return n
}

// Spec is one topic as it should exist on the cluster.
type Spec struct {
	Name              string
	Partitions        int32
	ReplicationFactor int16 // -1: the broker's default.replication.factor
	Configs           map[string]string
	CoPartitioned     bool // same partition count as every other co-partitioned topic
}

// Config says how to lay out the topics on a cluster.
type Config struct {
	// Prefix goes in front of every name: "staging." gives
	// "staging.order.events". Empty for none.
	Prefix string
	// Partitions of every co-partitioned topic. Fixed once data is written:
	// adding partitions moves keys to other partitions.
	Partitions int32
	// ReplicationFactor of every topic; -1 for the broker's default.
	ReplicationFactor int16
	// MinInsyncReplicas, when > 0, is every topic's min.insync.replicas
	// (the replicas that must have a write before it is acknowledged);
	// 0 leaves the broker's default. Production: 2 with replication 3.
	MinInsyncReplicas int16
}

// DefaultConfig works on a laptop's single broker.
func DefaultConfig() Config {
	return Config{Partitions: 6, ReplicationFactor: 1}
}

// Set is orderlog's topics laid out by one Config.
type Set struct {
	cfg   Config
	names Names
	specs []Spec
}

// New validates cfg and returns the topics it describes.
func New(cfg Config) (Set, error) {
	if err := cfg.validate(); err != nil {
		return Set{}, err
	}
	s := Set{cfg: cfg, names: NewNames(cfg.Prefix)}
	for _, e := range catalog {
		p := cfg.Partitions
		if !e.coPartitioned && e.partitions > 0 {
			p = e.partitions
		}
		configs := maps.Clone(e.configs)
		if cfg.MinInsyncReplicas > 0 {
			configs[ConfigMinInsyncReplicas] = strconv.Itoa(int(cfg.MinInsyncReplicas))
		}
		s.specs = append(s.specs, Spec{
			Name:              cfg.Prefix + e.base,
			Partitions:        p,
			ReplicationFactor: cfg.ReplicationFactor,
			Configs:           configs,
			CoPartitioned:     e.coPartitioned,
		})
	}
	return s, nil
}

// Config returns the Config the set was made with.
func (s Set) Config() Config { return s.cfg }

// Names returns the full topic names.
func (s Set) Names() Names { return s.names }

// Specs returns every topic of the set, in catalog order. The result is a
// copy; changing it does not change the set.
func (s Set) Specs() []Spec {
	out := make([]Spec, len(s.specs))
	for i, sp := range s.specs {
		sp.Configs = maps.Clone(sp.Configs)
		out[i] = sp
	}
	return out
}

// TopicNames returns the full name of every topic, in catalog order.
func (s Set) TopicNames() []string {
	out := make([]string, len(s.specs))
	for i, sp := range s.specs {
		out[i] = sp.Name
	}
	return out
}

// Spec returns the topic with the given full name.
func (s Set) Spec(name string) (Spec, bool) {
	i := slices.IndexFunc(s.specs, func(sp Spec) bool { return sp.Name == name })
	if i < 0 {
		return Spec{}, false
	}
	sp := s.specs[i]
	sp.Configs = maps.Clone(sp.Configs)
	return sp, true
}

// maxTopicName is Kafka's limit on the length of a topic name.
const maxTopicName = 249

func (c Config) validate() error {
	var errs []error
	if c.Partitions < 1 {
		errs = append(errs, fmt.Errorf("partitions is %d; it must be at least 1", c.Partitions))
	}
	if c.ReplicationFactor < 1 && c.ReplicationFactor != -1 {
		errs = append(errs, fmt.Errorf("replication factor is %d; it must be at least 1, or -1 for the broker's default", c.ReplicationFactor))
	}
	if c.MinInsyncReplicas < 0 {
		errs = append(errs, fmt.Errorf("min.insync.replicas is %d; it must be at least 1, or 0 for the broker's default", c.MinInsyncReplicas))
	}
	if c.MinInsyncReplicas > 0 && c.ReplicationFactor > 0 && c.MinInsyncReplicas > c.ReplicationFactor {
		errs = append(errs, fmt.Errorf("min.insync.replicas %d exceeds the replication factor %d: no write could ever be acknowledged", c.MinInsyncReplicas, c.ReplicationFactor))
	}
	if i := invalidTopicChar(c.Prefix); i >= 0 {
		errs = append(errs, fmt.Errorf("topic prefix %q has %q at byte %d; Kafka allows only ASCII letters, digits, '.', '_' and '-'", c.Prefix, c.Prefix[i], i))
	}
	for _, e := range catalog {
		if n := len(c.Prefix) + len(e.base); n > maxTopicName {
			errs = append(errs, fmt.Errorf("topic prefix %q is too long: %q would have %d characters, Kafka allows %d", c.Prefix, c.Prefix+e.base, n, maxTopicName))
			break
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("topics config: %w", err)
	}
	return nil
}

// invalidTopicChar returns the index of the first byte of s Kafka does not
// allow in a topic name, or -1.
func invalidTopicChar(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return i
		}
	}
	return -1
}
