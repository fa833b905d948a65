package main

import (
	"bytes"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/stream"
)

func env(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadTakesFlagOverEnvOverDefault(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		env   func(string) (string, bool)
		check func(t *testing.T, c Config)
	}{
		{name: "defaults", env: env(), check: func(t *testing.T, c Config) {
			require.Equal(t, []string{"processor"}, c.Roles)
			require.Equal(t, []string{"127.0.0.1:9092"}, c.Brokers)
			require.Equal(t, 6, c.Partitions)
			require.Equal(t, 1, c.ReplicationFactor)
			require.True(t, c.CreateTopics)
			require.Equal(t, "orderlog-processor", c.Group)
			require.Equal(t, "127.0.0.1:9090", c.HTTPAddr)
			require.Equal(t, "json", c.LogFormat)
			require.Equal(t, slog.LevelInfo, c.LogLevel)
			require.Equal(t, 10*time.Second, c.TransactionTimeout)
			require.Equal(t, 5000, c.MaxPollRecords)
			require.Equal(t, stream.DefaultGather, c.Gather)
			require.Empty(t, c.SchemaRegistryURL)
			require.Regexp(t, `^.+-\d+-[0-9a-f]{8}$`, c.Instance)
			require.Equal(t, "orderlog-processor-"+c.Instance, c.TransactionalID)
			require.Equal(t, "orderlog-saga-"+c.Instance, c.SagaTransactionalID)
			require.Equal(t, 2*time.Second, c.SessionTimeout)
		}},
		{name: "env over default", env: env("ORDERLOG_KAFKA_BROKERS", "k1:9092, k2:9093", "ORDERLOG_PARTITIONS", "12",
			"ORDERLOG_CREATE_TOPICS", "false", "ORDERLOG_GROUP", "g", "ORDERLOG_LOG_LEVEL", "debug", "ORDERLOG_TRANSACTION_TIMEOUT", "30s",
			"ORDERLOG_SCHEMA_REGISTRY_URL", "http://sr:8081/apis/ccompat/v7", "ORDERLOG_TOPIC_PREFIX", "staging."),
			check: func(t *testing.T, c Config) {
				require.Equal(t, []string{"k1:9092", "k2:9093"}, c.Brokers)
				require.Equal(t, 12, c.Partitions)
				require.False(t, c.CreateTopics)
				require.Equal(t, "g", c.Group)
				require.Equal(t, slog.LevelDebug, c.LogLevel)
				require.Equal(t, 30*time.Second, c.TransactionTimeout)
				require.Equal(t, "http://sr:8081/apis/ccompat/v7", c.SchemaRegistryURL)
				require.Equal(t, "staging.", c.TopicPrefix)
			}},
		{name: "flag over env", args: []string{"--partitions=3", "--group", "from-flag", "--create-topics=true", "--schema-registry-url="},
			env: env("ORDERLOG_PARTITIONS", "12", "ORDERLOG_GROUP", "from-env", "ORDERLOG_CREATE_TOPICS", "false",
				"ORDERLOG_SCHEMA_REGISTRY_URL", "http://sr:8081"),
			check: func(t *testing.T, c Config) {
				require.Equal(t, 3, c.Partitions)
				require.Equal(t, "from-flag", c.Group)
				require.True(t, c.CreateTopics)
				require.Empty(t, c.SchemaRegistryURL, "an explicitly empty flag clears the variable")
			}},
		{name: "explicit transactional id", env: env("ORDERLOG_TRANSACTIONAL_ID", "orderd-a"), check: func(t *testing.T, c Config) {
			require.Equal(t, "orderd-a", c.TransactionalID)
			require.Equal(t, "orderd-a-saga", c.SagaTransactionalID)
		}},
		{name: "stable instance", env: env("ORDERLOG_INSTANCE", "orderd-0", "ORDERLOG_GROUP", "g"), check: func(t *testing.T, c Config) {
			require.Equal(t, "g-orderd-0", c.TransactionalID, "the same every time this instance starts")
			require.Equal(t, "orderlog-saga-orderd-0", c.SagaTransactionalID)
		}},
		{name: "SASL mechanism is normalized", env: env("ORDERLOG_KAFKA_SASL_MECHANISM", "scram-sha-256",
			"ORDERLOG_KAFKA_SASL_USER", "u", "ORDERLOG_KAFKA_SASL_PASSWORD", "p"), check: func(t *testing.T, c Config) {
			require.Equal(t, "SCRAM-SHA-256", c.Kafka.SASLMechanism)
		}},
		{name: "replication factor -1", args: []string{"--replication-factor=-1", "--http-addr=:0"}, env: env(), check: func(t *testing.T, c Config) {
			require.Equal(t, -1, c.ReplicationFactor)
			require.Equal(t, ":0", c.HTTPAddr)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(tc.args, tc.env, nil)
			require.NoError(t, err)
			tc.check(t, c)
		})
	}
}

func TestLoadNamesTheBadSetting(t *testing.T) {
	pem := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(pem, []byte("not a certificate"), 0o600))
	for _, tc := range []struct {
		name string
		args []string
		env  func(string) (string, bool)
		want []string
	}{
		{name: "partitions 0", env: env("ORDERLOG_PARTITIONS", "0"),
			want: []string{"ORDERLOG_PARTITIONS / --partitions: must be >= 1, got 0"}},
		{name: "partitions not a number", env: env("ORDERLOG_PARTITIONS", "six"),
			want: []string{`ORDERLOG_PARTITIONS="six": parse error`}},
		{name: "unknown role", args: []string{"--roles=processor,projecter"},
			want: []string{`ORDERLOG_ROLES / --roles: unknown role "projecter" (known: processor, projector, api`}},
		{name: "role twice", args: []string{"--roles=processor,processor"}, want: []string{`role "processor" is listed twice`}},
		{name: "no role", args: []string{"--roles= , "}, want: []string{"ORDERLOG_ROLES / --roles: name at least one role"}},
		{name: "no broker", args: []string{"--kafka-brokers="}, want: []string{"ORDERLOG_KAFKA_BROKERS / --kafka-brokers: must name at least one broker"}},
		{name: "broker without port", env: env("ORDERLOG_KAFKA_BROKERS", "kafka"), want: []string{`--kafka-brokers: "kafka": want host:port`}},
		{name: "replication 0", args: []string{"--replication-factor=0"}, want: []string{"ORDERLOG_REPLICATION_FACTOR / --replication-factor: must be >= 1, or -1"}},
		{name: "prefix with slash", args: []string{"--topic-prefix=a/b"}, want: []string{`ORDERLOG_TOPIC_PREFIX / --topic-prefix: topics config: topic prefix "a/b" has '/'`}},
		{name: "empty group", args: []string{"--group="}, want: []string{"ORDERLOG_GROUP / --group: must not be empty"}},
		{name: "registry not a URL", args: []string{"--schema-registry-url=localhost:8081"}, want: []string{"ORDERLOG_SCHEMA_REGISTRY_URL / --schema-registry-url: want an http(s)://"}},
		{name: "http addr", args: []string{"--http-addr=9090"}, want: []string{`ORDERLOG_HTTP_ADDR / --http-addr: "9090": want host:port`}},
		{name: "log level", args: []string{"--log-level=loud"}, want: []string{`invalid value "loud" for flag -log-level`}},
		{name: "log format", env: env("ORDERLOG_LOG_FORMAT", "xml"), want: []string{`ORDERLOG_LOG_FORMAT / --log-format: must be json or text, got "xml"`}},
		{name: "tls bool", env: env("ORDERLOG_KAFKA_TLS", "yes"), want: []string{`ORDERLOG_KAFKA_TLS="yes": parse error`}},
		{name: "CA without TLS", args: []string{"--kafka-tls-ca-file=" + pem}, want: []string{"ORDERLOG_KAFKA_TLS_CA_FILE / --kafka-tls-ca-file: is set, but ORDERLOG_KAFKA_TLS / --kafka-tls is not true"}},
		{name: "CA not PEM", args: []string{"--kafka-tls", "--kafka-tls-ca-file=" + pem}, want: []string{"ORDERLOG_KAFKA_TLS_CA_FILE / --kafka-tls-ca-file: the Kafka CA file", "holds no PEM certificate"}},
		{name: "unknown SASL", env: env("ORDERLOG_KAFKA_SASL_MECHANISM", "GSSAPI"), want: []string{`ORDERLOG_KAFKA_SASL_MECHANISM / --kafka-sasl-mechanism: unknown SASL mechanism "GSSAPI"`}},
		{name: "SASL without password", env: env("ORDERLOG_KAFKA_SASL_MECHANISM", "PLAIN", "ORDERLOG_KAFKA_SASL_USER", "u"),
			want: []string{"ORDERLOG_KAFKA_SASL_USER / --kafka-sasl-user: ORDERLOG_KAFKA_SASL_USER / --kafka-sasl-user and ORDERLOG_KAFKA_SASL_PASSWORD / --kafka-sasl-password are required with SASL mechanism PLAIN"}},
		{name: "user without mechanism", env: env("ORDERLOG_KAFKA_SASL_USER", "u"), want: []string{"ORDERLOG_KAFKA_SASL_MECHANISM / --kafka-sasl-mechanism: a SASL user or password is set"}},
		{name: "transaction timeout", args: []string{"--transaction-timeout=10ms"}, want: []string{"ORDERLOG_TRANSACTION_TIMEOUT / --transaction-timeout: must be at least 1s, got 10ms"}},
		{name: "max poll records", args: []string{"--max-poll-records=0"}, want: []string{"ORDERLOG_MAX_POLL_RECORDS / --max-poll-records: must be >= 1, got 0"}},
		{name: "gather", args: []string{"--gather=-1ms"}, want: []string{"ORDERLOG_GATHER / --gather: must be between 0 and 1s, got -1ms"}},
		{name: "several redis without a mode", env: env("ORDERLOG_REDIS_ADDR", "r1:6379,r2:6379"),
			want: []string{"ORDERLOG_REDIS_ADDR / --redis-addr: mode standalone takes exactly one host:port, got 2 (several seeds are for mode cluster)"}},
		{name: "unknown redis mode", args: []string{"--redis-mode=shards"}, want: []string{`ORDERLOG_REDIS_MODE / --redis-mode: must be one of [standalone cluster sentinel], got "shards"`}},
		{name: "cluster seed without port", args: []string{"--redis-mode=cluster", "--redis-addr=r1:7000,r2"}, want: []string{`ORDERLOG_REDIS_ADDR / --redis-addr: "r2": want host:port`}},
		{name: "sentinel without master", args: []string{"--redis-mode=sentinel", "--redis-addr=s1:26379"},
			want: []string{"ORDERLOG_REDIS_MASTER_NAME / --redis-master-name: mode sentinel needs the name"}},
		{name: "shutdown timeout", args: []string{"--shutdown-timeout=0s"}, want: []string{"ORDERLOG_SHUTDOWN_TIMEOUT / --shutdown-timeout: must be > 0"}},
		{name: "unknown flag", args: []string{"--partition=3"}, want: []string{"flag provided but not defined: -partition"}},
		{name: "stray argument", args: []string{"processor"}, want: []string{`unexpected arguments ["processor"]`}},
		{name: "every problem at once", args: []string{"--partitions=0", "--group=", "--log-format=xml"},
			want: []string{"--partitions: must be", "--group: must not be empty", "--log-format: must be json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env == nil {
				tc.env = env()
			}
			_, err := Load(tc.args, tc.env, nil)
			require.Error(t, err)
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestHelpListsEverySettingWithItsVariableAndDefault(t *testing.T) {
	var out bytes.Buffer
	_, err := Load([]string{"--help"}, env(), &out)
	require.ErrorIs(t, err, errHelp)
	var c Config
	fs := flagSet(&c)
	n := 0
	for line := range strings.Lines(out.String()) {
		if strings.HasPrefix(line, "  --") {
			n++
		}
	}
	count := 0
	fs.VisitAll(func(f *flag.Flag) {
		count++
		require.Regexp(t, `(?m)^  --`+f.Name+` +`+envName(f.Name)+` +\S`, out.String())
	})
	require.Equal(t, count, n)
	require.Regexp(t, `ORDERLOG_KAFKA_BROKERS +127\.0\.0\.1:9092`, out.String())
	for _, want := range []string{"ORDERLOG_GROUP", "orderlog-processor",
		"ORDERLOG_HTTP_ADDR", "127.0.0.1:9090", "orderd-<hostname>-<pid>-<random>", "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512"} {
		require.Contains(t, out.String(), want)
	}
}

func TestEveryTransactionalIDIsUnique(t *testing.T) {
	a, err := Load(nil, env(), nil)
	require.NoError(t, err)
	b, err := Load(nil, env(), nil)
	require.NoError(t, err)
	require.NotEqual(t, a.TransactionalID, b.TransactionalID)
}
