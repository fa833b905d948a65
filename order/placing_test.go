package order_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
)

// TestPlacingRule: an order is placed only with what its payment capture
// and its shipment will need (docs/domain.md, "The placing rule"), and tax
// is calculated at placing, always. Each refusal names what is missing.
func TestPlacingRule(t *testing.T) {
	item := order.LineItem{ProductID: "sku-1", Quantity: 2, UnitPrice: 1999}
	free := order.LineItem{ProductID: "gift", Quantity: 1, UnitPrice: 0}
	brazil := order.Address{Line1: "Rua A 1", City: "São Paulo", PostalCode: "01000", Country: "BR"}
	pickup := func(a order.Address) order.Command {
		return cmd(order.UpdateShippingDetails{ShippingInput: order.ShippingInput{RecipientName: "Jane", Address: a, Method: "PICKUP"}})
	}
	tests := []struct {
		name    string
		setup   []order.Command
		cmd     order.Command
		code    order.Code
		field   string
		wantTax int64 // with no code: the tax the placed order carries
	}{
		{name: "no items", setup: append(created(), shipTo(nyAddress)), cmd: cmd(order.PlaceOrder{}),
			code: order.CodePreconditionFailed, field: "lines"},
		{name: "no shipping details", setup: created(item), cmd: cmd(order.PlaceOrder{}),
			code: order.CodePreconditionFailed, field: "shipping"},
		{name: "no shipping details, but billing", setup: append(created(item),
			cmd(order.UpdateBillingDetails{BillingInput: order.BillingInput{Name: "Jane", Address: nyAddress}})),
			cmd: cmd(order.PlaceOrder{}), code: order.CodePreconditionFailed, field: "shipping"},
		{name: "a jurisdiction with no tax rate", setup: append(created(item), shipTo(brazil)), cmd: cmd(order.PlaceOrder{}),
			code: order.CodePreconditionFailed, field: "shipping.address.country"},
		{name: "nothing to capture", setup: append(created(free), pickup(nyAddress)), cmd: cmd(order.PlaceOrder{}),
			code: order.CodePreconditionFailed, field: "totals.total"},
		{name: "tax from the shipping address (NY 8.875%)", setup: append(created(item), shipTo(nyAddress)), cmd: cmd(order.PlaceOrder{}),
			wantTax: 355},
		{name: "tax recalculated at placing though it was calculated elsewhere", setup: append(created(item),
			cmd(order.CalculateTax{Country: "DE"}), shipTo(nyAddress)), cmd: cmd(order.PlaceOrder{}), wantTax: 355},
		{name: "a jurisdiction with a zero rate is known (US without a state)", setup: append(created(item),
			shipTo(order.Address{Line1: "1 A St", City: "Portland", PostalCode: "97201", Country: "US", State: "OR"})),
			cmd: cmd(order.PlaceOrder{}), wantTax: 0},
		{name: "a free item ships for a price", setup: append(created(free), shipTo(nyAddress)), cmd: cmd(order.PlaceOrder{})},

		// The rule holds after placing, while the address or method may change.
		{name: "a placed order's address does not move to an unknown jurisdiction",
			setup: append(created(item), shipTo(nyAddress), cmd(order.PlaceOrder{})),
			cmd:   cmd(order.ChangeShippingAddress{Address: brazil}), code: order.CodePreconditionFailed, field: "data.address.country"},
		{name: "a placed order's shipping does not move to an unknown jurisdiction",
			setup: append(created(item), shipTo(nyAddress), cmd(order.PlaceOrder{})),
			cmd:   shipTo(brazil), code: order.CodePreconditionFailed, field: "data.address.country"},
		{name: "a placed order keeps a total to capture",
			setup: append(created(free), shipTo(nyAddress), cmd(order.PlaceOrder{})),
			cmd:   pickup(nyAddress), code: order.CodePreconditionFailed, field: "data.method"},
		{name: "a draft may hold any address until it is placed", setup: created(item), cmd: shipTo(brazil)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := run(t, order.State{}, tc.setup...)
			evs, err := order.Decide(s, tc.cmd)
			if tc.code != "" {
				var rej *order.Rejection
				require.True(t, errors.As(err, &rej), "want a rejection, got %v", err)
				require.Equal(t, tc.code, rej.Code, rej.Message)
				require.Equal(t, tc.field, rej.Field, rej.Message)
				require.Empty(t, evs)
				return
			}
			require.NoError(t, err)
			for _, e := range evs {
				s = order.Evolve(s, e)
			}
			if tc.cmd.Type != order.CmdPlaceOrder {
				return
			}
			require.Equal(t, order.EvtTaxCalculated, evs[0].Type, "placing calculates tax first")
			require.Equal(t, order.StatusPlaced, s.Status)
			require.True(t, s.Tax.Calculated)
			require.Equal(t, tc.wantTax, s.Totals().Tax)
			require.Positive(t, s.Totals().Total)
		})
	}
}
