package money

import (
	"fmt"
	"regexp"
	"strings"
)

// exponentForm matches scientific notation such as "1e3" or "-1.5E+2", to
// explain why it is rejected.
var exponentForm = regexp.MustCompile(`^[-+]?[0-9]*\.?[0-9]+[eE][-+]?[0-9]+$`)

// ParseDecimal reads a plain decimal in major units ("10.5", "-0.05",
// "1000") as an amount of the currency with the given code: "10.5" EUR is
// 1050 minor units. It is the inverse of [Amount.Decimal] and is strict,
// because it reads money from API clients and files: accepted is an
// optional "-", one or more digits, and optionally "." followed by one to
// Exponent digits. Rejected, with an error wrapping [ErrInvalidAmount] that
// says what was wrong, are the empty string, more decimals than the
// currency has (even trailing zeros, and any decimals for JPY), exponents
// ("1e3"), grouping or decimal commas ("1,000.00", "10,50"), signs other
// than a leading "-", spaces and anything else. Values beyond ±MaxMinor
// wrap [ErrOverflow]; an unknown code wraps [ErrUnknownCurrency].
func ParseDecimal(s, code string) (Amount, error) {
	c, err := LookupCurrency(code)
	if err != nil {
		return Amount{}, err
	}
	body, neg := strings.CutPrefix(s, "-")
	intPart, frac, hasDot := strings.Cut(body, ".")
	if !allDigits(intPart) || (hasDot && !allDigits(frac)) {
		return Amount{}, invalid(s, c, syntaxProblem(s, intPart, frac, hasDot))
	}
	if len(frac) > c.Exponent {
		return Amount{}, invalid(s, c, decimalsProblem(len(frac), c))
	}
	var v int64
	for _, d := range intPart + frac + strings.Repeat("0", c.Exponent-len(frac)) {
		// v <= MaxMinor here, so v*10+9 cannot overflow int64.
		v = v*10 + int64(d-'0')
		if v > MaxMinor {
			return Amount{}, fmt.Errorf("%w: %q %s is beyond the limit of ±%s %s", ErrOverflow, clip(s), c.Code, Amount{Minor: MaxMinor, Currency: c}.Decimal(), c.Code)
		}
	}
	if neg {
		v = -v
	}
	return Amount{Minor: v, Currency: c}, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// invalid builds an ErrInvalidAmount error naming the input, the problem
// and an example of the accepted form.
func invalid(s string, c Currency, problem string) error {
	return fmt.Errorf("%w %q for %s: %s; write digits with an optional leading \"-\" and %s, e.g. %q",
		ErrInvalidAmount, clip(s), c.Code, problem, decimalsAllowed(c), example(c))
}

// syntaxProblem explains why s is not of the form -?digits(.digits)?.
func syntaxProblem(s, intPart, frac string, hasDot bool) string {
	switch {
	case s == "":
		return "it is empty"
	case strings.TrimSpace(s) == "":
		return "it is blank"
	case strings.ContainsAny(s, " \t\r\n\u00a0\u202f"):
		return "it contains spaces"
	case exponentForm.MatchString(s):
		return "exponent notation is not accepted"
	case strings.HasPrefix(s, "+"):
		return "a leading \"+\" is not accepted"
	case strings.Contains(s, ","):
		return "commas (grouping or decimal) are not accepted"
	case strings.Count(s, ".") > 1:
		return "it has more than one \".\""
	case hasDot && intPart == "" && allDigits(frac):
		return "a digit is needed before the \".\""
	case hasDot && frac == "" && allDigits(intPart):
		return "digits are needed after the \".\""
	case s == "-":
		return "it has a sign but no digits"
	default:
		return "it is not a decimal number"
	}
}

func decimalsProblem(n int, c Currency) string {
	places := "decimal places"
	if n == 1 {
		places = "decimal place"
	}
	if c.Exponent == 0 {
		return fmt.Sprintf("it has %d %s but %s has no minor unit", n, places, c.Code)
	}
	return fmt.Sprintf("it has %d %s but %s allows at most %d", n, places, c.Code, c.Exponent)
}

func decimalsAllowed(c Currency) string {
	switch c.Exponent {
	case 0:
		return "no decimals"
	case 1:
		return "up to 1 decimal"
	default:
		return fmt.Sprintf("up to %d decimals after \".\"", c.Exponent)
	}
}

// example returns a sample amount in c's decimal form, e.g. "1234.50".
func example(c Currency) string {
	if c.Exponent == 0 {
		return "1234"
	}
	return "1234." + "5" + strings.Repeat("0", c.Exponent-1)
}
