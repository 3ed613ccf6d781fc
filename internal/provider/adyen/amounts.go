package adyen

import (
	"math"
	"strings"

	"github.com/paymux/paymux/internal/money"
	"github.com/paymux/paymux/internal/payment"
)

// Adyen counts amounts in minor units as ISO 4217 does, except for four currencies
// whose decimals it sets otherwise (docs.adyen.com/development-resources/currency-codes):
// CLP and ISK take two decimals (ISO: none), CVE and IDR none (ISO: two).
var adyenExponent = map[string]int{"CLP": 2, "ISK": 2, "CVE": 0, "IDR": 0}

// amount is Adyen's Amount object.
type amount struct {
	Currency string `json:"currency"`
	Value    int64  `json:"value"`
}

// exponents returns ISO's and Adyen's number of minor-unit digits for code.
func exponents(code string) (iso, adyen int, c money.Currency, err error) {
	c, err = money.LookupCurrency(code)
	if err != nil {
		return 0, 0, c, payment.Invalid("currency", payment.CodeCurrencyInvalid, "%v", err)
	}
	adyen = c.Exponent
	if e, ok := adyenExponent[c.Code]; ok {
		adyen = e
	}
	return c.Exponent, adyen, c, nil
}

// toAdyen converts paymux minor units of currency into Adyen's Amount, refusing an
// amount Adyen cannot represent before anything is sent.
func toAdyen(param string, value int64, currency string) (amount, error) {
	iso, ad, c, err := exponents(currency)
	if err != nil {
		return amount{}, err
	}
	switch d := ad - iso; {
	case d > 0:
		f := pow10(d)
		if value > math.MaxInt64/f || value < math.MinInt64/f {
			return amount{}, payment.Invalid(param, payment.CodeAmountInvalid, "amount %d %s is too large for Adyen", value, c.Code)
		}
		value *= f
	case d < 0:
		f := pow10(-d)
		if value%f != 0 {
			return amount{}, payment.Invalid(param, payment.CodeAmountInvalid,
				"Adyen takes %s in whole units only: %d is not a multiple of %d minor units", c.Code, value, f)
		}
		value /= f
	}
	return amount{Currency: c.Code, Value: value}, nil
}

// fromAdyen converts an Adyen amount of currency back into paymux minor units. An
// unknown currency is passed through unchanged.
func fromAdyen(value int64, currency string) int64 {
	iso, ad, _, err := exponents(strings.ToUpper(currency))
	if err != nil {
		return value
	}
	switch d := ad - iso; {
	case d > 0:
		return value / pow10(d)
	case d < 0:
		f := pow10(-d)
		if value > math.MaxInt64/f || value < math.MinInt64/f {
			return value
		}
		return value * f
	}
	return value
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}
