package projections

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// Order and Version read under the prefix the pointer names whatever prefix
// the last call found (they guess it to read in one round trip), on the
// redis-server and on the cluster.
func TestReaderFollowsThePointerItGuesses(t *testing.T) {
	for name, rdb := range map[string]redis.UniversalClient{"server": testRedis(t), "cluster": testCluster(t)} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			old, fresh := testPrefix(t, rdb), testPrefix(t, rdb)
			pointer := old + "pointer"
			write := func(prefix string, version int64, customer string) {
				var v View
				v.OrderID, v.Version, v.CustomerID = "o-1", version, customer
				b, err := json.Marshal(v)
				require.NoError(t, err)
				require.NoError(t, rdb.HSet(ctx, keys{prefix}.order("o-1"), fieldView, b, fieldVersion, version).Err())
			}
			write(old, 3, "old")
			write(fresh, 7, "fresh")
			r, err := NewReader(ReaderConfig{Redis: rdb, Prefix: old, PointerKey: pointer})
			require.NoError(t, err)
			read := func(wantVersion int64, wantCustomer string) {
				t.Helper()
				v, err := r.Order(ctx, "o-1")
				require.NoError(t, err)
				require.Equal(t, wantCustomer, v.CustomerID)
				n, err := r.Version(ctx, "o-1")
				require.NoError(t, err)
				require.Equal(t, wantVersion, n)
			}
			read(3, "old") // no pointer: the configured prefix
			require.NoError(t, rdb.Set(ctx, pointer, fresh, 0).Err())
			read(7, "fresh") // guessed old, the pointer names fresh
			read(7, "fresh") // guessed fresh
			require.NoError(t, rdb.Set(ctx, pointer, old, 0).Err())
			read(3, "old")
			require.NoError(t, rdb.Del(ctx, pointer).Err())
			read(3, "old")

			_, err = r.Order(ctx, "absent")
			require.ErrorIs(t, err, ErrNotFound)
			n, err := r.Version(ctx, "absent")
			require.NoError(t, err)
			require.Zero(t, n)
		})
	}
}
