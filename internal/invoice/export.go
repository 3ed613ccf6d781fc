package invoice

import "strings"

// ExportRow is one document in the accounting export: amounts in minor units,
// with net, tax and gross per rate.
type ExportRow struct {
	ID                    string     `json:"id"`
	Type                  Type       `json:"type"`
	Number                string     `json:"number"`
	IssueDate             string     `json:"issue_date"`
	PaymentDate           string     `json:"payment_date"`
	CustomerName          string     `json:"customer_name"`
	CustomerEmail         string     `json:"customer_email"`
	Currency              string     `json:"currency"`
	TotalNet              int64      `json:"total_net"`
	TotalTax              int64      `json:"total_tax"`
	Total                 int64      `json:"total"`
	TaxTotals             []TaxTotal `json:"tax_totals"`
	PaymentID             string     `json:"payment_id"`
	RefundID              string     `json:"refund_id"`
	CreditedInvoiceNumber string     `json:"credited_invoice_number"`
}

// Row is the document's export row.
func (inv *Invoice) Row() ExportRow {
	return ExportRow{ID: inv.ID, Type: inv.Type, Number: inv.Number, IssueDate: inv.IssueDate,
		PaymentDate: inv.PaymentDate, CustomerName: inv.Customer.Name, CustomerEmail: inv.Customer.Email,
		Currency: inv.Currency, TotalNet: inv.TotalNet, TotalTax: inv.TotalTax, Total: inv.Total,
		TaxTotals: inv.TaxTotals, PaymentID: inv.PaymentID, RefundID: inv.RefundID,
		CreditedInvoiceNumber: inv.CreditedInvoiceNumber}
}

// CSV is the export as CSV records, header first: one row per document, amounts
// as decimals in the document's currency ("-3.00"), and net, tax and gross
// columns for every rate that occurs (net_22, tax_22, gross_22, …, highest rate
// first), empty where a document has nothing at that rate.
func CSV(rows []ExportRow) [][]string {
	seen := map[Rate]int64{}
	for _, r := range rows {
		for _, t := range r.TaxTotals {
			seen[t.TaxRate] = 1
		}
	}
	rates := ratesOf(seen)
	header := []string{"type", "number", "issue_date", "payment_date", "customer_name", "customer_email",
		"currency", "total_net", "total_tax", "total", "payment_id", "refund_id", "credited_invoice_number"}
	for _, r := range rates {
		header = append(header, "net_"+r.String(), "tax_"+r.String(), "gross_"+r.String())
	}
	out := make([][]string, 0, len(rows)+1)
	out = append(out, header)
	for _, r := range rows {
		doc := Invoice{Currency: r.Currency}
		dec := func(v int64) string { return doc.Amount(v).Decimal() }
		rec := []string{string(r.Type), r.Number, r.IssueDate, r.PaymentDate, cell(r.CustomerName), cell(r.CustomerEmail),
			r.Currency, dec(r.TotalNet), dec(r.TotalTax), dec(r.Total), r.PaymentID, r.RefundID, r.CreditedInvoiceNumber}
		byRate := map[Rate]TaxTotal{}
		for _, t := range r.TaxTotals {
			byRate[t.TaxRate] = t
		}
		for _, rt := range rates {
			if t, ok := byRate[rt]; ok {
				rec = append(rec, dec(t.Net), dec(t.Tax), dec(t.Gross))
			} else {
				rec = append(rec, "", "", "")
			}
		}
		out = append(out, rec)
	}
	return out
}

// cell keeps free text from being read as a formula by spreadsheets (CSV injection).
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
