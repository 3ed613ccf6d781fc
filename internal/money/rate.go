package money

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrInvalidRate is wrapped by every error about text that is not an acceptable
// tax rate.
var ErrInvalidRate = errors.New("invalid tax rate")

// MaxRateBasisPoints is the highest tax rate accepted: 99.99%.
const MaxRateBasisPoints = 9999

// ParseRate reads a tax rate written as a percentage, "22", "5.5" or "8.00",
// exactly into basis points (2200, 550, 800), the unit [TaxOf] takes. Rates
// travel as decimal strings so that no float ever touches them. Accepted are
// digits with optionally "." and one or two decimals, from 0 to 99.99; the
// error (wrapping [ErrInvalidRate]) says what is wrong with anything else,
// such as "22%", "5,5", "-1" or "5.125".
func ParseRate(s string) (int64, error) {
	bad := func(why string) error {
		return fmt.Errorf("%w %q: %s; write the percentage as a decimal string such as \"22\" or \"5.5\"", ErrInvalidRate, clip(s), why)
	}
	switch {
	case s == "":
		return 0, bad("it is empty")
	case strings.HasSuffix(s, "%"):
		return 0, bad("leave out the % sign")
	case strings.HasPrefix(s, "-"):
		return 0, bad("a rate cannot be negative")
	case strings.Contains(s, ","):
		return 0, bad("use a decimal point, not a comma")
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if !allDigits(intPart) || (hasDot && !allDigits(frac)) {
		return 0, bad("it is not a number")
	}
	if len(frac) > 2 {
		return 0, bad("at most two decimals are allowed")
	}
	if len(intPart) > 2 {
		return 0, bad("it must be below 100")
	}
	frac += strings.Repeat("0", 2-len(frac))
	n, err := strconv.ParseInt(intPart+frac, 10, 64)
	if err != nil || n > MaxRateBasisPoints {
		return 0, bad("it must be below 100")
	}
	return n, nil
}

// FormatRate writes basis points as the shortest exact percentage, the
// inverse of [ParseRate]: 2200 → "22", 550 → "5.5", 525 → "5.25", 0 → "0".
func FormatRate(bp int64) string {
	neg := bp < 0
	if neg {
		bp = -bp
	}
	s := strconv.FormatInt(bp/100, 10)
	if f := bp % 100; f != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%02d", f), "0")
	}
	if neg {
		s = "-" + s
	}
	return s
}
