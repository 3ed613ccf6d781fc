// Package paypal is paymux's connector for PayPal Checkout: the Orders v2 and
// Payments v2 REST APIs, written against the wire protocol with the standard
// library (no PayPal SDK).
//
// # Connections
//
// A connection holds client_id and client_secret (a PayPal REST app's credentials),
// optionally webhook_id (the id PayPal gave the webhook pointing at
// /hooks/paypal/{connection_id}), and optionally environment, "sandbox" or
// "live". PayPal's client ids do not say which environment they belong to, so the
// environment is declared: it defaults to the connection's mode (sandbox for test,
// live for live), and a live connection whose environment is sandbox is refused,
// as is a test connection whose environment is live, naming
// credentials.environment. A live connection talks only to
// https://api-m.paypal.com; a test connection to https://api-m.sandbox.paypal.com,
// or to a local server given as base URL (never PayPal's live host).
// ValidateCredentials applies these checks to credentials about to be stored;
// Registration's New applies them to every connection; a connector's Verify asks
// PayPal for an access token, which proves the app's credentials without moving
// money.
//
// # Access tokens
//
// Calls carry an OAuth 2.0 access token from the client-credentials grant
// (POST /v1/oauth2/token). Tokens are cached per app (base URL, client id and
// secret) and shared by every connector one Registration builds, refreshed a tenth
// of their lifetime (at most five minutes) before they expire, and fetched by one
// request however many calls need one at once. A call PayPal answers with 401 drops
// the token and is sent once more with a fresh one. Tokens, secrets and request
// bodies are never logged.
//
// # Operations
//
//   - Authorize creates an order (POST /v2/checkout/orders) with intent CAPTURE for
//     automatic capture or AUTHORIZE for manual capture, one purchase unit with the
//     amount as PayPal's decimal string (from minor units with the currency's
//     exponent; JPY, HUF and TWD in whole units), custom_id = paymux's payment id,
//     invoice_id = the merchant's order id (left out beyond 127 characters), and
//     payment_source.paypal.experience_context with return_url and cancel_url =
//     paymux's return endpoint, "Pay Now" and no shipping. PayPal answers
//     PAYER_ACTION_REQUIRED (or CREATED): the outcome is requires_action with the
//     payer-action (or approve) link as the redirect. payment_method must be
//     "paypal" or empty.
//   - Status reads the order (GET /v2/checkout/orders/{id}). If the shopper
//     approved it (APPROVED), Status completes it there and then: it captures
//     (POST …/capture) or authorises (POST …/authorize) the order, with a
//     PayPal-Request-Id derived from the payment and order ids, so that paymux's
//     return endpoint or reconciliation completes it, once. COMPLETED with a capture
//     is succeeded (with the captured amount), with an authorisation
//     requires_capture; VOIDED is canceled; a declined capture, or PayPal refusing
//     to complete the order (422 INSTRUMENT_DECLINED, TRANSACTION_REFUSED,
//     DUPLICATE_INVOICE_ID, …), is failed with PayPal's issue in lower case as the
//     failure code. An order PayPal does not know is provider.ErrUnknownPayment, and
//     so is a lookup without an order id: PayPal finds orders by id only, and an
//     order whose creation was not answered never reached the shopper, so nothing
//     was or can be charged on it.
//   - Capture captures the order's authorisation
//     (POST /v2/payments/authorizations/{id}/capture), all of it or part, always as
//     the final capture (PayPal releases the rest). Void voids it
//     (POST …/{id}/void); an order not authorised yet holds no money and is reported
//     canceled without a call. Refund refunds the order's capture
//     (POST /v2/payments/captures/{id}/refund), all that is left or part, with
//     custom_id and invoice_id = paymux's refund id; COMPLETED is succeeded,
//     PENDING pending, FAILED and CANCELLED failed.
//
// # Provider reference
//
// A payment's provider reference is always its PayPal order id, from creation to
// refund. Capture, Void and Refund read the order first (one GET) to find the
// authorisation or capture id they act on. The reference never changes because the
// engine matches webhooks to payments by it, and ignores payment news whose
// reference differs from the payment's as news of an earlier attempt; webhooks
// about captures and authorisations name the order in
// supplementary_data.related_ids.order_id.
//
// # Reliability
//
// Every POST carries a PayPal-Request-Id derived from paymux's key for the
// operation (at most 108 characters) and Prefer: return=representation. A failed
// call is retried with that same id after a network error, a 409, a 429 (honouring
// Retry-After) or a 5xx, within the call's deadline; PayPal answers a repeated id
// with the first answer. What is left is classified as a provider.Error:
// Uncertain when a POST may have taken effect unseen (connection lost after
// sending, timeout, an unreadable 2xx, or a 5xx), Temporary for failures a later
// retry may fix, permanent for other 4xx.
//
// # Webhooks
//
// ParseWebhook first refuses a delivery whose PAYPAL-CERT-URL is not https on one
// of PayPal's hosts (api.paypal.com, api-m.paypal.com, api.sandbox.paypal.com,
// api-m.sandbox.paypal.com), lacks a signature header, or whose connection has no
// webhook_id; then it asks PayPal to verify the signature
// (POST /v1/notifications/verify-webhook-signature with the transmission headers,
// the webhook_id and the event exactly as received). Any refusal is
// provider.ErrBadSignature; PayPal being unreachable is a temporary provider
// error, so the delivery is answered with an error and PayPal sends it again. The
// event types in WebhookEventTypes are translated: CHECKOUT.ORDER.APPROVED into
// processing (the next status lookup completes the order; the webhook does not,
// since it cannot tell whether the order is the payment's current attempt),
// PAYMENT.CAPTURE.* into succeeded, processing or failed, PAYMENT.AUTHORIZATION.*
// into requires_capture or canceled, and PAYMENT.CAPTURE.REFUNDED into refund news
// for the refund named by custom_id, with the payment read from the refunded
// capture. Event ids are PayPal's; redeliveries are translated again and the
// engine records each id once. Other types are acknowledged and ignored.
package paypal
