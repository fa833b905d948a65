package order

import (
	"fmt"
	"strconv"
)

// currencyExponents lists the ISO 4217 currencies orderlog accepts and the
// number of decimal places of their minor unit.
var currencyExponents = map[string]int{
	"AUD": 2, "BRL": 2, "CAD": 2, "CHF": 2, "CNY": 2, "CZK": 2, "DKK": 2,
	"EUR": 2, "GBP": 2, "HKD": 2, "INR": 2, "JPY": 0, "KRW": 0, "MXN": 2,
	"NOK": 2, "NZD": 2, "PLN": 2, "SEK": 2, "SGD": 2, "USD": 2, "ZAR": 2,
}

// ValidCurrency reports whether code is an ISO 4217 currency orderlog accepts.
func ValidCurrency(code string) bool {
	_, ok := currencyExponents[code]
	return ok
}

// CurrencyExponent returns the number of decimals of a currency's minor unit.
func CurrencyExponent(code string) int { return currencyExponents[code] }

// FormatMoney renders minor units as a decimal amount with its currency,
// e.g. FormatMoney(1999, "USD") == "19.99 USD".
func FormatMoney(minor int64, currency string) string {
	exp := currencyExponents[currency]
	if exp == 0 {
		return fmt.Sprintf("%d %s", minor, currency)
	}
	div := int64(1)
	for range exp {
		div *= 10
	}
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return fmt.Sprintf("%s%d.%0*d %s", sign, minor/div, exp, minor%div, currency)
}

// mulRate returns amount*ppm/1e6 rounded half away from zero. amount is
// bounded by validation (lines*quantity*price < 1e17), ppm by 1e6, so the
// product stays within int64 only for amounts below ~9.2e12; larger amounts are
// split to avoid overflow.
func mulRate(amount, ppm int64) int64 {
	const million = 1_000_000
	whole := (amount / million) * ppm
	rest := (amount % million) * ppm
	q, r := rest/million, rest%million
	if r*2 >= million {
		q++
	}
	return whole + q
}

func itoa(i int) string { return strconv.Itoa(i) }
