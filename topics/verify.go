package topics

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// ProblemKind says what is wrong with a topic.
type ProblemKind int

// The problems Verify finds.
const (
	Missing          ProblemKind = iota + 1 // the topic does not exist
	WrongPartitions                         // partition count differs from the Config's
	NotCoPartitioned                        // co-partitioned topics disagree on their partition count
	WrongReplication                        // replication factor differs from the Config's
	WrongConfig                             // a topic config differs from its declared value
)

func (k ProblemKind) String() string {
	switch k {
	case Missing:
		return "missing"
	case WrongPartitions:
		return "wrong partition count"
	case NotCoPartitioned:
		return "not co-partitioned"
	case WrongReplication:
		return "wrong replication factor"
	case WrongConfig:
		return "wrong config"
	}
	return fmt.Sprintf("ProblemKind(%d)", int(k))
}

// Problem is one way the cluster differs from the Set.
type Problem struct {
	Topic  string // the topic, or for NotCoPartitioned the topics, comma-separated
	Kind   ProblemKind
	Config string // for WrongConfig: the config key
	Want   string
	Got    string
	Fix    string // what a person can do about it
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Topic)
	b.WriteString(": ")
	switch p.Kind {
	case Missing:
		b.WriteString("does not exist")
	case WrongConfig:
		fmt.Fprintf(&b, "%s is %q, want %q", p.Config, p.Got, p.Want)
	default:
		fmt.Fprintf(&b, "%s: %s, want %s", p.Kind, p.Got, p.Want)
	}
	if p.Fix != "" {
		b.WriteString("; ")
		b.WriteString(p.Fix)
	}
	return b.String()
}

// VerifyError lists every way the cluster's topics differ from the Set.
type VerifyError struct {
	Problems []Problem
}

func (e *VerifyError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	noun := "problems"
	if len(lines) == 1 {
		noun = "problem"
	}
	return fmt.Sprintf("topics: %d %s:\n  %s", len(lines), noun, strings.Join(lines, "\n  "))
}

// Has reports whether e lists a problem of kind k with topic.
func (e *VerifyError) Has(topic string, k ProblemKind) bool {
	return slices.ContainsFunc(e.Problems, func(p Problem) bool { return p.Topic == topic && p.Kind == k })
}

// Verify checks that every topic of the set exists with the configured
// partition count and replication factor, that co-partitioned topics agree on
// their partition count, and that each declared config (cleanup.policy,
// retention.ms, ...) has its declared value. It returns a *VerifyError listing
// every difference, or another error when it could not ask the cluster.
func (s Set) Verify(ctx context.Context, adm *kadm.Client) error {
	details, err := s.listSettled(ctx, adm)
	if err != nil {
		return err
	}
	var (
		problems []Problem
		existing []string
	)
	for _, sp := range s.specs {
		d, ok := details[sp.Name]
		switch {
		case !ok || errors.Is(d.Err, kerr.UnknownTopicOrPartition):
			problems = append(problems, Problem{Topic: sp.Name, Kind: Missing,
				Fix: "create it with topics.Set.Ensure (`orderctl topics` does)"})
			continue
		case d.Err != nil:
			return fmt.Errorf("look up topic %s: %w", sp.Name, d.Err)
		}
		existing = append(existing, sp.Name)
		problems = append(problems, checkLayout(sp, d)...)
	}
	problems = append(problems, s.checkCoPartitioned(details)...)

	cp, err := s.checkConfigs(ctx, adm, existing)
	if err != nil {
		return err
	}
	problems = append(problems, cp...)
	if len(problems) > 0 {
		return &VerifyError{Problems: problems}
	}
	return nil
}

// missingWait is how long Verify asks again about topics the broker it
// asked does not list. On several brokers, each answers metadata from its
// own copy of the cluster's log: a topic just created, which one broker
// listed for Ensure, may not be known to the next broker yet.
const missingWait = 5 * time.Second

// listSettled lists the set's topics; while some are missing, it asks
// again, with a growing pause, for at most missingWait.
func (s Set) listSettled(ctx context.Context, adm *kadm.Client) (kadm.TopicDetails, error) {
	deadline := time.Now().Add(missingWait)
	for pause := firstPoll; ; pause = min(2*pause, maxPoll) {
		details, err := listTopics(ctx, adm, s.TopicNames())
		if err != nil {
			return nil, err
		}
		missing := slices.ContainsFunc(s.specs, func(sp Spec) bool {
			d, ok := details[sp.Name]
			return !ok || errors.Is(d.Err, kerr.UnknownTopicOrPartition)
		})
		if !missing || time.Now().After(deadline) {
			return details, nil
		}
		select {
		case <-ctx.Done():
			return details, nil
		case <-time.After(pause):
		}
	}
}

// describeSettled describes the topics' configs; while the broker asked
// does not know one yet (UNKNOWN_TOPIC_OR_PARTITION: see missingWait), it
// asks again, for at most missingWait.
func describeSettled(ctx context.Context, adm *kadm.Client, topics []string) (kadm.ResourceConfigs, error) {
	deadline := time.Now().Add(missingWait)
	for pause := firstPoll; ; pause = min(2*pause, maxPoll) {
		rcs, err := adm.DescribeTopicConfigs(ctx, topics...)
		unknown := errors.Is(err, kerr.UnknownTopicOrPartition) ||
			err == nil && slices.ContainsFunc(rcs, func(rc kadm.ResourceConfig) bool { return errors.Is(rc.Err, kerr.UnknownTopicOrPartition) })
		if !unknown || time.Now().After(deadline) {
			return rcs, err
		}
		select {
		case <-ctx.Done():
			return rcs, err
		case <-time.After(pause):
		}
	}
}

func checkLayout(sp Spec, d kadm.TopicDetail) []Problem {
	var out []Problem
	if got := int32(len(d.Partitions)); got != sp.Partitions {
		fix := fmt.Sprintf("partitions cannot be removed: configure %d partitions, or delete and recreate the topic", got)
		if got < sp.Partitions {
			fix = fmt.Sprintf("add partitions (kafka-topics.sh --alter --topic %s --partitions %d), only while it holds no data: keys move to other partitions", sp.Name, sp.Partitions)
		}
		out = append(out, Problem{Topic: sp.Name, Kind: WrongPartitions,
			Want: fmt.Sprint(sp.Partitions), Got: fmt.Sprint(got), Fix: fix})
	}
	if sp.ReplicationFactor > 0 {
		if got := d.Partitions.NumReplicas(); got != int(sp.ReplicationFactor) {
			out = append(out, Problem{Topic: sp.Name, Kind: WrongReplication,
				Want: fmt.Sprint(sp.ReplicationFactor), Got: fmt.Sprint(got),
				Fix: "reassign its replicas (kafka-reassign-partitions.sh) or configure the replication factor it has"})
		}
	}
	return out
}

// checkCoPartitioned reports one problem when the existing co-partitioned
// topics do not all have the same partition count.
func (s Set) checkCoPartitioned(details kadm.TopicDetails) []Problem {
	var (
		names  []string
		counts []string
		seen   = map[int]bool{}
	)
	for _, sp := range s.specs {
		d, ok := details[sp.Name]
		if !sp.CoPartitioned || !ok || d.Err != nil {
			continue
		}
		names = append(names, sp.Name)
		counts = append(counts, fmt.Sprintf("%s has %d", sp.Name, len(d.Partitions)))
		seen[len(d.Partitions)] = true
	}
	if len(seen) < 2 {
		return nil
	}
	return []Problem{{
		Topic: strings.Join(names, ","),
		Kind:  NotCoPartitioned,
		Want:  "the same partition count",
		Got:   strings.Join(counts, ", "),
		Fix:   "give them all the same count: the processor that owns partition p of the commands must find the state of the same orders in partition p of the state topic",
	}}
}

func (s Set) checkConfigs(ctx context.Context, adm *kadm.Client, topics []string) ([]Problem, error) {
	if len(topics) == 0 {
		return nil, nil
	}
	rcs, err := describeSettled(ctx, adm, topics)
	if err != nil {
		return nil, fmt.Errorf("describe configs of %v: %w", topics, err)
	}
	var out []Problem
	for _, name := range topics {
		sp, _ := s.Spec(name)
		rc, err := rcs.On(name, nil)
		if err == nil {
			err = rc.Err
		}
		if err != nil {
			return nil, fmt.Errorf("describe configs of %s: %w%s", name, err, detail(rc.ErrMessage))
		}
		got := make(map[string]string, len(rc.Configs))
		for _, c := range rc.Configs {
			got[c.Key] = c.MaybeValue()
		}
		for _, key := range sortedKeys(sp.Configs) {
			want := sp.Configs[key]
			g, ok := got[key]
			if ok && sameConfig(key, g, want) {
				continue
			}
			if !ok {
				g = "(not set)"
			}
			out = append(out, Problem{Topic: name, Kind: WrongConfig, Config: key, Want: want, Got: g,
				Fix: fmt.Sprintf("kafka-configs.sh --alter --entity-type topics --entity-name %s --add-config %s=%s", name, key, want)})
		}
	}
	return out, nil
}

// sameConfig compares config values; list configs like cleanup.policy
// ("compact,delete") compare as sets.
func sameConfig(key, got, want string) bool {
	if key != ConfigCleanupPolicy {
		return got == want
	}
	norm := func(v string) []string {
		parts := strings.Split(v, ",")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		slices.Sort(parts)
		return slices.Compact(parts)
	}
	return slices.Equal(norm(got), norm(want))
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
