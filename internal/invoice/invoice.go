package invoice

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/paymux/paymux/internal/money"
)

// Type tells an invoice from a credit note.
type Type string

// Document types.
const (
	TypeInvoice    Type = "invoice"
	TypeCreditNote Type = "credit_note"
)

// Valid reports whether t is a known document type.
func (t Type) Valid() bool { return t == TypeInvoice || t == TypeCreditNote }

// Id prefixes of the documents.
const (
	PrefixInvoice    = "inv_"
	PrefixCreditNote = "cn_"
)

// Event types appended when a document is issued.
const (
	EventInvoiceCreated    = "invoice.created"
	EventCreditNoteCreated = "credit_note.created"
)

// Error codes of invoicing.
const (
	// CodeSettingsIncomplete: the merchant's invoice settings lack the legal details
	// a document must carry.
	CodeSettingsIncomplete = "invoice_settings_incomplete"
)

// Rate is a tax rate in basis points (2200 = 22%). In JSON it is the decimal
// percentage as a string ("22", "5.5"), so that no float ever carries it.
type Rate int64

// ParseRate reads a decimal percentage such as "22" or "5.5".
func ParseRate(s string) (Rate, error) {
	bp, err := money.ParseRate(s)
	return Rate(bp), err
}

// String is the shortest exact decimal percentage: "22", "5.5".
func (r Rate) String() string { return money.FormatRate(int64(r)) }

// MarshalJSON writes the rate as a decimal string.
func (r Rate) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }

// UnmarshalJSON reads a decimal string.
func (r *Rate) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("tax rate must be a decimal string such as \"22\": %w", err)
	}
	v, err := ParseRate(s)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// Percent writes the rate for people in locale's language: "22%", "5.5%" (en),
// "5,5%" (it, pl).
func (r Rate) Percent(locale string) string {
	s := r.String()
	if locale != "en" {
		s = strings.ReplaceAll(s, ".", ",")
	}
	return s + "%"
}

// Invoice is an issued invoice or credit note, as the API shows it. It is stored
// once when issued and never changes.
type Invoice struct {
	ID       string `json:"id"`
	Object   string `json:"object"`
	Livemode bool   `json:"livemode"`
	Type     Type   `json:"type"`
	// Number is the document's number in its series, e.g. "2026-000042".
	Number string `json:"number"`
	// Year and Sequence place it in its series: the Sequence-th document of its
	// type, mode and merchant issued in Year.
	Year     int   `json:"year"`
	Sequence int64 `json:"sequence"`
	// IssueDate is the day it was issued (YYYY-MM-DD, merchant's time zone).
	IssueDate string `json:"issue_date"`
	// PaymentDate is the day the payment succeeded, or the refund did (credit notes).
	PaymentDate string   `json:"payment_date"`
	PaymentID   string   `json:"payment_id"`
	Currency    string   `json:"currency"`
	Locale      string   `json:"locale"`
	Seller      Seller   `json:"seller"`
	Customer    Customer `json:"customer"`
	Lines       []Line   `json:"lines"`
	// TaxTotals has one entry per tax rate, highest rate first.
	TaxTotals         []TaxTotal `json:"tax_totals"`
	TotalNet          int64      `json:"total_net"`
	TotalTax          int64      `json:"total_tax"`
	Total             int64      `json:"total"`
	Provider          string     `json:"provider"`
	ProviderReference string     `json:"provider_reference"`
	Footer            string     `json:"footer"`
	// Credit notes only: the refund, and the invoice it corrects.
	RefundID              string    `json:"refund_id,omitempty"`
	CreditedInvoiceID     string    `json:"credited_invoice_id,omitempty"`
	CreditedInvoiceNumber string    `json:"credited_invoice_number,omitempty"`
	CreditedInvoiceDate   string    `json:"credited_invoice_date,omitempty"`
	Reason                string    `json:"reason,omitempty"`
	CreatedAt             time.Time `json:"created_at"`

	MerchantID string `json:"-"`
	// NumberPrefix is the merchant's prefix the number was made with.
	NumberPrefix string `json:"-"`
}

// Seller is the merchant's legal identity as printed on the document.
type Seller struct {
	LegalName    string   `json:"legal_name"`
	AddressLines []string `json:"address_lines"`
	Country      string   `json:"country"`
	TaxID        string   `json:"tax_id"`
	Email        string   `json:"email"`
}

// Customer is who paid, as the payment names them.
type Customer struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Line is one line of a document. UnitAmount and Amount include tax; Amount is
// Quantity × UnitAmount. Credit notes have negative amounts.
type Line struct {
	Description string `json:"description"`
	Quantity    int64  `json:"quantity"`
	UnitAmount  int64  `json:"unit_amount"`
	TaxRate     Rate   `json:"tax_rate"`
	Amount      int64  `json:"amount"`
}

// TaxTotal is what a document holds at one tax rate: Net + Tax = Gross.
type TaxTotal struct {
	TaxRate Rate  `json:"tax_rate"`
	Net     int64 `json:"net"`
	Tax     int64 `json:"tax"`
	Gross   int64 `json:"gross"`
}

// Assign gives the document its place in its series and the number made of it.
func (inv *Invoice) Assign(sequence int64) {
	inv.Sequence = sequence
	inv.Number = FormatNumber(inv.Type, inv.NumberPrefix, inv.Livemode, inv.Year, sequence)
}

// FormatNumber makes a document number: the merchant's prefix, "TEST-" in test
// mode, "NC-" for credit notes, the year and the sequence in at least six digits:
// "2026-000042", "SHOP-NC-2026-000003", "TEST-2026-000001".
func FormatNumber(t Type, prefix string, livemode bool, year int, sequence int64) string {
	var b strings.Builder
	if !livemode {
		b.WriteString("TEST-")
	}
	b.WriteString(prefix)
	if t == TypeCreditNote {
		b.WriteString("NC-")
	}
	fmt.Fprintf(&b, "%04d-%06d", year, sequence)
	return b.String()
}

// Amount returns v in the document's currency, for formatting.
func (inv *Invoice) Amount(v int64) money.Amount {
	c, err := money.LookupCurrency(inv.Currency)
	if err != nil {
		// Documents are made only from payments, whose currency was checked.
		c = money.Currency{Code: inv.Currency, Exponent: 2}
	}
	return money.Amount{Minor: v, Currency: c}
}
