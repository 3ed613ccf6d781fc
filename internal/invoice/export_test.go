package invoice_test

import (
	"slices"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/invoice"
	"github.com/paymux/paymux/internal/payment"
)

func TestCSVHasColumnsPerRate(t *testing.T) {
	t.Parallel()
	st := propSettings()
	a := issue(t, paid(3480, payment.Item{Name: "Mug", Quantity: 2, UnitAmount: 1220},
		payment.Item{Name: "Cookbook", Quantity: 1, UnitAmount: 1040, Category: "books"}), st)
	a.Assign(1)
	p := paid(1000)
	p.Customer.Name = "=HYPERLINK(\"x\")"
	b := issue(t, p, st)
	b.Assign(2)
	cn, err := invoice.NewCreditNote(invoice.CreditParams{Invoice: a, Settings: st, IssuedAt: time.Now(),
		Refund: &payment.Refund{ID: "re_1", Amount: 1000, Currency: "EUR", Status: payment.RefundSucceeded}})
	if err != nil {
		t.Fatal(err)
	}
	cn.Assign(1)
	recs := invoice.CSV([]invoice.ExportRow{a.Row(), b.Row(), cn.Row()})
	wantHeader := []string{"type", "number", "issue_date", "payment_date", "customer_name", "customer_email", "currency",
		"total_net", "total_tax", "total", "payment_id", "refund_id", "credited_invoice_number",
		"net_22", "tax_22", "gross_22", "net_4", "tax_4", "gross_4"}
	if !slices.Equal(recs[0], wantHeader) {
		t.Fatalf("header %v", recs[0])
	}
	want := [][]string{
		{"invoice", "TEST-2026-000001", "2026-11-24", "2026-11-24", "Ada", "ada@example.com", "EUR", "30.00", "4.80", "34.80", "pay_1", "", "", "20.00", "4.40", "24.40", "10.00", "0.40", "10.40"},
		{"invoice", "TEST-2026-000002", "2026-11-24", "2026-11-24", "'=HYPERLINK(\"x\")", "ada@example.com", "EUR", "8.20", "1.80", "10.00", "pay_1", "", "", "8.20", "1.80", "10.00", "", "", ""},
	}
	for i, w := range want {
		if !slices.Equal(recs[1+i], w) {
			t.Errorf("row %d:\n got %q\nwant %q", i+1, recs[1+i], w)
		}
	}
	if r := recs[3]; r[0] != "credit_note" || r[9] != "-10.00" || r[11] != "re_1" || r[12] != "TEST-2026-000001" {
		t.Errorf("credit note row %q", r)
	}
}
