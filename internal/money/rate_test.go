package money_test

import (
	"errors"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/paymux/paymux/internal/money"
)

func TestParseRate(t *testing.T) {
	t.Parallel()
	good := map[string]int64{"22": 2200, "0": 0, "5.5": 550, "8.00": 800, "7.7": 770, "99.99": 9999, "0.01": 1, "04": 400}
	for in, want := range good {
		if got, err := money.ParseRate(in); err != nil || got != want {
			t.Errorf("ParseRate(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	bad := map[string]string{
		"":      "empty",
		"22%":   "% sign",
		"5,5":   "comma",
		"-1":    "negative",
		"5.125": "two decimals",
		"100":   "below 100",
		"abc":   "not a number",
		"1e2":   "not a number",
		" 22":   "not a number",
		"22.":   "not a number",
		".5":    "not a number",
	}
	for in, why := range bad {
		_, err := money.ParseRate(in)
		if !errors.Is(err, money.ErrInvalidRate) || !strings.Contains(err.Error(), why) {
			t.Errorf("ParseRate(%q) = %v; want ErrInvalidRate saying %q", in, err, why)
		}
	}
}

func TestFormatRateRoundTrips(t *testing.T) {
	t.Parallel()
	for bp, want := range map[int64]string{2200: "22", 550: "5.5", 525: "5.25", 0: "0", 1: "0.01", 9999: "99.99", 1000: "10"} {
		if got := money.FormatRate(bp); got != want {
			t.Errorf("FormatRate(%d) = %q, want %q", bp, got, want)
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		bp := rapid.Int64Range(0, money.MaxRateBasisPoints).Draw(t, "bp")
		back, err := money.ParseRate(money.FormatRate(bp))
		if err != nil || back != bp {
			t.Fatalf("ParseRate(FormatRate(%d)) = %d, %v", bp, back, err)
		}
	})
}
