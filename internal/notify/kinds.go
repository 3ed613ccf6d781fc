package notify

import "slices"

// Kind is what an email is about. Its string is the API's name for it.
type Kind string

// Kinds of email.
const (
	// PaymentSucceeded confirms a payment to the shopper.
	PaymentSucceeded Kind = "payment_succeeded"
	// PaymentFailed tells the shopper a payment failed, with a link to try again
	// or to pay another way.
	PaymentFailed Kind = "payment_failed"
	// RefundSucceeded tells the shopper money was refunded.
	RefundSucceeded Kind = "refund_succeeded"
	// PaymentLink sends the shopper a link to pay.
	PaymentLink Kind = "payment_link"
	// PaymentReminder reminds the shopper of a payment left unpaid.
	PaymentReminder Kind = "payment_reminder"
	// EndpointDisabled tells the merchant's operator that paymux disabled one of
	// their webhook endpoints after repeated failures.
	EndpointDisabled Kind = "endpoint_disabled"
	// InvoiceIssued sends the shopper an invoice or credit note, its PDF attached.
	InvoiceIssued Kind = "invoice_issued"
	// Free is an operator's own message about a payment.
	Free Kind = "free"
)

// Kinds lists every kind, in the order the API and the documentation show them.
func Kinds() []Kind {
	return []Kind{PaymentSucceeded, PaymentFailed, RefundSucceeded, PaymentLink, PaymentReminder, EndpointDisabled, InvoiceIssued, Free}
}

// Switchable lists the kinds a merchant can switch on or off; free messages are
// always sent, since an operator asks for each one.
func Switchable() []Kind {
	return []Kind{PaymentSucceeded, PaymentFailed, RefundSucceeded, PaymentLink, PaymentReminder, EndpointDisabled, InvoiceIssued}
}

// Valid says whether k is a kind of email.
func (k Kind) Valid() bool { return slices.Contains(Kinds(), k) }

// OnByDefault says whether a merchant that never changed its settings gets k.
// Reminders are off until a merchant asks for them: not every shop wants to chase
// its shoppers.
func (k Kind) OnByDefault() bool { return k != PaymentReminder }

// ToOperator says whether k goes to the merchant's operator address rather than
// to a shopper.
func (k Kind) ToOperator() bool { return k == EndpointDisabled }
