package paypal

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
)

// captureRequest is the body of POST /v2/payments/authorizations/{id}/capture.
type captureRequest struct {
	Amount       *amount `json:"amount,omitempty"`
	FinalCapture bool    `json:"final_capture"`
}

// openAuthorization is the order's authorisation that can still be captured or
// voided, or nil.
func openAuthorization(o *order) *authorization {
	auths := o.payments().Authorizations
	for i := len(auths) - 1; i >= 0; i-- {
		switch auths[i].Status {
		case "CREATED", "PENDING", "PARTIALLY_CAPTURED":
			if validPaymentID(auths[i].ID) {
				return &auths[i]
			}
		}
	}
	return nil
}

// Capture captures Amount (all of it when zero) of the order's authorisation, as the
// final capture: PayPal releases the rest, as paymux expects of a partial capture.
// The authorisation id is read from the order (the provider reference is the order
// id). A capture PayPal already made is reported, not repeated; a declined capture
// is a permanent provider error.
func (c *connector) Capture(ctx context.Context, r provider.CaptureRequest) (payment.Outcome, error) {
	o, err := c.getOrder(ctx, r.ProviderReference)
	if err != nil {
		return payment.Outcome{}, providerError(err)
	}
	auth := openAuthorization(o)
	if auth == nil {
		if out := orderOutcome(o); out.Status == payment.StatusSucceeded {
			return out, nil // captured before: this is a retry
		}
		return payment.Outcome{}, &provider.Error{Provider: Name, Code: "authorization_missing",
			Message: fmt.Sprintf("PayPal order %s (%s) has no authorisation left to capture", o.ID, o.Status)}
	}
	body := captureRequest{FinalCapture: true}
	if r.Amount > 0 {
		a, err := toAmount("amount", r.Amount, r.Currency)
		if err != nil {
			return payment.Outcome{}, err
		}
		body.Amount = &a
	}
	var cp capture
	err = c.api.post(ctx, "/v2/payments/authorizations/"+auth.ID+"/capture", body, requestID("capture", r.IdempotencyKey), &cp)
	var ce *callError
	if errors.As(err, &ce) && ce.status == http.StatusUnprocessableEntity && ce.issue() == "AUTHORIZATION_ALREADY_CAPTURED" {
		again, gerr := c.getOrder(ctx, o.ID)
		if gerr != nil {
			return payment.Outcome{}, providerError(gerr)
		}
		if out := orderOutcome(again); out.Status == payment.StatusSucceeded {
			return out, nil
		}
	}
	if err != nil {
		return payment.Outcome{}, providerError(err)
	}
	out := captureOutcome(payment.Outcome{ProviderReference: o.ID, PaymentMethodType: MethodPayPal}, &cp)
	if out.Status == payment.StatusFailed {
		return payment.Outcome{}, &provider.Error{Provider: Name, Code: out.FailureCode, Message: out.FailureMessage}
	}
	return out, nil
}

// Void voids the order's authorisation. An order nothing was authorised on yet
// (the shopper has not approved it, or it awaits completion) holds no money: it is
// reported canceled without a call, and PayPal lets it expire. Voiding what PayPal
// already voided is a success.
func (c *connector) Void(ctx context.Context, r provider.VoidRequest) (payment.Outcome, error) {
	o, err := c.getOrder(ctx, r.ProviderReference)
	if err != nil {
		return payment.Outcome{}, providerError(err)
	}
	canceled := payment.Outcome{Status: payment.StatusCanceled, ProviderReference: o.ID, PaymentMethodType: MethodPayPal}
	auth := openAuthorization(o)
	if auth == nil {
		switch out := orderOutcome(o); out.Status {
		case payment.StatusRequiresAction, payment.StatusCanceled, payment.StatusExpired:
			return canceled, nil
		case payment.StatusProcessing:
			if o.Status == orderApproved || o.Status == orderSaved {
				return canceled, nil
			}
		}
		return payment.Outcome{}, &provider.Error{Provider: Name, Code: "authorization_missing",
			Message: fmt.Sprintf("PayPal order %s (%s) has no authorisation to void", o.ID, o.Status)}
	}
	var a authorization
	err = c.api.post(ctx, "/v2/payments/authorizations/"+auth.ID+"/void", nil, requestID("void", r.IdempotencyKey), &a)
	var ce *callError
	if errors.As(err, &ce) && ce.status == http.StatusUnprocessableEntity && ce.issue() == "PREVIOUSLY_VOIDED" {
		return canceled, nil
	}
	if err != nil {
		return payment.Outcome{}, providerError(err)
	}
	return canceled, nil
}
