package engine

import (
	"context"
	"errors"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
	"github.com/paymux/paymux/internal/store"
)

// RefundParams describe a refund. Amount 0 refunds everything still refundable.
type RefundParams struct {
	PaymentID string
	Amount    int64
	Reason    string
	Metadata  map[string]string
	// IdempotencyKey is the API request's key, if any: a retry after a crash finds
	// the refund it already reserved.
	IdempotencyKey string
}

// CreateRefund reserves the amount on the payment, then asks the provider. The
// reservation happens under the payment's row lock, so concurrent refunds can never
// exceed the captured amount; a refund the provider turns down gives it back.
func (e *Engine) CreateRefund(ctx context.Context, actor payment.Actor, s store.Scope, rp RefundParams) (*payment.Refund, error) {
	if rp.PaymentID == "" {
		return nil, payment.Invalid("payment_id", payment.CodeParameterMissing, "payment_id is required: the id of the payment to refund")
	}
	if err := payment.ValidateRefundReason(rp.Reason); err != nil {
		return nil, err
	}
	if err := payment.ValidateMetadata(rp.Metadata); err != nil {
		return nil, err
	}
	if rp.Amount < 0 {
		return nil, payment.Invalid("amount", payment.CodeAmountInvalid, "amount must be a positive integer in minor units, got %d", rp.Amount)
	}
	p, err := e.GetPayment(ctx, s, rp.PaymentID)
	if err != nil {
		return nil, err
	}
	if p.ConnectionID == "" {
		return nil, p.ReserveRefund(1, e.now()) // explains why: not succeeded
	}
	b, err := e.connectorOf(ctx, p.ConnectionID)
	if err != nil {
		return nil, err
	}
	caps := b.reg.Capabilities
	if !caps.Refund {
		return nil, payment.Errorf(payment.KindUnprocessable, payment.CodeProviderError, "%s does not support refunds", b.reg.Name)
	}
	var r *payment.Refund
	err = e.store.Write(ctx, func(ctx context.Context, tx store.Tx) error {
		if rp.IdempotencyKey != "" {
			prev, err := tx.RefundByIdempotencyKey(ctx, s, rp.IdempotencyKey)
			if err == nil {
				r = prev
				return nil
			}
			if !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		cur, err := tx.GetPaymentForUpdate(ctx, s, rp.PaymentID)
		if err != nil {
			return notFound(err, "payment", rp.PaymentID)
		}
		amount := rp.Amount
		if amount == 0 {
			amount = cur.Refundable()
		}
		if !caps.PartialRefund && amount != cur.AmountCaptured {
			return payment.Invalid("amount", payment.CodeParameterInvalid, "%s refunds only the whole payment: omit amount", b.reg.Name)
		}
		now := e.now().UTC()
		if err := cur.ReserveRefund(amount, now); err != nil {
			return err
		}
		if rp.Metadata == nil {
			rp.Metadata = map[string]string{}
		}
		r = &payment.Refund{ID: payment.NewID(payment.PrefixRefund), Object: "refund", MerchantID: s.MerchantID,
			Livemode: s.Livemode, PaymentID: cur.ID, Amount: amount, Currency: cur.Currency,
			Status: payment.RefundPending, Reason: rp.Reason, Metadata: rp.Metadata,
			IdempotencyKey: rp.IdempotencyKey, CreatedAt: now, UpdatedAt: now}
		if err := tx.InsertRefund(ctx, r); err != nil {
			return err
		}
		if err := tx.UpdatePayment(ctx, cur); err != nil {
			return err
		}
		if err := e.recordRefund(ctx, tx, actor, payment.EventRefundCreated, r, ""); err != nil {
			return err
		}
		// If this process dies before the provider answers, the job sends it again
		// with the same idempotency key.
		return enqueue(ctx, tx, JobSubmitRefund, s.MerchantID, refundRef{s.MerchantID, s.Livemode, r.ID},
			now.Add(e.cfg.RefundRecoverAfter))
	})
	if err != nil {
		return nil, storeErr(err)
	}
	return e.submitRefund(ctx, actor, s, r.ID, b)
}

type refundRef struct {
	MerchantID string `json:"merchant_id"`
	Livemode   bool   `json:"livemode"`
	RefundID   string `json:"refund_id"`
}

// submitRefund sends a pending refund to the provider and records the answer. A
// provider that could not be reached leaves it pending for the recovery job.
func (e *Engine) submitRefund(ctx context.Context, actor payment.Actor, s store.Scope, refundID string, b *bound) (*payment.Refund, error) {
	r, err := e.store.GetRefund(ctx, s, refundID)
	if err != nil {
		return nil, notFound(err, "refund", refundID)
	}
	if r.Status != payment.RefundPending || r.Submitted {
		return r, e.write(ctx, func(context.Context, store.Tx) (any, error) { return r, nil })
	}
	p, err := e.GetPayment(ctx, s, r.PaymentID)
	if err != nil {
		return nil, err
	}
	if b == nil {
		if b, err = e.connectorOf(ctx, p.ConnectionID); err != nil {
			return nil, err
		}
	}
	pctx, cancel := e.providerCtx(ctx)
	defer cancel()
	res, err := b.Refund(pctx, provider.RefundRequest{PaymentID: p.ID, RefundID: r.ID, IdempotencyKey: r.ID,
		ProviderReference: p.ProviderReference, Amount: r.Amount, Currency: r.Currency, Reason: r.Reason})
	var pe *provider.Error
	switch {
	case err == nil:
	case errors.As(err, &pe) && (pe.Uncertain || pe.Temporary):
		return r, e.write(ctx, func(context.Context, store.Tx) (any, error) { return r, nil })
	case errors.As(err, &pe):
		res = provider.RefundResult{State: payment.RefundFailed, FailureCode: pe.Code, FailureMessage: pe.Message}
	default:
		return r, e.write(ctx, func(context.Context, store.Tx) (any, error) { return r, nil })
	}
	return e.settleRefund(ctx, actor, s, refundID, res)
}

// settleRefund records a provider's word on a refund.
func (e *Engine) settleRefund(ctx context.Context, actor payment.Actor, s store.Scope, refundID string, res provider.RefundResult) (*payment.Refund, error) {
	var out *payment.Refund
	err := e.write(ctx, func(ctx context.Context, tx store.Tx) (any, error) {
		// The payment's row lock first, as provider webhooks take it: settling may
		// change the payment (a failure gives the amount back) or queue its credit note.
		r, err := tx.GetRefund(ctx, s, refundID)
		if err != nil {
			return nil, notFound(err, "refund", refundID)
		}
		if _, err := tx.GetPaymentForUpdate(ctx, s, r.PaymentID); err != nil {
			return nil, err
		}
		if r, err = tx.GetRefundForUpdate(ctx, s, refundID); err != nil {
			return nil, notFound(err, "refund", refundID)
		}
		out = r
		return r, e.settleRefundInTx(ctx, tx, actor, s, r, res)
	})
	return out, err
}

func (e *Engine) settleRefundInTx(ctx context.Context, tx store.Tx, actor payment.Actor, s store.Scope, r *payment.Refund, res provider.RefundResult) error {
	from, wasSubmitted := r.Status, r.Submitted
	now := e.now()
	if !r.Settle(res.State, res.ProviderReference, res.FailureCode, res.FailureMessage, now) {
		if r.Submitted != wasSubmitted {
			return tx.UpdateRefund(ctx, r)
		}
		return nil
	}
	if err := tx.UpdateRefund(ctx, r); err != nil {
		return err
	}
	typ := payment.EventRefundSucceeded
	if r.Status == payment.RefundFailed {
		typ = payment.EventRefundFailed
		p, err := tx.GetPaymentForUpdate(ctx, s, r.PaymentID)
		if err != nil {
			return err
		}
		p.ReleaseRefund(r.Amount, now)
		if err := tx.UpdatePayment(ctx, p); err != nil {
			return err
		}
	}
	if err := e.recordRefund(ctx, tx, actor, typ, r, from); err != nil {
		return err
	}
	if r.Status == payment.RefundSucceeded {
		return e.queueCreditNote(ctx, tx, s, r)
	}
	return nil
}

// GetRefund reads one refund.
func (e *Engine) GetRefund(ctx context.Context, s store.Scope, id string) (*payment.Refund, error) {
	r, err := e.store.GetRefund(ctx, s, id)
	if err != nil {
		return nil, notFound(err, "refund", id)
	}
	return r, nil
}

// ListRefunds lists refunds, newest first.
func (e *Engine) ListRefunds(ctx context.Context, s store.Scope, f store.RefundFilter) ([]*payment.Refund, bool, error) {
	list, more, err := e.store.ListRefunds(ctx, s, f)
	return list, more, storeErr(err)
}
