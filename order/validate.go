package order

import (
	"fmt"
	"strings"
)

func (b *builder) text(field, v string, required bool) error {
	switch {
	case required && strings.TrimSpace(v) == "":
		return invalid(field, "is required")
	case len(v) > b.policy.MaxTextLen:
		return invalid(field, "is %d bytes long, at most %d are allowed", len(v), b.policy.MaxTextLen)
	}
	return nil
}

// items checks lines given by AddItems, UpdateItems or CreateOrder.
func (b *builder) items(field string, items []LineItem) error {
	if len(items) == 0 {
		return invalid(field, "needs at least one item")
	}
	seen := make(map[string]bool, len(items))
	for i, it := range items {
		f := fmt.Sprintf("%s[%d]", field, i)
		if err := b.text(f+".productId", it.ProductID, true); err != nil {
			return err
		}
		if seen[it.ProductID] {
			return invalid(f+".productId", "product %s appears twice; give one line per product", it.ProductID)
		}
		seen[it.ProductID] = true
		if it.Quantity <= 0 || it.Quantity > b.policy.MaxQuantity {
			return invalid(f+".quantity", "must be between 1 and %d, got %d", b.policy.MaxQuantity, it.Quantity)
		}
		if it.UnitPrice < 0 || it.UnitPrice > b.policy.MaxUnitPrice {
			return invalid(f+".unitPrice", "must be between 0 and %d minor units, got %d", b.policy.MaxUnitPrice, it.UnitPrice)
		}
		if err := b.text(f+".name", it.Name, false); err != nil {
			return err
		}
	}
	return nil
}

// quantities checks reservation and return items against the order's lines;
// avail says how many units of a line may be named.
func (b *builder) quantities(field string, items []ItemQuantity, avail func(Line) int64) error {
	if len(items) == 0 {
		return invalid(field, "needs at least one item")
	}
	seen := make(map[string]bool, len(items))
	for i, it := range items {
		f := fmt.Sprintf("%s[%d]", field, i)
		li, ok := b.state.line(it.ProductID)
		if !ok {
			return invalid(f+".productId", "product %q is not on the order", it.ProductID)
		}
		if seen[it.ProductID] {
			return invalid(f+".productId", "product %s appears twice", it.ProductID)
		}
		seen[it.ProductID] = true
		if a := avail(b.state.Lines[li]); it.Quantity <= 0 || it.Quantity > a {
			return invalid(f+".quantity", "must be between 1 and %d for product %s, got %d", a, it.ProductID, it.Quantity)
		}
	}
	return nil
}

func (b *builder) address(field string, a Address) error {
	for _, c := range []struct{ name, v string }{
		{"line1", a.Line1}, {"city", a.City}, {"postalCode", a.PostalCode},
	} {
		if err := b.text(field+"."+c.name, c.v, true); err != nil {
			return err
		}
	}
	if len(a.Country) != 2 || strings.ToUpper(a.Country) != a.Country {
		return invalid(field+".country", "must be an ISO 3166-1 alpha-2 code such as US, got %q", a.Country)
	}
	return nil
}

func positive(field string, v int64) error {
	if v <= 0 {
		return invalid(field, "must be a positive amount in minor units, got %d", v)
	}
	return nil
}

// room refuses a command that would add to a list already at the limit.
func (b *builder) room(what string, n int) error {
	if n >= b.policy.MaxEntries {
		return overLimit("data", "the order already has %d %s, at most %d are allowed", n, what, b.policy.MaxEntries)
	}
	return nil
}
