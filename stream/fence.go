package stream

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// fenceTimeout bounds the search for and the fencing of dead members'
// transactions at an assignment; past it the member restores anyway, and
// the broker's transaction timeout ends what is left.
const fenceTimeout = 10 * time.Second

// fenceOrphans ends, at once, the transactions that members no longer in
// the group left open on the partitions just assigned. A member killed in
// the middle of a batch leaves its transaction open; every read_committed
// reader of the partitions it wrote (this member's restore, the API, the
// projector, downstream services) waits at that transaction's first offset
// until the broker aborts it after the transaction timeout. Fencing its
// transactional id (InitProducerId, as a restarted producer does) makes
// the coordinator abort it now.
//
// Only ids that start with "<group>-" are fenced: those are this group's
// members by convention (Config.TransactionalID), so a live producer of
// another group that writes the same topics is never touched. An id that
// is a member of the group now is live and is left alone: a member that
// lost these partitions in the rebalance aborts its own open transaction
// at its next End.
func (m *Member[S, I]) fenceOrphans(ctx context.Context, parts []int32) {
	if len(parts) == 0 {
		return
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, fenceTimeout)
	defer cancel()
	orphans, err := m.orphans(ctx, parts)
	if err != nil {
		m.log.Warn("cannot look for transactions that departed members left open; their readers wait for the transaction timeout",
			"partitions", parts, "error", err)
		return
	}
	for _, id := range orphans {
		if err := fence(ctx, m.admin, id, m.cfg.TransactionTimeout); err != nil {
			m.log.Warn("cannot fence a departed member's open transaction; its readers wait for the transaction timeout",
				"transactionalId", id, "error", err)
			continue
		}
		m.metrics.fenced.Inc()
		m.log.Info("fenced the open transaction of a member that left the group", "transactionalId", id,
			"partitions", parts, "took", time.Since(start).Round(time.Millisecond))
	}
}

// orphans is the transactional ids, sorted, of this group's departed
// members with a transaction open on parts of a topic the member writes.
func (m *Member[S, I]) orphans(ctx context.Context, parts []int32) ([]string, error) {
	adm := kadm.NewClient(m.admin)
	set := kadm.TopicsSet{}
	for _, t := range m.top.written() {
		set.Add(t, parts...)
	}
	// A partition some topic lacks (a dead-letter topic with fewer
	// partitions) answers with its own error; the others still count.
	described, err := adm.DescribeProducers(ctx, set)
	if err != nil && len(described) == 0 {
		return nil, fmt.Errorf("describe producers: %w", err)
	}
	open := map[int64]bool{}
	described.EachProducer(func(p kadm.DescribedProducer) {
		if p.CurrentTxnStartOffset >= 0 {
			open[p.ProducerID] = true
		}
	})
	if len(open) == 0 {
		return nil, nil
	}
	pids := make([]int64, 0, len(open))
	for id := range open {
		pids = append(pids, id)
	}
	listed, err := adm.ListTransactions(ctx, pids, []string{"Ongoing"})
	if err != nil && len(listed) == 0 {
		return nil, fmt.Errorf("list transactions: %w", err)
	}
	groups, err := adm.DescribeGroups(ctx, m.cfg.Group)
	if err != nil {
		return nil, fmt.Errorf("describe group %s: %w", m.cfg.Group, err)
	}
	g, ok := groups[m.cfg.Group]
	if !ok || g.Err != nil {
		return nil, fmt.Errorf("describe group %s: %v", m.cfg.Group, g.Err)
	}
	live := map[string]bool{m.cfg.TransactionalID: true}
	for _, mem := range g.Members {
		live[mem.ClientID] = true // the session's client id is its transactional id
	}
	var out []string
	for _, t := range listed {
		if open[t.ProducerID] && strings.HasPrefix(t.TxnID, m.cfg.Group+"-") && !live[t.TxnID] {
			out = append(out, t.TxnID)
		}
	}
	slices.Sort(out)
	return out, nil
}

// fence bumps the epoch of transactional id, which aborts its open
// transaction; the coordinator answers CONCURRENT_TRANSACTIONS until the
// abort markers are written.
func fence(ctx context.Context, cl *kgo.Client, id string, timeout time.Duration) error {
	wait := 20 * time.Millisecond
	for {
		req := kmsg.NewPtrInitProducerIDRequest()
		req.TransactionalID = &id
		req.TransactionTimeoutMillis = int32(timeout.Milliseconds())
		req.ProducerID, req.ProducerEpoch = -1, -1
		resp, err := req.RequestWith(ctx, cl)
		if err == nil {
			err = kerr.ErrorForCode(resp.ErrorCode)
		}
		if err == nil {
			return nil
		}
		if !errors.Is(err, kerr.ConcurrentTransactions) && !kerr.IsRetriable(err) {
			return fmt.Errorf("init producer id %s: %w", id, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("init producer id %s: %w (last: %v)", id, ctx.Err(), err)
		case <-time.After(wait):
		}
		wait = min(2*wait, 500*time.Millisecond)
	}
}
