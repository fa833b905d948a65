package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/orderlog/orderlog/internal/kafkaopts"
)

// RedisAuth is how orderd proves itself to Redis beyond a password: an ACL
// user, and the files of a TLS connection.
type RedisAuth struct {
	User        string
	TLSCAFile   string
	TLSCertFile string
	TLSKeyFile  string
}

// securityFlags declares the TLS files and the Redis ACL user. The TLS and
// SASL switches themselves (--kafka-tls, --kafka-sasl-*, --redis-password,
// --redis-tls) are in flagSet.
func securityFlags(fs *flag.FlagSet, c *Config) {
	fs.StringVar(&c.Kafka.TLSCertFile, "kafka-tls-cert-file", "", "PEM file of orderd's client certificate, for brokers that ask for one (with --kafka-tls-key-file)")
	fs.StringVar(&c.Kafka.TLSKeyFile, "kafka-tls-key-file", "", "PEM file of the key of --kafka-tls-cert-file")
	fs.StringVar(&c.Redis.Auth.User, "redis-user", "", "Redis ACL user (Redis 6+; default: the default user, with --redis-password alone)")
	fs.StringVar(&c.Redis.Auth.TLSCAFile, "redis-tls-ca-file", "", "PEM file of the CAs of Redis's certificate (default: the system's)")
	fs.StringVar(&c.Redis.Auth.TLSCertFile, "redis-tls-cert-file", "", "PEM file of orderd's client certificate for Redis (tls-auth-clients, Redis's default with TLS; with --redis-tls-key-file)")
	fs.StringVar(&c.Redis.Auth.TLSKeyFile, "redis-tls-key-file", "", "PEM file of the key of --redis-tls-cert-file")
}

// validateSecurity names what is wrong with the Redis user and TLS files;
// the Kafka ones are checked with the rest of Kafka's (validateKafka).
func (c *Config) validateSecurity(bad func(string, string, ...any)) {
	problems := c.Redis.Settings().Problems()
	for _, k := range []string{"user", "tls", "tls-ca-file", "tls-cert-file"} {
		if msg, ok := problems[k]; ok {
			bad("redis-"+k, "%s", msg)
		}
	}
}

// explainStart names the setting behind a start-up failure talking to
// Kafka: credentials the brokers refuse, a certificate that is not trusted,
// a listener that does not speak TLS, a missing ACL. Other errors are
// returned as they are.
func explainStart(c Config, err error) error {
	if err == nil {
		return nil
	}
	var (
		unknownCA  x509.UnknownAuthorityError
		verifyErr  *tls.CertificateVerificationError
		hostErr    x509.HostnameError
		recordErr  tls.RecordHeaderError
		opErr      *net.OpError
		kerrString = err.Error()
	)
	switch {
	case errors.Is(err, kerr.SaslAuthenticationFailed):
		return fmt.Errorf("kafka refused the SASL credentials of user %q (%s): check %s and %s: %w",
			c.Kafka.SASLUser, c.Kafka.SASLMechanism, settingName("kafka-sasl-user"), settingName("kafka-sasl-password"), err)
	case errors.Is(err, kerr.UnsupportedSaslMechanism), errors.Is(err, kerr.IllegalSaslState):
		return fmt.Errorf("kafka does not take SASL mechanism %s on this listener: check %s: %w",
			c.Kafka.SASLMechanism, settingName("kafka-sasl-mechanism"), err)
	case errors.As(err, &unknownCA), errors.As(err, &verifyErr) && !errors.As(err, &hostErr):
		return fmt.Errorf("the brokers' TLS certificate is not signed by a CA orderd trusts: check %s (now %q): %w",
			settingName("kafka-tls-ca-file"), c.Kafka.TLSCAFile, err)
	case errors.As(err, &hostErr):
		return fmt.Errorf("a broker's TLS certificate is not for the address orderd dialled: check %s against the certificate's names: %w",
			settingName("kafka-brokers"), err)
	case errors.As(err, &recordErr):
		return fmt.Errorf("a broker answered TLS with plain text: %s is on but that listener is not TLS; check %s and %s: %w",
			settingName("kafka-tls"), settingName("kafka-tls"), settingName("kafka-brokers"), err)
	case errors.As(err, &opErr) && !c.Kafka.TLS && strings.Contains(kerrString, "EOF"):
		return fmt.Errorf("a broker closed the connection: is it a TLS listener? then set %s: %w", settingName("kafka-tls"), err)
	case isAuthorizationError(err):
		return fmt.Errorf("kafka principal %s lacks an ACL this role needs (docs/operations.md, \"ACLs per role\"): %w", principal(c), err)
	}
	return err
}

// isAuthorizationError is a refusal by the brokers' authorizer.
func isAuthorizationError(err error) bool {
	for _, e := range []error{kerr.TopicAuthorizationFailed, kerr.GroupAuthorizationFailed, kerr.ClusterAuthorizationFailed,
		kerr.TransactionalIDAuthorizationFailed, kerr.DelegationTokenAuthorizationFailed} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// principal is how the brokers name orderd: User:<sasl user>, or
// User:ANONYMOUS without SASL.
func principal(c Config) string {
	if c.Kafka.SASLUser != "" {
		return "User:" + c.Kafka.SASLUser
	}
	return "User:ANONYMOUS"
}

// redisFatal is a Redis error that waiting will not cure: the server
// refused the credentials or the user's permissions, or its certificate is
// not trusted. It names the setting; nil for everything else (a Redis that
// is down is waited for).
func redisFatal(r RedisConfig, err error) error {
	msg := err.Error()
	var unknownCA x509.UnknownAuthorityError
	var verifyErr *tls.CertificateVerificationError
	switch {
	case strings.Contains(msg, "WRONGPASS"), strings.Contains(msg, "invalid password"), strings.Contains(msg, "invalid username-password"):
		return fmt.Errorf("redis refused the password of user %q: check %s and %s: %w",
			redisUser(r), settingName("redis-user"), settingName("redis-password"), err)
	case strings.Contains(msg, "NOAUTH"):
		return fmt.Errorf("redis asks for a password: set %s (and %s for an ACL user): %w",
			settingName("redis-password"), settingName("redis-user"), err)
	case strings.Contains(msg, "NOPERM"):
		return fmt.Errorf("redis user %q lacks a permission the read models need (docs/operations.md, \"Redis ACL user\"): check %s: %w",
			redisUser(r), settingName("redis-user"), err)
	case errors.As(err, &unknownCA), errors.As(err, &verifyErr):
		return fmt.Errorf("redis's TLS certificate is not signed by a CA orderd trusts: check %s (now %q): %w",
			settingName("redis-tls-ca-file"), r.Auth.TLSCAFile, err)
	}
	return nil
}

func redisUser(r RedisConfig) string {
	if r.Auth.User == "" {
		return "default"
	}
	return r.Auth.User
}

// kafkaClientCertProblem is validateKafka's message for a client
// certificate that does not fit or load.
func kafkaClientCertProblem(err error) bool { return errors.Is(err, kafkaopts.ErrClientCert) }
