package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/paymux/paymux/internal/store"
)

const endpointCols = `merchant_id, id, livemode, url, description, enabled_events, ordered, status, disabled_reason,
 secret, secret_hint, previous_secret, previous_secret_expires_at, failing_since, consecutive_failures,
 created_at, updated_at, deleted_at`

func scanEndpoint(r scanner) (*store.WebhookEndpoint, error) {
	var (
		ep                                        store.WebhookEndpoint
		events                                    string
		secret, previous                          []byte
		prevExpires, failing, created, updated, d int64
	)
	if err := r.Scan(&ep.MerchantID, &ep.ID, &ep.Livemode, &ep.URL, &ep.Description, &events, &ep.Ordered, &ep.Status,
		&ep.DisabledReason, &secret, &ep.SecretHint, &previous, &prevExpires, &failing, &ep.ConsecutiveFailures,
		&created, &updated, &d); err != nil {
		return nil, err
	}
	ep.Secret, ep.PreviousSecret = secret, previous
	ep.PreviousSecretExpiresAt, ep.FailingSince = fromMicros(prevExpires), fromMicros(failing)
	ep.CreatedAt, ep.UpdatedAt = fromMicros(created), fromMicros(updated)
	if d != 0 {
		t := fromMicros(d)
		ep.DeletedAt = &t
	}
	return &ep, unmarshalCols(col{events, &ep.EnabledEvents})
}

func deletedMicros(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return micros(*t)
}

func (x *queries) InsertWebhookEndpoint(ctx context.Context, ep *store.WebhookEndpoint) error {
	_, err := x.exec(ctx, `INSERT INTO webhook_endpoints (`+endpointCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		ep.MerchantID, ep.ID, ep.Livemode, ep.URL, ep.Description, mustJSON(ep.EnabledEvents), ep.Ordered, ep.Status,
		ep.DisabledReason, ep.Secret, ep.SecretHint, ep.PreviousSecret, micros(ep.PreviousSecretExpiresAt),
		micros(ep.FailingSince), ep.ConsecutiveFailures, micros(ep.CreatedAt), micros(ep.UpdatedAt), deletedMicros(ep.DeletedAt))
	return err
}

func (x *queries) GetWebhookEndpoint(ctx context.Context, s store.Scope, id string) (*store.WebhookEndpoint, error) {
	ep, err := scanEndpoint(x.row(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints
 WHERE merchant_id = ? AND id = ? AND livemode = ?`, s.MerchantID, id, s.Livemode))
	if err != nil {
		return nil, x.scanErr(err)
	}
	return ep, nil
}

func (x *queries) FindWebhookEndpointForUpdate(ctx context.Context, s store.Scope, id string) (*store.WebhookEndpoint, error) {
	ep, err := scanEndpoint(x.row(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints
 WHERE merchant_id = ? AND id = ? AND livemode = ?`+x.s.d.ForUpdate(), s.MerchantID, id, s.Livemode))
	if err != nil {
		return nil, x.scanErr(err)
	}
	return ep, nil
}

func (x *queries) ListWebhookEndpoints(ctx context.Context, s store.Scope, f store.WebhookEndpointFilter) ([]*store.WebhookEndpoint, bool, error) {
	where := []string{"merchant_id = ?", "livemode = ?", "deleted_at = 0"}
	args := []any{s.MerchantID, s.Livemode}
	if f.StartingAfter != "" {
		var at int64
		err := x.row(ctx, `SELECT created_at FROM webhook_endpoints
 WHERE merchant_id = ? AND livemode = ? AND id = ? AND deleted_at = 0`, s.MerchantID, s.Livemode, f.StartingAfter).Scan(&at)
		if err != nil {
			return nil, false, cursorErr(x.scanErr(err), f.StartingAfter)
		}
		where = append(where, "(created_at < ? OR (created_at = ? AND id < ?))")
		args = append(args, at, at, f.StartingAfter)
	}
	limit := clampLimit(f.Limit)
	rows, err := x.query(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints WHERE `+strings.Join(where, " AND ")+
		` ORDER BY created_at DESC, id DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, false, err
	}
	return collect(x, rows, limit, scanEndpoint)
}

func (x *queries) ActiveWebhookEndpoints(ctx context.Context, s store.Scope) ([]*store.WebhookEndpoint, error) {
	const most = 1000
	rows, err := x.query(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints
 WHERE merchant_id = ? AND livemode = ? AND deleted_at = 0 AND status = ? ORDER BY created_at, id LIMIT ?`,
		s.MerchantID, s.Livemode, store.WebhookEnabled, most)
	if err != nil {
		return nil, err
	}
	out, _, err := collect(x, rows, most, scanEndpoint)
	return out, err
}

func (x *queries) CountWebhookEndpoints(ctx context.Context, s store.Scope) (int, error) {
	var n int
	err := x.row(ctx, `SELECT COUNT(*) FROM webhook_endpoints WHERE merchant_id = ? AND livemode = ? AND deleted_at = 0`,
		s.MerchantID, s.Livemode).Scan(&n)
	return n, x.scanErr(err)
}

func (x *queries) UpdateWebhookEndpoint(ctx context.Context, ep *store.WebhookEndpoint) error {
	res, err := x.exec(ctx, `UPDATE webhook_endpoints SET url = ?, description = ?, enabled_events = ?, ordered = ?,
 status = ?, disabled_reason = ?, secret = ?, secret_hint = ?, previous_secret = ?, previous_secret_expires_at = ?,
 failing_since = ?, consecutive_failures = ?, updated_at = ?, deleted_at = ?
 WHERE merchant_id = ? AND id = ? AND livemode = ?`,
		ep.URL, ep.Description, mustJSON(ep.EnabledEvents), ep.Ordered, ep.Status, ep.DisabledReason, ep.Secret,
		ep.SecretHint, ep.PreviousSecret, micros(ep.PreviousSecretExpiresAt), micros(ep.FailingSince),
		ep.ConsecutiveFailures, micros(ep.UpdatedAt), deletedMicros(ep.DeletedAt), ep.MerchantID, ep.ID, ep.Livemode)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return store.ErrNotFound
	}
	return nil
}

const deliveryCols = `merchant_id, id, livemode, endpoint_id, event_id, event_seq, event_type, payment_id, status,
 manual, attempts, next_attempt_at, last_attempt_at, last_http_status, last_error, delivered_at, created_at, updated_at`

func scanDelivery(r scanner) (*store.WebhookDelivery, error) {
	var (
		d                                       store.WebhookDelivery
		next, last, delivered, created, updated int64
	)
	if err := r.Scan(&d.MerchantID, &d.ID, &d.Livemode, &d.EndpointID, &d.EventID, &d.EventSeq, &d.EventType,
		&d.PaymentID, &d.Status, &d.Manual, &d.Attempts, &next, &last, &d.LastHTTPStatus, &d.LastError, &delivered,
		&created, &updated); err != nil {
		return nil, err
	}
	d.NextAttemptAt, d.LastAttemptAt, d.DeliveredAt = fromMicros(next), fromMicros(last), fromMicros(delivered)
	d.CreatedAt, d.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &d, nil
}

func (x *queries) InsertWebhookDelivery(ctx context.Context, d *store.WebhookDelivery) error {
	_, err := x.exec(ctx, `INSERT INTO webhook_deliveries (`+deliveryCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		d.MerchantID, d.ID, d.Livemode, d.EndpointID, d.EventID, d.EventSeq, d.EventType, d.PaymentID, d.Status,
		d.Manual, d.Attempts, micros(d.NextAttemptAt), micros(d.LastAttemptAt), d.LastHTTPStatus, d.LastError,
		micros(d.DeliveredAt), micros(d.CreatedAt), micros(d.UpdatedAt))
	return err
}

func (x *queries) GetWebhookDelivery(ctx context.Context, s store.Scope, id string) (*store.WebhookDelivery, error) {
	d, err := scanDelivery(x.row(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries
 WHERE merchant_id = ? AND id = ? AND livemode = ?`, s.MerchantID, id, s.Livemode))
	if err != nil {
		return nil, x.scanErr(err)
	}
	return d, nil
}

func (x *queries) GetWebhookDeliveryForUpdate(ctx context.Context, s store.Scope, id string) (*store.WebhookDelivery, error) {
	d, err := scanDelivery(x.row(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries
 WHERE merchant_id = ? AND id = ? AND livemode = ?`+x.s.d.ForUpdate(), s.MerchantID, id, s.Livemode))
	if err != nil {
		return nil, x.scanErr(err)
	}
	return d, nil
}

func (x *queries) UpdateWebhookDelivery(ctx context.Context, d *store.WebhookDelivery) error {
	res, err := x.exec(ctx, `UPDATE webhook_deliveries SET status = ?, manual = ?, attempts = ?, next_attempt_at = ?,
 last_attempt_at = ?, last_http_status = ?, last_error = ?, delivered_at = ?, updated_at = ?
 WHERE merchant_id = ? AND id = ? AND livemode = ?`,
		d.Status, d.Manual, d.Attempts, micros(d.NextAttemptAt), micros(d.LastAttemptAt), d.LastHTTPStatus, d.LastError,
		micros(d.DeliveredAt), micros(d.UpdatedAt), d.MerchantID, d.ID, d.Livemode)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return store.ErrNotFound
	}
	return nil
}

func (x *queries) ListWebhookDeliveries(ctx context.Context, s store.Scope, f store.WebhookDeliveryFilter) ([]*store.WebhookDelivery, bool, error) {
	where := []string{"merchant_id = ?", "endpoint_id = ?", "livemode = ?"}
	args := []any{s.MerchantID, f.EndpointID, s.Livemode}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.StartingAfter != "" {
		var seq int64
		err := x.row(ctx, `SELECT event_seq FROM webhook_deliveries WHERE merchant_id = ? AND id = ? AND endpoint_id = ?
 AND livemode = ?`, s.MerchantID, f.StartingAfter, f.EndpointID, s.Livemode).Scan(&seq)
		if err != nil {
			return nil, false, cursorErr(x.scanErr(err), f.StartingAfter)
		}
		where, args = append(where, "event_seq < ?"), append(args, seq)
	}
	limit := clampLimit(f.Limit)
	rows, err := x.query(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries WHERE `+strings.Join(where, " AND ")+
		` ORDER BY event_seq DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, false, err
	}
	return collect(x, rows, limit, scanDelivery)
}

// openDelivery is the condition the partial index webhook_deliveries_chain covers;
// it is written out literally so that both engines' planners match it.
const openDelivery = `status IN ('pending', 'waiting')`

func (x *queries) OpenWebhookDeliveryBefore(ctx context.Context, s store.Scope, endpointID, paymentID string, seq int64) (*store.WebhookDelivery, error) {
	d, err := scanDelivery(x.row(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries
 WHERE merchant_id = ? AND endpoint_id = ? AND payment_id = ? AND event_seq < ? AND `+openDelivery+`
 ORDER BY event_seq LIMIT 1`, s.MerchantID, endpointID, paymentID, seq))
	if err != nil {
		return nil, x.scanErr(err)
	}
	return d, nil
}

func (x *queries) NextWaitingWebhookDelivery(ctx context.Context, s store.Scope, endpointID, paymentID string) (*store.WebhookDelivery, error) {
	d, err := scanDelivery(x.row(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries
 WHERE merchant_id = ? AND endpoint_id = ? AND payment_id = ? AND `+openDelivery+` AND status = ?
 ORDER BY event_seq LIMIT 1`, s.MerchantID, endpointID, paymentID, store.DeliveryWaiting))
	if err != nil {
		return nil, x.scanErr(err)
	}
	return d, nil
}

func (x *queries) ReplayableWebhookDeliveries(ctx context.Context, s store.Scope, endpointID string, statuses []string, since time.Time, limit int) ([]*store.WebhookDelivery, bool, error) {
	if len(statuses) == 0 {
		return nil, false, nil
	}
	args := []any{s.MerchantID, endpointID, s.Livemode, micros(since)}
	marks := make([]string, len(statuses))
	for i, st := range statuses {
		marks[i] = "?"
		args = append(args, st)
	}
	rows, err := x.query(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries
 WHERE merchant_id = ? AND endpoint_id = ? AND livemode = ? AND created_at >= ? AND status IN (`+strings.Join(marks, ",")+`)
 ORDER BY event_seq LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, false, err
	}
	return collect(x, rows, limit, scanDelivery)
}

func (x *queries) InsertWebhookAttempt(ctx context.Context, a *store.WebhookAttempt) error {
	_, err := x.exec(ctx, `INSERT INTO webhook_attempts (merchant_id, delivery_id, attempt, attempted_at, http_status,
 latency_ms, response_excerpt, error) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING`,
		a.MerchantID, a.DeliveryID, a.Attempt, micros(a.At), a.HTTPStatus, a.LatencyMS, a.ResponseExcerpt, a.Error)
	return err
}

func (x *queries) ListWebhookAttempts(ctx context.Context, s store.Scope, deliveryID string, limit int) ([]*store.WebhookAttempt, error) {
	rows, err := x.query(ctx, `SELECT merchant_id, delivery_id, attempt, attempted_at, http_status, latency_ms,
 response_excerpt, error FROM webhook_attempts WHERE merchant_id = ? AND delivery_id = ?
 AND EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.merchant_id = ? AND d.id = ? AND d.livemode = ?)
 ORDER BY attempt DESC LIMIT ?`, s.MerchantID, deliveryID, s.MerchantID, deliveryID, s.Livemode, limit)
	if err != nil {
		return nil, err
	}
	out, _, err := collect(x, rows, limit, func(r scanner) (*store.WebhookAttempt, error) {
		var (
			a  store.WebhookAttempt
			at int64
		)
		err := r.Scan(&a.MerchantID, &a.DeliveryID, &a.Attempt, &at, &a.HTTPStatus, &a.LatencyMS, &a.ResponseExcerpt, &a.Error)
		a.At = fromMicros(at)
		return &a, err
	})
	// Newest were taken first, to keep the last limit; they read oldest first.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, err
}

func (x *queries) RescheduleJobByKey(ctx context.Context, uniqueKey string, runAt time.Time) (bool, error) {
	res, err := x.exec(ctx, `UPDATE jobs SET run_at = ? WHERE unique_key = ? AND state = ?`, micros(runAt), uniqueKey, jobAvailable)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
