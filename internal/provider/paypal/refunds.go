package paypal

import (
	"context"
	"fmt"
	"strings"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
)

// refundRequest is the body of POST /v2/payments/captures/{id}/refund.
type refundRequest struct {
	Amount    *amount `json:"amount,omitempty"`
	CustomID  string  `json:"custom_id,omitempty"`
	InvoiceID string  `json:"invoice_id,omitempty"`
}

// Refund refunds Amount (everything left when zero) of the order's capture, read
// from the order (the provider reference is the order id). The refund carries
// paymux's refund id as custom_id and invoice_id, so its webhooks can be matched.
// A capture still pending at PayPal cannot be refunded yet: that is a temporary
// error, and the engine tries again later.
func (c *connector) Refund(ctx context.Context, r provider.RefundRequest) (provider.RefundResult, error) {
	o, err := c.getOrder(ctx, r.ProviderReference)
	if err != nil {
		return provider.RefundResult{}, providerError(err)
	}
	var target *capture
	pending := false
	caps := o.payments().Captures
	for i := range caps {
		switch caps[i].Status {
		case "COMPLETED", "PARTIALLY_REFUNDED":
			if target == nil && validPaymentID(caps[i].ID) {
				target = &caps[i]
			}
		case "PENDING":
			pending = true
		}
	}
	if target == nil {
		if pending {
			return provider.RefundResult{}, &provider.Error{Provider: Name, Code: "capture_pending", Temporary: true,
				Message: fmt.Sprintf("the capture of PayPal order %s is still pending; it can be refunded once PayPal completes it", o.ID)}
		}
		return provider.RefundResult{}, &provider.Error{Provider: Name, Code: "capture_missing",
			Message: fmt.Sprintf("PayPal order %s (%s) has no capture left to refund", o.ID, o.Status)}
	}
	body := refundRequest{CustomID: truncate(r.RefundID, 127), InvoiceID: truncate(r.RefundID, 127)}
	if r.Amount > 0 {
		a, err := toAmount("amount", r.Amount, r.Currency)
		if err != nil {
			return provider.RefundResult{}, err
		}
		body.Amount = &a
	}
	var re refund
	if err := c.api.post(ctx, "/v2/payments/captures/"+target.ID+"/refund", body, requestID("refund", r.IdempotencyKey), &re); err != nil {
		return provider.RefundResult{}, providerError(err)
	}
	return refundResult(&re), nil
}

// refundResult maps a PayPal refund's status: COMPLETED is succeeded, PENDING
// pending, FAILED and CANCELLED failed.
func refundResult(re *refund) provider.RefundResult {
	res := provider.RefundResult{ProviderReference: re.ID}
	switch re.Status {
	case "COMPLETED":
		res.State = payment.RefundSucceeded
	case "FAILED", "CANCELLED":
		res.State = payment.RefundFailed
		res.FailureCode = "refund_" + strings.ToLower(re.Status)
		if re.StatusDetails != nil && re.StatusDetails.Reason != "" {
			res.FailureCode = strings.ToLower(re.StatusDetails.Reason)
		}
		res.FailureMessage = fmt.Sprintf("PayPal reports the refund as %s (%s).", strings.ToLower(re.Status), res.FailureCode)
	default: // PENDING, or a status this version does not know
		res.State = payment.RefundPending
	}
	return res
}
