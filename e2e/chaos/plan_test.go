package chaos

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/e2e/internal/chaoskit"
	"github.com/orderlog/orderlog/order"
)

// The plan needs no broker: its shape and its predictions are checked here,
// so a change in the rules that breaks the load shows up without the bed.
func TestPlanHasFullLifecyclesRejectionsAndDuplicates(t *testing.T) {
	p, err := chaoskit.NewPlan("plan", defaultOrders, window, rand.New(rand.NewPCG(1, 2)))
	require.NoError(t, err)
	assert.Equal(t, defaultOrders, p.Orders)
	assert.GreaterOrEqual(t, len(p.Sends), 20_000)
	status := map[order.ResultStatus]int{}
	codes := map[order.Code]int{}
	for _, s := range p.Sends {
		status[s.Want]++
		codes[s.Code]++
	}
	t.Logf("%d records: %v %v", len(p.Sends), status, codes)
	assert.Equal(t, 9*defaultOrders, status[order.ResultAccepted], "every lifecycle command is accepted")
	assert.Positive(t, status[order.ResultDuplicate])
	for _, c := range []order.Code{order.CodeOrderAlreadyExists, order.CodeInvalidTransition, order.CodeVersionConflict, order.CodeOrderNotFound} {
		assert.Positive(t, codes[c], "some commands are rejected with %s", c)
	}
	// Each order's records keep their order in the interleaving.
	next := map[string]int{}
	for _, s := range p.Sends {
		id := s.Cmd.OrderID
		require.Same(t, p.ByOrder[id][next[id]], s, "order %s record %d", id, next[id])
		next[id]++
	}
}
