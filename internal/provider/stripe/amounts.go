package stripe

import (
	"math"
	"strings"

	"github.com/paymux/paymux/internal/money"
	"github.com/paymux/paymux/internal/payment"
)

// Stripe counts amounts in the currency's minor unit, as ISO 4217 does, with a few
// exceptions (docs.stripe.com/currencies): some currencies Stripe treats as
// zero-decimal although ISO gives them two digits (MGA), ISK is sent with two
// decimals that must be 00 although ISO gives it none, and three-decimal currencies
// must end in 0.

// stripeZeroDecimal are the currencies Stripe takes in whole units.
var stripeZeroDecimal = map[string]bool{
	"BIF": true, "CLP": true, "DJF": true, "GNF": true, "JPY": true, "KMF": true, "KRW": true, "MGA": true,
	"PYG": true, "RWF": true, "UGX": true, "VND": true, "VUV": true, "XAF": true, "XOF": true, "XPF": true,
}

// stripeThreeDecimal are the three-decimal currencies Stripe takes; the last digit
// must be 0.
var stripeThreeDecimal = map[string]bool{"BHD": true, "JOD": true, "KWD": true, "OMR": true, "TND": true}

// exponents returns ISO's and Stripe's number of minor-unit digits for code.
func exponents(code string) (iso, stripe int, err error) {
	c, err := money.LookupCurrency(code)
	if err != nil {
		return 0, 0, payment.Invalid("currency", payment.CodeCurrencyInvalid, "%v", err)
	}
	switch {
	case stripeZeroDecimal[c.Code]:
		stripe = 0
	case stripeThreeDecimal[c.Code]:
		stripe = 3
	case c.Exponent > 2:
		return 0, 0, payment.Invalid("currency", payment.CodeCurrencyInvalid,
			"Stripe does not take payments in %s: use another provider for this currency", c.Code)
	default:
		stripe = 2
	}
	return c.Exponent, stripe, nil
}

// toStripeAmount converts paymux minor units of currency into Stripe's, refusing
// amounts Stripe cannot represent before anything is sent.
func toStripeAmount(param string, amount int64, currency string) (int64, error) {
	iso, st, err := exponents(currency)
	if err != nil {
		return 0, err
	}
	code := strings.ToUpper(currency)
	switch d := st - iso; {
	case d > 0:
		f := pow10(d)
		if amount > math.MaxInt64/f || amount < math.MinInt64/f {
			return 0, payment.Invalid(param, payment.CodeAmountInvalid, "amount %d %s is too large for Stripe", amount, code)
		}
		amount *= f
	case d < 0:
		f := pow10(-d)
		if amount%f != 0 {
			return 0, payment.Invalid(param, payment.CodeAmountInvalid,
				"Stripe takes %s in whole units only: %d is not a multiple of %d minor units", code, amount, f)
		}
		amount /= f
	}
	if st == 3 && amount%10 != 0 {
		return 0, payment.Invalid(param, payment.CodeAmountInvalid,
			"Stripe requires %s amounts to end in 0: round %d to a multiple of 10", code, amount)
	}
	return amount, nil
}

// fromStripeAmount converts a Stripe amount of currency back into paymux minor
// units. An unknown currency is passed through unchanged.
func fromStripeAmount(amount int64, currency string) int64 {
	iso, st, err := exponents(currency)
	if err != nil {
		return amount
	}
	switch d := st - iso; {
	case d > 0:
		return amount / pow10(d)
	case d < 0:
		return amount * pow10(-d)
	}
	return amount
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}
