package topics

// Several processes starting at once on a fresh cluster: each runs Ensure
// and Verify with its own client, on kfake and on the test bed's broker.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/orderlog/orderlog/internal/testenv"
)

// processes is how many start at once.
const processes = 8

// startResult is what one process saw: the topics its Ensure created, and
// the errors of Ensure and Verify.
type startResult struct {
	created   []string
	ensureErr error
	verifyErr error
}

// startAtOnce runs Ensure and then Verify of s on every admin client at the
// same moment (they wait on one start signal) and returns what each saw.
func startAtOnce(ctx context.Context, s Set, admins []*kadm.Client) []startResult {
	out := make([]startResult, len(admins))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, adm := range admins {
		wg.Go(func() {
			<-start
			r := &out[i]
			if r.created, r.ensureErr = s.Ensure(ctx, adm); r.ensureErr == nil {
				r.verifyErr = s.Verify(ctx, adm)
			}
		})
	}
	close(start)
	wg.Wait()
	return out
}

// checkEveryStartPassed fails t unless every process's Ensure and Verify
// passed and every topic was created by exactly one of them.
func checkEveryStartPassed(t *testing.T, s Set, results []startResult) {
	t.Helper()
	creator := map[string][]int{}
	for i, r := range results {
		if r.ensureErr != nil {
			t.Errorf("process %d: Ensure: %v", i, r.ensureErr)
		}
		if r.verifyErr != nil {
			t.Errorf("process %d: Verify after Ensure: %v", i, r.verifyErr)
		}
		for _, n := range r.created {
			creator[n] = append(creator[n], i)
		}
	}
	for _, n := range s.TopicNames() {
		if len(creator[n]) != 1 {
			t.Errorf("%s created by processes %v, want exactly one", n, creator[n])
		}
	}
}

// newAdmins returns n admin clients, each with its own connections, closed
// when t ends.
func newAdmins(t *testing.T, n int, brokers []string) []*kadm.Client {
	t.Helper()
	out := make([]*kadm.Client, n)
	for i := range out {
		cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
		if err != nil {
			t.Fatalf("new client: %v", err)
		}
		t.Cleanup(cl.Close)
		out[i] = kadm.NewClient(cl)
	}
	return out
}

func TestProcessesStartingAtOnceOnKfakeAllEnsureAndVerify(t *testing.T) {
	_, c := fakeCluster(t)
	s := mustNew(t, Config{Prefix: "fresh.", Partitions: 4, ReplicationFactor: 1})
	checkEveryStartPassed(t, s, startAtOnce(testCtx(t), s, newAdmins(t, processes, c.ListenAddrs())))
}

// anotherProcessCreates makes c answer the next CreateTopics for topic with
// TOPIC_ALREADY_EXISTS without creating it, as a broker answers a process
// that lost the race to another one whose topic its metadata does not list
// yet. The returned channel is closed once the metadata has been asked about
// the topic polls times since that answer.
func anotherProcessCreates(c *kfake.Cluster, topic string, polls int32) <-chan struct{} {
	var answered atomic.Bool
	var asked atomic.Int32
	enough := make(chan struct{})
	c.ControlKey(int16(kmsg.CreateTopics), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		req := kreq.(*kmsg.CreateTopicsRequest)
		if !slices.ContainsFunc(req.Topics, func(t kmsg.CreateTopicsRequestTopic) bool { return t.Topic == topic }) {
			return nil, nil, false
		}
		resp := req.ResponseKind().(*kmsg.CreateTopicsResponse)
		for _, t := range req.Topics {
			rt := kmsg.NewCreateTopicsResponseTopic()
			rt.Topic, rt.ErrorCode = t.Topic, kerr.TopicAlreadyExists.Code
			resp.Topics = append(resp.Topics, rt)
		}
		answered.Store(true)
		return resp, nil, true
	})
	c.ControlKey(int16(kmsg.Metadata), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		req := kreq.(*kmsg.MetadataRequest)
		if answered.Load() && slices.ContainsFunc(req.Topics, func(t kmsg.MetadataRequestTopic) bool { return t.Topic != nil && *t.Topic == topic }) {
			if asked.Add(1) == polls {
				close(enough)
			}
		}
		return nil, nil, false // only counting: kfake answers
	})
	return enough
}

func TestEnsureWaitsForATopicAnotherProcessIsCreating(t *testing.T) {
	adm, c := fakeCluster(t)
	ctx := testCtx(t)
	s := mustNew(t, Config{Partitions: 3, ReplicationFactor: 1})
	state, _ := s.Spec(s.Names().State)
	asked := anotherProcessCreates(c, state.Name, 3)
	createdByOther := make(chan error, 1)
	go func() {
		select {
		case <-asked: // Ensure has looked for it three times and not found it
			createdByOther <- c.CreateTopic(state.Name, state.Partitions, state.Configs)
		case <-ctx.Done():
			createdByOther <- ctx.Err()
		}
	}()

	created, err := s.Ensure(ctx, adm)
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	if err := <-createdByOther; err != nil {
		t.Fatalf("the other process's create of %s: %v", state.Name, err)
	}
	if slices.Contains(created, state.Name) || len(created) != len(s.Specs())-1 {
		t.Errorf("Ensure created %v; want every topic but %s", created, state.Name)
	}
	if err := s.Verify(ctx, adm); err != nil {
		t.Errorf("Verify right after Ensure: %v", err)
	}
}

func TestEnsureLeavesTheLayoutOfATopicAnotherProcessCreatedToVerify(t *testing.T) {
	adm, c := fakeCluster(t)
	ctx := testCtx(t)
	s := mustNew(t, Config{Partitions: 3, ReplicationFactor: 1})
	state, _ := s.Spec(s.Names().State)
	asked := anotherProcessCreates(c, state.Name, 1)
	createdByOther := make(chan error, 1)
	go func() {
		select {
		case <-asked: // with 1 partition, not the 3 declared
			createdByOther <- c.CreateTopic(state.Name, 1, state.Configs)
		case <-ctx.Done():
			createdByOther <- ctx.Err()
		}
	}()

	// Waiting for 3 partitions would outlast ctx (20 s): Ensure must return
	// once the topic is listed, and leave its partition count to Verify.
	if _, err := s.Ensure(ctx, adm, WaitListed(time.Minute)); err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	if err := <-createdByOther; err != nil {
		t.Fatalf("the other process's create of %s: %v", state.Name, err)
	}
	ve := asVerifyError(t, s.Verify(ctx, adm))
	if !ve.Has(state.Name, WrongPartitions) {
		t.Errorf("Verify = %v, want the partition count of %s", ve, state.Name)
	}
}

func TestEnsureGivesUpOnATopicTheClusterNeverListsAndNamesIt(t *testing.T) {
	adm, c := fakeCluster(t)
	s := mustNew(t, Config{Partitions: 2, ReplicationFactor: 1})
	events := s.Names().Events
	anotherProcessCreates(c, events, 0) // and its topic never shows

	const wait = 300 * time.Millisecond
	_, err := s.Ensure(testCtx(t), adm, WaitListed(wait))
	var nl *NotListedError
	if !errors.As(err, &nl) {
		t.Fatalf("Ensure = %v, want a *NotListedError", err)
	}
	t.Logf("as reported:\n%v", nl)
	if got := nl.Names(); !slices.Equal(got, []string{events}) || nl.Topics[0].Reason != "not listed" {
		t.Errorf("NotListedError.Topics = %v, want only %s, not listed", nl.Topics, events)
	}
	if nl.Waited < wait || nl.Err != nil {
		t.Errorf("NotListedError waited %s (err %v), want at least %s and the wait, not the context, ending it", nl.Waited, nl.Err, wait)
	}

	// A context that ends first ends the wait too, and says so.
	s2 := mustNew(t, Config{Prefix: "second.", Partitions: 2, ReplicationFactor: 1})
	anotherProcessCreates(c, s2.Names().Events, 0)
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	if _, err = s2.Ensure(ctx, adm); !errors.As(err, &nl) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Ensure with a context ending before the wait = %v, want a *NotListedError wrapping %v", err, context.DeadlineExceeded)
	}
}

func TestProcessesStartingAtOnceOnARealBrokerAllEnsureAndVerify(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	// A few rounds, each on a fresh prefix: the race is one of timing.
	for round := range 3 {
		t.Run(fmt.Sprint("round", round), func(t *testing.T) {
			s := mustNew(t, Config{Prefix: testenv.TopicPrefix(t), Partitions: 3, ReplicationFactor: 1})
			admins := newAdmins(t, processes, brokers)
			t.Cleanup(func() { deleteTopics(t, admins[0], s.TopicNames()) })
			checkEveryStartPassed(t, s, startAtOnce(ctx, s, admins))
		})
	}
}

func deleteTopics(t *testing.T, adm *kadm.Client, names []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := adm.DeleteTopics(ctx, names...); err != nil {
		t.Logf("delete topics %v: %v", names, err)
	}
}
