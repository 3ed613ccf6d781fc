package money_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/paymux/paymux/internal/money"
)

func TestParseDecimal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, code string
		want     int64
		wantErr  error
		msg      string // substring the error message must contain
	}{
		{"10.5", "EUR", 1050, nil, ""},
		{"10.50", "EUR", 1050, nil, ""},
		{"10", "EUR", 1000, nil, ""},
		{"0", "EUR", 0, nil, ""},
		{"-0", "EUR", 0, nil, ""},
		{"-0.00", "EUR", 0, nil, ""},
		{"0.01", "EUR", 1, nil, ""},
		{"-0.05", "eur", -5, nil, ""},
		{"007.10", "EUR", 710, nil, ""},
		{"1000", "JPY", 1000, nil, ""},
		{"-7", "JPY", -7, nil, ""},
		{"1.234", "KWD", 1234, nil, ""},
		{"1.2", "KWD", 1200, nil, ""},
		{"0.0001", "CLF", 1, nil, ""},
		{"9999999999.99", "EUR", money.MaxMinor, nil, ""},
		{"-9999999999.99", "EUR", -money.MaxMinor, nil, ""},
		{"999999999999", "JPY", money.MaxMinor, nil, ""},
		{"00000000000000000000000001", "JPY", 1, nil, ""},

		{"", "EUR", 0, money.ErrInvalidAmount, "it is empty"},
		{"   ", "EUR", 0, money.ErrInvalidAmount, "blank"},
		{"10.505", "EUR", 0, money.ErrInvalidAmount, "it has 3 decimal places but EUR allows at most 2"},
		{"10.500", "EUR", 0, money.ErrInvalidAmount, "at most 2"},
		{"1000.0", "JPY", 0, money.ErrInvalidAmount, "it has 1 decimal place but JPY has no minor unit"},
		{"1.2345", "KWD", 0, money.ErrInvalidAmount, "at most 3"},
		{"1e3", "EUR", 0, money.ErrInvalidAmount, "exponent notation"},
		{"1E3", "EUR", 0, money.ErrInvalidAmount, "exponent notation"},
		{"1.5e2", "EUR", 0, money.ErrInvalidAmount, "exponent notation"},
		{"1,000.00", "EUR", 0, money.ErrInvalidAmount, "commas"},
		{"10,50", "EUR", 0, money.ErrInvalidAmount, "commas"},
		{"+10", "EUR", 0, money.ErrInvalidAmount, "\"+\""},
		{" 10", "EUR", 0, money.ErrInvalidAmount, "spaces"},
		{"10 ", "EUR", 0, money.ErrInvalidAmount, "spaces"},
		{"1 000", "EUR", 0, money.ErrInvalidAmount, "spaces"},
		{".5", "EUR", 0, money.ErrInvalidAmount, "a digit is needed before"},
		{"-.5", "EUR", 0, money.ErrInvalidAmount, "a digit is needed before"},
		{"5.", "EUR", 0, money.ErrInvalidAmount, "digits are needed after"},
		{"1.2.3", "EUR", 0, money.ErrInvalidAmount, "more than one"},
		{"-", "EUR", 0, money.ErrInvalidAmount, "no digits"},
		{"--5", "EUR", 0, money.ErrInvalidAmount, "not a decimal number"},
		{"abc", "EUR", 0, money.ErrInvalidAmount, "not a decimal number"},
		{"NaN", "EUR", 0, money.ErrInvalidAmount, "not a decimal number"},
		{"Inf", "EUR", 0, money.ErrInvalidAmount, "not a decimal number"},
		{"0x10", "EUR", 0, money.ErrInvalidAmount, "not a decimal number"},
		{"€10", "EUR", 0, money.ErrInvalidAmount, "not a decimal number"},
		{"10EUR", "EUR", 0, money.ErrInvalidAmount, "not a decimal number"},
		{"+1e3", "EUR", 0, money.ErrInvalidAmount, "exponent notation"},
		{"1e-2", "EUR", 0, money.ErrInvalidAmount, "exponent notation"},
		{"١٢", "EUR", 0, money.ErrInvalidAmount, "not a decimal number"},

		{"10000000000.00", "EUR", 0, money.ErrOverflow, "beyond the limit of ±9999999999.99 EUR"},
		{"-10000000000", "EUR", 0, money.ErrOverflow, "beyond the limit"},
		{"1000000000000", "JPY", 0, money.ErrOverflow, "±999999999999 JPY"},
		{"99999999999999999999999999999", "EUR", 0, money.ErrOverflow, "beyond the limit"},

		{"10", "XYZ", 0, money.ErrUnknownCurrency, `unknown currency "XYZ"`},
	}
	for _, tt := range tests {
		got, err := money.ParseDecimal(tt.in, tt.code)
		if tt.wantErr == nil {
			if err != nil {
				t.Errorf("ParseDecimal(%q, %q): unexpected error %v", tt.in, tt.code, err)
			} else if got != amt(t, tt.want, tt.code) {
				t.Errorf("ParseDecimal(%q, %q) = %+v, want %d minor", tt.in, tt.code, got, tt.want)
			}
			continue
		}
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("ParseDecimal(%q, %q) error = %v, want %v", tt.in, tt.code, err, tt.wantErr)
			continue
		}
		if !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ParseDecimal(%q, %q) error = %q, want it to mention %q", tt.in, tt.code, err, tt.msg)
		}
		if got != (money.Amount{}) {
			t.Errorf("ParseDecimal(%q, %q) returned %+v with an error", tt.in, tt.code, got)
		}
	}
}

func TestParseDecimalMessage(t *testing.T) {
	t.Parallel()
	_, err := money.ParseDecimal("10.505", "EUR")
	want := `invalid amount "10.505" for EUR: it has 3 decimal places but EUR allows at most 2; ` +
		`write digits with an optional leading "-" and up to 2 decimals after ".", e.g. "1234.50"`
	if err == nil || err.Error() != want {
		t.Errorf("error = %q\nwant    %q", err, want)
	}
	_, err = money.ParseDecimal("12.5", "JPY")
	want = `invalid amount "12.5" for JPY: it has 1 decimal place but JPY has no minor unit; ` +
		`write digits with an optional leading "-" and no decimals, e.g. "1234"`
	if err == nil || err.Error() != want {
		t.Errorf("error = %q\nwant    %q", err, want)
	}
	// Huge input is clipped in the message.
	_, err = money.ParseDecimal(strings.Repeat("x", 10_000), "EUR")
	if err == nil || len(err.Error()) > 300 {
		t.Errorf("error for huge input is %d bytes long", len(err.Error()))
	}
}

// FuzzParseDecimal checks that ParseDecimal never panics, that every error
// wraps one of the package's sentinels, and that whatever it accepts is in
// range and prints back as the canonical form of the input.
func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"10.5", "-0.05", "1e3", "", "9999999999.99", "10000000000", ".5", "5.", "1,0"} {
		f.Add(s, "EUR")
	}
	f.Add("1.234", "KWD")
	f.Add("1000", "JPY")
	f.Fuzz(func(t *testing.T, s, code string) {
		a, err := money.ParseDecimal(s, code)
		if err != nil {
			if !errors.Is(err, money.ErrInvalidAmount) && !errors.Is(err, money.ErrOverflow) && !errors.Is(err, money.ErrUnknownCurrency) {
				t.Fatalf("ParseDecimal(%q, %q): error %v wraps no sentinel", s, code, err)
			}
			return
		}
		if a.Minor > money.MaxMinor || a.Minor < -money.MaxMinor {
			t.Fatalf("ParseDecimal(%q, %q) = %d, out of range", s, code, a.Minor)
		}
		back, err := money.ParseDecimal(a.Decimal(), code)
		if err != nil || back != a {
			t.Fatalf("ParseDecimal(%q, %q) = %v, but its Decimal %q reads back as %v, %v", s, code, a, a.Decimal(), back, err)
		}
	})
}
