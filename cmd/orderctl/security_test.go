package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
)

func TestSecuritySettingsAreOrderdsFlagsAndVariablesAndAreValidatedByName(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		vars map[string]string
		want string
	}{
		{"SASL user by variable, no mechanism", nil, map[string]string{"ORDERLOG_KAFKA_SASL_USER": "operator"},
			"--kafka-sasl-mechanism / ORDERLOG_KAFKA_SASL_MECHANISM: a SASL user or password is set, so choose a mechanism"},
		{"mechanism without password, by flags", []string{"--kafka-sasl-mechanism", "SCRAM-SHA-512", "--kafka-sasl-user", "operator"}, nil,
			"--kafka-sasl-user / ORDERLOG_KAFKA_SASL_USER: --kafka-sasl-user / ORDERLOG_KAFKA_SASL_USER and --kafka-sasl-password / ORDERLOG_KAFKA_SASL_PASSWORD are required"},
		{"unknown mechanism", []string{"--kafka-sasl-mechanism", "GSSAPI"}, nil, "--kafka-sasl-mechanism / ORDERLOG_KAFKA_SASL_MECHANISM: unknown SASL mechanism"},
		{"Kafka CA without TLS", nil, map[string]string{"ORDERLOG_KAFKA_TLS_CA_FILE": "/ca.pem"},
			"--kafka-tls-ca-file / ORDERLOG_KAFKA_TLS_CA_FILE: is set, but --kafka-tls / ORDERLOG_KAFKA_TLS is not true"},
		{"Kafka client certificate without key", []string{"--kafka-tls", "--kafka-tls-cert-file", "/c.pem"}, nil, "--kafka-tls-cert-file / ORDERLOG_KAFKA_TLS_CERT_FILE: client certificate"},
		{"not a boolean", nil, map[string]string{"ORDERLOG_KAFKA_TLS": "maybe"}, `ORDERLOG_KAFKA_TLS="maybe"`},
		{"Redis user without password", []string{"--redis-user", "operator"}, nil, "--redis-user / ORDERLOG_REDIS_USER: an ACL user needs its password"},
		{"Redis CA file missing", nil, map[string]string{"ORDERLOG_REDIS_TLS": "true", "ORDERLOG_REDIS_TLS_CA_FILE": "/nope/ca.pem"},
			"--redis-tls-ca-file / ORDERLOG_REDIS_TLS_CA_FILE: read the Redis CA file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var errb bytes.Buffer
			args := append([]string{"topics", "verify"}, tc.args...)
			require.Equal(t, exitUsage, run(t.Context(), args, envFor("", &bytes.Buffer{}, &errb, tc.vars)), errb.String())
			require.Contains(t, errb.String(), tc.want)
		})
	}
	// A flag wins over its variable; a global flag may come before the
	// command or after it.
	g := defaultGlobals()
	require.NoError(t, g.fromEnv(func(k string) (string, bool) {
		v, ok := map[string]string{"ORDERLOG_KAFKA_SASL_USER": "from-env", "ORDERLOG_REDIS_USER": "operator", "ORDERLOG_KAFKA_TLS": "true"}[k]
		return v, ok
	}))
	require.True(t, g.Kafka.TLS)
	require.Equal(t, "operator", g.Redis.User)
	var errb bytes.Buffer
	run(t.Context(), []string{"--kafka-sasl-user", "from-flag", "topics", "verify", "--kafka-sasl-mechanism", "PLAIN"},
		envFor("", &bytes.Buffer{}, &errb, map[string]string{"ORDERLOG_KAFKA_SASL_USER": "from-env"}))
	require.Contains(t, errb.String(), "--kafka-sasl-password / ORDERLOG_KAFKA_SASL_PASSWORD are required with SASL mechanism PLAIN")
}

// TestSCRAMCredentialsReachTheBrokers: orderctl creates the topics on a
// broker that demands SCRAM with the right password, and is refused with
// a wrong one or none. (kfake closes the connection on a wrong password
// where Kafka answers SASL_AUTHENTICATION_FAILED, which orderctl names the
// setting of: e2e/secure proves that on a real broker.)
func TestSCRAMCredentialsReachTheBrokers(t *testing.T) {
	kc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-512", "operator", "operator-secret"))
	require.NoError(t, err)
	t.Cleanup(kc.Close)
	vars := map[string]string{"ORDERLOG_KAFKA_BROKERS": strings.Join(kc.ListenAddrs(), ","), "ORDERLOG_TOPIC_PREFIX": "sasl.",
		"ORDERLOG_KAFKA_SASL_MECHANISM": "scram-sha-512", "ORDERLOG_KAFKA_SASL_USER": "operator", "ORDERLOG_KAFKA_SASL_PASSWORD": "operator-secret"}
	var out, errb bytes.Buffer
	require.Equal(t, exitOK, run(t.Context(), []string{"topics", "create", "--partitions", "2"}, envFor("", &out, &errb, vars)), errb.String())
	require.Contains(t, out.String(), "sasl.order.events")
	require.Contains(t, out.String(), "created")

	for _, args := range [][]string{{"--kafka-sasl-password", "wrong"}, {"--kafka-sasl-mechanism", "", "--kafka-sasl-user", "", "--kafka-sasl-password", ""}} {
		errb.Reset()
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		code := run(ctx, append([]string{"topics", "verify", "--partitions", "2"}, args...), envFor("", &out, &errb, vars))
		cancel()
		require.Equal(t, exitError, code, "%v: %s", args, errb.String())
	}
}
