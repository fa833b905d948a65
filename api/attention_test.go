package api

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/projections"
)

// TestAttentionListsAHeldOrderUntilItIsApproved: an order flagged with a
// hold is on the list at once, for admins only, and leaves it when an
// admin approves it; the list is in the OpenAPI document.
func TestAttentionListsAHeldOrderUntilItIsApproved(t *testing.T) {
	f := newFixture(t)
	f.create("att-1")
	f.create("att-2")
	w := f.admin.do("POST", "/api/v1/orders/att-1/flags", map[string]any{"code": "HIGH_VALUE", "reason": "over the limit", "requiresApproval": true})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())

	for _, tc := range []struct {
		name string
		c    *client
		path string
		code int
	}{
		{"a customer may not read it", f.alice, "/api/v1/attention", http.StatusForbidden},
		{"nor a service (it quotes admin notes)", f.svc, "/api/v1/attention", http.StatusForbidden},
		{"a bad limit is named", f.admin, "/api/v1/attention?limit=x", http.StatusBadRequest},
		{"an admin reads it", f.admin, "/api/v1/attention", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.code, tc.c.do("GET", tc.path, nil).Code)
		})
	}
	l := decode[AttentionList](t, f.admin.do("GET", "/api/v1/attention", nil))
	require.Equal(t, int64(1), l.Total)
	require.Len(t, l.Orders, 1)
	it := l.Orders[0]
	require.Equal(t, "att-1", it.OrderID)
	require.Equal(t, "alice", it.CustomerID)
	require.Equal(t, projections.AttentionHeld, it.Reasons[0].Kind)
	require.Equal(t, "HIGH_VALUE", it.Reasons[0].Code)
	require.Equal(t, "over the limit", it.Reasons[0].Reason)
	require.False(t, it.Reasons[0].Since.IsZero())
	require.False(t, l.At.IsZero())

	one := decode[AttentionList](t, f.admin.do("GET", "/api/v1/attention?order=att-1", nil))
	require.Equal(t, l.Orders, one.Orders, "one order's entry is its entry in the list")
	none := decode[AttentionList](t, f.admin.do("GET", "/api/v1/attention?order=att-2", nil))
	require.Empty(t, none.Orders, "a draft without flags needs nothing")
	require.NotNil(t, none.Orders)
	require.Equal(t, http.StatusNotFound, f.admin.do("GET", "/api/v1/attention?order=nope", nil).Code)

	w = f.admin.do("POST", "/api/v1/orders/att-1/approval", map[string]any{"comment": "checked"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	l = decode[AttentionList](t, f.admin.do("GET", "/api/v1/attention", nil))
	require.Empty(t, l.Orders, "read your writes: the approval answered once the projection had it")
	require.Zero(t, l.Total)

	doc := OpenAPI()
	require.Contains(t, doc["paths"].(obj), "/attention")
}
