package money

import "strings"

// Non-breaking spaces, as CLDR (and browsers' Intl.NumberFormat) use them,
// so an amount never wraps across lines on a checkout page or invoice.
const (
	nbsp  = "\u00a0" // between number and symbol/code; Polish grouping
	nnbsp = "\u202f" // French grouping (narrow no-break space)
)

// numberStyle is how one language writes amounts (after CLDR).
type numberStyle struct {
	decimal     string
	group       string
	minGrouping int  // group only when the integer part has >= 3+minGrouping digits
	symbolFirst bool // "€1.00" rather than "1,00 €"
	// symbols maps codes to the symbol customary in this language; codes
	// not listed are written as the code after the number.
	symbols map[string]string
}

var numberStyles = map[string]numberStyle{
	"en": {decimal: ".", group: ",", minGrouping: 1, symbolFirst: true, symbols: map[string]string{
		"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CNY": "CN¥", "INR": "₹", "KRW": "₩",
		"ILS": "₪", "VND": "₫", "PHP": "₱", "BRL": "R$", "CAD": "CA$", "AUD": "A$", "MXN": "MX$",
		"HKD": "HK$", "NZD": "NZ$", "TWD": "NT$", "XCD": "EC$",
	}},
	"it": {decimal: ",", group: ".", minGrouping: 1, symbols: map[string]string{
		"EUR": "€", "GBP": "£",
	}},
	"de": {decimal: ",", group: ".", minGrouping: 1, symbols: map[string]string{
		"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CNY": "CN¥", "INR": "₹", "KRW": "₩",
		"ILS": "₪", "VND": "₫", "PHP": "₱", "BRL": "R$", "CAD": "CA$", "AUD": "AU$", "MXN": "MX$",
		"HKD": "HK$", "NZD": "NZ$", "TWD": "NT$", "XCD": "EC$",
	}},
	"fr": {decimal: ",", group: nnbsp, minGrouping: 1, symbols: map[string]string{
		"EUR": "€", "USD": "$US", "GBP": "£GB", "CAD": "$CA", "AUD": "$AU", "HKD": "$HK",
		"NZD": "$NZ", "XAF": "FCFA", "XPF": "FCFP",
	}},
	"es": {decimal: ",", group: ".", minGrouping: 2, symbols: map[string]string{
		"EUR": "€", "USD": "US$",
	}},
	"pl": {decimal: ",", group: nbsp, minGrouping: 2, symbols: map[string]string{
		"EUR": "€", "PLN": "zł",
	}},
}

// FormatLocale formats a for people (checkout pages, invoices, e-mails)
// with the separators, grouping and symbol placement customary in locale's
// language, taken from CLDR (what browsers' Intl.NumberFormat uses):
//
//	en  €1,234.50    -€1,234.50    ¥1,235        1,234.50 CHF
//	it  1.234,50 €   -0,05 €       1.234,50 USD
//	de  1.234,50 €   1.234,50 $
//	fr  1 234,50 €   1 234,50 $US
//	es  1234,50 €    12.345,50 €   (4-digit numbers are not grouped)
//	pl  1234,50 zł   12 345,50 zł  (4-digit numbers are not grouped)
//
// The space before a trailing symbol or code is a no-break space (U+00A0),
// as are Polish group separators; French groups use U+202F; so an amount
// never breaks across lines. A currency with no symbol known for that
// language is written as number then code, in every language (unlike CLDR's
// "CHF 1,234.50" in English). The locale may be a language ("de") or a tag
// ("de-CH", "de_DE"); only the language is used, and unknown languages fall
// back to "en". All of the currency's minor digits are shown; nothing is
// rounded. For machine-readable text use [Amount.Decimal].
func FormatLocale(a Amount, locale string) string {
	st, ok := numberStyles[language(locale)]
	if !ok {
		st = numberStyles["en"]
	}
	intPart, frac := a.digits()
	var b strings.Builder
	if a.Minor < 0 {
		b.WriteString("-")
	}
	sym, hasSym := st.symbols[a.Currency.Code]
	if hasSym && st.symbolFirst {
		b.WriteString(sym)
	}
	b.WriteString(group(intPart, st.group, st.minGrouping))
	if frac != "" {
		b.WriteString(st.decimal)
		b.WriteString(frac)
	}
	switch {
	case hasSym && !st.symbolFirst:
		b.WriteString(nbsp + sym)
	case !hasSym && a.Currency.Code != "":
		b.WriteString(nbsp + a.Currency.Code)
	}
	return b.String()
}

// language returns the lower-case language subtag of a locale such as
// "de-CH" or "pt_BR".
func language(locale string) string {
	lang, _, _ := strings.Cut(locale, "-")
	lang, _, _ = strings.Cut(lang, "_")
	return strings.ToLower(lang)
}

// group inserts sep between groups of three digits of the decimal digit
// string s, unless s is shorter than 3+minGrouping digits.
func group(s, sep string, minGrouping int) string {
	if len(s) < 3+minGrouping {
		return s
	}
	var b strings.Builder
	head := len(s) % 3
	if head == 0 {
		head = 3
	}
	b.WriteString(s[:head])
	for i := head; i < len(s); i += 3 {
		b.WriteString(sep)
		b.WriteString(s[i : i+3])
	}
	return b.String()
}
