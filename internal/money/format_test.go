package money_test

import (
	"testing"

	"github.com/paymux/paymux/internal/money"
)

func TestFormatLocale(t *testing.T) {
	t.Parallel()
	const (
		nb  = "\u00a0" // no-break space
		nnb = "\u202f" // narrow no-break space
	)
	tests := []struct {
		minor  int64
		code   string
		locale string
		want   string
	}{
		{123450, "EUR", "en", "€1,234.50"},
		{-123450, "EUR", "en", "-€1,234.50"},
		{5, "EUR", "en", "€0.05"},
		{0, "EUR", "en", "€0.00"},
		{99999, "USD", "en-US", "$999.99"},
		{123456789, "GBP", "en_GB", "£1,234,567.89"},
		{1235, "JPY", "en", "¥1,235"},
		{123450, "CHF", "en", "1,234.50" + nb + "CHF"},
		{1234567, "KWD", "en", "1,234.567" + nb + "KWD"},
		{-1, "CLF", "en", "-0.0001" + nb + "CLF"},

		{123450, "EUR", "it", "1.234,50" + nb + "€"},
		{123450, "EUR", "it-IT", "1.234,50" + nb + "€"},
		{-5, "EUR", "it", "-0,05" + nb + "€"},
		{123450, "USD", "it", "1.234,50" + nb + "USD"},
		{123450, "EUR", "de", "1.234,50" + nb + "€"},
		{123450, "EUR", "DE-ch", "1.234,50" + nb + "€"},
		{123450, "USD", "de", "1.234,50" + nb + "$"},
		{123456789, "EUR", "de", "1.234.567,89" + nb + "€"},
		{100000000, "JPY", "de", "100.000.000" + nb + "¥"},
		{123450, "EUR", "fr", "1" + nnb + "234,50" + nb + "€"},
		{123450, "USD", "fr", "1" + nnb + "234,50" + nb + "$US"},
		{-123456789, "EUR", "fr-FR", "-1" + nnb + "234" + nnb + "567,89" + nb + "€"},
		{123450, "EUR", "es", "1234,50" + nb + "€"},
		{1234550, "EUR", "es", "12.345,50" + nb + "€"},
		{123450, "USD", "es", "1234,50" + nb + "US$"},
		{123450, "PLN", "pl", "1234,50" + nb + "zł"},
		{1234550, "PLN", "pl", "12" + nb + "345,50" + nb + "zł"},
		{1234550, "EUR", "pl", "12" + nb + "345,50" + nb + "€"},
		{123450, "PLN", "en", "1,234.50" + nb + "PLN"},
		{100, "EUR", "de", "1,00" + nb + "€"},
		{99900, "EUR", "de", "999,00" + nb + "€"},

		// Unknown or empty locale: English.
		{123450, "EUR", "xx", "€1,234.50"},
		{123450, "EUR", "", "€1,234.50"},
		{123450, "EUR", "nl-NL", "€1,234.50"},

		{money.MaxMinor, "EUR", "en", "€9,999,999,999.99"},
		{-money.MaxMinor, "JPY", "de", "-999.999.999.999" + nb + "¥"},
	}
	for _, tt := range tests {
		a := amt(t, tt.minor, tt.code)
		if got := money.FormatLocale(a, tt.locale); got != tt.want {
			t.Errorf("FormatLocale(%v, %q) = %q, want %q", a, tt.locale, got, tt.want)
		}
	}
}
