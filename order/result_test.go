package order_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
)

func TestResultOf(t *testing.T) {
	s := draft(t)
	c := cmd(order.PlaceOrder{})
	evs, err := order.Decide(s, c)
	require.NoError(t, err)
	r := order.ResultOf(c, s.Version, evs, nil)
	assert.Equal(t, order.ResultAccepted, r.Status)
	assert.Equal(t, evs[len(evs)-1].Seq, r.Version)
	assert.Len(t, r.EventIDs, len(evs))

	for _, e := range evs {
		s = order.Evolve(s, e)
	}
	_, err = order.Decide(s, c)
	d := order.ResultOf(c, s.Version, nil, err)
	assert.Equal(t, order.ResultDuplicate, d.Status)
	assert.Equal(t, r.EventIDs, d.EventIDs, "a duplicate gets the original event ids")
	assert.Equal(t, r.Version, d.Version)
	assert.Equal(t, order.CodeDuplicateCommand, d.Code)
	assert.NotContains(t, d.Message, string(order.CodeDuplicateCommand), "the code is in Code; the message does not repeat it")
	assert.Contains(t, d.Message, "was already applied at version")

	_, err = order.Decide(s, cmd(order.AddItems{}))
	rej := order.ResultOf(c, s.Version, nil, err)
	assert.Equal(t, order.ResultRejected, rej.Status)
	assert.Equal(t, order.CodeInvalidTransition, rej.Code)
	assert.Equal(t, s.Version, rej.Version)

	other := order.ResultOf(c, 3, nil, errors.New("boom"))
	assert.Equal(t, order.ResultRejected, other.Status)
	assert.Equal(t, "boom", other.Message)
}
