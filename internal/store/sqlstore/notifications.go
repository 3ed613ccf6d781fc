package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/paymux/paymux/internal/store"
)

const notificationCols = `merchant_id, id, livemode, payment_id, related_id, kind, recipient, locale, subject,
 status, attempts, last_error, next_attempt_at, data, actor_type, actor_id, created_at, updated_at, sent_at`

func scanNotification(r scanner) (*store.Notification, error) {
	var (
		n                            store.Notification
		data                         string
		next, created, updated, sent int64
	)
	if err := r.Scan(&n.MerchantID, &n.ID, &n.Livemode, &n.PaymentID, &n.RelatedID, &n.Kind, &n.Recipient, &n.Locale,
		&n.Subject, &n.Status, &n.Attempts, &n.LastError, &next, &data, &n.Actor.Type, &n.Actor.ID, &created, &updated,
		&sent); err != nil {
		return nil, err
	}
	n.Data = []byte(data)
	n.NextAttemptAt, n.CreatedAt, n.UpdatedAt, n.SentAt = fromMicros(next), fromMicros(created), fromMicros(updated), fromMicros(sent)
	return &n, nil
}

func (x *queries) InsertNotification(ctx context.Context, n *store.Notification) error {
	data := string(n.Data)
	if data == "" {
		data = "{}"
	}
	_, err := x.exec(ctx, `INSERT INTO notifications (`+notificationCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		n.MerchantID, n.ID, n.Livemode, n.PaymentID, n.RelatedID, n.Kind, n.Recipient, n.Locale, n.Subject, n.Status,
		n.Attempts, n.LastError, micros(n.NextAttemptAt), data, n.Actor.Type, n.Actor.ID, micros(n.CreatedAt),
		micros(n.UpdatedAt), micros(n.SentAt))
	return err
}

func (x *queries) GetNotification(ctx context.Context, s store.Scope, id string) (*store.Notification, error) {
	n, err := scanNotification(x.row(ctx, `SELECT `+notificationCols+` FROM notifications
 WHERE merchant_id = ? AND id = ? AND livemode = ?`, s.MerchantID, id, s.Livemode))
	if err != nil {
		return nil, x.scanErr(err)
	}
	return n, nil
}

func (x *queries) GetNotificationForUpdate(ctx context.Context, s store.Scope, id string) (*store.Notification, error) {
	n, err := scanNotification(x.row(ctx, `SELECT `+notificationCols+` FROM notifications
 WHERE merchant_id = ? AND id = ? AND livemode = ?`+x.s.d.ForUpdate(), s.MerchantID, id, s.Livemode))
	if err != nil {
		return nil, x.scanErr(err)
	}
	return n, nil
}

func (x *queries) UpdateNotification(ctx context.Context, n *store.Notification) error {
	res, err := x.exec(ctx, `UPDATE notifications SET status = ?, attempts = ?, last_error = ?, next_attempt_at = ?,
 updated_at = ?, sent_at = ? WHERE merchant_id = ? AND id = ? AND livemode = ?`,
		n.Status, n.Attempts, n.LastError, micros(n.NextAttemptAt), micros(n.UpdatedAt), micros(n.SentAt),
		n.MerchantID, n.ID, n.Livemode)
	if err != nil {
		return err
	}
	if k, _ := res.RowsAffected(); k != 1 {
		return store.ErrNotFound
	}
	return nil
}

func (x *queries) ListNotifications(ctx context.Context, s store.Scope, f store.NotificationFilter) ([]*store.Notification, bool, error) {
	where := []string{"merchant_id = ?", "payment_id = ?", "livemode = ?"}
	args := []any{s.MerchantID, f.PaymentID, s.Livemode}
	if f.StartingAfter != "" {
		var at int64
		err := x.row(ctx, `SELECT created_at FROM notifications WHERE merchant_id = ? AND id = ? AND payment_id = ?
 AND livemode = ?`, s.MerchantID, f.StartingAfter, f.PaymentID, s.Livemode).Scan(&at)
		if err != nil {
			return nil, false, cursorErr(x.scanErr(err), f.StartingAfter)
		}
		where = append(where, "(created_at < ? OR (created_at = ? AND id < ?))")
		args = append(args, at, at, f.StartingAfter)
	}
	limit := clampLimit(f.Limit)
	rows, err := x.query(ctx, `SELECT `+notificationCols+` FROM notifications WHERE `+strings.Join(where, " AND ")+
		` ORDER BY created_at DESC, id DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, false, err
	}
	return collect(x, rows, limit, scanNotification)
}

const notificationSettingsCols = `merchant_id, livemode, kinds, reminder_delay_ms, default_locale, brand_name, brand_color,
 logo_url, reply_to, operator_email, created_at, updated_at`

func (x *queries) GetNotificationSettings(ctx context.Context, s store.Scope) (*store.NotificationSettings, error) {
	return x.notificationSettings(ctx, s, "")
}

func (x *queries) LockNotificationSettings(ctx context.Context, def *store.NotificationSettings) (*store.NotificationSettings, error) {
	kinds := def.Kinds
	if kinds == nil {
		kinds = map[string]bool{}
	}
	_, err := x.exec(ctx, `INSERT INTO notification_settings (`+notificationSettingsCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)
 ON CONFLICT (merchant_id, livemode) DO NOTHING`,
		def.MerchantID, def.Livemode, mustJSON(kinds), def.ReminderDelay.Milliseconds(), def.DefaultLocale, def.BrandName,
		def.BrandColor, def.LogoURL, def.ReplyTo, def.OperatorEmail, micros(def.CreatedAt), micros(def.UpdatedAt))
	if err != nil {
		return nil, err
	}
	return x.notificationSettings(ctx, store.Scope{MerchantID: def.MerchantID, Livemode: def.Livemode}, x.s.d.ForUpdate())
}

func (x *queries) notificationSettings(ctx context.Context, s store.Scope, lock string) (*store.NotificationSettings, error) {
	var (
		ns               store.NotificationSettings
		kinds            string
		delay            int64
		created, updated int64
	)
	err := x.row(ctx, `SELECT `+notificationSettingsCols+` FROM notification_settings WHERE merchant_id = ? AND livemode = ?`+lock,
		s.MerchantID, s.Livemode).Scan(&ns.MerchantID, &ns.Livemode, &kinds, &delay, &ns.DefaultLocale, &ns.BrandName,
		&ns.BrandColor, &ns.LogoURL, &ns.ReplyTo, &ns.OperatorEmail, &created, &updated)
	if err != nil {
		return nil, x.scanErr(err)
	}
	ns.ReminderDelay = time.Duration(delay) * time.Millisecond
	ns.CreatedAt, ns.UpdatedAt = fromMicros(created), fromMicros(updated)
	if err := unmarshalCols(col{kinds, &ns.Kinds}); err != nil {
		return nil, err
	}
	if ns.Kinds == nil {
		ns.Kinds = map[string]bool{}
	}
	return &ns, nil
}

func (x *queries) PutNotificationSettings(ctx context.Context, ns *store.NotificationSettings) error {
	kinds := ns.Kinds
	if kinds == nil {
		kinds = map[string]bool{}
	}
	_, err := x.exec(ctx, `INSERT INTO notification_settings (`+notificationSettingsCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)
 ON CONFLICT (merchant_id, livemode) DO UPDATE SET kinds = excluded.kinds, reminder_delay_ms = excluded.reminder_delay_ms,
 default_locale = excluded.default_locale, brand_name = excluded.brand_name, brand_color = excluded.brand_color,
 logo_url = excluded.logo_url, reply_to = excluded.reply_to, operator_email = excluded.operator_email,
 updated_at = excluded.updated_at`,
		ns.MerchantID, ns.Livemode, mustJSON(kinds), ns.ReminderDelay.Milliseconds(), ns.DefaultLocale, ns.BrandName,
		ns.BrandColor, ns.LogoURL, ns.ReplyTo, ns.OperatorEmail, micros(ns.CreatedAt), micros(ns.UpdatedAt))
	return err
}
