package processor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/schemas"
	"github.com/orderlog/orderlog/stream"
	"github.com/orderlog/orderlog/topics"
)

// Config is what a processor needs. Brokers, Group, TransactionalID, Topics
// and Serdes are required.
type Config struct {
	Brokers []string
	Group   string
	// TransactionalID must be unique per running process.
	TransactionalID string
	// Threads is how many group members this processor runs (default 1),
	// each with its own transactional id (TransactionalID-t<i>) and
	// producer: one decides while another commits.
	Threads int
	Topics  topics.Names
	Serdes  Serdes
	Policy  order.Policy
	// ClientOpts are extra franz-go options (TLS, SASL, logging).
	ClientOpts []kgo.Opt
	// MaxPollRecords bounds a transaction's commands (default 5000): larger
	// transactions spread the fixed cost of a commit over more commands.
	MaxPollRecords int
	// Gather is how long a transaction that its poll did not fill waits
	// for one more fetch (default stream.DefaultGather; negative: never;
	// see stream.Config.Gather).
	Gather time.Duration
	// TransactionTimeout bounds how long a crashed member's open transaction
	// blocks read_committed readers when no member fences it (default 10s;
	// see stream.Config.TransactionalID).
	TransactionTimeout time.Duration
	// SessionTimeout is how long the group waits for a silent member before
	// moving its partitions (default stream.DefaultSessionTimeout, 2s;
	// Kafka's default of 45s makes a crash stall its partitions that long).
	SessionTimeout time.Duration
	// MaxRecordBytes is the producer's record batch limit (default
	// 1,000,012); the topics' max.message.bytes lower it per topic.
	MaxRecordBytes int
	// DecodedStates is how many order states each partition keeps decoded,
	// those used last (default DefaultDecodedStates); every state is kept
	// as order.state encodes it (about 0.5 KB for a delivered order,
	// against 2 KB decoded), and one evicted is decoded again when a
	// command needs it. A restore decodes nothing. -1 keeps every state
	// decoded.
	DecodedStates int
	Logger        *slog.Logger
	Metrics       *Metrics
}

func (c *Config) validate() error {
	var errs []error
	t := c.Topics
	if t.Commands == "" || t.Events == "" || t.State == "" || t.Results == "" || t.DLQ == "" {
		errs = append(errs, fmt.Errorf("processor: every topic must be named, got %+v", t))
	}
	s := c.Serdes
	if s.Commands == nil || s.Events == nil || s.Results == nil || s.States == nil {
		errs = append(errs, errors.New("processor: every serde must be set"))
	}
	if c.Metrics == nil {
		c.Metrics = NewMetrics(nil)
	}
	if c.Policy.MaxLines == 0 {
		c.Policy = order.DefaultPolicy()
	}
	switch {
	case c.DecodedStates == 0:
		c.DecodedStates = DefaultDecodedStates
	case c.DecodedStates < -1:
		errs = append(errs, fmt.Errorf("processor: DecodedStates must be positive, or -1 for all, got %d", c.DecodedStates))
	}
	return errors.Join(errs...)
}

// DefaultDecodedStates is Config.DecodedStates' default: per partition,
// about 40 MB of decoded states, enough that a busy partition's orders
// are decoded once, not once per command.
const DefaultDecodedStates = 20_000

// Serdes are the codecs of the processor's topics.
type Serdes struct {
	Commands *schemas.Serde[order.Command]
	Events   *schemas.Serde[order.Event]
	Results  *schemas.Serde[order.CommandResult]
	States   *schemas.Serde[order.State]
}

// Processor is one member of the processor group.
type Processor struct {
	*stream.Threads[order.State, order.Command]
}

// New checks the config and prepares a processor; Run starts it.
func New(cfg Config) (*Processor, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	top := Topology(cfg.Topics, cfg.Serdes, cfg.Policy, cfg.Metrics)
	top.State.Decoded = max(cfg.DecodedStates, 0)
	m, err := stream.NewThreads(stream.Config{
		Brokers: cfg.Brokers, Group: cfg.Group, TransactionalID: cfg.TransactionalID, ClientOpts: cfg.ClientOpts,
		MaxPollRecords: cfg.MaxPollRecords, Gather: cfg.Gather, TransactionTimeout: cfg.TransactionTimeout, SessionTimeout: cfg.SessionTimeout,
		MaxRecordBytes: cfg.MaxRecordBytes, Logger: cfg.Logger, Metrics: cfg.Metrics.runtime,
	}, top, max(cfg.Threads, 1))
	if err != nil {
		return nil, err
	}
	return &Processor{m}, nil
}

// NewSerdes builds the codecs of the processor's topics. optsFor gives the
// schemas options of a topic's values (a registry subject "<topic>-value",
// say); nil means single-object encoding everywhere.
func NewSerdes(ctx context.Context, names topics.Names, optsFor func(topic string) []schemas.Option) (Serdes, error) {
	if optsFor == nil {
		optsFor = func(string) []schemas.Option { return nil }
	}
	var s Serdes
	var err error
	if s.Commands, err = schemas.NewCommands(ctx, optsFor(names.Commands)...); err != nil {
		return s, err
	}
	if s.Events, err = schemas.NewEvents(ctx, optsFor(names.Events)...); err != nil {
		return s, err
	}
	if s.Results, err = schemas.NewResults(ctx, optsFor(names.Results)...); err != nil {
		return s, err
	}
	s.States, err = schemas.NewStates(ctx, optsFor(names.State)...)
	return s, err
}
