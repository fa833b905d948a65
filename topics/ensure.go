package topics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// Ensure creates every topic of the set that does not exist yet, with its
// declared partitions, replication factor and configs, and returns the names
// it created once the cluster lists them (a broker answers CreateTopics
// before its metadata shows the topic). Topics that exist are left alone,
// whatever their settings: use Verify to check them. Safe to run again, and
// concurrently with another Ensure (a topic created by someone else in
// between counts as existing).
func (s Set) Ensure(ctx context.Context, adm *kadm.Client) ([]string, error) {
	missing, err := s.missing(ctx, adm)
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
			// Someone else created it since we looked: that is what we wanted.
		default:
			return created, fmt.Errorf("create topic %s (%d partitions, replication factor %d): %w%s",
				sp.Name, sp.Partitions, sp.ReplicationFactor, err, detail(resp.ErrMessage))
		}
	}
	return created, s.awaitListed(ctx, adm, created)
}

// awaitListed waits, up to 30 s, until the cluster's metadata lists every
// named topic with all its partitions.
func (s Set) awaitListed(ctx context.Context, adm *kadm.Client, names []string) error {
	if len(names) == 0 {
		return nil
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		details, err := listTopics(ctx, adm, names)
		if err != nil {
			return err
		}
		var waiting []string
		for _, n := range names {
			sp, _ := s.Spec(n)
			if d, ok := details[n]; !ok || d.Err != nil || int32(len(d.Partitions)) < sp.Partitions {
				waiting = append(waiting, n)
			}
		}
		if len(waiting) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("created topics %v are still not listed by the cluster after 30s", waiting)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// missing returns the specs of the topics the cluster does not know.
func (s Set) missing(ctx context.Context, adm *kadm.Client) ([]Spec, error) {
	details, err := listTopics(ctx, adm, s.TopicNames())
	if err != nil {
		return nil, err
	}
	var out []Spec
	for _, sp := range s.specs {
		d, ok := details[sp.Name]
		switch {
		case !ok || errors.Is(d.Err, kerr.UnknownTopicOrPartition):
			out = append(out, sp)
		case d.Err != nil:
			return nil, fmt.Errorf("look up topic %s: %w", sp.Name, d.Err)
		}
	}
	return out, nil
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
