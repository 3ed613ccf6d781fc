// Package money holds paymux's representation of money: ISO 4217 currencies
// and exact amounts.
//
// An [Amount] is an int64 count of the currency's minor unit (cents for EUR,
// yen for JPY, fils for KWD) together with its [Currency]. Integers, not
// floats or decimals, because every value a payment provider or a bank
// exchanges is a whole number of minor units: binary floating point cannot
// represent 0.10 exactly, and rounding drift in totals, refunds or tax would
// make ledgers disagree with providers. The number of minor-unit digits comes
// from the ISO 4217 table in currencies.go, never from guessing.
//
// All arithmetic is overflow-checked and every Amount this package produces
// stays within ±[MaxMinor], so conversion to and from decimal text
// ([Amount.Decimal], [ParseDecimal]) is exact and lossless.
package money
