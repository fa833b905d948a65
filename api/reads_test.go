package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/projections"
)

// note adds a note to an order behind the API's back and waits until it is
// projected.
func (f *fixture) note(id string, data order.CommandData) {
	f.t.Helper()
	ctx := context.Background()
	c := order.Command{ID: newUUID(), Type: data.CommandType(), OrderID: id, UserID: "root", Data: data}
	require.NoError(f.t, f.kafka.Send(ctx, c))
	res, err := f.kafka.Wait(ctx, c.ID)
	require.NoError(f.t, err)
	require.Equal(f.t, order.ResultAccepted, res.Status, res.Message)
	_, err = f.side.reader.WaitForVersion(ctx, id, res.Version, 5*time.Second)
	require.NoError(f.t, err)
}

func TestReadsFollowTheRoleRules(t *testing.T) {
	onEachRedis(t, func(t *testing.T, rb redisBackend) {
		f := newFixtureOn(t, rb)
		before := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
		v1 := f.create("a-1")
		f.create("a-2")
		w := f.bob.do("POST", "/api/v1/orders", map[string]any{"orderId": "b-1", "currency": "USD"})
		require.Equal(t, 201, w.Code, w.Body.String())
		f.note("a-1", order.AddAdminNote{Text: "fraud check passed"})
		f.note("a-1", order.AddCustomerNote{Text: "leave at the door"})
		view := func(check func(t *testing.T, v projections.View)) func(*testing.T, *fixture, *http.Response, []byte) {
			return func(t *testing.T, _ *fixture, r *http.Response, b []byte) {
				v := decodeBytes[projections.View](t, b)
				require.Equal(t, etag(v.Version), r.Header.Get("ETag"))
				check(t, v)
			}
		}
		list := func(want ...string) func(*testing.T, *fixture, *http.Response, []byte) {
			return func(t *testing.T, _ *fixture, _ *http.Response, b []byte) {
				var ids []string
				for _, v := range decodeBytes[OrderList](t, b).Orders {
					ids = append(ids, v.OrderID)
				}
				require.ElementsMatch(t, want, ids)
			}
		}
		events := func(check func(t *testing.T, evs []order.Event)) func(*testing.T, *fixture, *http.Response, []byte) {
			return func(t *testing.T, _ *fixture, _ *http.Response, b []byte) {
				var raw struct {
					Events []map[string]any `json:"events"`
				}
				require.NoError(t, jsonUnmarshal(b, &raw))
				evs := make([]order.Event, len(raw.Events))
				for i, e := range raw.Events {
					evs[i] = order.Event{OrderID: e["orderId"].(string), Type: order.EventType(e["eventType"].(string)), Seq: int64(e["sequenceNumber"].(float64))}
				}
				check(t, evs)
			}
		}
		hasType := func(evs []order.Event, typ order.EventType) bool {
			for _, e := range evs {
				if e.Type == typ {
					return true
				}
			}
			return false
		}
		steps := []step{
			{name: "a customer reads its order without admin notes", c: alice, method: "GET", path: "/api/v1/orders/a-1", wantCode: 200,
				check: view(func(t *testing.T, v projections.View) {
					require.Len(t, v.Notes, 1)
					require.False(t, v.Notes[0].Admin)
				})},
			{name: "an admin sees admin notes", c: admin, method: "GET", path: "/api/v1/orders/a-1", wantCode: 200,
				check: view(func(t *testing.T, v projections.View) { require.Len(t, v.Notes, 2) })},
			{name: "a service sees no admin notes", c: svc, method: "GET", path: "/api/v1/orders/a-1", wantCode: 200,
				check: view(func(t *testing.T, v projections.View) { require.Len(t, v.Notes, 1) })},
			{name: "another customer's order is 404", c: bob, method: "GET", path: "/api/v1/orders/a-1", wantCode: 404, wantError: "ORDER_NOT_FOUND"},
			{name: "an absent order is 404", c: admin, method: "GET", path: "/api/v1/orders/none", wantCode: 404, wantError: "ORDER_NOT_FOUND"},
			{name: "time travel to a version", c: alice, method: "GET", path: "/api/v1/orders/a-1?version=1", wantCode: 200,
				check: view(func(t *testing.T, v projections.View) {
					require.Equal(t, int64(1), v.Version)
					require.Empty(t, v.Notes)
				})},
			{name: "time travel to the version of the create", c: alice, method: "GET", path: "/api/v1/orders/a-1?version=" + etagNum(v1), wantCode: 200,
				check: view(func(t *testing.T, v projections.View) { require.Len(t, v.Lines, 1) })},
			{name: "a version not reached is 404 naming the current version", c: alice, method: "GET", path: "/api/v1/orders/a-1?version=99",
				wantCode: 404, wantError: "VERSION_NOT_FOUND", wantField: "version",
				check: func(t *testing.T, _ *fixture, _ *http.Response, b []byte) {
					v, err := f.side.reader.Order(context.Background(), "a-1")
					require.NoError(t, err)
					require.Contains(t, decodeBytes[Error](t, b).Message, fmt.Sprintf("its current version is %d", v.Version))
				}},
			{name: "a version past the end of another customer's order is the same 404 as none", c: bob, method: "GET", path: "/api/v1/orders/a-1?version=99",
				wantCode: 404, wantError: "ORDER_NOT_FOUND"},
			{name: "a bad version is 400", c: alice, method: "GET", path: "/api/v1/orders/a-1?version=x", wantCode: 400, wantError: "BAD_REQUEST", wantField: "version"},
			{name: "time travel to now", c: alice, method: "GET", path: "/api/v1/orders/a-1?at=" + url.QueryEscape(time.Now().Add(time.Minute).Format(time.RFC3339Nano)), wantCode: 200,
				check: view(func(t *testing.T, v projections.View) { require.Len(t, v.Notes, 1) })},
			{name: "before the order existed is 404", c: alice, method: "GET", path: "/api/v1/orders/a-1?at=" + url.QueryEscape(before), wantCode: 404},
			{name: "a bad time is 400", c: alice, method: "GET", path: "/api/v1/orders/a-1?at=yesterday", wantCode: 400, wantError: "BAD_REQUEST", wantField: "at"},
			{name: "time travel into another customer's order is 404", c: bob, method: "GET", path: "/api/v1/orders/a-1?version=1", wantCode: 404},
			{name: "a customer lists its own orders", c: alice, method: "GET", path: "/api/v1/orders", wantCode: 200, check: list("a-1", "a-2")},
			{name: "a customer may not list another's", c: alice, method: "GET", path: "/api/v1/orders?customer=bob", wantCode: 403, wantError: "FORBIDDEN", wantField: "customer"},
			{name: "an admin lists all", c: admin, method: "GET", path: "/api/v1/orders", wantCode: 200, check: list("a-1", "a-2", "b-1")},
			{name: "an admin lists a customer's", c: admin, method: "GET", path: "/api/v1/orders?customer=bob", wantCode: 200, check: list("b-1")},
			{name: "by status", c: svc, method: "GET", path: "/api/v1/orders?status=DRAFT", wantCode: 200, check: list("a-1", "a-2", "b-1")},
			{name: "by customer and status", c: alice, method: "GET", path: "/api/v1/orders?status=SHIPPED", wantCode: 200, check: list()},
			{name: "an unknown status is 400", c: svc, method: "GET", path: "/api/v1/orders?status=LOST", wantCode: 400, wantField: "status", wantError: "BAD_REQUEST"},
			{name: "a bad limit is 400", c: admin, method: "GET", path: "/api/v1/orders?limit=0", wantCode: 400, wantField: "limit", wantError: "BAD_REQUEST"},
			{name: "a bad cursor is 400", c: admin, method: "GET", path: "/api/v1/orders?cursor=%21%21", wantCode: 400, wantField: "cursor", wantError: "BAD_REQUEST"},
			{name: "status", c: alice, method: "GET", path: "/api/v1/orders/a-1/status", wantCode: 200,
				check: func(t *testing.T, _ *fixture, _ *http.Response, b []byte) {
					s := decodeBytes[OrderStatus](t, b)
					require.Equal(t, order.StatusDraft, s.Status)
					require.Equal(t, "a-1", s.OrderID)
				}},
			{name: "another customer's status is 404", c: bob, method: "GET", path: "/api/v1/orders/a-1/status", wantCode: 404},
			{name: "the audit trail without admin notes", c: alice, method: "GET", path: "/api/v1/orders/a-1/events", wantCode: 200,
				check: events(func(t *testing.T, evs []order.Event) {
					require.NotEmpty(t, evs)
					require.Equal(t, int64(1), evs[0].Seq)
					require.False(t, hasType(evs, order.EvtAdminNoteAdded))
					require.True(t, hasType(evs, order.EvtCustomerNoteAdded))
				})},
			{name: "the audit trail for an admin", c: admin, method: "GET", path: "/api/v1/orders/a-1/events?from=2", wantCode: 200,
				check: events(func(t *testing.T, evs []order.Event) {
					require.Equal(t, int64(2), evs[0].Seq)
					require.True(t, hasType(evs, order.EvtAdminNoteAdded))
				})},
			{name: "a bad from is 400", c: admin, method: "GET", path: "/api/v1/orders/a-1/events?from=x", wantCode: 400, wantField: "from", wantError: "BAD_REQUEST"},
			{name: "another customer's trail is 404", c: bob, method: "GET", path: "/api/v1/orders/a-1/events", wantCode: 404},
			{name: "events by type", c: svc, method: "GET", path: "/api/v1/events?type=ORDER_CREATED&from=" + url.QueryEscape(before), wantCode: 200,
				check: events(func(t *testing.T, evs []order.Event) { require.Len(t, evs, 3) })},
			{name: "events by type in an empty window", c: admin, method: "GET", path: "/api/v1/events?type=ORDER_CREATED&to=" + url.QueryEscape(before), wantCode: 200,
				check: events(func(t *testing.T, evs []order.Event) { require.Empty(t, evs) })},
			{name: "events by type need a type", c: admin, method: "GET", path: "/api/v1/events", wantCode: 400, wantField: "type", wantError: "BAD_REQUEST"},
			{name: "an unknown type is 400", c: admin, method: "GET", path: "/api/v1/events?type=NOPE", wantCode: 400, wantField: "type", wantError: "BAD_REQUEST"},
			{name: "a bad from time is 400", c: admin, method: "GET", path: "/api/v1/events?type=ORDER_CREATED&from=x", wantCode: 400, wantField: "from", wantError: "BAD_REQUEST"},
			{name: "a customer may not read events by type", c: alice, method: "GET", path: "/api/v1/events?type=ORDER_CREATED", wantCode: 403, wantError: "FORBIDDEN"},
			{name: "only an admin reads admin notes by type", c: svc, method: "GET", path: "/api/v1/events?type=ADMIN_NOTE_ADDED", wantCode: 403, wantError: "FORBIDDEN"},
		}
		run(t, f, steps)
	})
}

func etagNum(v int64) string { return unquote(etag(v)) }

func TestListPagesWithACursor(t *testing.T) {
	onEachRedis(t, func(t *testing.T, rb redisBackend) {
		f := newFixtureOn(t, rb)
		for _, id := range []string{"p-1", "p-2", "p-3"} {
			f.create(id)
			// The list is ordered by createdAt in ms: the next order must
			// be created in a later millisecond than this one.
			for ms := time.Now().UnixMilli(); time.Now().UnixMilli() <= ms; {
				runtime.Gosched()
			}
		}
		var seen []string
		path := "/api/v1/orders?limit=2"
		for range 3 {
			w := f.alice.do("GET", path, nil)
			require.Equal(t, 200, w.Code, w.Body.String())
			pg := decode[OrderList](t, w)
			for _, v := range pg.Orders {
				seen = append(seen, v.OrderID)
			}
			if pg.Next == "" {
				break
			}
			path = "/api/v1/orders?limit=2&cursor=" + url.QueryEscape(pg.Next)
		}
		require.Equal(t, []string{"p-3", "p-2", "p-1"}, seen)
	})
}
