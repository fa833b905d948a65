package order

import "strings"

// Policy is the configuration the rules read: prices of shipping methods,
// tax rates, promo codes, the approval threshold and input limits. It is data,
// passed in by the caller, so Decide stays pure.
type Policy struct {
	// ApprovalThreshold is the order total (minor units) above which a placed
	// order is flagged HIGH_VALUE and held for approval; per currency, with
	// "*" as the fallback. Zero or absent means no threshold.
	ApprovalThreshold map[string]int64
	// TaxRates maps "COUNTRY-REGION" or "COUNTRY" to a rate in parts per
	// million (8.875% = 88750). The most specific key wins; unknown is 0.
	TaxRates map[string]int64
	// ShippingMethods maps a method name to its cost (minor units) and days.
	ShippingMethods map[string]ShippingMethod
	// DefaultShippingMethod is used when a command gives none.
	DefaultShippingMethod string
	// PromoCodes maps a code to the discount it grants.
	PromoCodes map[string]Promo
	// Limits on input.
	MaxLines     int
	MaxQuantity  int64
	MaxUnitPrice int64
	MaxTextLen   int
	// MaxEntries bounds every list an order accumulates (notes, flags,
	// tracking numbers, reservations, discounts, returns).
	MaxEntries int
	// MaxStateBytes is the budget of an order's state: a command whose
	// resulting state could encode to more bytes (EncodedSizeBound) is
	// rejected with LIMIT_EXCEEDED, so a state always fits into a Kafka
	// record. Zero means DefaultMaxStateBytes.
	MaxStateBytes int
	// StateReserveBytes is the part of the budget only accepted commands
	// may fill: a rejection is remembered only while the state stays below
	// MaxStateBytes - StateReserveBytes, so rejected commands cannot fill
	// an order up and stop its fulfillment. Zero means
	// DefaultStateReserveBytes.
	StateReserveBytes int
}

// The default state budget: half a mebibyte, comfortably under the
// 1,048,576 bytes of Kafka's default record limit (message.max.bytes,
// max.request.size), with room for the record's key, headers and batch
// overhead; and an eighth of it kept for accepted commands.
const (
	DefaultMaxStateBytes     = 512 << 10
	DefaultStateReserveBytes = 64 << 10
)

// ShippingMethod prices one way of shipping.
type ShippingMethod struct {
	Cost int64
	Days int
}

// Promo is a promo code's discount: a percentage in basis points, or a fixed
// amount in minor units of the order currency.
type Promo struct {
	Description string
	PercentBps  int64
	FixedAmount int64
}

// DefaultPolicy returns the policy orderlog starts with; deployments override
// it from configuration.
func DefaultPolicy() Policy {
	return Policy{
		ApprovalThreshold: map[string]int64{"*": 100_000, "JPY": 150_000, "KRW": 1_300_000},
		TaxRates: map[string]int64{
			"US-CA": 72_500, "US-NY": 88_750, "US-TX": 62_500, "US-WA": 65_000, "US": 0,
			"CA-ON": 130_000, "CA": 50_000, "GB": 200_000, "DE": 190_000, "FR": 200_000,
			"NL": 210_000, "ES": 210_000, "IT": 220_000, "SE": 250_000, "JP": 100_000,
			"AU": 100_000, "NZ": 150_000, "CH": 81_000,
		},
		ShippingMethods: map[string]ShippingMethod{
			"STANDARD":  {Cost: 500, Days: 5},
			"EXPRESS":   {Cost: 1500, Days: 2},
			"OVERNIGHT": {Cost: 3000, Days: 1},
			"PICKUP":    {Cost: 0, Days: 0},
		},
		DefaultShippingMethod: "STANDARD",
		PromoCodes: map[string]Promo{
			"WELCOME10": {Description: "10% off your first order", PercentBps: 1000},
			"SAVE5":     {Description: "5.00 off", FixedAmount: 500},
			"HALFOFF":   {Description: "50% off", PercentBps: 5000},
		},
		MaxLines:     100,
		MaxQuantity:  10_000,
		MaxUnitPrice: 10_000_000_000,
		MaxTextLen:   2000,
		MaxEntries:   100,

		MaxStateBytes:     DefaultMaxStateBytes,
		StateReserveBytes: DefaultStateReserveBytes,
	}
}

// TaxRate returns the jurisdiction key and rate for a country and region.
func (p *Policy) TaxRate(country, region string) (string, int64) {
	country, region = strings.ToUpper(country), strings.ToUpper(region)
	if region != "" {
		key := country + "-" + region
		if r, ok := p.TaxRates[key]; ok {
			return key, r
		}
	}
	return country, p.TaxRates[country]
}

// knownTaxRate reports whether the policy has a rate for the country (or
// the country and region), with the jurisdiction key TaxRate would use.
func (p *Policy) knownTaxRate(country, region string) (string, bool) {
	key, _ := p.TaxRate(country, region)
	_, ok := p.TaxRates[key]
	return key, ok
}

// threshold returns the approval threshold for a currency, 0 if none.
func (p *Policy) threshold(currency string) int64 {
	if t, ok := p.ApprovalThreshold[currency]; ok {
		return t
	}
	return p.ApprovalThreshold["*"]
}
