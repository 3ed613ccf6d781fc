package sqlstore

import (
	"context"

	"github.com/paymux/paymux/internal/store"
)

const sandboxCols = `id, connection_id, merchant_id, payment_id, idempotency_key, method, status, amount,
 currency, capture_method, amount_captured, amount_refunded, return_url, created_at, updated_at`

func scanSandboxTxn(r scanner) (*store.SandboxTxn, error) {
	var (
		t                store.SandboxTxn
		created, updated int64
	)
	err := r.Scan(&t.ID, &t.ConnectionID, &t.MerchantID, &t.PaymentID, &t.IdempotencyKey, &t.Method, &t.Status,
		&t.Amount, &t.Currency, &t.CaptureMethod, &t.AmountCaptured, &t.AmountRefunded, &t.ReturnURL,
		&created, &updated)
	t.CreatedAt, t.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &t, err
}

func (x *queries) GetSandboxTxn(ctx context.Context, id string) (*store.SandboxTxn, error) {
	t, err := scanSandboxTxn(x.row(ctx, `SELECT `+sandboxCols+` FROM sandbox_transactions WHERE id = ?`, id))
	if err != nil {
		return nil, x.scanErr(err)
	}
	return t, nil
}

func (x *queries) SandboxTxnByKey(ctx context.Context, connectionID, key string) (*store.SandboxTxn, error) {
	t, err := scanSandboxTxn(x.row(ctx, `SELECT `+sandboxCols+` FROM sandbox_transactions
 WHERE connection_id = ? AND idempotency_key = ?`, connectionID, key))
	if err != nil {
		return nil, x.scanErr(err)
	}
	return t, nil
}

func (x *queries) InsertSandboxTxn(ctx context.Context, t *store.SandboxTxn) error {
	_, err := x.exec(ctx, `INSERT INTO sandbox_transactions (`+sandboxCols+`)
 VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, t.ID, t.ConnectionID, t.MerchantID, t.PaymentID, t.IdempotencyKey,
		t.Method, t.Status, t.Amount, t.Currency, t.CaptureMethod, t.AmountCaptured, t.AmountRefunded,
		t.ReturnURL, micros(t.CreatedAt), micros(t.UpdatedAt))
	return err
}

func (x *queries) UpdateSandboxTxn(ctx context.Context, t *store.SandboxTxn) error {
	_, err := x.exec(ctx, `UPDATE sandbox_transactions SET status = ?, amount_captured = ?, amount_refunded = ?,
 updated_at = ? WHERE id = ?`, t.Status, t.AmountCaptured, t.AmountRefunded, micros(t.UpdatedAt), t.ID)
	return err
}

func (x *queries) SandboxRefundByKey(ctx context.Context, txnID, key string) (*store.SandboxRefund, error) {
	var (
		r       store.SandboxRefund
		created int64
	)
	err := x.row(ctx, `SELECT id, txn_id, idempotency_key, amount, status, created_at FROM sandbox_refunds
 WHERE txn_id = ? AND idempotency_key = ?`, txnID, key).Scan(&r.ID, &r.TxnID, &r.IdempotencyKey, &r.Amount, &r.Status, &created)
	if err != nil {
		return nil, x.scanErr(err)
	}
	r.CreatedAt = fromMicros(created)
	return &r, nil
}

func (x *queries) InsertSandboxRefund(ctx context.Context, r *store.SandboxRefund) error {
	_, err := x.exec(ctx, `INSERT INTO sandbox_refunds (id, txn_id, idempotency_key, amount, status, created_at)
 VALUES (?,?,?,?,?,?)`, r.ID, r.TxnID, r.IdempotencyKey, r.Amount, r.Status, micros(r.CreatedAt))
	return err
}
