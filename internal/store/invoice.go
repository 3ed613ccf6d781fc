package store

import (
	"context"
	"time"

	"github.com/paymux/paymux/internal/invoice"
)

// InvoiceFilter selects a scope's invoices and credit notes; zero fields match
// everything. Lists are newest first, or oldest first with OldestFirst (exports).
// StartingAfter is the id of the last document of the previous page.
type InvoiceFilter struct {
	PaymentID     string
	Type          invoice.Type
	CreatedGTE    time.Time
	CreatedLT     time.Time
	OldestFirst   bool
	Limit         int
	StartingAfter string
}

// InvoiceReader reads issued documents and invoice settings.
type InvoiceReader interface {
	// GetInvoice finds an invoice or credit note of the scope, without its PDF;
	// ErrNotFound for an unknown id or one of another merchant or mode.
	GetInvoice(ctx context.Context, s Scope, id string) (*invoice.Invoice, error)
	// ListInvoices pages the scope's documents. A StartingAfter that is not one of
	// them is a parameter_invalid *payment.Error.
	ListInvoices(ctx context.Context, s Scope, f InvoiceFilter) ([]*invoice.Invoice, bool, error)
	// InvoiceOfPayment finds a payment's invoice (not its credit notes); ErrNotFound
	// if it has none.
	InvoiceOfPayment(ctx context.Context, s Scope, paymentID string) (*invoice.Invoice, error)
	// CreditNoteOfRefund finds a refund's credit note; ErrNotFound if it has none.
	CreditNoteOfRefund(ctx context.Context, s Scope, refundID string) (*invoice.Invoice, error)
	// CreditNotesOf lists the credit notes of an invoice, oldest first.
	CreditNotesOf(ctx context.Context, s Scope, invoiceID string) ([]*invoice.Invoice, error)
	// InvoicePDF returns a document's stored PDF, nil while it has not been
	// rendered; ErrNotFound for an unknown document.
	InvoicePDF(ctx context.Context, s Scope, id string) ([]byte, error)
	// GetInvoiceSettings returns the scope's settings; ErrNotFound if never saved.
	GetInvoiceSettings(ctx context.Context, s Scope) (*invoice.Settings, error)
}

// InvoiceWriter issues documents and saves invoice settings.
type InvoiceWriter interface {
	// NextInvoiceSequence takes the next number of the scope's series of type t in
	// year, from 1, and holds the series' row lock until the transaction ends: the
	// number is used by the transaction that took it, or given back with it, so a
	// series has no gaps and no number twice.
	NextInvoiceSequence(ctx context.Context, s Scope, t invoice.Type, year int) (int64, error)
	// InsertInvoice stores an issued document (without PDF). ErrDuplicate when its
	// number, its payment's invoice or its refund's credit note already exists.
	InsertInvoice(ctx context.Context, inv *invoice.Invoice) error
	// StoreInvoicePDF stores a document's PDF unless it has one already; stored
	// reports whether this call stored it. ErrNotFound for an unknown document.
	StoreInvoicePDF(ctx context.Context, s Scope, id string, pdf []byte) (stored bool, err error)
	// GetInvoiceSettingsForUpdate is GetInvoiceSettings, locking the row, so that
	// concurrent partial updates apply one after the other.
	GetInvoiceSettingsForUpdate(ctx context.Context, s Scope) (*invoice.Settings, error)
	// PutInvoiceSettings saves the scope's settings, replacing any before.
	PutInvoiceSettings(ctx context.Context, st *invoice.Settings) error
}
