package api

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
)

func (f *fixture) sentCount() int {
	var n int
	f.kafka.set(func(k *fakeKafka) { n = len(k.sent) })
	return n
}

// The same Idempotency-Key with the same request is answered as the first
// time; with another request (body, path, method or caller) it is 422 and
// nothing is sent.
func TestAnIdempotencyKeyIsBoundToItsFirstRequest(t *testing.T) {
	f := newFixture(t)
	f.create("i-1")
	with := func(c func(*fixture) *client, key string) func(*fixture) *client {
		return func(f *fixture) *client { return c(f).with("Idempotency-Key", key) }
	}
	reused := func(t *testing.T, f *fixture, _ *http.Response, b []byte) {
		require.Contains(t, decodeBytes[Error](t, b).Message, "new key")
	}
	addOne := map[string]any{"items": []order.LineItem{{ProductID: "sku-9", Quantity: 1, UnitPrice: 10}}}
	addTwo := map[string]any{"items": []order.LineItem{{ProductID: "sku-9", Quantity: 2, UnitPrice: 10}}}
	var first string
	steps := []step{
		{name: "the first request", c: with(alice, "k-add"), method: "POST", path: "/api/v1/orders/i-1/items", body: addOne, wantCode: 200,
			check: func(t *testing.T, _ *fixture, r *http.Response, _ []byte) { first = r.Header.Get("ETag") }},
		{name: "the same request again is the original answer", c: with(alice, "k-add"), method: "POST", path: "/api/v1/orders/i-1/items", body: addOne, wantCode: 200,
			check: func(t *testing.T, _ *fixture, r *http.Response, b []byte) {
				require.Equal(t, first, r.Header.Get("ETag"))
				require.Equal(t, int64(1), viewOf(t, b).Lines[1].Quantity, "added once")
			}},
		{name: "the same body spelled otherwise is the same request", c: with(alice, "k-add"), method: "POST", path: "/api/v1/orders/i-1/items",
			body: `{ "items": [ {"unitPrice": 10, "quantity": 1, "productId": "sku-9"} ] }`, wantCode: 200},
		{name: "another body is 422", c: with(alice, "k-add"), method: "POST", path: "/api/v1/orders/i-1/items", body: addTwo,
			wantCode: 422, wantError: codeKeyReused, wantField: "Idempotency-Key", check: reused},
		{name: "another path is 422", c: with(alice, "k-add"), method: "POST", path: "/api/v1/orders/i-1/notes",
			body: map[string]any{"kind": "customer", "text": "hi"}, wantCode: 422, wantError: codeKeyReused, wantField: "Idempotency-Key"},
		{name: "another method is 422", c: with(alice, "k-add"), method: "DELETE", path: "/api/v1/orders/i-1/items/sku-9",
			wantCode: 422, wantError: codeKeyReused, wantField: "Idempotency-Key"},
		{name: "another caller is 422", c: with(admin, "k-add"), method: "POST", path: "/api/v1/orders/i-1/items", body: addOne,
			wantCode: 422, wantError: codeKeyReused, wantField: "Idempotency-Key"},
		{name: "a create", c: with(alice, "k-create"), method: "POST", path: "/api/v1/orders", body: map[string]any{"currency": "USD"}, wantCode: 201},
		{name: "the create again", c: with(alice, "k-create"), method: "POST", path: "/api/v1/orders", body: map[string]any{"currency": "USD"}, wantCode: 200},
		{name: "a create with other items under its key is 422", c: with(alice, "k-create"), method: "POST", path: "/api/v1/orders",
			body: map[string]any{"currency": "USD", "items": []order.LineItem{item}}, wantCode: 422, wantError: codeKeyReused, wantField: "Idempotency-Key"},
	}
	for _, s := range steps {
		before := f.sentCount()
		run(t, f, []step{s})
		if s.wantError == codeKeyReused {
			require.Equal(t, before, f.sentCount(), "%s: nothing sent", s.name)
		}
	}

	// Another API process on the same Redis (or this one restarted) knows
	// the keys.
	srv, err := New(Config{Reader: f.side.reader, Commands: f.kafka, Results: f.kafka, JWTKey: testKey,
		Keys: NewRedisKeys(f.side.keys.rdb, f.side.keys.prefix, time.Hour), Logger: testLogger()})
	require.NoError(t, err)
	other := as(t, srv.Handler(), "alice", RoleCustomer).with("Idempotency-Key", "k-add")
	w := other.do("POST", "/api/v1/orders/i-1/items", addTwo)
	require.Equal(t, http.StatusUnprocessableEntity, w.Code, w.Body.String())
	require.Equal(t, codeKeyReused, decode[Error](t, w).Code)
	w = other.do("POST", "/api/v1/orders/i-1/items", addOne)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.Equal(t, first, w.Header().Get("ETag"))
}

// Concurrent binds of one key agree on one request, on the redis-server and
// on the Redis Cluster.
func TestRedisKeysBindOnce(t *testing.T) {
	onEachRedis(t, func(t *testing.T, rb redisBackend) {
		rdb, prefix := rb(t)
		keys := NewRedisKeys(rdb, prefix+"idempotency:", time.Minute)
		var wg sync.WaitGroup
		bound := make([]string, 8)
		for i := range bound {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b, err := keys.Bind(context.Background(), "k-1", fmt.Sprintf("fp-%d", i))
				require.NoError(t, err)
				bound[i] = b
			}()
		}
		wg.Wait()
		for _, b := range bound {
			require.Equal(t, bound[0], b)
		}
		other, err := keys.Bind(context.Background(), "k-2", "fp-x")
		require.NoError(t, err)
		require.Equal(t, "fp-x", other, "another key is free")
		ttl, err := rdb.TTL(context.Background(), prefix+"idempotency:"+sha256Hex("k-1")).Result()
		require.NoError(t, err)
		require.Positive(t, ttl, "a bound key expires")
	})
}
