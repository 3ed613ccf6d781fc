package payment

// Status is where a payment stands.
type Status string

// Payment statuses, as in DESIGN.md.
const (
	StatusRequiresPaymentMethod Status = "requires_payment_method"
	StatusRequiresAction        Status = "requires_action"
	StatusProcessing            Status = "processing"
	StatusRequiresCapture       Status = "requires_capture"
	StatusSucceeded             Status = "succeeded"
	StatusFailed                Status = "failed"
	StatusCanceled              Status = "canceled"
	StatusExpired               Status = "expired"
)

// transitions is the one table of allowed status changes. Anything else is refused
// with payment_invalid_state. A failed payment may be confirmed again, with another
// method or after the shopper fixed the card, as shoppers expect a retry to work.
var transitions = map[Status][]Status{
	StatusRequiresPaymentMethod: {StatusRequiresAction, StatusProcessing, StatusRequiresCapture, StatusSucceeded, StatusFailed, StatusCanceled, StatusExpired},
	StatusFailed:                {StatusRequiresAction, StatusProcessing, StatusRequiresCapture, StatusSucceeded, StatusFailed, StatusCanceled, StatusExpired},
	StatusRequiresAction:        {StatusProcessing, StatusRequiresCapture, StatusSucceeded, StatusFailed, StatusCanceled, StatusExpired},
	StatusProcessing:            {StatusRequiresCapture, StatusSucceeded, StatusFailed, StatusCanceled},
	StatusRequiresCapture:       {StatusSucceeded, StatusCanceled, StatusExpired},
	StatusSucceeded:             {},
	StatusCanceled:              {},
	StatusExpired:               {},
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	_, ok := transitions[s]
	return ok
}

// Terminal reports whether no further status change can happen.
func (s Status) Terminal() bool { return len(transitions[s]) == 0 && s.Valid() }

// CanTransition reports whether the table allows from → to.
func CanTransition(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Statuses lists every status in lifecycle order; used for validation messages and docs.
func Statuses() []Status {
	return []Status{StatusRequiresPaymentMethod, StatusRequiresAction, StatusProcessing,
		StatusRequiresCapture, StatusSucceeded, StatusFailed, StatusCanceled, StatusExpired}
}

// Which statuses each operation starts from. Kept beside the table so that the rules
// read in one place.
var (
	confirmableFrom = []Status{StatusRequiresPaymentMethod, StatusFailed}
	cancelableFrom  = []Status{StatusRequiresPaymentMethod, StatusRequiresAction, StatusRequiresCapture, StatusFailed}
	expirableFrom   = []Status{StatusRequiresPaymentMethod, StatusRequiresAction, StatusFailed}
)

// ExpirableStatuses are the statuses an abandoned payment is expired from.
func ExpirableStatuses() []Status { return append([]Status(nil), expirableFrom...) }

func in(s Status, set []Status) bool {
	for _, x := range set {
		if x == s {
			return true
		}
	}
	return false
}

// RefundStatus summarises how much of a payment was refunded.
type RefundStatus string

// Refund summary values.
const (
	RefundNone    RefundStatus = "none"
	RefundPartial RefundStatus = "partial"
	RefundFull    RefundStatus = "full"
)
