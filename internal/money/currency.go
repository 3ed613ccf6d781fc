package money

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Currency is an active ISO 4217 currency. Values come from the table in
// currencies.go via [LookupCurrency], so Exponent is always the one ISO
// publishes and amounts convert between minor units and decimals exactly.
type Currency struct {
	Code     string // upper-case alpha-3, e.g. "EUR"
	Exponent int    // minor-unit digits: JPY 0, EUR 2, KWD 3
	Name     string // English name
}

// ErrUnknownCurrency is wrapped by every error about a currency code that is
// not an active ISO 4217 currency with a minor unit, so callers (e.g. the API
// layer) can map it to a validation error with errors.Is.
var ErrUnknownCurrency = errors.New("unknown currency")

// byCode indexes currencyTable by code; built once at package init.
var byCode = func() map[string]Currency {
	m := make(map[string]Currency, len(currencyTable))
	for _, c := range currencyTable {
		m[c.Code] = c
	}
	return m
}()

func init() {
	// Keep Currencies() sorted whatever order the table is edited in.
	slices.SortFunc(currencyTable, func(a, b Currency) int { return cmp.Compare(a.Code, b.Code) })
}

// LookupCurrency returns the active ISO 4217 currency for code, compared
// case-insensitively ("eur" finds EUR). It is the only way to obtain a
// Currency from untrusted input; the error wraps [ErrUnknownCurrency] and
// names the code so the message can be shown to an API client as is.
func LookupCurrency(code string) (Currency, error) {
	if c, ok := byCode[strings.ToUpper(code)]; ok {
		return c, nil
	}
	return Currency{}, fmt.Errorf("%w %q: use an active ISO 4217 code such as EUR or USD", ErrUnknownCurrency, clip(code))
}

// MustCurrency is [LookupCurrency] for codes known at compile time (tests,
// package-level constants); it panics on an unknown code because that is a
// programming error, not bad input.
func MustCurrency(code string) Currency {
	c, err := LookupCurrency(code)
	if err != nil {
		panic("money.MustCurrency: " + err.Error())
	}
	return c
}

// Currencies returns every supported currency sorted by code, e.g. for a
// currency picker or validation lists. It returns a fresh copy so callers
// may modify it without affecting the table.
func Currencies() []Currency {
	return slices.Clone(currencyTable)
}

// clip shortens s for inclusion in an error message, so that a huge or
// hostile input does not end up verbatim in logs and API responses.
func clip(s string) string {
	const limit = 40
	if len(s) <= limit {
		return s
	}
	r := []rune(s)
	if len(r) <= limit {
		return s
	}
	return string(r[:limit]) + "…"
}
