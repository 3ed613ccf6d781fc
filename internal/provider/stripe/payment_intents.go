package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
)

// Metadata keys paymux sets on Stripe objects, to find its own ids again in
// webhooks and searches.
const (
	MetaPaymentID = "paymux_payment_id"
	MetaAttempt   = "paymux_attempt"
	MetaOrderID   = "paymux_order_id"
	MetaRefundID  = "paymux_refund_id"
)

// expand asks Stripe to inline the latest charge and the payment method, which
// carry the card brand and last four digits.
func expand(f *form, prefix string) *form {
	return f.add("expand[]", prefix+"latest_charge").add("expand[]", prefix+"payment_method")
}

// Authorize creates and confirms a PaymentIntent in one call. A declined card is a
// failed outcome, not an error.
func (c *connector) Authorize(ctx context.Context, r provider.AuthorizeRequest) (payment.Outcome, error) {
	if r.PaymentMethod == "" {
		return payment.Outcome{}, payment.Invalid("payment_method", payment.CodeParameterMissing,
			"a Stripe PaymentMethod id is required (pm_…, e.g. Stripe's test method pm_card_visa)")
	}
	amount, err := toStripeAmount("amount", r.Amount, r.Currency)
	if err != nil {
		return payment.Outcome{}, err
	}
	captureMethod := "automatic"
	if r.CaptureMethod == payment.CaptureManual {
		captureMethod = "manual"
	}
	f := (&form{}).
		add("amount", strconv.FormatInt(amount, 10)).
		add("currency", strings.ToLower(r.Currency)).
		add("capture_method", captureMethod).
		add("payment_method", r.PaymentMethod).
		// Cards, including Apple Pay and Google Pay cards, are what this connector
		// offers; naming the type also keeps automatic payment methods off.
		add("payment_method_types[]", "card").
		add("confirm", "true").
		addIf("return_url", r.ReturnURL).
		addIf("description", r.Description).
		addIf("metadata["+MetaPaymentID+"]", r.PaymentID).
		addIf("metadata["+MetaAttempt+"]", r.IdempotencyKey).
		addIf("metadata["+MetaOrderID+"]", r.OrderID)
	var pi paymentIntent
	err = c.api.post(ctx, "/v1/payment_intents", expand(f, ""), idempotencyKey("authorize", r.IdempotencyKey), &pi)
	if err != nil {
		if o, ok := declined(err); ok {
			return o, nil
		}
		return payment.Outcome{}, providerError(err)
	}
	return outcome(&pi), nil
}

// declined turns a card error (HTTP 402, type card_error) into a failed outcome.
func declined(err error) (payment.Outcome, bool) {
	var ce *callError
	if !errors.As(err, &ce) || ce.se == nil || ce.se.Type != "card_error" || ce.status < 400 || ce.status >= 500 {
		return payment.Outcome{}, false
	}
	o := payment.Outcome{Status: payment.StatusFailed}
	if pi := ce.se.PaymentIntent; pi != nil {
		o.ProviderReference = pi.ID
		cardOf(&o, pi)
	}
	if o.CardLast4 == "" && ce.se.PaymentMethod != nil {
		cardFromMethod(&o, ce.se.PaymentMethod)
	}
	o.FailureCode, o.FailureMessage = failure(ce.se)
	return o, true
}

// failure is the code and message paymux records for a Stripe payment error.
func failure(e *stripeError) (code, msg string) {
	code = e.DeclineCode
	if code == "" {
		code = e.Code
	}
	if code == "" {
		code = e.Type
	}
	if code == "" {
		code = "payment_failed"
	}
	msg = e.Message
	if msg == "" {
		msg = "Stripe reported the payment as failed (" + code + ")."
	}
	return code, msg
}

// outcome maps a PaymentIntent to paymux's view of the payment.
func outcome(pi *paymentIntent) payment.Outcome {
	o := payment.Outcome{ProviderReference: pi.ID}
	cardOf(&o, pi)
	switch pi.Status {
	case "requires_action":
		o.Status = payment.StatusRequiresAction
		o.RedirectURL = redirectURL(pi.NextAction)
	case "processing":
		o.Status = payment.StatusProcessing
	case "requires_capture":
		o.Status = payment.StatusRequiresCapture
	case "succeeded":
		o.Status = payment.StatusSucceeded
		o.AmountCaptured = fromStripeAmount(pi.AmountReceived, pi.Currency)
	case "canceled":
		o.Status = payment.StatusCanceled
	case "requires_payment_method", "requires_confirmation":
		// After a confirm, the intent is back here only because the attempt failed
		// (a decline, or 3-D Secure failed or was abandoned).
		o.Status = payment.StatusFailed
		if e := pi.LastPaymentError; e != nil {
			o.FailureCode, o.FailureMessage = failure(e)
			if o.CardLast4 == "" && e.PaymentMethod != nil {
				cardFromMethod(&o, e.PaymentMethod)
			}
		} else {
			o.FailureCode = "payment_not_completed"
			o.FailureMessage = "Stripe reports the payment as not completed: it still requires a payment method."
		}
	default:
		// A status this version does not know: not final, so reconciliation asks again.
		o.Status = payment.StatusProcessing
	}
	return o
}

// redirectURL is where a requires_action shopper goes: the redirect Stripe asks for
// (3-D Secure with a return_url), or for a Stripe.js-only action the hosted
// challenge URL when Stripe gives one. Empty when only Stripe.js can proceed.
func redirectURL(na *nextAction) string {
	if na == nil {
		return ""
	}
	if na.RedirectToURL != nil && na.RedirectToURL.URL != "" {
		return na.RedirectToURL.URL
	}
	if len(na.UseStripeSDK) > 0 {
		var sdk struct {
			StripeJS json.RawMessage `json:"stripe_js"`
		}
		var u string
		if json.Unmarshal(na.UseStripeSDK, &sdk) == nil && json.Unmarshal(sdk.StripeJS, &u) == nil &&
			(strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")) {
			return u
		}
	}
	return ""
}

// cardOf fills brand, last four digits and method type from the latest charge, or
// from the payment method when there is no charge yet.
func cardOf(o *payment.Outcome, pi *paymentIntent) {
	if ch := pi.LatestCharge.Obj; ch != nil && ch.PaymentMethodDetails != nil {
		d := ch.PaymentMethodDetails
		if d.Card != nil {
			setCard(o, d.Card)
			return
		}
		if d.Type != "" {
			o.PaymentMethodType = d.Type
			return
		}
	}
	if pm := pi.PaymentMethod.Obj; pm != nil {
		cardFromMethod(o, pm)
	}
}

func cardFromMethod(o *payment.Outcome, pm *paymentMethod) {
	if pm.Card != nil {
		setCard(o, pm.Card)
		return
	}
	o.PaymentMethodType = pm.Type
}

func setCard(o *payment.Outcome, c *cardDetails) {
	o.PaymentMethodType = "card"
	if c.Wallet != nil {
		switch c.Wallet.Type {
		case "apple_pay", "google_pay":
			o.PaymentMethodType = c.Wallet.Type
		}
	}
	o.CardBrand, o.CardLast4 = c.Brand, c.Last4
}

// intentPath is the API path of PaymentIntent ref (plus suffix), refusing an id
// that is not a Stripe id.
func intentPath(ref, suffix string) (string, error) {
	if !validID(ref) {
		return "", &provider.Error{Provider: Name, Code: "provider_reference_invalid",
			Message: fmt.Sprintf("%q is not a Stripe PaymentIntent id (pi_…)", clip(ref))}
	}
	return "/v1/payment_intents/" + ref + suffix, nil
}

// validID reports whether s looks like a Stripe object id: letters, digits and
// underscores only, so it can go into a URL path as it is.
func validID(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// Capture captures Amount (all that is capturable when zero) of an authorised
// PaymentIntent; the rest of the authorisation is released.
func (c *connector) Capture(ctx context.Context, r provider.CaptureRequest) (payment.Outcome, error) {
	path, err := intentPath(r.ProviderReference, "/capture")
	if err != nil {
		return payment.Outcome{}, err
	}
	f := &form{}
	if r.Amount > 0 {
		amount, err := toStripeAmount("amount", r.Amount, r.Currency)
		if err != nil {
			return payment.Outcome{}, err
		}
		f.add("amount_to_capture", strconv.FormatInt(amount, 10))
	}
	var pi paymentIntent
	if err := c.api.post(ctx, path, expand(f, ""), idempotencyKey("capture", r.IdempotencyKey), &pi); err != nil {
		return payment.Outcome{}, providerError(err)
	}
	return outcome(&pi), nil
}

// Void cancels a PaymentIntent that was not captured. Cancelling one Stripe already
// reports as canceled is a success.
func (c *connector) Void(ctx context.Context, r provider.VoidRequest) (payment.Outcome, error) {
	path, err := intentPath(r.ProviderReference, "/cancel")
	if err != nil {
		return payment.Outcome{}, err
	}
	var pi paymentIntent
	err = c.api.post(ctx, path, &form{}, idempotencyKey("void", r.IdempotencyKey), &pi)
	var ce *callError
	if errors.As(err, &ce) && ce.se != nil && ce.se.PaymentIntent != nil && ce.se.PaymentIntent.Status == "canceled" {
		return outcome(ce.se.PaymentIntent), nil
	}
	if err != nil {
		return payment.Outcome{}, providerError(err)
	}
	return outcome(&pi), nil
}

// Status reads the PaymentIntent. Without a ProviderReference (an authorisation
// whose answer was lost), it searches for the intent by paymux's payment id and
// attempt; Stripe's search can lag writes by about a minute, so finding nothing is
// a temporary error, not proof that nothing happened. ErrUnknownPayment is
// returned only when Stripe answers resource_missing for the id.
func (c *connector) Status(ctx context.Context, r provider.StatusRequest) (payment.Outcome, error) {
	if r.ProviderReference == "" {
		return c.search(ctx, r)
	}
	path, err := intentPath(r.ProviderReference, "")
	if err != nil {
		return payment.Outcome{}, err
	}
	var pi paymentIntent
	err = c.api.get(ctx, path, expand(&form{}, ""), &pi)
	var ce *callError
	if errors.As(err, &ce) && ce.status == http.StatusNotFound && ce.se != nil && ce.se.Code == "resource_missing" {
		return payment.Outcome{}, fmt.Errorf("%w: Stripe has no PaymentIntent %s in this account and mode", provider.ErrUnknownPayment, r.ProviderReference)
	}
	if err != nil {
		return payment.Outcome{}, providerError(err)
	}
	return outcome(&pi), nil
}

func (c *connector) search(ctx context.Context, r provider.StatusRequest) (payment.Outcome, error) {
	if r.PaymentID == "" {
		return payment.Outcome{}, &provider.Error{Provider: Name, Code: "provider_reference_missing",
			Message: "a status lookup needs the PaymentIntent id or the paymux payment id"}
	}
	q := (&form{}).add("query", "metadata['"+MetaPaymentID+"']:'"+searchQuote(r.PaymentID)+"'").add("limit", "20")
	var res searchResult[paymentIntent]
	if err := c.api.get(ctx, "/v1/payment_intents/search", expand(q, "data."), &res); err != nil {
		return payment.Outcome{}, providerError(err)
	}
	var found *paymentIntent
	for i := range res.Data {
		pi := &res.Data[i]
		if pi.Metadata[MetaPaymentID] != r.PaymentID {
			continue
		}
		if r.IdempotencyKey != "" && pi.Metadata[MetaAttempt] != r.IdempotencyKey {
			continue
		}
		if found == nil || pi.Created > found.Created {
			found = pi
		}
	}
	if found == nil {
		attempt := ""
		if r.IdempotencyKey != "" {
			attempt = " (attempt " + r.IdempotencyKey + ")"
		}
		return payment.Outcome{}, &provider.Error{Provider: Name, Code: "payment_not_found_yet", Temporary: true,
			Message: fmt.Sprintf("Stripe's search finds no PaymentIntent for payment %s%s yet; search can lag by a minute, so ask again", r.PaymentID, attempt)}
	}
	return outcome(found), nil
}

// searchQuote escapes a value for a single-quoted Stripe search string.
func searchQuote(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s)
}
