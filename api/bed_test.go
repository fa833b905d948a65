package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/internal/testenv"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/projections"
	"github.com/orderlog/orderlog/schemas"
	"github.com/orderlog/orderlog/topics"
)

var testKey = []byte("test-key")

func testLogger() *slog.Logger {
	if os.Getenv("ORDERLOG_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// redisBackend connects to one of the test bed's Redis (skipping without
// it) and returns a key prefix of this test's own, deleted when it ends.
type redisBackend func(t *testing.T) (redis.UniversalClient, string)

// testRedis is the test bed's redis-server.
func testRedis(t *testing.T) (redis.UniversalClient, string) {
	t.Helper()
	return withPrefix(t, redis.NewClient(&redis.Options{Addr: testenv.RedisAddr(t)}))
}

// testCluster is the test bed's Redis Cluster (ORDERLOG_REDIS_CLUSTER_ADDRS).
func testCluster(t *testing.T) (redis.UniversalClient, string) {
	t.Helper()
	v := strings.TrimSpace(os.Getenv("ORDERLOG_REDIS_CLUSTER_ADDRS"))
	if v == "" {
		t.Skip("ORDERLOG_REDIS_CLUSTER_ADDRS is not set: no Redis Cluster (make test starts one; or source .testbed/env)")
	}
	return withPrefix(t, projections.NewRedis(projections.RedisSettings{Addrs: strings.Split(v, ","), Mode: projections.RedisCluster}))
}

// onEachRedis runs a test on the redis-server and on the Redis Cluster, as
// subtests "redis" and "cluster".
func onEachRedis(t *testing.T, fn func(t *testing.T, rb redisBackend)) {
	t.Run("redis", func(t *testing.T) { fn(t, testRedis) })
	t.Run("cluster", func(t *testing.T) { fn(t, testCluster) })
}

func withPrefix(t *testing.T, rdb redis.UniversalClient) (redis.UniversalClient, string) {
	ctx := context.Background()
	require.NoError(t, projections.CheckRedis(ctx, rdb))
	var b [4]byte
	_, _ = rand.Read(b[:])
	prefix := "t:api:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		_ = projections.DeleteMatching(ctx, rdb, prefix)
		_ = rdb.Close()
	})
	return rdb, prefix
}

// cluster is kfake with orderlog's topics.
func cluster(t *testing.T) ([]string, topics.Names) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c.ListenAddrs(), ensureTopics(t, c.ListenAddrs(), "")
}

// realCluster is the test bed's broker (skipping without one), under topic
// names of this test's own.
func realCluster(t *testing.T) ([]string, topics.Names) {
	brokers := testenv.KafkaBrokers(t)
	return brokers, ensureTopics(t, brokers, testenv.TopicPrefix(t))
}

func ensureTopics(t *testing.T, brokers []string, prefix string) topics.Names {
	set, err := topics.New(topics.Config{Prefix: prefix, Partitions: 3, ReplicationFactor: 1})
	require.NoError(t, err)
	adm, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	require.NoError(t, err)
	defer adm.Close()
	_, err = set.Ensure(context.Background(), kadm.NewClient(adm))
	require.NoError(t, err)
	return set.Names()
}

// runBackground runs fn until the test ends.
func runBackground(t *testing.T, fn func(ctx context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(30 * time.Second):
			t.Error("did not stop within 30s")
		}
	})
}

// readSide is a projector on kfake writing to the real redis-server, and a
// Reader of it.
type readSide struct {
	brokers []string
	names   topics.Names
	reader  *projections.Reader
	events  *schemas.Serde[order.Event]
	// keys is a KeyStore on the same Redis, under the test's prefix.
	keys *RedisKeys
}

func newReadSide(t *testing.T, rb redisBackend) *readSide {
	return newReadSideOn(t, cluster, rb)
}

func newReadSideOn(t *testing.T, kafka func(*testing.T) ([]string, topics.Names), rb redisBackend) *readSide {
	rdb, prefix := rb(t) // skips before starting anything without Redis
	brokers, names := kafka(t)
	serde, err := schemas.NewEvents(context.Background())
	require.NoError(t, err)
	p, err := projections.New(projections.Config{Brokers: brokers, Group: names.Events + "-projector", Topic: names.Events, Events: serde,
		Redis: rdb, Prefix: prefix, PointerKey: prefix + "active-prefix", Logger: testLogger(),
		RetryBackoff: 50 * time.Millisecond, MaxRetryBackoff: 200 * time.Millisecond})
	require.NoError(t, err)
	runBackground(t, p.Run)
	r, err := projections.NewReader(projections.ReaderConfig{Redis: rdb, Prefix: prefix, PointerKey: prefix + "active-prefix"})
	require.NoError(t, err)
	return &readSide{brokers: brokers, names: names, reader: r, events: serde, keys: NewRedisKeys(rdb, prefix+"idempotency:", time.Hour)}
}

// fakeKafka is a CommandSender and ResultWaiter without a processor: it
// decides each command with order.Decide on states it keeps, produces the
// events to order.events for the projector, and answers Wait with the
// result. reply, sendErr and noResult override that.
type fakeKafka struct {
	t        *testing.T
	producer *kgo.Client
	side     *readSide

	mu       sync.Mutex
	states   map[string]order.State
	results  map[string]order.CommandResult
	sent     []order.Command
	sendErr  error
	noResult bool
	reply    func(order.Command) (order.CommandResult, bool)
}

func newFakeKafka(t *testing.T, side *readSide) *fakeKafka {
	cl, err := kgo.NewClient(kgo.SeedBrokers(side.brokers...))
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	return &fakeKafka{t: t, producer: cl, side: side, states: map[string]order.State{}, results: map[string]order.CommandResult{}}
}

func (f *fakeKafka) Send(ctx context.Context, c order.Command) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sendErr != nil {
		return f.sendErr
	}
	f.sent = append(f.sent, c)
	if f.reply != nil {
		if res, ok := f.reply(c); ok {
			res.CommandID, res.OrderID = c.ID, c.OrderID
			f.results[c.ID] = res
			return nil
		}
	}
	c.Time = time.Now()
	s := f.states[c.OrderID]
	evs, err := order.Decide(s, c)
	res := order.ResultOf(c, s.Version, evs, err)
	for _, e := range evs {
		s = order.Evolve(s, e)
		v, err := f.side.events.Encode(e)
		require.NoError(f.t, err)
		rec := &kgo.Record{Topic: f.side.names.Events, Key: []byte(e.OrderID), Value: v, Timestamp: e.Time}
		if err := f.producer.ProduceSync(ctx, rec).FirstErr(); err != nil {
			return err
		}
	}
	f.states[c.OrderID] = s
	f.results[c.ID] = res
	return nil
}

func (f *fakeKafka) Wait(ctx context.Context, id string) (order.CommandResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	res, ok := f.results[id]
	if f.noResult || !ok {
		return res, context.DeadlineExceeded
	}
	delete(f.results, id)
	return res, nil
}

func (f *fakeKafka) set(fn func(f *fakeKafka)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// client calls a handler as one caller.
type client struct {
	t       *testing.T
	h       http.Handler
	token   string
	headers map[string]string
}

func as(t *testing.T, h http.Handler, subject string, role Role) *client {
	tok, err := Token(testKey, subject, role)
	require.NoError(t, err)
	return &client{t: t, h: h, token: tok}
}

func (c *client) with(k, v string) *client {
	cp := *c
	cp.headers = map[string]string{k: v}
	for hk, hv := range c.headers {
		cp.headers[hk] = hv
	}
	return &cp
}

// do sends a request; body is marshalled unless it is a string.
func (c *client) do(method, path string, body any) *httptest.ResponseRecorder {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		require.NoError(c.t, err)
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, path, rd)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, req)
	return w
}

// decode reads a JSON body.
func decode[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &v), w.Body.String())
	return v
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func decodeBytes[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(b, &v), string(b))
	return v
}
