package topics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// DefaultListWait is how long Ensure waits, unless told otherwise
// (WaitListed), for the cluster to list the topics it or another process
// just created.
const DefaultListWait = 30 * time.Second

// How often Ensure asks the cluster again while it waits: first after
// firstPoll, then twice as long each time, at most maxPoll.
const (
	firstPoll = 50 * time.Millisecond
	maxPoll   = time.Second
)

// EnsureOpt is an option of Ensure.
type EnsureOpt interface{ applyEnsure(*ensureConfig) }

type ensureConfig struct {
	wait time.Duration
}

type ensureOptFunc func(*ensureConfig)

func (f ensureOptFunc) applyEnsure(c *ensureConfig) { f(c) }

// WaitListed bounds how long Ensure waits for the cluster to list, in full,
// the topics created by it or by another process at the same time (default
// DefaultListWait). A d of zero or less means the default.
func WaitListed(d time.Duration) EnsureOpt {
	return ensureOptFunc(func(c *ensureConfig) {
		if d > 0 {
			c.wait = d
		}
	})
}

// Ensure creates every topic of the set that does not exist yet, with its
// declared partitions, replication factor and configs, and returns the names
// it created. Topics that exist are left alone, whatever their settings: use
// Verify to check them.
//
// Safe to run again, and concurrently with other processes running Ensure
// on the same set: a topic someone else created in between (the broker
// answers TOPIC_ALREADY_EXISTS) is fine. Either way a broker answers before
// its metadata lists the topic, so Ensure returns only once the cluster
// lists every topic that was missing when it looked, whoever created it,
// with all its partitions and a leader for each: Verify right after Ensure
// sees them. It waits at most DefaultListWait (see WaitListed) and then
// returns a *NotListedError naming the topics still missing.
func (s Set) Ensure(ctx context.Context, adm *kadm.Client, opts ...EnsureOpt) ([]string, error) {
	cfg := ensureConfig{wait: DefaultListWait}
	for _, o := range opts {
		o.applyEnsure(&cfg)
	}
	missing, appearing, err := s.lookUp(ctx, adm)
	if err != nil {
		return nil, err
	}
	var created []string
	for _, sp := range missing {
		resp, err := adm.CreateTopic(ctx, sp.Partitions, sp.ReplicationFactor, ptrConfigs(sp.Configs), sp.Name)
		if err == nil {
			err = resp.Err
		}
		switch {
		case err == nil:
			created = append(created, sp.Name)
			slog.InfoContext(ctx, "created topic", "topic", sp.Name, "partitions", sp.Partitions,
				"replication_factor", sp.ReplicationFactor, "configs", sp.Configs)
		case errors.Is(err, kerr.TopicAlreadyExists):
			// Someone else created it since we looked: that is what we
			// wanted, once the cluster lists it.
			appearing = append(appearing, sp.Name)
		default:
			return created, fmt.Errorf("create topic %s (%d partitions, replication factor %d): %w%s",
				sp.Name, sp.Partitions, sp.ReplicationFactor, err, detail(resp.ErrMessage))
		}
	}
	return created, awaitListed(ctx, adm, s.awaited(created, appearing), cfg.wait)
}

// lookUp sorts the topics of the set the cluster does not list in full:
// missing ones, to create, and appearing ones, which the cluster knows but
// lists with a retriable error (LEADER_NOT_AVAILABLE while a topic is being
// created), to wait for.
func (s Set) lookUp(ctx context.Context, adm *kadm.Client) (missing []Spec, appearing []string, err error) {
	details, err := listTopics(ctx, adm, s.TopicNames())
	if err != nil {
		return nil, nil, err
	}
	for _, sp := range s.specs {
		d, ok := details[sp.Name]
		switch {
		case !ok || errors.Is(d.Err, kerr.UnknownTopicOrPartition):
			missing = append(missing, sp)
		case kerr.IsRetriable(d.Err):
			appearing = append(appearing, sp.Name)
		case d.Err != nil:
			return nil, nil, fmt.Errorf("look up topic %s: %w", sp.Name, d.Err)
		}
	}
	return missing, appearing, nil
}

// awaitedTopic is a topic Ensure waits for, and how many partitions the
// cluster must list for it.
type awaitedTopic struct {
	name       string
	partitions int32
}

// awaited returns the topics to wait for, in catalog order: the ones
// created here with their declared partition count, the ones another
// process created with at least one. The cluster lists a topic with all
// its partitions at once (a KRaft controller writes them in one atomic
// batch); whether the other process declared the same count is for Verify
// to say, and waiting for a count a topic will never have would only
// delay that answer.
func (s Set) awaited(created, byOthers []string) []awaitedTopic {
	var out []awaitedTopic
	for _, sp := range s.specs {
		switch {
		case slices.Contains(created, sp.Name):
			out = append(out, awaitedTopic{sp.Name, sp.Partitions})
		case slices.Contains(byOthers, sp.Name):
			out = append(out, awaitedTopic{sp.Name, 1})
		}
	}
	return out
}

// awaitListed asks the cluster, with a growing pause, until it lists every
// awaited topic with its partitions and a leader for each, for at most
// wait.
func awaitListed(ctx context.Context, adm *kadm.Client, want []awaitedTopic, wait time.Duration) error {
	if len(want) == 0 {
		return nil
	}
	names := make([]string, len(want))
	for i, t := range want {
		names[i] = t.name
	}
	start := time.Now()
	deadline := start.Add(wait)
	pause := firstPoll
	for {
		details, err := listTopics(ctx, adm, names)
		if err != nil {
			return err
		}
		var pending []NotListed
		for _, t := range want {
			if why := notListedInFull(details[t.name], t.partitions); why != "" {
				pending = append(pending, NotListed{Topic: t.name, Reason: why})
			}
		}
		if len(pending) == 0 {
			return nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return &NotListedError{Topics: pending, Waited: time.Since(start).Round(time.Millisecond)}
		}
		select {
		case <-ctx.Done():
			return &NotListedError{Topics: pending, Waited: time.Since(start).Round(time.Millisecond), Err: ctx.Err()}
		case <-time.After(min(pause, left)): // the last look is at the deadline
		}
		pause = min(2*pause, maxPoll)
	}
}

// notListedInFull says what the cluster's listing d of a topic still
// lacks, or "" when it lists at least partitions partitions, each with a
// leader.
func notListedInFull(d kadm.TopicDetail, partitions int32) string {
	switch {
	case d.Topic == "" || errors.Is(d.Err, kerr.UnknownTopicOrPartition):
		return "not listed"
	case d.Err != nil:
		return "listed with error " + d.Err.Error()
	case len(d.Partitions) == 0:
		return "listed without partitions"
	case int32(len(d.Partitions)) < partitions:
		return fmt.Sprintf("listed with %d of its %d partitions", len(d.Partitions), partitions)
	}
	for _, p := range d.Partitions.Sorted() {
		if p.Leader < 0 || (p.Err != nil && !errors.Is(p.Err, kerr.ReplicaNotAvailable)) {
			why := fmt.Sprintf("partition %d has no leader", p.Partition)
			if p.Err != nil {
				why += " (" + p.Err.Error() + ")"
			}
			return why
		}
	}
	return ""
}

// NotListed is a topic Ensure gave up waiting for, and what its listing
// lacked at the last look.
type NotListed struct {
	Topic  string
	Reason string // "not listed", "listed with 2 of its 3 partitions", "partition 1 has no leader", ...
}

// NotListedError is Ensure giving up: topics it or another process created
// were still not listed in full by the cluster after Waited. Err is the
// context's error when the context ended first, nil when the wait bound
// (WaitListed) ran out. Starting again is safe: Ensure creates nothing
// twice.
type NotListedError struct {
	Topics []NotListed // in catalog order
	Waited time.Duration
	Err    error
}

func (e *NotListedError) Error() string {
	lines := make([]string, len(e.Topics))
	for i, t := range e.Topics {
		lines[i] = t.Topic + ": " + t.Reason
	}
	why := "the wait ran out"
	if e.Err != nil {
		why = "stopped: " + e.Err.Error()
	}
	return fmt.Sprintf("topics: %d created topics still not listed in full by the cluster after %s (%s):\n  %s\n"+
		"a broker's metadata is lagging or a partition has no leader: check the brokers, then start again",
		len(lines), e.Waited, why, strings.Join(lines, "\n  "))
}

// Unwrap returns the context's error when the context ended the wait.
func (e *NotListedError) Unwrap() error { return e.Err }

// Names returns the topics not listed in full.
func (e *NotListedError) Names() []string {
	out := make([]string, len(e.Topics))
	for i, t := range e.Topics {
		out[i] = t.Topic
	}
	return out
}

// listTopics asks the cluster, not the client's metadata cache, about topics.
// kadm answers ListTopics from metadata up to 5 s old, which does not yet
// know a topic created a moment ago; asking for the authorized operations is
// kadm's way to send a fresh metadata request.
func listTopics(ctx context.Context, adm *kadm.Client, names []string) (kadm.TopicDetails, error) {
	details, err := adm.ListTopics(kadm.WithAuthorizedOps(ctx), names...)
	if err != nil {
		return nil, fmt.Errorf("list topics %v: %w", names, err)
	}
	return details, nil
}

func ptrConfigs(m map[string]string) map[string]*string {
	out := make(map[string]*string, len(m))
	for k, v := range m {
		out[k] = &v
	}
	return out
}

func detail(msg string) string {
	if msg == "" {
		return ""
	}
	return " (" + msg + ")"
}
