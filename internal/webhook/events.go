package webhook

import (
	"slices"
	"strings"

	"github.com/paymux/paymux/internal/invoice"
	"github.com/paymux/paymux/internal/payment"
)

// AllEvents, in an endpoint's enabled_events, subscribes it to every event type,
// including types added later.
const AllEvents = "*"

// EventTypes lists every event type the engine appends, in lifecycle order: an
// endpoint may subscribe to any of them.
var EventTypes = []string{
	payment.EventPaymentCreated,
	payment.PaymentEventType(payment.StatusRequiresAction),
	payment.PaymentEventType(payment.StatusProcessing),
	payment.PaymentEventType(payment.StatusRequiresCapture),
	payment.PaymentEventType(payment.StatusSucceeded),
	payment.PaymentEventType(payment.StatusFailed),
	payment.PaymentEventType(payment.StatusCanceled),
	payment.PaymentEventType(payment.StatusExpired),
	payment.EventPaymentCaptured,
	payment.EventPaymentCaptureFailed,
	payment.EventRefundCreated,
	payment.EventRefundSucceeded,
	payment.EventRefundFailed,
	payment.EventDisputeCreated,
	payment.EventDisputeUpdated,
	payment.EventDisputeClosed,
	invoice.EventInvoiceCreated,
	invoice.EventCreditNoteCreated,
	payment.EventNotificationCreated,
	payment.EventNotificationSent,
	payment.EventNotificationFailed,
}

// MaxEnabledEvents bounds an endpoint's event list.
const MaxEnabledEvents = 50

// NormalizeEvents checks an endpoint's enabled_events and returns them without
// duplicates, in EventTypes order, or just ["*"] when "*" is among them.
func NormalizeEvents(in []string) ([]string, error) {
	if len(in) == 0 {
		return nil, payment.Invalid("enabled_events", payment.CodeParameterMissing,
			"enabled_events is required: a list of event types such as [\"payment.succeeded\", \"refund.succeeded\"], or [\"*\"] for every event")
	}
	if len(in) > MaxEnabledEvents {
		return nil, payment.Invalid("enabled_events", payment.CodeParameterInvalid,
			"enabled_events has %d entries: at most %d", len(in), MaxEnabledEvents)
	}
	if err := CheckEventTypes("enabled_events", in); err != nil {
		return nil, err
	}
	if slices.Contains(in, AllEvents) {
		return []string{AllEvents}, nil
	}
	out := make([]string, 0, len(in))
	for _, t := range EventTypes {
		if slices.Contains(in, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

// CheckEventTypes refuses, naming param, any entry of in that is neither "*" nor an
// event type paymux appends.
func CheckEventTypes(param string, in []string) error {
	for _, ev := range in {
		if ev != AllEvents && !slices.Contains(EventTypes, ev) {
			return payment.Invalid(param, payment.CodeParameterInvalid,
				"unknown event type %q in %s: use \"*\" or any of %s", ev, param, strings.Join(EventTypes, ", "))
		}
	}
	return nil
}

// Matches reports whether an endpoint subscribed to enabled receives events of type typ.
func Matches(enabled []string, typ string) bool {
	for _, e := range enabled {
		if e == AllEvents || e == typ {
			return true
		}
	}
	return false
}

// SecretPrefix starts every signing secret.
const SecretPrefix = "whsec_"

// NewSecret returns a fresh signing secret: the prefix and 32 random base62
// characters (about 190 bits).
func NewSecret() string { return SecretPrefix + payment.RandomString(32) }
