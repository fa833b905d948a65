package order

import (
	"slices"
	"strings"
	"time"
)

func (d OrderCreated) withTotals(t Totals) EventData           { d.Totals = t; return d }
func (d OrderItemsAdded) withTotals(t Totals) EventData        { d.Totals = t; return d }
func (d OrderItemsRemoved) withTotals(t Totals) EventData      { d.Totals = t; return d }
func (d OrderItemsUpdated) withTotals(t Totals) EventData      { d.Totals = t; return d }
func (d DiscountApplied) withTotals(t Totals) EventData        { d.Totals = t; return d }
func (d TaxCalculated) withTotals(t Totals) EventData          { d.Totals = t; return d }
func (d ShippingDetailsUpdated) withTotals(t Totals) EventData { d.Totals = t; return d }

func (b *builder) createOrder(d CreateOrder) error {
	if err := b.text("data.customerId", d.CustomerID, true); err != nil {
		return err
	}
	if !ValidCurrency(d.Currency) {
		return invalid("data.currency", "must be a supported ISO 4217 code such as USD or EUR, got %q", d.Currency)
	}
	if err := b.text("data.sourceChannel", d.SourceChannel, false); err != nil {
		return err
	}
	if len(d.Items) > 0 {
		if err := b.items("data.items", d.Items); err != nil {
			return err
		}
	}
	number := d.OrderNumber
	if number == "" {
		number = OrderNumber(b.cmd.OrderID)
	}
	b.emit(OrderCreated{CustomerID: d.CustomerID, OrderNumber: number, Currency: d.Currency,
		InitialStatus: StatusDraft.Ref(), SourceChannel: d.SourceChannel})
	if len(d.Items) > 0 {
		if err := b.addItems(AddItems{Items: d.Items}); err != nil {
			return err
		}
	}
	if d.Shipping != nil {
		if err := b.updateShipping(*d.Shipping, "data.shipping"); err != nil {
			return err
		}
	}
	if d.Billing != nil {
		return b.updateBilling(*d.Billing, "data.billing")
	}
	return nil
}

func (b *builder) addItems(d AddItems) error {
	if err := b.items("data.items", d.Items); err != nil {
		return err
	}
	newLines := 0
	for _, it := range d.Items {
		if li, ok := b.state.line(it.ProductID); ok {
			if q := b.state.Lines[li].Quantity + it.Quantity; q > b.policy.MaxQuantity {
				return invalid("data.items", "product %s would have quantity %d, at most %d is allowed", it.ProductID, q, b.policy.MaxQuantity)
			}
			continue
		}
		newLines++
	}
	if n := len(b.state.Lines) + newLines; n > b.policy.MaxLines {
		return invalid("data.items", "the order would have %d lines, at most %d are allowed", n, b.policy.MaxLines)
	}
	b.emit(OrderItemsAdded{Items: d.Items})
	return nil
}

func (b *builder) removeItems(d RemoveItems) error {
	if len(d.ProductIDs) == 0 {
		return invalid("data.productIds", "needs at least one product id")
	}
	for i, id := range d.ProductIDs {
		if _, ok := b.state.line(id); !ok {
			return invalid("data.productIds["+itoa(i)+"]", "product %q is not on the order", id)
		}
		if slices.Contains(d.ProductIDs[:i], id) {
			return invalid("data.productIds["+itoa(i)+"]", "product %s appears twice", id)
		}
	}
	b.emit(OrderItemsRemoved{ProductIDs: d.ProductIDs})
	return nil
}

func (b *builder) updateItems(d UpdateItems) error {
	items := slices.Clone(d.Items)
	for i := range items {
		li, ok := b.state.line(items[i].ProductID)
		if !ok {
			return invalid("data.items["+itoa(i)+"].productId", "product %q is not on the order", items[i].ProductID)
		}
		if items[i].UnitPrice == 0 {
			items[i].UnitPrice = b.state.Lines[li].UnitPrice
		}
		if items[i].Name == "" {
			items[i].Name = b.state.Lines[li].Name
		}
	}
	if err := b.items("data.items", items); err != nil {
		return err
	}
	b.emit(OrderItemsUpdated{Items: items})
	return nil
}

func (b *builder) applyDiscount(d ApplyDiscount) error {
	if err := b.room("discounts", len(b.state.Discounts)); err != nil {
		return err
	}
	disc := DiscountApplied{Code: strings.ToUpper(d.Code), Description: d.Description, PercentBps: d.PercentBps, FixedAmount: d.FixedAmount}
	if d.Code != "" {
		promo, ok := b.policy.PromoCodes[disc.Code]
		if !ok {
			return invalid("data.code", "promo code %q is not known", d.Code)
		}
		if slices.ContainsFunc(b.state.Discounts, func(x Discount) bool { return x.Code == disc.Code }) {
			return invalid("data.code", "promo code %s is already applied", disc.Code)
		}
		disc.PercentBps, disc.FixedAmount = promo.PercentBps, promo.FixedAmount
		if disc.Description == "" {
			disc.Description = promo.Description
		}
	} else if err := b.text("data.description", d.Description, true); err != nil {
		return err
	}
	switch {
	case (disc.PercentBps > 0) == (disc.FixedAmount > 0):
		return invalid("data", "give exactly one of percentBps (1..10000) or fixedAmount (> 0)")
	case disc.PercentBps < 0 || disc.PercentBps > 10_000:
		return invalid("data.percentBps", "must be between 1 and 10000 basis points, got %d", disc.PercentBps)
	case disc.FixedAmount < 0:
		return invalid("data.fixedAmount", "must be positive, got %d", disc.FixedAmount)
	}
	t := b.state.Totals()
	disc.Amount = discountAmount(Discount{PercentBps: disc.PercentBps, FixedAmount: disc.FixedAmount}, t.Subtotal)
	if disc.FixedAmount > t.Subtotal-t.Discount {
		return overLimit("data.fixedAmount", "discount of %s is above what remains of the subtotal (%s)",
			FormatMoney(disc.FixedAmount, b.state.Currency), FormatMoney(t.Subtotal-t.Discount, b.state.Currency))
	}
	if t.Discount+disc.Amount > t.Subtotal {
		return overLimit("data", "discounts would total more than the subtotal of %s", FormatMoney(t.Subtotal, b.state.Currency))
	}
	b.emit(disc)
	return nil
}

func (b *builder) calculateTax(d CalculateTax) error {
	if b.state.Payment.Status != PayNone {
		return precondition("tax cannot change once payment has started")
	}
	country, region := d.Country, d.Region
	if country == "" {
		if b.state.Shipping == nil {
			return invalid("data.country", "is required when the order has no shipping address")
		}
		country, region = b.state.Shipping.Address.Country, b.state.Shipping.Address.State
	}
	b.emitTax(country, region)
	b.flagIfHighValue()
	return nil
}

func (b *builder) emitTax(country, region string) {
	key, rate := b.policy.TaxRate(country, region)
	t := b.state.Totals()
	taxable := t.Subtotal - t.Discount
	b.emit(TaxCalculated{Jurisdiction: key, RatePPM: rate, TaxableAmount: taxable, TaxAmount: mulRate(taxable, rate)})
}

// placeOrder submits a draft. Every line ships, so placing needs what the
// saga's payment capture and shipment will need (docs/domain.md, "The
// placing rule"): an item, shipping details in a tax jurisdiction the policy
// knows, and a total above zero to capture. Tax is calculated here from the
// shipping address, always.
func (b *builder) placeOrder() error {
	s := b.state
	if len(s.Lines) == 0 {
		return &Rejection{Code: CodePreconditionFailed, Field: "lines", Message: "an order needs at least one item to be placed"}
	}
	if s.Shipping == nil {
		return &Rejection{Code: CodePreconditionFailed, Field: "shipping",
			Message: "the order has no shipping details and its lines must ship; send UpdateShippingDetails (recipientName, address, method) before PlaceOrder"}
	}
	if err := b.knownJurisdiction("shipping.address", s.Shipping.Address); err != nil {
		return err
	}
	b.emitTax(s.Shipping.Address.Country, s.Shipping.Address.State)
	if total := b.state.Totals().Total; total <= 0 {
		return &Rejection{Code: CodePreconditionFailed, Field: "totals.total",
			Message: "the order total is " + FormatMoney(total, s.Currency) + "; an order is placed for a payment to capture, and there is nothing to capture"}
	}
	b.moveTo(StatusPlaced, "order placed")
	b.flagIfHighValue()
	return nil
}

// knownJurisdiction refuses an address whose tax jurisdiction the policy has
// no rate for: a placed order's tax is never silently zero. The field names
// the order's address (or the command's, when one changes it).
func (b *builder) knownJurisdiction(field string, a Address) error {
	if key, ok := b.policy.knownTaxRate(a.Country, a.State); !ok {
		return &Rejection{Code: CodePreconditionFailed, Field: field + ".country",
			Message: "no tax rate is configured for jurisdiction " + key + "; an order ships only where its tax can be calculated"}
	}
	return nil
}

// flagIfHighValue flags a placed order whose total is above the approval
// threshold, once: at placing, or when a later change (shipping, tax) takes
// the total over it.
func (b *builder) flagIfHighValue() {
	if b.state.Status != StatusPlaced || slices.ContainsFunc(b.state.Flags, func(f Flag) bool { return f.Code == flagHighValue }) {
		return
	}
	total := b.state.Totals().Total
	if limit := b.policy.threshold(b.state.Currency); limit > 0 && total > limit {
		b.emit(OrderFlagged{Code: flagHighValue, RequiresApproval: true, FlaggedBy: ServiceID,
			Reason: "total " + FormatMoney(total, b.state.Currency) + " is above the approval threshold of " + FormatMoney(limit, b.state.Currency)})
	}
}

const flagHighValue = "HIGH_VALUE"

func (b *builder) updateShipping(in ShippingInput, field string) error {
	if err := b.text(field+".recipientName", in.RecipientName, true); err != nil {
		return err
	}
	if err := b.address(field+".address", in.Address); err != nil {
		return err
	}
	method := strings.ToUpper(in.Method)
	if method == "" {
		method = b.policy.DefaultShippingMethod
	}
	m, ok := b.policy.ShippingMethods[method]
	if !ok {
		return invalid(field+".method", "unknown shipping method %q", in.Method)
	}
	if err := b.sameTaxJurisdiction(field+".address", in.Address); err != nil {
		return err
	}
	if err := b.placedJurisdiction(field+".address", in.Address); err != nil {
		return err
	}
	if t := b.state.Totals(); b.state.Status != StatusDraft && t.Total-t.Shipping+m.Cost <= 0 {
		return &Rejection{Code: CodePreconditionFailed, Field: field + ".method",
			Message: "shipping " + method + " would take the placed order's total to " + FormatMoney(t.Total-t.Shipping+m.Cost, b.state.Currency) + "; a placed order keeps a total to capture"}
	}
	if b.state.Payment.Status != PayNone {
		cur := int64(0)
		if b.state.Shipping != nil {
			cur = b.state.Shipping.Cost
		}
		if m.Cost != cur {
			return precondition("payment has started for the total with shipping %s; a method costing %s would change it",
				FormatMoney(cur, b.state.Currency), FormatMoney(m.Cost, b.state.Currency))
		}
	}
	b.emit(ShippingDetailsUpdated{RecipientName: in.RecipientName, ShippingAddress: in.Address, ShippingMethod: method,
		EstimatedDeliveryDate: b.now().Add(time.Duration(m.Days) * 24 * time.Hour), ShippingCost: m.Cost, Currency: b.state.Currency})
	// Tax follows the address once it was calculated, and always once the
	// order is placed (placing computes it from the address it has).
	if (b.state.Tax.Calculated || b.state.Status == StatusPlaced) && b.state.Payment.Status == PayNone {
		b.emitTax(in.Address.Country, in.Address.State)
	}
	b.flagIfHighValue()
	return nil
}

// sameTaxJurisdiction refuses an address that would change the tax of an
// order whose payment has started: the amount asked for must stay the total.
func (b *builder) sameTaxJurisdiction(field string, a Address) error {
	if b.state.Payment.Status == PayNone || !b.state.Tax.Calculated {
		return nil
	}
	if key, _ := b.policy.TaxRate(a.Country, a.State); key != b.state.Tax.Jurisdiction {
		return invalid(field, "moves the order from tax jurisdiction %s to %s after payment started", b.state.Tax.Jurisdiction, key)
	}
	return nil
}

// placedJurisdiction keeps the placing rule after placing: the address of
// a placed order moves only to a jurisdiction whose tax is known.
func (b *builder) placedJurisdiction(field string, a Address) error {
	if b.state.Status == StatusDraft {
		return nil
	}
	return b.knownJurisdiction(field, a)
}

func (b *builder) changeShippingAddress(d ChangeShippingAddress) error {
	if b.state.Shipping == nil {
		return precondition("the order has no shipping details yet; use UpdateShippingDetails")
	}
	if err := b.address("data.address", d.Address); err != nil {
		return err
	}
	if err := b.sameTaxJurisdiction("data.address", d.Address); err != nil {
		return err
	}
	if err := b.placedJurisdiction("data.address", d.Address); err != nil {
		return err
	}
	if err := b.text("data.reason", d.Reason, false); err != nil {
		return err
	}
	b.emit(ShippingAddressChanged{PreviousAddress: b.state.Shipping.Address, NewAddress: d.Address, Reason: d.Reason})
	if b.state.Tax.Calculated && b.state.Payment.Status == PayNone {
		b.emitTax(d.Address.Country, d.Address.State)
	}
	b.flagIfHighValue()
	return nil
}

func (b *builder) updateBilling(in BillingInput, field string) error {
	if err := b.text(field+".name", in.Name, true); err != nil {
		return err
	}
	if in.Email != "" && !strings.Contains(in.Email, "@") {
		return invalid(field+".email", "is not an email address: %q", in.Email)
	}
	if err := b.address(field+".address", in.Address); err != nil {
		return err
	}
	b.emit(BillingDetailsUpdated{Name: in.Name, Email: in.Email, BillingAddress: in.Address})
	return nil
}
