package redisopts

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/orderlog/orderlog/projections"
)

// The settings' flag names, the same in every binary.
const (
	FlagAddr        = "redis-addr"
	FlagMode        = "redis-mode"
	FlagMasterName  = "redis-master-name"
	FlagUser        = "redis-user"
	FlagPassword    = "redis-password"
	FlagTLS         = "redis-tls"
	FlagTLSCAFile   = "redis-tls-ca-file"
	FlagTLSCertFile = "redis-tls-cert-file"
	FlagTLSKeyFile  = "redis-tls-key-file"
)

// Config is where the read models' Redis is and how to prove oneself to it.
type Config struct {
	// Addr is one host:port (mode standalone) or several, comma-separated
	// (the seeds of mode cluster, the sentinels of mode sentinel).
	Addr string
	// Mode is standalone, cluster or sentinel (projections.RedisModes).
	Mode string
	// MasterName is the primary the sentinels watch (mode sentinel).
	MasterName string
	// User is the ACL user (Redis 6+); empty: the default user, with
	// Password alone.
	User     string
	Password string
	TLS      bool
	// TLSCAFile is a PEM file of the CAs of Redis's certificate (empty: the
	// system's); TLSCertFile and TLSKeyFile are the client's certificate
	// and key, for a Redis with tls-auth-clients (its default with TLS).
	TLSCAFile   string
	TLSCertFile string
	TLSKeyFile  string
}

// Defaults is a Redis on the laptop: 127.0.0.1:6379, standalone.
func Defaults() Config {
	return Config{Addr: "127.0.0.1:6379", Mode: string(projections.RedisStandalone)}
}

// Flags declares c's settings on fs, with c's values as their defaults (a
// binary that declares them on several flag sets keeps what an earlier one
// parsed).
func (c *Config) Flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, FlagAddr, c.Addr, "Redis host:port of the read models; with --redis-mode=cluster or sentinel, several, comma-separated (seed nodes, sentinels)")
	fs.StringVar(&c.Mode, FlagMode, c.Mode, "what --redis-addr is: standalone (one Redis, or the primary of a primary with replicas), cluster (Redis Cluster seeds) or sentinel")
	fs.StringVar(&c.MasterName, FlagMasterName, c.MasterName, "with --redis-mode=sentinel: the name of the primary the sentinels watch")
	fs.StringVar(&c.User, FlagUser, c.User, "Redis ACL user (Redis 6+; default: the default user, with --redis-password alone)")
	fs.StringVar(&c.Password, FlagPassword, c.Password, "Redis AUTH password (prefer the variable: flags show in ps)")
	fs.BoolVar(&c.TLS, FlagTLS, c.TLS, "connect to Redis over TLS")
	fs.StringVar(&c.TLSCAFile, FlagTLSCAFile, c.TLSCAFile, "PEM file of the CAs of Redis's certificate (default: the system's)")
	fs.StringVar(&c.TLSCertFile, FlagTLSCertFile, c.TLSCertFile, "PEM file of this client's certificate for Redis (tls-auth-clients, Redis's default with TLS; with --"+FlagTLSKeyFile+")")
	fs.StringVar(&c.TLSKeyFile, FlagTLSKeyFile, c.TLSKeyFile, "PEM file of the key of --"+FlagTLSCertFile)
}

// Addrs is Addr split at the commas, blanks dropped.
func (c Config) Addrs() []string {
	var out []string
	for a := range strings.SplitSeq(c.Addr, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// Settings are the projections' client settings (projections.NewRedis).
func (c Config) Settings() projections.RedisSettings {
	return projections.RedisSettings{Addrs: c.Addrs(), Mode: projections.RedisMode(c.Mode), MasterName: c.MasterName,
		Username: c.User, Password: c.Password, TLS: c.TLS,
		TLSCAFile: c.TLSCAFile, TLSCertFile: c.TLSCertFile, TLSKeyFile: c.TLSKeyFile}
}

// A Problem is a setting at fault, by its flag name, and what is wrong.
type Problem struct {
	Flag string
	Msg  string
}

// Problems says what is wrong with the settings, each under the flag to
// fix, in the order of the flags above.
func (c Config) Problems() []Problem {
	found := c.Settings().Problems() // keyed "mode", "addr", "user", "tls", ...
	var out []Problem
	for _, k := range []string{"mode", "addr", "master-name", "user", "tls", "tls-ca-file", "tls-cert-file"} {
		if msg, ok := found[k]; ok {
			out = append(out, Problem{"redis-" + k, msg})
		}
	}
	return out
}

// Explain is a Redis error that waiting will not cure, naming the setting
// to fix: the server refused the credentials or the user's permissions,
// or its certificate is not trusted by program (the binary). name renders
// a setting as the binary names it. It is nil for every other error (a
// Redis that is down may come back).
func (c Config) Explain(err error, program string, name func(flag string) string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	var unknownCA x509.UnknownAuthorityError
	var verifyErr *tls.CertificateVerificationError
	switch {
	case strings.Contains(msg, "WRONGPASS"), strings.Contains(msg, "invalid password"), strings.Contains(msg, "invalid username-password"):
		return fmt.Errorf("redis refused the password of user %q: check %s and %s: %w",
			c.user(), name(FlagUser), name(FlagPassword), err)
	case strings.Contains(msg, "NOAUTH"):
		return fmt.Errorf("redis asks for a password: set %s (and %s for an ACL user): %w",
			name(FlagPassword), name(FlagUser), err)
	case strings.Contains(msg, "NOPERM"):
		return fmt.Errorf("redis user %q lacks a permission the read models need (docs/operations.md, \"Redis ACL user\"): check %s: %w",
			c.user(), name(FlagUser), err)
	case errors.As(err, &unknownCA), errors.As(err, &verifyErr):
		return fmt.Errorf("redis's TLS certificate is not signed by a CA %s trusts: check %s (now %q): %w",
			program, name(FlagTLSCAFile), c.TLSCAFile, err)
	}
	return nil
}

func (c Config) user() string {
	if c.User == "" {
		return "default"
	}
	return c.User
}
