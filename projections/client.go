package projections

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/orderlog/orderlog/internal/tlsfiles"
)

// RedisMode says what the Redis addresses are.
type RedisMode string

// The Redis modes. A primary with replicas is RedisStandalone pointed at
// the primary, or RedisSentinel with the sentinels' addresses.
const (
	// RedisStandalone: one address, one Redis (or a primary).
	RedisStandalone RedisMode = "standalone"
	// RedisCluster: one or more seed nodes of a Redis Cluster.
	RedisCluster RedisMode = "cluster"
	// RedisSentinel: the addresses of Sentinels watching the primary named
	// by RedisSettings.MasterName.
	RedisSentinel RedisMode = "sentinel"
)

// RedisModes lists the modes, for help texts and errors.
var RedisModes = []RedisMode{RedisStandalone, RedisCluster, RedisSentinel}

// RedisSettings are how a binary reaches the read models.
type RedisSettings struct {
	Addrs      []string
	Mode       RedisMode
	MasterName string // RedisSentinel only
	// Username is the ACL user (Redis 6+); empty: the default user, with
	// Password alone (AUTH password).
	Username string
	Password string
	TLS      bool
	// TLSCAFile is a PEM file of the CAs of the servers' certificates
	// (empty: the system's); TLSCertFile and TLSKeyFile are the client's
	// certificate and key, for a Redis with tls-auth-clients (its default).
	TLSCAFile   string
	TLSCertFile string
	TLSKeyFile  string
}

// Problems returns what is wrong with the settings, keyed by the setting
// ("addr", "mode", "master-name"), for the caller to name in its own terms.
func (s RedisSettings) Problems() map[string]string {
	out := map[string]string{}
	switch s.Mode {
	case RedisStandalone:
		if len(s.Addrs) != 1 {
			out["addr"] = fmt.Sprintf("mode %s takes exactly one host:port, got %d (several seeds are for mode %s)", s.Mode, len(s.Addrs), RedisCluster)
		}
	case RedisCluster, RedisSentinel:
		if len(s.Addrs) == 0 {
			out["addr"] = fmt.Sprintf("mode %s takes one or more host:port, comma-separated; got none", s.Mode)
		}
	default:
		out["mode"] = fmt.Sprintf("must be one of %v, got %q", RedisModes, s.Mode)
	}
	if s.Mode == RedisSentinel && s.MasterName == "" {
		out["master-name"] = "mode sentinel needs the name of the primary the sentinels watch"
	}
	if s.Mode != RedisSentinel && s.MasterName != "" {
		out["master-name"] = fmt.Sprintf("is only for mode %s; mode is %s", RedisSentinel, s.Mode)
	}
	if s.Username != "" && s.Password == "" {
		out["user"] = "an ACL user needs its password"
	}
	if !s.TLS && (s.TLSCAFile != "" || s.TLSCertFile != "" || s.TLSKeyFile != "") {
		out["tls"] = "is off, yet a TLS CA, certificate or key file is set"
	} else if _, err := s.TLSConfig(); err != nil {
		if errors.Is(err, tlsfiles.ErrClientCert) {
			out["tls-cert-file"] = err.Error()
		} else {
			out["tls-ca-file"] = err.Error()
		}
	}
	return out
}

// TLSConfig is the client's TLS configuration: nil without TLS.
func (s RedisSettings) TLSConfig() (*tls.Config, error) {
	if !s.TLS {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	cert, err := tlsfiles.ClientCert(s.TLSCertFile, s.TLSKeyFile)
	if err != nil {
		return nil, err
	}
	if cert != nil {
		tc.Certificates = []tls.Certificate{*cert}
	}
	if s.TLSCAFile != "" {
		if tc.RootCAs, err = tlsfiles.CAPool("Redis", s.TLSCAFile); err != nil {
			return nil, err
		}
	}
	return tc, nil
}

// NewRedis returns the client for the settings (go-redis's UniversalClient:
// a *redis.Client, a *redis.ClusterClient or a failover client). It does not
// connect; CheckRedis does.
func NewRedis(s RedisSettings) redis.UniversalClient {
	opts := &redis.UniversalOptions{Addrs: s.Addrs, Username: s.Username, Password: s.Password}
	if s.TLS {
		// Problems reports a file that does not load; with one anyway the
		// client verifies with the system's roots and presents no
		// certificate, so it fails closed.
		opts.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		if tc, err := s.TLSConfig(); err == nil {
			opts.TLSConfig = tc
		}
	}
	switch s.Mode {
	case RedisCluster:
		opts.IsClusterMode = true
		// A command follows MOVED and ASK redirects (a resharding) and
		// retries a failed node once, briefly; a failover (a few
		// cluster-node-timeouts) reaches the caller within a second instead
		// of hiding in go-redis's dial retries, and the caller's retry is
		// logged and counted (the projector's:
		// orderlog_projector_redis_errors_total).
		opts.MaxRedirects = 8
		opts.MaxRetries = 1
		opts.MinRetryBackoff, opts.MaxRetryBackoff = 50*time.Millisecond, 200*time.Millisecond
		co := opts.Cluster()
		co.DialerRetries, co.DialerRetryTimeout = 1, 50*time.Millisecond
		// go-redis reloads the slot map on MOVED, not when a primary stops
		// answering: without this a promoted replica would be found only
		// after a minute (the projector also reloads after a failed batch).
		co.ClusterStateReloadInterval = 2 * time.Second
		return redis.NewClusterClient(co)
	case RedisSentinel:
		opts.MasterName = s.MasterName
		return redis.NewFailoverClient(opts.Failover())
	}
	return redis.NewClient(opts.Simple())
}

// CheckRedis tells whether the read models' Redis can be used: every
// primary of a cluster answers and the cluster's state is ok; one Redis
// answers and is not a cluster node (which needs mode cluster).
func CheckRedis(ctx context.Context, rdb redis.UniversalClient) error {
	cc, ok := rdb.(*redis.ClusterClient)
	if !ok {
		if err := rdb.Ping(ctx).Err(); err != nil {
			return err
		}
		if info, err := rdb.Info(ctx, "cluster").Result(); err == nil && strings.Contains(info, "cluster_enabled:1") {
			return errors.New("this Redis is a Redis Cluster node: use mode cluster")
		}
		return nil
	}
	if err := probeSeeds(ctx, cc.Options()); err != nil {
		return fmt.Errorf("redis cluster: %w", err)
	}
	if err := cc.ForEachShard(ctx, func(ctx context.Context, c *redis.Client) error {
		if err := c.Ping(ctx).Err(); err != nil {
			return fmt.Errorf("node %s: %w", c.Options().Addr, err)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("redis cluster: %w", err)
	}
	info, err := cc.ClusterInfo(ctx).Result()
	if err != nil {
		return fmt.Errorf("redis cluster: CLUSTER INFO: %w", err)
	}
	if !strings.Contains(info, "cluster_state:ok") {
		state := "unknown"
		for line := range strings.SplitSeq(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "cluster_state:"); ok {
				state = v
			}
		}
		return fmt.Errorf("redis cluster: cluster_state is %s (slots not all served)", state)
	}
	return nil
}

// probeSeeds asks each seed node for PING directly, so that a cluster none
// of whose seeds answers says why (the cluster client only times out).
func probeSeeds(ctx context.Context, o *redis.ClusterOptions) error {
	var errs []string
	for _, a := range o.Addrs {
		c := redis.NewClient(&redis.Options{Addr: a, Username: o.Username, Password: o.Password, TLSConfig: o.TLSConfig,
			MaxRetries: -1, DialTimeout: 2 * time.Second})
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		err := c.Ping(pctx).Err()
		cancel()
		_ = c.Close()
		if err == nil {
			return nil
		}
		errs = append(errs, a+": "+err.Error())
	}
	return errors.New("no seed node answers: " + strings.Join(errs, "; "))
}

// LogRedisClient sends go-redis's own messages (a node that cannot be
// dialled, a pool that gives up) to the logger log returns, at level Warn,
// instead of the standard logger. They are process-wide: call it once,
// before any client is used.
func LogRedisClient(log func() *slog.Logger) { redis.SetLogger(redisLogger{log}) }

type redisLogger struct{ log func() *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log().WarnContext(ctx, strings.TrimSpace(fmt.Sprintf(format, v...)))
}
