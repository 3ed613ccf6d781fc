package money_test

import (
	"errors"
	"math"
	"testing"

	"github.com/paymux/paymux/internal/money"
)

func amt(t testing.TB, minor int64, code string) money.Amount {
	t.Helper()
	a, err := money.New(minor, code)
	if err != nil {
		t.Fatalf("New(%d, %q): %v", minor, code, err)
	}
	return a
}

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		minor   int64
		code    string
		wantErr error
	}{
		{0, "EUR", nil},
		{1050, "eur", nil},
		{-5, "EUR", nil},
		{money.MaxMinor, "JPY", nil},
		{-money.MaxMinor, "JPY", nil},
		{money.MaxMinor + 1, "EUR", money.ErrOverflow},
		{-money.MaxMinor - 1, "EUR", money.ErrOverflow},
		{math.MaxInt64, "EUR", money.ErrOverflow},
		{math.MinInt64, "EUR", money.ErrOverflow},
		{100, "XXX", money.ErrUnknownCurrency},
		{100, "", money.ErrUnknownCurrency},
	}
	for _, tt := range tests {
		a, err := money.New(tt.minor, tt.code)
		if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
			t.Errorf("New(%d, %q) error = %v, want %v", tt.minor, tt.code, err, tt.wantErr)
			continue
		}
		if err == nil && (a.Minor != tt.minor || a.Currency != money.MustCurrency(tt.code)) {
			t.Errorf("New(%d, %q) = %+v", tt.minor, tt.code, a)
		}
	}
}

func TestArithmetic(t *testing.T) {
	t.Parallel()
	eur := func(m int64) money.Amount { return amt(t, m, "EUR") }
	usd := amt(t, 100, "USD")
	// Amounts built directly (e.g. read from a database row) may hold any
	// int64; arithmetic must still never wrap.
	huge := money.Amount{Minor: math.MaxInt64, Currency: money.MustCurrency("EUR")}
	tiny := money.Amount{Minor: math.MinInt64, Currency: money.MustCurrency("EUR")}
	type op func() (money.Amount, error)
	tests := []struct {
		name    string
		op      op
		want    int64
		wantErr error
	}{
		{"add", func() (money.Amount, error) { return eur(1050).Add(eur(25)) }, 1075, nil},
		{"add negative", func() (money.Amount, error) { return eur(1050).Add(eur(-2000)) }, -950, nil},
		{"add to max", func() (money.Amount, error) { return eur(money.MaxMinor - 1).Add(eur(1)) }, money.MaxMinor, nil},
		{"add past max", func() (money.Amount, error) { return eur(money.MaxMinor).Add(eur(1)) }, 0, money.ErrOverflow},
		{"add past min", func() (money.Amount, error) { return eur(-money.MaxMinor).Add(eur(-1)) }, 0, money.ErrOverflow},
		{"add int64 wrap", func() (money.Amount, error) { return huge.Add(eur(1)) }, 0, money.ErrOverflow},
		{"add int64 wrap negative", func() (money.Amount, error) { return tiny.Add(eur(-1)) }, 0, money.ErrOverflow},
		{"add mismatch", func() (money.Amount, error) { return eur(1).Add(usd) }, 0, money.ErrCurrencyMismatch},
		{"sub", func() (money.Amount, error) { return eur(1050).Sub(eur(50)) }, 1000, nil},
		{"sub below zero", func() (money.Amount, error) { return eur(50).Sub(eur(1050)) }, -1000, nil},
		{"sub past min", func() (money.Amount, error) { return eur(-money.MaxMinor).Sub(eur(1)) }, 0, money.ErrOverflow},
		{"sub past max", func() (money.Amount, error) { return eur(money.MaxMinor).Sub(eur(-1)) }, 0, money.ErrOverflow},
		{"sub int64 wrap", func() (money.Amount, error) { return eur(0).Sub(tiny) }, 0, money.ErrOverflow},
		{"sub int64 wrap 2", func() (money.Amount, error) { return tiny.Sub(eur(1)) }, 0, money.ErrOverflow},
		{"sub mismatch", func() (money.Amount, error) { return eur(1).Sub(usd) }, 0, money.ErrCurrencyMismatch},
		{"mul", func() (money.Amount, error) { return eur(199).Mul(3) }, 597, nil},
		{"mul zero", func() (money.Amount, error) { return eur(199).Mul(0) }, 0, nil},
		{"mul negative", func() (money.Amount, error) { return eur(199).Mul(-2) }, -398, nil},
		{"mul negative amount", func() (money.Amount, error) { return eur(-199).Mul(-2) }, 398, nil},
		{"mul to max", func() (money.Amount, error) { return eur(333_333_333_333).Mul(3) }, money.MaxMinor, nil},
		{"mul past max", func() (money.Amount, error) { return eur(500_000_000_000).Mul(2) }, 0, money.ErrOverflow},
		{"mul int64 wrap", func() (money.Amount, error) { return eur(2).Mul(math.MaxInt64/2 + 1) }, 0, money.ErrOverflow},
		{"mul min int64", func() (money.Amount, error) { return eur(-1).Mul(math.MinInt64) }, 0, money.ErrOverflow},
		{"mul huge by zero", func() (money.Amount, error) { return huge.Mul(0) }, 0, nil},
	}
	for _, tt := range tests {
		got, err := tt.op()
		if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
			t.Errorf("%s: error = %v, want %v", tt.name, err, tt.wantErr)
			continue
		}
		if err == nil && (got.Minor != tt.want || got.Currency.Code != "EUR") {
			t.Errorf("%s = %v, want %d EUR minor", tt.name, got, tt.want)
		}
	}
}

func TestCmpAndPredicates(t *testing.T) {
	t.Parallel()
	a, b := amt(t, 100, "EUR"), amt(t, 200, "EUR")
	for _, tt := range []struct {
		x, y money.Amount
		want int
	}{{a, b, -1}, {b, a, 1}, {a, a, 0}} {
		if got, err := tt.x.Cmp(tt.y); err != nil || got != tt.want {
			t.Errorf("%v.Cmp(%v) = %d, %v; want %d", tt.x, tt.y, got, err, tt.want)
		}
	}
	if _, err := a.Cmp(amt(t, 100, "USD")); !errors.Is(err, money.ErrCurrencyMismatch) {
		t.Errorf("Cmp across currencies: error = %v, want ErrCurrencyMismatch", err)
	}
	if !amt(t, 0, "EUR").IsZero() || a.IsZero() {
		t.Error("IsZero wrong")
	}
	if !amt(t, -1, "EUR").IsNegative() || a.IsNegative() || amt(t, 0, "EUR").IsNegative() {
		t.Error("IsNegative wrong")
	}
}

func TestDecimalAndString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		minor    int64
		code     string
		dec, str string
	}{
		{1050, "EUR", "10.50", "10.50 EUR"},
		{-5, "EUR", "-0.05", "-0.05 EUR"},
		{0, "EUR", "0.00", "0.00 EUR"},
		{1, "EUR", "0.01", "0.01 EUR"},
		{-100, "EUR", "-1.00", "-1.00 EUR"},
		{1000, "JPY", "1000", "1000 JPY"},
		{-7, "JPY", "-7", "-7 JPY"},
		{1234, "KWD", "1.234", "1.234 KWD"},
		{5, "KWD", "0.005", "0.005 KWD"},
		{1, "CLF", "0.0001", "0.0001 CLF"},
		{money.MaxMinor, "EUR", "9999999999.99", "9999999999.99 EUR"},
		{-money.MaxMinor, "JPY", "-999999999999", "-999999999999 JPY"},
		{money.MaxMinor, "UYW", "99999999.9999", "99999999.9999 UYW"},
	}
	for _, tt := range tests {
		a := amt(t, tt.minor, tt.code)
		if got := a.Decimal(); got != tt.dec {
			t.Errorf("%d %s Decimal() = %q, want %q", tt.minor, tt.code, got, tt.dec)
		}
		if got := a.String(); got != tt.str {
			t.Errorf("%d %s String() = %q, want %q", tt.minor, tt.code, got, tt.str)
		}
	}
	// Direct construction outside ±MaxMinor still formats exactly.
	lowest := money.Amount{Minor: math.MinInt64, Currency: money.MustCurrency("EUR")}
	if got, want := lowest.Decimal(), "-92233720368547758.08"; got != want {
		t.Errorf("MinInt64 Decimal() = %q, want %q", got, want)
	}
	if got := (money.Amount{}).String(); got != "0" {
		t.Errorf("zero Amount String() = %q, want \"0\"", got)
	}
}

func TestErrorMessagesSayWhatWasWrong(t *testing.T) {
	t.Parallel()
	_, err := amt(t, 1, "EUR").Add(amt(t, 1, "USD"))
	if want := "currency mismatch: cannot add 0.01 EUR and 0.01 USD; convert to one currency first"; err == nil || err.Error() != want {
		t.Errorf("mismatch error = %q, want %q", err, want)
	}
	_, err = money.New(money.MaxMinor+1, "EUR")
	if want := "amount overflow: 1000000000000 minor units of EUR is beyond the limit of ±999999999999"; err == nil || err.Error() != want {
		t.Errorf("overflow error = %q, want %q", err, want)
	}
}
