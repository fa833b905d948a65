package schemas

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/orderlog/orderlog/order"
)

// fakeRegistry answers the two calls a Serde makes, as a Confluent registry
// does: register a schema under a subject, and fetch a schema by id.
func fakeRegistry(t *testing.T) *httptest.Server {
	var mu sync.Mutex
	ids := map[string]int{}
	schemas := map[int]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
		switch {
		case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/subjects/"):
			var body struct{ Schema string }
			require.NoError(t, json.NewDecoder(r.Body).Decode(&body))
			id, ok := ids[body.Schema]
			if !ok {
				id = len(ids) + 1
				ids[body.Schema], schemas[id] = id, body.Schema
			}
			_ = json.NewEncoder(w).Encode(map[string]int{"id": id})
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/schemas/ids/"):
			id, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/schemas/ids/"))
			s, ok := schemas[id]
			if !ok {
				w.WriteHeader(http.StatusNotFound)
				_ = json.NewEncoder(w).Encode(map[string]any{"error_code": 40403, "message": "Schema not found"})
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]string{"schema": s})
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func confluentRoundTrip(t *testing.T, url, subject string) {
	ctx := context.Background()
	cl, err := sr.NewClient(sr.URLs(url))
	require.NoError(t, err)
	writer, err := NewEvents(ctx, WithRegistry(cl, subject))
	require.NoError(t, err)
	require.NotZero(t, writer.SchemaID())

	var e order.Event
	fill(&e)
	e.Data = filledSample(order.PaymentCaptured{})
	e.Type = order.EvtPaymentCaptured
	b, err := writer.Encode(e)
	require.NoError(t, err)
	assert.Equal(t, byte(0), b[0], "Confluent magic byte")
	assert.Equal(t, uint32(writer.SchemaID()), uint32(b[1])<<24|uint32(b[2])<<16|uint32(b[3])<<8|uint32(b[4]))

	// A reader that never registered anything finds the schema by id.
	reader, err := NewEvents(ctx)
	require.NoError(t, err)
	reader.registry = cl
	got, err := reader.Decode(b)
	require.NoError(t, err)
	assert.Equal(t, e, got)

	// The registry-configured writer still reads single-object encoding.
	plain, err := NewEvents(ctx)
	require.NoError(t, err)
	soe, err := plain.Encode(e)
	require.NoError(t, err)
	got, err = writer.Decode(soe)
	require.NoError(t, err)
	assert.Equal(t, e, got)
}

func TestConfluentFramingWithARegistry(t *testing.T) {
	confluentRoundTrip(t, fakeRegistry(t).URL, "order.events-value")
}

// TestConfluentFramingWithARealRegistry runs against the registry the test
// bed starts (Apicurio Registry's Confluent-compatible API).
func TestConfluentFramingWithARealRegistry(t *testing.T) {
	url := os.Getenv("ORDERLOG_SCHEMA_REGISTRY_URL")
	if url == "" {
		t.Skip("integration test: ORDERLOG_SCHEMA_REGISTRY_URL is unset (run `make test` to start a real registry)")
	}
	confluentRoundTrip(t, url, "t-"+strconv.FormatInt(int64(os.Getpid()), 10)+".order.events-value")
}

// TestRegistryOutageIsNotPoison: a registry that cannot answer must not turn
// a good command into a dead letter; a schema it does not know is poison.
func TestRegistryOutageIsNotPoison(t *testing.T) {
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	cl, err := sr.NewClient(sr.URLs(down.URL))
	require.NoError(t, err)
	s, err := NewCommands(context.Background())
	require.NoError(t, err)
	s.registry = cl
	_, err = DecodeCommand([]byte{0, 0, 0, 0, 42, 0}, s)
	assert.ErrorIs(t, err, ErrRegistryUnavailable)
	assert.NotErrorIs(t, err, ErrBadCommand)

	known := fakeRegistry(t)
	cl, err = sr.NewClient(sr.URLs(known.URL))
	require.NoError(t, err)
	s.registry = cl
	_, err = DecodeCommand([]byte{0, 0, 0, 0, 42, 0}, s)
	assert.ErrorIs(t, err, ErrBadCommand)
	assert.ErrorIs(t, err, ErrUnknownSchema)
}
