package provider

import (
	"context"

	"github.com/paymux/paymux/internal/payment"
)

// Unsupported answers ErrNotSupported for every operation. Connectors embed it and
// override what their provider offers.
type Unsupported struct{}

// Authorize is not supported.
func (Unsupported) Authorize(context.Context, AuthorizeRequest) (payment.Outcome, error) {
	return payment.Outcome{}, ErrNotSupported
}

// Capture is not supported.
func (Unsupported) Capture(context.Context, CaptureRequest) (payment.Outcome, error) {
	return payment.Outcome{}, ErrNotSupported
}

// Void is not supported.
func (Unsupported) Void(context.Context, VoidRequest) (payment.Outcome, error) {
	return payment.Outcome{}, ErrNotSupported
}

// Refund is not supported.
func (Unsupported) Refund(context.Context, RefundRequest) (RefundResult, error) {
	return RefundResult{}, ErrNotSupported
}

// Status is not supported.
func (Unsupported) Status(context.Context, StatusRequest) (payment.Outcome, error) {
	return payment.Outcome{}, ErrNotSupported
}

// ParseWebhook is not supported.
func (Unsupported) ParseWebhook(context.Context, WebhookRequest) ([]WebhookEvent, error) {
	return nil, ErrNotSupported
}

var _ Connector = Unsupported{}
