package payment

import (
	"encoding/json"
	"time"
)

// ActorType says who or what caused a change.
type ActorType string

// Actor types.
const (
	ActorAPIKey   ActorType = "api_key"
	ActorOperator ActorType = "operator"
	ActorProvider ActorType = "provider"
	ActorSystem   ActorType = "system"
	ActorShopper  ActorType = "shopper"
)

// Actor is who or what caused a change: an API key id, an operator id, a provider
// name or a system job.
type Actor struct {
	Type ActorType `json:"type"`
	ID   string    `json:"id"`
}

// Event types. Every payment status change appends "payment.<status>"; a capture
// appends payment.captured, a capture that failed afterwards
// payment.capture_failed; refunds append refund.<state>.
const (
	EventPaymentCreated  = "payment.created"
	EventPaymentCaptured = "payment.captured"
	// EventPaymentCaptureFailed: a capture the provider had accepted failed
	// afterwards; the payment is back to requires_capture (see Payment.CaptureFailed).
	EventPaymentCaptureFailed = "payment.capture_failed"
	EventRefundCreated        = "refund.created"
	EventRefundSucceeded      = "refund.succeeded"
	EventRefundFailed         = "refund.failed"
	// Dispute events sit in the disputed payment's history; they do not change it.
	EventDisputeCreated = "dispute.created"
	EventDisputeUpdated = "dispute.updated"
	EventDisputeClosed  = "dispute.closed"
)

// Event types of emails: notification.created when an operator writes one, and
// notification.sent or notification.failed after each attempt to send one.
const (
	EventNotificationCreated = "notification.created"
	EventNotificationSent    = "notification.sent"
	EventNotificationFailed  = "notification.failed"
)

// PaymentEventType is the event a payment's move to s appends.
func PaymentEventType(s Status) string { return "payment." + string(s) }

// EventData holds the object an event is about, as it was right after the change,
// under "object" as webhook consumers of Stripe-style APIs expect.
type EventData struct {
	Object json.RawMessage `json:"object"`
}

// Event is one append-only entry of a merchant's history: who did what, when, and
// which state the object went from and to. Data is the object as it was right after.
type Event struct {
	ID         string    `json:"id"`
	Object     string    `json:"object"`
	MerchantID string    `json:"-"`
	Livemode   bool      `json:"livemode"`
	Type       string    `json:"type"`
	PaymentID  string    `json:"payment_id,omitempty"`
	Actor      Actor     `json:"actor"`
	FromStatus string    `json:"from_status,omitempty"`
	ToStatus   string    `json:"to_status,omitempty"`
	Data       EventData `json:"data"`
	CreatedAt  time.Time `json:"created_at"`
	// Seq orders events within a merchant; it is the stream cursor.
	Seq int64 `json:"-"`
}
