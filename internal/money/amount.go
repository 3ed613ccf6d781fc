package money

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// Errors returned (wrapped, with a message saying what was wrong) by the
// constructors and arithmetic of this package; test for them with errors.Is.
var (
	// ErrCurrencyMismatch reports an operation on amounts of different
	// currencies: paymux never converts implicitly.
	ErrCurrencyMismatch = errors.New("currency mismatch")
	// ErrOverflow reports a value or result beyond ±MaxMinor. Arithmetic is
	// checked so a result never silently wraps around.
	ErrOverflow = errors.New("amount overflow")
	// ErrInvalidAmount reports text that is not an acceptable amount, or an
	// argument (such as a negative tax rate) that cannot yield one.
	ErrInvalidAmount = errors.New("invalid amount")
)

// MaxMinor is the largest amount in minor units paymux accepts in one value
// (999_999_999_999); sums of many such stay far from int64 overflow. Every
// Amount this package returns satisfies -MaxMinor <= Minor <= MaxMinor.
const MaxMinor int64 = 999_999_999_999

// Amount is an exact sum of money: Minor is a count of the currency's minor
// units (1050 EUR = €10.50, 1000 JPY = ¥1000), never a float. Negative
// amounts are allowed for credit notes and adjustments. Amounts are
// comparable with == when they come from this package.
type Amount struct {
	Minor    int64
	Currency Currency
}

// New returns the amount of minor units in the currency with the given code
// (looked up case-insensitively). It fails with an error wrapping
// [ErrUnknownCurrency] for an unknown code and [ErrOverflow] when
// |minor| > MaxMinor.
func New(minor int64, code string) (Amount, error) {
	c, err := LookupCurrency(code)
	if err != nil {
		return Amount{}, err
	}
	if minor > MaxMinor || minor < -MaxMinor {
		return Amount{}, fmt.Errorf("%w: %d minor units of %s is beyond the limit of ±%d", ErrOverflow, minor, c.Code, MaxMinor)
	}
	return Amount{Minor: minor, Currency: c}, nil
}

// Add returns a+b. Both must have the same currency ([ErrCurrencyMismatch]);
// a result beyond ±MaxMinor is reported as [ErrOverflow], never wrapped.
func (a Amount) Add(b Amount) (Amount, error) {
	if err := sameCurrency("add", a, b); err != nil {
		return Amount{}, err
	}
	if (b.Minor > 0 && a.Minor > math.MaxInt64-b.Minor) || (b.Minor < 0 && a.Minor < math.MinInt64-b.Minor) {
		return Amount{}, overflow("sum", a, b)
	}
	return a.within(a.Minor+b.Minor, "sum", b)
}

// Sub returns a-b, e.g. the amount left to refund. Same rules as [Amount.Add].
func (a Amount) Sub(b Amount) (Amount, error) {
	if err := sameCurrency("subtract", a, b); err != nil {
		return Amount{}, err
	}
	if (b.Minor < 0 && a.Minor > math.MaxInt64+b.Minor) || (b.Minor > 0 && a.Minor < math.MinInt64+b.Minor) {
		return Amount{}, overflow("difference", a, b)
	}
	return a.within(a.Minor-b.Minor, "difference", b)
}

// Mul returns a×n, e.g. quantity × unit price of an order line. A result
// beyond ±MaxMinor is reported as [ErrOverflow], never wrapped.
func (a Amount) Mul(n int64) (Amount, error) {
	hi, lo := bits.Mul64(absU(a.Minor), absU(n))
	if hi != 0 || lo > uint64(MaxMinor) {
		return Amount{}, fmt.Errorf("%w: %s × %d is beyond the limit of ±%d minor units", ErrOverflow, a, n, MaxMinor)
	}
	r := int64(lo)
	if (a.Minor < 0) != (n < 0) {
		r = -r
	}
	return Amount{Minor: r, Currency: a.Currency}, nil
}

// IsZero reports whether the amount is zero, whatever its currency.
func (a Amount) IsZero() bool { return a.Minor == 0 }

// IsNegative reports whether the amount is below zero (a credit).
func (a Amount) IsNegative() bool { return a.Minor < 0 }

// Cmp compares a and b: -1 if a < b, 0 if equal, +1 if a > b. Amounts of
// different currencies are not ordered and yield [ErrCurrencyMismatch].
func (a Amount) Cmp(b Amount) (int, error) {
	if err := sameCurrency("compare", a, b); err != nil {
		return 0, err
	}
	return cmp.Compare(a.Minor, b.Minor), nil
}

// Decimal returns the amount as a plain decimal in major units with exactly
// the currency's number of minor digits and no grouping: "10.50" (EUR),
// "-0.05" (EUR), "1000" (JPY), "1.234" (KWD). It is computed with integer
// arithmetic, so it is exact, and [ParseDecimal] reads it back unchanged.
// This is the machine form (APIs, CSV, provider requests); for people use
// [FormatLocale].
func (a Amount) Decimal() string {
	intPart, frac := a.digits()
	if a.Minor < 0 {
		intPart = "-" + intPart
	}
	if frac == "" {
		return intPart
	}
	return intPart + "." + frac
}

// String returns the decimal and the currency code, e.g. "10.50 EUR", for
// logs and error messages.
func (a Amount) String() string {
	if a.Currency.Code == "" {
		return a.Decimal()
	}
	return a.Decimal() + " " + a.Currency.Code
}

// digits splits |a.Minor| into its major-unit digits and its minor-unit
// digits (zero-padded to the currency's exponent).
func (a Amount) digits() (intPart, frac string) {
	u := absU(a.Minor)
	e := a.Currency.Exponent
	if e <= 0 {
		return strconv.FormatUint(u, 10), ""
	}
	p := pow10(e)
	frac = strconv.FormatUint(u%p, 10)
	return strconv.FormatUint(u/p, 10), strings.Repeat("0", e-len(frac)) + frac
}

// within returns r in a's currency, or ErrOverflow if r is beyond ±MaxMinor.
func (a Amount) within(r int64, what string, b Amount) (Amount, error) {
	if r > MaxMinor || r < -MaxMinor {
		return Amount{}, overflow(what, a, b)
	}
	return Amount{Minor: r, Currency: a.Currency}, nil
}

func overflow(what string, a, b Amount) error {
	return fmt.Errorf("%w: the %s of %s and %s is beyond the limit of ±%d minor units", ErrOverflow, what, a, b, MaxMinor)
}

func sameCurrency(verb string, a, b Amount) error {
	if a.Currency.Code != b.Currency.Code {
		return fmt.Errorf("%w: cannot %s %s and %s; convert to one currency first", ErrCurrencyMismatch, verb, a, b)
	}
	return nil
}

// absU returns |v| as uint64; correct for math.MinInt64 too.
func absU(v int64) uint64 {
	if v < 0 {
		return uint64(-(v + 1)) + 1
	}
	return uint64(v)
}

// pow10 returns 10^e for the small exponents in the currency table.
func pow10(e int) uint64 {
	p := uint64(1)
	for range e {
		p *= 10
	}
	return p
}
