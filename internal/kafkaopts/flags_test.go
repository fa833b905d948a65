package kafkaopts

import (
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kerr"
)

func TestFlagsDeclareEverySettingAndKeepWhatAnEarlierSetParsed(t *testing.T) {
	var c Config
	top := flag.NewFlagSet("top", flag.ContinueOnError)
	c.Flags(top)
	require.NoError(t, top.Parse([]string{"--kafka-tls", "--kafka-tls-ca-file", "/ca.pem", "--kafka-sasl-mechanism", "scram-sha-512"}))
	sub := flag.NewFlagSet("sub", flag.ContinueOnError)
	c.Flags(sub) // a command's own flag set, declared after the top one parsed
	require.NoError(t, sub.Parse([]string{"--kafka-sasl-user", "u", "--kafka-sasl-password", "p",
		"--kafka-tls-cert-file", "/c.pem", "--kafka-tls-key-file", "/k.pem"}))
	require.Equal(t, Config{TLS: true, TLSCAFile: "/ca.pem", TLSCertFile: "/c.pem", TLSKeyFile: "/k.pem",
		SASLMechanism: "scram-sha-512", SASLUser: "u", SASLPassword: "p"}, c)
	var names []string
	sub.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	require.ElementsMatch(t, []string{FlagTLS, FlagTLSCAFile, FlagTLSCertFile, FlagTLSKeyFile, FlagSASLMechanism, FlagSASLUser, FlagSASLPassword}, names)
}

func TestProblemsNameTheFlagToFix(t *testing.T) {
	name := func(f string) string { return "<" + f + ">" }
	for _, tc := range []struct {
		name     string
		cfg      Config
		flag     string // "" for no problem
		contains string
	}{
		{"fine, mechanism made canonical", Config{SASLMechanism: "scram-sha-256", SASLUser: "u", SASLPassword: "p"}, "", ""},
		{"unknown mechanism", Config{SASLMechanism: "GSSAPI"}, FlagSASLMechanism, `unknown SASL mechanism "GSSAPI"`},
		{"CA without TLS", Config{TLSCAFile: "/ca.pem"}, FlagTLSCAFile, "is set, but <kafka-tls> is not true"},
		{"mechanism without password", Config{SASLMechanism: "PLAIN", SASLUser: "u"}, FlagSASLUser, "<kafka-sasl-user> and <kafka-sasl-password> are required with SASL mechanism PLAIN"},
		{"user without mechanism", Config{SASLUser: "u", SASLPassword: "p"}, FlagSASLMechanism, "choose a mechanism"},
		{"certificate without key", Config{TLS: true, TLSCertFile: "/c.pem"}, FlagTLSCertFile, "needs its key"},
		{"CA file missing", Config{TLS: true, TLSCAFile: "/nope/ca.pem"}, FlagTLSCAFile, "read the Kafka CA file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.cfg
			ps := c.Problems(name)
			if tc.flag == "" {
				require.Empty(t, ps)
				require.Equal(t, MechanismScramSHA256, c.SASLMechanism)
				return
			}
			require.Len(t, ps, 1)
			require.Equal(t, tc.flag, ps[0].Flag)
			require.Contains(t, ps[0].Msg, tc.contains)
		})
	}
}

func TestExplainNamesTheSettingBehindARefusal(t *testing.T) {
	c := Config{TLS: true, TLSCAFile: "/ca.pem", SASLMechanism: MechanismScramSHA512, SASLUser: "operator", SASLPassword: "x"}
	name := func(f string) string { return "--" + f + " / ENV_" + f }
	for _, tc := range []struct {
		name  string
		err   error
		wants []string
	}{
		{"refused credentials", fmt.Errorf("ping: %w", kerr.SaslAuthenticationFailed),
			[]string{`user "operator" (SCRAM-SHA-512)`, "--kafka-sasl-user / ENV_kafka-sasl-user", "--kafka-sasl-password / ENV_kafka-sasl-password"}},
		{"untrusted CA", fmt.Errorf("dial: %w", errUnknownCA()), []string{"not signed by a CA orderctl trusts", `--kafka-tls-ca-file / ENV_kafka-tls-ca-file (now "/ca.pem")`}},
		{"missing ACL", fmt.Errorf("describe groups: %w", kerr.GroupAuthorizationFailed), []string{"kafka principal User:operator lacks an ACL"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.Explain(tc.err, "orderctl", name)
			for _, w := range tc.wants {
				require.ErrorContains(t, err, w)
			}
			require.ErrorIs(t, err, tc.err, "the cause stays in the chain")
		})
	}
	other := errors.New("boom")
	require.Same(t, other, c.Explain(other, "orderctl", name))
	require.NoError(t, c.Explain(nil, "orderctl", name))
	require.Equal(t, "User:ANONYMOUS", Config{}.Principal())
}

func errUnknownCA() error { return x509.UnknownAuthorityError{} }
