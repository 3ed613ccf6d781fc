package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/paymux/paymux/internal/invoice"
	"github.com/paymux/paymux/internal/store"
)

const invoiceCols = `merchant_id, id, livemode, type, number, year, sequence, payment_id, refund_id,
 credited_invoice_id, currency, total, data, created_at`

func scanInvoice(r scanner) (*invoice.Invoice, error) {
	var (
		inv     invoice.Invoice
		data    string
		created int64
		cols    invoice.Invoice
	)
	if err := r.Scan(&cols.MerchantID, &cols.ID, &cols.Livemode, &cols.Type, &cols.Number, &cols.Year, &cols.Sequence,
		&cols.PaymentID, &cols.RefundID, &cols.CreditedInvoiceID, &cols.Currency, &cols.Total, &data, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(data), &inv); err != nil {
		return nil, fmt.Errorf("invoice %s: decode stored document: %w", cols.ID, err)
	}
	// The columns are what queries and constraints see: they win over the document.
	inv.MerchantID, inv.ID, inv.Livemode, inv.Type, inv.Number = cols.MerchantID, cols.ID, cols.Livemode, cols.Type, cols.Number
	inv.Year, inv.Sequence, inv.PaymentID, inv.RefundID = cols.Year, cols.Sequence, cols.PaymentID, cols.RefundID
	inv.CreditedInvoiceID, inv.Currency, inv.Total = cols.CreditedInvoiceID, cols.Currency, cols.Total
	inv.Object, inv.CreatedAt = "invoice", fromMicros(created)
	return &inv, nil
}

func (x *queries) GetInvoice(ctx context.Context, s store.Scope, id string) (*invoice.Invoice, error) {
	inv, err := scanInvoice(x.row(ctx, `SELECT `+invoiceCols+` FROM invoices
 WHERE merchant_id = ? AND livemode = ? AND id = ?`, s.MerchantID, s.Livemode, id))
	if err != nil {
		return nil, x.scanErr(err)
	}
	return inv, nil
}

func (x *queries) InvoiceOfPayment(ctx context.Context, s store.Scope, paymentID string) (*invoice.Invoice, error) {
	inv, err := scanInvoice(x.row(ctx, `SELECT `+invoiceCols+` FROM invoices
 WHERE merchant_id = ? AND livemode = ? AND payment_id = ? AND type = 'invoice'`, s.MerchantID, s.Livemode, paymentID))
	if err != nil {
		return nil, x.scanErr(err)
	}
	return inv, nil
}

func (x *queries) CreditNoteOfRefund(ctx context.Context, s store.Scope, refundID string) (*invoice.Invoice, error) {
	inv, err := scanInvoice(x.row(ctx, `SELECT `+invoiceCols+` FROM invoices
 WHERE merchant_id = ? AND livemode = ? AND refund_id = ? AND type = 'credit_note'`, s.MerchantID, s.Livemode, refundID))
	if err != nil {
		return nil, x.scanErr(err)
	}
	return inv, nil
}

// maxCreditNotes bounds one invoice's credit notes read at once; a payment has at
// most as many refunds as minor units, but never this many in practice.
const maxCreditNotes = 10_000

func (x *queries) CreditNotesOf(ctx context.Context, s store.Scope, invoiceID string) ([]*invoice.Invoice, error) {
	rows, err := x.query(ctx, `SELECT `+invoiceCols+` FROM invoices
 WHERE merchant_id = ? AND credited_invoice_id = ? AND type = 'credit_note' AND livemode = ?
 ORDER BY sequence, id LIMIT ?`, s.MerchantID, invoiceID, s.Livemode, maxCreditNotes)
	if err != nil {
		return nil, err
	}
	out, _, err := collect(x, rows, maxCreditNotes, scanInvoice)
	return out, err
}

func (x *queries) ListInvoices(ctx context.Context, s store.Scope, f store.InvoiceFilter) ([]*invoice.Invoice, bool, error) {
	where := []string{"merchant_id = ?", "livemode = ?"}
	args := []any{s.MerchantID, s.Livemode}
	if f.PaymentID != "" {
		where, args = append(where, "payment_id = ?"), append(args, f.PaymentID)
	}
	if f.Type != "" {
		where, args = append(where, "type = ?"), append(args, string(f.Type))
	}
	if !f.CreatedGTE.IsZero() {
		where, args = append(where, "created_at >= ?"), append(args, micros(f.CreatedGTE))
	}
	if !f.CreatedLT.IsZero() {
		where, args = append(where, "created_at < ?"), append(args, micros(f.CreatedLT))
	}
	order, cmp := "DESC", "<"
	if f.OldestFirst {
		order, cmp = "ASC", ">"
	}
	if f.StartingAfter != "" {
		var at int64
		err := x.row(ctx, `SELECT created_at FROM invoices WHERE merchant_id = ? AND livemode = ? AND id = ?`,
			s.MerchantID, s.Livemode, f.StartingAfter).Scan(&at)
		if err != nil {
			return nil, false, cursorErr(x.scanErr(err), f.StartingAfter)
		}
		where = append(where, "(created_at "+cmp+" ? OR (created_at = ? AND id "+cmp+" ?))")
		args = append(args, at, at, f.StartingAfter)
	}
	limit := clampLimit(f.Limit)
	rows, err := x.query(ctx, `SELECT `+invoiceCols+` FROM invoices WHERE `+strings.Join(where, " AND ")+
		` ORDER BY created_at `+order+`, id `+order+` LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, false, err
	}
	return collect(x, rows, limit, scanInvoice)
}

func (x *queries) InvoicePDF(ctx context.Context, s store.Scope, id string) ([]byte, error) {
	var pdf []byte
	err := x.row(ctx, `SELECT pdf FROM invoices WHERE merchant_id = ? AND livemode = ? AND id = ?`,
		s.MerchantID, s.Livemode, id).Scan(&pdf)
	if err != nil {
		return nil, x.scanErr(err)
	}
	return pdf, nil
}

func (x *queries) NextInvoiceSequence(ctx context.Context, s store.Scope, t invoice.Type, year int) (int64, error) {
	// One statement creates the series or takes its row lock and increments it;
	// the lock is held until the transaction ends, so concurrent issuers queue here.
	var seq int64
	err := x.row(ctx, `INSERT INTO invoice_counters (merchant_id, livemode, type, year, last_sequence)
 VALUES (?,?,?,?,1)
 ON CONFLICT (merchant_id, livemode, type, year) DO UPDATE SET last_sequence = invoice_counters.last_sequence + 1
 RETURNING last_sequence`, s.MerchantID, s.Livemode, string(t), year).Scan(&seq)
	return seq, x.scanErr(err)
}

func (x *queries) InsertInvoice(ctx context.Context, inv *invoice.Invoice) error {
	if !inv.Type.Valid() || inv.Number == "" || inv.Sequence <= 0 {
		return fmt.Errorf("insert invoice %s: type %q, number %q, sequence %d: not an issued document", inv.ID, inv.Type, inv.Number, inv.Sequence)
	}
	_, err := x.exec(ctx, `INSERT INTO invoices (`+invoiceCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		inv.MerchantID, inv.ID, inv.Livemode, string(inv.Type), inv.Number, inv.Year, inv.Sequence, inv.PaymentID,
		inv.RefundID, inv.CreditedInvoiceID, inv.Currency, inv.Total, mustJSON(inv), micros(inv.CreatedAt))
	return err
}

func (x *queries) StoreInvoicePDF(ctx context.Context, s store.Scope, id string, pdf []byte) (bool, error) {
	if len(pdf) == 0 {
		return false, fmt.Errorf("store invoice %s: empty PDF", id)
	}
	res, err := x.exec(ctx, `UPDATE invoices SET pdf = ? WHERE merchant_id = ? AND livemode = ? AND id = ? AND pdf IS NULL`,
		pdf, s.MerchantID, s.Livemode, id)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return false, x.s.d.Classify(err)
	} else if n == 1 {
		return true, nil
	}
	var one int
	err = x.row(ctx, `SELECT 1 FROM invoices WHERE merchant_id = ? AND livemode = ? AND id = ?`, s.MerchantID, s.Livemode, id).Scan(&one)
	return false, x.scanErr(err)
}

const settingsCols = `merchant_id, livemode, enabled, legal_name, address_lines, country, tax_id, email, locale,
 default_tax_rate, category_tax_rates, number_prefix, footer, timezone, created_at, updated_at`

func (x *queries) GetInvoiceSettings(ctx context.Context, s store.Scope) (*invoice.Settings, error) {
	return x.invoiceSettings(ctx, s, "")
}

func (x *queries) GetInvoiceSettingsForUpdate(ctx context.Context, s store.Scope) (*invoice.Settings, error) {
	return x.invoiceSettings(ctx, s, x.s.d.ForUpdate())
}

func (x *queries) invoiceSettings(ctx context.Context, s store.Scope, lock string) (*invoice.Settings, error) {
	var (
		st               invoice.Settings
		lines, rates     string
		rate             sql.NullInt64
		created, updated int64
	)
	err := x.row(ctx, `SELECT `+settingsCols+` FROM invoice_settings WHERE merchant_id = ? AND livemode = ?`+lock,
		s.MerchantID, s.Livemode).Scan(&st.MerchantID, &st.Livemode, &st.Enabled, &st.LegalName, &lines, &st.Country,
		&st.TaxID, &st.Email, &st.Locale, &rate, &rates, &st.NumberPrefix, &st.Footer, &st.Timezone, &created, &updated)
	if err != nil {
		return nil, x.scanErr(err)
	}
	if err := unmarshalCols(col{lines, &st.AddressLines}, col{rates, &st.CategoryTaxRates}); err != nil {
		return nil, fmt.Errorf("invoice settings of %s: %w", s.MerchantID, err)
	}
	if rate.Valid {
		r := invoice.Rate(rate.Int64)
		st.DefaultTaxRate = &r
	}
	st.CreatedAt = fromMicros(created)
	u := fromMicros(updated)
	st.UpdatedAt = &u
	return st.Normalized(), nil
}

func (x *queries) PutInvoiceSettings(ctx context.Context, st *invoice.Settings) error {
	var rate any
	if st.DefaultTaxRate != nil {
		rate = int64(*st.DefaultTaxRate)
	}
	lines, rates := st.AddressLines, st.CategoryTaxRates
	if lines == nil {
		lines = []string{}
	}
	if rates == nil {
		rates = map[string]invoice.Rate{}
	}
	var updated int64
	if st.UpdatedAt != nil {
		updated = micros(*st.UpdatedAt)
	}
	_, err := x.exec(ctx, `INSERT INTO invoice_settings (`+settingsCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
 ON CONFLICT (merchant_id, livemode) DO UPDATE SET enabled = excluded.enabled, legal_name = excluded.legal_name,
 address_lines = excluded.address_lines, country = excluded.country, tax_id = excluded.tax_id, email = excluded.email,
 locale = excluded.locale, default_tax_rate = excluded.default_tax_rate, category_tax_rates = excluded.category_tax_rates,
 number_prefix = excluded.number_prefix, footer = excluded.footer, timezone = excluded.timezone,
 updated_at = excluded.updated_at`,
		st.MerchantID, st.Livemode, st.Enabled, st.LegalName, mustJSON(lines), st.Country, st.TaxID, st.Email, st.Locale,
		rate, mustJSON(rates), st.NumberPrefix, st.Footer, st.Timezone, micros(st.CreatedAt), updated)
	return err
}
