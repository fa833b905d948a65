package order_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
)

// TestLimits is the table of input limits: each row is a command that breaks
// one, the field the rejection names and a part of its message. Every row
// is refused with VALIDATION_FAILED before any rule runs, whatever the
// order's state.
func TestLimits(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	with := func(f func(*order.Command), data order.CommandData) order.Command {
		c := cmd(data)
		f(&c)
		return c
	}
	note := func(text string) order.Command { return cmd(order.AddCustomerNote{Text: text}) }
	ship := func(in order.ShippingInput) order.Command {
		return cmd(order.UpdateShippingDetails{ShippingInput: in})
	}
	tests := []struct {
		name, field, msg string
		cmd              order.Command
	}{
		// The envelope.
		{"commandId is required", "commandId", "is required", with(func(c *order.Command) { c.ID = "" }, order.PlaceOrder{})},
		{"a 300 KB commandId", "commandId", "is 300000 bytes long, at most 256", with(func(c *order.Command) { c.ID = long(300_000) }, order.PlaceOrder{})},
		{"commandId at the limit plus one", "commandId", "is 257 bytes long", with(func(c *order.Command) { c.ID = long(257) }, order.PlaceOrder{})},
		{"commandId with a space", "commandId", "has a space at byte 1", with(func(c *order.Command) { c.ID = "a b" }, order.PlaceOrder{})},
		{"commandId with a quote", "commandId", `has "\"" at byte 0`, with(func(c *order.Command) { c.ID = `"x` }, order.PlaceOrder{})},
		{"commandId with a newline", "commandId", "has byte 0x0A at byte 1", with(func(c *order.Command) { c.ID = "a\nb" }, order.PlaceOrder{})},
		{"commandId not ASCII", "commandId", "has byte 0xC3 at byte 0", with(func(c *order.Command) { c.ID = "é" }, order.PlaceOrder{})},
		{"orderId is required", "orderId", "is required", with(func(c *order.Command) { c.OrderID = "" }, order.PlaceOrder{})},
		{"orderId above 64 bytes", "orderId", "is 65 bytes long, at most 64", with(func(c *order.Command) { c.OrderID = long(65) }, order.PlaceOrder{})},
		{"orderId with a slash", "orderId", `has "/" at byte 1`, with(func(c *order.Command) { c.OrderID = "a/b" }, order.PlaceOrder{})},
		{"orderId with a brace", "orderId", `has "{" at byte 1`, with(func(c *order.Command) { c.OrderID = "a{b}" }, order.PlaceOrder{})},
		{"orderId of dots", "orderId", `starts with "."`, with(func(c *order.Command) { c.OrderID = ".." }, order.PlaceOrder{})},
		{"orderId with a control character", "orderId", "has byte 0x00 at byte 1", with(func(c *order.Command) { c.OrderID = "a\x00" }, order.PlaceOrder{})},
		{"a 400 KB userId", "userId", "is 400000 bytes long", with(func(c *order.Command) { c.UserID = long(400_000) }, order.PlaceOrder{})},
		{"correlationId with a space", "correlationId", "has a space", with(func(c *order.Command) { c.CorrelationID = "x y" }, order.PlaceOrder{})},
		{"unknown type, quoted short", "type", `unknown command type "aaaa`, with(func(c *order.Command) { c.Type = order.CommandType(long(100_000)) }, order.PlaceOrder{})},
		{"data is required", "data", "is required", with(func(c *order.Command) { c.Data = nil }, order.PlaceOrder{})},
		{"data of another type", "data", "payload AddCustomerNote does not match command type PlaceOrder",
			with(func(c *order.Command) { c.Data = order.AddCustomerNote{Text: "x"} }, order.PlaceOrder{})},

		// Identifiers in the data.
		{"customerId above the id limit", "data.customerId", "is 257 bytes long", cmd(order.CreateOrder{CustomerID: long(257), Currency: "USD"})},
		{"productId with a slash", "data.items[1].productId", `has "/"`,
			cmd(order.AddItems{Items: []order.LineItem{{ProductID: "a", Quantity: 1}, {ProductID: "b/c", Quantity: 1}}})},
		{"productIds to remove", "data.productIds[0]", "has a space", cmd(order.RemoveItems{ProductIDs: []string{"a b"}})},
		{"paymentId with a brace", "data.paymentId", `has "}"`, cmd(order.InitiatePayment{PaymentID: "p}", PaymentMethod: "CARD"})},
		{"warehouse of a reserved item", "data.items[0].warehouseId", "is 257 bytes",
			cmd(order.ReserveInventory{ReservationID: "r", Items: []order.ItemQuantity{{ProductID: "a", Quantity: 1, WarehouseID: long(257)}}})},
		{"reservationId", "data.reservationId", "has a space", cmd(order.ReleaseInventory{ReservationID: "r 1"})},
		{"shipmentId", "data.shipmentId", "is 257 bytes", cmd(order.DeliverOrder{ShipmentID: long(257)})},
		{"returnId", "data.returnId", "has a space", cmd(order.ReceiveReturn{ReturnID: "r 1"})},
		{"refundId", "data.refundId", "is 300 bytes", cmd(order.RecordRefund{RefundID: long(300), Amount: 1})},
		{"notificationId", "data.notificationId", `has "<"`, cmd(order.RecordNotification{NotificationID: "<n>", Channel: "email", Template: "t"})},

		// Labels: one line, at most MaxLabelLen bytes.
		{"tracking number with a newline", "data.trackingNumber", "U+000A at byte 2; it must be a single line",
			cmd(order.AddTracking{Carrier: "UPS", TrackingNumber: "1Z\n9"})},
		{"tracking number above the label limit", "data.trackingNumber", "is 257 bytes", cmd(order.AddTracking{Carrier: "UPS", TrackingNumber: long(257)})},
		{"carrier with a tab", "data.carrier", "U+0009", cmd(order.ShipOrder{Carrier: "U\tPS"})},
		{"flag code", "data.code", "is 1000 bytes", cmd(order.FlagOrder{Code: long(1000), Reason: "r"})},
		{"promo code", "data.code", "U+0000", cmd(order.ApplyDiscount{Code: "A\x00"})},
		{"currency", "data.currency", "is 300 bytes", cmd(order.CreateOrder{CustomerID: "c", Currency: long(300)})},
		{"postal code", "data.address.postalCode", "U+000D", ship(order.ShippingInput{RecipientName: "J",
			Address: order.Address{Line1: "1", City: "c", PostalCode: "1\r\n0", Country: "US"}})},

		// Free text: valid UTF-8, newline and tab only, at most Policy.MaxTextLen bytes.
		{"a 2001-byte note", "data.text", "is 2001 bytes long, at most 2000", note(long(2001))},
		{"a note with a bell", "data.text", "has the control character U+0007 at byte 1; text allows newline and tab", note("a\a")},
		{"a note with a lone carriage return", "data.text", "U+000D at byte 1", note("a\rb")},
		{"a note with a C1 control", "data.text", "U+0085", note("a\u0085")},
		{"a note with DEL", "data.text", "U+007F", note("a\x7f")},
		{"a note that is not UTF-8", "data.text", "is not valid UTF-8 at byte 1", note("a\xff")},
		{"an item name", "data.items[0].name", "is not valid UTF-8",
			cmd(order.AddItems{Items: []order.LineItem{{ProductID: "a", Name: "\xc3", Quantity: 1}}})},
		{"an address line", "data.shipping.address.line1", "is 2001 bytes", cmd(order.CreateOrder{CustomerID: "c", Currency: "USD",
			Shipping: &order.ShippingInput{RecipientName: "J", Address: order.Address{Line1: long(2001), City: "c", PostalCode: "1", Country: "US"}}})},
		{"an embedded recipient name", "data.recipientName", "U+0001", ship(order.ShippingInput{RecipientName: "\x01"})},
		{"a return reason", "data.reason", "is 5000 bytes", cmd(order.RequestReturn{ReturnID: "r", Reason: long(5000)})},
		{"a tracking url", "data.trackingUrl", "U+0000", cmd(order.AddTracking{Carrier: "c", TrackingNumber: "t", TrackingURL: "x\x00"})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, s := range []order.State{{}, draft(t)} {
				_, err := order.Decide(s, tc.cmd)
				var rej *order.Rejection
				require.True(t, errors.As(err, &rej), "want a *Rejection, got %T: %v", err, err)
				assert.Equal(t, order.CodeValidationFailed, rej.Code, rej.Message)
				assert.Equal(t, tc.field, rej.Field, rej.Message)
				assert.Contains(t, rej.Message, tc.msg)
				assert.LessOrEqual(t, len(rej.Message), 400, "a message quotes input short")
				assert.Equal(t, err, order.Decider{Policy: order.DefaultPolicy()}.Validate(tc.cmd), "Validate says the same")
			}
		})
	}
}

// TestWithinLimitsIsAccepted: what the limits allow goes through to the
// rules, at the limits and with the characters each class allows.
func TestWithinLimitsIsAccepted(t *testing.T) {
	id := strings.Repeat("x", order.MaxIDLen)
	c := cmd(order.CreateOrder{CustomerID: "auth0|user+1@example.com", Currency: "USD",
		Items: []order.LineItem{{ProductID: "SKU-1_a.b~c:d@e", Name: strings.Repeat("é", 1000), Quantity: 1, UnitPrice: 5}}})
	c.ID, c.OrderID, c.UserID = "idem/"+id[:order.MaxIDLen-5], strings.Repeat("o", order.MaxOrderIDLen), "auth0|1234"
	c.CorrelationID = "corr=+/~|:@.-_!#$%&()*,;?[]^"
	_, err := order.Decide(order.State{}, c)
	require.NoError(t, err)

	s := draft(t)
	for _, text := range []string{"two\nlines\twith a tab", "windows\r\nline", strings.Repeat("ü", 1000), "日本語のメモ"} {
		_, err := order.Decide(s, cmd(order.AddCustomerNote{Text: text}))
		require.NoError(t, err, "%q", text)
	}
	_, err = order.Decide(s, cmd(order.UpdateShippingDetails{ShippingInput: order.ShippingInput{RecipientName: "José Müller",
		Address: order.Address{Line1: "Straße 1\nHinterhaus", City: "Zürich", PostalCode: "8001", Country: "CH"}}}))
	require.NoError(t, err)
}

func TestValidateOrderIDAndValidateID(t *testing.T) {
	for _, tc := range []struct {
		id, msg string
	}{
		{"3f1e0000-0000-4000-8000-000000000001", ""},
		{"ord-01J9Z6Q8K3T4V5W6X7Y8Z9A0B1", ""},
		{"a:b@c.d_e~f", ""},
		{strings.Repeat("a", 64), ""},
		{"", "orderId: is required"},
		{strings.Repeat("a", 65), "is 65 bytes long"},
		{"-a", `starts with "-"`},
		{"a b", "has a space at byte 1"},
		{"a%2F", `has "%" at byte 1`},
		{"ü", "starts with byte 0xC3"},
	} {
		err := order.ValidateOrderID(tc.id)
		if tc.msg == "" {
			assert.NoError(t, err, tc.id)
			continue
		}
		require.Error(t, err, tc.id)
		assert.Contains(t, err.Error(), tc.msg)
		assert.Equal(t, order.CodeValidationFailed, order.CodeOf(err))
	}
	require.NoError(t, order.ValidateID("Idempotency-Key", "a/b+c=d|e"))
	err := order.ValidateID("Idempotency-Key", "a b")
	require.EqualError(t, err, "VALIDATION_FAILED: Idempotency-Key: has a space at byte 1; an identifier is printable ASCII without space, quotes, backslash, <, > and braces")
}

// TestResultsCarryTheIDsAndBoundedMessages: a command whose own ids are too
// long still gets a result naming them as they came (the sender matches it
// by them); its message and field are bounded.
func TestResultsCarryTheIDsAndBoundedMessages(t *testing.T) {
	c := cmd(order.AddCustomerNote{Text: "x"})
	c.ID, c.OrderID, c.CorrelationID, c.Type = strings.Repeat("c", 300_000), strings.Repeat("o", 100_000), strings.Repeat("r", 1000), "Teleport\xff"
	_, err := order.Decide(order.State{}, c)
	r := order.ResultOf(c, 0, nil, err)
	assert.Equal(t, order.ResultRejected, r.Status)
	assert.Equal(t, order.CodeValidationFailed, r.Code)
	assert.Equal(t, "commandId", r.Field)
	assert.Equal(t, c.ID, r.CommandID)
	assert.Equal(t, c.OrderID, r.OrderID)
	assert.Equal(t, c.CorrelationID, r.CorrelationID)
	assert.Equal(t, "Teleport\uFFFD", string(r.CommandType), "the type is no id: made valid UTF-8 and bounded")
	assert.LessOrEqual(t, len(r.Message), order.MaxMessageLen)

	big := order.ResultOf(c, 0, nil, errors.New(strings.Repeat("é", 10_000)))
	assert.LessOrEqual(t, len(big.Message), order.MaxMessageLen)
	assert.True(t, utf8.ValidString(big.Message), "cut at a character boundary")
	assert.True(t, strings.HasSuffix(big.Message, "…"))

	ok := cmd(order.PlaceOrder{})
	r = order.ResultOf(ok, 3, nil, &order.Rejection{Code: order.CodeInvalidTransition, Field: strings.Repeat("f", 500), Message: "short"})
	assert.Equal(t, "short", r.Message)
	assert.Len(t, r.Field, order.MaxFieldLen)
	long := strings.Repeat("t", 100_000)
	c = cmd(order.PlaceOrder{})
	c.Type = order.CommandType(long)
	_, err = order.Decide(order.State{}, c)
	assert.Less(t, len(err.Error()), 200, "an unknown type is quoted short")
	assert.LessOrEqual(t, len(order.ResultOf(c, 0, nil, err).CommandType), order.MaxIDLen)
}

func TestCheckUTF8NamesTheField(t *testing.T) {
	c := cmd(order.AddItems{Items: []order.LineItem{{ProductID: "a", Quantity: 1}, {ProductID: "b", Name: "ok\xfe", Quantity: 1}}})
	require.EqualError(t, order.CheckUTF8(c), "VALIDATION_FAILED: data.items[1].name: is not valid UTF-8")
	c = cmd(order.PlaceOrder{})
	c.UserID = "\xff"
	require.EqualError(t, order.CheckUTF8(c), "VALIDATION_FAILED: userId: is not valid UTF-8")
	c.UserID, c.Data = "u", nil
	require.NoError(t, order.CheckUTF8(c))
}
