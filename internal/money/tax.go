package money

import (
	"fmt"
	"math/bits"
)

// TaxOf computes tax in minor units for a net amount at a rate given in basis
// points (2200 = 22%), rounding half away from zero, exact integer
// arithmetic. Half away from zero is the commercial rounding EU VAT rules
// and invoices expect, and it is symmetric, so a credit note's tax is the
// exact negation of the invoice's. The result is in net's currency. A
// negative rate wraps [ErrInvalidAmount]; a result beyond ±MaxMinor wraps
// [ErrOverflow].
func TaxOf(net Amount, rateBasisPoints int64) (Amount, error) {
	if rateBasisPoints < 0 {
		return Amount{}, fmt.Errorf("%w: tax rate %d basis points is negative; give the rate in basis points, e.g. 2200 for 22%%", ErrInvalidAmount, rateBasisPoints)
	}
	const basis = 10_000
	hi, lo := bits.Mul64(absU(net.Minor), uint64(rateBasisPoints))
	if hi >= basis { // the quotient would not fit in 64 bits
		return Amount{}, taxOverflow(net, rateBasisPoints)
	}
	q, rem := bits.Div64(hi, lo, basis)
	if rem >= basis/2 {
		q++
	}
	if q > uint64(MaxMinor) {
		return Amount{}, taxOverflow(net, rateBasisPoints)
	}
	tax := int64(q)
	if net.Minor < 0 {
		tax = -tax
	}
	return Amount{Minor: tax, Currency: net.Currency}, nil
}

func taxOverflow(net Amount, rate int64) error {
	return fmt.Errorf("%w: tax at %d basis points on %s is beyond the limit of ±%d minor units", ErrOverflow, rate, net, MaxMinor)
}
