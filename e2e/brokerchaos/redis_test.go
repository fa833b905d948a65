package brokerchaos

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/orderlog/orderlog/e2e/internal/chaoskit"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/projections"
	"github.com/orderlog/orderlog/topics"
)

// checkRedis waits until the projector has every order at the version of
// its log, then compares each order's view with projections.Fold of its
// events: version, status, totals and last event id.
func checkRedis(ctx context.Context, t *testing.T, brokers []string, adm *kadm.Client, names topics.Names,
	addr, prefix, pointer string) []string {
	t.Helper()
	require.NoError(t, chaoskit.WaitStable(ctx, adm, names.Events))
	recs, err := chaoskit.ReadAll(ctx, brokers, adm, names.Events)
	require.NoError(t, err)
	serde := chaoskit.Serdes(t)
	byOrder := map[string][]order.Event{}
	for _, r := range recs {
		e, err := serde.Events.Decode(r.Value)
		require.NoError(t, err)
		byOrder[e.OrderID] = append(byOrder[e.OrderID], e)
	}
	rdb := projections.NewRedis(projections.RedisSettings{Addrs: []string{addr}, Mode: projections.RedisStandalone})
	defer rdb.Close()
	rd, err := projections.NewReader(projections.ReaderConfig{Redis: rdb, Prefix: prefix, PointerKey: pointer})
	require.NoError(t, err)

	behind := func() (n int, example string) {
		for id, evs := range byOrder {
			v, err := rd.Version(ctx, id)
			if err != nil || v != int64(len(evs)) {
				n++
				example = fmt.Sprintf("order %s at version %d of %d (%v)", id, v, len(evs), err)
			}
		}
		return n, example
	}
	var n int
	var ex string
	if !chaoskit.Await(90*time.Second, 500*time.Millisecond, func() bool { n, ex = behind(); return n == 0 }, nil) {
		return []string{fmt.Sprintf("redis: %d orders behind their log 90 s after the drain, e.g. %s", n, ex)}
	}
	var problems []string
	for id, evs := range byOrder {
		want := projections.Fold(evs)
		got, err := rd.Order(ctx, id)
		if err != nil {
			problems = append(problems, fmt.Sprintf("redis: order %s: %v", id, err))
			continue
		}
		if got.Version != want.Version || got.Status != want.Status || !reflect.DeepEqual(got.Totals, want.Totals) || got.LastEventID != want.LastEventID {
			problems = append(problems, fmt.Sprintf("redis: order %s is version %d %s totals %+v last %s; the fold: version %d %s totals %+v last %s",
				id, got.Version, got.Status, got.Totals, got.LastEventID, want.Version, want.Status, want.Totals, want.LastEventID))
		}
	}
	t.Logf("redis: %d orders equal the fold of their events", len(byOrder)-len(problems))
	return problems
}
