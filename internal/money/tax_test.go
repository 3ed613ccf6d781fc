package money_test

import (
	"errors"
	"math"
	"testing"

	"github.com/paymux/paymux/internal/money"
)

func TestTaxOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		net     int64
		code    string
		rate    int64
		want    int64
		wantErr error
	}{
		{10000, "EUR", 2200, 2200, nil}, // €100.00 at 22% = €22.00
		{1000, "EUR", 2200, 220, nil},
		{1, "EUR", 2200, 0, nil},          // 0.22 → 0
		{3, "EUR", 2200, 1, nil},          // 0.66 → 1
		{25, "EUR", 2000, 5, nil},         // exactly 5
		{5, "EUR", 1000, 1, nil},          // 0.5 → 1 (half away from zero)
		{-5, "EUR", 1000, -1, nil},        // -0.5 → -1 (symmetric)
		{15, "EUR", 1000, 2, nil},         // 1.5 → 2
		{25, "EUR", 1000, 3, nil},         // 2.5 → 3, not banker's 2
		{-25, "EUR", 1000, -3, nil},       // -2.5 → -3
		{14, "EUR", 1000, 1, nil},         // 1.4 → 1
		{-14, "EUR", 1000, -1, nil},       // -1.4 → -1
		{4999, "EUR", 1, 0, nil},          // 0.4999 → 0
		{5000, "EUR", 1, 1, nil},          // 0.5 → 1
		{1999, "EUR", 2200, 440, nil},     // 439.78 → 440
		{8197, "EUR", 2200, 1803, nil},    // 1803.34 → 1803
		{12345, "EUR", 550, 679, nil},     // 678.975 → 679
		{12345, "EUR", 0, 0, nil},         // zero rate
		{-12345, "EUR", 0, 0, nil},        // zero rate, negative net
		{1000, "JPY", 1000, 100, nil},     // ¥1000 at 10%
		{1005, "JPY", 800, 80, nil},       // 80.4 → 80
		{1234, "KWD", 500, 62, nil},       // 61.7 → 62
		{10000, "EUR", 10000, 10000, nil}, // 100%
		{money.MaxMinor, "EUR", 10000, money.MaxMinor, nil},
		{money.MaxMinor, "EUR", 10001, 0, money.ErrOverflow},
		{money.MaxMinor, "EUR", math.MaxInt64, 0, money.ErrOverflow},
		{100, "EUR", -1, 0, money.ErrInvalidAmount},
	}
	for _, tt := range tests {
		net := amt(t, tt.net, tt.code)
		got, err := money.TaxOf(net, tt.rate)
		if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
			t.Errorf("TaxOf(%v, %d) error = %v, want %v", net, tt.rate, err, tt.wantErr)
			continue
		}
		if err == nil && got != amt(t, tt.want, tt.code) {
			t.Errorf("TaxOf(%v, %d) = %v, want %d minor", net, tt.rate, got, tt.want)
		}
	}
	// Direct construction with an out-of-range Minor must not wrap.
	huge := money.Amount{Minor: math.MinInt64, Currency: money.MustCurrency("EUR")}
	if _, err := money.TaxOf(huge, math.MaxInt64); !errors.Is(err, money.ErrOverflow) {
		t.Errorf("TaxOf(MinInt64, MaxInt64) error = %v, want ErrOverflow", err)
	}
}
