package api

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
)

// A body's problems are answered in the body's terms: its size (413), one
// JSON value, the JSON type a field must have.
func TestBodyErrorsSayWhatToDo(t *testing.T) {
	f := newFixture(t)
	f.create("e-1")
	noGoNames := func(t *testing.T, _ *fixture, _ *http.Response, b []byte) {
		msg := decodeBytes[Error](t, b).Message
		for _, goName := range []string{"api.", "order.", "struct", "[]", "int64", "unexpected EOF"} {
			require.NotContains(t, msg, goName)
		}
	}
	messageIs := func(want string) func(*testing.T, *fixture, *http.Response, []byte) {
		return func(t *testing.T, f *fixture, r *http.Response, b []byte) {
			noGoNames(t, f, r, b)
			require.Equal(t, want, decodeBytes[Error](t, b).Message)
		}
	}
	big := `{"currency":"USD","orderNumber":"` + strings.Repeat("x", MaxBodyBytes) + `"}`
	run(t, f, []step{
		{name: "a body over the limit is 413", c: alice, method: "POST", path: "/api/v1/orders", body: big,
			wantCode: 413, wantError: "BODY_TOO_LARGE", wantField: "body", check: noGoNames},
		{name: "a second JSON value is 400", c: alice, method: "POST", path: "/api/v1/orders", body: `{"currency":"USD"} {"currency":"EUR"}`,
			wantCode: 400, wantError: "BAD_REQUEST", wantField: "body", check: noGoNames},
		{name: "trailing bytes are 400", c: alice, method: "POST", path: "/api/v1/orders/e-1/items", body: `{"items":[]}x`,
			wantCode: 400, wantError: "BAD_REQUEST", wantField: "body", check: noGoNames},
		{name: "trailing space is fine", c: alice, method: "POST", path: "/api/v1/orders/e-1/notes", body: "{\"kind\":\"customer\",\"text\":\"hi\"}\n \n",
			wantCode: 200},
		{name: "an array body names the JSON types", c: alice, method: "POST", path: "/api/v1/orders", body: `[{"currency":"USD"}]`,
			wantCode: 400, wantError: "BAD_REQUEST", wantField: "body", check: messageIs("the body must be an object, not array")},
		{name: "a string body", c: admin, method: "POST", path: "/api/v1/orders/e-1/flags", body: `"flag it"`,
			wantCode: 400, wantError: "BAD_REQUEST", wantField: "body", check: messageIs("the body must be an object, not string")},
		{name: "a field of the wrong JSON type", c: alice, method: "POST", path: "/api/v1/orders/e-1/items", body: `{"items":{"productId":"x"}}`,
			wantCode: 400, wantError: "BAD_REQUEST", wantField: "items", check: messageIs("items must be an array, not object")},
		{name: "a nested field", c: alice, method: "POST", path: "/api/v1/orders", body: `{"currency":"USD","items":[{"productId":"x","quantity":"two"}]}`,
			wantCode: 400, wantError: "BAD_REQUEST", wantField: "items.quantity", check: messageIs("items.quantity must be an integer, not string")},
		{name: "a body cut short", c: alice, method: "POST", path: "/api/v1/orders", body: `{"currency":"USD"`,
			wantCode: 400, wantError: "BAD_REQUEST", wantField: "body", check: messageIs("the JSON body ends before its value does")},
		{name: "an orderId in the path beyond the limits", c: admin, method: "POST", path: "/api/v1/orders/" + strings.Repeat("o", 65) + "/approval",
			wantCode: 400, wantError: "BAD_REQUEST", wantField: "orderId"},
	})
}

// A customer learns nothing of another customer's order: reading it,
// writing it and creating an order under its id are all answered as for a
// missing order.
func TestACustomerNeverLearnsWhetherAnothersOrderExists(t *testing.T) {
	f := newFixture(t)
	f.create("n-1") // alice's
	missing := func(c *client, method, path string, body any) string {
		w := c.do(method, path, body)
		require.Equal(t, http.StatusNotFound, w.Code, w.Body.String())
		require.Empty(t, w.Header().Get("ETag"))
		return strings.ReplaceAll(w.Body.String(), "n-0", "n-1")
	}
	create := func(id string) map[string]any {
		return map[string]any{"orderId": id, "currency": "USD", "items": []order.LineItem{item}}
	}
	for _, tc := range []struct {
		name         string
		method, path string
		body         func(id string) any
	}{
		{"read", "GET", "/api/v1/orders/%s", nil},
		{"read a version", "GET", "/api/v1/orders/%s?version=99", nil},
		{"status", "GET", "/api/v1/orders/%s/status", nil},
		{"events", "GET", "/api/v1/orders/%s/events", nil},
		{"add items", "POST", "/api/v1/orders/%s/items", func(string) any { return map[string]any{"items": []order.LineItem{item}} }},
		{"note", "POST", "/api/v1/orders/%s/notes", func(string) any { return map[string]any{"kind": "customer", "text": "hi"} }},
		{"return", "POST", "/api/v1/orders/%s/returns", func(string) any {
			return map[string]any{"items": []order.ItemQuantity{{ProductID: "sku-1", Quantity: 1}}, "reason": "r"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b0, b1 any
			if tc.body != nil {
				b0, b1 = tc.body("n-0"), tc.body("n-1")
			}
			absent := missing(f.bob, tc.method, strings.ReplaceAll(tc.path, "%s", "n-0"), b0)
			taken := missing(f.bob, tc.method, strings.ReplaceAll(tc.path, "%s", "n-1"), b1)
			require.JSONEq(t, absent, taken)
		})
	}
	t.Run("create under a taken id", func(t *testing.T) {
		w := f.bob.do("POST", "/api/v1/orders", create("n-1"))
		require.Equal(t, http.StatusNotFound, w.Code, w.Body.String())
		require.Empty(t, w.Header().Get("ETag"))
		require.JSONEq(t, missing(f.bob, "GET", "/api/v1/orders/n-0", nil), w.Body.String())
		w = f.alice.do("POST", "/api/v1/orders", create("n-1"))
		require.Equal(t, http.StatusUnprocessableEntity, w.Code, "the owner is told: %s", w.Body.String())
		require.Equal(t, string(order.CodeOrderAlreadyExists), decode[Error](t, w).Code)
	})
}

// The OpenAPI document's orderId rule is the processor's: the same ids pass.
func TestOrderIDSchemaIsTheProcessorsRule(t *testing.T) {
	s := orderIDSchema()
	re := regexp.MustCompile(s["pattern"].(string))
	for _, id := range []string{"o-1", "A.b_c~d:e@f", "9", "-lead", ".x", "a b", "a/b", "ä", "a;b", "", strings.Repeat("x", 64), strings.Repeat("x", 65)} {
		docSays := re.MatchString(id) && len(id) <= s["maxLength"].(int) && len(id) >= s["minLength"].(int)
		require.Equal(t, order.ValidateOrderID(id) == nil, docSays, "%q", id)
	}
}
