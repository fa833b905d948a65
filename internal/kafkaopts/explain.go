package kafkaopts

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
)

// Explain names the setting behind a failure to talk to Kafka: credentials
// the brokers refuse, a certificate that is not trusted or not for the
// address dialled, a TLS switch that does not match the listener, a missing
// ACL. program is the binary ("orderd", "orderctl") and name renders a
// setting as the binary names it. Other errors, and nil, are returned as
// they are.
func (c Config) Explain(err error, program string, name func(flag string) string) error {
	if err == nil {
		return nil
	}
	var (
		unknownCA x509.UnknownAuthorityError
		verifyErr *tls.CertificateVerificationError
		hostErr   x509.HostnameError
		recordErr tls.RecordHeaderError
		opErr     *net.OpError
	)
	switch {
	case errors.Is(err, kerr.SaslAuthenticationFailed):
		return fmt.Errorf("kafka refused the SASL credentials of user %q (%s): check %s and %s: %w",
			c.SASLUser, c.SASLMechanism, name(FlagSASLUser), name(FlagSASLPassword), err)
	case errors.Is(err, kerr.UnsupportedSaslMechanism), errors.Is(err, kerr.IllegalSaslState):
		return fmt.Errorf("kafka does not take SASL mechanism %s on this listener: check %s: %w",
			c.SASLMechanism, name(FlagSASLMechanism), err)
	case errors.As(err, &unknownCA), errors.As(err, &verifyErr) && !errors.As(err, &hostErr):
		return fmt.Errorf("the brokers' TLS certificate is not signed by a CA %s trusts: check %s (now %q): %w",
			program, name(FlagTLSCAFile), c.TLSCAFile, err)
	case errors.As(err, &hostErr):
		return fmt.Errorf("a broker's TLS certificate is not for the address %s dialled: check %s against the certificate's names: %w",
			program, name(FlagBrokers), err)
	case errors.As(err, &recordErr):
		return fmt.Errorf("a broker answered TLS with plain text: %s is on but that listener is not TLS; check %s and %s: %w",
			name(FlagTLS), name(FlagTLS), name(FlagBrokers), err)
	case errors.As(err, &opErr) && !c.TLS && strings.Contains(err.Error(), "EOF"):
		return fmt.Errorf("a broker closed the connection: is it a TLS listener? then set %s: %w", name(FlagTLS), err)
	case IsAuthorizationError(err):
		return fmt.Errorf("kafka principal %s lacks an ACL (docs/operations.md, \"ACLs per role\"): %w", c.Principal(), err)
	}
	return err
}

// IsAuthorizationError is a refusal by the brokers' authorizer.
func IsAuthorizationError(err error) bool {
	for _, e := range []error{kerr.TopicAuthorizationFailed, kerr.GroupAuthorizationFailed, kerr.ClusterAuthorizationFailed,
		kerr.TransactionalIDAuthorizationFailed, kerr.DelegationTokenAuthorizationFailed} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// Principal is how the brokers name this client: User:<sasl user>, or
// User:ANONYMOUS without SASL.
func (c Config) Principal() string {
	if c.SASLUser != "" {
		return "User:" + c.SASLUser
	}
	return "User:ANONYMOUS"
}
