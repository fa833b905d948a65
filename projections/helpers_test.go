package projections

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/internal/testenv"
	"github.com/orderlog/orderlog/order"
)

func testLogger() *slog.Logger {
	if os.Getenv("ORDERLOG_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// testRedis connects to the test bed's redis-server (skipping without it).
func testRedis(t testing.TB) redis.UniversalClient {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: testenv.RedisAddr(t)})
	require.NoError(t, rdb.Ping(context.Background()).Err())
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// testCluster connects to the test bed's Redis Cluster (skipping without
// it): ORDERLOG_REDIS_CLUSTER_ADDRS, written by scripts/testbed/up.sh.
func testCluster(t testing.TB) redis.UniversalClient {
	t.Helper()
	addrs := clusterAddrs(t)
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	ctx := context.Background()
	require.NoError(t, rdb.ForEachShard(ctx, func(ctx context.Context, c *redis.Client) error { return c.Ping(ctx).Err() }))
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

func clusterAddrs(t testing.TB) []string {
	t.Helper()
	v := strings.TrimSpace(os.Getenv("ORDERLOG_REDIS_CLUSTER_ADDRS"))
	if v == "" {
		t.Skip("ORDERLOG_REDIS_CLUSTER_ADDRS is not set: no Redis Cluster (make test starts one; or source .testbed/env)")
	}
	return strings.Split(v, ",")
}

// onEachRedis runs a test on the standalone redis-server and on the Redis
// Cluster, as subtests "redis" and "cluster" (each skipped without its
// server).
func onEachRedis(t *testing.T, fn func(t *testing.T, rdb redis.UniversalClient)) {
	t.Run("redis", func(t *testing.T) { fn(t, testRedis(t)) })
	t.Run("cluster", func(t *testing.T) { fn(t, testCluster(t)) })
}

// testPrefix returns a key prefix of this test's own, whose keys are deleted
// when the test ends (tests share one redis-server).
func testPrefix(t testing.TB, rdb redis.UniversalClient) string {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, t.Name())
	p := "t:" + name[:min(len(name), 60)] + ":" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() { deleteMatching(rdb, p) })
	return p
}

// scanAll returns every key matching pattern, on every primary.
func scanAll(t testing.TB, rdb redis.UniversalClient, pattern string) []string {
	var mu sync.Mutex
	var out []string
	err := eachPrimary(context.Background(), rdb, func(ctx context.Context, c redis.UniversalClient) error {
		iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
		for iter.Next(ctx) {
			mu.Lock()
			out = append(out, iter.Val())
			mu.Unlock()
		}
		return iter.Err()
	})
	if t != nil {
		require.NoError(t, err)
	}
	return out
}

func deleteMatching(rdb redis.UniversalClient, prefix string) {
	_ = DeleteMatching(context.Background(), rdb, prefix)
}

// snapshot reads every key under prefix into a canonical text per key, with
// "+ttl" when the key expires: what a projection is, to compare.
func snapshot(t testing.TB, rdb redis.UniversalClient, prefix string) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	for _, k := range scanAll(t, rdb, prefix+"*") {
		typ, err := rdb.Type(ctx, k).Result()
		require.NoError(t, err)
		var s string
		switch typ {
		case "string":
			s = "string:" + rdb.Get(ctx, k).Val()
		case "hash":
			s = "hash:" + canonHash(rdb.HGetAll(ctx, k).Val())
		case "list":
			s = "list:" + strings.Join(rdb.LRange(ctx, k, 0, -1).Val(), "\n")
		case "zset":
			s = "zset:" + canonZSet(rdb.ZRangeWithScores(ctx, k, 0, -1).Val())
		default:
			t.Fatalf("key %s has type %s", k, typ)
		}
		if rdb.PTTL(ctx, k).Val() > 0 {
			s += "+ttl"
		}
		out[k] = s
	}
	return out
}

func canonHash(m map[string]string) string {
	var lines []string
	for f, v := range m {
		lines = append(lines, f+"="+v)
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func canonZSet(zs []redis.Z) string {
	var lines []string
	for _, z := range zs {
		lines = append(lines, fmt.Sprintf("%d %s", int64(z.Score), z.Member))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// expected computes, from the events alone, what every key under prefix
// must hold once they are projected at time now with the default retention
// and TTL: the model the projection is checked against.
func expected(prefix string, orders map[string][]order.Event) map[string]string {
	k := keys{prefix}
	hashes := map[string]map[string]string{}
	zsets := map[string][]redis.Z{}
	incr := func(key, field string, d int64) {
		if hashes[key] == nil {
			hashes[key] = map[string]string{}
		}
		n, _ := strconv.ParseInt(hashes[key][field], 10, 64)
		hashes[key][field] = strconv.FormatInt(n+d, 10)
	}
	out := map[string]string{}
	for id, evs := range orders {
		if len(evs) == 0 {
			continue
		}
		v := Fold(evs)
		vj, _ := json.Marshal(v)
		out[k.order(id)] = "hash:" + canonHash(map[string]string{"version": strconv.FormatInt(v.Version, 10), "view": string(vj)})
		var lines []string
		var before View
		sh := shardOf(id)
		incr(k.applied(sh), id, v.Version)
		for _, e := range evs {
			ej, _ := json.Marshal(e)
			lines = append(lines, string(ej))
			after := Evolve(before, e)
			ti := k.typeIndex(sh, e.Type)
			zsets[ti] = append(zsets[ti], redis.Z{Score: float64(e.Time.UnixMilli()), Member: typeMember(id, e.Seq)})
			incr(k.minute(sh, e.Time), string(e.Type), 1)
			if before.Status != after.Status {
				if before.Status != order.StatusNone {
					incr(k.statusCounts(sh), string(before.Status), -1)
				}
				incr(k.statusCounts(sh), string(after.Status), 1)
			}
			switch d := e.Data.(type) {
			case order.PaymentCaptured:
				incr(k.revenue(sh), revenueField(d.Currency, e.Time), d.Amount)
			case order.PaymentRefunded:
				incr(k.revenue(sh), revenueField(d.Currency, e.Time), -d.Amount)
			}
			before = after
		}
		out[k.orderEvents(id)] = "list:" + strings.Join(lines, "\n")
		created := redis.Z{Score: float64(v.CreatedAt.UnixMilli()), Member: id}
		zsets[k.orders(sh)] = append(zsets[k.orders(sh)], created)
		zsets[k.customer(sh, v.CustomerID)] = append(zsets[k.customer(sh, v.CustomerID)], created)
		zsets[k.status(sh, v.Status)] = append(zsets[k.status(sh, v.Status)], created)
		if due, ok := attentionDue(v); ok {
			zsets[k.attention(sh)] = append(zsets[k.attention(sh)], redis.Z{Score: float64(due.UnixMilli()), Member: id})
		}
	}
	for key, m := range hashes {
		for f, v := range m {
			if v == "0" && (strings.HasSuffix(key, ":orders-by-status") || strings.HasSuffix(key, ":revenue")) {
				delete(m, f) // the script drops counters that reach zero
			}
		}
		if len(m) == 0 {
			continue
		}
		out[key] = "hash:" + canonHash(m)
		if strings.HasPrefix(key, prefix+famStats) && strings.Contains(key, "}:events:") {
			out[key] += "+ttl"
		}
	}
	for key, zs := range zsets {
		out[key] = "zset:" + canonZSet(zs)
	}
	return out
}

// requireSameKeys fails with the first differing keys.
func requireSameKeys(t testing.TB, want, got map[string]string) {
	t.Helper()
	var diffs []string
	for k, w := range want {
		if g, ok := got[k]; !ok {
			diffs = append(diffs, "missing "+k)
		} else if g != w {
			diffs = append(diffs, fmt.Sprintf("differs %s\n  want %.600s\n  got  %.600s", k, w, g))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, "unexpected "+k)
		}
	}
	slices.Sort(diffs)
	if len(diffs) > 0 {
		t.Fatalf("%d of %d keys differ from the fold of the events:\n%s", len(diffs), len(want), strings.Join(diffs[:min(len(diffs), 8)], "\n"))
	}
}

// newTestApplier is an applier on prefix with the projector's defaults.
func newTestApplier(rdb redis.UniversalClient, prefix string, cacheSize int) *applier {
	cfg := Config{Brokers: []string{"x"}, Group: "g", Topic: "t", Redis: rdb, Prefix: prefix, CacheSize: cacheSize}
	_ = cfg.validate() // fills the defaults; Events is not needed here
	return &applier{rdb: rdb, k: keys{prefix}, cache: newViewCache(cfg.CacheSize), log: testLogger(), metrics: NewMetrics(nil), now: time.Now,
		typeRetention: cfg.TypeIndexRetention, minuteTTL: cfg.MinuteCounterTTL, maxChain: cfg.MaxChain, pipelineSize: cfg.PipelineSize}
}

// applyAll applies events in batches of the given size and counts outcomes;
// like the projector, it applies a batch again from its first stale event.
func applyAll(t testing.TB, a *applier, events []order.Event, batch int) map[Outcome]int {
	t.Helper()
	n := map[Outcome]int{}
	for start := 0; start < len(events); {
		end := min(start+batch, len(events))
		res, err := a.apply(context.Background(), events[start:end])
		require.NoError(t, err)
		next := end
		for i, r := range res {
			if r.Outcome == Stale {
				next = start + i
				break
			}
			n[r.Outcome]++
		}
		start = next
	}
	return n
}
