package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/paymux/paymux/internal/invoice"
	"github.com/paymux/paymux/internal/invoice/invoicepdf"
	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
)

// Invoices and credit notes.
//
// When a payment succeeds and its merchant has automatic invoices enabled, the
// transaction that records it also queues an invoice.issue job for it (one per
// payment, by its unique key). The job, or IssueInvoice on demand, takes the next
// number of the series in the transaction that inserts the invoice, under the
// series' row lock, so numbers are gap-free and unique however many processes
// issue at once; the same transaction appends invoice.created. The PDF is rendered
// after that commit, from the stored document, and stored once (an
// invoice.render job is the backstop should the process die in between; a
// download renders it too). A refund that succeeds on an invoiced payment queues a
// credit note the same way, and so does issuing an invoice for a payment already
// refunded in part. Every step takes the payment's row lock first, so a refund and
// the invoice it corrects never miss each other.

// Job kinds of invoicing.
const (
	JobIssueInvoice    = "invoice.issue"
	JobIssueCreditNote = "invoice.credit_note"
	JobRenderInvoice   = "invoice.render"
)

// renderBackstop is when the render job looks for a PDF that the issuing process
// should have stored right after its commit.
const renderBackstop = 30 * time.Second

// MaxExport bounds the documents of one export.
const MaxExport = 100_000

// invoiceJob is an invoice.issue job's args.
type invoiceJob struct {
	MerchantID string    `json:"merchant_id"`
	Livemode   bool      `json:"livemode"`
	PaymentID  string    `json:"payment_id"`
	PaidAt     time.Time `json:"paid_at"`
}

// documentRef is an invoice.render job's args.
type documentRef struct {
	MerchantID string `json:"merchant_id"`
	Livemode   bool   `json:"livemode"`
	InvoiceID  string `json:"invoice_id"`
}

// GetInvoiceSettings returns the scope's invoice settings, the defaults (invoices
// off) if the merchant saved none.
func (e *Engine) GetInvoiceSettings(ctx context.Context, s store.Scope) (*invoice.Settings, error) {
	st, err := e.store.GetInvoiceSettings(ctx, s)
	if errors.Is(err, store.ErrNotFound) {
		return invoice.DefaultSettings(s.MerchantID, s.Livemode), nil
	}
	return st, storeErr(err)
}

// UpdateInvoiceSettings changes the scope's invoice settings by u: a partial update
// that is validated as a whole and saved only if valid.
func (e *Engine) UpdateInvoiceSettings(ctx context.Context, s store.Scope, u invoice.SettingsUpdate) (*invoice.Settings, error) {
	var out *invoice.Settings
	err := e.write(ctx, func(ctx context.Context, tx store.Tx) (any, error) {
		st, err := tx.GetInvoiceSettingsForUpdate(ctx, s)
		if errors.Is(err, store.ErrNotFound) {
			st, err = invoice.DefaultSettings(s.MerchantID, s.Livemode), nil
			st.CreatedAt = e.now()
		}
		if err != nil {
			return nil, err
		}
		before := *st
		if err := st.Apply(u); err != nil {
			return nil, err
		}
		now := e.now()
		st.UpdatedAt = &now
		if err := tx.PutInvoiceSettings(ctx, st); err != nil {
			return nil, err
		}
		out = st
		return st, e.audit(ctx, tx, s, "invoice_settings.updated", "invoice_settings", s.MerchantID, &before, st)
	})
	return out, err
}

// queueInvoice queues the invoice of p, which just succeeded, if its merchant has
// automatic invoices enabled. It runs in the transaction that recorded the success.
func (e *Engine) queueInvoice(ctx context.Context, tx store.Tx, p *payment.Payment) error {
	st, err := tx.GetInvoiceSettings(ctx, store.Scope{MerchantID: p.MerchantID, Livemode: p.Livemode})
	if errors.Is(err, store.ErrNotFound) || (err == nil && !st.Enabled) {
		return nil
	}
	if err != nil {
		return err
	}
	b, err := json.Marshal(invoiceJob{MerchantID: p.MerchantID, Livemode: p.Livemode, PaymentID: p.ID, PaidAt: e.now()})
	if err != nil {
		return err
	}
	return tx.EnqueueJob(ctx, store.Job{Kind: JobIssueInvoice, MerchantID: p.MerchantID, Args: b, RunAt: e.now(),
		UniqueKey: "invoice:" + p.ID})
}

// queueCreditNote queues the credit note of r, which just succeeded, if its
// payment has an invoice. It runs in the transaction that recorded the success and
// takes the payment's row lock, as issuing the invoice does: whichever commits
// second sees the other.
func (e *Engine) queueCreditNote(ctx context.Context, tx store.Tx, s store.Scope, r *payment.Refund) error {
	if _, err := tx.GetPaymentForUpdate(ctx, s, r.PaymentID); err != nil {
		return err
	}
	_, err := tx.InvoiceOfPayment(ctx, s, r.PaymentID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return e.enqueueCreditNote(ctx, tx, s, r.ID)
}

func (e *Engine) enqueueCreditNote(ctx context.Context, tx store.Tx, s store.Scope, refundID string) error {
	b, err := json.Marshal(refundRef{s.MerchantID, s.Livemode, refundID})
	if err != nil {
		return err
	}
	return tx.EnqueueJob(ctx, store.Job{Kind: JobIssueCreditNote, MerchantID: s.MerchantID, Args: b, RunAt: e.now(),
		UniqueKey: "credit_note:" + refundID})
}

// IssueInvoice issues the invoice of a succeeded payment now, for merchants who do
// not issue them automatically, and returns it. A payment has one invoice: if it
// has one already, that one is returned unchanged.
func (e *Engine) IssueInvoice(ctx context.Context, actor payment.Actor, s store.Scope, paymentID string) (*invoice.Invoice, error) {
	return e.issueInvoice(ctx, actor, s, paymentID, time.Time{})
}

func (e *Engine) issueInvoice(ctx context.Context, actor payment.Actor, s store.Scope, paymentID string, paidAt time.Time) (*invoice.Invoice, error) {
	p, err := e.GetPayment(ctx, s, paymentID)
	if err != nil {
		return nil, err
	}
	if inv, err := e.store.InvoiceOfPayment(ctx, s, paymentID); err == nil {
		// Through a write all the same, so that an Idempotency-Key's response is
		// stored like any other.
		return inv, e.write(ctx, func(context.Context, store.Tx) (any, error) { return inv, nil })
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, storeErr(err)
	}
	if p.Status != payment.StatusSucceeded {
		return nil, payment.Errorf(payment.KindConflict, payment.CodePaymentInvalidState,
			"cannot invoice payment %s: its status is %s; only succeeded payments are invoiced", p.ID, p.Status)
	}
	st, err := e.GetInvoiceSettings(ctx, s)
	if err != nil {
		return nil, err
	}
	if err := st.CheckComplete(); err != nil {
		return nil, err
	}
	if paidAt.IsZero() {
		paidAt = e.paidAt(ctx, s, p)
	}
	id := payment.NewID(invoice.PrefixInvoice)
	var (
		out     *invoice.Invoice
		created bool
	)
	err = e.write(ctx, func(ctx context.Context, tx store.Tx) (any, error) {
		out, created = nil, false
		cur, err := tx.GetPaymentForUpdate(ctx, s, paymentID)
		if err != nil {
			return nil, notFound(err, "payment", paymentID)
		}
		if inv, err := tx.InvoiceOfPayment(ctx, s, paymentID); err == nil {
			out = inv // issued meanwhile by another request or process
			return inv, nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		inv, err := invoice.NewInvoice(invoice.IssueParams{ID: id, Payment: cur, Settings: st, IssuedAt: e.now(), PaidAt: paidAt})
		if err != nil {
			return nil, err
		}
		if err := e.insertDocument(ctx, tx, actor, inv); err != nil {
			return nil, err
		}
		// Refunds that succeeded before the invoice existed are credited now.
		if err := e.queueCreditNotesOf(ctx, tx, s, paymentID); err != nil {
			return nil, err
		}
		out, created = inv, true
		return inv, nil
	})
	if err != nil {
		return nil, err
	}
	if created {
		e.renderSoon(ctx, s, out.ID)
	}
	return out, nil
}

// insertDocument numbers doc in its series, stores it, appends its event and
// queues the backstop of its rendering, all in tx.
func (e *Engine) insertDocument(ctx context.Context, tx store.Tx, actor payment.Actor, doc *invoice.Invoice) error {
	s := store.Scope{MerchantID: doc.MerchantID, Livemode: doc.Livemode}
	seq, err := tx.NextInvoiceSequence(ctx, s, doc.Type, doc.Year)
	if err != nil {
		return err
	}
	doc.Assign(seq)
	if err := tx.InsertInvoice(ctx, doc); err != nil {
		return err
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", doc.Type, err)
	}
	typ := invoice.EventInvoiceCreated
	if doc.Type == invoice.TypeCreditNote {
		typ = invoice.EventCreditNoteCreated
	}
	// The caller holds the payment's row lock.
	err = e.appendEvent(ctx, tx, &payment.Event{ID: payment.NewID(payment.PrefixEvent), MerchantID: doc.MerchantID,
		Livemode: doc.Livemode, Type: typ, PaymentID: doc.PaymentID, Actor: actor,
		Data: payment.EventData{Object: data}, CreatedAt: e.now()}, true)
	if err != nil {
		return err
	}
	if err := e.notifyInvoice(ctx, tx, actor, doc); err != nil {
		return err
	}
	b, err := json.Marshal(documentRef{doc.MerchantID, doc.Livemode, doc.ID})
	if err != nil {
		return err
	}
	return tx.EnqueueJob(ctx, store.Job{Kind: JobRenderInvoice, MerchantID: doc.MerchantID, Args: b,
		RunAt: e.now().Add(renderBackstop), UniqueKey: "invoice_pdf:" + doc.ID})
}

// queueCreditNotesOf queues a credit note for every succeeded refund of a payment.
func (e *Engine) queueCreditNotesOf(ctx context.Context, tx store.Tx, s store.Scope, paymentID string) error {
	f := store.RefundFilter{PaymentID: paymentID, Limit: store.MaxLimit}
	for {
		page, more, err := tx.ListRefunds(ctx, s, f)
		if err != nil {
			return err
		}
		for _, r := range page {
			if r.Status == payment.RefundSucceeded {
				if err := e.enqueueCreditNote(ctx, tx, s, r.ID); err != nil {
					return err
				}
			}
		}
		if !more {
			return nil
		}
		f.StartingAfter = page[len(page)-1].ID
	}
}

// paidAt finds when p succeeded: its payment.succeeded event, else now.
func (e *Engine) paidAt(ctx context.Context, s store.Scope, p *payment.Payment) time.Time {
	for _, typ := range []string{payment.PaymentEventType(payment.StatusSucceeded), payment.EventPaymentCaptured} {
		evs, _, err := e.store.ListEvents(ctx, s, store.EventFilter{PaymentID: p.ID, Type: typ, Limit: 1})
		if err == nil && len(evs) > 0 {
			return evs[0].CreatedAt
		}
	}
	return p.UpdatedAt
}

// issueCreditNote issues the credit note of a succeeded refund of an invoiced
// payment; it does nothing if the refund has one, or its payment no invoice.
func (e *Engine) issueCreditNote(ctx context.Context, actor payment.Actor, s store.Scope, refundID string) (*invoice.Invoice, error) {
	r, err := e.store.GetRefund(ctx, s, refundID)
	if err != nil {
		return nil, notFound(err, "refund", refundID)
	}
	if r.Status != payment.RefundSucceeded {
		return nil, nil
	}
	if cn, err := e.store.CreditNoteOfRefund(ctx, s, refundID); err == nil {
		return cn, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, storeErr(err)
	}
	st, err := e.GetInvoiceSettings(ctx, s)
	if err != nil {
		return nil, err
	}
	id := payment.NewID(invoice.PrefixCreditNote)
	var (
		out     *invoice.Invoice
		created bool
	)
	err = e.write(ctx, func(ctx context.Context, tx store.Tx) (any, error) {
		out, created = nil, false
		if _, err := tx.GetPaymentForUpdate(ctx, s, r.PaymentID); err != nil {
			return nil, err
		}
		inv, err := tx.InvoiceOfPayment(ctx, s, r.PaymentID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil // not invoiced: nothing to correct
		}
		if err != nil {
			return nil, err
		}
		if cn, err := tx.CreditNoteOfRefund(ctx, s, refundID); err == nil {
			out = cn
			return cn, nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		prev, err := tx.CreditNotesOf(ctx, s, inv.ID)
		if err != nil {
			return nil, err
		}
		cn, err := invoice.NewCreditNote(invoice.CreditParams{ID: id, Invoice: inv, Previous: prev, Refund: r,
			Settings: st, IssuedAt: e.now()})
		if err != nil {
			return nil, err
		}
		if err := e.insertDocument(ctx, tx, actor, cn); err != nil {
			return nil, err
		}
		out, created = cn, true
		return cn, nil
	})
	if err != nil {
		return nil, err
	}
	if created {
		e.renderSoon(ctx, s, out.ID)
	}
	return out, nil
}

// renderSoon renders and stores a new document's PDF; a failure is left to the
// render job (and to the first download).
func (e *Engine) renderSoon(ctx context.Context, s store.Scope, id string) {
	if _, _, err := e.InvoiceDocument(context.WithoutCancel(ctx), s, id); err != nil {
		e.log.Warn("render invoice", "invoice", id, "err", err)
	}
}

// InvoiceDocument returns a document and its PDF, rendering and storing the PDF
// first if that has not happened yet. The PDF is rendered from the stored
// document and stored once; every later call returns those bytes. It is what a
// download and an email with the invoice attached use.
func (e *Engine) InvoiceDocument(ctx context.Context, s store.Scope, id string) (*invoice.Invoice, []byte, error) {
	inv, err := e.GetInvoice(ctx, s, id)
	if err != nil {
		return nil, nil, err
	}
	pdf, err := e.store.InvoicePDF(ctx, s, id)
	if err != nil {
		return nil, nil, notFound(err, "invoice", id)
	}
	if pdf != nil {
		return inv, pdf, nil
	}
	pdf, err = invoicepdf.Render(inv)
	if err != nil {
		return nil, nil, err
	}
	var stored bool
	err = e.store.Write(context.WithoutCancel(ctx), func(ctx context.Context, tx store.Tx) error {
		var err error
		stored, err = tx.StoreInvoicePDF(ctx, s, id, pdf)
		return err
	})
	if err != nil {
		return nil, nil, storeErr(err)
	}
	if !stored {
		// Another request or process stored it first: those are the bytes.
		if pdf, err = e.store.InvoicePDF(ctx, s, id); err != nil {
			return nil, nil, storeErr(err)
		}
	}
	return inv, pdf, nil
}

// GetInvoice reads one invoice or credit note.
func (e *Engine) GetInvoice(ctx context.Context, s store.Scope, id string) (*invoice.Invoice, error) {
	inv, err := e.store.GetInvoice(ctx, s, id)
	if err != nil {
		return nil, notFound(err, "invoice", id)
	}
	return inv, nil
}

// ListInvoices lists invoices and credit notes, newest first.
func (e *Engine) ListInvoices(ctx context.Context, s store.Scope, f store.InvoiceFilter) ([]*invoice.Invoice, bool, error) {
	if f.Type != "" && !f.Type.Valid() {
		return nil, false, payment.Invalid("type", payment.CodeParameterInvalid, "type must be invoice or credit_note, got %q", f.Type)
	}
	list, more, err := e.store.ListInvoices(ctx, s, f)
	return list, more, storeErr(err)
}

// ExportInvoices returns the export rows of every document the filter selects (its
// Limit and StartingAfter are ignored), oldest first, as an accounting register
// lists them. Only the rows are kept, page by page, not the documents' lines.
func (e *Engine) ExportInvoices(ctx context.Context, s store.Scope, f store.InvoiceFilter) ([]invoice.ExportRow, error) {
	if f.Type != "" && !f.Type.Valid() {
		return nil, payment.Invalid("type", payment.CodeParameterInvalid, "type must be invoice or credit_note, got %q", f.Type)
	}
	f.OldestFirst, f.Limit, f.StartingAfter = true, store.MaxLimit, ""
	out := []invoice.ExportRow{}
	for {
		page, more, err := e.store.ListInvoices(ctx, s, f)
		if err != nil {
			return nil, storeErr(err)
		}
		for _, d := range page {
			out = append(out, d.Row())
		}
		if len(out) > MaxExport {
			return nil, payment.Invalid("created[gte]", payment.CodeParameterInvalid,
				"the export would hold more than %d documents: narrow it with created[gte] and created[lt]", MaxExport)
		}
		if !more {
			return out, nil
		}
		f.StartingAfter = page[len(page)-1].ID
	}
}

// WorkIssueInvoice issues the invoice of a payment that succeeded while automatic
// invoices were enabled.
func (e *Engine) WorkIssueInvoice(ctx context.Context, j store.Job) error {
	var a invoiceJob
	if err := json.Unmarshal(j.Args, &a); err != nil {
		return fmt.Errorf("bad %s args: %w", j.Kind, err)
	}
	s := store.Scope{MerchantID: a.MerchantID, Livemode: a.Livemode}
	_, err := e.issueInvoice(ctx, systemActor, s, a.PaymentID, a.PaidAt)
	if code := payment.ErrorCode(err); code == invoice.CodeSettingsIncomplete || code == payment.CodePaymentInvalidState {
		// The merchant cleared their legal details since (or the payment is not
		// what it was): retrying will not help; the invoice can be issued on demand.
		e.log.Warn("automatic invoice not issued", "payment", a.PaymentID, "err", err)
		return nil
	}
	return err
}

// WorkIssueCreditNote issues the credit note of a refund of an invoiced payment.
func (e *Engine) WorkIssueCreditNote(ctx context.Context, j store.Job) error {
	var ref refundRef
	if err := json.Unmarshal(j.Args, &ref); err != nil {
		return fmt.Errorf("bad %s args: %w", j.Kind, err)
	}
	_, err := e.issueCreditNote(ctx, systemActor, store.Scope{MerchantID: ref.MerchantID, Livemode: ref.Livemode}, ref.RefundID)
	return err
}

// WorkRenderInvoice stores the PDF of a document if its issuer did not.
func (e *Engine) WorkRenderInvoice(ctx context.Context, j store.Job) error {
	var ref documentRef
	if err := json.Unmarshal(j.Args, &ref); err != nil {
		return fmt.Errorf("bad %s args: %w", j.Kind, err)
	}
	_, _, err := e.InvoiceDocument(ctx, store.Scope{MerchantID: ref.MerchantID, Livemode: ref.Livemode}, ref.InvoiceID)
	return err
}
