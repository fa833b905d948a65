package processor

import (
	"testing"

	"github.com/orderlog/orderlog/order"
)

// TestApplySkipsAPartitionAssignedAgainMeanwhile: a batch's states go into
// the store it decided from, never into the store of a later assignment of
// the same partition (restored from order.state, so as new or newer).
func TestApplySkipsAPartitionAssignedAgainMeanwhile(t *testing.T) {
	for _, reassigned := range []bool{false, true} {
		st := newStores(NewMemStore)
		st.assign([]int32{0})
		st.markRestored(0)
		_, gen, ok := st.getGen(0)
		if !ok {
			t.Fatal("partition 0 not restored")
		}
		k := orderKey{0, "o-1"}
		b := &batch{h: &handler{stores: st}, overlay: map[orderKey]order.State{k: {OrderID: "o-1", Version: 3}},
			touched: []orderKey{k}, gens: map[int32]uint64{0: gen}}
		if reassigned {
			st.drop([]int32{0})
			st.assign([]int32{0})
			st.markRestored(0)
		}
		b.apply()
		store, _ := st.get(0)
		got, found := store.Get("o-1")
		if reassigned && found {
			t.Errorf("the batch wrote version %d into the store of a later assignment", got.Version)
		}
		if !reassigned && (!found || got.Version != 3) {
			t.Errorf("the batch's state was not applied: %+v %v", got, found)
		}
	}
}
