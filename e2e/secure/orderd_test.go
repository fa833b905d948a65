package secure

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/e2e/internal/chaoskit"
	"github.com/orderlog/orderlog/internal/kafkaopts"
	"github.com/orderlog/orderlog/topics"
)

const partitions = 3

// kafkaEnv is a role's Kafka settings with its own principal: SASL_SSL,
// SCRAM-SHA-512, the bed's CA; the topics, groups and transactional ids
// under the prefix the ACLs name.
func (b bed) kafkaEnv(role, user, password string) []string {
	return []string{
		"ORDERLOG_ROLES=" + role,
		"ORDERLOG_KAFKA_BROKERS=" + b.brokers,
		"ORDERLOG_KAFKA_TLS=true",
		"ORDERLOG_KAFKA_TLS_CA_FILE=" + b.file("ca.pem"),
		"ORDERLOG_KAFKA_SASL_MECHANISM=SCRAM-SHA-512",
		"ORDERLOG_KAFKA_SASL_USER=" + user,
		"ORDERLOG_KAFKA_SASL_PASSWORD=" + password,
		"ORDERLOG_TOPIC_PREFIX=" + b.prefix,
		"ORDERLOG_CREATE_TOPICS=false",
		"ORDERLOG_PARTITIONS=3",
		"ORDERLOG_GROUP=" + b.prefix + "processor",
		"ORDERLOG_PROJECTOR_GROUP=" + b.prefix + "projector",
		"ORDERLOG_SAGA_GROUP=" + b.prefix + "saga",
		"ORDERLOG_SIM_GROUP=" + b.prefix + "simulators",
		"ORDERLOG_TRANSACTIONAL_ID=" + b.prefix + role + "-" + randomHex(),
		"ORDERLOG_SESSION_TIMEOUT=6s",
		"ORDERLOG_LOG_FORMAT=text",
	}
}

// redisEnv is a Redis ACL user's settings over TLS with the bed's client
// certificate, under a key prefix of the test's own.
func (b bed) redisEnv(user, password, keyPrefix string) []string {
	return []string{
		"ORDERLOG_REDIS_ADDR=" + b.redis,
		"ORDERLOG_REDIS_TLS=true",
		"ORDERLOG_REDIS_TLS_CA_FILE=" + b.file("ca.pem"),
		"ORDERLOG_REDIS_TLS_CERT_FILE=" + b.file("client.pem"),
		"ORDERLOG_REDIS_TLS_KEY_FILE=" + b.file("client.key"),
		"ORDERLOG_REDIS_USER=" + user,
		"ORDERLOG_REDIS_PASSWORD=" + password,
		"ORDERLOG_REDIS_PREFIX=" + keyPrefix,
		"ORDERLOG_REDIS_POINTER_KEY=" + keyPrefix + "active-prefix",
	}
}

// admin is a Kafka client as the bed's super user.
func (b bed) admin(t *testing.T, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	ko, err := kafkaopts.Config{TLS: true, TLSCAFile: b.file("ca.pem"), SASLMechanism: kafkaopts.MechanismScramSHA512,
		SASLUser: "admin", SASLPassword: "admin-secret"}.ClientOpts()
	require.NoError(t, err)
	cl, err := kgo.NewClient(append(append(ko, kgo.SeedBrokers(b.brokers)), opts...)...)
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	return cl
}

// ensureTopics creates the topics under the bed's prefix as admin: the
// roles' principals may not create topics.
func (b bed) ensureTopics(t *testing.T) topics.Names {
	t.Helper()
	set, err := topics.New(topics.Config{Prefix: b.prefix, Partitions: partitions, ReplicationFactor: 1})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = set.Ensure(ctx, kadm.NewClient(b.admin(t)))
	require.NoError(t, err)
	return set.Names()
}

// failedStart runs orderd with env and returns what it wrote, requiring it
// to exit 1 on its own within timeout.
func failedStart(t *testing.T, timeout time.Duration, env []string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, orderdBin)
	cmd.Env = append(chaoskit.EnvironWithout("ORDERLOG_"), env...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "orderd should have failed; it wrote:\n%s", out)
	require.NoError(t, ctx.Err(), "orderd still ran after %s (a retry loop?); it wrote:\n%s", timeout, out)
	var ee *exec.ExitError
	require.True(t, errors.As(err, &ee), "%v", err)
	require.Equal(t, 1, ee.ExitCode(), "%s", out)
	t.Logf("orderd exited %d after %s", ee.ExitCode(), time.Since(start).Round(time.Millisecond))
	return string(out)
}

func randomHex() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func contains(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		require.True(t, strings.Contains(out, w), "want %q in orderd's output:\n%s", w, out)
	}
}
