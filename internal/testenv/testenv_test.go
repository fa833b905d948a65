package testenv

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestLookupSkipsWhenUnset(t *testing.T) {
	tests := []struct {
		name string
		env  string
		get  func(testing.TB)
	}{
		{"kafka", EnvKafkaBrokers, func(t testing.TB) { KafkaBrokers(t) }},
		{"redis", EnvRedisAddr, func(t testing.TB) { RedisAddr(t) }},
		{"classpath", EnvKafkaClasspath, func(t testing.TB) { KafkaClasspath(t) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(tt.env, "")
			var skipped bool
			t.Run("inner", func(t *testing.T) {
				defer func() { skipped = t.Skipped() }()
				tt.get(t)
			})
			if !skipped {
				t.Errorf("with %s unset the test was not skipped", tt.env)
			}
		})
	}
}

func TestKafkaBrokersSplitsTheList(t *testing.T) {
	t.Setenv(EnvKafkaBrokers, " 127.0.0.1:1, 127.0.0.1:2 ,")
	got := KafkaBrokers(t)
	want := []string{"127.0.0.1:1", "127.0.0.1:2"}
	if !slices.Equal(got, want) {
		t.Errorf("KafkaBrokers() = %q, want %q", got, want)
	}
}

func TestRedisAddrReadsTheEnvironment(t *testing.T) {
	t.Setenv(EnvRedisAddr, "127.0.0.1:16379")
	if got := RedisAddr(t); got != "127.0.0.1:16379" {
		t.Errorf("RedisAddr() = %q", got)
	}
}

var kafkaTopicName = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

func TestTopicPrefixIsUniqueAndLegal(t *testing.T) {
	names := []string{"plain", "with/slash and space", "ünïcode", strings.Repeat("long", 80)}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			a, b := TopicPrefix(t), TopicPrefix(t)
			if a == b {
				t.Errorf("two calls gave the same prefix %q", a)
			}
			for _, p := range []string{a, b} {
				if !kafkaTopicName.MatchString(p) {
					t.Errorf("prefix %q has characters Kafka refuses in topic names", p)
				}
				if len(p) > 100 {
					t.Errorf("prefix %q is %d characters long", p, len(p))
				}
				if p[len(p)-1] != '.' {
					t.Errorf("prefix %q does not end with a dot", p)
				}
			}
		})
	}
}
