package payment

import "time"

// RefundState is where a refund stands.
type RefundState string

// Refund states. A pending refund already counts against the refundable amount.
const (
	RefundPending   RefundState = "pending"
	RefundSucceeded RefundState = "succeeded"
	RefundFailed    RefundState = "failed"
)

// Refund gives back part or all of a captured payment.
type Refund struct {
	ID                string            `json:"id"`
	Object            string            `json:"object"`
	MerchantID        string            `json:"-"`
	Livemode          bool              `json:"livemode"`
	PaymentID         string            `json:"payment_id"`
	Amount            int64             `json:"amount"`
	Currency          string            `json:"currency"`
	Status            RefundState       `json:"status"`
	Reason            string            `json:"reason"`
	ProviderReference string            `json:"provider_reference"`
	FailureCode       string            `json:"failure_code"`
	FailureMessage    string            `json:"failure_message"`
	Metadata          map[string]string `json:"metadata"`
	CreatedAt         time.Time         `json:"created_at"`
	UpdatedAt         time.Time         `json:"updated_at"`
	// Submitted is set once the provider acknowledged the refund request; a pending
	// refund not yet submitted is re-sent (with the same idempotency key) by recovery.
	Submitted bool `json:"-"`
	// IdempotencyKey is the API key the refund was created under: a retry after a
	// crash finds the refund already reserved instead of reserving it twice.
	IdempotencyKey string `json:"-"`
}

// Refund reasons, as Stripe names them.
var refundReasons = map[string]bool{"": true, "duplicate": true, "fraudulent": true, "requested_by_customer": true}

// ValidateRefundReason checks the optional reason.
func ValidateRefundReason(r string) error {
	if !refundReasons[r] {
		return Invalid("reason", CodeParameterInvalid, "reason must be one of duplicate, fraudulent, requested_by_customer, not %q", r)
	}
	return nil
}

// Settle records the provider's final word on the refund and reports whether it
// changed. A failed refund stays failed, and a succeeded one stays succeeded except
// for a failure: providers report refunds that the bank or scheme returned after
// they had succeeded (Adyen's REFUND_FAILED, Stripe's refund.failed).
func (r *Refund) Settle(state RefundState, providerRef, failureCode, failureMessage string, now time.Time) bool {
	if state != RefundPending && state != RefundSucceeded && state != RefundFailed {
		return false
	}
	if r.Status == RefundSucceeded && state == RefundFailed {
		r.Status, r.FailureCode, r.FailureMessage = RefundFailed, failureCode, failureMessage
		if r.FailureCode == "" {
			r.FailureCode = "refund_failed"
		}
		r.UpdatedAt = now.UTC()
		return true
	}
	if r.Status != RefundPending {
		return false
	}
	if providerRef != "" {
		r.ProviderReference = providerRef
	}
	r.Submitted = true
	if state == RefundPending {
		return false
	}
	r.Status = state
	if state == RefundFailed {
		r.FailureCode, r.FailureMessage = failureCode, failureMessage
		if r.FailureCode == "" {
			r.FailureCode = "refund_failed"
		}
	}
	r.UpdatedAt = now.UTC()
	return true
}
