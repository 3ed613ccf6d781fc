package adyen

import (
	"context"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
)

// Adyen's modifications (captures, cancels, refunds) are asynchronous: the API
// answers 201 with status "received" once it has accepted the request, and the
// outcome follows by notification (CAPTURE / CAPTURE_FAILED, CANCELLATION,
// REFUND / REFUND_FAILED). Each request carries paymux's id as its reference, which
// the notification echoes as merchantReference.

// Capture sends POST /payments/{pspReference}/captures for Amount (Adyen needs an
// amount; the engine always gives one) with paymux's payment id as reference. Once
// Adyen has received it the outcome is succeeded with AmountCaptured = Amount:
// captures of an authorisation Adyen accepted practically never fail, and paymux
// has no state between requires_capture and succeeded. A CAPTURE_FAILED
// notification is reported as news of a failure (see webhooks.go); a CAPTURE
// notification confirms the captured amount.
func (c *connector) Capture(ctx context.Context, r provider.CaptureRequest) (payment.Outcome, error) {
	path, err := pspPath(r.ProviderReference, "/captures")
	if err != nil {
		return payment.Outcome{}, err
	}
	if r.Amount <= 0 {
		return payment.Outcome{}, payment.Invalid("amount", payment.CodeAmountInvalid,
			"Adyen captures need an amount: give the amount to capture in minor units")
	}
	amt, err := toAdyen("amount", r.Amount, r.Currency)
	if err != nil {
		return payment.Outcome{}, err
	}
	req := modificationRequest{MerchantAccount: c.cfg.merchantAccount, Amount: &amt, Reference: r.PaymentID}
	var res modificationResponse
	if err := c.api.post(ctx, path, req, idempotencyKey("capture", r.IdempotencyKey), &res); err != nil {
		return payment.Outcome{}, providerError(err)
	}
	return payment.Outcome{Status: payment.StatusSucceeded, ProviderReference: r.ProviderReference, AmountCaptured: r.Amount}, nil
}

// Void sends POST /payments/{pspReference}/cancels with paymux's payment id as
// reference. Once Adyen has received it the outcome is canceled; a CANCELLATION
// notification with success false (the payment was captured meanwhile) changes
// nothing in paymux, where canceled is final, and is logged by the engine.
func (c *connector) Void(ctx context.Context, r provider.VoidRequest) (payment.Outcome, error) {
	path, err := pspPath(r.ProviderReference, "/cancels")
	if err != nil {
		return payment.Outcome{}, err
	}
	req := modificationRequest{MerchantAccount: c.cfg.merchantAccount, Reference: r.PaymentID}
	var res modificationResponse
	if err := c.api.post(ctx, path, req, idempotencyKey("void", r.IdempotencyKey), &res); err != nil {
		return payment.Outcome{}, providerError(err)
	}
	return payment.Outcome{Status: payment.StatusCanceled, ProviderReference: r.ProviderReference}, nil
}

// refundReasons maps paymux's refund reasons to Adyen's merchantRefundReason.
var refundReasons = map[string]string{
	"duplicate":             "DUPLICATE",
	"fraudulent":            "FRAUD",
	"requested_by_customer": "CUSTOMER REQUEST",
}

// Refund sends POST /payments/{pspReference}/refunds for Amount with paymux's
// refund id as reference, which the REFUND / REFUND_FAILED notification echoes as
// merchantReference. The refund is pending once Adyen has received it, with the
// refund's own pspReference; the notification settles it.
func (c *connector) Refund(ctx context.Context, r provider.RefundRequest) (provider.RefundResult, error) {
	path, err := pspPath(r.ProviderReference, "/refunds")
	if err != nil {
		return provider.RefundResult{}, err
	}
	if r.Amount <= 0 {
		return provider.RefundResult{}, payment.Invalid("amount", payment.CodeAmountInvalid,
			"Adyen refunds need an amount: give the amount to refund in minor units")
	}
	amt, err := toAdyen("amount", r.Amount, r.Currency)
	if err != nil {
		return provider.RefundResult{}, err
	}
	req := modificationRequest{MerchantAccount: c.cfg.merchantAccount, Amount: &amt, Reference: r.RefundID,
		MerchantRefundReason: refundReasons[r.Reason]}
	var res modificationResponse
	if err := c.api.post(ctx, path, req, idempotencyKey("refund", r.IdempotencyKey), &res); err != nil {
		return provider.RefundResult{}, providerError(err)
	}
	return provider.RefundResult{State: payment.RefundPending, ProviderReference: res.PSPReference}, nil
}
