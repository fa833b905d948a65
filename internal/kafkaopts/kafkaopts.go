package kafkaopts

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/orderlog/orderlog/internal/tlsfiles"
)

// SASL mechanisms orderlog supports.
const (
	MechanismPlain       = "PLAIN"
	MechanismScramSHA256 = "SCRAM-SHA-256"
	MechanismScramSHA512 = "SCRAM-SHA-512"
)

// Mechanisms lists the supported SASL mechanisms.
var Mechanisms = []string{MechanismPlain, MechanismScramSHA256, MechanismScramSHA512}

// Config is how to connect to Kafka, beyond the seed brokers.
type Config struct {
	// TLS encrypts the connections; with TLSCAFile empty the system's
	// roots verify the brokers.
	TLS       bool
	TLSCAFile string // PEM file of the CAs that sign the brokers' certificates
	// TLSCertFile and TLSKeyFile are the client's certificate and key (PEM),
	// for brokers that ask for one (ssl.client.auth=required); both or
	// neither.
	TLSCertFile string
	TLSKeyFile  string
	// SASLMechanism is "" (no authentication) or one of Mechanisms.
	SASLMechanism string
	SASLUser      string
	SASLPassword  string
}

// Errors of Check, so a caller can name its own setting.
var (
	ErrCAWithoutTLS       = errors.New("a CA file is set but TLS is off")
	ErrUnknownMechanism   = errors.New("unknown SASL mechanism")
	ErrMissingCredentials = errors.New("SASL needs a user and a password")
	ErrUnusedCredentials  = errors.New("a SASL user or password is set but no SASL mechanism")
	// ErrClientCert is a client certificate or key that is missing its
	// pair, cannot be read, or does not load (tlsfiles.ErrClientCert).
	ErrClientCert = tlsfiles.ErrClientCert
)

// NormalizeMechanism returns m in its canonical spelling ("scram-sha-512"
// gives "SCRAM-SHA-512"), or ErrUnknownMechanism.
func NormalizeMechanism(m string) (string, error) {
	u := strings.ToUpper(strings.TrimSpace(m))
	if u == "" || slices.Contains(Mechanisms, u) {
		return u, nil
	}
	return "", fmt.Errorf("%w %q (want one of %s)", ErrUnknownMechanism, m, strings.Join(Mechanisms, ", "))
}

// ClientOpts returns the franz-go options for c: TLS dialing and SASL.
func (c Config) ClientOpts() ([]kgo.Opt, error) {
	var opts []kgo.Opt
	if c.TLSCAFile != "" && !c.TLS {
		return nil, ErrCAWithoutTLS
	}
	if (c.TLSCertFile != "" || c.TLSKeyFile != "") && !c.TLS {
		return nil, fmt.Errorf("%w: set, but TLS is off", ErrClientCert)
	}
	if c.TLS {
		tc, err := c.tlsConfig()
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	mech, err := c.mechanism()
	if err != nil {
		return nil, err
	}
	if mech != nil {
		opts = append(opts, kgo.SASL(mech))
	}
	return opts, nil
}

func (c Config) tlsConfig() (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	cert, err := tlsfiles.ClientCert(c.TLSCertFile, c.TLSKeyFile)
	if err != nil {
		return nil, err
	}
	if cert != nil {
		tc.Certificates = []tls.Certificate{*cert}
	}
	if c.TLSCAFile == "" {
		return tc, nil
	}
	pool, err := tlsfiles.CAPool("Kafka", c.TLSCAFile)
	if err != nil {
		return nil, err
	}
	tc.RootCAs = pool
	return tc, nil
}

func (c Config) mechanism() (sasl.Mechanism, error) {
	m, err := NormalizeMechanism(c.SASLMechanism)
	if err != nil {
		return nil, err
	}
	if m == "" {
		if c.SASLUser != "" || c.SASLPassword != "" {
			return nil, ErrUnusedCredentials
		}
		return nil, nil
	}
	if c.SASLUser == "" || c.SASLPassword == "" {
		return nil, fmt.Errorf("%w (mechanism %s)", ErrMissingCredentials, m)
	}
	switch m {
	case MechanismPlain:
		return plain.Auth{User: c.SASLUser, Pass: c.SASLPassword}.AsMechanism(), nil
	case MechanismScramSHA256:
		return scram.Auth{User: c.SASLUser, Pass: c.SASLPassword}.AsSha256Mechanism(), nil
	default:
		return scram.Auth{User: c.SASLUser, Pass: c.SASLPassword}.AsSha512Mechanism(), nil
	}
}

// Logger adapts l for franz-go. The client logs at warn and above, and at
// info too when l is enabled for debug: franz-go's info level is about one
// line per connection and rebalance step.
func Logger(l *slog.Logger) kgo.Logger { return logger{l} }

type logger struct{ l *slog.Logger }

func (g logger) Level() kgo.LogLevel {
	if g.l.Enabled(context.Background(), slog.LevelDebug) {
		return kgo.LogLevelInfo
	}
	return kgo.LogLevelWarn
}

func (g logger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	lv := slog.LevelDebug
	switch level {
	case kgo.LogLevelError:
		lv = slog.LevelError
	case kgo.LogLevelWarn:
		lv = slog.LevelWarn
	case kgo.LogLevelInfo:
		lv = slog.LevelInfo
	}
	g.l.Log(context.Background(), lv, msg, keyvals...)
}
