package paypal

import (
	"strconv"

	"github.com/paymux/paymux/internal/money"
	"github.com/paymux/paymux/internal/payment"
)

// PayPal takes amounts as decimal strings in major units ("10.50"), in the currencies
// of its REST API (developer.paypal.com/reference/currency-codes). Three of them
// take no decimals at PayPal: JPY (none in ISO 4217 either), and HUF and TWD, whose
// ISO minor unit PayPal does not accept, so their amounts must be whole units.

// paypalCurrencies are the currencies PayPal's REST API takes; true marks those it
// takes in whole units only.
var paypalCurrencies = map[string]bool{
	"AUD": false, "BRL": false, "CAD": false, "CNY": false, "CZK": false, "DKK": false, "EUR": false,
	"HKD": false, "HUF": true, "ILS": false, "JPY": true, "MYR": false, "MXN": false, "TWD": true,
	"NZD": false, "NOK": false, "PHP": false, "PLN": false, "GBP": false, "SGD": false, "SEK": false,
	"CHF": false, "THB": false, "USD": false,
}

// amount is PayPal's money object.
type amount struct {
	CurrencyCode string `json:"currency_code"`
	Value        string `json:"value"`
}

// toAmount converts a positive amount in paymux minor units into PayPal's amount,
// refusing a currency or an amount PayPal cannot take before anything is sent.
func toAmount(param string, minor int64, currency string) (amount, error) {
	cur, err := money.LookupCurrency(currency)
	if err != nil {
		return amount{}, payment.Invalid("currency", payment.CodeCurrencyInvalid, "%v", err)
	}
	a, err := money.New(minor, cur.Code)
	if err != nil {
		return amount{}, payment.Invalid(param, payment.CodeAmountInvalid, "%v", err)
	}
	code := a.Currency.Code
	wholeOnly, ok := paypalCurrencies[code]
	if !ok {
		return amount{}, payment.Invalid("currency", payment.CodeCurrencyInvalid,
			"PayPal does not take payments in %s: use another provider for this currency", code)
	}
	if minor <= 0 {
		return amount{}, payment.Invalid(param, payment.CodeAmountInvalid, "%s must be a positive amount in minor units, got %d", param, minor)
	}
	if wholeOnly && a.Currency.Exponent > 0 {
		unit := pow10(a.Currency.Exponent)
		if minor%unit != 0 {
			return amount{}, payment.Invalid(param, payment.CodeAmountInvalid,
				"PayPal takes %s in whole units only: %d is not a multiple of %d minor units", code, minor, unit)
		}
		return amount{CurrencyCode: code, Value: strconv.FormatInt(minor/unit, 10)}, nil
	}
	return amount{CurrencyCode: code, Value: a.Decimal()}, nil
}

// fromAmount converts a PayPal amount back into paymux minor units. ok is false when
// it cannot be read.
func fromAmount(a *amount) (int64, bool) {
	if a == nil || a.Value == "" {
		return 0, false
	}
	m, err := money.ParseDecimal(a.Value, a.CurrencyCode)
	if err != nil || m.Minor < 0 {
		return 0, false
	}
	return m.Minor, true
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}
