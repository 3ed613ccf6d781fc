package money_test

import (
	"errors"
	"math"
	"math/big"
	"testing"

	"github.com/paymux/paymux/internal/money"
	"pgregory.net/rapid"
)

// Generators. Minor amounts are drawn from the valid range ±MaxMinor; the
// overflow properties also draw from the whole int64 range, because an
// Amount can be built directly (e.g. from a database row).

var genCurrency = rapid.SampledFrom(money.Currencies())

func genMinor() *rapid.Generator[int64] {
	return rapid.OneOf(
		rapid.Int64Range(-money.MaxMinor, money.MaxMinor),
		rapid.Int64Range(-10_000, 10_000),
		rapid.SampledFrom([]int64{0, 1, -1, money.MaxMinor, -money.MaxMinor, money.MaxMinor / 2, -money.MaxMinor / 2}),
	)
}

func genAnyMinor() *rapid.Generator[int64] {
	return rapid.OneOf(genMinor(), rapid.Int64(),
		rapid.SampledFrom([]int64{math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1, money.MaxMinor + 1, -money.MaxMinor - 1}))
}

func drawAmount(t *rapid.T, c money.Currency, label string) money.Amount {
	return money.Amount{Minor: genMinor().Draw(t, label), Currency: c}
}

// checkExact asserts that got/err is the exact result want when it lies in
// ±MaxMinor, and an ErrOverflow error otherwise.
func checkExact(t *rapid.T, what string, want *big.Int, got money.Amount, err error, c money.Currency) {
	limit := big.NewInt(money.MaxMinor)
	if want.CmpAbs(limit) > 0 {
		if !errors.Is(err, money.ErrOverflow) {
			t.Fatalf("%s: exact result %s is out of range but got %v, %v", what, want, got, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("%s: exact result %s is in range but got error %v", what, want, err)
	}
	if got.Minor != want.Int64() || got.Currency != c {
		t.Fatalf("%s = %v, want %s %s minor", what, got, want, c.Code)
	}
}

func TestPropAddSubInverse(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		c := genCurrency.Draw(t, "currency")
		a, b := drawAmount(t, c, "a"), drawAmount(t, c, "b")
		sum, err := a.Add(b)
		if err != nil {
			if !errors.Is(err, money.ErrOverflow) {
				t.Fatalf("%v + %v: %v", a, b, err)
			}
			return
		}
		back, err := sum.Sub(b)
		if err != nil || back != a {
			t.Fatalf("(%v + %v) - %v = %v, %v; want %v", a, b, b, back, err, a)
		}
		diff, err := a.Sub(b)
		if err != nil {
			if !errors.Is(err, money.ErrOverflow) {
				t.Fatalf("%v - %v: %v", a, b, err)
			}
			return
		}
		back, err = diff.Add(b)
		if err != nil || back != a {
			t.Fatalf("(%v - %v) + %v = %v, %v; want %v", a, b, b, back, err, a)
		}
	})
}

func TestPropAddCommutative(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		c := genCurrency.Draw(t, "currency")
		a, b := drawAmount(t, c, "a"), drawAmount(t, c, "b")
		ab, errAB := a.Add(b)
		ba, errBA := b.Add(a)
		if ab != ba || (errAB == nil) != (errBA == nil) {
			t.Fatalf("%v + %v = %v, %v but %v + %v = %v, %v", a, b, ab, errAB, b, a, ba, errBA)
		}
	})
}

func TestPropCurrencyMismatchAlwaysReported(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		c1, c2 := genCurrency.Draw(t, "c1"), genCurrency.Draw(t, "c2")
		if c1.Code == c2.Code {
			return
		}
		a, b := drawAmount(t, c1, "a"), drawAmount(t, c2, "b")
		_, errAdd := a.Add(b)
		_, errSub := a.Sub(b)
		_, errCmp := a.Cmp(b)
		for _, err := range []error{errAdd, errSub, errCmp} {
			if !errors.Is(err, money.ErrCurrencyMismatch) {
				t.Fatalf("%v vs %v: error %v, want ErrCurrencyMismatch", a, b, err)
			}
		}
	})
}

// TestPropRoundTrip checks ParseDecimal(Decimal(a)) == a, for every currency.
func TestPropRoundTrip(t *testing.T) {
	t.Parallel()
	for _, c := range money.Currencies() {
		t.Run(c.Code, func(t *testing.T) {
			t.Parallel()
			rapid.Check(t, func(t *rapid.T) {
				a := drawAmount(t, c, "a")
				back, err := money.ParseDecimal(a.Decimal(), c.Code)
				if err != nil || back != a {
					t.Fatalf("ParseDecimal(%q, %s) = %v, %v; want %v", a.Decimal(), c.Code, back, err, a)
				}
			})
		})
	}
}

// TestPropOverflowAlwaysReported compares Add, Sub, Mul and New against
// exact big-integer arithmetic over the whole int64 range: the result is
// either exact or an ErrOverflow error, never a wrapped value.
func TestPropOverflowAlwaysReported(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		c := genCurrency.Draw(t, "currency")
		x, y := genAnyMinor().Draw(t, "x"), genAnyMinor().Draw(t, "y")
		a := money.Amount{Minor: x, Currency: c}
		b := money.Amount{Minor: y, Currency: c}
		bx, by := big.NewInt(x), big.NewInt(y)

		got, err := a.Add(b)
		checkExact(t, "Add", new(big.Int).Add(bx, by), got, err, c)
		got, err = a.Sub(b)
		checkExact(t, "Sub", new(big.Int).Sub(bx, by), got, err, c)
		got, err = a.Mul(y)
		checkExact(t, "Mul", new(big.Int).Mul(bx, by), got, err, c)
		got, err = money.New(x, c.Code)
		checkExact(t, "New", bx, got, err, c)
	})
}

func TestPropMulIsRepeatedAdd(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		c := genCurrency.Draw(t, "currency")
		a := drawAmount(t, c, "a")
		n := rapid.Int64Range(-60, 60).Draw(t, "n")

		// Repeated Add (or Sub for negative n). The partial sums grow
		// monotonically, so an overflow on the way means the product
		// overflows too.
		acc := money.Amount{Currency: c}
		var accErr error
		for i := int64(0); i < n && accErr == nil; i++ {
			acc, accErr = acc.Add(a)
		}
		for i := int64(0); i > n && accErr == nil; i-- {
			acc, accErr = acc.Sub(a)
		}
		prod, err := a.Mul(n)
		if accErr != nil {
			if !errors.Is(err, money.ErrOverflow) {
				t.Fatalf("%v × %d: repeated addition overflowed (%v) but Mul = %v, %v", a, n, accErr, prod, err)
			}
			return
		}
		if err != nil || prod != acc {
			t.Fatalf("%v × %d = %v, %v; repeated addition gives %v", a, n, prod, err, acc)
		}
	})
}

// TestPropTaxOfExact compares TaxOf with exact rational arithmetic rounded
// half away from zero, and checks it is odd-symmetric (credit notes).
func TestPropTaxOfExact(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		c := genCurrency.Draw(t, "currency")
		net := money.Amount{Minor: genAnyMinor().Draw(t, "net"), Currency: c}
		rate := rapid.OneOf(
			rapid.SampledFrom([]int64{0, 1, 400, 500, 1000, 2000, 2200, 2500, 5000, 10_000}), // common rates; many exact halves
			rapid.Int64Range(0, 10_000),
			rapid.Int64Range(0, math.MaxInt64),
		).Draw(t, "rate")

		// want = round_half_away(net*rate/10000)
		p := new(big.Int).Mul(big.NewInt(net.Minor), big.NewInt(rate))
		q, r := new(big.Int).QuoRem(p, big.NewInt(10_000), new(big.Int))
		if new(big.Int).Abs(r).Cmp(big.NewInt(5_000)) >= 0 {
			q.Add(q, big.NewInt(int64(p.Sign())))
		}
		got, err := money.TaxOf(net, rate)
		checkExact(t, "TaxOf", q, got, err, c)

		if net.Minor != math.MinInt64 {
			neg, errNeg := money.TaxOf(money.Amount{Minor: -net.Minor, Currency: c}, rate)
			if (err == nil) != (errNeg == nil) || (err == nil && neg.Minor != -got.Minor) {
				t.Fatalf("TaxOf not symmetric: TaxOf(%v) = %v, %v; TaxOf(-net) = %v, %v", net, got, err, neg, errNeg)
			}
		}
	})
}

// TestPropFormatLocaleDigits checks that FormatLocale keeps every digit:
// removing everything but digits gives the digits of Decimal.
func TestPropFormatLocaleDigits(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		c := genCurrency.Draw(t, "currency")
		a := drawAmount(t, c, "a")
		loc := rapid.SampledFrom([]string{"en", "it", "de", "fr", "es", "pl", "zz"}).Draw(t, "locale")
		if got, want := onlyDigits(money.FormatLocale(a, loc)), onlyDigits(a.Decimal()); got != want {
			t.Fatalf("FormatLocale(%v, %s) = %q: digits %q, want %q", a, loc, money.FormatLocale(a, loc), got, want)
		}
	})
}

func onlyDigits(s string) string {
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			out = append(out, s[i])
		}
	}
	return string(out)
}
