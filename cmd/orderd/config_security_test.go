package main

import (
	"crypto/x509"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kerr"
)

func TestSecuritySettingsAreReadAndValidatedByName(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  []string
		want string // "" for valid
	}{
		{"redis ACL user with password", []string{"ORDERLOG_REDIS_USER", "projector", "ORDERLOG_REDIS_PASSWORD", "p"}, ""},
		{"redis user without password", []string{"ORDERLOG_REDIS_USER", "projector"}, "ORDERLOG_REDIS_USER / --redis-user: an ACL user needs its password"},
		{"redis CA without TLS", []string{"ORDERLOG_REDIS_TLS_CA_FILE", "/nope.pem"}, "ORDERLOG_REDIS_TLS / --redis-tls: is off"},
		{"redis CA missing", []string{"ORDERLOG_REDIS_TLS", "true", "ORDERLOG_REDIS_TLS_CA_FILE", "/nope.pem"}, "ORDERLOG_REDIS_TLS_CA_FILE / --redis-tls-ca-file: read the Redis CA file"},
		{"redis cert without key", []string{"ORDERLOG_REDIS_TLS", "true", "ORDERLOG_REDIS_TLS_CERT_FILE", "/c.pem"}, "ORDERLOG_REDIS_TLS_CERT_FILE / --redis-tls-cert-file: client certificate"},
		{"kafka cert without key", []string{"ORDERLOG_KAFKA_TLS", "true", "ORDERLOG_KAFKA_TLS_CERT_FILE", "/c.pem"}, "ORDERLOG_KAFKA_TLS_CERT_FILE / --kafka-tls-cert-file: client certificate"},
		{"kafka cert without TLS", []string{"ORDERLOG_KAFKA_TLS_CERT_FILE", "/c.pem", "ORDERLOG_KAFKA_TLS_KEY_FILE", "/k.pem"}, "--kafka-tls-cert-file: client certificate: set, but TLS is off"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(nil, env(tc.env...), nil)
			if tc.want == "" {
				require.NoError(t, err)
				require.Equal(t, "projector", c.Redis.Settings().Username)
				return
			}
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestStartErrorsNameTheSettingToFix(t *testing.T) {
	c := Config{Roles: []string{"processor"}}
	c.Kafka.SASLUser, c.Kafka.SASLMechanism, c.Kafka.TLSCAFile = "processor", "SCRAM-SHA-512", "/ca.pem"
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"refused credentials", fmt.Errorf("list topics: %w", kerr.SaslAuthenticationFailed), "ORDERLOG_KAFKA_SASL_PASSWORD / --kafka-sasl-password"},
		{"unknown CA", fmt.Errorf("dial: %w", x509.UnknownAuthorityError{}), `ORDERLOG_KAFKA_TLS_CA_FILE / --kafka-tls-ca-file (now "/ca.pem")`},
		{"missing ACL", fmt.Errorf("join: %w", kerr.TransactionalIDAuthorizationFailed), "kafka principal User:processor lacks an ACL"},
		{"anything else", errors.New("boom"), "boom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorContains(t, explainStart(c, tc.err), tc.want)
		})
	}
	r := RedisConfig{}
	r.User = "api"
	for _, tc := range []struct {
		name string
		err  error
		want string // "" for an error to wait out
	}{
		{"wrong password", errors.New("WRONGPASS invalid username-password pair or user is disabled."), "ORDERLOG_REDIS_PASSWORD / --redis-password"},
		{"no password", errors.New("NOAUTH Authentication required."), "set ORDERLOG_REDIS_PASSWORD"},
		{"no permission", errors.New("NOPERM this user has no permissions to run the 'eval' command"), `redis user "api" lacks a permission`},
		{"down", errors.New("dial tcp 127.0.0.1:6379: connect: connection refused"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := redisFatal(r, tc.err)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.want)
		})
	}
}
