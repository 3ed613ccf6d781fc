package invoice

import (
	"fmt"
	"time"

	"github.com/paymux/paymux/internal/money"
	"github.com/paymux/paymux/internal/payment"
)

// IssueParams is what an invoice is made of.
type IssueParams struct {
	// ID is the new document's id (PrefixInvoice…).
	ID       string
	Payment  *payment.Payment
	Settings *Settings
	// IssuedAt is now; PaidAt is when the payment succeeded.
	IssuedAt time.Time
	PaidAt   time.Time
}

// NewInvoice makes the invoice of a succeeded payment for the amount captured,
// without its number (Assign gives it once the series is locked).
func NewInvoice(ip IssueParams) (*Invoice, error) {
	p, st := ip.Payment, ip.Settings
	if p.Status != payment.StatusSucceeded || p.AmountCaptured <= 0 {
		return nil, payment.Errorf(payment.KindConflict, payment.CodePaymentInvalidState,
			"cannot invoice payment %s: its status is %s; only succeeded payments are invoiced", p.ID, p.Status)
	}
	if err := st.CheckComplete(); err != nil {
		return nil, err
	}
	if _, err := money.LookupCurrency(p.Currency); err != nil {
		return nil, fmt.Errorf("invoice payment %s: %w", p.ID, err)
	}
	locale := p.Customer.Locale
	if !payment.ValidLocale(locale) {
		locale = st.Locale
	}
	lb := LabelsFor(locale)
	inv := newDocument(TypeInvoice, ip.ID, st, ip.IssuedAt, locale)
	inv.PaymentID, inv.Currency = p.ID, p.Currency
	inv.PaymentDate = ip.PaidAt.In(st.Location()).Format(time.DateOnly)
	inv.Customer = Customer{Name: p.Customer.Name, Email: p.Customer.Email}
	inv.Provider, inv.ProviderReference = p.Provider, p.ProviderReference
	inv.Lines = invoiceLines(p, st, lb)
	inv.TaxTotals = Summarize(inv.Lines)
	inv.totals()
	return inv, nil
}

func newDocument(t Type, id string, st *Settings, at time.Time, locale string) *Invoice {
	local := at.In(st.Location())
	return &Invoice{ID: id, Object: "invoice", Livemode: st.Livemode, Type: t, MerchantID: st.MerchantID,
		Year: local.Year(), IssueDate: local.Format(time.DateOnly), Locale: locale, Seller: st.Seller(),
		Footer: st.Footer, NumberPrefix: st.NumberPrefix, CreatedAt: at.UTC()}
}

// invoiceLines makes the lines of p, adding up to p.AmountCaptured.
func invoiceLines(p *payment.Payment, st *Settings, lb *Labels) []Line {
	target := p.AmountCaptured
	lines := itemLines(p, st)
	if lines == nil {
		desc := p.Description
		switch {
		case desc != "":
		case p.OrderID != "":
			desc = fmt.Sprintf(lb.Order, p.OrderID)
		default:
			desc = fmt.Sprintf(lb.PaymentFallback, p.ID)
		}
		return []Line{{Description: desc, Quantity: 1, UnitAmount: target, TaxRate: st.RateFor(""), Amount: target}}
	}
	var sum int64
	for _, l := range lines {
		sum += l.Amount
	}
	switch diff := target - sum; {
	case diff > 0:
		lines = append(lines, Line{Description: lb.OtherCharges, Quantity: 1, UnitAmount: diff, TaxRate: st.RateFor(""), Amount: diff})
	case diff < 0:
		lines = append(lines, adjustments(lines, -diff, lb.Adjustment)...)
	}
	return lines
}

// itemLines makes one line per item, or returns nil when there are no items or
// their amounts are beyond what an amount can be (then one line stands for all).
func itemLines(p *payment.Payment, st *Settings) []Line {
	if len(p.Items) == 0 {
		return nil
	}
	lines := make([]Line, 0, len(p.Items)+2)
	for _, it := range p.Items {
		// At most MaxItems lines of at most MaxMinor each: sums stay far from overflow.
		if it.UnitAmount != 0 && it.Quantity > money.MaxMinor/it.UnitAmount {
			return nil
		}
		amount := it.Quantity * it.UnitAmount
		rate := st.RateFor(it.Category)
		if it.TaxRate != "" {
			if r, err := ParseRate(it.TaxRate); err == nil {
				rate = r
			}
		}
		lines = append(lines, Line{Description: it.Name, Quantity: it.Quantity, UnitAmount: it.UnitAmount, TaxRate: rate, Amount: amount})
	}
	return lines
}

// adjustments are negative lines, one per rate, taking amount off lines in
// proportion to each rate's gross.
func adjustments(lines []Line, amount int64, label string) []Line {
	g := grossByRate(lines)
	rates := ratesOf(g)
	weights := make([]int64, len(rates))
	for i, r := range rates {
		weights[i] = max(g[r], 0)
	}
	var out []Line
	for i, a := range allocate(amount, weights) {
		if a > 0 {
			out = append(out, Line{Description: label, Quantity: 1, UnitAmount: -a, TaxRate: rates[i], Amount: -a})
		}
	}
	return out
}

// CreditParams is what a credit note is made of.
type CreditParams struct {
	// ID is the new document's id (PrefixCreditNote…).
	ID string
	// Invoice is the invoice the refund corrects; Previous are its credit notes so far.
	Invoice  *Invoice
	Previous []*Invoice
	Refund   *payment.Refund
	// Settings give the seller's current details; when they are incomplete the
	// invoice's are used.
	Settings *Settings
	IssuedAt time.Time
}

// NewCreditNote makes the credit note of a succeeded refund of an invoiced payment.
func NewCreditNote(cp CreditParams) (*Invoice, error) {
	inv, r, st := cp.Invoice, cp.Refund, cp.Settings
	if r.Status != payment.RefundSucceeded {
		return nil, payment.Errorf(payment.KindConflict, payment.CodePaymentInvalidState,
			"cannot credit refund %s: its status is %s", r.ID, r.Status)
	}
	if r.Currency != inv.Currency {
		return nil, fmt.Errorf("credit refund %s: currency %s differs from invoice %s's %s", r.ID, r.Currency, inv.Number, inv.Currency)
	}
	invoiced := grossByRate(inv.Lines)
	rates := ratesOf(invoiced)
	credited := map[Rate]int64{}
	for _, cn := range cp.Previous {
		for _, t := range cn.TaxTotals {
			credited[t.TaxRate] -= t.Gross
		}
	}
	left := make([]int64, len(rates))
	var leftSum int64
	for i, rt := range rates {
		left[i] = max(invoiced[rt]-credited[rt], 0)
		leftSum += left[i]
	}
	if r.Amount <= 0 || r.Amount > leftSum {
		return nil, fmt.Errorf("credit refund %s of %d: only %d of invoice %s is left to credit", r.ID, r.Amount, leftSum, inv.Number)
	}
	doc := *st
	if len(st.Missing()) > 0 {
		doc.LegalName, doc.AddressLines, doc.Country, doc.TaxID, doc.Email = inv.Seller.LegalName,
			inv.Seller.AddressLines, inv.Seller.Country, inv.Seller.TaxID, inv.Seller.Email
	}
	lb := LabelsFor(inv.Locale)
	cn := newDocument(TypeCreditNote, cp.ID, &doc, cp.IssuedAt, inv.Locale)
	cn.Livemode, cn.MerchantID = inv.Livemode, inv.MerchantID
	cn.PaymentID, cn.Currency, cn.Customer = inv.PaymentID, inv.Currency, inv.Customer
	cn.Provider, cn.ProviderReference = inv.Provider, inv.ProviderReference
	if r.ProviderReference != "" {
		cn.ProviderReference = r.ProviderReference
	}
	cn.PaymentDate = r.UpdatedAt.In(doc.Location()).Format(time.DateOnly)
	cn.RefundID, cn.CreditedInvoiceID, cn.CreditedInvoiceNumber, cn.CreditedInvoiceDate = r.ID, inv.ID, inv.Number, inv.IssueDate
	cn.Reason = lb.RefundReason
	if r.Reason != "" {
		cn.Reason += " (" + r.Reason + ")"
	}
	parts := make(map[Rate]int64, len(rates))
	if len(cp.Previous) == 0 && r.Amount == inv.Total {
		// Everything at once: the note mirrors the invoice line by line.
		for _, l := range inv.Lines {
			cn.Lines = append(cn.Lines, Line{Description: l.Description, Quantity: l.Quantity, UnitAmount: -l.UnitAmount,
				TaxRate: l.TaxRate, Amount: -l.Amount})
			parts[l.TaxRate] += l.Amount
		}
	} else {
		for i, a := range allocate(r.Amount, left) {
			if a > 0 {
				parts[rates[i]] = a
				cn.Lines = append(cn.Lines, Line{Description: fmt.Sprintf(lb.RefundLine, inv.Number), Quantity: 1,
					UnitAmount: -a, TaxRate: rates[i], Amount: -a})
			}
		}
	}
	// Tax on what has been credited in all, less what earlier notes took: the
	// invoice and its notes then net to zero once everything is credited.
	for _, rt := range ratesOf(parts) {
		before, after := credited[rt], credited[rt]+parts[rt]
		net := NetOfGross(after, rt) - NetOfGross(before, rt)
		cn.TaxTotals = append(cn.TaxTotals, TaxTotal{TaxRate: rt, Net: -net, Tax: -(parts[rt] - net), Gross: -parts[rt]})
	}
	cn.totals()
	return cn, nil
}
