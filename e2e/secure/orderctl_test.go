package secure

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/e2e/internal/chaoskit"
	"github.com/orderlog/orderlog/topics"
)

// operatorEnv is orderctl's settings as the operator: SASL_SSL with
// SCRAM-SHA-512 and the bed's CA, the Redis ACL user operator over TLS with
// the bed's client certificate, the topics and read models under prefix.
func (b bed) operatorEnv(topicPrefix, keyPrefix string) []string {
	return []string{
		"ORDERLOG_KAFKA_BROKERS=" + b.brokers,
		"ORDERLOG_KAFKA_TLS=true",
		"ORDERLOG_KAFKA_TLS_CA_FILE=" + b.file("ca.pem"),
		"ORDERLOG_KAFKA_SASL_MECHANISM=SCRAM-SHA-512",
		"ORDERLOG_KAFKA_SASL_USER=operator",
		"ORDERLOG_KAFKA_SASL_PASSWORD=operator-secret",
		"ORDERLOG_TOPIC_PREFIX=" + topicPrefix,
		"ORDERLOG_REDIS_ADDR=" + b.redis,
		"ORDERLOG_REDIS_TLS=true",
		"ORDERLOG_REDIS_TLS_CA_FILE=" + b.file("ca.pem"),
		"ORDERLOG_REDIS_TLS_CERT_FILE=" + b.file("client.pem"),
		"ORDERLOG_REDIS_TLS_KEY_FILE=" + b.file("client.key"),
		"ORDERLOG_REDIS_USER=operator",
		"ORDERLOG_REDIS_PASSWORD=operator-secret",
		"ORDERLOG_REDIS_PREFIX=" + keyPrefix,
		"ORDERLOG_REDIS_POINTER_KEY=" + keyPrefix + "active-prefix",
	}
}

type ctlResult struct {
	code           int
	stdout, stderr string
}

// orderctl runs the built orderctl with env (and nothing else of ours).
func orderctl(t *testing.T, env []string, args ...string) ctlResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, orderctlBin, args...)
	cmd.Env = append(chaoskit.EnvironWithout("ORDERLOG_"), env...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	require.NoError(t, ctx.Err(), "orderctl %v did not end", args)
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return ctlResult{code, out.String(), errb.String()}
}

// TestOrderctlRunsTheProductionRecipeOnTheSecuredCluster: orderctl with
// the operator's principal (create, describe and read the topics, describe
// and read the groups; no writes) and the operator's Redis ACL user over
// TLS creates fresh topics over SASL_SSL and verifies them; after a
// processor and a projector (as admin) handled an order sent by commands,
// it shows and lists the order from Redis and reports both groups'
// committed offsets. A wrong Kafka or Redis password, and a group the
// operator has no ACL for, fail naming the setting or the principal.
func TestOrderctlRunsTheProductionRecipeOnTheSecuredCluster(t *testing.T) {
	b := needBed(t)
	run := "ctl" + randomHex()
	topicPrefix, keyPrefix := b.prefix+run+".", "sec-"+run+":"
	ctl := b.operatorEnv(topicPrefix, keyPrefix)
	with := func(kv ...string) []string { return append(append([]string(nil), ctl...), kv...) }

	r := orderctl(t, ctl, "topics", "create", "--partitions", "3", "--replication-factor", "1", "--min-insync-replicas", "1")
	require.Equal(t, 0, r.code, "topics create: %s", r.stderr)
	set, err := topics.New(topics.Config{Prefix: topicPrefix, Partitions: partitions, ReplicationFactor: 1})
	require.NoError(t, err)
	for _, name := range set.TopicNames() {
		require.Regexp(t, `(?m)^`+strings.ReplaceAll(name, ".", `\.`)+`\s+created$`, r.stdout)
	}
	r = orderctl(t, ctl, "topics", "verify", "--partitions", "3", "--replication-factor", "1", "--min-insync-replicas", "1")
	require.Equal(t, 0, r.code, "topics verify: %s", r.stderr)
	require.Contains(t, r.stdout, "topics as expected")

	processorGroup, projectorGroup := b.prefix+run+"-processor", b.prefix+run+"-projector"
	logDir := t.TempDir()
	env := append(b.kafkaEnv("processor,projector", "admin", "admin-secret"), b.redisEnv("projector", "projector-secret", keyPrefix)...)
	env = append(env, "ORDERLOG_TOPIC_PREFIX="+topicPrefix, "ORDERLOG_GROUP="+processorGroup, "ORDERLOG_PROJECTOR_GROUP="+projectorGroup,
		"ORDERLOG_TRANSACTIONAL_ID="+processorGroup+"-"+randomHex(), "ORDERLOG_HTTP_ADDR=127.0.0.1:0")
	f := chaoskit.NewFleet(t, orderdBin, logDir, env...)
	f.Start()
	require.NoError(t, f.WaitReady(90*time.Second), "logs in %s", logDir)
	id := "sec-ctl-" + randomHex()
	produceCommands(t, b, set.Names(), id)

	var shown ctlResult
	require.Eventually(t, func() bool {
		shown = orderctl(t, ctl, "order", "show", id, "--output", "json")
		return shown.code == 0 && strings.Contains(shown.stdout, `"PLACED"`)
	}, 60*time.Second, 500*time.Millisecond, "order show as the operator: %+v (logs in %s)", shown, logDir)
	r = orderctl(t, ctl, "order", "list", "--customer", "alice")
	require.Equal(t, 0, r.code, "order list: %s", r.stderr)
	require.Contains(t, r.stdout, id)

	type lagRow struct {
		Group     string `json:"group"`
		Committed int64  `json:"committed"`
		Lag       int64  `json:"lag"`
		Error     string `json:"error"`
	}
	var rows []lagRow
	require.Eventually(t, func() bool {
		r = orderctl(t, ctl, "lag", "--groups", processorGroup+","+projectorGroup, "--output", "json")
		rows = nil
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &rows) != nil {
			return false
		}
		committed := map[string]int64{}
		for _, row := range rows {
			if row.Error != "" || row.Lag != 0 {
				return false
			}
			committed[row.Group] = max(committed[row.Group], row.Committed)
		}
		// Three commands in one partition, at least three events out:
		// both groups committed past what they read.
		return committed[processorGroup] >= 3 && committed[projectorGroup] >= 3
	}, 60*time.Second, time.Second, "lag as the operator: %+v %s", rows, r.stderr)

	for _, tc := range []struct {
		name  string
		env   []string
		args  []string
		wants []string
	}{
		{"wrong Kafka password", with("ORDERLOG_KAFKA_SASL_PASSWORD=not-it"), []string{"topics", "verify", "--partitions", "3"},
			[]string{`kafka refused the SASL credentials of user "operator"`, "--kafka-sasl-password / ORDERLOG_KAFKA_SASL_PASSWORD"}},
		{"untrusted Kafka certificate", with("ORDERLOG_KAFKA_TLS_CA_FILE=" + b.file("untrusted-ca.pem")), []string{"topics", "verify", "--partitions", "3"},
			[]string{"not signed by a CA orderctl trusts", "--kafka-tls-ca-file / ORDERLOG_KAFKA_TLS_CA_FILE"}},
		{"wrong Redis password", ctl, []string{"order", "show", id, "--redis-password", "not-it"},
			[]string{`redis refused the password of user "operator"`, "--redis-password / ORDERLOG_REDIS_PASSWORD"}},
		{"a group the operator has no ACL for", ctl, []string{"lag", "--groups", "orderlog-processor"},
			[]string{"kafka principal User:operator lacks an ACL", "GROUP_AUTHORIZATION_FAILED"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := orderctl(t, tc.env, tc.args...)
			require.Equal(t, 1, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			for _, w := range tc.wants {
				require.Contains(t, r.stderr, w)
			}
		})
	}
	require.NoError(t, f.TerminateAll(30*time.Second))
	require.Empty(t, f.Crashes())
	os.RemoveAll(logDir)
}
