package stream

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/internal/gather"
)

// Member is one member of a binding's consumer group.
type Member[S, I any] struct {
	*core[S, I]
	cfg     Config
	metrics *Metrics
	admin   *kgo.Client
	running atomic.Bool
	joined  atomic.Bool // the group assigned this member its partitions in the current session
	// pollLimit is how many records the next poll takes: MaxPollRecords,
	// or less while a failing record is being cornered. Session goroutine
	// only, as is failing.
	pollLimit int
	failing   map[int32]int  // consecutive failed batches per partition
	bisecting map[int32]bool // partitions whose failing record is being cornered
	// gauged is the partitions this member counts in the shared
	// partitions gauge, and gaugedStates its share of the states gauge:
	// several members of one process (processor.Config.Members) share
	// one Metrics.
	gauged       map[int32]bool // group callbacks, then the session's end, only
	gaugedStates atomic.Int64
	stop         <-chan struct{} // Run's context is done: pauses end early
	// sessionCreated, when set (tests), runs right after a session's
	// client is created, standing for a goroutine a loaded machine
	// deschedules there while the group joins.
	sessionCreated func()
}

// New checks cfg and the topology and prepares a member; Run starts it.
func New[S, I any](cfg Config, top Topology[S, I]) (*Member[S, I], error) {
	if err := cfg.validate(top.Name); err != nil {
		return nil, err
	}
	c, err := newCore(top, cfg.Logger.With("role", top.Name))
	if err != nil {
		return nil, err
	}
	m := &Member[S, I]{core: c, cfg: cfg, metrics: cfg.Metrics, pollLimit: cfg.MaxPollRecords, failing: map[int32]int{},
		bisecting: map[int32]bool{}, gauged: map[int32]bool{}}
	m.admin, err = kgo.NewClient(append(slices.Clone(cfg.ClientOpts), kgo.SeedBrokers(cfg.Brokers...))...)
	if err != nil {
		return nil, fmt.Errorf("%s: admin client: %w", top.Name, err)
	}
	return m, nil
}

// Health says why the member cannot take its share of the work now (nil:
// ready): not in a group session, joining, restoring partitions, or
// partitions whose batches keep failing, each named with its reason.
func (m *Member[S, I]) Health() error {
	if !m.running.Load() {
		return errors.New("not in a group session")
	}
	st := m.stores.status()
	if !m.joined.Load() {
		if len(st.restoring) > 0 {
			slices.Sort(st.restoring)
			return fmt.Errorf("joining the group: restoring partitions %v", st.restoring)
		}
		return errors.New("joining the group")
	}
	var problems []string
	for _, p := range slices.Sorted(maps.Keys(st.problems)) {
		problems = append(problems, fmt.Sprintf("partition %d: %s", p, st.problems[p]))
	}
	if len(st.restoring) > 0 {
		slices.Sort(st.restoring)
		problems = append(problems, fmt.Sprintf("restoring partitions %v", st.restoring))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// Ready reports whether Health is nil.
func (m *Member[S, I]) Ready() bool { return m.Health() == nil }

// State returns the state of an owned key (diagnostics and tests).
func (m *Member[S, I]) State(key string) (S, bool) {
	return m.stores.lookup(m.partitionOf([]byte(key)), key)
}

// Each calls f with every owned state (gauges, diagnostics); f must not
// call back into the member.
func (m *Member[S, I]) Each(f func(key string, st S)) { m.stores.each(f) }

// Run joins the group and works until ctx is done. It returns nil after a
// clean stop, or an error when it cannot start (a missing topic) or the
// brokers refuse its principal its transactional id or group. A failed
// transaction (a fenced or timed-out producer, a commit that could not be
// confirmed) ends the session, whose client is then in an unknown state:
// Run starts a new one, which rejoins the group, restores its partitions
// and resumes at the committed offsets.
func (m *Member[S, I]) Run(ctx context.Context) error {
	defer m.admin.Close()
	m.stop = ctx.Done()
	if err := m.prepare(ctx); err != nil {
		return err
	}
	m.log.Info(m.top.Name+" started", "group", m.cfg.Group, "transactionalId", m.cfg.TransactionalID,
		"inputs", len(m.top.Inputs), "maxPollRecords", m.cfg.MaxPollRecords)
	defer m.log.Info(m.top.Name + " stopped; left the group")
	for {
		err := m.session(ctx)
		if err == nil || ctx.Err() != nil {
			return nil
		}
		if refused := m.refusal(err); refused != nil {
			return refused // preflight.go: a new session would be refused the same
		}
		m.metrics.restarts.Inc()
		m.log.Error("session ended by a failed transaction; starting a new one", "error", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

// prepare reads the partition count of the inputs (which must agree) and
// the record limits of every topic the member writes.
func (m *Member[S, I]) prepare(ctx context.Context) error {
	adm := kadm.NewClient(m.admin)
	var names []string
	for _, in := range m.top.Inputs {
		names = append(names, in.Topic)
	}
	td, err := listTopicsSettled(ctx, adm, names, topicSettleTime)
	if err != nil {
		return fmt.Errorf("%s: describe %v: %w", m.top.Name, names, err)
	}
	n := -1
	for _, name := range names {
		t, ok := td[name]
		if !ok || t.Err != nil {
			return fmt.Errorf("%s: topic %s is missing (create it with `orderctl topics create`): %v", m.top.Name, name, t.Err)
		}
		if n >= 0 && len(t.Partitions) != n {
			return fmt.Errorf("%s: topic %s has %d partitions, %s has %d: inputs must be co-partitioned",
				m.top.Name, name, len(t.Partitions), names[0], n)
		}
		n = len(t.Partitions)
	}
	keyed := kgo.StickyKeyPartitioner(nil).ForTopic(names[0])
	m.partitionOf = func(k []byte) int32 { return int32(keyed.Partition(&kgo.Record{Key: k}, n)) }
	lim, err := ReadLimits(ctx, adm, m.cfg.MaxRecordBytes, m.top.topics()...)
	if err != nil {
		m.log.Warn("cannot read the topics' max.message.bytes; checking records against the producer's limit only",
			"limit", m.cfg.MaxRecordBytes, "error", err)
		lim = NewLimits(m.cfg.MaxRecordBytes, nil)
	}
	m.limits = lim
	m.fitSessionTimeout(ctx, adm)
	if !strings.HasPrefix(m.cfg.TransactionalID, m.cfg.Group+"-") {
		m.log.Warn("the transactional id does not start with the group name and a dash: if this member dies, the members taking its partitions cannot fence its open transaction, and readers wait for the transaction timeout",
			"transactionalId", m.cfg.TransactionalID, "group", m.cfg.Group, "transactionTimeout", m.cfg.TransactionTimeout)
	}
	return nil
}

// topicSettleTime is how long a member waits at start for its input
// topics to be known to the broker it asks: one that has not yet learnt of
// topics just created answers UNKNOWN_TOPIC_OR_PARTITION, a retriable
// error, for a moment.
const topicSettleTime = 10 * time.Second

// listTopicsSettled lists names, asking again (for up to wait) while one
// is absent or has a retriable error; what it returns then is final.
func listTopicsSettled(ctx context.Context, adm *kadm.Client, names []string, wait time.Duration) (kadm.TopicDetails, error) {
	deadline := time.Now().Add(wait)
	for {
		td, err := adm.ListTopics(ctx, names...)
		if err != nil {
			return td, err
		}
		settled := true
		for _, name := range names {
			if t, ok := td[name]; !ok || t.Err != nil && kerr.IsRetriable(t.Err) {
				settled = false
			}
		}
		if settled || time.Now().After(deadline) {
			return td, nil
		}
		select {
		case <-ctx.Done():
			return td, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// fitSessionTimeout moves the session timeout inside the broker's
// group.min/max.session.timeout.ms, which would otherwise refuse the
// member's join.
func (m *Member[S, I]) fitSessionTimeout(ctx context.Context, adm *kadm.Client) {
	brokers, err := adm.ListBrokers(ctx)
	if err != nil || len(brokers) == 0 {
		m.log.Warn("cannot list the brokers to read their session timeout bounds", "error", err)
		return
	}
	rcs, err := adm.DescribeBrokerConfigs(ctx, brokers[0].NodeID)
	if err != nil {
		m.log.Warn("cannot read the broker's session timeout bounds", "error", err)
		return
	}
	for _, rc := range rcs {
		for _, c := range rc.Configs {
			if c.Value == nil {
				continue
			}
			ms, err := strconv.Atoi(*c.Value)
			if err != nil {
				continue
			}
			d := time.Duration(ms) * time.Millisecond
			switch {
			case c.Key == "group.min.session.timeout.ms" && m.cfg.SessionTimeout < d,
				c.Key == "group.max.session.timeout.ms" && m.cfg.SessionTimeout > d:
				m.log.Warn("the broker does not allow this session timeout; using its bound (failover takes at least as long)",
					"wanted", m.cfg.SessionTimeout, "using", d, "brokerSetting", c.Key)
				m.cfg.SessionTimeout = d
				m.cfg.HeartbeatInterval = min(m.cfg.HeartbeatInterval, d/3)
			}
		}
		return // one broker speaks for the cluster's defaults
	}
}

// session runs one group transact session until ctx is done (nil) or a
// transaction fails (the error).
func (m *Member[S, I]) session(ctx context.Context) error {
	// joined is reset before the client exists, never after: the client's
	// group goroutine joins, restores and sets joined on its own, possibly
	// before NewGroupTransactSession returns here when this goroutine is
	// descheduled on a loaded machine; a reset after that would erase the
	// assignment, and a lone member would stay not ready.
	m.joined.Store(false)
	sess, err := kgo.NewGroupTransactSession(m.sessionOpts(ctx)...)
	if err != nil {
		return fmt.Errorf("%s: session: %w", m.top.Name, err)
	}
	if m.sessionCreated != nil {
		m.sessionCreated()
	}
	m.running.Store(true)
	defer func() {
		m.running.Store(false)
		m.joined.Store(false)
		sess.Close()
		m.drop(m.stores.owned(), "session closed")
		m.stores.dropAll()
		m.setStates(0)
		clear(m.failing)
		clear(m.bisecting)
		m.pollLimit = m.cfg.MaxPollRecords
		m.log.Info("session closed; left the group")
	}()
	for {
		pctx, cancel := ctx, context.CancelFunc(func() {})
		if m.top.Due != nil {
			pctx, cancel = context.WithTimeout(ctx, m.cfg.Tick)
		}
		fs := sess.PollRecords(pctx, m.pollLimit)
		cancel()
		if ctx.Err() != nil || fs.IsClientClosed() {
			return nil
		}
		if fs = m.gather(ctx, sess, fs); ctx.Err() != nil || fs.IsClientClosed() {
			return nil
		}
		fs.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				m.log.Warn("fetch error", "topic", t, "partition", p, "error", err)
			}
		})
		m.observeLag(fs)
		now := m.cfg.Now()
		var due map[int32][]string
		if m.top.Due != nil {
			due = m.stores.dueAt(now)
		}
		if fs.NumRecords() == 0 && len(due) == 0 {
			continue
		}
		if err := m.transact(sess, fs, due, now); err != nil {
			return err
		}
	}
}

// gather adds to a batch that fs did not fill what one more fetch brings
// within cfg.Gather (see Config.Gather).
func (m *Member[S, I]) gather(ctx context.Context, sess *kgo.GroupTransactSession, fs kgo.Fetches) kgo.Fetches {
	return gather.More(ctx, fs, m.pollLimit, m.cfg.Gather, sess.PollRecords)
}

// endTimeout bounds one transaction's produce, flush and end, including a
// rebalance that End waits out (the rebalance timeout is half of it).
const endTimeout = 2 * time.Minute

func (m *Member[S, I]) sessionOpts(ctx context.Context) []kgo.Opt {
	var names []string
	for _, in := range m.top.Inputs {
		names = append(names, in.Topic)
	}
	opts := append(slices.Clone(m.cfg.ClientOpts),
		kgo.SeedBrokers(m.cfg.Brokers...),
		kgo.ConsumerGroup(m.cfg.Group),
		kgo.ConsumeTopics(names...),
		kgo.TransactionalID(m.cfg.TransactionalID),
		kgo.TransactionTimeout(m.cfg.TransactionTimeout),
		kgo.ClientID(m.cfg.TransactionalID), // how fenceOrphans tells live members from departed ones
		kgo.SessionTimeout(m.cfg.SessionTimeout),
		kgo.HeartbeatInterval(m.cfg.HeartbeatInterval),
		kgo.RebalanceTimeout(endTimeout/2),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.RequireStableFetchOffsets(),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchMaxBytesFn(func(topic string) int32 { return int32(m.limits.Batch(topic)) }),
		// A produce right after a commit can meet CONCURRENT_TRANSACTIONS
		// while the broker writes the previous markers; franz-go retries it
		// after a metadata refresh, which by default waits up to 5 s.
		kgo.MetadataMinAge(100*time.Millisecond),
		kgo.OnPartitionsAssigned(func(actx context.Context, _ *kgo.Client, assigned map[string][]int32) {
			parts := partitionsOf(assigned)
			// Retrying stops when the member stops (ctx) or its client
			// closes (actx). A restore that keeps failing holds the
			// group's rebalance meanwhile, as the member reports.
			rctx, cancel := context.WithCancel(actx)
			defer cancel()
			defer context.AfterFunc(ctx, cancel)()
			// Before the restore: a departed member's open transaction on
			// the changelog would hold the restore at its first offset.
			m.fenceOrphans(rctx, parts)
			m.restoreUntilDone(rctx, parts)
			for _, p := range parts {
				if !m.gauged[p] {
					m.gauged[p] = true
					m.metrics.partitions.Inc()
				}
			}
			m.joined.Store(true)
		}),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, r map[string][]int32) {
			m.drop(partitionsOf(r), "revoked")
		}),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, l map[string][]int32) {
			m.drop(partitionsOf(l), "lost")
		}),
	)
	if len(names) > 1 {
		// Range gives a member the same partition numbers of every input:
		// all that concerns one key comes to one member.
		opts = append(opts, kgo.Balancers(kgo.RangeBalancer()))
	}
	return opts
}

// partitionsOf is the partition numbers of every topic, once each: inputs
// are co-partitioned, so partition p of every input is one unit of work.
func partitionsOf(m map[string][]int32) []int32 {
	var out []int32
	for _, ps := range m {
		for _, p := range ps {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	slices.Sort(out)
	return out
}

func (m *Member[S, I]) drop(parts []int32, why string) {
	if len(parts) == 0 {
		return
	}
	m.stores.drop(parts)
	m.quarantine.forget(parts)
	for _, p := range parts {
		if m.gauged[p] {
			delete(m.gauged, p)
			m.metrics.partitions.Dec()
		}
		m.metrics.stuck.DeleteLabelValues(strconv.Itoa(int(p)))
		for _, in := range m.top.Inputs {
			m.metrics.lag.DeleteLabelValues(in.Topic, strconv.Itoa(int(p)))
		}
	}
	m.log.Info("partitions dropped", "partitions", parts, "why", why)
}

// setStates puts this member's share of the states gauge at n.
func (m *Member[S, I]) setStates(n int) {
	m.metrics.states.Add(float64(int64(n) - m.gaugedStates.Swap(int64(n))))
}

func (m *Member[S, I]) observeLag(fs kgo.Fetches) {
	fs.EachPartition(func(fp kgo.FetchTopicPartition) {
		if n := len(fp.Records); n > 0 {
			lag := max(fp.HighWatermark-fp.Records[n-1].Offset-1, 0)
			m.metrics.lag.WithLabelValues(fp.Topic, strconv.Itoa(int(fp.Partition))).Set(float64(lag))
		}
	})
}
