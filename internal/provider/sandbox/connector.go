package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
	"github.com/paymux/paymux/internal/store"
)

type connector struct {
	provider.Unsupported
	sb   *Sandbox
	conn provider.Connection
}

func perr(code, format string, args ...any) *provider.Error {
	return &provider.Error{Provider: Name, Code: code, Message: fmt.Sprintf(format, args...)}
}

func (c *connector) Authorize(ctx context.Context, r provider.AuthorizeRequest) (payment.Outcome, error) {
	b, ok := methods[r.PaymentMethod]
	if !ok {
		return payment.Outcome{}, payment.Invalid("payment_method", payment.CodeParameterInvalid,
			"unknown sandbox payment method %q: use one of %s", r.PaymentMethod, strings.Join(TestMethods(), ", "))
	}
	if err := c.sb.pause(ctx); err != nil {
		return payment.Outcome{}, err
	}
	var txn *store.SandboxTxn
	err := c.sb.d.Store.Write(ctx, func(ctx context.Context, tx store.Tx) error {
		prev, err := tx.SandboxTxnByKey(ctx, c.conn.ID, r.IdempotencyKey)
		if err == nil {
			if prev.Method != r.PaymentMethod || prev.Amount != r.Amount || prev.Currency != r.Currency {
				return perr("idempotency_key_reused", "idempotency key %s was used with other parameters", r.IdempotencyKey)
			}
			txn = prev
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		now := c.sb.d.Now().UTC()
		txn = &store.SandboxTxn{ID: "sbx_" + payment.RandomString(20), ConnectionID: c.conn.ID,
			MerchantID: c.conn.MerchantID, PaymentID: r.PaymentID, IdempotencyKey: r.IdempotencyKey,
			Method: r.PaymentMethod, Amount: r.Amount, Currency: r.Currency, CaptureMethod: string(r.CaptureMethod),
			ReturnURL: r.ReturnURL, CreatedAt: now, UpdatedAt: now}
		switch b.outcome {
		case "approve":
			approve(txn)
		case "decline":
			txn.Status = txnFailed
		case "challenge":
			txn.Status = txnRequiresAction
		case "processing":
			txn.Status = txnProcessing
		}
		if err := tx.InsertSandboxTxn(ctx, txn); err != nil {
			return err
		}
		switch {
		case txn.Status == txnProcessing:
			return c.sb.enqueueWebhook(ctx, tx, txn, true, now.Add(c.sb.d.SettleAfter))
		case txn.Status == txnCaptured && b.dispute:
			return c.sb.enqueueDispute(ctx, tx, txn, now.Add(c.sb.d.SettleAfter))
		}
		return nil
	})
	if err != nil {
		return payment.Outcome{}, err
	}
	if err := c.sb.pause(ctx); err != nil {
		return payment.Outcome{}, err
	}
	return c.sb.outcome(txn), nil
}

// approve authorises txn, capturing at once unless capture is manual.
func approve(txn *store.SandboxTxn) {
	if txn.CaptureMethod == string(payment.CaptureManual) {
		txn.Status = txnAuthorized
		return
	}
	txn.Status = txnCaptured
	txn.AmountCaptured = txn.Amount
}

// outcome is how the sandbox reports a transaction to paymux.
func (s *Sandbox) outcome(t *store.SandboxTxn) payment.Outcome {
	b := methods[t.Method]
	o := payment.Outcome{ProviderReference: t.ID, PaymentMethodType: string(b.methodType), CardBrand: b.brand, CardLast4: b.last4}
	switch t.Status {
	case txnRequiresAction:
		o.Status = payment.StatusRequiresAction
		o.RedirectURL = s.d.BaseURL + "/sandbox/3ds/" + t.ID
	case txnProcessing:
		o.Status = payment.StatusProcessing
	case txnAuthorized:
		o.Status = payment.StatusRequiresCapture
	case txnCaptured:
		o.Status = payment.StatusSucceeded
		o.AmountCaptured = t.AmountCaptured
	case txnCanceled:
		o.Status = payment.StatusCanceled
	default:
		o.Status = payment.StatusFailed
		o.FailureCode, o.FailureMessage = b.failCode, b.failMessage
		if b.outcome == "challenge" {
			o.FailureCode, o.FailureMessage = "authentication_failed", "The shopper failed 3-D Secure authentication."
		}
	}
	return o
}

// txn loads a transaction of this connection.
func (c *connector) txn(ctx context.Context, tx store.Reader, ref string) (*store.SandboxTxn, error) {
	t, err := tx.GetSandboxTxn(ctx, ref)
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.ConnectionID != c.conn.ID) {
		return nil, perr("resource_missing", "no such transaction: %q", ref)
	}
	return t, err
}

func (c *connector) Capture(ctx context.Context, r provider.CaptureRequest) (payment.Outcome, error) {
	if err := c.sb.pause(ctx); err != nil {
		return payment.Outcome{}, err
	}
	var t *store.SandboxTxn
	err := c.sb.d.Store.Write(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if t, err = c.txn(ctx, tx, r.ProviderReference); err != nil {
			return err
		}
		switch {
		case t.Status == txnCaptured && t.AmountCaptured == r.Amount:
			return nil // a retry of the same capture
		case t.Status != txnAuthorized:
			return perr("transaction_unexpected_state", "transaction %s is %s, not authorized", t.ID, t.Status)
		case r.Amount <= 0 || r.Amount > t.Amount:
			return perr("amount_too_large", "capture amount %d is more than the authorised %d", r.Amount, t.Amount)
		}
		t.Status, t.AmountCaptured, t.UpdatedAt = txnCaptured, r.Amount, c.sb.d.Now().UTC()
		if err := tx.UpdateSandboxTxn(ctx, t); err != nil {
			return err
		}
		if methods[t.Method].dispute {
			return c.sb.enqueueDispute(ctx, tx, t, t.UpdatedAt.Add(c.sb.d.SettleAfter))
		}
		return nil
	})
	if err != nil {
		return payment.Outcome{}, err
	}
	if err := c.sb.pause(ctx); err != nil {
		return payment.Outcome{}, err
	}
	return c.sb.outcome(t), nil
}

func (c *connector) Void(ctx context.Context, r provider.VoidRequest) (payment.Outcome, error) {
	if err := c.sb.pause(ctx); err != nil {
		return payment.Outcome{}, err
	}
	var t *store.SandboxTxn
	err := c.sb.d.Store.Write(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if t, err = c.txn(ctx, tx, r.ProviderReference); err != nil {
			return err
		}
		switch t.Status {
		case txnCanceled:
			return nil
		case txnAuthorized, txnRequiresAction:
			t.Status, t.UpdatedAt = txnCanceled, c.sb.d.Now().UTC()
			return tx.UpdateSandboxTxn(ctx, t)
		}
		return perr("transaction_unexpected_state", "transaction %s is %s and cannot be voided", t.ID, t.Status)
	})
	if err != nil {
		return payment.Outcome{}, err
	}
	if err := c.sb.pause(ctx); err != nil {
		return payment.Outcome{}, err
	}
	return c.sb.outcome(t), nil
}

func (c *connector) Refund(ctx context.Context, r provider.RefundRequest) (provider.RefundResult, error) {
	if err := c.sb.pause(ctx); err != nil {
		return provider.RefundResult{}, err
	}
	var ref *store.SandboxRefund
	err := c.sb.d.Store.Write(ctx, func(ctx context.Context, tx store.Tx) error {
		t, err := c.txn(ctx, tx, r.ProviderReference)
		if err != nil {
			return err
		}
		if prev, err := tx.SandboxRefundByKey(ctx, t.ID, r.IdempotencyKey); err == nil {
			ref = prev
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if t.Status != txnCaptured {
			return perr("transaction_unexpected_state", "transaction %s is %s and cannot be refunded", t.ID, t.Status)
		}
		if r.Amount <= 0 || r.Amount > t.AmountCaptured-t.AmountRefunded {
			return perr("amount_too_large", "refund of %d exceeds the %d left on transaction %s",
				r.Amount, t.AmountCaptured-t.AmountRefunded, t.ID)
		}
		now := c.sb.d.Now().UTC()
		ref = &store.SandboxRefund{ID: "sbxre_" + payment.RandomString(20), TxnID: t.ID,
			IdempotencyKey: r.IdempotencyKey, Amount: r.Amount, Status: "succeeded", CreatedAt: now}
		t.AmountRefunded += r.Amount
		t.UpdatedAt = now
		if err := tx.InsertSandboxRefund(ctx, ref); err != nil {
			return err
		}
		return tx.UpdateSandboxTxn(ctx, t)
	})
	if err != nil {
		return provider.RefundResult{}, err
	}
	if err := c.sb.pause(ctx); err != nil {
		return provider.RefundResult{}, err
	}
	return provider.RefundResult{State: payment.RefundSucceeded, ProviderReference: ref.ID}, nil
}

func (c *connector) Status(ctx context.Context, r provider.StatusRequest) (payment.Outcome, error) {
	if err := c.sb.pause(ctx); err != nil {
		return payment.Outcome{}, err
	}
	var (
		t   *store.SandboxTxn
		err error
	)
	if r.ProviderReference != "" {
		t, err = c.txn(ctx, c.sb.d.Store, r.ProviderReference)
	} else {
		t, err = c.sb.d.Store.SandboxTxnByKey(ctx, c.conn.ID, r.IdempotencyKey)
		if errors.Is(err, store.ErrNotFound) {
			return payment.Outcome{}, provider.ErrUnknownPayment // the authorisation never arrived
		}
	}
	if err != nil {
		return payment.Outcome{}, err
	}
	if err := c.sb.pause(ctx); err != nil {
		return payment.Outcome{}, err
	}
	return c.sb.outcome(t), nil
}

func (c *connector) ParseWebhook(_ context.Context, r provider.WebhookRequest) ([]provider.WebhookEvent, error) {
	secret := c.conn.Credentials["webhook_secret"]
	if err := Verify(secret, r.Header.Get(SignatureHeader), r.Body, c.sb.d.Now(), Tolerance); err != nil {
		return nil, err
	}
	var ev webhookEvent
	if err := json.Unmarshal(r.Body, &ev); err != nil {
		return nil, fmt.Errorf("sandbox webhook: %w", err)
	}
	if ev.ID == "" || ev.Data.ID == "" {
		return nil, errors.New("sandbox webhook: missing event or transaction id")
	}
	if ev.Type == disputeCreated {
		return []provider.WebhookEvent{{ID: ev.ID, PaymentID: ev.Data.PaymentID, ProviderReference: ev.Data.ID,
			Dispute: &provider.Dispute{News: provider.DisputeCreated, Reference: "sbxdp_" + ev.Data.ID,
				Amount: ev.Data.AmountCaptured, Currency: ev.Data.Currency, Reason: "fraudulent", Status: "needs_response"}}}, nil
	}
	t := &store.SandboxTxn{ID: ev.Data.ID, Method: ev.Data.Method, Status: ev.Data.Status, AmountCaptured: ev.Data.AmountCaptured}
	o := c.sb.outcome(t)
	return []provider.WebhookEvent{{ID: ev.ID, PaymentID: ev.Data.PaymentID, ProviderReference: ev.Data.ID, Payment: &o}}, nil
}
