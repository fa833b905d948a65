package topics

// Component tests: Ensure and Verify against kfake, an in-process Kafka.

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// fakeCluster starts a one-broker kfake cluster and returns an admin client
// for it and the cluster, both closed when t ends.
func fakeCluster(t *testing.T) (*kadm.Client, *kfake.Cluster) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatalf("start kfake: %v", err)
	}
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	t.Cleanup(cl.Close)
	return kadm.NewClient(cl), c
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustNew(t *testing.T, cfg Config) Set {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func asVerifyError(t *testing.T, err error) *VerifyError {
	t.Helper()
	var ve *VerifyError
	if !errors.As(err, &ve) {
		t.Fatalf("Verify() = %v, want a *VerifyError", err)
	}
	return ve
}

func TestEnsureCreatesEveryTopicOnceAndVerifyPasses(t *testing.T) {
	adm, _ := fakeCluster(t)
	ctx := testCtx(t)
	s := mustNew(t, Config{Prefix: "staging.", Partitions: 4, ReplicationFactor: 1})

	created, err := s.Ensure(ctx, adm)
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	if len(created) != len(s.Specs()) {
		t.Errorf("first Ensure created %v, want all %d topics", created, len(s.Specs()))
	}
	again, err := s.Ensure(ctx, adm)
	if err != nil || len(again) != 0 {
		t.Errorf("second Ensure = %v, %v; want nothing created and no error", again, err)
	}
	if err := s.Verify(ctx, adm); err != nil {
		t.Fatalf("Verify after Ensure: %v", err)
	}

	details, err := adm.ListTopics(ctx, s.Names().State)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(details[s.Names().State].Partitions); n != 4 {
		t.Errorf("%s has %d partitions, want 4", s.Names().State, n)
	}
}

func TestVerifyReportsMissingTopics(t *testing.T) {
	adm, c := fakeCluster(t)
	ctx := testCtx(t)
	s := mustNew(t, Config{Partitions: 2, ReplicationFactor: 1})
	if err := c.CreateTopic(s.Names().Commands, 2, s.Specs()[0].Configs); err != nil {
		t.Fatal(err)
	}

	ve := asVerifyError(t, s.Verify(ctx, adm))
	for _, name := range s.TopicNames() {
		if want := name != s.Names().Commands; ve.Has(name, Missing) != want {
			t.Errorf("missing(%s) reported = %v, want %v\n%v", name, !want, want, ve)
		}
	}
}

func TestVerifyCatchesAStateTopicThatIsNotCompactedAndHasTooFewPartitions(t *testing.T) {
	adm, c := fakeCluster(t)
	ctx := testCtx(t)
	s := mustNew(t, Config{Partitions: 6, ReplicationFactor: 1})
	// Someone made order.state by hand, as a plain topic with 3 partitions.
	if err := c.CreateTopic(s.Names().State, 3, map[string]string{"cleanup.policy": "delete"}); err != nil {
		t.Fatal(err)
	}
	created, err := s.Ensure(ctx, adm)
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	if len(created) != len(s.Specs())-1 {
		t.Errorf("Ensure created %v; it must leave the existing %s alone", created, s.Names().State)
	}

	ve := asVerifyError(t, s.Verify(ctx, adm))
	t.Logf("as reported:\n%v", ve)
	state := s.Names().State
	if !ve.Has(state, WrongPartitions) {
		t.Errorf("wrong partition count of %s not reported", state)
	}
	var sawPolicy, sawCoPartitioning bool
	for _, p := range ve.Problems {
		switch {
		case p.Topic == state && p.Kind == WrongConfig && p.Config == ConfigCleanupPolicy:
			sawPolicy = p.Got == "delete" && p.Want == "compact"
		case p.Kind == NotCoPartitioned:
			sawCoPartitioning = true
		case p.Topic != state:
			t.Errorf("problem reported for a topic Ensure created: %v", p)
		}
	}
	if !sawPolicy {
		t.Errorf("non-compacted %s not reported as cleanup.policy %q, want %q", state, "delete", "compact")
	}
	if !sawCoPartitioning {
		t.Errorf("co-partitioning broken by %s not reported", state)
	}
}

func TestVerifyCatchesWrongRetentionAndReplication(t *testing.T) {
	adm, c := fakeCluster(t)
	ctx := testCtx(t)
	s := mustNew(t, Config{Partitions: 1, ReplicationFactor: 1})
	// order.events must keep everything; this one deletes after a week.
	if err := c.CreateTopic(s.Names().Events, 1, map[string]string{"retention.ms": "604800000"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Ensure(ctx, adm); err != nil {
		t.Fatal(err)
	}
	ve := asVerifyError(t, s.Verify(ctx, adm))
	if len(ve.Problems) != 1 || ve.Problems[0].Config != ConfigRetentionMs || ve.Problems[0].Topic != s.Names().Events {
		t.Errorf("Verify = %v, want exactly the retention.ms of %s", ve, s.Names().Events)
	}

	// Asking for 3 replicas where every topic has 1.
	s3 := mustNew(t, Config{Partitions: 1, ReplicationFactor: 3})
	ve = asVerifyError(t, s3.Verify(ctx, adm))
	for _, name := range s3.TopicNames() {
		if !ve.Has(name, WrongReplication) {
			t.Errorf("replication factor of %s not reported:\n%v", name, ve)
		}
	}
}
