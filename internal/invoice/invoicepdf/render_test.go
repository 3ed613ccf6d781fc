package invoicepdf_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/invoice"
	"github.com/paymux/paymux/internal/invoice/invoicepdf"
	"github.com/paymux/paymux/internal/payment"
)

// pdfText extracts the text of a PDF with Debian's pdftotext (poppler-utils), as an
// accountant's tools would, with runs of spaces (the layout's columns) kept.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatalf("pdftotext is needed to read invoices back: apt-get install -y poppler-utils (%v)", err)
	}
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-layout", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	// No-break spaces (amounts, Polish grouping) read back as spaces.
	return strings.ReplaceAll(string(out), "\u00a0", " ")
}

// hasLine reports whether some line of text holds every part, in order.
func hasLine(text string, parts ...string) bool {
	for _, l := range strings.Split(text, "\n") {
		rest, ok := l, true
		for _, p := range parts {
			i := strings.Index(rest, p)
			if i < 0 {
				ok = false
				break
			}
			rest = rest[i+len(p):]
		}
		if ok {
			return true
		}
	}
	return false
}

func settings(t testing.TB, live bool, locale string) *invoice.Settings {
	t.Helper()
	st := invoice.DefaultSettings("mer_1", live)
	p := func(s string) *string { return &s }
	err := st.Apply(invoice.SettingsUpdate{LegalName: p("Żółty Kubek sp. z o.o."), AddressLines: []string{"ul. Długa 5", "00-238 Warszawa"},
		Country: p("PL"), TaxID: p("PL5260001246"), Email: p("faktury@example.pl"), DefaultTaxRate: p("22"), Locale: p(locale),
		CategoryTaxRates: map[string]string{"books": "4"}, Footer: p("Thank you!\nIBAN IT60 X054 2811 1010 0000 0123 456")})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func sample(t testing.TB, live bool, locale string) *invoice.Invoice {
	t.Helper()
	p := &payment.Payment{ID: "pay_R3nd3r", Status: payment.StatusSucceeded, Amount: 1_357_900, AmountCaptured: 1_357_900,
		Currency: "EUR", Provider: "sandbox", ProviderReference: "sbx_ref_1",
		Customer: payment.Customer{Name: "Zażółć Gęślą", Email: "jazn@example.com"},
		Items: []payment.Item{
			{Name: "Espresso cup", Quantity: 2, UnitAmount: 617_350},
			{Name: "Cookbook", Quantity: 1, UnitAmount: 123_200, Category: "books"},
		}}
	inv, err := invoice.NewInvoice(invoice.IssueParams{ID: "inv_R3nd3r", Payment: p, Settings: settings(t, live, locale),
		IssuedAt: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC), PaidAt: time.Date(2026, 11, 24, 9, 58, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	inv.Assign(42)
	return inv
}

func TestRenderedTextPerLocale(t *testing.T) {
	t.Parallel()
	// 22%: 1,234,700 gross → 1,012,049 net, 222,651 tax; 4%: 123,200 → 118,462 + 4,738.
	tests := []struct {
		locale string
		want   [][]string // each: parts of one line of text, in order
	}{
		{"en", [][]string{
			{"Invoice"}, {"Number", "2026-000042"}, {"Issue date", "24 November 2026"},
			{"Espresso cup", "2", "€6,173.50", "22%", "€12,347.00"},
			{"Cookbook", "1", "€1,232.00", "4%", "€1,232.00"},
			{"VAT rate", "Net", "VAT", "Gross"},
			{"22%", "€10,120.49", "€2,226.51", "€12,347.00"},
			{"4%", "€1,184.62", "€47.38", "€1,232.00"},
			{"Total", "€13,579.00"},
			{"VAT number: PL5260001246"}, {"Prices include VAT."},
			{"Provider reference: sandbox sbx_ref_1"}, {"Page 1 of 1"},
		}},
		{"it", [][]string{
			{"Fattura"}, {"Numero", "2026-000042"}, {"Data di emissione", "24/11/2026"},
			{"Espresso cup", "2", "6.173,50 €", "22%", "12.347,00 €"},
			{"Riepilogo IVA"}, {"Aliquota", "Imponibile", "Imposta", "Totale"}, {"22%", "10.120,49 €", "2.226,51 €", "12.347,00 €"},
			{"4%", "1.184,62 €", "47,38 €", "1.232,00 €"},
			{"Totale", "13.579,00 €"}, {"Partita IVA: PL5260001246"}, {"Pagina 1 di 1"},
		}},
		{"pl", [][]string{
			{"Faktura"}, {"Numer", "2026-000042"}, {"Data wystawienia", "24.11.2026"},
			{"Żółty Kubek sp. z o.o."}, {"ul. Długa 5"}, {"Nabywca"}, {"Zażółć Gęślą"},
			// CLDR: Polish groups thousands only from five digits on.
			{"Espresso cup", "2", "6173,50 €", "22%", "12 347,00 €"},
			{"Cookbook", "1", "1232,00 €", "4%", "1232,00 €"},
			{"22%", "10 120,49 €", "2226,51 €", "12 347,00 €"},
			{"Razem", "13 579,00 €"}, {"NIP: PL5260001246"}, {"Ceny zawierają VAT."}, {"Strona 1 z 1"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.locale, func(t *testing.T) {
			t.Parallel()
			pdf, err := invoicepdf.Render(sample(t, true, tt.locale))
			if err != nil {
				t.Fatal(err)
			}
			text := pdfText(t, pdf)
			for _, parts := range tt.want {
				if !hasLine(text, parts...) {
					t.Errorf("no line with %q in:\n%s", parts, text)
				}
			}
			if strings.Contains(text, "TEST") {
				t.Errorf("a live invoice says TEST:\n%s", text)
			}
		})
	}
}

func TestRenderTestModeAndCreditNote(t *testing.T) {
	t.Parallel()
	inv := sample(t, false, "it")
	cn, err := invoice.NewCreditNote(invoice.CreditParams{ID: "cn_1", Invoice: inv, Settings: settings(t, false, "it"),
		IssuedAt: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC),
		Refund: &payment.Refund{ID: "re_1", Amount: 300_000, Currency: "EUR", Status: payment.RefundSucceeded,
			UpdatedAt: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}})
	if err != nil {
		t.Fatal(err)
	}
	cn.Assign(3)
	pdf, err := invoicepdf.Render(cn)
	if err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, pdf)
	for _, parts := range [][]string{
		{"MODALITÀ TEST"}, {"Nota di credito"}, {"Numero", "TEST-NC-2026-000003"},
		{"Rettifica la fattura TEST-2026-000042 del 24/11/2026"}, {"Causale: Rimborso"},
		{"Rimborso della fattura TEST-2026-000042", "1", "-2.727,82 €", "22%", "-2.727,82 €"},
		{"Totale accreditato", "-3.000,00 €"},
	} {
		if !hasLine(text, parts...) {
			t.Errorf("no line with %q in:\n%s", parts, text)
		}
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	t.Parallel()
	inv := sample(t, true, "pl")
	a, err := invoicepdf.Render(inv)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := invoicepdf.Render(sample(t, true, "pl"))
	if !bytes.Equal(a, b) {
		t.Fatal("two renderings of the same invoice differ")
	}
	if !bytes.HasPrefix(a, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", a[:16])
	}
}

func TestRenderManyLinesOverPages(t *testing.T) {
	t.Parallel()
	p := &payment.Payment{ID: "pay_many", Status: payment.StatusSucceeded, Currency: "JPY", Customer: payment.Customer{Locale: "en"}}
	for i := range 100 {
		name := fmt.Sprintf("Item %03d", i)
		if i == 50 {
			name = strings.Repeat("A very long description that wraps ", 7) + "😀"
		}
		p.Items = append(p.Items, payment.Item{Name: name, Quantity: 1, UnitAmount: 1000})
	}
	p.Amount, p.AmountCaptured = 100_000, 100_000
	inv, err := invoice.NewInvoice(invoice.IssueParams{ID: "inv_many", Payment: p, Settings: settings(t, true, "en"),
		IssuedAt: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), PaidAt: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	inv.Assign(1)
	pdf, err := invoicepdf.Render(inv)
	if err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, pdf)
	pages := regexp.MustCompile(`Page (\d+) of (\d+)`).FindAllStringSubmatch(text, -1)
	if len(pages) < 3 || pages[0][2] != fmt.Sprint(len(pages)) {
		t.Fatalf("pages %v", pages)
	}
	for _, want := range []string{"Item 000", "Item 099", "¥1,000", "Total", "¥100,000"} {
		if !strings.Contains(text, want) {
			t.Errorf("%q missing", want)
		}
	}
}

// BenchmarkRender measures one rendering of a two-line invoice (7–14 ms on the
// 2-core development machine, mostly font subsetting): why documents are rendered
// after the issuing commit, off SQLite's single writer.
func BenchmarkRender(b *testing.B) {
	inv := sample(b, true, "it")
	for b.Loop() {
		if _, err := invoicepdf.Render(inv); err != nil {
			b.Fatal(err)
		}
	}
}
