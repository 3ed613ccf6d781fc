// Package adyen is paymux's connector for Adyen's Checkout API v71, written against
// the wire protocol with the standard library (no Adyen library).
//
// # Connections
//
// A connection holds api_key (the API key of an API credential with the Checkout
// webservice role; sent as X-API-Key), merchant_account, and optionally hmac_key
// (the hex HMAC key of the standard webhook pointing at
// /hooks/adyen/{connection_id}; without it every notification is refused) and
// apple_pay_merchant_id (for ApplePaySession). A live connection also needs
// live_url_prefix, the [random]-[company name] prefix of the account's live
// endpoints, and then talks only to
// https://{prefix}-checkout-live.adyenpayments.com/checkout/v71; a test connection
// talks to https://checkout-test.adyen.com/v71, or to a base URL override such as a
// local Prism (the override replaces the whole base, /v71 included). Registration's
// New and ValidateCredentials refuse a live connection without live_url_prefix or
// with a base URL (Adyen's test endpoint or any other), a test connection with
// live_url_prefix or a live endpoint, a client key (test_…/live_…) given as
// api_key, and a malformed hmac_key, naming the credential at fault. Adyen API keys
// do not say which environment they belong to; Verify asks Adyen (POST
// /paymentMethods for the merchant account; nothing is written).
//
// # Payment methods
//
// AuthorizeRequest.PaymentMethod is one of:
//
//   - the paymentMethod JSON object produced by Adyen's Drop-in or Components in
//     the browser (state.data.paymentMethod), passed through unchanged: encrypted
//     card fields ({"type":"scheme","encryptedCardNumber":…}), an Apple Pay or
//     Google Pay token ({"type":"applepay","applePayToken":…}), or another method;
//   - or Drop-in's whole state.data ({"paymentMethod":{…},"browserInfo":{…},…}),
//     of which paymentMethod and browserInfo (which 3-D Secure 2 needs) are sent
//     and the rest is ignored;
//   - a bare payment method type such as "ideal", sent as {"type":"ideal"} for
//     redirect methods that need nothing more;
//   - in test mode only, "scheme:<card number>[:<holder name>]", one of Adyen's test
//     cards sent with Adyen's documented unencrypted test values (test_4111…,
//     expiry 03/2030, CVC 737); the holder name selects a test refusal.
//
// Card data never passes through paymux in clear except Adyen's public test cards.
//
// # Operations
//
//   - Authorize sends POST /payments: amount in Adyen's minor units (which differ
//     from ISO 4217 for CLP, CVE, IDR and ISK), reference = paymux's payment id,
//     merchantAccount, paymentMethod, returnUrl = paymux's return URL, channel Web,
//     shopperInteraction Ecommerce, shopperEmail, merchantOrderReference = order id,
//     metadata paymux_capture and paymux_attempt, and 3-D Secure 2 through Adyen's
//     redirect flow (authenticationData.threeDSRequestData.nativeThreeDS
//     "disabled"), so the outcome is a URL paymux can send the shopper to.
//     Automatic capture sends captureDelayHours 0 (overriding the merchant
//     account's default delay); manual capture sends additionalData.manualCapture.
//   - resultCode maps as: Authorised → succeeded (automatic capture; Adyen captures
//     asynchronously, but an authorisation with immediate capture is treated as
//     captured) or requires_capture (manual); RedirectShopper, IdentifyShopper and
//     ChallengeShopper → requires_action with the redirect action's URL (empty for
//     an action only Adyen's JavaScript can run); Pending, Received and other
//     non-final codes → processing; Refused → failed, with refusalReasonCode (or
//     the issuer's raw response code, e.g. 51 → insufficient_funds) mapped to
//     paymux's failure codes (card_declined, insufficient_funds, expired_card,
//     incorrect_cvc, authentication_failed, …; see refusals.go); Cancelled →
//     canceled; Error → a permanent provider error.
//   - Status cannot ask Adyen anything: Adyen has no endpoint that reads a payment
//     and reports outcomes by notification. It answers processing (with the
//     pspReference it was given), never provider.ErrUnknownPayment, so
//     reconciliation waits for the notification. CompleteRedirect, given the query
//     parameters of the shopper's return (redirectResult, payload, or MD and PaRes),
//     calls POST /payments/details and maps the answer as Authorize does; an answer
//     about another payment is refused. Capabilities.StatusLookup is false.
//   - Capture (POST /payments/{pspReference}/captures), Void (…/cancels) and Refund
//     (…/refunds) are asynchronous at Adyen: it answers "received" and the outcome
//     follows by notification. Capture reports succeeded with the requested amount
//     as soon as Adyen received it, Void reports canceled; Refund reports a pending
//     refund with the refund's pspReference, settled by the REFUND or
//     REFUND_FAILED notification. Captures and cancels carry paymux's payment id
//     as reference, refunds paymux's refund id, which notifications echo.
//   - ApplePaySession validates the merchant for Apple Pay on the web with Adyen's
//     Apple Pay certificate (POST /applePay/sessions).
//
// # Reliability
//
// Every POST carries an Idempotency-Key derived from paymux's key for the operation
// ("paymux-<op>-<key>", hashed to Adyen's 64-character limit); Adyen keeps keys for
// at least 31 days per company account and answers a repeated request with the
// first one's result. A failed call is retried with the same key after a network
// error, a 429 (honouring Retry-After), a 5xx or an answer marked Transient-Error,
// within the call's deadline. What is left is classified as a provider.Error:
// Uncertain when the request may have taken effect unseen (connection lost after
// sending, timeout, an unreadable 2xx, a 5xx, or a later 429 or "in progress"
// after such an attempt), Temporary for failures a later retry may fix, permanent
// for other 4xx. API keys, HMAC keys, request bodies and payment method data are
// never logged.
//
// # Notifications
//
// ParseWebhook reads Adyen's standard notification JSON ({live, notificationItems:
// [{NotificationRequestItem: …}]}), verifies every item's
// additionalData.hmacSignature (base64 HMAC-SHA256, with the hex-decoded hmac_key,
// of pspReference:originalReference:merchantAccountCode:merchantReference:
// value:currency:eventCode:success) and refuses the whole notification with
// provider.ErrBadSignature if any item fails; live must match the connection's
// mode. Event ids are pspReference:eventCode:success, so a redelivery is
// recognised. The event codes in WebhookEventCodes translate as:
//
//   - AUTHORISATION: success true → succeeded (metadata.paymux_capture automatic,
//     with the amount) or requires_capture (manual, or unknown: the state in which
//     no money is lost); false → failed with the refusal's failure code.
//     PaymentID is the merchantReference (paymux's payment id).
//   - CAPTURE: succeeded with the captured amount. CAPTURE_FAILED (or CAPTURE with
//     success false): a capture failure (provider.WebhookEvent.CaptureFailure, code
//     capture_failed with Adyen's reason): paymux reported the capture as
//     succeeded when Adyen received it, and now puts the payment back to
//     requires_capture with nothing captured and the failure kept, so it can be
//     captured again (with a new idempotency key) or cancelled; a re-capture by
//     Adyen arrives as CAPTURE and moves it to succeeded.
//   - CANCELLATION: canceled (success false is acknowledged).
//   - REFUND: the refund succeeded (true) or was refused (false, refund_refused);
//     REFUND_FAILED: failed later (refund_failed). RefundID is the
//     merchantReference, i.e. the paymux refund id Refund sent as reference.
//   - CANCEL_OR_REFUND: canceled, or a refund, as modification.action says.
//   - OFFER_CLOSED: failed (payment_expired): a redirect payment was never
//     completed. EXPIRE: expired: an uncaptured authorisation lapsed.
//
// Modifications are matched to the payment by originalReference (the payment's
// pspReference). Items for another merchant account and other event codes are
// acknowledged without events. The endpoint must answer HTTP 200 with the body
// "[accepted]" (NotificationResponse), or Adyen keeps resending.
package adyen
