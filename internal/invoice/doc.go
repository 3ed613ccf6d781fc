// Package invoice is the domain of invoices and credit notes: the documents, how
// their lines and taxes are computed from a payment or a refund, how they are
// numbered, the merchant's invoice settings, and the rows of the accounting export.
// It does no I/O; the engine issues documents, the store keeps them, and
// invoicepdf renders them.
//
// # Money and taxes
//
// Amounts are integer minor units of the payment's currency. Prices are tax
// inclusive (EU consumer sales): a line's amount is gross, and each tax rate's net
// and tax are computed from the gross total at that rate:
//
//	net = round(gross × 100 / (100 + rate)),  tax = gross − net
//
// rounding half away from zero, with rates carried exactly in basis points. A
// document's lines add up to its total, and its tax totals per rate add up to the
// same total.
//
// # Lines
//
// An invoice has one line per payment item, at the item's tax_rate, else the rate
// the settings give its category, else the default rate; a payment without items
// gets one line for the whole amount. The lines always add up to the amount
// captured: when the items add up to less, a line "Other charges" at the default
// rate takes the difference; when they add up to more (a discount, a partial
// capture), one negative "Adjustment" line per rate takes it, split over the rates
// in proportion to their amounts, as EU VAT rules reduce each rate's taxable base.
//
// # Credit notes
//
// A refund of an invoiced payment produces a credit note that references the
// invoice. Its amounts are negative. Refunding everything at once credits every
// invoice line; a partial refund credits each tax rate in proportion to what is
// left of it. Taxes are computed on the cumulative credited amount per rate, so the
// invoice and all its credit notes of a fully refunded payment add up to exactly
// zero, tax included.
//
// # Numbers
//
// Invoices and credit notes have separate series per merchant, mode and calendar
// year (in the merchant's time zone), numbered from 1 without gaps: 2026-000042
// and NC-2026-000003, after the merchant's optional prefix. Test-mode documents
// have their own series and say TEST: TEST-2026-000001.
package invoice
