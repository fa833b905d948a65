package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/orderlog/orderlog/internal/kafkaopts"
	"github.com/orderlog/orderlog/topics"
)

// TestAMissingTransactionalIDACLIsFoundAtStart: a processor principal
// with every topic and group ACL but none on its transactional ids is told
// at start which ids (one per thread) it lacks, with the setting they come
// from and the grant; with the ids' ACL it passes. Without the check the
// processor would start, and fail its first transaction again and again.
func TestAMissingTransactionalIDACLIsFoundAtStart(t *testing.T) {
	allow := func(rt kmsg.ACLResourceType, name string, op kmsg.ACLOperation) kfake.ACL {
		return kfake.ACL{Allow: true, Resource: rt, Name: name, Pattern: kmsg.ACLResourcePatternTypePrefixed, Operation: op}
	}
	roleACLs := []kfake.ACL{allow(kmsg.ACLResourceTypeTopic, "t.", kmsg.ACLOperationAll), allow(kmsg.ACLResourceTypeGroup, "t.", kmsg.ACLOperationRead)}
	kc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(), kfake.EnableACLs(),
		kfake.Superuser("SCRAM-SHA-512", "admin", "admin-secret"),
		kfake.User("SCRAM-SHA-512", "notxn", "notxn-secret", roleACLs...),
		kfake.User("SCRAM-SHA-512", "processor", "processor-secret", append(roleACLs, allow(kmsg.ACLResourceTypeTransactionalId, "t.processor-", kmsg.ACLOperationWrite))...))
	require.NoError(t, err)
	t.Cleanup(kc.Close)
	set, err := topics.New(topics.Config{Prefix: "t.", Partitions: 1, ReplicationFactor: 1})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	adminOpts, err := kafkaopts.Config{SASLMechanism: kafkaopts.MechanismScramSHA512, SASLUser: "admin", SASLPassword: "admin-secret"}.ClientOpts()
	require.NoError(t, err)
	admin, err := kgo.NewClient(append(adminOpts, kgo.SeedBrokers(kc.ListenAddrs()...))...)
	require.NoError(t, err)
	t.Cleanup(admin.Close)
	_, err = set.Ensure(ctx, kadm.NewClient(admin))
	require.NoError(t, err)

	check := func(user string) error {
		c, err := Load(nil, env("ORDERLOG_KAFKA_BROKERS", kc.ListenAddrs()[0], "ORDERLOG_TOPIC_PREFIX", "t.", "ORDERLOG_GROUP", "t.processor",
			"ORDERLOG_INSTANCE", "p-0", "ORDERLOG_PROCESSOR_THREADS", "2",
			"ORDERLOG_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512", "ORDERLOG_KAFKA_SASL_USER", user, "ORDERLOG_KAFKA_SASL_PASSWORD", user+"-secret"), nil)
		require.NoError(t, err)
		kopts, err := c.Kafka.ClientOpts()
		require.NoError(t, err)
		cl, err := kgo.NewClient(append(kopts, kgo.SeedBrokers(c.Brokers...))...)
		require.NoError(t, err)
		defer cl.Close()
		return checkACLs(ctx, c, cl, set.Names())
	}
	require.NoError(t, check("processor"))
	err = check("notxn")
	var missing *MissingACLError
	require.True(t, errors.As(err, &missing), "%v", err)
	require.Equal(t, "User:notxn", missing.Principal)
	require.Len(t, missing.Missing, 2, "only the transactional ids are missing: %v", missing.Missing)
	for i, id := range []string{"t.processor-p-0-t0", "t.processor-p-0-t1"} {
		require.Contains(t, missing.Missing[i], "Write and Describe on transactional id "+id+" (role processor; set by ORDERLOG_TRANSACTIONAL_ID / --transactional-id")
	}
	require.Equal(t, []string{"kafka-acls.sh --bootstrap-server " + kc.ListenAddrs()[0] + " --command-config admin.properties --add --allow-principal User:notxn --operation Write --operation Describe --resource-pattern-type prefixed --transactional-id t.processor-p-0"}, missing.Grants)
}
