package engine

import (
	"context"
	"errors"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
	"github.com/paymux/paymux/internal/store"
)

// ErrWebhookRejected means an inbound webhook failed verification; nothing changed.
var ErrWebhookRejected = errors.New("webhook rejected")

// HandleProviderWebhook verifies and applies an inbound provider webhook for the
// connection named in its URL. Each provider event is recorded with the change it
// causes in one transaction, so a redelivery changes nothing, and a late or
// out-of-order event never moves a payment backwards.
//
// It returns the body the provider expects in the 200 answer ("" for the default).
func (e *Engine) HandleProviderWebhook(ctx context.Context, providerName, connectionID string, req provider.WebhookRequest) (ack string, err error) {
	c, err := e.store.GetConnection(ctx, connectionID)
	if err != nil || c.Provider != providerName {
		if err == nil || errors.Is(err, store.ErrNotFound) {
			return "", payment.NotFound("provider connection", connectionID)
		}
		return "", storeErr(err)
	}
	reg, ok := e.providers.Lookup(c.Provider)
	if !ok {
		return "", payment.NotFound("provider", c.Provider)
	}
	b, err := e.bind(reg, c)
	if err != nil {
		return "", err
	}
	events, err := b.ParseWebhook(ctx, req)
	if err != nil {
		if errors.Is(err, provider.ErrBadSignature) {
			e.log.Warn("inbound webhook refused", "provider", providerName, "connection", connectionID, "err", err)
			return "", &payment.Error{Kind: payment.KindInvalid, Code: "webhook_signature_invalid",
				Message: "webhook signature verification failed", Err: errors.Join(ErrWebhookRejected, err)}
		}
		return "", &payment.Error{Kind: payment.KindInvalid, Code: "webhook_invalid",
			Message: "webhook payload could not be read", Err: errors.Join(ErrWebhookRejected, err)}
	}
	s := store.Scope{MerchantID: c.MerchantID, Livemode: c.Livemode}
	actor := payment.Actor{Type: payment.ActorProvider, ID: providerName}
	for _, ev := range events {
		if err := e.applyWebhookEvent(ctx, actor, s, c.ID, providerName, ev); err != nil {
			return "", err
		}
	}
	return reg.WebhookAck, nil
}

func (e *Engine) applyWebhookEvent(ctx context.Context, actor payment.Actor, s store.Scope, connID, providerName string, ev provider.WebhookEvent) error {
	return storeErr(e.store.Write(ctx, func(ctx context.Context, tx store.Tx) error {
		fresh, err := tx.RecordInboundWebhook(ctx, connID, ev.ID, s.MerchantID, e.now())
		if err != nil || !fresh {
			return err
		}
		var p *payment.Payment
		switch {
		case ev.PaymentID != "":
			p, err = tx.GetPaymentForUpdate(ctx, s, ev.PaymentID)
		case ev.ProviderReference != "":
			var found *payment.Payment
			if found, err = tx.PaymentByProviderReference(ctx, s, providerName, ev.ProviderReference); err == nil {
				p, err = tx.GetPaymentForUpdate(ctx, s, found.ID)
			}
		default:
			err = store.ErrNotFound
		}
		if errors.Is(err, store.ErrNotFound) {
			// Not ours (or not yet known): acknowledge so the provider stops resending.
			e.log.Info("inbound webhook for unknown payment", "provider", providerName, "event", ev.ID)
			return nil
		}
		if err != nil {
			return err
		}
		if (ev.Payment != nil || ev.CaptureFailure != nil) && ev.ProviderReference != "" && p.ProviderReference != "" && ev.ProviderReference != p.ProviderReference {
			// News of an earlier attempt (another provider payment) must not move
			// the payment's current attempt.
			e.log.Info("inbound webhook for an earlier attempt; ignored", "payment", p.ID, "event", ev.ID)
			return nil
		}
		if ev.Payment != nil {
			if p.ConnectionID == "" {
				p.ConnectionID, p.Provider = connID, providerName
			}
			if err := e.applyInTx(ctx, tx, actor, p, *ev.Payment); err != nil {
				var pe *payment.Error
				if errors.As(err, &pe) && pe.Kind == payment.KindConflict {
					e.log.Warn("inbound webhook does not fit the payment's state; ignored",
						"payment", p.ID, "status", p.Status, "reported", ev.Payment.Status)
					return nil
				}
				return err
			}
		}
		if ev.Dispute != nil {
			return e.recordDispute(ctx, tx, actor, p, providerName, *ev.Dispute)
		}
		if ev.CaptureFailure != nil {
			if err := e.captureFailedInTx(ctx, tx, actor, p, *ev.CaptureFailure); err != nil {
				return err
			}
		}
		if ev.Refund != nil && ev.RefundID != "" {
			r, err := tx.GetRefundForUpdate(ctx, s, ev.RefundID)
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			return e.settleRefundInTx(ctx, tx, actor, s, r, *ev.Refund)
		}
		return nil
	}))
}

// captureFailedInTx records that a capture the provider had accepted failed
// afterwards: the payment goes back to requires_capture with nothing captured and
// the failure kept (see payment.Payment.CaptureFailed), with a
// payment.capture_failed event.
func (e *Engine) captureFailedInTx(ctx context.Context, tx store.Tx, actor payment.Actor, p *payment.Payment, f provider.Failure) error {
	from := p.Status
	if !p.CaptureFailed(f.Code, f.Message, e.now()) {
		e.log.Warn("capture failure reported for a payment with no capture to undo; ignored", "payment", p.ID, "status", p.Status)
		return nil
	}
	if from == payment.StatusSucceeded && p.Status == payment.StatusSucceeded {
		e.log.Warn("a capture failed after refunds were made from it; an operator must follow it up", "payment", p.ID)
	}
	if err := tx.UpdatePayment(ctx, p); err != nil {
		return err
	}
	return e.recordPayment(ctx, tx, actor, payment.EventPaymentCaptureFailed, p, from)
}
