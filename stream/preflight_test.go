package stream_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/orderlog/orderlog/stream"
)

// TestCheckTransactionalIDsReturnsTheIdsThePrincipalMayNotUse: on brokers
// with ACLs, a principal allowed WRITE on the transactional ids starting
// with "g-" may use g-a and g-b, and is refused h-a, which the check
// returns (instead of a member finding out at its first transaction).
func TestCheckTransactionalIDsReturnsTheIdsThePrincipalMayNotUse(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(), kfake.EnableACLs(),
		kfake.Superuser("SCRAM-SHA-512", "admin", "admin-secret"),
		kfake.User("SCRAM-SHA-512", "member", "member-secret", kfake.ACL{Allow: true, Resource: kmsg.ACLResourceTypeTransactionalId,
			Name: "g-", Pattern: kmsg.ACLResourcePatternTypePrefixed, Operation: kmsg.ACLOperationWrite}))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...),
		kgo.SASL(scram.Auth{User: "member", Pass: "member-secret"}.AsSha512Mechanism()))
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	refused, err := stream.CheckTransactionalIDs(ctx, cl, 10*time.Second, "g-a", "h-a", "g-b")
	require.NoError(t, err)
	require.Equal(t, []string{"h-a"}, refused)
	refused, err = stream.CheckTransactionalIDs(ctx, cl, 10*time.Second, "g-a")
	require.NoError(t, err)
	require.Empty(t, refused)
}

func TestThreadTransactionalIDsKeepTheIdForOneThread(t *testing.T) {
	require.Equal(t, "g-x", stream.ThreadTransactionalID("g-x", 0, 1))
	require.Equal(t, []string{"g-x-t0", "g-x-t1"}, []string{stream.ThreadTransactionalID("g-x", 0, 2), stream.ThreadTransactionalID("g-x", 1, 2)})
}

// TestAMemberRefusedItsTransactionalIDStopsInsteadOfStartingSessionsForGood:
// a member whose principal may read and write its topics and read its
// group, but not use its transactional id, starts (nothing asks the id
// before its first transaction) and, at its first input, its transaction
// is refused: Run returns that refusal, naming the id, instead of starting
// a new session that would be refused the same, once a second, for good.
func TestAMemberRefusedItsTransactionalIDStopsInsteadOfStartingSessionsForGood(t *testing.T) {
	allow := func(rt kmsg.ACLResourceType, op kmsg.ACLOperation) kfake.ACL {
		return kfake.ACL{Allow: true, Resource: rt, Name: "p.", Pattern: kmsg.ACLResourcePatternTypePrefixed, Operation: op}
	}
	kc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(), kfake.EnableACLs(),
		kfake.Superuser("SCRAM-SHA-512", "admin", "admin-secret"),
		kfake.User("SCRAM-SHA-512", "member", "member-secret",
			allow(kmsg.ACLResourceTypeTopic, kmsg.ACLOperationAll), allow(kmsg.ACLResourceTypeGroup, kmsg.ACLOperationRead)))
	require.NoError(t, err)
	t.Cleanup(kc.Close)
	admin, err := kgo.NewClient(kgo.SeedBrokers(kc.ListenAddrs()...), kgo.ProducerLinger(0),
		kgo.SASL(scram.Auth{User: "admin", Pass: "admin-secret"}.AsSha512Mechanism()))
	require.NoError(t, err)
	t.Cleanup(admin.Close)
	c := &cluster{t: t, brokers: kc.ListenAddrs(), prefix: "p.", cl: admin, adm: kadm.NewClient(admin)}
	for _, name := range []string{in, out, state, dlq, refuse} {
		_, err := c.adm.CreateTopic(t.Context(), 3, 1, nil, c.prefix+name)
		require.NoError(t, err)
	}
	m, err := stream.New(stream.Config{Brokers: c.brokers, Group: c.prefix + "g", TransactionalID: c.prefix + "g-a",
		TransactionTimeout: 5 * time.Second, Tick: 100 * time.Millisecond, Logger: testLogger(),
		// The principal may not read the broker's session timeout bounds
		// (cluster DescribeConfigs): one within kfake's.
		SessionTimeout: 6 * time.Second,
		ClientOpts:     []kgo.Opt{kgo.SASL(scram.Auth{User: "member", Pass: "member-secret"}.AsSha512Mechanism())}}, c.topology())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	waitReady(t, m)
	c.send("k", note{Text: "a"})
	var runErr error
	require.Eventually(t, func() bool {
		select {
		case runErr = <-done:
			return true
		default:
			return false
		}
	}, 60*time.Second, 20*time.Millisecond, "Run still starts sessions after its transactional id was refused")
	require.ErrorIs(t, runErr, kerr.TransactionalIDAuthorizationFailed)
	require.ErrorContains(t, runErr, "transactional id p.g-a")
}
