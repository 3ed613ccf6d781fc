package invoice_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/invoice"
	"github.com/paymux/paymux/internal/payment"
)

func paid(amount int64, items ...payment.Item) *payment.Payment {
	return &payment.Payment{ID: "pay_1", Status: payment.StatusSucceeded, Amount: amount, AmountCaptured: amount,
		Currency: "EUR", OrderID: "1001", Items: items, Customer: payment.Customer{Name: "Ada", Email: "ada@example.com"},
		Provider: "sandbox", ProviderReference: "sbx_1"}
}

func issue(t *testing.T, p *payment.Payment, st *invoice.Settings) *invoice.Invoice {
	t.Helper()
	inv, err := invoice.NewInvoice(invoice.IssueParams{ID: "inv_1", Payment: p, Settings: st,
		IssuedAt: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC), PaidAt: time.Date(2026, 11, 24, 8, 59, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

type wantTax struct {
	rate            string
	net, tax, gross int64
}

func checkTaxes(t *testing.T, got []invoice.TaxTotal, want ...wantTax) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("tax totals %+v, want %+v", got, want)
	}
	for i, w := range want {
		g := got[i]
		if g.TaxRate.String() != w.rate || g.Net != w.net || g.Tax != w.tax || g.Gross != w.gross {
			t.Errorf("tax total %d = %s %d/%d/%d, want %s %d/%d/%d", i, g.TaxRate, g.Net, g.Tax, g.Gross, w.rate, w.net, w.tax, w.gross)
		}
	}
}

func TestInvoiceFromItems(t *testing.T) {
	t.Parallel()
	st := propSettings() // default 22, books 4, food 10
	inv := issue(t, paid(3480,
		payment.Item{Name: "Mug", Quantity: 2, UnitAmount: 1220},
		payment.Item{Name: "Cookbook", Quantity: 1, UnitAmount: 1040, Category: "books"},
	), st)
	if got := []string{inv.Lines[0].TaxRate.String(), inv.Lines[1].TaxRate.String()}; !slices.Equal(got, []string{"22", "4"}) {
		t.Errorf("line rates %v, want the default for a mug and the books rate", got)
	}
	checkTaxes(t, inv.TaxTotals, wantTax{"22", 2000, 440, 2440}, wantTax{"4", 1000, 40, 1040})
	if inv.Total != 3480 || inv.TotalNet != 3000 || inv.TotalTax != 480 {
		t.Errorf("totals %d/%d/%d", inv.TotalNet, inv.TotalTax, inv.Total)
	}
	if inv.IssueDate != "2026-11-24" || inv.Year != 2026 || inv.Locale != "en" || inv.Seller.TaxID != "IT01234567890" {
		t.Errorf("issue date %s year %d locale %s seller %+v", inv.IssueDate, inv.Year, inv.Locale, inv.Seller)
	}
	inv.Assign(42)
	if inv.Number != "TEST-2026-000042" {
		t.Errorf("test-mode number %q", inv.Number)
	}
}

func TestInvoiceLineRates(t *testing.T) {
	t.Parallel()
	st := propSettings()
	inv := issue(t, paid(3000,
		payment.Item{Name: "Bread", Quantity: 1, UnitAmount: 1000, Category: "food"},
		payment.Item{Name: "Bread, own rate", Quantity: 1, UnitAmount: 1000, Category: "food", TaxRate: "5"},
		payment.Item{Name: "Unknown category", Quantity: 1, UnitAmount: 1000, Category: "toys"},
	), st)
	var got []string
	for _, l := range inv.Lines {
		got = append(got, l.TaxRate.String())
	}
	if !slices.Equal(got, []string{"10", "5", "22"}) {
		t.Errorf("rates %v: want category rate, the item's own rate, then the default", got)
	}
}

func TestInvoiceWhenItemsDoNotAddUp(t *testing.T) {
	t.Parallel()
	st := propSettings()
	t.Run("less: other charges at the default rate", func(t *testing.T) {
		inv := issue(t, paid(1500, payment.Item{Name: "Book", Quantity: 1, UnitAmount: 1040, Category: "books"}), st)
		last := inv.Lines[len(inv.Lines)-1]
		if len(inv.Lines) != 2 || last.Description != "Other charges" || last.Amount != 460 || last.TaxRate.String() != "22" {
			t.Fatalf("lines %+v", inv.Lines)
		}
	})
	t.Run("more: adjustments per rate in proportion", func(t *testing.T) {
		inv := issue(t, paid(2700,
			payment.Item{Name: "Mug", Quantity: 2, UnitAmount: 1000},
			payment.Item{Name: "Book", Quantity: 1, UnitAmount: 1000, Category: "books"},
		), st) // 3000 of items, 2700 paid: 300 off, 200 at 22% and 100 at 4%
		if len(inv.Lines) != 4 {
			t.Fatalf("lines %+v", inv.Lines)
		}
		for i, want := range []int64{-200, -100} {
			if l := inv.Lines[2+i]; l.Description != "Adjustment" || l.Amount != want {
				t.Errorf("adjustment %d: %+v, want %d", i, l, want)
			}
		}
		checkTaxes(t, inv.TaxTotals, wantTax{"22", 1475, 325, 1800}, wantTax{"4", 865, 35, 900})
	})
	t.Run("no items: one line, in the customer's language", func(t *testing.T) {
		p := paid(1000)
		p.Customer.Locale = "pl"
		inv := issue(t, p, st)
		if len(inv.Lines) != 1 || inv.Lines[0].Description != "Zamówienie 1001" || inv.Locale != "pl" {
			t.Fatalf("lines %+v locale %s", inv.Lines, inv.Locale)
		}
		p.Description = "2 mugs"
		if inv := issue(t, p, st); inv.Lines[0].Description != "2 mugs" {
			t.Errorf("description not used: %+v", inv.Lines)
		}
	})
}

func TestInvoiceRefusals(t *testing.T) {
	t.Parallel()
	p := paid(1000)
	p.Status = payment.StatusRequiresCapture
	_, err := invoice.NewInvoice(invoice.IssueParams{Payment: p, Settings: propSettings(), IssuedAt: time.Now()})
	if payment.ErrorCode(err) != payment.CodePaymentInvalidState {
		t.Errorf("uncaptured payment: %v", err)
	}
	_, err = invoice.NewInvoice(invoice.IssueParams{Payment: paid(1000), Settings: invoice.DefaultSettings("m", false), IssuedAt: time.Now()})
	if payment.ErrorCode(err) != invoice.CodeSettingsIncomplete || !strings.Contains(err.Error(), "legal_name, address_lines, country, tax_id, default_tax_rate") {
		t.Errorf("no legal details: %v", err)
	}
}

func TestInvoiceDateAndYearInTheMerchantsTimeZone(t *testing.T) {
	t.Parallel()
	st := propSettings() // country IT: dated in Europe/Rome
	// 23:30 UTC on 31 December is 00:30 on 1 January in Rome.
	newYear := time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC)
	inv, err := invoice.NewInvoice(invoice.IssueParams{Payment: paid(100), Settings: st, IssuedAt: newYear, PaidAt: newYear})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Year != 2027 || inv.IssueDate != "2027-01-01" {
		t.Errorf("year %d date %s, want 2027-01-01 in Rome", inv.Year, inv.IssueDate)
	}
	if err := st.Apply(invoice.SettingsUpdate{Timezone: ptr("America/New_York")}); err != nil {
		t.Fatal(err)
	}
	inv, _ = invoice.NewInvoice(invoice.IssueParams{Payment: paid(100), Settings: st, IssuedAt: newYear, PaidAt: newYear})
	if inv.Year != 2026 {
		t.Errorf("year %d in New York", inv.Year)
	}
}

func TestCreditNotes(t *testing.T) {
	t.Parallel()
	st := propSettings()
	inv := issue(t, paid(3480,
		payment.Item{Name: "Mug", Quantity: 2, UnitAmount: 1220},
		payment.Item{Name: "Cookbook", Quantity: 1, UnitAmount: 1040, Category: "books"},
	), st)
	inv.Livemode = true
	inv.Assign(7)
	refund := func(id string, amount int64, reason string) *payment.Refund {
		return &payment.Refund{ID: id, Amount: amount, Currency: "EUR", Status: payment.RefundSucceeded, Reason: reason,
			UpdatedAt: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	}
	credit := func(r *payment.Refund, prev ...*invoice.Invoice) *invoice.Invoice {
		t.Helper()
		cn, err := invoice.NewCreditNote(invoice.CreditParams{ID: "cn_" + r.ID, Invoice: inv, Previous: prev, Refund: r,
			Settings: st, IssuedAt: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		return cn
	}
	t.Run("full refund mirrors the invoice", func(t *testing.T) {
		cn := credit(refund("re_full", 3480, "requested_by_customer"))
		if len(cn.Lines) != 2 || cn.Lines[0].Description != "Mug" || cn.Lines[0].Amount != -2440 || cn.Lines[1].Amount != -1040 {
			t.Fatalf("lines %+v", cn.Lines)
		}
		checkTaxes(t, cn.TaxTotals, wantTax{"22", -2000, -440, -2440}, wantTax{"4", -1000, -40, -1040})
		if cn.CreditedInvoiceNumber != "2026-000007" || cn.RefundID != "re_full" || cn.Reason != "Refund (requested_by_customer)" ||
			cn.PaymentDate != "2026-11-25" || cn.CreditedInvoiceDate != "2026-11-24" {
			t.Errorf("references %+v", cn)
		}
	})
	t.Run("partial refunds split over the rates", func(t *testing.T) {
		a := credit(refund("re_a", 1000, ""))
		// 1000 of 3480: 2440/3480 at 22% = 701.1…, 1040/3480 at 4% = 298.8…; net
		// at 4% is 299/1.04 = 287.5, rounded up to 288
		checkTaxes(t, a.TaxTotals, wantTax{"22", -575, -126, -701}, wantTax{"4", -288, -11, -299})
		if a.Lines[0].Description != "Refund of invoice 2026-000007" {
			t.Errorf("line %+v", a.Lines[0])
		}
		b := credit(refund("re_b", 2480, ""), a)
		checkTaxes(t, b.TaxTotals, wantTax{"22", -1425, -314, -1739}, wantTax{"4", -712, -29, -741})
		if _, err := invoice.NewCreditNote(invoice.CreditParams{Invoice: inv, Previous: []*invoice.Invoice{a, b},
			Refund: refund("re_c", 1, ""), Settings: st, IssuedAt: time.Now()}); err == nil {
			t.Error("credited more than the invoice")
		}
	})
	cn := credit(refund("re_x", 100, ""))
	cn.Assign(3)
	if cn.Number != "NC-2026-000003" {
		t.Errorf("credit note number %q", cn.Number)
	}
}

func TestNumbers(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		typ    invoice.Type
		prefix string
		live   bool
		seq    int64
		want   string
	}{
		{invoice.TypeInvoice, "", true, 42, "2026-000042"},
		{invoice.TypeInvoice, "SHOP-", true, 1, "SHOP-2026-000001"},
		{invoice.TypeCreditNote, "", true, 3, "NC-2026-000003"},
		{invoice.TypeCreditNote, "FV/", false, 3, "TEST-FV/NC-2026-000003"},
		{invoice.TypeInvoice, "", false, 1_234_567, "TEST-2026-1234567"},
	} {
		if got := invoice.FormatNumber(tt.typ, tt.prefix, tt.live, 2026, tt.seq); got != tt.want {
			t.Errorf("FormatNumber(%s, %q, %v, %d) = %q, want %q", tt.typ, tt.prefix, tt.live, tt.seq, got, tt.want)
		}
	}
}

func TestLabelsDates(t *testing.T) {
	t.Parallel()
	for loc, want := range map[string]string{"en": "24 November 2026", "it": "24/11/2026", "pl": "24.11.2026", "xx": "24 November 2026"} {
		if got := invoice.LabelsFor(loc).Date("2026-11-24"); got != want {
			t.Errorf("%s: %q, want %q", loc, got, want)
		}
	}
	if got := invoice.Rate(550).Percent("it"); got != "5,5%" {
		t.Errorf("Percent = %q", got)
	}
}
