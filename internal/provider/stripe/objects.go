package stripe

import (
	"bytes"
	"encoding/json"
)

// The Stripe objects this package reads, with only the fields it uses. Unknown
// fields are ignored, so additions in later API versions do not break parsing.

// paymentIntent is a Stripe PaymentIntent.
type paymentIntent struct {
	ID               string                    `json:"id"`
	Object           string                    `json:"object"`
	Status           string                    `json:"status"`
	Amount           int64                     `json:"amount"`
	AmountCapturable int64                     `json:"amount_capturable"`
	AmountReceived   int64                     `json:"amount_received"`
	Currency         string                    `json:"currency"`
	CaptureMethod    string                    `json:"capture_method"`
	Created          int64                     `json:"created"`
	Livemode         bool                      `json:"livemode"`
	Metadata         map[string]string         `json:"metadata"`
	LastPaymentError *stripeError              `json:"last_payment_error"`
	NextAction       *nextAction               `json:"next_action"`
	LatestCharge     expandable[charge]        `json:"latest_charge"`
	PaymentMethod    expandable[paymentMethod] `json:"payment_method"`
	Cancellation     string                    `json:"cancellation_reason"`
}

// nextAction is what a requires_action PaymentIntent waits for.
type nextAction struct {
	Type          string `json:"type"`
	RedirectToURL *struct {
		URL string `json:"url"`
	} `json:"redirect_to_url"`
	// UseStripeSDK is meant for Stripe.js; for a 3-D Secure 1 redirect it carries
	// the challenge URL in stripe_js.
	UseStripeSDK json.RawMessage `json:"use_stripe_sdk"`
}

// charge is a Stripe Charge.
type charge struct {
	ID                   string                    `json:"id"`
	Status               string                    `json:"status"`
	PaymentIntent        expandable[paymentIntent] `json:"payment_intent"`
	AmountRefunded       int64                     `json:"amount_refunded"`
	Metadata             map[string]string         `json:"metadata"`
	PaymentMethodDetails *paymentMethodDetails     `json:"payment_method_details"`
	Refunds              *struct{ Data []refund }  `json:"refunds"`
}

// paymentMethodDetails is how a charge was paid.
type paymentMethodDetails struct {
	Type string       `json:"type"`
	Card *cardDetails `json:"card"`
}

// paymentMethod is a Stripe PaymentMethod.
type paymentMethod struct {
	ID   string       `json:"id"`
	Type string       `json:"type"`
	Card *cardDetails `json:"card"`
}

// cardDetails is the card part of a charge or payment method: never the number,
// only what Stripe shows (brand, last four digits, wallet).
type cardDetails struct {
	Brand  string `json:"brand"`
	Last4  string `json:"last4"`
	Wallet *struct {
		Type string `json:"type"`
	} `json:"wallet"`
}

// refund is a Stripe Refund.
type refund struct {
	ID            string                    `json:"id"`
	Amount        int64                     `json:"amount"`
	Currency      string                    `json:"currency"`
	Status        string                    `json:"status"`
	FailureReason string                    `json:"failure_reason"`
	PaymentIntent expandable[paymentIntent] `json:"payment_intent"`
	Charge        expandable[charge]        `json:"charge"`
	Metadata      map[string]string         `json:"metadata"`
}

// dispute is a Stripe Dispute.
type dispute struct {
	ID            string                    `json:"id"`
	Amount        int64                     `json:"amount"`
	Currency      string                    `json:"currency"`
	Reason        string                    `json:"reason"`
	Status        string                    `json:"status"`
	PaymentIntent expandable[paymentIntent] `json:"payment_intent"`
	Charge        expandable[charge]        `json:"charge"`
}

// searchResult is a page of a search endpoint.
type searchResult[T any] struct {
	Data    []T  `json:"data"`
	HasMore bool `json:"has_more"`
}

// expandable is a field Stripe sends as an id, or as the object when the request
// asked to expand it. ID is set either way.
type expandable[T any] struct {
	ID  string
	Obj *T
}

// UnmarshalJSON accepts null, an id string or an object.
func (e *expandable[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		return nil
	case b[0] == '"':
		return json.Unmarshal(b, &e.ID)
	}
	var id struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &id); err != nil {
		return err
	}
	obj := new(T)
	if err := json.Unmarshal(b, obj); err != nil {
		return err
	}
	e.ID, e.Obj = id.ID, obj
	return nil
}
