package projections

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/internal/testenv"
)

// failoverBasePort is where the failover test's own cluster listens (six
// ports from here; the bed's cluster is on 17001-17006).
const failoverBasePort = 17011

// ownCluster starts a Redis Cluster of the test's own with the bed's script
// (three primaries, three replicas; cluster-node-timeout 1000 ms), since the
// test kills one of its primaries, and stops it when the test ends.
func ownCluster(t *testing.T) (dir string, addrs []string) {
	t.Helper()
	clusterAddrs(t) // skips without the bed, which installs redis-server
	_, here, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(here), "..", "scripts", "testbed", "redis-cluster.sh")
	dir = t.TempDir()
	out, err := exec.Command(script, "start", dir, strconv.Itoa(failoverBasePort)).Output()
	t.Cleanup(func() {
		if b, err := exec.Command(script, "stop", dir).CombinedOutput(); err != nil {
			t.Errorf("stop the test's cluster: %v\n%s", err, b)
		}
	})
	require.NoError(t, err, "start a cluster on %d-%d: %s", failoverBasePort, failoverBasePort+5, exitStderr(err))
	return dir, strings.Split(strings.TrimSpace(string(out)), ",")
}

func exitStderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// primaryOf returns the address of a primary that serves slots, and its
// replica, as a node of the cluster sees them.
func primaryOf(t *testing.T, addr string) (primary, replica string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	nodes, err := c.ClusterNodes(context.Background()).Result()
	require.NoError(t, err)
	ids := map[string]string{} // node id -> address
	var masterID string
	lines := strings.Split(strings.TrimSpace(nodes), "\n")
	for _, l := range lines {
		f := strings.Fields(l)
		ids[f[0]] = strings.Split(f[1], "@")[0]
		if strings.Contains(f[2], "master") && len(f) > 8 && masterID == "" {
			masterID = f[0]
		}
	}
	for _, l := range lines {
		if f := strings.Fields(l); f[3] == masterID {
			return ids[masterID], ids[f[0]]
		}
	}
	t.Fatalf("no primary with a replica in:\n%s", nodes)
	return "", ""
}

// isPrimary reports whether the node at addr says it is a primary serving
// slots and the cluster is ok.
func isPrimary(addr string) bool {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	info, err := c.ClusterInfo(ctx).Result()
	if err != nil || !strings.Contains(info, "cluster_state:ok") {
		return false
	}
	role, err := c.Do(ctx, "ROLE").Slice()
	return err == nil && len(role) > 0 && role[0] == "master"
}

// While the projector applies a steady stream of events, one primary of
// the cluster is killed (kill -9). Its replica is promoted; the projector
// rides the failover with retries that are logged and bounded, and at the
// end every order's view, event list, indexes and counters are the fold of
// the log.
func TestProjectorRidesAPrimaryFailover(t *testing.T) {
	dir, addrs := ownCluster(t)
	rdb := NewRedis(RedisSettings{Addrs: addrs, Mode: RedisCluster})
	t.Cleanup(func() { _ = rdb.Close() })
	b := realBedOn(t, rdb)
	logs := &testenv.SyncBuffer{}
	var w io.Writer = logs
	if os.Getenv("ORDERLOG_TEST_LOG") != "" {
		w = io.MultiWriter(logs, os.Stderr)
	}
	cfg := b.config("failover")
	cfg.Logger = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cfg.MaxPollRecords = 200 // many small batches: some meet the failover
	h := genHistory(21, 300, 40, time.Now())
	p, stop := b.start(cfg)

	// A steady stream: the log in 30 slices, each produced once the
	// projector has applied most of the previous one.
	const slices = 30
	per := (len(h.log) + slices - 1) / slices
	primary, replica := primaryOf(t, addrs[0])
	killed := false
	for i := 0; i*per < len(h.log); i++ {
		b.produce(h.log[i*per : min((i+1)*per, len(h.log))]...)
		if i == slices/3 && !killed {
			port := primary[strings.LastIndexByte(primary, ':')+1:]
			pid, err := os.ReadFile(filepath.Join(dir, port, "redis.pid"))
			require.NoError(t, err)
			n, err := strconv.Atoi(strings.TrimSpace(string(pid)))
			require.NoError(t, err)
			require.NoError(t, syscall.Kill(n, syscall.SIGKILL), "kill -9 the primary %s (pid %d)", primary, n)
			killed = true
			t.Logf("killed primary %s (pid %d) with %d of %d events produced; its replica is %s", primary, n, (i+1)*per, len(h.log), replica)
			continue // no waiting on the projector while the cluster fails over
		}
		want := i * per
		eventually(t, 60*time.Second, "the projector applies the stream", func() bool { return counter(p, Applied) >= want })
	}
	eventually(t, 30*time.Second, "the replica "+replica+" is promoted", func() bool { return isPrimary(replica) })
	waitCaughtUp(t, p, 60*time.Second)
	stop()

	errs := int(metricValue(p.metrics.redisErrs))
	t.Logf("batches that failed on Redis and were retried: %d", errs)
	assert.Positive(t, errs, "the failover was met by the projector")
	assert.Less(t, errs, 60, "retries are bounded: the projector moved on after the failover")
	assert.Contains(t, logs.String(), "projecting a batch failed on Redis; it will be polled again")
	assert.Equal(t, 0, int(metricValue(p.metrics.gaps)), "no write was lost, so no gap")
	requireSameKeys(t, expected(b.prefix, h.orders), snapshot(t, rdb, b.prefix))
	checkReader(t, b.reader(b.prefix), h)
}
