// Package stripe is paymux's connector for Stripe's v1 API, written against the
// wire protocol with the standard library (no stripe-go).
//
// # Connections
//
// A connection holds two credentials: secret_key (sk_test_…/sk_live_…, or a
// restricted rk_test_…/rk_live_… key with write access to PaymentIntents and
// Refunds) and, optionally, webhook_secret (the whsec_… signing secret of the
// endpoint pointing at /hooks/stripe/{connection_id}). Registration's New refuses a
// key of the other mode (a live connection with a test key and the reverse), naming
// the credential at fault, and refuses any base URL other than
// https://api.stripe.com in live mode; a test connection may point at a local
// server such as stripe-mock. ValidateCredentials applies the same checks to
// credentials about to be stored, and a connector's Verify method asks Stripe
// whether it accepts the key (listing one PaymentIntent; nothing is written).
//
// # Operations
//
//   - Authorize creates and confirms a PaymentIntent in one call (cards, including
//     Apple Pay and Google Pay cards, given as a PaymentMethod id such as Stripe's
//     test method pm_card_visa), with capture_method automatic or manual, paymux's
//     return URL for 3-D Secure redirects, and metadata paymux_payment_id,
//     paymux_attempt and paymux_order_id. A declined card (HTTP 402 card_error)
//     is a failed outcome with the decline code, not an error.
//   - Capture, Void and Status call the PaymentIntent's capture, cancel and
//     retrieve endpoints. Status without a PaymentIntent id searches by
//     metadata; Stripe's search lags writes, so finding nothing is a temporary
//     error and provider.ErrUnknownPayment means only that Stripe answered
//     resource_missing.
//   - Refund creates a Refund with metadata paymux_refund_id and paymux_payment_id.
//
// PaymentIntent statuses map to paymux's as: requires_action → requires_action
// (with next_action.redirect_to_url as the redirect), processing → processing,
// requires_capture → requires_capture, succeeded → succeeded (amount_received),
// canceled → canceled, and requires_payment_method after a confirm → failed with
// last_payment_error's decline_code or code. Brand and last four digits come from
// the latest charge (expanded) or the payment method.
//
// Amounts are converted where Stripe's minor unit differs from ISO 4217's (ISK,
// MGA) and checked where Stripe adds rules (three-decimal currencies end in 0),
// so an amount Stripe would refuse is refused before anything is sent.
//
// # Reliability
//
// Every request pins Stripe-Version to APIVersion. Every POST carries an
// Idempotency-Key derived from paymux's key for the operation, and a failed call
// is retried with that same key after a network error, a 409, a 429 (honouring
// Retry-After) or a 5xx, as Stripe's own libraries do, within the call's
// deadline. What is left is classified as a provider.Error: Uncertain when a POST
// may have taken effect unseen (connection lost after sending, timeout, an
// unreadable 2xx, or a 5xx, whose result Stripe calls indeterminate), Temporary
// for failures a later retry may fix, permanent for other 4xx. API keys, request
// bodies and signatures are never logged.
//
// # Webhooks
//
// ParseWebhook verifies Stripe-Signature (HMAC-SHA256 over "t.body" with the
// whsec_ secret, any v1 may match, 300 s tolerance) and translates the event
// types in WebhookEventTypes: payment_intent.* into payment news, refund.* and
// charge.refunded into refund news matched by paymux_refund_id, and
// charge.dispute.created into an acknowledged event that changes nothing yet.
// Other types are acknowledged and ignored.
package stripe
