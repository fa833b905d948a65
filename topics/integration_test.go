package topics_test

// Integration tests on the real broker of the test bed (`make test`).

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/internal/testenv"
	"github.com/orderlog/orderlog/topics"
)

func realAdmin(t *testing.T) *kadm.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(testenv.KafkaBrokers(t)...))
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	t.Cleanup(cl.Close)
	return kadm.NewClient(cl)
}

// deleteAfter removes the topics when the test ends, so reruns on a long-lived
// broker do not pile them up.
func deleteAfter(t *testing.T, adm *kadm.Client, names ...string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := adm.DeleteTopics(ctx, names...); err != nil {
			t.Logf("delete topics %v: %v", names, err)
		}
	})
}

func TestEnsureAndVerifyOnARealBroker(t *testing.T) {
	adm := realAdmin(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	set, err := topics.New(topics.Config{Prefix: testenv.TopicPrefix(t), Partitions: 3, ReplicationFactor: 1})
	if err != nil {
		t.Fatal(err)
	}
	deleteAfter(t, adm, set.TopicNames()...)

	created, err := set.Ensure(ctx, adm)
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	if len(created) != len(set.Specs()) {
		t.Errorf("Ensure created %v, want every topic", created)
	}
	if again, err := set.Ensure(ctx, adm); err != nil || len(again) != 0 {
		t.Errorf("second Ensure = %v, %v; want nothing created", again, err)
	}
	if err := set.Verify(ctx, adm); err != nil {
		t.Fatalf("Verify after Ensure: %v", err)
	}
}

func TestVerifyOnARealBrokerCatchesAStateTopicThatIsNotCompacted(t *testing.T) {
	adm := realAdmin(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	set, err := topics.New(topics.Config{Prefix: testenv.TopicPrefix(t), Partitions: 2, ReplicationFactor: 1})
	if err != nil {
		t.Fatal(err)
	}
	deleteAfter(t, adm, set.TopicNames()...)
	state := set.Names().State
	// Made by hand with the broker's defaults: delete, 1 partition.
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, state); err != nil {
		t.Fatalf("create %s: %v", state, err)
	}
	if _, err := set.Ensure(ctx, adm); err != nil {
		t.Fatalf("Ensure: %v", err)
	}

	err = set.Verify(ctx, adm)
	var ve *topics.VerifyError
	if !errors.As(err, &ve) {
		t.Fatalf("Verify = %v, want a *VerifyError", err)
	}
	t.Logf("as reported:\n%v", ve)
	for _, k := range []topics.ProblemKind{topics.WrongConfig, topics.WrongPartitions} {
		if !ve.Has(state, k) {
			t.Errorf("%s not reported for %s", k, state)
		}
	}
}
