package stream

import (
	"errors"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/internal/gather"
)

// Config is how a member reaches Kafka and paces itself. Brokers, Group and
// TransactionalID are required.
type Config struct {
	Brokers []string
	Group   string
	// TransactionalID must be unique per running member; it is also the
	// session's client id. One that starts with Group and a dash lets the
	// group's members fence a departed member's open transaction when they
	// take its partitions (see fenceOrphans); others are never fenced. Keep
	// it stable across restarts of one member slot (a pod of a
	// StatefulSet), and a restarted member fences its predecessor's
	// transaction as it starts.
	TransactionalID string
	// ClientOpts are extra franz-go options (TLS, SASL, logging).
	ClientOpts []kgo.Opt
	// MaxPollRecords bounds a transaction's input records (default 5000):
	// larger transactions spread the fixed cost of a commit over more.
	MaxPollRecords int
	// Gather is how long a batch that its poll did not fill waits for one
	// more fetch (default DefaultGather; negative: never). The client
	// fetches ahead one response per broker, sent when the previous is
	// taken: what a poll returns right after a transaction is what had
	// arrived when that transaction began, and the records that came
	// during it are one round trip away. Waiting that round trip puts them
	// in this transaction instead of the next, which saves them a whole
	// transaction's wait at the cost of at most Gather for each batch.
	Gather time.Duration
	// TransactionTimeout bounds how long a crashed member's open
	// transaction blocks read_committed readers (default 10s).
	TransactionTimeout time.Duration
	// SessionTimeout is how long the group waits for a silent member before
	// moving its partitions (default 2s). The broker bounds it by its
	// group.min.session.timeout.ms (6s unless lowered) and
	// group.max.session.timeout.ms: a value outside is moved inside them,
	// with a warning, when the member starts.
	SessionTimeout time.Duration
	// HeartbeatInterval is how often the member tells the group it lives,
	// and so how soon it hears of a rebalance: a member joining or leaving
	// stalls the partitions that move for at least that long (default
	// SessionTimeout/5, at most 250ms).
	HeartbeatInterval time.Duration
	// MaxRecordBytes is the producer's batch limit (default 1,000,012, as
	// Kafka's max.message.bytes); each topic's own max.message.bytes lowers
	// it for that topic.
	MaxRecordBytes int
	// Tick is how often due timers are looked for when the topology has
	// timers (default 500ms); polls wait at most that long.
	Tick time.Duration
	// Now is the clock of Msg.Now and of timers (default time.Now).
	Now     func() time.Time
	Logger  *slog.Logger
	Metrics *Metrics
}

// DefaultSessionTimeout is Config.SessionTimeout's default: a member
// killed without warning loses its partitions to the others after it.
// A pause longer than that (a GC pause, a network blip) moves the
// member's partitions too: costly, never wrong.
const DefaultSessionTimeout = 2 * time.Second

// DefaultGather is Config.Gather's default: a fetch round trip on a
// loaded broker, and a small part of a transaction.
const DefaultGather = gather.DefaultWait

func (c *Config) validate(role string) error {
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New(role+": Brokers is empty"))
	}
	if c.Group == "" {
		errs = append(errs, errors.New(role+": Group is empty"))
	}
	if c.TransactionalID == "" {
		errs = append(errs, errors.New(role+": TransactionalID is empty"))
	}
	if c.MaxPollRecords <= 0 {
		c.MaxPollRecords = 5000
	}
	if c.Gather == 0 {
		c.Gather = DefaultGather
	}
	if c.TransactionTimeout <= 0 {
		c.TransactionTimeout = 10 * time.Second
	}
	if c.SessionTimeout <= 0 {
		c.SessionTimeout = DefaultSessionTimeout
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = min(c.SessionTimeout/5, 250*time.Millisecond)
	}
	if c.MaxRecordBytes <= 0 {
		c.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if c.Tick <= 0 {
		c.Tick = 500 * time.Millisecond
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Metrics == nil {
		c.Metrics = NewMetrics(nil, role)
	}
	return errors.Join(errs...)
}
