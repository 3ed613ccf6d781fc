package sqlstore

import (
	"context"
	"strings"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
)

const refundCols = `merchant_id, id, livemode, payment_id, amount, currency, status, reason,
 provider_reference, failure_code, failure_message, metadata, submitted, idem_key, created_at, updated_at`

func scanRefund(r scanner) (*payment.Refund, error) {
	var (
		f                payment.Refund
		metadata         string
		created, updated int64
	)
	if err := r.Scan(&f.MerchantID, &f.ID, &f.Livemode, &f.PaymentID, &f.Amount, &f.Currency, &f.Status,
		&f.Reason, &f.ProviderReference, &f.FailureCode, &f.FailureMessage, &metadata, &f.Submitted,
		&f.IdempotencyKey, &created, &updated); err != nil {
		return nil, err
	}
	f.Object = "refund"
	f.CreatedAt, f.UpdatedAt = fromMicros(created), fromMicros(updated)
	if err := unmarshalCols(col{metadata, &f.Metadata}); err != nil {
		return nil, err
	}
	if f.Metadata == nil {
		f.Metadata = map[string]string{}
	}
	return &f, nil
}

func (x *queries) GetRefund(ctx context.Context, s store.Scope, id string) (*payment.Refund, error) {
	r, err := scanRefund(x.row(ctx, `SELECT `+refundCols+` FROM refunds
 WHERE merchant_id = ? AND id = ? AND livemode = ?`, s.MerchantID, id, s.Livemode))
	if err != nil {
		return nil, x.scanErr(err)
	}
	return r, nil
}

func (x *queries) GetRefundForUpdate(ctx context.Context, s store.Scope, id string) (*payment.Refund, error) {
	r, err := scanRefund(x.row(ctx, `SELECT `+refundCols+` FROM refunds
 WHERE merchant_id = ? AND id = ? AND livemode = ?`+x.s.d.ForUpdate(), s.MerchantID, id, s.Livemode))
	if err != nil {
		return nil, x.scanErr(err)
	}
	return r, nil
}

func (x *queries) InsertRefund(ctx context.Context, r *payment.Refund) error {
	_, err := x.exec(ctx, `INSERT INTO refunds (`+refundCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		r.MerchantID, r.ID, r.Livemode, r.PaymentID, r.Amount, r.Currency, r.Status, r.Reason,
		r.ProviderReference, r.FailureCode, r.FailureMessage, mustJSON(r.Metadata), r.Submitted, r.IdempotencyKey,
		micros(r.CreatedAt), micros(r.UpdatedAt))
	return err
}

func (x *queries) UpdateRefund(ctx context.Context, r *payment.Refund) error {
	res, err := x.exec(ctx, `UPDATE refunds SET status = ?, provider_reference = ?, failure_code = ?,
 failure_message = ?, submitted = ?, updated_at = ? WHERE merchant_id = ? AND id = ?`,
		r.Status, r.ProviderReference, r.FailureCode, r.FailureMessage, r.Submitted, micros(r.UpdatedAt),
		r.MerchantID, r.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return store.ErrNotFound
	}
	return nil
}

func (x *queries) ListRefunds(ctx context.Context, s store.Scope, f store.RefundFilter) ([]*payment.Refund, bool, error) {
	where := []string{"merchant_id = ?", "livemode = ?"}
	args := []any{s.MerchantID, s.Livemode}
	if f.PaymentID != "" {
		where, args = append(where, "payment_id = ?"), append(args, f.PaymentID)
	}
	if f.StartingAfter != "" {
		var at int64
		err := x.row(ctx, `SELECT created_at FROM refunds WHERE merchant_id = ? AND id = ? AND livemode = ?`,
			s.MerchantID, f.StartingAfter, s.Livemode).Scan(&at)
		if err != nil {
			return nil, false, cursorErr(x.scanErr(err), f.StartingAfter)
		}
		where = append(where, "(created_at < ? OR (created_at = ? AND id < ?))")
		args = append(args, at, at, f.StartingAfter)
	}
	limit := clampLimit(f.Limit)
	rows, err := x.query(ctx, `SELECT `+refundCols+` FROM refunds WHERE `+strings.Join(where, " AND ")+
		` ORDER BY created_at DESC, id DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, false, err
	}
	return collect(x, rows, limit, scanRefund)
}

func (x *queries) RefundByIdempotencyKey(ctx context.Context, s store.Scope, key string) (*payment.Refund, error) {
	r, err := scanRefund(x.row(ctx, `SELECT `+refundCols+` FROM refunds
 WHERE merchant_id = ? AND livemode = ? AND idem_key = ?`, s.MerchantID, s.Livemode, key))
	if err != nil {
		return nil, x.scanErr(err)
	}
	return r, nil
}
