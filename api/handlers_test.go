package api

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/projections"
)

// fixture is a Server on a fake Kafka and a real read side.
type fixture struct {
	t     *testing.T
	h     http.Handler
	kafka *fakeKafka
	side  *readSide
	alice *client // customer
	bob   *client // another customer
	admin *client
	svc   *client
}

func newFixture(t *testing.T) *fixture { return newFixtureOn(t, testRedis) }

func newFixtureOn(t *testing.T, rb redisBackend) *fixture {
	side := newReadSide(t, rb)
	fk := newFakeKafka(t, side)
	srv, err := New(Config{Reader: side.reader, Commands: fk, Results: fk, JWTKey: testKey, Keys: side.keys,
		Timeout: 5 * time.Second, Logger: testLogger()})
	require.NoError(t, err)
	h := srv.Handler()
	return &fixture{t: t, h: h, kafka: fk, side: side, alice: as(t, h, "alice", RoleCustomer), bob: as(t, h, "bob", RoleCustomer),
		admin: as(t, h, "root", RoleAdmin), svc: as(t, h, "saga", RoleService)}
}

var item = order.LineItem{ProductID: "sku-1", Name: "Widget", Quantity: 2, UnitPrice: 1500}

var address = order.Address{Line1: "1 Main St", City: "New York", State: "NY", PostalCode: "10001", Country: "US"}

// create makes an order for alice and returns its id and version.
func (f *fixture) create(id string) int64 {
	f.t.Helper()
	w := f.alice.do("POST", "/api/v1/orders", map[string]any{"orderId": id, "currency": "USD", "items": []order.LineItem{item}})
	require.Equal(f.t, http.StatusCreated, w.Code, w.Body.String())
	v, err := strconv.ParseInt(unquote(w.Header().Get("ETag")), 10, 64)
	require.NoError(f.t, err)
	return v
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

type step struct {
	name      string
	c         func(f *fixture) *client
	method    string
	path      string
	body      any
	setup     func(f *fixture) // before the request; the fake is reset after
	wantCode  int
	wantError string // the body's code
	wantField string
	check     func(t *testing.T, f *fixture, w *http.Response, body []byte)
}

func alice(f *fixture) *client { return f.alice }
func bob(f *fixture) *client   { return f.bob }
func admin(f *fixture) *client { return f.admin }
func svc(f *fixture) *client   { return f.svc }

func run(t *testing.T, f *fixture, steps []step) {
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.setup != nil {
				s.setup(f)
				defer f.kafka.set(func(k *fakeKafka) { k.sendErr, k.noResult, k.reply = nil, false, nil })
			}
			w := s.c(f).do(s.method, s.path, s.body)
			require.Equal(t, s.wantCode, w.Code, w.Body.String())
			if s.wantError != "" || s.wantField != "" {
				e := decode[Error](t, w)
				require.Equal(t, s.wantError, e.Code, w.Body.String())
				require.Equal(t, s.wantField, e.Field, w.Body.String())
			}
			if s.check != nil {
				s.check(t, f, w.Result(), w.Body.Bytes())
			}
		})
	}
}

func TestWritesAnswerEveryOutcome(t *testing.T) {
	f := newFixture(t)
	v1 := f.create("o-1")
	f.create("o-2")
	etagIs := func(want string) func(*testing.T, *fixture, *http.Response, []byte) {
		return func(t *testing.T, _ *fixture, r *http.Response, _ []byte) {
			require.Equal(t, want, r.Header.Get("ETag"))
		}
	}
	steps := []step{
		{name: "create by a customer is 201 with Location and ETag", c: alice, method: "POST", path: "/api/v1/orders",
			body: map[string]any{"orderId": "o-3", "currency": "USD", "items": []order.LineItem{item}}, wantCode: 201,
			check: func(t *testing.T, _ *fixture, r *http.Response, b []byte) {
				require.Equal(t, "/api/v1/orders/o-3", r.Header.Get("Location"))
				var v projections.View
				require.NoError(t, jsonUnmarshal(b, &v))
				require.Equal(t, "alice", v.CustomerID)
				require.Equal(t, etag(v.Version), r.Header.Get("ETag"))
				require.Len(t, v.Lines, 1)
			}},
		{name: "create with an Idempotency-Key", c: func(f *fixture) *client { return f.admin.with("Idempotency-Key", "k-1") },
			method: "POST", path: "/api/v1/orders", body: map[string]any{"customerId": "carol", "currency": "USD"}, wantCode: 201},
		{name: "the same create again is the original, 200", c: func(f *fixture) *client { return f.admin.with("Idempotency-Key", "k-1") },
			method: "POST", path: "/api/v1/orders", body: map[string]any{"customerId": "carol", "currency": "USD"}, wantCode: 200,
			check: func(t *testing.T, _ *fixture, r *http.Response, b []byte) {
				require.Equal(t, orderIDFor(Principal{Subject: "root"}, "k-1"), decodeBytes[projections.View](t, b).OrderID)
				require.Equal(t, `"1"`, r.Header.Get("ETag"))
			}},
		{name: "create for another customer is 403", c: alice, method: "POST", path: "/api/v1/orders",
			body: map[string]any{"customerId": "bob", "currency": "USD"}, wantCode: 403, wantError: "FORBIDDEN", wantField: "customerId"},
		{name: "admin create without customerId is 400", c: admin, method: "POST", path: "/api/v1/orders",
			body: map[string]any{"currency": "USD"}, wantCode: 400, wantError: "BAD_REQUEST", wantField: "customerId"},
		{name: "a field of the wrong type is 400 naming it", c: alice, method: "POST", path: "/api/v1/orders",
			body: `{"currency":"USD","items":[{"productId":"x","quantity":"two"}]}`, wantCode: 400, wantError: "BAD_REQUEST", wantField: "items.quantity"},
		{name: "an unknown field is 400 naming it", c: alice, method: "POST", path: "/api/v1/orders",
			body: `{"currency":"USD","colour":"red"}`, wantCode: 400, wantError: "BAD_REQUEST", wantField: "colour"},
		{name: "malformed JSON is 400", c: alice, method: "POST", path: "/api/v1/orders", body: `{"currency":`, wantCode: 400, wantField: "body", wantError: "BAD_REQUEST"},
		{name: "a domain rejection is 422 with code and field", c: alice, method: "POST", path: "/api/v1/orders/o-1/items",
			body: map[string]any{"items": []order.LineItem{{ProductID: "sku-2", Quantity: -1, UnitPrice: 1}}}, wantCode: 422, wantError: "VALIDATION_FAILED", wantField: "items[0].quantity"},
		{name: "add items with the current If-Match is 200", c: func(f *fixture) *client { return f.alice.with("If-Match", etag(v1)) },
			method: "POST", path: "/api/v1/orders/o-1/items", body: map[string]any{"items": []order.LineItem{{ProductID: "sku-2", Quantity: 1, UnitPrice: 100}}},
			wantCode: 200, check: etagIs(etag(v1 + 1))},
		{name: "a stale If-Match is 412", c: func(f *fixture) *client { return f.alice.with("If-Match", etag(v1)) },
			method: "POST", path: "/api/v1/orders/o-1/items", body: map[string]any{"items": []order.LineItem{item}},
			wantCode: 412, wantError: "VERSION_CONFLICT", wantField: "expectedVersion"},
		{name: "a malformed If-Match is 400", c: func(f *fixture) *client { return f.alice.with("If-Match", "abc") },
			method: "POST", path: "/api/v1/orders/o-1/items", body: map[string]any{"items": []order.LineItem{item}}, wantCode: 400, wantField: "If-Match", wantError: "BAD_REQUEST"},
		{name: "VERSION_CONFLICT without If-Match is 409", c: alice, method: "DELETE", path: "/api/v1/orders/o-1",
			setup: func(f *fixture) {
				f.kafka.set(func(k *fakeKafka) {
					k.reply = func(order.Command) (order.CommandResult, bool) {
						return order.CommandResult{Status: order.ResultRejected, Code: order.CodeVersionConflict, Message: "moved on"}, true
					}
				})
			}, wantCode: 409, wantError: "VERSION_CONFLICT"},
		{name: "update an item", c: alice, method: "PUT", path: "/api/v1/orders/o-1/items/sku-1", body: map[string]any{"quantity": 5},
			wantCode: 200, check: func(t *testing.T, _ *fixture, _ *http.Response, b []byte) {
				require.Equal(t, int64(5), decodeBytes[projections.View](t, b).Lines[0].Quantity)
			}},
		{name: "update an item without quantity is 400", c: alice, method: "PUT", path: "/api/v1/orders/o-1/items/sku-1", body: map[string]any{},
			wantCode: 400, wantError: "BAD_REQUEST", wantField: "quantity"},
		{name: "remove an item", c: alice, method: "DELETE", path: "/api/v1/orders/o-1/items/sku-2", wantCode: 200,
			check: func(t *testing.T, _ *fixture, _ *http.Response, b []byte) {
				require.Len(t, decodeBytes[projections.View](t, b).Lines, 1)
			}},
		{name: "update shipping and billing", c: alice, method: "PUT", path: "/api/v1/orders/o-1",
			body: map[string]any{"shipping": order.ShippingInput{RecipientName: "Alice", Address: address},
				"billing": order.BillingInput{Name: "Alice", Email: "a@example.com", Address: address}},
			wantCode: 200, check: func(t *testing.T, _ *fixture, _ *http.Response, b []byte) {
				v := decodeBytes[projections.View](t, b)
				require.NotNil(t, v.Shipping)
				require.NotNil(t, v.Billing)
			}},
		{name: "place the order", c: alice, method: "POST", path: "/api/v1/orders/o-1/place", wantCode: 200,
			check: func(t *testing.T, _ *fixture, _ *http.Response, b []byte) {
				require.Equal(t, order.StatusPlaced, decodeBytes[projections.View](t, b).Status)
			}},
		{name: "placing it again is 422", c: alice, method: "POST", path: "/api/v1/orders/o-1/place", wantCode: 422, wantError: "INVALID_TRANSITION"},
		{name: "a cancellation request needs a reason", c: alice, method: "POST", path: "/api/v1/orders/o-1/cancellation",
			body: map[string]any{}, wantCode: 400, wantError: "BAD_REQUEST", wantField: "reason"},
		{name: "ask to cancel the placed order", c: alice, method: "POST", path: "/api/v1/orders/o-1/cancellation",
			body: map[string]any{"reason": "found it cheaper"}, wantCode: 200,
			check: func(t *testing.T, _ *fixture, _ *http.Response, b []byte) {
				require.True(t, decodeBytes[projections.View](t, b).CancellationRequested)
			}},
		{name: "an empty update is 400", c: alice, method: "PUT", path: "/api/v1/orders/o-1", body: map[string]any{},
			wantCode: 400, wantError: "BAD_REQUEST", wantField: "shipping"},
		{name: "another customer's order is 404", c: bob, method: "POST", path: "/api/v1/orders/o-1/items",
			body: map[string]any{"items": []order.LineItem{item}}, wantCode: 404, wantError: "ORDER_NOT_FOUND"},
		{name: "ORDER_NOT_FOUND from the processor is 404", c: admin, method: "POST", path: "/api/v1/orders/nope/items",
			body: map[string]any{"items": []order.LineItem{item}}, wantCode: 404, wantError: "ORDER_NOT_FOUND"},
		{name: "a customer may not ship", c: alice, method: "POST", path: "/api/v1/orders/o-1/ship", wantCode: 403, wantError: "FORBIDDEN"},
		{name: "shipping a draft is 422", c: svc, method: "POST", path: "/api/v1/orders/o-1/ship", body: map[string]any{"carrier": "UPS"},
			wantCode: 422, wantError: "INVALID_TRANSITION"},
		{name: "a failed send is 503", c: alice, method: "POST", path: "/api/v1/orders/o-1/items",
			body:  map[string]any{"items": []order.LineItem{item}},
			setup: func(f *fixture) { f.kafka.set(func(k *fakeKafka) { k.sendErr = errors.New("broker down") }) }, wantCode: 503, wantError: "KAFKA_UNAVAILABLE"},
		{name: "no result in time is 504", c: alice, method: "POST", path: "/api/v1/orders/o-1/items",
			body:  map[string]any{"items": []order.LineItem{item}},
			setup: func(f *fixture) { f.kafka.set(func(k *fakeKafka) { k.noResult = true }) }, wantCode: 504, wantError: "TIMEOUT"},
		{name: "cancel with a reason", c: alice, method: "DELETE", path: "/api/v1/orders/o-2?reason=" + url.QueryEscape("changed my mind"), wantCode: 200,
			check: func(t *testing.T, _ *fixture, _ *http.Response, b []byte) {
				v := decodeBytes[projections.View](t, b)
				require.Equal(t, order.StatusCancelled, v.Status)
				require.Equal(t, "changed my mind", v.CancelReason)
			}},
	}
	run(t, f, steps)
	f.kafka.set(func(k *fakeKafka) {
		for _, c := range k.sent {
			require.Equal(t, c.Data.CommandType(), c.Type)
			require.NotEmpty(t, c.ID)
		}
	})
}

func TestAuthRefusesMissingAndInvalidTokens(t *testing.T) {
	f := newFixture(t)
	wrongKey, err := Token([]byte("other"), "alice", RoleCustomer)
	require.NoError(t, err)
	badRole, err := Token(testKey, "alice", "superuser")
	require.NoError(t, err)
	noSub, err := Token(testKey, "", RoleAdmin)
	require.NoError(t, err)
	// A token must not speak for orderlog's own services: their commands'
	// changes say triggerType SYSTEM.
	systemSub, err := Token(testKey, "system:saga", RoleAdmin)
	require.NoError(t, err)
	for name, tok := range map[string]string{"none": "", "garbage": "abc", "wrong key": wrongKey, "bad role": badRole, "no sub": noSub,
		"system subject": systemSub} {
		t.Run(name, func(t *testing.T) {
			c := &client{t: t, h: f.h, token: tok}
			for _, path := range []string{"/api/v1/orders", "/api/v1/orders/o-1", "/api/v1/events?type=ORDER_CREATED"} {
				w := c.do("GET", path, nil)
				require.Equal(t, http.StatusUnauthorized, w.Code, path)
				require.Equal(t, "UNAUTHORIZED", decode[Error](t, w).Code)
				require.NotEmpty(t, w.Header().Get("WWW-Authenticate"))
			}
		})
	}
	w := (&client{t: t, h: f.h}).do("GET", "/api/v1/openapi.json", nil)
	require.Equal(t, http.StatusOK, w.Code, "the OpenAPI document needs no token")
}

func TestNewNamesMissingConfig(t *testing.T) {
	_, err := New(Config{})
	require.ErrorContains(t, err, "Reader")
	require.ErrorContains(t, err, "Commands")
	require.ErrorContains(t, err, "Results")
	require.ErrorContains(t, err, "JWTKey")
}
