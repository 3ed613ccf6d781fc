package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
)

const paymentCols = `merchant_id, id, livemode, status, amount, amount_capturable, amount_captured,
 amount_refunded, refund_status, currency, order_id, description, provider, connection_id,
 provider_reference, payment_method_type, card_brand, card_last4, capture_method, channel,
 customer, items, metadata, return_url, checkout_url, next_action, failure_code,
 failure_message, attempts, attempt_pending, capture_failures, version, expires_at, created_at, updated_at`

type scanner interface{ Scan(dest ...any) error }

func scanPayment(r scanner) (*payment.Payment, error) {
	var (
		p                                     payment.Payment
		customer, items, metadata, nextAction string
		expires, created, updated             int64
	)
	err := r.Scan(&p.MerchantID, &p.ID, &p.Livemode, &p.Status, &p.Amount, &p.AmountCapturable,
		&p.AmountCaptured, &p.AmountRefunded, &p.RefundStatus, &p.Currency, &p.OrderID,
		&p.Description, &p.Provider, &p.ConnectionID, &p.ProviderReference, &p.PaymentMethodType,
		&p.CardBrand, &p.CardLast4, &p.CaptureMethod, &p.Channel, &customer, &items, &metadata,
		&p.ReturnURL, &p.CheckoutURL, &nextAction, &p.FailureCode, &p.FailureMessage,
		&p.Attempts, &p.AttemptPending, &p.CaptureFailures, &p.Version, &expires, &created, &updated)
	if err != nil {
		return nil, err
	}
	p.Object = "payment"
	p.ExpiresAt, p.CreatedAt, p.UpdatedAt = fromMicros(expires), fromMicros(created), fromMicros(updated)
	if err := unmarshalCols(
		col{customer, &p.Customer}, col{items, &p.Items}, col{metadata, &p.Metadata}, col{nextAction, &p.NextAction},
	); err != nil {
		return nil, fmt.Errorf("payment %s: %w", p.ID, err)
	}
	if p.Items == nil {
		p.Items = []payment.Item{}
	}
	if p.Metadata == nil {
		p.Metadata = map[string]string{}
	}
	return &p, nil
}

type col struct {
	raw string
	dst any
}

func unmarshalCols(cols ...col) error {
	for _, c := range cols {
		if c.raw == "" || c.raw == "null" {
			continue
		}
		if err := json.Unmarshal([]byte(c.raw), c.dst); err != nil {
			return fmt.Errorf("decode stored json: %w", err)
		}
	}
	return nil
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Only maps, slices and structs of strings and integers reach here.
		panic(fmt.Sprintf("sqlstore: encode %T: %v", v, err))
	}
	return string(b)
}

func nextActionJSON(n *payment.NextAction) string {
	if n == nil {
		return ""
	}
	return mustJSON(n)
}

func (x *queries) GetPayment(ctx context.Context, s store.Scope, id string) (*payment.Payment, error) {
	p, err := scanPayment(x.row(ctx, `SELECT `+paymentCols+` FROM payments
 WHERE merchant_id = ? AND id = ? AND livemode = ?`, s.MerchantID, id, s.Livemode))
	if err != nil {
		return nil, x.scanErr(err)
	}
	return p, nil
}

func (x *queries) GetPaymentForUpdate(ctx context.Context, s store.Scope, id string) (*payment.Payment, error) {
	p, err := scanPayment(x.row(ctx, `SELECT `+paymentCols+` FROM payments
 WHERE merchant_id = ? AND id = ? AND livemode = ?`+x.s.d.ForUpdate(), s.MerchantID, id, s.Livemode))
	if err != nil {
		return nil, x.scanErr(err)
	}
	return p, nil
}

func (x *queries) PaymentByProviderReference(ctx context.Context, s store.Scope, provider, ref string) (*payment.Payment, error) {
	p, err := scanPayment(x.row(ctx, `SELECT `+paymentCols+` FROM payments
 WHERE merchant_id = ? AND livemode = ? AND provider = ? AND provider_reference = ?`,
		s.MerchantID, s.Livemode, provider, ref))
	if err != nil {
		return nil, x.scanErr(err)
	}
	return p, nil
}

func (x *queries) InsertPayment(ctx context.Context, p *payment.Payment) error {
	if err := p.CheckInvariants(); err != nil {
		return err
	}
	p.Version = 1
	_, err := x.exec(ctx, `INSERT INTO payments (`+paymentCols+`)
 VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		p.MerchantID, p.ID, p.Livemode, p.Status, p.Amount, p.AmountCapturable, p.AmountCaptured,
		p.AmountRefunded, p.RefundStatus, p.Currency, p.OrderID, p.Description, p.Provider,
		p.ConnectionID, p.ProviderReference, p.PaymentMethodType, p.CardBrand, p.CardLast4,
		p.CaptureMethod, p.Channel, mustJSON(p.Customer), mustJSON(p.Items), mustJSON(p.Metadata),
		p.ReturnURL, p.CheckoutURL, nextActionJSON(p.NextAction), p.FailureCode, p.FailureMessage,
		p.Attempts, p.AttemptPending, p.CaptureFailures, p.Version, micros(p.ExpiresAt), micros(p.CreatedAt), micros(p.UpdatedAt))
	return err
}

func (x *queries) UpdatePayment(ctx context.Context, p *payment.Payment) error {
	if err := p.CheckInvariants(); err != nil {
		return err
	}
	res, err := x.exec(ctx, `UPDATE payments SET status = ?, amount_capturable = ?, amount_captured = ?,
 amount_refunded = ?, refund_status = ?, provider = ?, connection_id = ?, provider_reference = ?,
 payment_method_type = ?, card_brand = ?, card_last4 = ?, next_action = ?, failure_code = ?,
 failure_message = ?, attempts = ?, attempt_pending = ?, capture_failures = ?, metadata = ?, version = version + 1, updated_at = ?
 WHERE merchant_id = ? AND id = ? AND version = ?`,
		p.Status, p.AmountCapturable, p.AmountCaptured, p.AmountRefunded, p.RefundStatus, p.Provider,
		p.ConnectionID, p.ProviderReference, p.PaymentMethodType, p.CardBrand, p.CardLast4,
		nextActionJSON(p.NextAction), p.FailureCode, p.FailureMessage, p.Attempts, p.AttemptPending, p.CaptureFailures, mustJSON(p.Metadata),
		micros(p.UpdatedAt), p.MerchantID, p.ID, p.Version)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return x.s.d.Classify(err)
	} else if n != 1 {
		return store.ErrStale
	}
	p.Version++
	return nil
}

func (x *queries) ListPayments(ctx context.Context, s store.Scope, f store.PaymentFilter) ([]*payment.Payment, bool, error) {
	where := []string{"merchant_id = ?", "livemode = ?"}
	args := []any{s.MerchantID, s.Livemode}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.Provider != "" {
		where, args = append(where, "provider = ?"), append(args, f.Provider)
	}
	if f.OrderID != "" {
		where, args = append(where, "order_id = ?"), append(args, f.OrderID)
	}
	if !f.CreatedGTE.IsZero() {
		where, args = append(where, "created_at >= ?"), append(args, micros(f.CreatedGTE))
	}
	if !f.CreatedLT.IsZero() {
		where, args = append(where, "created_at < ?"), append(args, micros(f.CreatedLT))
	}
	if f.StartingAfter != "" {
		var at int64
		err := x.row(ctx, `SELECT created_at FROM payments WHERE merchant_id = ? AND id = ? AND livemode = ?`,
			s.MerchantID, f.StartingAfter, s.Livemode).Scan(&at)
		if err != nil {
			return nil, false, cursorErr(x.scanErr(err), f.StartingAfter)
		}
		where = append(where, "(created_at < ? OR (created_at = ? AND id < ?))")
		args = append(args, at, at, f.StartingAfter)
	}
	limit := clampLimit(f.Limit)
	rows, err := x.query(ctx, `SELECT `+paymentCols+` FROM payments WHERE `+strings.Join(where, " AND ")+
		` ORDER BY created_at DESC, id DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, false, err
	}
	return collect(x, rows, limit, scanPayment)
}

// cursorErr explains an unknown starting_after instead of returning an empty page.
func cursorErr(err error, id string) error {
	if err == store.ErrNotFound {
		return payment.Invalid("starting_after", payment.CodeParameterInvalid,
			"starting_after %q is not an object of this list: pass the id of the last object of the previous page", id)
	}
	return err
}

func collect[T any](x *queries, rows *sql.Rows, limit int, scan func(scanner) (T, error)) ([]T, bool, error) {
	defer rows.Close()
	out := make([]T, 0, max(limit, 0))
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, false, x.s.d.Classify(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, false, x.s.d.Classify(err)
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	return out, more, nil
}

func (x *queries) ExpiredPayments(ctx context.Context, now time.Time, limit int) ([]store.PaymentKey, error) {
	// The statuses are domain constants written as literals, so that both engines
	// can match the query to the partial index payments_expiry.
	lits := make([]string, 0, 3)
	for _, st := range payment.ExpirableStatuses() {
		lits = append(lits, "'"+string(st)+"'")
	}
	rows, err := x.query(ctx, `SELECT merchant_id, livemode, id FROM payments
 WHERE status IN (`+strings.Join(lits, ", ")+`) AND expires_at <= ? ORDER BY expires_at LIMIT ?`,
		micros(now), limit)
	if err != nil {
		return nil, err
	}
	keys, _, err := collect(x, rows, limit, func(r scanner) (store.PaymentKey, error) {
		var k store.PaymentKey
		return k, r.Scan(&k.MerchantID, &k.Livemode, &k.ID)
	})
	return keys, err
}

func (x *queries) LocatePayment(ctx context.Context, id string) (store.PaymentKey, error) {
	var k store.PaymentKey
	err := x.row(ctx, `SELECT merchant_id, livemode, id FROM payments WHERE id = ?`, id).Scan(&k.MerchantID, &k.Livemode, &k.ID)
	return k, x.scanErr(err)
}

func (x *queries) StalePendingAttempts(ctx context.Context, before time.Time, limit int) ([]store.PaymentKey, error) {
	rows, err := x.query(ctx, `SELECT merchant_id, livemode, id FROM payments
 WHERE attempt_pending = `+x.s.d.True()+` AND updated_at < ? ORDER BY updated_at LIMIT ?`, micros(before), limit)
	if err != nil {
		return nil, err
	}
	keys, _, err := collect(x, rows, limit, func(r scanner) (store.PaymentKey, error) {
		var k store.PaymentKey
		return k, r.Scan(&k.MerchantID, &k.Livemode, &k.ID)
	})
	return keys, err
}

func (x *queries) BeginAttempt(ctx context.Context, s store.Scope, id string, attempt int, provider, connectionID string, at time.Time) (bool, error) {
	res, err := x.exec(ctx, `UPDATE payments SET attempts = ?, attempt_pending = ?, provider = ?, connection_id = ?,
 version = version + 1, updated_at = ?
 WHERE merchant_id = ? AND id = ? AND livemode = ? AND attempts = ? AND attempt_pending = ?
 AND status IN ('`+string(payment.StatusRequiresPaymentMethod)+`', '`+string(payment.StatusFailed)+`')`,
		attempt, true, provider, connectionID, micros(at), s.MerchantID, id, s.Livemode, attempt-1, false)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
