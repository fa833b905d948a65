package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/dashboard"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/projections"
	"github.com/orderlog/orderlog/schemas"
)

// TestDashboardPageIsServedWithoutAToken: the page and its files hold no
// data, so they need no token; the data endpoint does.
func TestDashboardPageIsServedWithoutAToken(t *testing.T) {
	h := offlineServer(t).Handler()
	for _, tc := range []struct {
		path, contentType string
		code              int
	}{
		{"/dashboard", "text/html; charset=utf-8", 200},
		{"/dashboard/", "text/html; charset=utf-8", 200},
		{"/dashboard/dashboard.js", "text/javascript; charset=utf-8", 200},
		{"/dashboard/dashboard.css", "text/css; charset=utf-8", 200},
		{"/dashboard/nope.js", "", 404},
	} {
		t.Run(tc.path, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", tc.path, nil))
			require.Equal(t, tc.code, w.Code, w.Body.String())
			require.Contains(t, w.Header().Get("Content-Security-Policy"), "default-src 'self'")
			if tc.contentType != "" {
				require.Equal(t, tc.contentType, w.Header().Get("Content-Type"))
			}
		})
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/dashboard", nil))
	require.Contains(t, w.Body.String(), `<script src="/dashboard/dashboard.js" defer></script>`)
}

func TestDashboardDataWantsAdminOrService(t *testing.T) {
	h := offlineServer(t).Handler()
	require.Equal(t, http.StatusUnauthorized, (&client{t: t, h: h}).do("GET", "/api/v1/dashboard", nil).Code)
	require.Equal(t, http.StatusForbidden, as(t, h, "alice", RoleCustomer).do("GET", "/api/v1/dashboard", nil).Code)
}

// TestDashboardDataIsWhatTheProjectionHolds runs the projector on kfake
// into miniredis, makes orders through the API and compares the dashboard
// body with the Reader's counters.
func TestDashboardDataIsWhatTheProjectionHolds(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { rdb.Close() })
	brokers, names := cluster(t)
	serde, err := schemas.NewEvents(context.Background())
	require.NoError(t, err)
	p, err := projections.New(projections.Config{Brokers: brokers, Group: "projector", Topic: names.Events, Events: serde,
		Redis: rdb, Logger: testLogger(), RetryBackoff: 50 * time.Millisecond, MaxRetryBackoff: 200 * time.Millisecond})
	require.NoError(t, err)
	runBackground(t, p.Run)
	reader, err := projections.NewReader(projections.ReaderConfig{Redis: rdb})
	require.NoError(t, err)
	side := &readSide{brokers: brokers, names: names, reader: reader, events: serde}
	fk := newFakeKafka(t, side)
	srv, err := New(Config{Reader: reader, Commands: fk, Results: fk, JWTKey: testKey, Logger: testLogger(),
		Queues: fixedQueues{lag: 3, dlq: 1}})
	require.NoError(t, err)
	h := srv.Handler()
	f := &fixture{t: t, h: h, kafka: fk, side: side, alice: as(t, h, "alice", RoleCustomer), admin: as(t, h, "root", RoleAdmin)}
	f.create("o-1")
	v := f.create("o-2")
	w := f.alice.with("If-Match", etag(v)).do("DELETE", "/api/v1/orders/o-2?reason=oops", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())

	for _, c := range []*client{f.admin, as(t, h, "saga", RoleService)} {
		w := c.do("GET", "/api/v1/dashboard", nil)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		s := decode[dashboard.Snapshot](t, w)
		want, err := reader.Counters(context.Background())
		require.NoError(t, err)
		require.Equal(t, int64(1), s.OrdersByStatus[order.StatusDraft])
		require.Equal(t, int64(1), s.OrdersByStatus[order.StatusCancelled])
		for st, n := range want.OrdersByStatus {
			require.Equal(t, n, s.OrdersByStatus[st], "status %s", st)
		}
		require.Equal(t, int64(2), s.TotalOrders)
		var events, versions int64
		for _, m := range s.EventsPerMinute {
			events += m.Total
		}
		require.Len(t, s.RecentOrders, 2)
		for _, o := range s.RecentOrders {
			versions += o.Version
		}
		require.Equal(t, versions, events, "every event of both orders, in the last hour")
		require.Equal(t, "o-2", s.RecentOrders[0].OrderID, "newest first")
		require.Equal(t, order.StatusCancelled, s.RecentOrders[0].Status)
		require.Equal(t, int64(3), *s.ProjectionLag)
		require.Equal(t, int64(1), *s.DLQSize)
		require.Empty(t, s.Problems)
		require.NotNil(t, s.Charts, "the queues keep charts, as a dashboard.Sampler does")
	}
}

type fixedQueues struct{ lag, dlq int64 }

func (q fixedQueues) ProjectionLag(context.Context) (int64, error) { return q.lag, nil }
func (q fixedQueues) DLQSize(context.Context) (int64, error)       { return q.dlq, nil }

// Charts makes fixedQueues a dashboard.ChartSource, as the api role's
// dashboard.Sampler is.
func (q fixedQueues) Charts(time.Time) dashboard.Charts { return dashboard.Charts{} }
