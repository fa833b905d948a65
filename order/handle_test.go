package order_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
)

var decider = order.Decider{Policy: order.DefaultPolicy()}

// handle runs commands through Handle and fails the test on a rejection.
func handle(t *testing.T, s order.State, cmds ...order.Command) order.State {
	t.Helper()
	for _, c := range cmds {
		next, _, res := decider.Handle(s, c)
		require.Equal(t, order.ResultAccepted, res.Status, "%s: %s %s", c.Type, res.Code, res.Message)
		s = next
	}
	return s
}

func notes(n int) []order.Command {
	out := make([]order.Command, n)
	for i := range out {
		out[i] = cmd(order.RecordNotification{NotificationID: fmt.Sprintf("n-%d", i), Channel: "email", Template: "t"})
	}
	return out
}

// withoutTime drops what a result takes from its resend: the timestamp.
func withoutTime(r order.CommandResult) order.CommandResult {
	r.Time = t0
	return r
}

func TestHandleAnswersAnAcceptedCommandForTheOrdersLife(t *testing.T) {
	s := handle(t, order.State{}, created(order.LineItem{ProductID: "sku-1", Quantity: 1, UnitPrice: 100})...)
	first := cmd(order.AddCustomerNote{Text: "ring twice"})
	s, evs, res := decider.Handle(s, first)
	require.Equal(t, order.ResultAccepted, res.Status)
	require.Len(t, evs, 1)
	s = handle(t, s, notes(40)...) // past the old 32-command window

	next, again, dup := decider.Handle(s, first)
	assert.Equal(t, order.ResultDuplicate, dup.Status)
	assert.Equal(t, order.CodeDuplicateCommand, dup.Code)
	assert.Equal(t, res.Version, dup.Version, "the original version")
	assert.Equal(t, res.EventIDs, dup.EventIDs, "the original event ids")
	assert.Empty(t, again)
	assert.False(t, order.Changed(s, next), "nothing to write")
	assert.Equal(t, s, next)
	_, err := order.Decide(s, first)
	assert.ErrorAs(t, err, new(*order.Duplicate), "Decide answers from the memory too")
}

func TestHandleAnswersARejectedCommandWithItsRejection(t *testing.T) {
	s := handle(t, order.State{}, created()...)
	place := cmd(order.PlaceOrder{})
	s1, evs, res := decider.Handle(s, place)
	require.Equal(t, order.ResultRejected, res.Status)
	require.Equal(t, order.CodePreconditionFailed, res.Code, "placing needs an item")
	require.Empty(t, evs)
	require.True(t, order.Changed(s, s1), "the rejection is remembered in the state")
	require.Len(t, s1.Handled.Rejected, 1)

	// The order now has an item, so deciding again would accept: the
	// resend is answered with the original rejection instead.
	s2 := handle(t, s1, cmd(order.AddItems{Items: []order.LineItem{{ProductID: "a", Quantity: 1, UnitPrice: 5}}}))
	next, evs, again := decider.Handle(s2, place)
	assert.Equal(t, withoutTime(res), withoutTime(again), "the original result: REJECTED, code, field, message, version")
	assert.Empty(t, evs)
	assert.False(t, order.Changed(s2, next))
	assert.Equal(t, order.CodePreconditionFailed, order.CodeOf(func() error { _, err := order.Decide(s2, place); return err }()))

	// A rejection's field and message come back as they were.
	bad := cmd(order.AddItems{Items: []order.LineItem{{ProductID: "b", Quantity: 0, UnitPrice: 5}}})
	s3, _, r1 := decider.Handle(next, bad)
	_, _, r2 := decider.Handle(s3, bad)
	assert.Equal(t, "data.items[0].quantity", r2.Field)
	assert.Equal(t, withoutTime(r1), withoutTime(r2))
}

func TestHandleRemembersNothingWithoutAnOrderOrValidIDs(t *testing.T) {
	missing := cmd(order.AddCustomerNote{Text: "hi"})
	next, _, res := decider.Handle(order.State{}, missing)
	assert.Equal(t, order.CodeOrderNotFound, res.Code)
	assert.Equal(t, order.State{}, next, "no order, no memory")

	badCreate := cmd(order.CreateOrder{CustomerID: "c", Currency: "XXX"})
	next, _, res = decider.Handle(order.State{}, badCreate)
	assert.Equal(t, order.CodeValidationFailed, res.Code)
	assert.Equal(t, order.State{}, next)

	s := handle(t, order.State{}, created()...)
	long := cmd(order.AddCustomerNote{Text: "x"})
	long.ID = strings.Repeat("c", 300_000)
	next, _, res = decider.Handle(s, long)
	assert.Equal(t, "commandId", res.Field)
	assert.Equal(t, long.ID, res.CommandID, "the sender matches the result by it")
	assert.False(t, order.Changed(s, next), "a command without a valid id is not remembered")

	other := cmd(order.AddCustomerNote{Text: "x"})
	other.OrderID = "someone-else"
	next, _, res = decider.Handle(s, other)
	assert.Equal(t, "orderId", res.Field)
	assert.False(t, order.Changed(s, next), "nothing is remembered in another order's state")

	c := cmd(order.AddCustomerNote{Text: "x"})
	lim := order.LimitRejection(c, s, "event 1 (CUSTOMER_NOTE_ADDED) is 1200000 bytes, above the record limit of 1048576")
	assert.Equal(t, order.ResultRejected, lim.Status)
	assert.Equal(t, order.CodeLimitExceeded, lim.Code)
	assert.Equal(t, s.Version, lim.Version)
	assert.Contains(t, lim.Message, "too large for Kafka: event 1")
	_, _, res = decider.Handle(s, c)
	assert.Equal(t, order.ResultAccepted, res.Status, "a limit rejection is not remembered: a resend is decided again")
}

// TestHandleCarriesTheRecentWindowOver: a state written before the lifelong
// memory (folded with Evolve, so it has Recent) keeps answering the commands
// its window knew, for good.
func TestHandleCarriesTheRecentWindowOver(t *testing.T) {
	create := created()
	old := run(t, order.State{}, create...)
	require.Len(t, old.Recent, 1)
	require.Zero(t, old.Handled.Len())

	note := cmd(order.AddCustomerNote{Text: "hi"})
	s, _, res := decider.Handle(old, note)
	require.Equal(t, order.ResultAccepted, res.Status)
	assert.Empty(t, s.Recent, "the window is emptied")
	assert.Len(t, s.Handled.Accepted, 2, "the window's command and the new one")
	s = handle(t, s, notes(40)...)
	_, _, dup := decider.Handle(s, create[0])
	assert.Equal(t, order.ResultDuplicate, dup.Status)
	evs, err := order.Decide(order.State{}, create[0])
	require.NoError(t, err)
	assert.Equal(t, []string{evs[0].ID}, dup.EventIDs)

	// Even a command the window answers, alone, writes the carried-over memory.
	next, _, res := decider.Handle(old, create[0])
	assert.Equal(t, order.ResultDuplicate, res.Status)
	assert.True(t, order.Changed(old, next))
	assert.Equal(t, []order.AcceptedCommand{{Fingerprint: order.Fingerprint(create[0].ID), Version: 1, Events: 1}}, next.Handled.Accepted)
}

// TestRejectionsLeaveTheReserveToAcceptedCommands: rejections fill the state
// only up to the budget less the reserve; past it they are answered but not
// remembered, and accepted commands still fit.
func TestRejectionsLeaveTheReserveToAcceptedCommands(t *testing.T) {
	pol := order.DefaultPolicy()
	pol.MaxStateBytes, pol.StateReserveBytes = 8<<10, 2<<10
	d := order.Decider{Policy: pol}
	s, _, _ := d.Handle(order.State{}, created()[0])
	remembered := 0
	for i := range 200 {
		c := cmd(order.ApproveOrder{Comment: strings.Repeat("x", 100)})
		c.ID = fmt.Sprintf("reject-%d-%s", i, strings.Repeat("r", 100))
		next, _, res := d.Handle(s, c)
		require.Equal(t, order.CodePreconditionFailed, res.Code)
		if order.Changed(s, next) {
			remembered++
		}
		s = next
		require.LessOrEqual(t, order.EncodedSizeBound(s), pol.MaxStateBytes-pol.StateReserveBytes)
	}
	t.Logf("%d rejections remembered in a state of %d bytes", remembered, order.EncodedSizeBound(s))
	require.Positive(t, remembered)
	require.Less(t, remembered, 200, "the rejection share filled up")
	for range 20 {
		next, _, res := d.Handle(s, cmd(order.RecordNotification{NotificationID: "n", Channel: "email", Template: "t"}))
		require.Equal(t, order.ResultAccepted, res.Status, "%s %s", res.Code, res.Message)
		s = next
	}
}

// TestTheStateBudgetRefusesWhatWouldNotFit is the hostile order: every list
// filled to the policy's limits with the longest text. Each command is
// accepted until the state would outgrow its budget; then LIMIT_EXCEEDED
// names what fills it, and the state stays within the budget.
func TestTheStateBudgetRefusesWhatWouldNotFit(t *testing.T) {
	pol := order.DefaultPolicy()
	text := strings.Repeat("x", pol.MaxTextLen)
	s := handle(t, order.State{}, created()...)
	var refused order.CommandResult
	for i := 0; i < 1000 && refused.Code == ""; i++ {
		var d order.CommandData
		switch i % 4 {
		case 0:
			d = order.AddCustomerNote{Text: text}
		case 1:
			d = order.FlagOrder{Code: strings.Repeat("F", order.MaxLabelLen), Reason: text}
		case 2:
			d = order.AddItems{Items: []order.LineItem{{ProductID: fmt.Sprintf("p%d-%s", i, strings.Repeat("p", 200)), Name: text, Quantity: 1, UnitPrice: 1_000_000}}}
		default:
			d = order.ApplyDiscount{Description: text, FixedAmount: 1}
		}
		c := cmd(d)
		c.ID = fmt.Sprintf("%d-%s", i, strings.Repeat("c", order.MaxIDLen-10))
		next, _, res := decider.Handle(s, c)
		switch {
		case res.Code == order.CodeLimitExceeded && strings.Contains(res.Message, "budget"):
			refused = res
		case res.Status != order.ResultAccepted:
			require.Equal(t, order.CodeLimitExceeded, res.Code, "only a list full: %s", res.Message)
		}
		require.LessOrEqual(t, order.EncodedSizeBound(next), pol.MaxStateBytes)
		s = next
	}
	require.Equal(t, order.CodeLimitExceeded, refused.Code, "the budget was reached: state %d bytes, %d notes, %d flags, %d discounts, %d lines",
		order.EncodedSizeBound(s), len(s.Notes), len(s.Flags), len(s.Discounts), len(s.Lines))
	assert.Equal(t, "data", refused.Field)
	assert.Regexp(t, `^the order's state would take \d+ bytes, above its budget of 524288; its [a-z ]+ take \d+ bytes$`, refused.Message)
	t.Logf("refused at %d bytes: %s", order.EncodedSizeBound(s), refused.Message)
}

func TestChangedSaysWhetherToWrite(t *testing.T) {
	s := handle(t, order.State{}, created()...)
	next, _, _ := decider.Handle(s, cmd(order.AddCustomerNote{Text: "x"}))
	assert.True(t, order.Changed(s, next), "events")
	rej, _, _ := decider.Handle(next, cmd(order.ApproveOrder{}))
	assert.True(t, order.Changed(next, rej), "a remembered rejection")
	same, _, _ := decider.Handle(rej, cmd(order.AddCustomerNote{}))
	assert.True(t, order.Changed(rej, same), "another rejection")
	missing, _, _ := decider.Handle(order.State{}, cmd(order.PlaceOrder{}))
	assert.False(t, order.Changed(order.State{}, missing), "no order")
}

func TestFingerprintIsStable(t *testing.T) {
	// The fingerprint is part of the order.state contract: states written
	// today must be read the same way tomorrow.
	assert.Equal(t, int64(-396651440504697893), order.Fingerprint("cmd-1"))
	assert.NotEqual(t, order.Fingerprint("cmd-1"), order.Fingerprint("cmd-2"))
}
