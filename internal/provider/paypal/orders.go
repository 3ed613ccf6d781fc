package paypal

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
)

// PayPal order statuses (Orders v2).
const (
	orderCreated             = "CREATED"
	orderSaved               = "SAVED"
	orderApproved            = "APPROVED"
	orderVoided              = "VOIDED"
	orderCompleted           = "COMPLETED"
	orderPayerActionRequired = "PAYER_ACTION_REQUIRED"
)

// Order intents.
const (
	intentCapture   = "CAPTURE"
	intentAuthorize = "AUTHORIZE"
)

// MethodPayPal is the payment_method value a PayPal payment is confirmed with. PayPal
// collects the funding source on its own pages, so there is nothing else to pass.
const MethodPayPal = "paypal"

// orderRequest is the body of POST /v2/checkout/orders.
type orderRequest struct {
	Intent        string         `json:"intent"`
	PurchaseUnits []purchaseUnit `json:"purchase_units"`
	PaymentSource *paymentSource `json:"payment_source,omitempty"`
}

type paymentSource struct {
	PayPal *paypalWallet `json:"paypal"`
}

type paypalWallet struct {
	EmailAddress      string             `json:"email_address,omitempty"`
	ExperienceContext *experienceContext `json:"experience_context,omitempty"`
}

// experienceContext is how PayPal's pages behave: where the shopper returns after
// approving or cancelling, "Pay Now" (paymux completes the order at once on the
// shopper's return), and no shipping address (the merchant's shop handles it).
type experienceContext struct {
	ReturnURL          string `json:"return_url,omitempty"`
	CancelURL          string `json:"cancel_url,omitempty"`
	UserAction         string `json:"user_action,omitempty"`
	ShippingPreference string `json:"shipping_preference,omitempty"`
}

// Authorize creates an order (intent CAPTURE for automatic capture, AUTHORIZE for
// manual) whose purchase unit carries the amount, custom_id = paymux's payment id
// and invoice_id = the merchant's order id. PayPal answers PAYER_ACTION_REQUIRED
// (or CREATED): the outcome is requires_action with PayPal's approval page as the
// redirect. The order is completed later, by Status, once the shopper approved it.
func (c *connector) Authorize(ctx context.Context, r provider.AuthorizeRequest) (payment.Outcome, error) {
	if m := strings.ToLower(strings.TrimSpace(r.PaymentMethod)); m != "" && m != MethodPayPal {
		return payment.Outcome{}, payment.Invalid("payment_method", payment.CodeParameterInvalid,
			"PayPal payments are confirmed with payment_method %q (PayPal collects the funding source on its own pages), not %q", MethodPayPal, clip(r.PaymentMethod))
	}
	if r.ReturnURL == "" {
		return payment.Outcome{}, payment.Invalid("return_url", payment.CodeParameterMissing,
			"a PayPal payment needs a return URL for the shopper to come back to after approving it")
	}
	amt, err := toAmount("amount", r.Amount, r.Currency)
	if err != nil {
		return payment.Outcome{}, err
	}
	intent := intentCapture
	if r.CaptureMethod == payment.CaptureManual {
		intent = intentAuthorize
	}
	pu := purchaseUnit{Amount: &amt, CustomID: r.PaymentID, Description: truncate(r.Description, 127)}
	if utf8.RuneCountInString(r.OrderID) <= 127 {
		// invoice_id takes at most 127 characters; a longer order id is left out
		// rather than cut, as PayPal may refuse a reused invoice id.
		pu.InvoiceID = r.OrderID
	}
	body := orderRequest{Intent: intent, PurchaseUnits: []purchaseUnit{pu},
		PaymentSource: &paymentSource{PayPal: &paypalWallet{EmailAddress: r.Customer.Email,
			ExperienceContext: &experienceContext{ReturnURL: r.ReturnURL, CancelURL: r.ReturnURL,
				UserAction: "PAY_NOW", ShippingPreference: "NO_SHIPPING"}}}}
	var o order
	if err := c.api.post(ctx, "/v2/checkout/orders", body, requestID("order", r.IdempotencyKey), &o); err != nil {
		return payment.Outcome{}, providerError(err)
	}
	if !validOrderID(o.ID) {
		return payment.Outcome{}, &provider.Error{Provider: Name, Code: "invalid_response", Uncertain: true, Temporary: true,
			Message: fmt.Sprintf("PayPal's answer names no valid order id (%q)", clip(o.ID))}
	}
	if o.Status == orderApproved {
		return c.complete(ctx, r.PaymentID, &o)
	}
	out := orderOutcome(&o)
	if out.Status == payment.StatusRequiresAction && out.RedirectURL == "" {
		return payment.Outcome{}, &provider.Error{Provider: Name, Code: "invalid_response",
			Message: fmt.Sprintf("PayPal created order %s (%s) without an approval link to send the shopper to", o.ID, o.Status)}
	}
	return out, nil
}

// Status reads the order. If the shopper approved it since (APPROVED), Status
// completes it: it captures the order (intent CAPTURE) or authorises it (intent
// AUTHORIZE), with a PayPal-Request-Id derived from the payment and order ids, so
// that the shopper's return, the reconciliation job and any retry complete it once.
//
// Without a ProviderReference (the answer to the order's creation was lost),
// Status answers provider.ErrUnknownPayment: PayPal cannot look orders up by
// anything but their id, and an order whose id never reached paymux never reached
// the shopper either, so it cannot be approved and nothing was or can be charged.
func (c *connector) Status(ctx context.Context, r provider.StatusRequest) (payment.Outcome, error) {
	if r.ProviderReference == "" {
		return payment.Outcome{}, fmt.Errorf("%w: PayPal orders are found by id only, and payment %s has none: an order whose creation was not answered was never shown to the shopper, so nothing was charged",
			provider.ErrUnknownPayment, r.PaymentID)
	}
	o, err := c.getOrder(ctx, r.ProviderReference)
	var ce *callError
	if errors.As(err, &ce) && ce.status == http.StatusNotFound {
		return payment.Outcome{}, fmt.Errorf("%w: PayPal has no order %s for this app", provider.ErrUnknownPayment, r.ProviderReference)
	}
	if err != nil {
		return payment.Outcome{}, providerError(err)
	}
	if o.Status == orderApproved {
		return c.complete(ctx, r.PaymentID, o)
	}
	return orderOutcome(o), nil
}

// getOrder reads an order; the error is a *callError or a refused reference.
func (c *connector) getOrder(ctx context.Context, id string) (*order, error) {
	path, err := orderPath(id, "")
	if err != nil {
		return nil, err
	}
	var o order
	if err := c.api.get(ctx, path, &o); err != nil {
		return nil, err
	}
	o.ID = id // the reference stays the one paymux holds, whatever the answer says
	return &o, nil
}

// completionIssues are 422 issues saying the order moved on (or not yet) while
// paymux tried to complete it: the order is read again and reported as it is.
var completionIssues = map[string]bool{
	"ORDER_ALREADY_CAPTURED": true, "ORDER_ALREADY_AUTHORIZED": true, "ORDER_COMPLETED_OR_VOIDED": true,
	"ORDER_NOT_APPROVED": true, "ORDER_COMPLETION_IN_PROGRESS": true,
}

// complete captures or authorises an approved order. A refusal (declined funding,
// a refused transaction, an expired order, …) is a failed outcome, not an error.
func (c *connector) complete(ctx context.Context, paymentID string, o *order) (payment.Outcome, error) {
	if cid := o.unit().CustomID; cid != "" && paymentID != "" && cid != paymentID {
		return payment.Outcome{}, &provider.Error{Provider: Name, Code: "order_mismatch",
			Message: fmt.Sprintf("PayPal order %s belongs to payment %s, not %s: it was not completed", o.ID, clip(cid), paymentID)}
	}
	action := "/capture"
	if o.Intent == intentAuthorize {
		action = "/authorize"
	}
	path, err := orderPath(o.ID, action)
	if err != nil {
		return payment.Outcome{}, err
	}
	var done order
	err = c.api.post(ctx, path, struct{}{}, requestID("complete", paymentID+"-"+o.ID), &done)
	var ce *callError
	switch {
	case err == nil:
		done.ID = o.ID
		return orderOutcome(&done), nil
	case errors.As(err, &ce) && ce.status == http.StatusUnprocessableEntity && completionIssues[ce.issue()]:
		again, gerr := c.getOrder(ctx, o.ID)
		if gerr != nil {
			return payment.Outcome{}, providerError(gerr)
		}
		return orderOutcome(again), nil
	case errors.As(err, &ce) && ce.status == http.StatusUnprocessableEntity && ce.ae != nil:
		code := ce.code()
		if code == "" {
			code = "order_not_completed"
		}
		msg := ce.ae.text()
		if msg == "" {
			msg = "PayPal refused to complete the order (" + code + ")."
		}
		return payment.Outcome{Status: payment.StatusFailed, ProviderReference: o.ID, PaymentMethodType: MethodPayPal,
			FailureCode: code, FailureMessage: msg}, nil
	}
	return payment.Outcome{}, providerError(err)
}

// orderOutcome maps an order to paymux's view of the payment. The provider
// reference is always the order id (see doc.go).
func orderOutcome(o *order) payment.Outcome {
	out := payment.Outcome{ProviderReference: o.ID, PaymentMethodType: MethodPayPal}
	switch o.Status {
	case orderCreated, orderPayerActionRequired:
		out.Status = payment.StatusRequiresAction
		out.RedirectURL = approvalURL(o.Links)
	case orderApproved, orderSaved:
		// Approved by the shopper, not completed yet: the next status lookup
		// completes it.
		out.Status = payment.StatusProcessing
	case orderVoided:
		out.Status = payment.StatusCanceled
	case orderCompleted:
		paymentsOutcome(&out, o.payments())
	default:
		// A status this version does not know: not final, so reconciliation asks again.
		out.Status = payment.StatusProcessing
	}
	return out
}

// paymentsOutcome reads a completed order's captures (or, for an authorised order
// not captured yet, its authorisation).
func paymentsOutcome(out *payment.Outcome, p *paymentCollection) {
	var (
		captured      int64
		done, pending bool
		failed        *capture
		amountsKnown  = true
	)
	for i := range p.Captures {
		cp := &p.Captures[i]
		switch cp.Status {
		case "COMPLETED", "PARTIALLY_REFUNDED", "REFUNDED":
			done = true
			if v, ok := fromAmount(cp.Amount); ok {
				captured += v
			} else {
				amountsKnown = false
			}
		case "DECLINED", "FAILED":
			failed = cp
		default: // PENDING, or a status this version does not know: not final
			pending = true
		}
	}
	switch {
	case done:
		out.Status = payment.StatusSucceeded
		if amountsKnown {
			out.AmountCaptured = captured
		}
		return
	case pending:
		out.Status = payment.StatusProcessing
		return
	case failed != nil:
		*out = failedCapture(*out, failed)
		return
	}
	if n := len(p.Authorizations); n > 0 {
		authOutcome(out, &p.Authorizations[n-1])
		return
	}
	// Completed with nothing to show: PayPal has yet to list the payment.
	out.Status = payment.StatusProcessing
}

// captureOutcome maps one capture.
func captureOutcome(out payment.Outcome, cp *capture) payment.Outcome {
	switch cp.Status {
	case "COMPLETED", "PARTIALLY_REFUNDED", "REFUNDED":
		out.Status = payment.StatusSucceeded
		if v, ok := fromAmount(cp.Amount); ok {
			out.AmountCaptured = v
		}
	case "PENDING":
		out.Status = payment.StatusProcessing
	case "DECLINED", "FAILED":
		out = failedCapture(out, cp)
	default:
		out.Status = payment.StatusProcessing
	}
	return out
}

// failedCapture is the outcome of a declined or failed capture.
func failedCapture(out payment.Outcome, cp *capture) payment.Outcome {
	out.Status = payment.StatusFailed
	out.FailureCode = "capture_" + strings.ToLower(cp.Status)
	if cp.StatusDetails != nil && cp.StatusDetails.Reason != "" {
		out.FailureCode = strings.ToLower(cp.StatusDetails.Reason)
	}
	out.FailureMessage = fmt.Sprintf("PayPal reports the capture as %s (%s).", strings.ToLower(cp.Status), out.FailureCode)
	return out
}

// authOutcome maps an authorisation that has not been captured.
func authOutcome(out *payment.Outcome, a *authorization) {
	switch a.Status {
	case "CREATED":
		out.Status = payment.StatusRequiresCapture
	case "CAPTURED", "PARTIALLY_CAPTURED":
		out.Status = payment.StatusSucceeded
	case "VOIDED":
		out.Status = payment.StatusCanceled
	case "EXPIRED":
		out.Status = payment.StatusExpired
	case "DENIED":
		out.Status = payment.StatusFailed
		out.FailureCode = "authorization_denied"
		if a.StatusDetails != nil && a.StatusDetails.Reason != "" {
			out.FailureCode = strings.ToLower(a.StatusDetails.Reason)
		}
		out.FailureMessage = "PayPal denied the authorisation (" + out.FailureCode + ")."
	default: // PENDING, or a status this version does not know
		out.Status = payment.StatusProcessing
	}
}

// approvalURL is where a shopper approves an order: the payer-action link (orders
// created with payment_source.paypal) or the approve link (older integrations).
// Only absolute http(s) URLs are taken.
func approvalURL(links []link) string {
	u := findLink(links, "payer-action", "approve")
	if strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
		return u
	}
	return ""
}

// orderPath is the API path of order id (plus suffix), refusing an id that is not a
// PayPal order id.
func orderPath(id, suffix string) (string, error) {
	if !validOrderID(id) {
		return "", &provider.Error{Provider: Name, Code: "provider_reference_invalid",
			Message: fmt.Sprintf("%q is not a PayPal order id (upper-case letters and digits)", clip(id))}
	}
	return "/v2/checkout/orders/" + id + suffix, nil
}

// validOrderID matches the Orders API's id: ^[A-Z0-9]+$, at most 36 characters.
func validOrderID(s string) bool {
	if s == "" || len(s) > 36 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// validPaymentID reports whether s can be a PayPal authorisation, capture or refund
// id: letters and digits only, so it can go into a URL path as it is.
func validPaymentID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
			return false
		}
	}
	return true
}

// truncate cuts s to at most n runes.
func truncate(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}
