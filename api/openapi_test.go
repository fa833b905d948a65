package api

import (
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/projections"
)

// TestOpenAPIMatchesMux proves the document and the mux agree: every route
// the server registers is documented, and every documented operation is
// matched by the mux to exactly that route.
func TestOpenAPIMatchesMux(t *testing.T) {
	srv := offlineServer(t)
	var registered []string
	for _, r := range srv.routes() {
		registered = append(registered, r.pattern())
	}

	documented := openAPIPaths(OpenAPI())
	slices.Sort(registered)
	slices.Sort(documented)
	require.Equal(t, registered, documented)

	// Ask the server's own mux which pattern serves each documented
	// operation, with sample path values.
	mux := srv.mux
	for _, op := range documented {
		method, path, _ := strings.Cut(op, " ")
		req := httptest.NewRequest(method, strings.NewReplacer("{id}", "o-1", "{itemId}", "sku-1", "{returnId}", "r-1", "{refundId}", "rf-1").Replace(path), nil)
		_, pattern := mux.Handler(req)
		require.Equal(t, op, pattern, "the mux serves %s with %q", op, pattern)
	}

	// The document served is valid JSON and says it is OpenAPI 3.
	var doc map[string]any
	w := httptest.NewRecorder()
	srv.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	require.Equal(t, 200, w.Code)
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &doc))
	require.True(t, strings.HasPrefix(doc["openapi"].(string), "3."))
}

// offlineServer is a Server whose Reader and Kafka are never reached.
func offlineServer(t *testing.T) *Server {
	r, err := projections.NewReader(projections.ReaderConfig{Redis: redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})})
	require.NoError(t, err)
	fk := &fakeKafka{}
	srv, err := New(Config{Reader: r, Commands: fk, Results: fk, JWTKey: testKey})
	require.NoError(t, err)
	return srv
}
