package projections

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
)

// stdJSON is what encoding/json's Encoder writes for v, without its newline.
func stdJSON(t *testing.T, v any) []byte {
	var b bytes.Buffer
	require.NoError(t, json.NewEncoder(&b).Encode(v))
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// The read models' JSON is encoding/json's byte for byte, whatever the
// arena encodes it with: every view and event of random histories, and
// events carrying what an upstream may send in a string.
func TestArenaJSONIsEncodingJSONs(t *testing.T) {
	a := newJSONArena()
	same := func(what string, v any) {
		t.Helper()
		got, err := a.marshal(v)
		require.NoError(t, err)
		require.Equal(t, string(stdJSON(t, v)), string(got), what)
	}
	for seed := range uint64(4) {
		h := genHistory(seed, 200, 60, time.Now())
		for _, id := range h.ids {
			var v View
			for _, e := range h.orders[id] {
				v = Evolve(v, e)
				same("event "+e.ID, e)
				same("view of "+id+" after "+string(e.Type), v)
			}
		}
		a.reset()
	}
	hostile := []string{
		"<script>alert('x') & \"quotes\"</script>",
		"invalid UTF-8: \xff\xfe\xc3",
		"line and paragraph separators: \u2028 \u2029",
		"controls: \x00 \x01 \x1f \x7f \t \n \r",
		"astral: 😀 and a lone surrogate's bytes \xed\xa0\x80",
		"backslash \\ and slash /",
		string(bytes.Repeat([]byte("long "), 20_000)),
	}
	at := time.Date(2026, 12, 2, 13, 0, 0, 123456789, time.UTC)
	for i, s := range hostile {
		e := order.Event{ID: s, OrderID: "o-" + s, Type: order.EvtCustomerNoteAdded, Seq: int64(i + 1), Time: at,
			Data:     order.CustomerNoteAdded{Text: s, Author: s},
			Metadata: map[string]string{"z": s, "a": "first", s: "key"}, UserID: s, CorrelationID: s}
		same("hostile event", e)
		var v View
		v.OrderID, v.CustomerID, v.Version = e.OrderID, s, e.Seq-1
		same("hostile view", Evolve(v, e))
	}
	same("event without data", order.Event{ID: "e", OrderID: "o", Type: order.EvtOrderCreated, Seq: 1, Time: at})
}
