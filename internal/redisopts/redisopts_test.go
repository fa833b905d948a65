package redisopts

import (
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/projections"
)

func TestFlagsFillTheSettingsThatProjectionsConnectWith(t *testing.T) {
	c := Defaults()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	c.Flags(fs)
	require.NoError(t, fs.Parse([]string{"--redis-addr", "a:1, b:2", "--redis-mode", "cluster", "--redis-user", "operator",
		"--redis-password", "p", "--redis-tls", "--redis-tls-ca-file", "/ca.pem", "--redis-tls-cert-file", "/c.pem", "--redis-tls-key-file", "/k.pem"}))
	require.Equal(t, projections.RedisSettings{Addrs: []string{"a:1", "b:2"}, Mode: projections.RedisCluster, Username: "operator",
		Password: "p", TLS: true, TLSCAFile: "/ca.pem", TLSCertFile: "/c.pem", TLSKeyFile: "/k.pem"}, c.Settings())
	again := flag.NewFlagSet("again", flag.ContinueOnError)
	c.Flags(again)
	require.NoError(t, again.Parse(nil))
	require.Equal(t, "operator", c.User, "a second flag set keeps what the first parsed")
	require.Equal(t, projections.RedisSettings{Addrs: []string{"127.0.0.1:6379"}, Mode: projections.RedisStandalone}, Defaults().Settings())
}

func TestProblemsNameTheFlagToFix(t *testing.T) {
	for _, tc := range []struct {
		name     string
		edit     func(*Config)
		flag     string
		contains string
	}{
		{"unknown mode", func(c *Config) { c.Mode = "ring" }, FlagMode, `got "ring"`},
		{"two addresses standalone", func(c *Config) { c.Addr = "a:1,b:2" }, FlagAddr, "exactly one host:port"},
		{"user without password", func(c *Config) { c.User = "operator" }, FlagUser, "needs its password"},
		{"CA without TLS", func(c *Config) { c.TLSCAFile = "/ca.pem" }, FlagTLS, "is off"},
		{"CA file missing", func(c *Config) { c.TLS, c.TLSCAFile = true, "/nope/ca.pem" }, FlagTLSCAFile, "read the Redis CA file"},
		{"certificate without key", func(c *Config) { c.TLS, c.TLSCertFile = true, "/c.pem" }, FlagTLSCertFile, "needs its key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Defaults()
			require.Empty(t, c.Problems())
			tc.edit(&c)
			ps := c.Problems()
			require.Len(t, ps, 1, "%v", ps)
			require.Equal(t, tc.flag, ps[0].Flag)
			require.Contains(t, ps[0].Msg, tc.contains)
		})
	}
}

func TestExplainNamesTheSettingOfARefusalAndLetsAnOutageBe(t *testing.T) {
	c := Config{User: "operator", TLSCAFile: "/ca.pem"}
	name := func(f string) string { return "--" + f }
	for _, tc := range []struct {
		name  string
		err   error
		wants []string // nil: not explained, waiting may cure it
	}{
		{"wrong password", errors.New("WRONGPASS invalid username-password pair or user is disabled."),
			[]string{`redis refused the password of user "operator"`, "--redis-user", "--redis-password"}},
		{"no password", errors.New("NOAUTH Authentication required."), []string{"redis asks for a password: set --redis-password"}},
		{"no permission", errors.New("NOPERM this user has no permissions to run the 'get' command"), []string{`redis user "operator" lacks a permission`}},
		{"untrusted certificate", fmt.Errorf("dial: %w", x509.UnknownAuthorityError{}), []string{"not signed by a CA orderctl trusts", `--redis-tls-ca-file (now "/ca.pem")`}},
		{"down", errors.New("dial tcp 127.0.0.1:6379: connect: connection refused"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.Explain(tc.err, "orderctl", name)
			if tc.wants == nil {
				require.NoError(t, err)
				return
			}
			for _, w := range tc.wants {
				require.ErrorContains(t, err, w)
			}
			require.ErrorIs(t, err, tc.err)
		})
	}
}
