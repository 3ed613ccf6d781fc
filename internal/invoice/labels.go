package invoice

import (
	"fmt"
	"time"
)

// Labels are the words a document is written with, in one language.
type Labels struct {
	Invoice, CreditNote      string
	TestMode                 string // the banner of test-mode documents
	Number, IssueDate        string
	PaymentDate, RefundDate  string
	Seller, Customer         string
	TaxID, Email             string
	Payment, ProviderRef     string
	Description, Quantity    string
	UnitPrice, TaxRate       string
	Amount                   string
	TaxSummary, SummaryRate  string
	Net, Tax, Gross          string
	Total, TotalCredited     string
	PricesIncludeTax         string
	Corrects                 string // "Corrects invoice %s of %s"
	Reason, RefundReason     string
	Order, PaymentFallback   string // line descriptions of a payment without items
	OtherCharges, Adjustment string
	RefundLine               string // "Refund of invoice %s"
	Page                     string // "Page %d of %s": the page, then the page count
	dateLayout               string
}

var labels = map[string]*Labels{
	"en": {
		Invoice: "Invoice", CreditNote: "Credit note",
		TestMode: "TEST MODE – not a valid tax document",
		Number:   "Number", IssueDate: "Issue date",
		PaymentDate: "Payment date", RefundDate: "Refund date",
		Seller: "Seller", Customer: "Customer",
		TaxID: "VAT number", Email: "Email",
		Payment: "Payment", ProviderRef: "Provider reference",
		Description: "Description", Quantity: "Qty",
		UnitPrice: "Unit price", TaxRate: "VAT",
		Amount:     "Amount",
		TaxSummary: "VAT summary", SummaryRate: "VAT rate",
		Net: "Net", Tax: "VAT", Gross: "Gross",
		Total: "Total", TotalCredited: "Total credited",
		PricesIncludeTax: "Prices include VAT.",
		Corrects:         "Corrects invoice %s of %s",
		Reason:           "Reason", RefundReason: "Refund",
		Order: "Order %s", PaymentFallback: "Payment %s",
		OtherCharges: "Other charges", Adjustment: "Adjustment",
		RefundLine: "Refund of invoice %s",
		Page:       "Page %d of %s",
		dateLayout: "2 January 2006",
	},
	"it": {
		Invoice: "Fattura", CreditNote: "Nota di credito",
		TestMode: "MODALITÀ TEST – documento non valido ai fini fiscali",
		Number:   "Numero", IssueDate: "Data di emissione",
		PaymentDate: "Data di pagamento", RefundDate: "Data del rimborso",
		Seller: "Cedente", Customer: "Cliente",
		TaxID: "Partita IVA", Email: "Email",
		Payment: "Pagamento", ProviderRef: "Riferimento del gestore",
		Description: "Descrizione", Quantity: "Q.tà",
		UnitPrice: "Prezzo unitario", TaxRate: "IVA",
		Amount:     "Importo",
		TaxSummary: "Riepilogo IVA", SummaryRate: "Aliquota",
		Net: "Imponibile", Tax: "Imposta", Gross: "Totale",
		Total: "Totale", TotalCredited: "Totale accreditato",
		PricesIncludeTax: "Prezzi IVA inclusa.",
		Corrects:         "Rettifica la fattura %s del %s",
		Reason:           "Causale", RefundReason: "Rimborso",
		Order: "Ordine %s", PaymentFallback: "Pagamento %s",
		OtherCharges: "Altri addebiti", Adjustment: "Rettifica",
		RefundLine: "Rimborso della fattura %s",
		Page:       "Pagina %d di %s",
		dateLayout: "02/01/2006",
	},
	"pl": {
		Invoice: "Faktura", CreditNote: "Faktura korygująca",
		TestMode: "TRYB TESTOWY – dokument bez mocy prawnej",
		Number:   "Numer", IssueDate: "Data wystawienia",
		PaymentDate: "Data zapłaty", RefundDate: "Data zwrotu",
		Seller: "Sprzedawca", Customer: "Nabywca",
		TaxID: "NIP", Email: "E-mail",
		Payment: "Płatność", ProviderRef: "Referencja operatora",
		Description: "Nazwa", Quantity: "Ilość",
		UnitPrice: "Cena jedn. brutto", TaxRate: "VAT",
		Amount:     "Wartość brutto",
		TaxSummary: "Podsumowanie VAT", SummaryRate: "Stawka",
		Net: "Netto", Tax: "VAT", Gross: "Brutto",
		Total: "Razem", TotalCredited: "Razem do zwrotu",
		PricesIncludeTax: "Ceny zawierają VAT.",
		Corrects:         "Korekta faktury %s z dnia %s",
		Reason:           "Przyczyna korekty", RefundReason: "Zwrot",
		Order: "Zamówienie %s", PaymentFallback: "Płatność %s",
		OtherCharges: "Inne opłaty", Adjustment: "Korekta",
		RefundLine: "Zwrot do faktury %s",
		Page:       "Strona %d z %s",
		dateLayout: "02.01.2006",
	},
}

// LabelsFor returns the labels of locale, English for any locale paymux does not speak.
func LabelsFor(locale string) *Labels {
	if l, ok := labels[locale]; ok {
		return l
	}
	return labels["en"]
}

// Date writes an ISO date (YYYY-MM-DD) the way the language does: 24 November
// 2026, 24/11/2026, 24.11.2026. Anything else is returned as it is.
func (l *Labels) Date(iso string) string {
	t, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		return iso
	}
	if l.dateLayout == "2 January 2006" {
		return fmt.Sprintf("%d %s %d", t.Day(), t.Month(), t.Year())
	}
	return t.Format(l.dateLayout)
}
