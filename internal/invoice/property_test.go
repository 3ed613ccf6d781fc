package invoice_test

import (
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/paymux/paymux/internal/invoice"
	"github.com/paymux/paymux/internal/money"
	"github.com/paymux/paymux/internal/payment"
)

var rateChoices = []string{"22", "10", "5", "4", "0", "23", "8", "5.5", "7.7"}

// drawPayment draws a succeeded payment with items (maybe none) whose sum may
// differ from the amount, captured in full or in part.
func drawPayment(t *rapid.T) *payment.Payment {
	amount := rapid.Int64Range(1, 5_000_000).Draw(t, "amount")
	p := &payment.Payment{ID: "pay_prop", Status: payment.StatusSucceeded, Amount: amount, Currency: "EUR"}
	p.AmountCaptured = amount
	if rapid.Bool().Draw(t, "partial capture") {
		p.AmountCaptured = rapid.Int64Range(1, amount).Draw(t, "captured")
	}
	n := rapid.IntRange(0, 8).Draw(t, "items")
	for i := range n {
		it := payment.Item{Name: fmt.Sprintf("item %d", i), Quantity: rapid.Int64Range(1, 5).Draw(t, "qty"),
			UnitAmount: rapid.Int64Range(0, 400_000).Draw(t, "unit"),
			Category:   rapid.SampledFrom([]string{"", "books", "food"}).Draw(t, "category")}
		if rapid.Bool().Draw(t, "own rate") {
			it.TaxRate = rapid.SampledFrom(rateChoices).Draw(t, "rate")
		}
		p.Items = append(p.Items, it)
	}
	return p
}

func propSettings() *invoice.Settings {
	st := invoice.DefaultSettings("mer_prop", false)
	err := st.Apply(invoice.SettingsUpdate{LegalName: ptr("Prop S.r.l."), AddressLines: []string{"Via Roma 1"},
		Country: ptr("IT"), TaxID: ptr("IT01234567890"), DefaultTaxRate: ptr("22"),
		CategoryTaxRates: map[string]string{"books": "4", "food": "10"}})
	if err != nil {
		panic(err)
	}
	return st
}

func ptr[T any](v T) *T { return &v }

// checkDocument checks what every document must hold: lines and tax totals add up
// to the total, each line is quantity × unit, each rate's net + tax = gross, and the
// tax is what the formula gives for the rate's gross.
func checkDocument(t *rapid.T, d *invoice.Invoice) {
	var lines int64
	perRate := map[invoice.Rate]int64{}
	for _, l := range d.Lines {
		if l.Quantity*l.UnitAmount != l.Amount {
			t.Fatalf("line %+v: quantity × unit ≠ amount", l)
		}
		lines += l.Amount
		perRate[l.TaxRate] += l.Amount
	}
	if lines != d.Total {
		t.Fatalf("lines add up to %d, total is %d", lines, d.Total)
	}
	var net, tax, gross int64
	for i, tt := range d.TaxTotals {
		if i > 0 && d.TaxTotals[i-1].TaxRate <= tt.TaxRate {
			t.Fatalf("tax totals not one per rate, highest first: %+v", d.TaxTotals)
		}
		if tt.Net+tt.Tax != tt.Gross {
			t.Fatalf("rate %s: net %d + tax %d ≠ gross %d", tt.TaxRate, tt.Net, tt.Tax, tt.Gross)
		}
		if tt.Gross != perRate[tt.TaxRate] {
			t.Fatalf("rate %s: gross %d, lines at that rate add up to %d", tt.TaxRate, tt.Gross, perRate[tt.TaxRate])
		}
		if (tt.Gross >= 0 && (tt.Tax < 0 || tt.Tax > tt.Gross)) || (tt.Gross < 0 && (tt.Tax > 0 || tt.Tax < tt.Gross)) {
			t.Fatalf("rate %s: tax %d outside [0, gross %d]", tt.TaxRate, tt.Tax, tt.Gross)
		}
		net, tax, gross = net+tt.Net, tax+tt.Tax, gross+tt.Gross
	}
	if len(perRate) != len(d.TaxTotals) {
		t.Fatalf("%d rates on lines, %d tax totals", len(perRate), len(d.TaxTotals))
	}
	if net != d.TotalNet || tax != d.TotalTax || gross != d.Total || net+tax != gross {
		t.Fatalf("totals net %d tax %d total %d; tax totals add up to %d %d %d", d.TotalNet, d.TotalTax, d.Total, net, tax, gross)
	}
}

func TestInvoiceLinesAddUpToTheAmountCaptured(t *testing.T) {
	t.Parallel()
	st := propSettings()
	rapid.Check(t, func(t *rapid.T) {
		p := drawPayment(t)
		inv, err := invoice.NewInvoice(invoice.IssueParams{ID: "inv_prop", Payment: p, Settings: st,
			IssuedAt: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC), PaidAt: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		if inv.Total != p.AmountCaptured {
			t.Fatalf("invoice total %d, captured %d", inv.Total, p.AmountCaptured)
		}
		for i, it := range p.Items {
			if inv.Lines[i].Description != it.Name || inv.Lines[i].Amount != it.Quantity*it.UnitAmount {
				t.Fatalf("line %d %+v does not show item %+v", i, inv.Lines[i], it)
			}
		}
		checkDocument(t, inv)
	})
}

func TestTaxTotalsPerRateAddUp(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		var lines []invoice.Line
		for range rapid.IntRange(1, 20).Draw(t, "lines") {
			r, _ := invoice.ParseRate(rapid.SampledFrom(rateChoices).Draw(t, "rate"))
			amt := rapid.Int64Range(-money.MaxMinor/100, money.MaxMinor/100).Draw(t, "amount")
			lines = append(lines, invoice.Line{Quantity: 1, UnitAmount: amt, TaxRate: r, Amount: amt})
		}
		totals := invoice.Summarize(lines)
		var sum, sumTotals int64
		for _, l := range lines {
			sum += l.Amount
		}
		for _, tt := range totals {
			if tt.Net+tt.Tax != tt.Gross {
				t.Fatalf("%+v", tt)
			}
			// net is the nearest integer to gross / (1 + rate).
			exact := float64(tt.Gross) * 10000 / float64(10000+tt.TaxRate)
			if d := float64(tt.Net) - exact; d > 0.5001 || d < -0.5001 {
				t.Fatalf("rate %s gross %d: net %d, exact %.3f", tt.TaxRate, tt.Gross, tt.Net, exact)
			}
			sumTotals += tt.Gross
		}
		if sum != sumTotals {
			t.Fatalf("tax totals add up to %d, lines to %d", sumTotals, sum)
		}
	})
}

func TestCreditNotesNeverCreditMoreThanInvoiced(t *testing.T) {
	t.Parallel()
	st := propSettings()
	rapid.Check(t, func(t *rapid.T) {
		p := drawPayment(t)
		inv, err := invoice.NewInvoice(invoice.IssueParams{ID: "inv_prop", Payment: p, Settings: st,
			IssuedAt: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC), PaidAt: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		inv.Assign(1)
		left := inv.Total
		var notes []*invoice.Invoice
		refundAll := rapid.Bool().Draw(t, "refund all")
		for i := 0; left > 0 && i < 6; i++ {
			amount := rapid.Int64Range(1, left).Draw(t, "refund")
			if refundAll && i == 5 {
				amount = left
			}
			r := &payment.Refund{ID: fmt.Sprintf("re_%d", i), Amount: amount, Currency: "EUR",
				Status: payment.RefundSucceeded, UpdatedAt: time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC)}
			cn, err := invoice.NewCreditNote(invoice.CreditParams{ID: "cn_prop", Invoice: inv, Previous: notes, Refund: r,
				Settings: st, IssuedAt: time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC)})
			if err != nil {
				t.Fatal(err)
			}
			checkDocument(t, cn)
			if cn.Total != -amount || cn.CreditedInvoiceNumber != inv.Number {
				t.Fatalf("credit note total %d for a refund of %d, credits %q", cn.Total, amount, cn.CreditedInvoiceNumber)
			}
			notes = append(notes, cn)
			left -= amount
		}
		// Per rate, the notes never credit more than the invoice holds; once all is
		// refunded, the invoice and its notes net to zero, tax included.
		for _, it := range inv.TaxTotals {
			var gross, net, tax int64 = it.Gross, it.Net, it.Tax
			for _, cn := range notes {
				for _, ct := range cn.TaxTotals {
					if ct.TaxRate == it.TaxRate {
						gross, net, tax = gross+ct.Gross, net+ct.Net, tax+ct.Tax
					}
				}
			}
			if gross < 0 {
				t.Fatalf("rate %s: credited %d more than invoiced", it.TaxRate, -gross)
			}
			if left == 0 && (gross != 0 || net != 0 || tax != 0) {
				t.Fatalf("fully refunded, rate %s still holds gross %d net %d tax %d", it.TaxRate, gross, net, tax)
			}
		}
	})
}
