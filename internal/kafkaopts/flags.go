package kafkaopts

import (
	"errors"
	"flag"
	"fmt"
	"strings"
)

// The settings' flag names, the same in every binary (orderd, orderctl);
// each binary derives its environment variable from the name
// (--kafka-tls is ORDERLOG_KAFKA_TLS). FlagBrokers is declared by each
// binary (orderd takes a list, orderctl a string) and named here for
// messages.
const (
	FlagBrokers       = "kafka-brokers"
	FlagTLS           = "kafka-tls"
	FlagTLSCAFile     = "kafka-tls-ca-file"
	FlagTLSCertFile   = "kafka-tls-cert-file"
	FlagTLSKeyFile    = "kafka-tls-key-file"
	FlagSASLMechanism = "kafka-sasl-mechanism"
	FlagSASLUser      = "kafka-sasl-user"
	FlagSASLPassword  = "kafka-sasl-password"
)

// Flags declares c's settings on fs, with c's values as their defaults (a
// binary that declares them on several flag sets keeps what an earlier
// one parsed).
func (c *Config) Flags(fs *flag.FlagSet) {
	fs.BoolVar(&c.TLS, FlagTLS, c.TLS, "connect to Kafka over TLS")
	fs.StringVar(&c.TLSCAFile, FlagTLSCAFile, c.TLSCAFile, "PEM file of the CAs of the brokers' certificates (default: the system's)")
	fs.StringVar(&c.TLSCertFile, FlagTLSCertFile, c.TLSCertFile, "PEM file of this client's certificate, for brokers that ask for one (with --"+FlagTLSKeyFile+")")
	fs.StringVar(&c.TLSKeyFile, FlagTLSKeyFile, c.TLSKeyFile, "PEM file of the key of --"+FlagTLSCertFile)
	fs.StringVar(&c.SASLMechanism, FlagSASLMechanism, c.SASLMechanism, "SASL mechanism: "+strings.Join(Mechanisms, ", ")+" (default: none)")
	fs.StringVar(&c.SASLUser, FlagSASLUser, c.SASLUser, "SASL user")
	fs.StringVar(&c.SASLPassword, FlagSASLPassword, c.SASLPassword, "SASL password (prefer the variable: flags show in ps)")
}

// A Problem is a setting at fault, by its flag name, and what is wrong.
type Problem struct {
	Flag string
	Msg  string
}

// Problems puts c.SASLMechanism in its canonical spelling and says what is
// wrong with the settings, each under the flag to fix; name renders another
// setting a message refers to, as the binary names its settings ("--kafka-tls"
// or "ORDERLOG_KAFKA_TLS / --kafka-tls").
func (c *Config) Problems(name func(flag string) string) []Problem {
	m, err := NormalizeMechanism(c.SASLMechanism)
	if err != nil {
		return []Problem{{FlagSASLMechanism, err.Error()}}
	}
	c.SASLMechanism = m
	_, err = c.ClientOpts()
	var p Problem
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrCAWithoutTLS):
		p = Problem{FlagTLSCAFile, fmt.Sprintf("is set, but %s is not true", name(FlagTLS))}
	case errors.Is(err, ErrMissingCredentials):
		p = Problem{FlagSASLUser, fmt.Sprintf("%s and %s are required with SASL mechanism %s", name(FlagSASLUser), name(FlagSASLPassword), m)}
	case errors.Is(err, ErrClientCert):
		p = Problem{FlagTLSCertFile, err.Error()}
	case errors.Is(err, ErrUnusedCredentials):
		p = Problem{FlagSASLMechanism, "a SASL user or password is set, so choose a mechanism: " + strings.Join(Mechanisms, ", ")}
	default:
		p = Problem{FlagTLSCAFile, err.Error()}
	}
	return []Problem{p}
}
