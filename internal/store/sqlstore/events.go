package sqlstore

import (
	"context"
	"strings"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
)

const eventCols = `seq, merchant_id, id, livemode, type, payment_id, actor_type, actor_id,
 from_status, to_status, data, created_at`

func scanEvent(r scanner) (*payment.Event, error) {
	var (
		e       payment.Event
		data    string
		created int64
	)
	if err := r.Scan(&e.Seq, &e.MerchantID, &e.ID, &e.Livemode, &e.Type, &e.PaymentID, &e.Actor.Type,
		&e.Actor.ID, &e.FromStatus, &e.ToStatus, &data, &created); err != nil {
		return nil, err
	}
	e.Object = "event"
	e.Data.Object = []byte(data)
	e.CreatedAt = fromMicros(created)
	return &e, nil
}

func (x *queries) InsertEvent(ctx context.Context, e *payment.Event) error {
	err := x.row(ctx, `INSERT INTO events (merchant_id, id, livemode, type, payment_id, actor_type,
 actor_id, from_status, to_status, data, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING seq`,
		e.MerchantID, e.ID, e.Livemode, e.Type, e.PaymentID, e.Actor.Type, e.Actor.ID, e.FromStatus,
		e.ToStatus, string(e.Data.Object), micros(e.CreatedAt)).Scan(&e.Seq)
	return x.scanErr(err)
}

func (x *queries) GetEvent(ctx context.Context, s store.Scope, id string) (*payment.Event, error) {
	e, err := scanEvent(x.row(ctx, `SELECT `+eventCols+` FROM events
 WHERE merchant_id = ? AND id = ? AND livemode = ?`, s.MerchantID, id, s.Livemode))
	if err != nil {
		return nil, x.scanErr(err)
	}
	return e, nil
}

func (x *queries) EventsAfter(ctx context.Context, s store.Scope, afterSeq int64, limit int) ([]*payment.Event, error) {
	rows, err := x.query(ctx, `SELECT `+eventCols+` FROM events WHERE merchant_id = ? AND livemode = ? AND seq > ?
 ORDER BY seq LIMIT ?`, s.MerchantID, s.Livemode, afterSeq, clampLimit(limit))
	if err != nil {
		return nil, err
	}
	list, _, err := collect(x, rows, clampLimit(limit), scanEvent)
	return list, err
}

func (x *queries) LastEventSeq(ctx context.Context, s store.Scope) (int64, error) {
	var seq int64
	err := x.row(ctx, `SELECT COALESCE(MAX(seq), 0) FROM events WHERE merchant_id = ? AND livemode = ?`,
		s.MerchantID, s.Livemode).Scan(&seq)
	return seq, x.scanErr(err)
}

func (x *queries) ListEvents(ctx context.Context, s store.Scope, f store.EventFilter) ([]*payment.Event, bool, error) {
	where := []string{"merchant_id = ?", "livemode = ?"}
	args := []any{s.MerchantID, s.Livemode}
	order, cmp := "DESC", "<"
	if f.PaymentID != "" {
		where, args = append(where, "payment_id = ?"), append(args, f.PaymentID)
		order, cmp = "ASC", ">"
	}
	if f.Type != "" {
		where, args = append(where, "type = ?"), append(args, f.Type)
	}
	if f.StartingAfter != "" {
		var seq int64
		err := x.row(ctx, `SELECT seq FROM events WHERE merchant_id = ? AND id = ? AND livemode = ?
 AND (? = '' OR payment_id = ?)`, s.MerchantID, f.StartingAfter, s.Livemode, f.PaymentID, f.PaymentID).Scan(&seq)
		if err != nil {
			return nil, false, cursorErr(x.scanErr(err), f.StartingAfter)
		}
		where, args = append(where, "seq "+cmp+" ?"), append(args, seq)
	}
	limit := clampLimit(f.Limit)
	rows, err := x.query(ctx, `SELECT `+eventCols+` FROM events WHERE `+strings.Join(where, " AND ")+
		` ORDER BY seq `+order+` LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, false, err
	}
	return collect(x, rows, limit, scanEvent)
}
