package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
)

// An orderId the processor would refuse (too long, a '/' or a space) is a
// 400 naming orderId, before any command is sent.
func TestAnOrderIDBeyondTheLimitsIsA400NamingIt(t *testing.T) {
	f := newFixture(t)
	for _, id := range []string{strings.Repeat("o", 5000), "a b", "semi;colon"} {
		w := f.alice.do("POST", "/api/v1/orders", map[string]any{"orderId": id, "currency": "USD", "items": []order.LineItem{item}})
		require.Equal(t, http.StatusBadRequest, w.Code, w.Body.String())
		var body struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		}
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body), w.Body.String())
		assert.Equal(t, "orderId", body.Field, w.Body.String())
		assert.Less(t, len(body.Message), 1000, "the message does not echo a long id")
	}
}
