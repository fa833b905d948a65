package order_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
)

func TestTotalsAreRecomputedFromLines(t *testing.T) {
	s := run(t, draft(t), cmd(order.ApplyDiscount{Code: "WELCOME10"}), cmd(order.PlaceOrder{}))
	// 2 x 19.99 = 39.98; 10% off = 4.00 (3.998 rounded); NY tax 8.875% of
	// 35.98 = 3.19; standard shipping 5.00.
	assert.Equal(t, order.Totals{Subtotal: 3998, Discount: 400, Tax: 319, Shipping: 500, Total: 4417}, s.Totals())
	assert.Equal(t, "US-NY", s.Tax.Jurisdiction)
}

func TestPercentDiscountFollowsTheLines(t *testing.T) {
	s := run(t, draft(t), cmd(order.ApplyDiscount{Code: "HALFOFF"}),
		cmd(order.UpdateItems{Items: []order.LineItem{{ProductID: "sku-1", Quantity: 4}}}))
	assert.Equal(t, int64(3998), s.Totals().Discount)
}

func TestFixedDiscountIsCappedWhenLinesShrink(t *testing.T) {
	s := run(t, draft(t), cmd(order.ApplyDiscount{Description: "goodwill", FixedAmount: 3000}),
		cmd(order.UpdateItems{Items: []order.LineItem{{ProductID: "sku-1", Quantity: 1}}}))
	tot := s.Totals()
	assert.Equal(t, tot.Subtotal, tot.Discount, "discount never above subtotal")
	assert.Equal(t, tot.Shipping, tot.Total)
}

func TestPricingEventsCarryTheResultingTotals(t *testing.T) {
	s := draft(t)
	evs, err := order.Decide(s, cmd(order.AddItems{Items: []order.LineItem{{ProductID: "b", Quantity: 3, UnitPrice: 100}}}))
	require.NoError(t, err)
	added := evs[0].Data.(order.OrderItemsAdded)
	assert.Equal(t, int64(3998+300), added.Totals.Subtotal)
}

func TestFormatMoney(t *testing.T) {
	for _, tc := range []struct {
		minor int64
		cur   string
		want  string
	}{{1999, "USD", "19.99 USD"}, {5, "EUR", "0.05 EUR"}, {1500, "JPY", "1500 JPY"}, {-250, "GBP", "-2.50 GBP"}} {
		assert.Equal(t, tc.want, order.FormatMoney(tc.minor, tc.cur))
	}
}

func TestDuplicateCommandGetsTheOriginalResult(t *testing.T) {
	s := draft(t)
	c := cmd(order.AddItems{Items: []order.LineItem{{ProductID: "b", Quantity: 1, UnitPrice: 100}}})
	evs, err := order.Decide(s, c)
	require.NoError(t, err)
	for _, e := range evs {
		s = order.Evolve(s, e)
	}
	again, err := order.Decide(s, c)
	assert.Empty(t, again)
	var dup *order.Duplicate
	require.True(t, errors.As(err, &dup))
	assert.Equal(t, s.Version, dup.Version)
	assert.Equal(t, []string{evs[0].ID}, dup.EventIDs)
	assert.Equal(t, order.CodeDuplicateCommand, order.CodeOf(err))
}

func TestDuplicateWinsOverVersionConflict(t *testing.T) {
	s := draft(t)
	c := cmd(order.AddCustomerNote{Text: "hi"})
	v := s.Version
	c.ExpectedVersion = &v
	s = run(t, s, c)
	_, err := order.Decide(s, c)
	assert.Equal(t, order.CodeDuplicateCommand, order.CodeOf(err))
}

func TestExpectedVersion(t *testing.T) {
	s := draft(t)
	stale := s.Version - 1
	c := cmd(order.AddCustomerNote{Text: "hi"})
	c.ExpectedVersion = &stale
	_, err := order.Decide(s, c)
	assert.Equal(t, order.CodeVersionConflict, order.CodeOf(err))
	current := s.Version
	c.ExpectedVersion = &current
	_, err = order.Decide(s, c)
	assert.NoError(t, err)
}

func TestCancelAfterCaptureAsksBackWhatWasCaptured(t *testing.T) {
	s := paid(t)
	captured := s.Payment.Captured
	s = run(t, s, cmd(order.CancelOrder{Reason: "changed mind"}))
	assert.Equal(t, order.StatusCancelled, s.Status)
	assert.Empty(t, s.Reservations, "reserved inventory is released")
	assert.Equal(t, captured, s.Payment.RefundRequested)
	s = run(t, s, cmd(order.RecordRefund{RefundID: "rf", Amount: captured}))
	assert.Equal(t, captured, s.Payment.Refunded)
	_, err := order.Decide(s, cmd(order.RecordRefund{RefundID: "rf2", Amount: 1}))
	assert.Equal(t, order.CodeLimitExceeded, order.CodeOf(err))
}

func TestReturnRefundsTheItemsShareWithTax(t *testing.T) {
	s := delivered(t)
	s = run(t, s, cmd(order.RequestReturn{ReturnID: "ret-1", Reason: "too big", Items: []order.ItemQuantity{{ProductID: "sku-1", Quantity: 1}}}))
	evs, err := order.Decide(s, cmd(order.ReceiveReturn{ReturnID: "ret-1"}))
	require.NoError(t, err)
	require.Equal(t, []order.EventType{order.EvtReturnReceived, order.EvtRefundRequested, order.EvtOrderStatusChanged}, types(evs))
	// One of two lines at 19.99 plus 8.875% NY tax = 21.76; shipping is kept.
	assert.Equal(t, int64(2176), evs[1].Data.(order.RefundRequested).Amount)
}

func TestHighValueOrderShipsOnlyAfterApproval(t *testing.T) {
	s := run(t, order.State{}, append(created(order.LineItem{ProductID: "tv", Quantity: 1, UnitPrice: 250_000}),
		cmd(order.UpdateShippingDetails{ShippingInput: order.ShippingInput{RecipientName: "J", Address: nyAddress}}),
		cmd(order.PlaceOrder{}))...)
	require.True(t, s.AwaitingApproval())
	total := s.Totals().Total
	s = run(t, s, cmd(order.InitiatePayment{PaymentID: "p", PaymentMethod: "CARD"}), cmd(order.AuthorizePayment{PaymentID: "p", Amount: total}),
		cmd(order.ReserveInventory{ReservationID: "r", Items: []order.ItemQuantity{{ProductID: "tv", Quantity: 1}}}),
		cmd(order.CapturePayment{PaymentID: "p"}))
	_, err := order.Decide(s, cmd(order.ShipOrder{}))
	assert.Equal(t, order.CodeApprovalRequired, order.CodeOf(err))
	s = run(t, s, cmd(order.ApproveOrder{Comment: "known customer"}), cmd(order.ShipOrder{}))
	assert.Equal(t, order.StatusShipped, s.Status)
}

func TestDecideIsDeterministic(t *testing.T) {
	s := draft(t)
	c := cmd(order.PlaceOrder{})
	a, err := order.Decide(s, c)
	require.NoError(t, err)
	b, err := order.Decide(s, c)
	require.NoError(t, err)
	assert.Equal(t, a, b)
	assert.NotEqual(t, a[0].ID, a[1].ID)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, a[0].ID)
}

func TestEventsCarryTheEnvelope(t *testing.T) {
	s := draft(t)
	c := cmd(order.PlaceOrder{})
	c.CorrelationID = "corr-1"
	evs, err := order.Decide(s, c)
	require.NoError(t, err)
	for i, e := range evs {
		assert.Equal(t, s.Version+int64(i)+1, e.Seq)
		assert.Equal(t, c.ID, e.CausationID)
		assert.Equal(t, "corr-1", e.CorrelationID)
		assert.Equal(t, c.Time, e.Time)
		assert.Equal(t, oid, e.OrderID)
		assert.Equal(t, e.Data.EventType(), e.Type)
	}
}

func TestWrongPayloadForType(t *testing.T) {
	c := cmd(order.PlaceOrder{})
	c.Type = order.CmdAddItems
	_, err := order.Decide(draft(t), c)
	assert.Equal(t, order.CodeValidationFailed, order.CodeOf(err))
	c.Type = "Teleport"
	_, err = order.Decide(draft(t), c)
	assert.Equal(t, order.CodeValidationFailed, order.CodeOf(err))
}

func TestListsAreBounded(t *testing.T) {
	s := placed(t)
	for range order.DefaultPolicy().MaxEntries - len(s.Notes) {
		s = run(t, s, cmd(order.AddCustomerNote{Text: "n"}))
	}
	_, err := order.Decide(s, cmd(order.AddCustomerNote{Text: "one too many"}))
	assert.Equal(t, order.CodeLimitExceeded, order.CodeOf(err))
}
