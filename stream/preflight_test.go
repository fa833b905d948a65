package stream_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
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
