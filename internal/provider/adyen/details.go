package adyen

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sort"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
)

// detailKeys are the return parameters Adyen's redirects carry that
// /payments/details takes, in the order they are looked for: redirectResult (3-D
// Secure 2 redirects and most redirect methods, GET), payload (some redirect
// methods), MD and PaRes (3-D Secure 1, POST).
var detailKeys = []string{"redirectResult", "payload", "MD", "PaRes"}

// maxDetail bounds one return parameter, as the spec does (20,000 characters).
const maxDetail = 20000

// Status answers from what Adyen can tell without the shopper's return parameters,
// which is nothing: Adyen has no endpoint that reads a payment, and its outcomes
// arrive by notification (AUTHORISATION and the rest). So Status reports the payment
// as processing, with the pspReference it knows, and never ErrUnknownPayment;
// paymux's reconciliation keeps waiting and the notification settles the payment.
// CompleteRedirect, given the return parameters, asks Adyen for the outcome.
func (c *connector) Status(_ context.Context, r provider.StatusRequest) (payment.Outcome, error) {
	return payment.Outcome{Status: payment.StatusProcessing, ProviderReference: r.ProviderReference}, nil
}

// CompleteRedirect finishes a redirect (3-D Secure or a redirect payment method)
// when the shopper comes back to paymux's return URL (provider.RedirectCompleter):
// it sends the return's redirectResult (or payload, or MD and PaRes) to POST
// /payments/details and maps the answer as Authorize does. r.Params are the query
// parameters of the return (or its form fields for a POST return); r.CaptureMethod
// is the payment's, which Adyen's answer does not carry. Without any of those
// parameters it answers as Status does. An answer about another payment than r's
// (a shopper pasting someone else's redirectResult) is refused with a provider
// error; an answer that cannot be tied to r's payment id or pspReference is taken as
// processing, for the notification to settle.
func (c *connector) CompleteRedirect(ctx context.Context, rr provider.ReturnRequest) (payment.Outcome, error) {
	r, capture, params := rr.StatusRequest, rr.CaptureMethod, rr.Params
	details := map[string]string{}
	for _, k := range detailKeys {
		v := params.Get(k)
		if v == "" {
			continue
		}
		if len(v) > maxDetail {
			return payment.Outcome{}, payment.Invalid(k, payment.CodeParameterInvalid, "the %s parameter is longer than %d characters", k, maxDetail)
		}
		details[k] = v
		if k == "redirectResult" || k == "payload" {
			break
		}
	}
	if len(details) == 0 || (details["MD"] != "") != (details["PaRes"] != "") {
		return c.Status(ctx, r)
	}
	var res paymentResponse
	key := idempotencyKey("details", detailsKey(r.PaymentID, details))
	if err := c.api.post(ctx, "/payments/details", detailsRequest{Details: details}, key, &res); err != nil {
		return payment.Outcome{}, providerError(err)
	}
	if res.MerchantReference != "" && res.MerchantReference != r.PaymentID ||
		res.PSPReference != "" && r.ProviderReference != "" && res.PSPReference != r.ProviderReference {
		return payment.Outcome{}, &provider.Error{Provider: Name, Code: "redirect_mismatch",
			Message: "the shopper's return carries the result of another Adyen payment (pspReference " + clip(res.PSPReference) + "); it was ignored"}
	}
	if !(res.MerchantReference != "" && res.MerchantReference == r.PaymentID) &&
		!(res.PSPReference != "" && res.PSPReference == r.ProviderReference) {
		// Nothing ties the answer to this payment: wait for the notification.
		return c.Status(ctx, r)
	}
	if capture != payment.CaptureManual && capture != payment.CaptureAutomatic {
		capture = ""
	}
	o, err := outcome(&res, capture)
	if err == nil && o.ProviderReference == "" {
		o.ProviderReference = r.ProviderReference
	}
	return o, err
}

// detailsKey identifies one return for the idempotency key of /payments/details:
// the same return sent twice (a reload of the return page) gets Adyen's first answer
// again instead of an error.
func detailsKey(paymentID string, details map[string]string) string {
	keys := make([]string, 0, len(details))
	for k := range details {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	h.Write([]byte(paymentID))
	for _, k := range keys {
		h.Write([]byte{0})
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(details[k]))
	}
	return hex.EncodeToString(h.Sum(nil))[:40]
}
