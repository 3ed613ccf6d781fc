package stripe

import (
	"context"
	"strconv"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
)

// stripeRefundReasons are the reasons Stripe accepts; paymux uses the same names.
var stripeRefundReasons = map[string]bool{"duplicate": true, "fraudulent": true, "requested_by_customer": true}

// Refund refunds Amount (everything left when zero) of a captured PaymentIntent.
// The refund carries paymux's refund and payment ids as metadata, so its webhooks
// can be matched.
func (c *connector) Refund(ctx context.Context, r provider.RefundRequest) (provider.RefundResult, error) {
	if !validID(r.ProviderReference) {
		_, err := intentPath(r.ProviderReference, "")
		return provider.RefundResult{}, err
	}
	f := (&form{}).add("payment_intent", r.ProviderReference)
	if r.Amount > 0 {
		amount, err := toStripeAmount("amount", r.Amount, r.Currency)
		if err != nil {
			return provider.RefundResult{}, err
		}
		f.add("amount", strconv.FormatInt(amount, 10))
	}
	if stripeRefundReasons[r.Reason] {
		f.add("reason", r.Reason)
	}
	f.addIf("metadata["+MetaRefundID+"]", r.RefundID).addIf("metadata["+MetaPaymentID+"]", r.PaymentID)
	var re refund
	if err := c.api.post(ctx, "/v1/refunds", f, idempotencyKey("refund", r.IdempotencyKey), &re); err != nil {
		return provider.RefundResult{}, providerError(err)
	}
	return refundResult(&re), nil
}

// refundResult maps a Stripe refund's status: pending and requires_action are
// pending; canceled (a refund Stripe or the merchant called off) is failed.
func refundResult(re *refund) provider.RefundResult {
	res := provider.RefundResult{ProviderReference: re.ID}
	switch re.Status {
	case "succeeded":
		res.State = payment.RefundSucceeded
	case "failed":
		res.State = payment.RefundFailed
		res.FailureCode = re.FailureReason
		if res.FailureCode == "" {
			res.FailureCode = "refund_failed"
		}
		res.FailureMessage = "Stripe could not complete the refund (" + res.FailureCode + ")."
	case "canceled":
		res.State = payment.RefundFailed
		res.FailureCode = "refund_canceled"
		res.FailureMessage = "The refund was canceled at Stripe."
	default: // pending, requires_action, or a status this version does not know
		res.State = payment.RefundPending
	}
	return res
}
