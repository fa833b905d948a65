package order_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
)

// TestDecideRefusesAStateAboveTheBudget: Decide alone (without Handle)
// refuses a command whose resulting state could encode to more than the
// policy's budget, naming what fills the state; commands that fit go on.
func TestDecideRefusesAStateAboveTheBudget(t *testing.T) {
	pol := order.DefaultPolicy()
	pol.MaxStateBytes = 32 << 10
	d := order.Decider{Policy: pol}
	s := run(t, order.State{}, created()...)
	text := strings.Repeat("n", pol.MaxTextLen)
	var refused error
	for i := 0; i < 100 && refused == nil; i++ {
		evs, err := d.Decide(s, cmd(order.AddCustomerNote{Text: text}))
		if err != nil {
			refused = err
			break
		}
		for _, e := range evs {
			s = order.Evolve(s, e)
		}
		require.LessOrEqual(t, order.EncodedSizeBound(s), pol.MaxStateBytes)
	}
	var rej *order.Rejection
	require.ErrorAs(t, refused, &rej)
	assert.Equal(t, order.CodeLimitExceeded, rej.Code)
	assert.Equal(t, "data", rej.Field)
	assert.Regexp(t, `^the order's state would take \d+ bytes, above its budget of 32768; its notes take \d+ bytes$`, rej.Message)
	_, err := d.Decide(s, cmd(order.AddCustomerNote{Text: "short"}))
	assert.NoError(t, err, "a smaller command still fits")
	_, err = d.Decide(s, cmd(order.CancelOrder{Reason: "done"}))
	assert.NoError(t, err)
}

// TestZeroBudgetMeansTheDefault: a policy built without the budget (zero)
// gets the default one, not a budget of zero bytes.
func TestZeroBudgetMeansTheDefault(t *testing.T) {
	pol := order.DefaultPolicy()
	pol.MaxStateBytes, pol.StateReserveBytes = 0, 0
	d := order.Decider{Policy: pol}
	s := run(t, order.State{}, created()...)
	for range 40 { // some 80 KB of notes
		evs, err := d.Decide(s, cmd(order.AddCustomerNote{Text: strings.Repeat("n", pol.MaxTextLen)}))
		require.NoError(t, err)
		s = order.Evolve(s, evs[0])
	}
	assert.Greater(t, order.EncodedSizeBound(s), 64<<10)
	assert.Equal(t, 512<<10, order.DefaultMaxStateBytes)
}
