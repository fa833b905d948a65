package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/processor"
	"github.com/orderlog/orderlog/projections"
)

// TestCreateAndReadBackThroughKafka runs the whole write path in process:
// HTTP → KafkaSender → order.commands on kfake → processor → results and
// events → KafkaResults and the projector (real Redis) → HTTP.
func TestCreateAndReadBackThroughKafka(t *testing.T) {
	createAndReadBack(t, newReadSideOn(t, cluster, testRedis))
}

// TestCreateAndReadBackThroughARealBroker is the same on the test bed's
// Kafka, with the redis-server and with the Redis Cluster.
func TestCreateAndReadBackThroughARealBroker(t *testing.T) {
	onEachRedis(t, func(t *testing.T, rb redisBackend) { createAndReadBack(t, newReadSideOn(t, realCluster, rb)) })
}

func createAndReadBack(t *testing.T, side *readSide) {
	ctx := context.Background()
	serdes, err := processor.NewSerdes(ctx, side.names, nil)
	require.NoError(t, err)
	p, err := processor.New(processor.Config{Brokers: side.brokers, Group: side.names.Commands + "-orderd", TransactionalID: side.names.Commands + "-orderd-1",
		Topics: side.names, Serdes: serdes, Logger: testLogger(), TransactionTimeout: 5 * time.Second})
	require.NoError(t, err)
	runBackground(t, p.Run)

	producer, err := kgo.NewClient(kgo.SeedBrokers(side.brokers...), kgo.ProducerLinger(0))
	require.NoError(t, err)
	t.Cleanup(producer.Close)
	results, err := NewKafkaResults(ResultsConfig{Brokers: side.brokers, Topic: side.names.Results, Results: serdes.Results, Logger: testLogger()})
	require.NoError(t, err)
	runBackground(t, results.Run)

	srv, err := New(Config{Reader: side.reader, Commands: NewKafkaSender(producer, side.names.Commands), Results: results,
		JWTKey: testKey, Keys: side.keys, Timeout: 20 * time.Second, Logger: testLogger()})
	require.NoError(t, err)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	tok, err := Token(testKey, "alice", RoleCustomer)
	require.NoError(t, err)
	adminTok, err := Token(testKey, "support-1", RoleAdmin)
	require.NoError(t, err)
	asAdmin := "Bearer " + adminTok
	call := func(method, path string, body any, headers ...string) (*http.Response, []byte) {
		t.Helper()
		var b []byte
		if body != nil {
			b, err = json.Marshal(body)
			require.NoError(t, err)
		}
		req, err := http.NewRequest(method, hs.URL+path, bytes.NewReader(b))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tok)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := hs.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out bytes.Buffer
		_, err = out.ReadFrom(resp.Body)
		require.NoError(t, err)
		return resp, out.Bytes()
	}

	create := map[string]any{"currency": "USD", "items": []order.LineItem{item}}
	resp, body := call("POST", "/api/v1/orders", create, "Idempotency-Key", "create-1")
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
	created := decodeBytes[projections.View](t, body)
	require.Equal(t, "alice", created.CustomerID)
	require.Equal(t, etag(created.Version), resp.Header.Get("ETag"))
	loc := resp.Header.Get("Location")
	require.Equal(t, "/api/v1/orders/"+created.OrderID, loc)

	// Read your writes: the order is there at once.
	resp, body = call("GET", loc, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	got := decodeBytes[projections.View](t, body)
	require.Equal(t, created.OrderID, got.OrderID)
	require.Equal(t, created.Version, got.Version)
	require.Len(t, got.Lines, 1)

	// A retry with the same key is answered as the original.
	resp, body = call("POST", "/api/v1/orders", create, "Idempotency-Key", "create-1")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.Equal(t, etag(created.Version), resp.Header.Get("ETag"))

	// A change with If-Match, then the same If-Match again conflicts.
	add := map[string]any{"items": []order.LineItem{{ProductID: "sku-2", Quantity: 1, UnitPrice: 250}}}
	resp, body = call("POST", loc+"/items", add, "If-Match", etag(created.Version))
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.Len(t, decodeBytes[projections.View](t, body).Lines, 2)
	resp, body = call("POST", loc+"/items", add, "If-Match", etag(created.Version))
	require.Equal(t, http.StatusPreconditionFailed, resp.StatusCode, string(body))
	require.Equal(t, "VERSION_CONFLICT", decodeBytes[Error](t, body).Code)

	// Support: an admin holds the order with a flag, the customer notes it,
	// the admin approves it.
	resp, body = call("POST", loc+"/flags", map[string]any{"code": "HIGH_VALUE", "reason": "check", "requiresApproval": true}, "Authorization", asAdmin)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.True(t, decodeBytes[projections.View](t, body).Approval.Pending)
	resp, body = call("POST", loc+"/notes", map[string]any{"kind": "customer", "text": "a gift, no invoice"})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	resp, body = call("POST", loc+"/approval", map[string]any{"comment": "ok"}, "Authorization", asAdmin)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	approved := decodeBytes[projections.View](t, body)
	require.False(t, approved.Approval.Pending)
	require.Equal(t, "support-1", approved.Approval.ApprovedBy)

	// The create's key with another body is refused, not answered as the
	// create was.
	resp, body = call("POST", "/api/v1/orders", add, "Idempotency-Key", "create-1")
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, string(body))
	require.Equal(t, codeKeyReused, decodeBytes[Error](t, body).Code)

	// A rejected command asked again with its key is the same rejection:
	// the processor remembers it (docs/dedup.md).
	ret := map[string]any{"items": []order.ItemQuantity{{ProductID: "sku-1", Quantity: 1}}, "reason": "broken"}
	resp, first := call("POST", loc+"/returns", ret, "Idempotency-Key", "return-1")
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, string(first))
	resp, again := call("POST", loc+"/returns", ret, "Idempotency-Key", "return-1")
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, string(again))
	require.JSONEq(t, string(first), string(again))
}
