package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
)

// The environment variables the test bed sets.
const (
	EnvKafkaBrokers   = "ORDERLOG_KAFKA_BROKERS"
	EnvRedisAddr      = "ORDERLOG_REDIS_ADDR"
	EnvKafkaClasspath = "ORDERLOG_KAFKA_CLASSPATH"
)

// maxTestNameInPrefix keeps prefixes short: Kafka topic names stop at 249
// characters, and the prefix is followed by names like "order.command-results".
const maxTestNameInPrefix = 80

// KafkaBrokers returns the seed brokers of the test bed's Kafka, or skips t
// when ORDERLOG_KAFKA_BROKERS is unset.
func KafkaBrokers(t testing.TB) []string {
	t.Helper()
	v := lookup(t, EnvKafkaBrokers)
	var brokers []string
	for b := range strings.SplitSeq(v, ",") {
		if b = strings.TrimSpace(b); b != "" {
			brokers = append(brokers, b)
		}
	}
	if len(brokers) == 0 {
		t.Fatalf("%s=%q names no broker", EnvKafkaBrokers, v)
	}
	return brokers
}

// RedisAddr returns the host:port of the test bed's redis-server, or skips t
// when ORDERLOG_REDIS_ADDR is unset.
func RedisAddr(t testing.TB) string {
	t.Helper()
	return lookup(t, EnvRedisAddr)
}

// KafkaClasspath returns the classpath of the test bed's Kafka jars, for
// running the console tools with `java -cp`, or skips t when
// ORDERLOG_KAFKA_CLASSPATH is unset.
func KafkaClasspath(t testing.TB) string {
	t.Helper()
	return lookup(t, EnvKafkaClasspath)
}

func lookup(t testing.TB, name string) string {
	t.Helper()
	v := strings.TrimSpace(os.Getenv(name))
	if v == "" {
		t.Skipf("integration test: %s is unset (run `make test` to start a real Kafka broker and redis-server)", name)
	}
	return v
}

// TopicPrefix returns a prefix unique to this test and this run, like
// "t-TestEnsure-3f9a1c0b.", made only of characters Kafka allows in topic
// names. Use it for topics, consumer groups and transactional ids so that
// tests sharing a broker never see each other's data.
func TopicPrefix(t testing.TB) string {
	t.Helper()
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("random topic prefix: %v", err)
	}
	return "t-" + sanitize(t.Name()) + "-" + hex.EncodeToString(b[:]) + "."
}

// sanitize maps a test name to Kafka's topic alphabet [a-zA-Z0-9._-],
// replacing everything else (like the "/" of subtests) with "-".
func sanitize(name string) string {
	out := []byte(name)
	for i, c := range out {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			out[i] = '-'
		}
	}
	if len(out) > maxTestNameInPrefix {
		out = out[:maxTestNameInPrefix]
	}
	return string(out)
}
